import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { CodeSystem, CodeSystemConcept, CodeSystemProperty, ConceptMap, ValueSet } from 'fhir/r4';
import { ImportError, ImportOptions, ImportResult, Importer, Progress, SourceLocation } from './importer';
import { BEDOMNINGSFAKTORER, ICF_URL } from '../terminology/providers/icf';
import { CellValue, SOCIALSTYRELSEN, SheetTable, TableRow, Workbook, Worksheet, cellText, readTable, readWorkbook, sheetLines, sheetOf } from './xlsx';
import { ICF_OID, ksiIcfConceptMapsFromStore } from './ksi-icf-map';
import type { ResourceStore } from '../store/resource-store';
import { parseTsv } from './ksi';
import { inCodeOrder } from './code-order';
import { compareVersions } from '../terminology/versions';

/**
 * Socialstyrelsen's Swedish ICF: the release workbook (`icf-2025-inkl-core-sets.xlsx`, sheets
 * "Anvisningar", "MASTER med Core Sets <år>", "ICF Core Sets", "Borttagna koder") and the older
 * flat export (`icf.tsv`). Output: one CodeSystem per version (components, chapters, blocks and
 * categories as one is-a hierarchy), one ValueSet per ICF Core Set, and a ConceptMap from removed
 * codes to the codes that replace them.
 */

export { ICF_URL };
const CORESET_URL = 'https://kodverk.se/fhir/ValueSet/icf-coreset-';
const BORTTAGNA_URL = 'https://kodverk.se/fhir/ConceptMap/icf-borttagna';
const TITLE = 'Internationell klassifikation av funktionstillstånd, funktionshinder och hälsa (ICF)';
/** Alternative titles are synonyms: shorter Swedish terms for the same category. */
const SYNONYM = { system: 'http://snomed.info/sct', code: '900000000000013009', display: 'Synonym' };
const CONCEPT_PROPERTIES = 'http://hl7.org/fhir/concept-properties';

// ---- helpers shared with the urval importer --------------------------------------------------

/** A code as written in a cell, without the stray spaces and line breaks the files contain ("b1\n\n"). */
export function normaliseCode(raw: string): string {
  return raw.replace(/\s+/g, '');
}

/** Cell text for a term or description: trimmed, Windows line ends unified, blank = undefined. */
export function cleanText(raw: string): string | undefined {
  const t = raw.replace(/\r\n?/g, '\n').trim();
  return t === '' ? undefined : t;
}

/** A display: one line, single spaces (the files have trailing line breaks in titles). */
export function cleanDisplay(raw: string): string | undefined {
  const t = raw.replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t;
}

/**
 * A sheet whose name matches, ignoring case and the stray spaces of published names
 * (" ICF urval", "ICF Core Sets ") and the year in "MASTER med Core Sets 2025". When none does,
 * the shared ImportError names the sheet and lists those the workbook has.
 */
export function sheetLike(wb: Workbook, file: string, label: string, matches: (name: string) => boolean): Worksheet {
  return wb.worksheets.find((ws) => matches(ws.name.trim().toLowerCase())) ?? sheetOf(wb, label, path.basename(file));
}

/** Where something is in a table, for an ImportError. */
export function at(table: SheetTable, column?: string, row?: number): SourceLocation {
  return { file: table.file, sheet: table.sheet, column, row };
}

/** Lowercase ASCII (å, ä, ö folded to a, a, o), runs of anything but letters, digits and `keep` as '-'. */
function fold(text: string, keep: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(new RegExp(`[^a-z0-9${keep}]+`, 'g'), '-')
    .replace(/^-+|-+$/g, '');
}

/** A slug for URLs: "Low Back Pain Brief" → low-back-pain-brief. */
export function slug(text: string): string {
  return fold(text, '');
}

/** A FHIR id (letters, digits, '-' and '.', at most 64): long ones are cut and kept unique by a short hash. */
export function fhirId(text: string): string {
  const s = fold(text, '.');
  if (s.length <= 64) return s;
  const hash = crypto.createHash('sha1').update(s).digest('hex').slice(0, 8);
  return `${s.slice(0, 55).replace(/[-.]+$/, '')}-${hash}`;
}

// ---- the ICF release as read from either format -------------------------------------------

type Kodniva = 'komponent' | 'kapitel' | 'block' | 'kategori';

