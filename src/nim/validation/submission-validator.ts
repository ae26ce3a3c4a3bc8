import { today } from '../release-snapshot';
import type { NimValidation } from './index';
import { quotable } from './labels';
import { ValidationIssue, issue } from './issues';
import { ColumnTarget, NimDirectory } from './nim-directory';
import type { RawValue } from './record-validator';
import type { ReleaseIndex } from './release-index';
import { eventDate } from './values';
import { EVENT_DATE_ATTRIBUTE, ROW_DATE_PRECEDENCE, ReleaseSelector } from './release-selector';
import { SubmissionFormat, SubmissionFormatError, SubmissionReader, SubmissionRow } from './submission-reader';
import { ReportColumn, SubmissionReport, SubmissionSummary, Write } from './submission-report';

/**
 * SubmissionValidator: a register submission file, row by row. A row may span several NIMs
 * (Brukare.kön;Insats.typ;Beslut.datum): its cells are grouped by NIM and each group is
 * validated as that NIM's part of the record. A group whose cells are all empty is not part
 * of the row. Without a release in the request, each part is judged by the release in force on
 * its event date: its NIM's `datum` when the row has it, else the row's event date (the first
 * `datum` of Myndighetsbeslut, Insats, Aktualisera ärende, Framställning, Uppföljning in the
 * row), else today (noted). Everything a malformed file gets (4xx) is decided before the first
 * byte of the report is written.
 */

export interface SubmissionOptions {
  format: SubmissionFormat;
  /** judge every row by this release (else by the release in force on each row's event date) */
  release?: string;
  /** "today" for rows without an event date (tests set it) */
  today?: string;
}

interface Group {
  nim: string;
  columns: { index: number; attribute: string }[];
}

type Parts = Map<string, Map<string, RawValue>>;

export class SubmissionValidator {
  constructor(private readonly validation: NimValidation) {}

  /**
   * Validates a submission read from `input`, writing the report to `write`. Throws (a 4xx
   * TerminologyError) before writing anything when the request or the file's start is malformed;
   * a file that turns malformed later ends the report with a `fatal` entry.
   */
  async run(input: AsyncIterable<Buffer | string>, options: SubmissionOptions, write: Write): Promise<SubmissionSummary> {
    const directory = new NimDirectory(this.validation.nim);
    const selector = this.validation.selector();
    const fixed = options.release !== undefined ? selector.version(options.release) : undefined;
    const reader = new SubmissionReader(input, options.format);
    const report = new SubmissionReport(write);
    const run = new SubmissionRun(this.validation, directory, selector, fixed, options.today ?? today(), report);
    if (options.format === 'csv') await run.useHeader(await reader.header());
    else await reader.firstObject();
    await report.begin({ format: options.format, release: fixed?.version, columns: run.columns });
    try {
      for await (const row of reader.rows()) await run.row(row);
    } catch (e) {
      if (e instanceof SubmissionFormatError) return report.end(e.message);
      throw e;
    }
    return report.end();
  }
}

/** The state of one file's validation: its columns, and what it has looked up. */
class SubmissionRun {
  columns?: ReportColumn[];
  private groups: Group[] = [];
  /** NDJSON keys already looked up */
  private readonly keys = new Map<string, ColumnTarget | { problem: string }>();
  /** NDJSON: by NIM, the attributes some line so far has had a key for */
  private readonly reported = new Map<string, Set<string>>();

  constructor(
    private readonly validation: NimValidation,
    private readonly directory: NimDirectory,
    private readonly selector: ReleaseSelector,
    private readonly fixed: ReleaseIndex | undefined,
    private readonly today: string,
    private readonly report: SubmissionReport,
  ) {}

  /** Maps the header's columns to NIM attributes; 400 naming every column that maps to none. */
  async useHeader(fields: string[]): Promise<void> {
    // spreadsheet exports often end every line with a separator: empty names at the end are no columns
    let end = fields.length;
    while (end > 1 && fields[end - 1] === '') end--;
    const header = fields.slice(0, end);
    const problems: string[] = [];
    const seen = new Map<string, number>();
    const columns: ReportColumn[] = [];
    header.forEach((h, i) => {
      const name = quotable(h) ? `'${h}'` : `Column ${i + 1}`;
      if (!h) return problems.push(`column ${i + 1} has no name`);
      const target = this.directory.column(h);
      if ('problem' in target) return problems.push(`${name} ${target.problem}`);
      const key = `${target.nim}.${target.attribute}`;
      if (seen.has(key)) return problems.push(`${name} repeats column ${seen.get(key)}`);
      seen.set(key, i + 1);
      columns.push({ column: i + 1, header: h, nim: target.nim, attribute: target.attribute });
    });
    if (problems.length) throw new SubmissionFormatError(`The header row is not NIM.attribute names: ${problems.join('; ')}`);
    this.columns = columns;
    const groups = new Map<string, Group>();
    for (const c of columns) {
      let g = groups.get(c.nim);
      if (!g) groups.set(c.nim, (g = { nim: c.nim, columns: [] }));
      g.columns.push({ index: c.column - 1, attribute: c.attribute });
    }
    this.groups = [...groups.values()];
  }

