import { isUtf8 } from 'node:buffer';
import { TerminologyError } from '../../terminology/issues';

/**
 * SubmissionReader: a submission file read as it arrives, one record at a time, so a file of
 * any length needs only the line at hand in memory. Two formats:
 * - `csv`: semicolon-separated UTF-8 with a header row; a field may be quoted ("…", with ""
 *   for a quote) and a quoted field may span lines;
 * - `ndjson`: one JSON object per line.
 * Rows are numbered from 1 (the first row after a CSV header), and each keeps the line it
 * starts on, so a municipality can find it again in its own file.
 */

export type SubmissionFormat = 'csv' | 'ndjson';

/** Longest line (or quoted record) read, in bytes: a file without line breaks is not a submission. */
export const MAX_RECORD_BYTES = 1024 * 1024;

/** A file that cannot be read as a submission at all (the 4xx, or the end of a streamed report). */
export class SubmissionFormatError extends TerminologyError {
  constructor(text: string, status = 400) {
    super([{ severity: 'error', code: 'structure', txType: 'invalid-data', text }], status);
  }
}

interface Line {
  number: number;
  /** the line's text; undefined when it is not valid UTF-8 */
  text?: string;
}

/** The lines of a byte stream (LF or CRLF), decoded as UTF-8 one by one. */
async function* lines(source: AsyncIterable<Buffer | string>): AsyncGenerator<Line> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let number = 0;
  const emit = (bytes: Buffer): Line => {
    number++;
    const end = bytes.length && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
    const line = bytes.subarray(0, end);
    return isUtf8(line) ? { number, text: line.toString('utf8') } : { number };
  };
  for await (const chunk of source) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let nl = buf.indexOf(0x0a, start); nl >= 0; nl = buf.indexOf(0x0a, start)) {
      const piece = buf.subarray(start, nl);
      if (pendingBytes + piece.length > MAX_RECORD_BYTES) throw new SubmissionFormatError(`Line ${number + 1} is longer than ${MAX_RECORD_BYTES} bytes; a submission has one row per line`);
      const bytes = pending.length ? Buffer.concat([...pending, piece]) : piece;
      pending = [];
      pendingBytes = 0;
      yield emit(bytes);
      start = nl + 1;
    }
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
      if (pendingBytes > MAX_RECORD_BYTES) throw new SubmissionFormatError(`Line ${number + 1} is longer than ${MAX_RECORD_BYTES} bytes; a submission has one row per line`);
    }
  }
  if (pendingBytes) yield emit(Buffer.concat(pending));
}

/**
 * One CSV record read a line at a time. The fields found so far are kept, so each line is scanned
 * once however many lines a quoted field spans (scanning the joined text again for every new line
 * made a lone quote followed by many empty lines cost the square of their number).
 */
export class CsvRecord {
  private readonly fields: string[] = [];
  private field = '';
  private quoted = false;

  /** Takes the record's next line: its fields when the record is complete, undefined while a quoted field goes on. */
  add(line: string): string[] | undefined {
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (this.quoted) {
        if (ch !== '"') this.field += ch;
        else if (line[i + 1] === '"') {
          this.field += '"';
          i++;
        } else this.quoted = false;
      } else if (ch === '"') this.quoted = true;
      else if (ch === ';') {
        this.fields.push(this.field);
        this.field = '';
      } else this.field += ch;
    }
    if (this.quoted) {
      // the quoted field holds the line break
      this.field += '\n';
      return undefined;
    }
    this.fields.push(this.field);
    return this.fields;
  }
}

/** Splits one CSV record at semicolons; undefined when a quoted field goes on past the line's end. */
export function splitCsv(text: string): string[] | undefined {
  if (!text.includes('"')) return text.split(';');
  return new CsvRecord().add(text);
}

export interface SubmissionRow {
  row: number;
  line: number;
  /** csv: the fields */
  cells?: string[];
  /** ndjson: the object */
  object?: Record<string, unknown>;
  /** why the row could not be read (it is reported, and the rest of the file is read on) */
  problem?: string;
}

export class SubmissionReader {
  private readonly source: AsyncIterator<Line>;
  private rowCount = 0;
  /** a line read ahead (the first NDJSON row, looked at before the report starts) */
  private held?: Line;