/** The change-date columns of the workbook, as concept properties (dates since 2016). */
const ANDRINGSDATUM = [
  { property: 'nyKod', column: 'Ny kod', description: 'Datum då koden infördes' },
  { property: 'andradText', column: 'Ändrad text', description: 'Datum för ändrad text (benämning, beskrivning, innefattar eller utesluter)' },
  { property: 'borttagenKod', column: 'Borttagen kod', description: 'Datum då koden togs bort' },
  { property: 'nyAlternativTerm', column: 'Ny Alternativ term', description: 'Datum för ny alternativ term' },
  { property: 'andradAlternativTerm', column: 'Ändrad Alternativ term', description: 'Datum för ändrad alternativ term (ny, ändrad eller borttagen)' },
] as const;
type Andringsdatum = (typeof ANDRINGSDATUM)[number]['property'];

/** One row of the classification: a component, chapter, block or category. */
interface IcfKategori {
  code: string;
  display: string;
  parent?: string;
  kodniva: Kodniva;
  alternativTitel?: string;
  beskrivning?: string;
  innefattar?: string;
  utesluter?: string;
  anmarkning?: string;
  kommentar?: string;
  bedomningsfaktor?: string;
  datum: { property: Andringsdatum; date: string }[];
  /** removed from the classification ("Borttagna koder"), with the code replacing it if named */
  borttagen?: { ersattAv?: string };
}

interface IcfCoreSet {
  name: string;
  group?: string;
  note?: string;
  codes: string[];
}

/** A removed code whose code the current classification uses again for another meaning. */
interface AteranvandKod {
  code: string;
  oldTitle: string;
  newTitle: string;
}

interface IcfRelease {
  version: string;
  /** publication date of the release, when the file states it */
  date?: string;
  publisherVersion: string;
  kategorier: IcfKategori[];
  coreSets: IcfCoreSet[];
  ateranvanda: AteranvandKod[];
  notes: string[];
}

const ICF_CODE = /^[bdes](\d{1,5}[A-Z]?)?$/;
const BLOCK_RANGE = /\(([bdes]\d{3})\s*-\s*([bdes]\d{3})\)\s*$/;

function kodnivaOf(code: string): Kodniva {
  if (code.length === 1) return 'komponent';
  if (code.length === 2) return 'kapitel';
  return code.includes('-') ? 'block' : 'kategori';
}

/** Categories below the second level hang under the code one character shorter (b1528A → b1528). */
function parentByCode(code: string): string | undefined {
  if (code.length === 1) return undefined;
  if (code.length === 2) return code[0];
  return code.length >= 5 ? code.slice(0, -1) : undefined;
}

// ---- dates -----------------------------------------------------------------------------------

const EXCEL_EPOCH = Date.UTC(1899, 11, 30);

/** An Excel serial day number (1900 date system) as an ISO date. */
function excelSerialToIso(serial: number): string {
  return new Date(EXCEL_EPOCH + Math.round(serial) * 86_400_000).toISOString().slice(0, 10);
}

/**
 * Every date in a change-date cell: a date cell, an Excel serial number, or text with one date
 * per line ("2016-01-01\n2021-01-01", "(2017-01-01)\n2021-01-01": earlier changes are kept).
 */
function datesIn(v: CellValue, where: SourceLocation): string[] {
  if (v === null || v === undefined) return [];
  if (v instanceof Date) return [v.toISOString().slice(0, 10)];
  if (typeof v === 'number') {
    if (v < 1 || v > 100_000) throw new ImportError(`${v} is not an Excel date`, where);
    return [excelSerialToIso(v)];
  }
  const text = cellText(v);
  if (!text) return [];
  const found = text.match(/\d{4}-\d{2}-\d{2}/g);
  if (!found) throw new ImportError(`"${text}" holds no date (expected YYYY-MM-DD or an Excel date)`, where);
  return found;
}

// ---- the workbook ----------------------------------------------------------------------------

const COLUMNS = {
  kod: 'ICF-koder',
  titel: 'Benämning/kodtext',
  block: 'Block',
  beskrivning: 'Beskrivning',
  innefattar: 'Innefattar',
  utesluter: 'Utesluter',
  anmarkning: 'Anmärkning',
  kommentar: 'Anmärkning/kommentar',
} as const;
/** MASTER says "Alternativ titel", Borttagna koder (and Anvisningar) "Alternativ term". */
const ALTERNATIV_TITEL = ['Alternativ titel', 'Alternativ term'];
/** "Borttagna koder" has no "Ny Alternativ term" column; every other column is required. */
const OPTIONAL_DATES = new Set<Andringsdatum>(['nyAlternativTerm']);

/** A row of a classification sheet (MASTER or Borttagna koder), before the hierarchy is known. */
interface SheetRow {
  row: number;
  code?: string;
  title: string;
  /** the Block column: 1–5 a block, 0 chapter level, 9 no block */
  block: string;
  fields: Pick<IcfKategori, 'alternativTitel' | 'beskrivning' | 'innefattar' | 'utesluter' | 'anmarkning' | 'kommentar'>;
  datum: IcfKategori['datum'];
}

