import { IssueType, NOTE_TYPES, ValidationIssue } from './issues';

/**
 * SubmissionReport: the answer to a submission file, written as JSON while the file is read.
 * Only rows with findings are written, each keyed by its row number (and line), never with the
 * row's content — like the register's own feedback file, which holds row numbers and not
 * personal identity numbers (004:L15839–15860). Notes (what could not be checked, bindings
 * not in force, required attributes the file does not report) are about the check rather than
 * a row, so they are listed once with the number of rows they concern. The report keeps only
 * counts and notes in memory, never rows.
 *
 *   {"format", "release"?, "columns"?, "rows": [{"row", "line", "issues": [...]}, ...],
 *    "notes": [...], "counts": {"bySeverity", "byType"}, "summary": {...}, "fatal"?}
 */

export interface ReportColumn {
  column: number;
  header: string;
  nim: string;
  attribute: string;
}

export interface ReportHead {
  format: string;
  /** the release every row was judged by, when the request named one */
  release?: string;
  columns?: ReportColumn[];
}

export interface SubmissionSummary {
  rows: number;
  rowsWithErrors: number;
  rowsWithWarnings: number;
  rowsWithoutIssues: number;
  /** NIM parts of rows judged by each release */
  releases: Record<string, number>;
  /** the whole file was read */
  complete: boolean;
  /** complete, and no row has an error */
  valid: boolean;
}

/** An issue as a report shows it. */
function entry(i: ValidationIssue): Record<string, unknown> {
  const out: Record<string, unknown> = { severity: i.severity, type: i.type, code: i.code };
  if (i.txType) out.txIssueType = i.txType;
  if (i.element) out.element = i.element;
  if (i.column !== undefined) out.column = i.column;
  if (i.release) out.release = i.release;
  if (i.valueSet) out.valueSet = i.valueSet;
  out.text = i.text;
  return out;
}

/** Most distinct notes kept (they are about columns and bindings, so a real file has few). */
const MAX_NOTES = 1000;

export type Write = (text: string) => void | Promise<void>;

export class SubmissionReport {
  private readonly bySeverity = { error: 0, warning: 0, information: 0 };
  private readonly byType: Partial<Record<IssueType, number>> = {};
  private readonly notes = new Map<string, { issue: ValidationIssue; rows: number; firstRow: number }>();
  private notesDropped = 0;
  private readonly releases: Record<string, number> = {};
  private rows = 0;
  private rowsWithErrors = 0;
  private rowsWithWarnings = 0;
  private rowsWithIssues = 0;
  private wroteRow = false;

  constructor(private readonly write: Write) {}

  async begin(head: ReportHead): Promise<void> {
    const parts = [`"format":${JSON.stringify(head.format)}`];
    if (head.release) parts.push(`"release":${JSON.stringify(head.release)}`);
    if (head.columns) parts.push(`"columns":${JSON.stringify(head.columns)}`);
    await this.write(`{${parts.join(',')},"rows":[`);
  }

  /** A NIM part of a row was judged by this release. */
  judgedBy(release: string): void {
    this.releases[release] = (this.releases[release] ?? 0) + 1;
  }

  async row(row: number, line: number, issues: ValidationIssue[]): Promise<void> {
    this.rows++;
    const own: ValidationIssue[] = [];
    for (const i of issues) {
      if (NOTE_TYPES.has(i.type)) this.note(i, row);
      else own.push(i);
    }
    if (own.length === 0) return;
    this.rowsWithIssues++;
    let errors = false;
    let warnings = false;
    for (const i of own) {
      if (i.severity === 'error' || i.severity === 'fatal') errors = true;
      if (i.severity === 'warning') warnings = true;
      const sev = i.severity === 'fatal' ? 'error' : i.severity;
      this.bySeverity[sev]++;
      this.byType[i.type] = (this.byType[i.type] ?? 0) + 1;
    }
    if (errors) this.rowsWithErrors++;
    if (warnings) this.rowsWithWarnings++;
    const text = JSON.stringify({ row, line, issues: own.map(entry) });
    await this.write(this.wroteRow ? `,\n${text}` : `\n${text}`);
    this.wroteRow = true;
  }

  private note(i: ValidationIssue, row: number): void {
    const key = `${i.type}\u0000${i.release ?? ''}\u0000${i.text}`;
    const had = this.notes.get(key);
    if (had) had.rows++;
    else if (this.notes.size < MAX_NOTES) this.notes.set(key, { issue: i, rows: 1, firstRow: row });
    else this.notesDropped++;
  }

  /** Ends the report; `fatal` says why the file could not be read to its end. */
  async end(fatal?: string): Promise<SubmissionSummary> {
    const notes: Record<string, unknown>[] = [...this.notes.values()].map((n) => ({ ...entry(n.issue), rows: n.rows, firstRow: n.firstRow }));
    if (this.notesDropped) notes.push({ severity: 'information', type: 'not-checked', code: 'informational', text: `${this.notesDropped} further notes were left out`, rows: this.notesDropped, firstRow: 0 });
    const summary: SubmissionSummary = {
      rows: this.rows,
      rowsWithErrors: this.rowsWithErrors,
      rowsWithWarnings: this.rowsWithWarnings,
      rowsWithoutIssues: this.rows - this.rowsWithIssues,
      releases: this.releases,
      complete: fatal === undefined,
      valid: fatal === undefined && this.rowsWithErrors === 0,
    };
    const tail: string[] = [`"notes":${JSON.stringify(notes)}`, `"counts":${JSON.stringify({ bySeverity: this.bySeverity, byType: this.byType })}`, `"summary":${JSON.stringify(summary)}`];
    if (fatal !== undefined) tail.push(`"fatal":${JSON.stringify({ severity: 'fatal', text: fatal })}`);
    await this.write(`${this.wroteRow ? '\n' : ''}],${tail.join(',')}}\n`);
    return summary;
  }
}
