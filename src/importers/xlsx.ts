/**
 * Reading Socialstyrelsen's Excel releases (KSI, KVÅ, ICF, urval, the OID series) with exceljs.
 *
 * Their sheets are tables with a header row (not always the first row: a title may come first),
 * cells hold plain text, numbers, rich text, formulas (their computed result is what the
 * publisher saw) or hyperlinks, and columns are found by their header text. Everything that is
 * wrong with a workbook is reported as an ImportError naming the sheet, the column and the row.
 *
 * Stable API for every importer of these workbooks:
 *   readWorkbook(file)                     the workbook, or an ImportError
 *   sheetOf(workbook, name, file?)         one sheet, or an ImportError listing the sheets there are
 *   cellText(value) / cellLink(value)      the text (or link target) of any cell value
 *   cleanText(text)                        text as FHIR can carry it (also for non-Excel sources)
 *   sheetLines(sheet)                      the non-empty rows of a free-text sheet (Anvisningar, Läs mig)
 *   readTable(sheet, spec)                 a table: header row found, columns by header, data rows
 *   keyedRows(table, column)               rows by a key column; refuses empty and duplicate keys
 *   stringProperty(code, text)             a CodeSystem concept property of type string, or nothing
 *   SOCIALSTYRELSEN                        publisher and jurisdiction of the resources made from them
 *   resourceId(prefix, version)            a FHIR id for one version of a resource (ksi-2025)
 *   socialstyrelsenCodeSystem(…)           a CodeSystem of theirs: Swedish, complete, declared properties
 *   socialstyrelsenValueSet(…)             a ValueSet of theirs
 */
import fs from 'node:fs';
import path from 'node:path';
import type ExcelJS from 'exceljs';
import type { CodeSystem, CodeSystemConcept, CodeSystemConceptProperty, CodeSystemProperty, CodeableConcept, ValueSet } from 'fhir/r4';
import { ImportError } from './importer';

export type Workbook = ExcelJS.Workbook;
export type Worksheet = ExcelJS.Worksheet;
export type CellValue = ExcelJS.CellValue;

/** Reads an .xlsx file; a missing or unreadable file is an ImportError naming it. */
export async function readWorkbook(file: string): Promise<Workbook> {
  if (!fs.existsSync(file)) throw new ImportError(`${file} does not exist`);
  // loaded on first use: exceljs takes 0.3 s to load, which every other command (and a Snomed CT import) would pay
  const excel = await import('exceljs');
  const workbook = new excel.Workbook();
  try {
    await workbook.xlsx.readFile(file);
  } catch (e) {
    throw new ImportError(`not a readable .xlsx workbook (${(e as Error).message})`, { file: path.basename(file) });
  }
  return workbook;
}

/** A sheet by its exact name; when it is missing, the error lists the sheets the workbook has. */
export function sheetOf(workbook: Workbook, name: string, file?: string): Worksheet {
  const sheet = workbook.getWorksheet(name);
  if (!sheet) {
    const present = workbook.worksheets.map((s) => `"${s.name}"`).join(', ');
    throw new ImportError(`the sheet is missing (the workbook has ${present || 'no sheets'})`, { file, sheet: name });
  }
  return sheet;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * Text as FHIR can carry it: NFC, line breaks as \n, Unicode spaces (the releases have
 * non-breaking spaces inside titles, which the FHIR R4 string pattern refuses) as plain spaces,
 * zero-width characters removed, and no leading or trailing white space (stray spaces after
 * codes and titles are common).
 */
export function cleanText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/\r\n?/g, '\n')
    .replace(/[\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g, ' ')
    .replace(/[\u200b-\u200d\u2060\ufeff]/g, '')
    .trim();
}

/**
 * The text a cell shows (cleaned as cleanText does): rich text joined, a formula's computed
 * result, a hyperlink's text, dates as YYYY-MM-DD, numbers without formatting; errors and empty
 * cells give ''.
 */