/** Reads a classification sheet: its columns by header (a missing one is refused) and its rows. */
function readClassification(sheet: Worksheet, file: string): { table: SheetTable; rows: SheetRow[] } {
  const dates = ANDRINGSDATUM.map((d) => d.column);
  const table = readTable(sheet, {
    required: [...Object.values(COLUMNS), ...ANDRINGSDATUM.filter((d) => !OPTIONAL_DATES.has(d.property)).map((d) => d.column)],
    optional: [...ALTERNATIV_TITEL, ...dates],
    file: path.basename(file),
    headerWithin: 3,
  });
  const alternativ = ALTERNATIV_TITEL.find((c) => table.columns.has(c));
  if (!alternativ) throw new ImportError('the column is missing from the header row', at(table, ALTERNATIV_TITEL[0], table.headerRow));
  const rows: SheetRow[] = [];
  for (const r of table.rows) {
    const row = sheetRow(r, table, alternativ);
    if (row) rows.push(row);
  }
  return { table, rows };
}

function sheetRow(r: TableRow, table: SheetTable, alternativ: string): SheetRow | undefined {
  const code = normaliseCode(r.text(COLUMNS.kod)) || undefined;
  const title = cleanDisplay(r.text(COLUMNS.titel));
  if (!code && !title) return undefined;
  if (code && !ICF_CODE.test(code)) throw new ImportError(`"${r.text(COLUMNS.kod)}" is not an ICF code`, at(table, COLUMNS.kod, r.row));
  if (!title) throw new ImportError(`the code ${code} has no title`, at(table, COLUMNS.titel, r.row));
  return {
    row: r.row,
    code,
    title,
    block: r.text(COLUMNS.block),
    fields: {
      alternativTitel: cleanDisplay(r.text(alternativ)),
      beskrivning: cleanText(r.text(COLUMNS.beskrivning)),
      innefattar: cleanText(r.text(COLUMNS.innefattar)),
      utesluter: cleanText(r.text(COLUMNS.utesluter)),
      anmarkning: cleanText(r.text(COLUMNS.anmarkning)),
      kommentar: cleanText(r.text(COLUMNS.kommentar)),
    },
    datum: ANDRINGSDATUM.filter((d) => table.columns.has(d.column)).flatMap((d) =>
      datesIn(r.value(d.column), at(table, d.column, r.row)).map((date) => ({ property: d.property, date })),
    ),
  };
}

/** A block row has no code: its code is the range in its title, "(b110-b139)". */
function blockCode(row: SheetRow, table: SheetTable): string {
  const m = BLOCK_RANGE.exec(row.title);
  if (!m) throw new ImportError(`"${row.title}" has no ICF code and is not a block (no range such as "(b110-b139)" in the title)`, at(table, COLUMNS.kod, row.row));
  return `${m[1]}-${m[2]}`;
}

interface Block {
  code: string;
  /** chapter code + block number ("b1.2"), as the position columns give them */
  key: string;
  from: string;
  to: string;
  members: string[];
  kategori: IcfKategori;
}

/**
 * The hierarchy of the workbook. The codes carry it (b1528A under b1528, b1 under b), except for
 * second-level categories, whose block is given by the position column "Block" (0 and 9: no
 * block, the category hangs under its chapter). The "Kodnivå" column is not used: it disagrees
 * with the codes in the 2025 file (d5601 "level 4", s11052 "level 3").
 */
class HierarchyBuilder {
  readonly kategorier: IcfKategori[] = [];
  readonly byCode = new Map<string, { kategori: IcfKategori; location: SourceLocation }>();
  private readonly blocks: Block[] = [];
  private readonly pendingBlock = new Map<IcfKategori, string>();

  add(row: SheetRow, table: SheetTable, extra: Partial<IcfKategori> = {}): IcfKategori {
    const code = row.code ?? blockCode(row, table);
    const seen = this.byCode.get(code);
    if (seen) throw new ImportError(`the code ${code} occurs twice (first in sheet "${seen.location.sheet}" row ${seen.location.row})`, at(table, COLUMNS.kod, row.row));
    const kodniva = kodnivaOf(code);
    const kategori: IcfKategori = { code, display: row.title, kodniva, parent: parentByCode(code), datum: row.datum, ...row.fields, ...extra };
    if (kodniva === 'block') {
      const [from, to] = code.split('-');
      this.blocks.push({ code, key: `${from.slice(0, 2)}.${row.block}`, from, to, members: [], kategori });
      kategori.parent = from.slice(0, 2);
    } else if (kodniva === 'kategori' && code.length === 4) {
      this.pendingBlock.set(kategori, row.block);
    }
    this.kategorier.push(kategori);
    this.byCode.set(code, { kategori, location: at(table, COLUMNS.kod, row.row) });
    return kategori;
  }