  constructor(
    input: AsyncIterable<Buffer | string>,
    readonly format: SubmissionFormat,
  ) {
    this.source = lines(input)[Symbol.asyncIterator]();
  }

  private async next(): Promise<Line | undefined> {
    if (this.held) {
      const l = this.held;
      this.held = undefined;
      return l;
    }
    const r = await this.source.next();
    return r.done ? undefined : r.value;
  }

  /** The next line with content (blank lines are skipped). */
  private async nextContent(): Promise<Line | undefined> {
    for (let l = await this.next(); l; l = await this.next()) if (l.text === undefined || l.text.trim() !== '') return l;
    return undefined;
  }

  /** The CSV header's fields; 400 for a file that is empty, not UTF-8 or not semicolon-separated. */
  async header(): Promise<string[]> {
    const first = await this.nextContent();
    if (!first) throw new SubmissionFormatError('The file is empty: a submission starts with a header row of NIM.attribute names');
    if (first.text === undefined) throw new SubmissionFormatError('The header row is not UTF-8 (a file saved as Windows-1252/Latin-1?); save the file as UTF-8');
    const text = first.text.replace(/^\uFEFF/, '');
    if (/^\s*[{[]/.test(text)) throw new SubmissionFormatError('The file looks like JSON; send NDJSON as Content-Type application/x-ndjson, or CSV with a header row');
    const fields = splitCsv(text);
    if (!fields) throw new SubmissionFormatError('The header row has a quote that is never closed');
    if (fields.length === 1 && /[,\t]/.test(text)) throw new SubmissionFormatError('The header row has no semicolons: a submission is semicolon-separated (;), not comma- or tab-separated');
    return fields.map((f) => f.trim());
  }

  /** The first NDJSON row, read before the report starts: 400 when the file is empty or not NDJSON. */
  async firstObject(): Promise<void> {
    const first = await this.nextContent();
    if (!first) throw new SubmissionFormatError('The file is empty: NDJSON has one JSON object per line');
    let value: unknown;
    try {
      value = first.text === undefined ? undefined : JSON.parse(first.text.replace(/^\uFEFF/, ''));
    } catch {
      value = undefined;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new SubmissionFormatError('The first line is not a JSON object: NDJSON has one JSON object per line, its keys NIM.attribute');
    this.held = first;
  }

  /** The data rows, in order. */
  async *rows(): AsyncGenerator<SubmissionRow> {
    for (let l = await this.nextContent(); l; l = await this.nextContent()) {
      const row = ++this.rowCount;
      if (l.text === undefined) {
        yield { row, line: l.number, problem: 'is not valid UTF-8' };
        continue;
      }
      if (this.format === 'ndjson') yield this.ndjson(row, l);
      else yield await this.csv(row, l);
    }
  }

  private ndjson(row: number, l: Line): SubmissionRow {
    let value: unknown;
    try {
      value = JSON.parse(l.text!.replace(/^\uFEFF/, ''));
    } catch {
      // the parser's message quotes the text, which may be personal data
      return { row, line: l.number, problem: 'is not valid JSON' };
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { row, line: l.number, problem: 'is not a JSON object' };
    return { row, line: l.number, object: value as Record<string, unknown> };
  }

  private async csv(row: number, l: Line): Promise<SubmissionRow> {
    if (!l.text!.includes('"')) return { row, line: l.number, cells: l.text!.split(';') };
    const record = new CsvRecord();
    let length = l.text!.length;
    let cells = record.add(l.text!);
    while (!cells) {
      // a quoted field goes on: the record continues on the next line
      const more = await this.next();
      if (!more) return { row, line: l.number, problem: 'has a quote that is never closed' };
      if (more.text === undefined) return { row, line: l.number, problem: 'is not valid UTF-8' };
      length += 1 + more.text.length;
      if (length > MAX_RECORD_BYTES) throw new SubmissionFormatError(`Row ${row} (line ${l.number}) is longer than ${MAX_RECORD_BYTES} bytes`);
      cells = record.add(more.text);
    }
    return { row, line: l.number, cells };
  }
}
