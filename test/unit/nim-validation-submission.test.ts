import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { validateCommand } from '../../src/cli/validate';
import { NimValidation } from '../../src/nim/validation';
import { CsvRecord, SubmissionReader, splitCsv } from '../../src/nim/validation/submission-reader';
import { TerminologyError } from '../../src/terminology/issues';
import { SubmissionOptions, SubmissionValidator } from '../../src/nim/validation/submission-validator';
import { labelKey } from '../../src/nim/validation/labels';
import { CLEAN_ROWS, FixtureStore, HEADER, PLANTED_FINDINGS, PNR, adoptReleases, csvFile, findingsOf, fixtureStore, planted, row } from './nim-validation-fixture';

/**
 * Submission files (CSV and NDJSON) validated row by row on a real SQLite store: planted errors
 * come back on their rows and nothing else, a clean file comes back clean, the file is read as
 * a stream, malformed files are refused with a clear message, and the report never holds a
 * cell's value. Also `kodverk validate`.
 */

let f: FixtureStore;
let validator: SubmissionValidator;
let dir: string;

beforeAll(() => {
  f = fixtureStore();
  adoptReleases(f);
  validator = new SubmissionValidator(new NimValidation(f.nim, f.store));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-submission-'));
});

afterAll(() => {
  f.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The bytes of a text in chunks of `size` (cutting through lines and through å, ä, ö), as the stream a request body is. */
async function* chunks(text: string, size: number): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** Buffers as the stream (an async iterable) the validator and the reader take. */
async function* streamOf(...buffers: Buffer[]): AsyncGenerator<Buffer> {
  yield* buffers;
}

async function validate(text: string, options: Partial<SubmissionOptions> = {}, chunkSize = 64 * 1024): Promise<{ text: string; report: any }> {
  let out = '';
  await validator.run(chunks(text, chunkSize), { format: 'csv', today: '2026-09-01', ...options }, (t) => void (out += t));
  return { text: out, report: JSON.parse(out) };
}

async function refused(text: string | Buffer, options: Partial<SubmissionOptions> = {}): Promise<TerminologyError> {
  let wrote = false;
  try {
    await validator.run(typeof text === 'string' ? chunks(text, 1024) : streamOf(text), { format: 'csv', ...options }, () => void (wrote = true));
  } catch (e) {
    expect(wrote).toBe(false);
    if (e instanceof TerminologyError) return e;
    throw e;
  }
  throw new Error('expected the file to be refused');
}

describe('a CSV submission', () => {
  it('yields exactly the planted errors, on their rows', async () => {
    const { report } = await validate(planted());
    expect(findingsOf(report)).toEqual(PLANTED_FINDINGS);
    expect(report.rows.map((r: any) => r.line)).toEqual([4, 5, 6, 7, 8]);
    expect(report.counts).toEqual({
      bySeverity: { error: 5, warning: 0, information: 0 },
      byType: { 'unknown-code': 1, 'not-in-value-set': 1, 'invalid-value': 1, 'required-missing': 1, 'not-in-context-value-set': 1 },
    });
    expect(report.summary).toEqual({ rows: 8, rowsWithErrors: 5, rowsWithWarnings: 0, rowsWithoutIssues: 3, releases: { '1.1.0': 32 }, complete: true, valid: false });
    expect(report.columns[2]).toEqual({ column: 3, header: 'Insats.typ', nim: 'insats', attribute: 'typ' });
    expect(report.columns[9]).toEqual({ column: 10, header: 'Aktualisering.sakomrade', nim: 'aktualisera-arende', attribute: 'sakomrade' });
  });

  it('yields no errors for a clean file, and notes once what it could not check', async () => {
    const { report } = await validate(csvFile(CLEAN_ROWS));
    expect(report.rows).toEqual([]);
    expect(report.summary).toMatchObject({ rows: 3, rowsWithErrors: 0, rowsWithoutIssues: 3, valid: true, complete: true });
    // Aktualisera ärende's kontaktsätt is optional; Insats needs nothing more; Myndighetsbeslut is complete
    expect(report.notes).toEqual([]);
  });

  it('judges each row by the release in force on its event date, or by the one requested', async () => {
    const rows = [row({ 5: '2026-08-01', 6: 'avvisad' }), row({ 5: '2027-08-01', 6: 'avvisad' })];
    const byDate = (await validate(csvFile(rows))).report;
    expect(findingsOf(byDate)).toEqual([[1, 'error', 'unknown-code', 'Myndighetsbeslut.utfall', 7]]);
    // the second row's Aktualisering has its own date (2026-07-15), the rest take the decision's
    expect(byDate.summary.releases).toEqual({ '1.1.0': 5, '1.2.0': 3 });
    const fixed = (await validate(csvFile(rows), { release: '1.2.0' })).report;
    expect(fixed.release).toBe('1.2.0');
    expect(findingsOf(fixed)).toEqual([]);
  });

  it('takes a date cell with surrounding spaces as the event date, as it takes it as a valid date', async () => {
    const { report } = await validate(csvFile([row({ 5: ' 2027-08-01 ', 6: 'avvisad' })]));
    expect(findingsOf(report)).toEqual([]);
    expect(report.summary.releases).toEqual({ '1.1.0': 1, '1.2.0': 3 });
    expect(report.notes.map((n: any) => n.type)).not.toContain('no-event-date');
  });

  it('notes, with their row counts, required attributes the file does not report and rows without a date', async () => {
    const { report } = await validate('Brukare.kön;Insats.typ;Insats.status\nman;hemtjanst;30\nkvinna;boendestod;40\n');
    expect(report.rows).toEqual([]);
    expect(report.notes.map((n: any) => [n.type, n.element ?? null, n.rows])).toEqual([
      ['no-event-date', null, 2],
      ['not-reported', 'Brukare.personId', 2],
      ['no-event-date', null, 2],
      ['not-reported', 'Insats.sakomrade', 2],
    ]);
    expect(report.notes[0].text).toBe('Brukare: rows without an event date (datum) were judged by the release in force today (2026-09-01)');
  });

  it('reads quoted fields, a field over two lines, blank lines and a file cut anywhere', async () => {
    const text = `${HEADER}\n\n"${PNR}";"kvinna";hemtjanst;aldreomsorg;30;2026-08-01;beviljad;"SoL2025-12:1,LSS-9:2";anmalan;barn-och-unga;"oro-for-barn,vald-i-nara-relation";2026-07-15\n${row({ 1: '"Kön: ""man""\nnej"' })}\n`;
    for (const size of [1, 3, 7, 4096]) {
      const { report } = await validate(text, {}, size);
      expect(findingsOf(report)).toEqual([[2, 'error', 'unknown-code', 'Brukare.kon', 2]]);
      expect(report.rows[0].line).toBe(4);
    }
  });

  it('takes a separator at the end of every line (as spreadsheets write them)', async () => {
    const { report } = await validate(`Brukare.kön;Insats.typ;Insats.status;;\nman;hemtjanst;30;;\nx;hemtjanst;30;\nman;hemtjanst;30;x;\n`);
    expect(report.columns).toHaveLength(3);
    expect(findingsOf(report)).toEqual([
      [2, 'error', 'unknown-code', 'Brukare.kon', 1],
      [3, 'error', 'malformed-row', undefined, undefined],
    ]);
  });

  it('reports rows it cannot read and reads on', async () => {
    const latin1 = Buffer.concat([Buffer.from(`${HEADER}\n${row()}\n`), Buffer.from(row({ 1: 'kön' }), 'latin1'), Buffer.from(`\n${row().split(';').slice(0, 4).join(';')}\n${row()}\n`)]);
    let out = '';
    await validator.run(streamOf(latin1), { format: 'csv' }, (t) => void (out += t));
    const report = JSON.parse(out);
    expect(report.rows.map((r: any) => [r.row, r.issues[0].type, r.issues[0].text])).toEqual([
      [2, 'malformed-row', 'The row is not valid UTF-8'],
      [3, 'malformed-row', 'The row has 4 fields and the header 12, so it was not validated'],
    ]);
    expect(report.summary).toMatchObject({ rows: 4, rowsWithErrors: 2 });
  });

  it('refuses a file it cannot read as a submission, before writing anything', async () => {
    expect((await refused('')).message).toMatch(/The file is empty/);
    expect((await refused('Brukare.kön,Insats.typ\nman,hemtjanst\n')).message).toMatch(/semicolon-separated/);
    expect((await refused('{"Brukare.kön": "man"}\n')).message).toMatch(/looks like JSON/);
    expect((await refused(Buffer.from('Brukare.kön;Insats.typ\n', 'latin1'))).message).toMatch(/The header row is not UTF-8/);
    const header = await refused(`Brukare.kön;Insats.färg;Okänd.typ;Insats.typ;insats.TYP;${PNR};;Insats.status;;\nx\n`);
    expect(header.httpStatus).toBe(400);
    expect(header.message).toBe(
      "The header row is not NIM.attribute names: 'Insats.färg' names no attribute of NIM Insats; 'Okänd.typ' names no NIM (known: Aktualisera ärende, Annan person, Brukare, Framställning, Insats, Kommunikationssätt, Kontaktuppgifter, Myndighetsbeslut, Organisation, Personal inom socialtjänsten, Uppföljning); 'insats.TYP' repeats column 4; Column 6 is not NIM.attribute (e.g. Insats.typ); column 7 has no name",
    );
    expect((await refused(`${HEADER}\n${row()}\n`, { release: '9.9.9' })).httpStatus).toBe(404);
  });

  it('ends the report with a fatal entry when the file turns unreadable half-way', async () => {
    const { report } = await validate(`${HEADER}\n${row({ 1: 'x' })}\n${'a'.repeat(1024 * 1024 + 10)}\n${row()}\n`);
    expect(report.summary).toMatchObject({ rows: 1, complete: false, valid: false });
    expect(report.fatal.text).toMatch(/Line 3 is longer than 1048576 bytes/);
    expect(findingsOf(report)).toEqual([[1, 'error', 'unknown-code', 'Brukare.kon', 2]]);
  });

  it('streams: the report has rows before the file has been read to its end', async () => {
    let produced = 0;
    let producedAtFirstRow = -1;
    async function* file() {
      yield Buffer.from(`${HEADER}\n`);
      for (let i = 0; i < 20_000; i++) {
        produced++;
        yield Buffer.from(`${i % 1000 === 0 ? row({ 1: 'x' }) : row()}\n`);
      }
    }
    const summary = await validator.run(file(), { format: 'csv' }, (t) => {
      if (producedAtFirstRow < 0 && t.includes('"row"')) producedAtFirstRow = produced;
    });
    expect(summary).toMatchObject({ rows: 20_000, rowsWithErrors: 20, complete: true });
    expect(producedAtFirstRow).toBeGreaterThan(0);
    expect(producedAtFirstRow).toBeLessThan(100);
  });

  it('never puts a cell value in the report unless it is a code of a code system', async () => {
    const { text } = await validate(csvFile([row({ 1: PNR, 2: PNR, 3: `${PNR}|x`, 5: PNR, 6: `${PNR}|${PNR}`, 10: PNR }), row({ 0: 'Anna Andersson' })]));
    expect(JSON.parse(text).summary.rowsWithErrors).toBe(1);
    expect(text).not.toContain('1212');
    expect(text).not.toContain('Andersson');
  });
});

describe('an NDJSON submission', () => {
  const object = (changes: Record<string, unknown> = {}) =>
    JSON.stringify({ 'Brukare.personId': PNR, 'Brukare.kön': 'kvinna', 'Insats.typ': { system: 'https://kodverk.se/fhir/CodeSystem/insatskategori', code: 'hemtjanst' }, 'Insats.sakomrade': 'aldreomsorg', 'Insats.status': '30', 'Beslut.datum': '2026-08-01', 'Beslut.utfall': 'beviljad', 'Beslut.lagrum': ['SoL2025-12:1', 'LSS-9:2'], ...changes });

  it('yields the same findings as CSV, keyed by row', async () => {
    const text = [object(), object({ 'Brukare.kön': PNR }), '', object({ 'Insats.status': null, 'Beslut.datum': '2026-02-30' }), object({ 'Insats.färg': 'blå' }), '{"Brukare.kön": ', '[1]'].join('\n');
    const { report, text: out } = await validate(text, { format: 'ndjson' });
    expect(findingsOf(report)).toEqual([
      [2, 'error', 'unknown-code', 'Brukare.kon', undefined],
      [3, 'error', 'required-missing', 'Insats.status', undefined],
      [3, 'error', 'invalid-value', 'Myndighetsbeslut.datum', undefined],
      [4, 'error', 'unknown-attribute', undefined, undefined],
      [5, 'error', 'malformed-row', undefined, undefined],
      [6, 'error', 'malformed-row', undefined, undefined],
    ]);
    expect(report.rows.map((r: any) => r.line)).toEqual([2, 4, 5, 6, 7]);
    expect(out).not.toContain('1212');
  });

  it('reports a required attribute a line leaves out when the file carries its key (from the first line with it on)', async () => {
    // README: only "a required attribute the file has no column (key) for is noted once"
    const text = ['{"Beslut.datum":"2027-07-01","Beslut.lagrum":"LSS-9:2"}', '{"Beslut.datum":"2027-07-01","Beslut.utfall":"beviljad","Beslut.lagrum":"LSS-9:2"}', '{"Beslut.datum":"2027-07-01","Beslut.lagrum":"LSS-9:2"}'].join('\n');
    const { report } = await validate(text, { format: 'ndjson' });
    expect(findingsOf(report)).toEqual([[3, 'error', 'required-missing', 'Myndighetsbeslut.utfall', undefined]]);
    // the first line came before the file had the key: noted, as a file without the key is
    expect(report.notes.filter((n: any) => n.type === 'not-reported').map((n: any) => [n.element, n.rows])).toEqual([['Myndighetsbeslut.utfall', 1]]);
  });

  it('refuses a file whose first line is not a JSON object', async () => {
    expect((await refused('Brukare.kön;Insats.typ\n', { format: 'ndjson' })).message).toMatch(/not a JSON object/);
    expect((await refused('\n\n', { format: 'ndjson' })).message).toMatch(/empty/);
  });
});

describe('reading', () => {
  it('splits CSV records at semicolons, honouring quotes', () => {
    expect(splitCsv('a;b;;c')).toEqual(['a', 'b', '', 'c']);
    expect(splitCsv('"a;b";"say ""hej""";c')).toEqual(['a;b', 'say "hej"', 'c']);
    expect(splitCsv('a;"open')).toBeUndefined();
  });

  it('reads a quoted field over several lines a line at a time, each line once', async () => {
    const record = new CsvRecord();
    expect(record.add('a;"first')).toBeUndefined();
    expect(record.add('')).toBeUndefined();
    expect(record.add('third ""quoted""";b')).toEqual(['a', 'first\n\nthird "quoted"', 'b']);
    // a lone quote and then only line breaks: once the joined text was split again for every
    // new line, which made 80 KB of them hold the server for most of a minute
    const reader = new SubmissionReader(streamOf(Buffer.from('Brukare.kön\n"' + '\n'.repeat(200_000))), 'csv');
    await reader.header();
    const rows = [];
    for await (const r of reader.rows()) rows.push(r);
    expect(rows).toEqual([{ row: 1, line: 2, problem: 'has a quote that is never closed' }]);
  });

  it('compares labels without case, accents or punctuation', () => {
    expect(labelKey('Aktualisera ärende')).toBe(labelKey('aktualisera-arende'));
    expect(labelKey('KSI-kod')).toBe(labelKey('ksiKod'));
    expect(labelKey('Kön')).toBe('kon');
  });
});

describe('kodverk validate', () => {
  async function kodverk(...args: string[]): Promise<{ out: string; code: number }> {
    let out = '';
    let code = -1;
    const program = new Command('kodverk').exitOverride();
    program.addCommand(validateCommand({ dbPath: f.file, write: (t) => void (out += t), exitCode: (c) => (code = c) }));
    await program.parseAsync(['node', 'kodverk', 'validate', ...args]);
    return { out, code };
  }

  it('validates a submission file and prints the report (exit code 2 for errors, 0 for none)', async () => {
    const file = path.join(dir, 'inrapportering.csv');
    fs.writeFileSync(file, planted());
    const bad = await kodverk('submission', file);
    expect(bad.code).toBe(2);
    expect(findingsOf(JSON.parse(bad.out))).toEqual(PLANTED_FINDINGS);
    fs.writeFileSync(file, csvFile([row({ 6: 'avvisad' })]));
    expect((await kodverk('submission', file)).code).toBe(2);
    const fixed = await kodverk('submission', file, '--release', '1.2.0');
    expect(fixed.code).toBe(0);
    expect(JSON.parse(fixed.out).summary.valid).toBe(true);
    const ndjson = path.join(dir, 'inrapportering.ndjson');
    fs.writeFileSync(ndjson, '{"Brukare.kön": "man"}\n');
    expect((await kodverk('submission', ndjson)).code).toBe(0);
  });

  it('validates a record file and prints an OperationOutcome', async () => {
    const file = path.join(dir, 'beslut.json');
    fs.writeFileSync(file, JSON.stringify({ nim: 'https://kodverk.se/fhir/StructureDefinition/nim-myndighetsbeslut', record: { datum: '2026-08-01', utfall: 'avvisad', lagrum: 'LSS-9:2' } }));
    const byDate = await kodverk('record', file);
    expect(byDate.code).toBe(2);
    const outcome = JSON.parse(byDate.out);
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue[1]).toMatchObject({ severity: 'error', code: 'code-invalid', expression: ['Myndighetsbeslut.utfall'], details: { coding: [{ system: 'http://hl7.org/fhir/tools/CodeSystem/tx-issue-type', code: 'invalid-code' }] } });
    expect((await kodverk('record', file, '--release', '1.2.0')).code).toBe(0);
  });
});