  /** Links second-level categories to their blocks and checks that every parent exists. */
  finish(notes: string[]): void {
    for (const [kategori, blockNo] of this.pendingBlock) {
      const block = this.blockOf(kategori.code, blockNo);
      kategori.parent = block ? block.code : kategori.code.slice(0, 2);
      block?.members.push(kategori.code);
    }
    this.correctBlockRanges(notes);
    for (const k of this.kategorier) {
      if (k.parent !== undefined && !this.byCode.has(k.parent)) {
        throw new ImportError(`the parent ${k.parent} of ${k.code} is not in the classification`, this.byCode.get(k.code)!.location);
      }
    }
  }

  /** The block of a second-level category: by the Block column (0 and 9: none), else by range. */
  private blockOf(code: string, blockNo: string): Block | undefined {
    if (blockNo === '0' || blockNo === '9') return undefined;
    const key = `${code.slice(0, 2)}.${blockNo}`;
    return this.blocks.find((b) => b.key === key) ?? this.blocks.find((b) => b.from[0] === code[0] && b.from <= code && code <= b.to);
  }

  /**
   * A block's title may give a wrong range: the 2025 file says "(b510-b569)" for a block whose
   * categories are b510–b539 (b540–b559 is the next block; icf.tsv and WHO say b510-b539). A
   * block whose range overlaps another's takes the span of its own categories as its code.
   */
  private correctBlockRanges(notes: string[]): void {
    for (const b of this.blocks) {
      const overlaps = this.blocks.some((o) => o !== b && o.code[0] === b.code[0] && o.from <= b.to && b.from <= o.to);
      if (!overlaps || b.members.length === 0) continue;
      const sorted = [...b.members].sort();
      const corrected = `${sorted[0]}-${sorted[sorted.length - 1]}`;
      if (corrected === b.code) continue;
      notes.push(`block "${b.kategori.display}" overlaps another block; its code (and the range in its title) is ${corrected}, the span of its categories, instead of ${b.code}`);
      b.kategori.display = b.kategori.display.replace(BLOCK_RANGE, `(${corrected})`);
      const seen = this.byCode.get(b.code)!;
      this.byCode.delete(b.code);
      b.kategori.code = corrected;
      this.byCode.set(corrected, seen);
      for (const k of this.kategorier) if (k.parent === b.code) k.parent = corrected;
      b.code = corrected;
    }
  }
}

/** "Koden ändrad till d134", "Heter numera d3100", "ersätts med d5703": the replacing code. */
function replacementIn(comment: string | undefined): string | undefined {
  const m = /(?:ändrad till|heter numera|ersätts (?:med|av))\s+([bdes]\d{1,5}[A-Z]?)/i.exec(comment ?? '');
  return m?.[1];
}

/** Release year and version from "Denna version 2025 1.1 (2025-01-09) ersätter …" (or the MASTER sheet name). */
function releaseOf(anvisningar: Worksheet, master: Worksheet, file: string, override: string | undefined) {
  const line = sheetLines(anvisningar)
    .flatMap((l) => l.texts)
    .find((t) => /version\s+\d{4}/i.test(t));
  const m = /version\s+(\d{4})(?:\s+([\d.]+))?\s*(?:\((\d{4}-\d{2}-\d{2})\))?/i.exec(line ?? '');
  const year = override ?? m?.[1] ?? /(\d{4})/.exec(master.name)?.[1];
  if (!year) throw new ImportError('no release year: neither a "Denna version <år>" line nor a year in the MASTER sheet name', { file: path.basename(file), sheet: anvisningar.name, row: 1 });
  return { version: year, date: m?.[3], publisherVersion: m ? [m[1], m[2]].filter(Boolean).join(' ') + (m[3] ? ` (${m[3]})` : '') : year };
}

/** Levenshtein distance, for core-set names the publisher spelt differently in two sheets. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

function coreSetKey(name: string): string {
  return name.replace(/\*/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * The notes of the "ICF Core Sets" sheet, per core set. Its names differ slightly from the
 * MASTER headers ("Autism Comprehensive*", "Adults with Cereral Palsy"): names are compared
 * without asterisks and case, and a unique name within two edits is taken as the same set.
 */
function coreSetNotes(sheet: Worksheet, file: string, names: string[]): Map<string, string> {
  const table = readTable(sheet, { required: ['ICF Core Set'], optional: ['ANMÄRKNING'], file: path.basename(file), headerWithin: 3 });
  const notes = new Map<string, string>();
  for (const r of table.rows) {
    const key = coreSetKey(r.text('ICF Core Set'));
    const note = cleanText(r.text('ANMÄRKNING'));
    if (!key || !note) continue;
    const close = names.filter((n) => editDistance(coreSetKey(n), key) <= 2);
    const name = names.find((n) => coreSetKey(n) === key) ?? (close.length === 1 ? close[0] : undefined);
    if (name) notes.set(name, note);
  }
  return notes;
}