export function cellText(value: CellValue | unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString().slice(0, 10);
  if (typeof value === 'string') return cleanText(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (!isObject(value)) return '';
  if (Array.isArray(value.richText)) return cellText(value.richText.map((r: { text?: string }) => r.text ?? '').join(''));
  if ('formula' in value || 'sharedFormula' in value) return cellText(value.result);
  if ('hyperlink' in value) return cellText(value.text);
  return '';
}

/** The target of a hyperlink cell (the text shown may differ from it), else the cell's text. */
export function cellLink(value: CellValue): string {
  if (isObject(value) && typeof value.hyperlink === 'string') return value.hyperlink.trim();
  return cellText(value);
}

/** Header texts compare without case, line breaks and spacing ("Ändrad Aktivitet_\nkod " = "Ändrad Aktivitet_kod"). */
export function headerKey(text: string): string {
  return text.normalize('NFC').replace(/_\s+/g, '_').replace(/\s+/g, ' ').trim().toLocaleLowerCase('sv');
}

/** The non-empty rows of a free-text sheet, as the texts of their cells (from column A). */
export function sheetLines(sheet: Worksheet): { row: number; texts: string[] }[] {
  const out: { row: number; texts: string[] }[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const texts: string[] = [];
    for (let c = 1; c <= row.cellCount; c++) texts.push(cellText(row.getCell(c).value));
    while (texts.length && texts[texts.length - 1] === '') texts.pop();
    if (texts.length) out.push({ row: rowNumber, texts });
  });
  return out;
}

export interface TableSpec {
  /** headers that must be present (a missing one is an ImportError naming it) */
  required: readonly string[];
  /** headers read when present */
  optional?: readonly string[];
  /** how many rows from the top may come before the header row (titles, notes) */
  headerWithin?: number;
  /** file name for error messages */
  file?: string;
}

/** One data row of a table: cells by header, with its 1-based row number in the sheet. */
export interface TableRow {
  row: number;
  /** the cell under this header as text ('' when empty or when the column is absent) */
  text(header: string): string;
  /** the raw cell value under this header */
  value(header: string): CellValue;
  /** a hyperlink's target under this header, else its text */
  link(header: string): string;
  /** the text in a column by its letter (for the columns without a header) */
  textAt(letter: string): string;
}

export interface SheetTable {
  sheet: string;
  file?: string;
  headerRow: number;
  /** column number of every header found (by the header as given in the spec) */
  columns: Map<string, number>;
  /** columns without a header that hold values in some row, by column letter */
  unnamedColumns: string[];
  rows: TableRow[];
}

/** The row (among the first `within`) holding the most of the required headers. */
function findHeaderRow(sheet: Worksheet, required: readonly string[], within: number): number | undefined {
  const wanted = new Set(required.map(headerKey));
  let best: { row: number; hits: number } | undefined;
  for (let r = 1; r <= Math.min(within, sheet.rowCount); r++) {
    const row = sheet.getRow(r);
    let hits = 0;
    for (let c = 1; c <= row.cellCount; c++) if (wanted.has(headerKey(cellText(row.getCell(c).value)))) hits++;
    if (hits > 0 && (!best || hits > best.hits)) best = { row: r, hits };
  }
  return best?.row;
}

/** Column numbers of the spec's headers in the header row; a missing required one is refused. */
function headerColumns(sheet: Worksheet, headerRow: number, spec: TableSpec): { columns: Map<string, number>; named: Set<number> } {
  const byKey = new Map<string, number>();
  const named = new Set<number>();
  const row = sheet.getRow(headerRow);
  for (let c = 1; c <= row.cellCount; c++) {
    const key = headerKey(cellText(row.getCell(c).value));
    if (!key) continue;
    named.add(c);
    if (!byKey.has(key)) byKey.set(key, c);
  }
  const columns = new Map<string, number>();
  for (const header of [...spec.required, ...(spec.optional ?? [])]) {
    const c = byKey.get(headerKey(header));
    if (c !== undefined) columns.set(header, c);
    else if (spec.required.includes(header)) {
      throw new ImportError(`the column is missing from the header row`, { file: spec.file, sheet: sheet.name, column: header, row: headerRow });
    }
  }
  return { columns, named };
}

function isBlankRow(row: ExcelJS.Row): boolean {
  for (let c = 1; c <= row.cellCount; c++) if (cellText(row.getCell(c).value) !== '') return false;
  return true;
}

/**
 * Reads a sheet as a table: finds the header row, maps the spec's headers to columns (a missing
 * required header is an ImportError naming sheet, column and header row) and returns the
 * non-blank rows below it. Blank rows (releases carry formatted empty rows) are skipped.
 */