  async row(row: SubmissionRow): Promise<void> {
    const issues: ValidationIssue[] = [];
    let parts: Parts;
    if (row.problem) {
      issues.push(issue('malformed-row', 'error', `The row ${row.problem}`));
      return this.report.row(row.row, row.line, issues);
    }
    if (row.cells) {
      const width = this.columns!.length;
      if (row.cells.length < width || row.cells.slice(width).some((c) => c.trim() !== '')) {
        issues.push(issue('malformed-row', 'error', `The row has ${row.cells.length} fields and the header ${width}, so it was not validated`));
        return this.report.row(row.row, row.line, issues);
      }
      parts = this.csvParts(row.cells);
    } else parts = this.ndjsonParts(row.object!, issues);
    this.judge(parts, issues);
    return this.report.row(row.row, row.line, issues);
  }

  private csvParts(cells: string[]): Parts {
    const parts: Parts = new Map();
    for (const g of this.groups) {
      if (!g.columns.some((c) => cells[c.index].trim() !== '')) continue;
      const values = new Map<string, RawValue>();
      for (const c of g.columns) values.set(c.attribute, { raw: cells[c.index], column: c.index + 1 });
      parts.set(g.nim, values);
    }
    return parts;
  }

  private ndjsonParts(object: Record<string, unknown>, issues: ValidationIssue[]): Parts {
    const parts: Parts = new Map();
    for (const [key, raw] of Object.entries(object)) {
      let target = this.keys.get(key);
      if (!target) {
        target = this.directory.column(key);
        // keys are looked up once per file; a file with ever new keys is not a submission
        if (this.keys.size < 10_000) this.keys.set(key, target);
      }
      if ('problem' in target) {
        issues.push(issue('unknown-attribute', 'error', quotable(key) ? `The key '${key}' ${target.problem}` : 'A key is not NIM.attribute (e.g. Insats.typ)'));
        continue;
      }
      let values = parts.get(target.nim);
      if (!values) parts.set(target.nim, (values = new Map()));
      values.set(target.attribute, { raw });
      let reported = this.reported.get(target.nim);
      if (!reported) this.reported.set(target.nim, (reported = new Set()));
      reported.add(target.attribute);
    }
    for (const [nim, values] of parts) if (![...values.values()].some((v) => v.raw !== null && v.raw !== undefined && v.raw !== '')) parts.delete(nim);
    return parts;
  }

  /** Each NIM part of a row against the release that judges it. */
  private judge(parts: Parts, issues: ValidationIssue[]): void {
    const own = (nim: string) => eventDate(parts.get(nim)?.get(EVENT_DATE_ATTRIBUTE)?.raw);
    let rowDate: string | undefined;
    for (const nim of [...ROW_DATE_PRECEDENCE, ...parts.keys()]) if ((rowDate = own(nim))) break;
    for (const [nim, values] of parts) {
      const title = this.directory.title(nim);
      const date = own(nim) ?? rowDate;
      let release = this.fixed;
      if (!release) {
        if (!date) issues.push(issue('no-event-date', 'information', `${title}: rows without an event date (${EVENT_DATE_ATTRIBUTE}) were judged by the release in force today (${this.today})`));
        release = this.selector.inForce(date ?? this.today);
        if (!release) {
          issues.push(issue('no-release', 'warning', `${title}: no adopted release is in force on the row's event date, so this part was not validated`));
          continue;
        }
      }
      const model = release.nims.get(nim);
      if (!model) {
        issues.push(issue('nim-not-in-release', 'warning', `${title}: release ${release.version} does not hold this NIM, so this part was not validated`, { release: release.version }));
        continue;
      }
      for (const attribute of values.keys()) {
        if (model.byLabel.get(attribute)?.id === attribute) continue;
        // a column of another version of the NIM: said once, in the notes
        issues.push(issue('not-checked', 'information', `${model.root}.${attribute} is not an attribute of NIM ${model.title} ${model.version} in release ${release.version}; its values were not checked`, { release: release.version }));
        values.delete(attribute);
      }
      this.report.judgedBy(release.version);
      issues.push(...this.validation.validator.validate(model, values, { release, date, partial: true, reported: this.reported.get(nim) }));
    }
  }
}