/**
 * The core-set columns of the MASTER sheet: from the first column whose group row (above the
 * header row) names "ICF Core Sets" to the last named column; each belongs to the group named
 * above it or to its left.
 */
function coreSetColumns(sheet: Worksheet, table: SheetTable): { col: number; name: string; group?: string }[] {
  const groupRow = sheet.getRow(table.headerRow - 1);
  const header = sheet.getRow(table.headerRow);
  let start: number | undefined;
  for (let col = 1; col <= sheet.columnCount && start === undefined; col++) if (/core sets?/i.test(cellText(groupRow.getCell(col).value))) start = col;
  if (start === undefined) throw new ImportError('no "ICF Core Sets" group header above the core-set columns', at(table, undefined, table.headerRow - 1));
  const out: { col: number; name: string; group?: string }[] = [];
  let group: string | undefined;
  const seen = new Map<string, number>();
  for (let col = start; col <= sheet.columnCount; col++) {
    group = cleanDisplay(cellText(groupRow.getCell(col).value)) ?? group;
    const name = cleanDisplay(cellText(header.getCell(col).value));
    if (!name) continue;
    const previous = seen.get(slug(name));
    if (previous !== undefined) throw new ImportError(`the core set "${name}" occurs twice (first in column ${sheet.getColumn(previous).letter})`, at(table, name, table.headerRow));
    seen.set(slug(name), col);
    out.push({ col, name, group });
  }
  return out;
}

/** Reads the release workbook. */
async function readIcfWorkbook(file: string, options: ImportOptions, progress: Progress): Promise<IcfRelease> {
  progress.start('reading the ICF workbook');
  const wb = await readWorkbook(file);
  const anvisningar = sheetLike(wb, file, 'Anvisningar', (n) => n === 'anvisningar');
  const master = sheetLike(wb, file, 'MASTER med Core Sets', (n) => n.startsWith('master'));
  const coreSetSheet = sheetLike(wb, file, 'ICF Core Sets', (n) => n === 'icf core sets');
  const borttagnaSheet = sheetLike(wb, file, 'Borttagna koder', (n) => n === 'borttagna koder');
  const release = releaseOf(anvisningar, master, file, typeof options.version === 'string' ? options.version : undefined);
  const notes: string[] = [];

  const hierarchy = new HierarchyBuilder();
  const { table, rows } = readClassification(master, file);
  const rowKategori = new Map<SheetRow, IcfKategori>();
  for (const row of rows) rowKategori.set(row, hierarchy.add(row, table));
  const ateranvanda = readBorttagna(borttagnaSheet, file, hierarchy);
  hierarchy.finish(notes);

  const columns = coreSetColumns(master, table);
  const noteByName = coreSetNotes(coreSetSheet, file, columns.map((c) => c.name));
  const coreSets = columns.map(({ col, name, group }) => ({
    name,
    group,
    note: noteByName.get(name),
    // codes read after finish(): a corrected block code is the one listed
    codes: rows.filter((r) => cellText(master.getRow(r.row).getCell(col).value) !== '').map((r) => rowKategori.get(r)!.code),
  }));
  return { ...release, kategorier: hierarchy.kategorier, coreSets, ateranvanda, notes };
}

/**
 * "Borttagna koder": removed codes become retired concepts, with the code that replaces them when
 * the comment names one. Some removed codes (d3101, d3102, e260, e2600 in 2025) are used again by
 * the current classification for another meaning: one code, one concept, so the current one is
 * kept and the import summary lists them.
 */
function readBorttagna(sheet: Worksheet, file: string, hierarchy: HierarchyBuilder): AteranvandKod[] {
  const { table, rows } = readClassification(sheet, file);
  const ateranvanda: AteranvandKod[] = [];
  for (const row of rows) {
    const current = row.code ? hierarchy.byCode.get(row.code) : undefined;
    if (current && current.location.sheet !== sheet.name) {
      ateranvanda.push({ code: row.code!, oldTitle: row.title, newTitle: current.kategori.display });
      continue;
    }
    hierarchy.add(row, table, { borttagen: { ersattAv: replacementIn(row.fields.kommentar) } });
  }
  return ateranvanda;
}

// ---- the flat export -------------------------------------------------------------------------

const TSV_COLUMNS = ['Kod', 'Överordnad kod', 'Titel', 'Alternativ titel', 'Beskrivning', 'Innefattar', 'Utesluter', 'Anmärkning', 'Bedömningsfaktor'] as const;