export function readTable(sheet: Worksheet, spec: TableSpec): SheetTable {
  const headerRow = findHeaderRow(sheet, spec.required, spec.headerWithin ?? 10);
  if (headerRow === undefined) {
    throw new ImportError(`no header row with the columns ${spec.required.map((h) => `"${h}"`).join(', ')} among the first ${spec.headerWithin ?? 10} rows`, {
      file: spec.file,
      sheet: sheet.name,
    });
  }
  const { columns, named } = headerColumns(sheet, headerRow, spec);
  const unnamed = new Set<number>();
  const rows: TableRow[] = [];
  for (let r = headerRow + 1; r <= sheet.rowCount; r++) {
    const row = sheet.getRow(r);
    if (isBlankRow(row)) continue;
    for (let c = 1; c <= row.cellCount; c++) if (!named.has(c) && cellText(row.getCell(c).value) !== '') unnamed.add(c);
    const cell = (header: string): CellValue => {
      const c = columns.get(header);
      return c === undefined ? null : row.getCell(c).value;
    };
    rows.push({ row: r, value: cell, text: (h) => cellText(cell(h)), link: (h) => cellLink(cell(h)), textAt: (letter) => cellText(row.getCell(letter).value) });
  }
  const unnamedColumns = [...unnamed].sort((a, b) => a - b).map((c) => sheet.getColumn(c).letter);
  return { sheet: sheet.name, file: spec.file, headerRow, columns, unnamedColumns, rows };
}

/**
 * Rows by the text of a key column (codes). An empty key in a row that has content, or a key
 * seen before, is an ImportError naming the sheet, the column and the row.
 */
export function keyedRows(table: SheetTable, column: string): Map<string, TableRow> {
  const out = new Map<string, TableRow>();
  for (const r of table.rows) {
    const key = r.text(column);
    const where = { file: table.file, sheet: table.sheet, column, row: r.row };
    if (key === '') throw new ImportError('empty code in a row that has content', where);
    const before = out.get(key);
    if (before) throw new ImportError(`duplicate code '${key}' (also on row ${before.row})`, where);
    out.set(key, r);
  }
  return out;
}

/** Publisher and jurisdiction (Sweden) of the resources made from Socialstyrelsen's releases. */
export const SOCIALSTYRELSEN: { publisher: string; jurisdiction: CodeableConcept[] } = {
  publisher: 'Socialstyrelsen',
  jurisdiction: [{ coding: [{ system: 'urn:iso:std:iso:3166', code: 'SE' }] }],
};

/** A FHIR id for one version of a resource: ids allow letters, digits, '-' and '.' (ksi-2025). */
export function resourceId(prefix: string, version: string | undefined): string {
  return `${prefix}-${(version ?? 'utan-version').replace(/[^A-Za-z0-9.-]/g, '-')}`.slice(0, 64);
}

/** A string property of a concept, or nothing when the text is empty. */
export function stringProperty(code: string, text: string): CodeSystemConceptProperty[] {
  return text === '' ? [] : [{ code, valueString: text }];
}

/** Every concept of a nested list (for counts and the properties they use). */
function allConcepts(list: CodeSystemConcept[]): CodeSystemConcept[] {
  return list.flatMap((c) => [c, ...allConcepts(c.concept ?? [])]);
}

type Describing<T> = Pick<T, Extract<keyof T, 'id' | 'url' | 'version' | 'name' | 'title' | 'description' | 'date'>>;

/**
 * A CodeSystem made from one of Socialstyrelsen's releases: active, Swedish, complete and
 * case-sensitive (their codes are written one way), declaring those of `declarations` that its
 * concepts use (so a flat export does not declare the columns only the Excel release has).
 */
export function socialstyrelsenCodeSystem(fields: Describing<CodeSystem>, concept: CodeSystemConcept[], declarations: CodeSystemProperty[]): CodeSystem {
  const all = allConcepts(concept);
  const used = new Set(all.flatMap((c) => (c.property ?? []).map((p) => p.code)));
  return {
    resourceType: 'CodeSystem',
    ...fields,
    status: 'active',
    experimental: false,
    ...SOCIALSTYRELSEN,
    language: 'sv',
    caseSensitive: true,
    content: 'complete',
    count: all.length,
    property: declarations.filter((d) => used.has(d.code)),
    concept,
  };
}

/** A ValueSet made from one of Socialstyrelsen's releases (active, Swedish). */
export function socialstyrelsenValueSet(fields: Describing<ValueSet> & Pick<ValueSet, 'compose'>): ValueSet {
  return { resourceType: 'ValueSet', ...fields, status: 'active', experimental: false, ...SOCIALSTYRELSEN, language: 'sv' };
}