/** The Bedömningsfaktor column holds HTML; kept as plain text with one line per list item. */
function htmlToText(html: string): string | undefined {
  const text = html
    .replace(/<li>/gi, '\n')
    .replace(/<\/(div|ul|li)>|<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n');
  return cleanText(text);
}

/**
 * The flat export has no version: `--version` gives it, or it is derived from the content as
 * `0.<first 12 hex digits of its sha256>`. The derived version is stable (same file, same
 * version) and sorts below every published year, so it never becomes the default ICF.
 */
function tsvVersion(text: string, options: ImportOptions): string {
  if (typeof options.version === 'string' && options.version) return options.version;
  return `0.${crypto.createHash('sha256').update(text).digest('hex').slice(0, 12)}`;
}

function readIcfTsv(file: string, options: ImportOptions, progress: Progress): IcfRelease {
  progress.start('reading the ICF export');
  const name = path.basename(file);
  const text = fs.readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  const [header, ...rows] = parseTsv(text);
  const index = new Map((header?.fields ?? []).map((f, i) => [f.trim(), i]));
  for (const c of TSV_COLUMNS) if (!index.has(c)) throw new ImportError('the column is missing from the header line', { file: name, column: c, row: 1 });
  const field = (r: { fields: string[] }, c: (typeof TSV_COLUMNS)[number]) => r.fields[index.get(c)!] ?? '';
  const kategorier: IcfKategori[] = [];
  const lineOf = new Map<string, number>();
  for (const r of rows) {
    const code = normaliseCode(field(r, 'Kod'));
    if (!ICF_CODE.test(code) && !/^[bdes]\d{3}-[bdes]\d{3}$/.test(code)) throw new ImportError(`"${field(r, 'Kod')}" is not an ICF code`, { file: name, column: 'Kod', row: r.line });
    if (lineOf.has(code)) throw new ImportError(`the code ${code} occurs twice (first on line ${lineOf.get(code)})`, { file: name, column: 'Kod', row: r.line });
    lineOf.set(code, r.line);
    const display = cleanDisplay(field(r, 'Titel'));
    if (!display) throw new ImportError(`the code ${code} has no title`, { file: name, column: 'Titel', row: r.line });
    kategorier.push({
      code,
      display,
      parent: normaliseCode(field(r, 'Överordnad kod')) || undefined,
      kodniva: kodnivaOf(code),
      alternativTitel: cleanDisplay(field(r, 'Alternativ titel')),
      beskrivning: cleanText(field(r, 'Beskrivning')),
      innefattar: cleanText(field(r, 'Innefattar')),
      utesluter: cleanText(field(r, 'Utesluter')),
      anmarkning: cleanText(field(r, 'Anmärkning')),
      bedomningsfaktor: htmlToText(field(r, 'Bedömningsfaktor')),
      datum: [],
    });
  }
  for (const k of kategorier) {
    if (k.parent && !lineOf.has(k.parent)) throw new ImportError(`the parent ${k.parent} of ${k.code} is not in the file`, { file: name, column: 'Överordnad kod', row: lineOf.get(k.code) });
  }
  const version = tsvVersion(text, options);
  return { version, publisherVersion: version, kategorier, coreSets: [], ateranvanda: [], notes: [] };
}

// ---- FHIR resources --------------------------------------------------------------------------

function property(code: string, type: CodeSystemProperty['type'], description: string, uri?: string): CodeSystemProperty {
  return uri ? { code, uri, description, type } : { code, description, type };
}

const PROPERTIES: CodeSystemProperty[] = [
  property('status', 'code', 'retired för koder som tagits bort ur klassifikationen (fliken Borttagna koder)', `${CONCEPT_PROPERTIES}#status`),
  property('notSelectable', 'boolean', 'Block är intervall av kategorier och används inte som koder', `${CONCEPT_PROPERTIES}#notSelectable`),
  property('kodniva', 'code', 'komponent, kapitel, block eller kategori'),
  property('nationellFordjupning', 'boolean', 'Nationell fördjupningskod (sedan 2017): stor bokstav efter koden för annan specificerad'),
  property('innefattar', 'string', 'Vad som innefattas'),
  property('utesluter', 'string', 'Uteslutande ICF-kapitel, block och kategorier'),
  property('anmarkning', 'string', 'Funktionsnedsättningar som förekommer vid olika hälsotillstånd'),
  property('kommentar', 'string', 'Socialstyrelsens kommentar till ändringen (Anmärkning/kommentar)'),
  property('bedomningsfaktor', 'string', 'Komponentens bedömningsfaktorer (endast i den platta exporten)'),
  ...ANDRINGSDATUM.map((d) => property(d.property, 'dateTime', d.description)),
  property('ersattAv', 'code', 'Koden som ersätter en borttagen kod'),
  ...BEDOMNINGSFAKTORER.map((b) => property(b.property, 'Coding', `Bedömningsfaktor i en kod med bedömningsfaktorer: ${b.namn}`)),
];

function conceptOf(k: IcfKategori): CodeSystemConcept {
  const props: NonNullable<CodeSystemConcept['property']> = [{ code: 'kodniva', valueCode: k.kodniva }];
  if (k.kodniva === 'block') props.push({ code: 'notSelectable', valueBoolean: true });
  if (/[A-Z]$/.test(k.code)) props.push({ code: 'nationellFordjupning', valueBoolean: true });
  for (const key of ['innefattar', 'utesluter', 'anmarkning', 'kommentar', 'bedomningsfaktor'] as const) {
    const v = k[key];
    if (v) props.push({ code: key, valueString: v });
  }
  for (const d of k.datum) props.push({ code: d.property, valueDateTime: d.date });
  if (k.borttagen) {
    props.push({ code: 'status', valueCode: 'retired' });
    if (k.borttagen.ersattAv) props.push({ code: 'ersattAv', valueCode: k.borttagen.ersattAv });
  }
  return {
    code: k.code,
    display: k.display,
    ...(k.beskrivning ? { definition: k.beskrivning } : {}),
    ...(k.alternativTitel && k.alternativTitel !== k.display ? { designation: [{ language: 'sv', use: SYNONYM, value: k.alternativTitel }] } : {}),
    property: props,
  };
}

/** The concepts nested as the hierarchy (the loader derives parents and the closure from it). */
function nestedConcepts(kategorier: IcfKategori[]): CodeSystemConcept[] {
  const roots: CodeSystemConcept[] = [];
  const byCode = new Map<string, CodeSystemConcept>();
  for (const k of kategorier) byCode.set(k.code, conceptOf(k));
  for (const k of kategorier) {
    const c = byCode.get(k.code)!;
    const parent = k.parent ? byCode.get(k.parent) : undefined;
    if (parent) (parent.concept ??= []).push(c);
    else roots.push(c);
  }
  return roots;
}

/** Status, publisher and jurisdiction of everything made from Socialstyrelsen's releases. */
export function published(date: string | undefined) {
  return { status: 'active' as const, experimental: false, ...(date ? { date } : {}), publisher: SOCIALSTYRELSEN.publisher, jurisdiction: SOCIALSTYRELSEN.jurisdiction };
}

function versionId(prefix: string, version: string): string {
  return fhirId(`${prefix}-${version}`);
}

function icfCodeSystem(r: IcfRelease): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    id: versionId('icf', r.version),
    language: 'sv',
    url: ICF_URL,
    identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:oid:${ICF_OID}` }],
    version: r.version,
    name: 'ICF',
    title: TITLE,
    ...published(r.date),
    description: `Socialstyrelsens svenska version av ICF, version ${r.publisherVersion}: komponenter, kapitel, block och kategorier (med nationella fördjupningskoder) i en hierarki. Koder anges med bedömningsfaktorer (t.ex. d4500.2, e310+3, s7501.273). Borttagna koder ingår som inaktiva (status retired).`,
    caseSensitive: true,
    hierarchyMeaning: 'is-a',
    content: 'complete',
    count: r.kategorier.length,
    property: PROPERTIES,
    concept: inCodeOrder(nestedConcepts(r.kategorier)),
  };
}

/** "low-back-pain-brief" → LowBackPainBrief, for the computer-friendly `name` of a resource. */
export function pascal(text: string): string {
  return slug(text)
    .split('-')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

function coreSetValueSet(r: IcfRelease, cs: IcfCoreSet): ValueSet {
  const s = slug(cs.name);
  return {
    resourceType: 'ValueSet',
    id: versionId(`icf-coreset-${s}`, r.version),
    language: 'sv',
    url: CORESET_URL + s,
    version: r.version,
    name: `IcfCoreSet${pascal(cs.name)}`,
    title: `ICF Core Set: ${cs.name}`,
    ...published(r.date),
    description: [`ICF Core Set "${cs.name}"${cs.group ? ` (${cs.group})` : ''} enligt Socialstyrelsens ICF ${r.publisherVersion}.`, cs.note].filter(Boolean).join(' '),
    compose: { include: [{ system: ICF_URL, version: r.version, concept: cs.codes.map((code) => ({ code })) }] },
  };
}

/**
 * Removed codes → their replacements (only those the sheet names a replacement for). Removed
 * codes the current classification uses again (d3101, d3102, e260, e2600 in 2025) are left out:
 * translating today's d3101 to the replacement of its removed meaning would be wrong.
 */
function borttagnaConceptMap(r: IcfRelease): ConceptMap | undefined {
  const display = new Map(r.kategorier.map((k) => [k.code, k.display]));
  const element: NonNullable<ConceptMap['group']>[number]['element'] = [];
  for (const k of r.kategorier) {
    const to = k.borttagen?.ersattAv;
    if (to) element.push({ code: k.code, display: k.display, target: [{ code: to, display: display.get(to), equivalence: 'equivalent' }] });
  }
  if (element.length === 0) return undefined;
  const reused = r.ateranvanda.length
    ? ` Koderna ${r.ateranvanda.map((a) => a.code).join(', ')} har tagits bort i en tidigare betydelse men används nu för en annan; de mappas inte.`
    : '';
  return {
    resourceType: 'ConceptMap',
    id: versionId('icf-borttagna', r.version),
    language: 'sv',
    url: BORTTAGNA_URL,
    version: r.version,
    name: 'IcfBorttagnaKoder',
    title: 'ICF: borttagna koder → ersättande koder',
    ...published(r.date),
    description: `Borttagna ICF-koder och koderna som ersätter dem, enligt fliken "Borttagna koder" i Socialstyrelsens ICF ${r.publisherVersion}.${reused}`,
    group: [{ source: ICF_URL, sourceVersion: r.version, target: ICF_URL, targetVersion: r.version, element }],
  };
}

function summary(r: IcfRelease, map: ConceptMap | undefined): string[] {
  const count = (n: Kodniva) => r.kategorier.filter((k) => k.kodniva === n && !k.borttagen).length;
  const nationella = r.kategorier.filter((k) => /[A-Z]$/.test(k.code) && !k.borttagen).length;
  const lines = [
    `ICF ${r.version} (${r.publisherVersion}): ${r.kategorier.length} concepts — ${count('komponent')} components, ${count('kapitel')} chapters, ${count('block')} blocks, ${count('kategori')} categories (${nationella} national), ${r.kategorier.filter((k) => k.borttagen).length} removed (retired)`,
  ];
  if (r.coreSets.length) lines.push(`${r.coreSets.length} ICF Core Sets as value sets`);
  if (map) lines.push(`removed codes mapped to their replacements: ${map.group![0].element.length} (${BORTTAGNA_URL})`);
  for (const a of r.ateranvanda) lines.push(`removed code ${a.code} ("${a.oldTitle}") is used again for "${a.newTitle}": kept active, not mapped`);
  return [...lines, ...r.notes];
}

/**
 * The KSI → ICF maps of the KSI versions in the store, rebuilt against this ICF so that KSI's
 * ICF ranges resolve to its codes. Only when this is the latest ICF there: importing an older
 * ICF must not point the maps at it.
 */
function ksiIcfMaps(r: IcfRelease, store: ResourceStore): ConceptMap[] {
  const icf = { version: r.version, concepts: r.kategorier.map((k) => ({ code: k.code, display: k.display })) };
  const newer = store.byUrl('CodeSystem', ICF_URL).some((s) => compareVersions(s.resource.version, r.version) > 0);
  return newer ? [] : ksiIcfConceptMapsFromStore(store, icf);
}

function resourcesOf(r: IcfRelease, store: ResourceStore): ImportResult {
  const map = borttagnaConceptMap(r);
  const ksiMaps = ksiIcfMaps(r, store);
  const notes = summary(r, map);
  if (ksiMaps.length) notes.push(`KSI → ICF maps rebuilt against ICF ${r.version}: ${ksiMaps.map((m) => `KSI ${m.version}`).join(', ')}`);
  return {
    resources: [icfCodeSystem(r), ...r.coreSets.map((cs) => coreSetValueSet(r, cs)), ...(map ? [map] : []), ...ksiMaps],
    publisherVersion: r.publisherVersion,
    notes,
  };
}

export const icfImporter: Importer = {
  format: 'icf',
  description: "Socialstyrelsen's Swedish ICF: the release workbook (.xlsx with core sets) or the flat export (icf.tsv; --version sets its version)",
  async read(input, options, progress, store) {
    if (!fs.existsSync(input) || fs.statSync(input).isDirectory()) throw new ImportError('expected an ICF workbook (.xlsx) or the flat export (.tsv)', { file: input });
    if (/\.xlsx$/i.test(input)) return resourcesOf(await readIcfWorkbook(input, options, progress), store);
    if (/\.(tsv|txt)$/i.test(input)) return resourcesOf(readIcfTsv(input, options, progress), store);
    throw new ImportError('expected an ICF workbook (.xlsx) or the flat export (.tsv)', { file: path.basename(input) });
  },
};
