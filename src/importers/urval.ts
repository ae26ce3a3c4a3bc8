import path from 'node:path';
import type { ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { ImportError, Importer } from './importer';
import { SheetTable, TableRow, Worksheet, cellText, readTable, readWorkbook, sheetLines } from './xlsx';
import { ICF_URL, at, cleanDisplay, fhirId, normaliseCode, pascal, published, slug } from './icf';
import { KSI_URL } from './ksi-icf-map';
import { KVA_URL } from './kva';

/**
 * Socialstyrelsen's urval: selections of ICF, KSI and KVÅ codes published as workbooks
 * (`urval-informationsutbyte.xlsx`, `urval-icf-kva-kommunal-halso-och-sjukvard-2026.xlsx`,
 * `urval-icf-kva-nutrition-och-undernaring.xlsx`). Each selection sheet becomes a ValueSet over
 * the code system its code column names.
 *
 * Grouping rows ("SoL", "LSS" in the KSI urval; the Nivåer 1 and 2 headings of the KVÅ urval; the
 * ICF components b, d, e above their categories) are kept as structure the FHIR R4 way: each
 * group is a ValueSet of its own, titled by its heading, and the ValueSet above it includes it
 * through compose.include.valueSet (R4 has no titled groups inside one compose). The sheet's
 * ValueSet includes its top-level groups (and any codes before the first heading), so expanding
 * it gives the whole selection and expanding a group gives that part.
 *
 * Membership: where the sheet has an "Urval" column, a row is selected when it holds 1; without
 * it every code row is. Code-system versions are pinned only where the instructions say which
 * version the selection is based on ("utifrån ICF version 2026", "utifrån KVÅ 2026"); otherwise
 * the binding floats (the latest version of the code system).
 */

const URVAL_URL = 'https://kodverk.se/fhir/ValueSet/urval-';

/** The code column names the code system a sheet selects from. */
const KODVERK = [
  { header: 'ICF-kod', name: 'ICF', slug: 'icf', url: ICF_URL },
  { header: 'KSI-kod', name: 'KSI', slug: 'ksi', url: KSI_URL },
  { header: 'KVÅ-kod', name: 'KVÅ', slug: 'kva', url: KVA_URL },
] as const;
type Kodverk = (typeof KODVERK)[number];

const TITLE_HEADERS = ['ICF-titel', 'ICF kategori', 'ICF-kategori', 'KSI kodtext', 'KVÅ kodtext', 'Titel/Kodtext', 'Kodtext'];
const URVAL = 'Urval';
const NIVAER = 'Nivåer';
/** Sheets that summarise changes ("Tillagda o borttagna KVÅ-koder") are not selections. */
const CHANGE_SUMMARY = /tillagda|borttagna/i;
/** ICF components (b, s, d, e) head the categories below them; the urval count only categories. */
const ICF_KOMPONENT = /^[bdes]$/;

/** The selection a workbook publishes, from the first line of its instructions sheet. */
interface UrvalInfo {
  /** "Urval ur ICF och KVÅ för kommunal hälso- och sjukvård" */
  title: string;
  /** "kommunal-halso-och-sjukvard": what the selection is for */
  slug: string;
  year: string;
  /** "2026.1.0" for "2026 version 1.0" */
  version: string;
  date?: string;
  /** code-system versions the instructions say the selection is based on */
  pins: Map<string, string>;
}

/** A row of a selection sheet: a heading (group) or a code. */
interface UrvalRad {
  row: number;
  heading?: { text: string; level: number; code?: string };
  code?: string;
  display?: string;
  selected: boolean;
}

/** A group of the selection (the sheet itself is the root group). */
interface Grupp {
  heading?: string;
  /** the heading's own code (KVÅ "PA000"), which names its URL */
  code?: string;
  level: number;
  concepts: { code: string; display?: string }[];
  groups: Grupp[];
  parent?: Grupp;
}

function urvalInfo(sheet: Worksheet, file: string): UrvalInfo {
  const texts = sheetLines(sheet).flatMap((l) => l.texts);
  const m = /^(.*?)\s+(\d{4})\s+version\s+([\d.]+)\s*(?:\((\d{4}-\d{2}-\d{2})\))?/i.exec(texts[0] ?? '');
  if (!m) throw new ImportError('the first line does not name the selection ("Urval ur … <år> version <n> (<datum>)")', { file: path.basename(file), sheet: sheet.name, row: 1 });
  const title = cleanDisplay(m[1])!;
  const pins = new Map<string, string>();
  for (const t of texts) for (const p of t.matchAll(/utifrån\s+(ICF|KSI|KVÅ)(?:\s+version)?\s+(\d{4})/gi)) pins.set(p[1].toUpperCase(), p[2]);
  return { title, slug: slug(/\bför\s+(.*)$/i.exec(title)?.[1] ?? title), year: m[2], version: `${m[2]}.${m[3]}`, date: m[4], pins };
}

/**
 * The code system of a sheet: its leftmost known code column (within the first three rows). KVÅ
 * sheets also have an "ICF-kod" column further right, naming related ICF codes.
 */
function kodverkOf(sheet: Worksheet): Kodverk | undefined {
  for (let r = 1; r <= Math.min(3, sheet.rowCount); r++) {
    let found: { kodverk: Kodverk; col: number } | undefined;
    sheet.getRow(r).eachCell((c, col) => {
      const kodverk = KODVERK.find((k) => k.header.toLowerCase() === cellText(c.value).toLowerCase());
      if (kodverk && (!found || col < found.col)) found = { kodverk, col };
    });
    if (found) return found.kodverk;
  }
  return undefined;
}

/** Is the row selected? With an "Urval" column when it holds 1; without one, every code row (not a heading). */
function isSelected(r: TableRow, table: SheetTable, code: string | undefined, heading: boolean): boolean {
  if (!table.columns.has(URVAL)) return !heading && code !== undefined;
  const v = r.text(URVAL);
  if (v !== '' && v !== '1') throw new ImportError(`"${v}" in the Urval column (expected 1 or empty)`, at(table, URVAL, r.row));
  if (v === '1' && !code) throw new ImportError('a selected row without a code', at(table, URVAL, r.row));
  return v === '1';
}

/** The heading level of a row, when the sheet has a "Nivåer" column. */
function nivaOf(r: TableRow, table: SheetTable): number | undefined {
  if (!table.columns.has(NIVAER)) return undefined;
  const level = Number(r.text(NIVAER));
  if (!Number.isInteger(level) || level < 1) throw new ImportError(`"${r.text(NIVAER)}" is not a level`, at(table, NIVAER, r.row));
  return level;
}

/**
 * What a row is. With a "Nivåer" column, rows above the deepest level are headings (a heading's
 * own code, when selected, belongs to its group: KVÅ PC001). Without it, a heading is a row with
 * only a code-column text ("SoL") or only a title ("UTREDNING/BEDÖMNING/UPPFÖLJNING"), or an ICF
 * component (the urval count categories only).
 */
function urvalRad(r: TableRow, table: SheetTable, kodverk: Kodverk, titleHeader: string | undefined, deepest: number): UrvalRad | undefined {
  const raw = r.text(kodverk.header);
  const code = normaliseCode(raw) || undefined;
  const display = titleHeader ? cleanDisplay(r.text(titleHeader)) : undefined;
  if (!code && !display) return undefined;
  const niva = nivaOf(r, table);
  if (niva !== undefined && niva < deepest) {
    return { row: r.row, heading: { text: [code, display].filter(Boolean).join(' '), level: niva, code }, code, display, selected: isSelected(r, table, code, true) };
  }
  if (niva === undefined && (!code || !display || (kodverk.slug === 'icf' && ICF_KOMPONENT.test(code)))) {
    return { row: r.row, heading: { text: display ?? cleanDisplay(raw)!, level: 1 }, selected: false };
  }
  return { row: r.row, code, display, selected: isSelected(r, table, code, false) };
}

function deepestLevel(table: SheetTable): number {
  if (!table.columns.has(NIVAER)) return 1;
  return Math.max(...table.rows.map((r) => Number(r.text(NIVAER))).filter(Number.isInteger));
}

/** The rows of a sheet as nested groups; headings open a group at their level. */
function grupper(rader: UrvalRad[]): Grupp {
  const root: Grupp = { level: 0, concepts: [], groups: [] };
  let open = root;
  for (const rad of rader) {
    if (rad.heading) {
      while (open.level >= rad.heading.level) open = open.parent!;
      const g: Grupp = { heading: rad.heading.text, code: rad.heading.code, level: rad.heading.level, concepts: [], groups: [], parent: open };
      open.groups.push(g);
      open = g;
    }
    if (rad.selected && rad.code && !open.concepts.some((c) => c.code === rad.code)) open.concepts.push({ code: rad.code, display: rad.display });
  }
  return root;
}

interface SheetUrval {
  sheet: string;
  kodverk: Kodverk;
  url: string;
  root: Grupp;
  selected: number;
}

function readUrvalSheet(sheet: Worksheet, kodverk: Kodverk, file: string): Omit<SheetUrval, 'url'> {
  const table = readTable(sheet, { required: [kodverk.header], optional: [...TITLE_HEADERS, URVAL, NIVAER], file: path.basename(file), headerWithin: 3 });
  const titleHeader = TITLE_HEADERS.find((h) => table.columns.has(h));
  const deepest = deepestLevel(table);
  const rader = table.rows.map((r) => urvalRad(r, table, kodverk, titleHeader, deepest)).filter((r): r is UrvalRad => r !== undefined);
  return { sheet: sheet.name, kodverk, root: grupper(rader), selected: rader.filter((r) => r.selected).length };
}

/** The sheet's URL: by its code system ("Urval KVÅ 2026" → …-kva), or by its name for other sheets. */
function sheetUrl(info: UrvalInfo, file: string, sheet: string, kodverk: Kodverk, used: Set<string>): string {
  const byKodverk = `${URVAL_URL}${info.slug}-${kodverk.slug}`;
  const url = /urval/i.test(sheet) && !used.has(byKodverk) ? byKodverk : `${URVAL_URL}${info.slug}-${slug(sheet)}`;
  if (used.has(url)) throw new ImportError(`another sheet already gives the value set ${url}`, { file: path.basename(file), sheet });
  used.add(url);
  return url;
}

// ---- FHIR resources --------------------------------------------------------------------------

function pinNote(info: UrvalInfo, kodverk: Kodverk): string {
  const pin = info.pins.get(kodverk.name);
  return pin
    ? `Urvalet är enligt anvisningarna baserat på ${kodverk.name} ${pin}; kodverksversionen är låst till den.`
    : `Anvisningarna anger ingen version av ${kodverk.name}; bindningen är flytande (senaste versionen).`;
}

/**
 * One ValueSet per group: the group's own codes and its subgroups (by canonical with version).
 * Group URLs are the sheet's URL and the heading (its code when it has one: …-kva-pa000), made
 * unique within the sheet by a running number.
 */
function groupValueSets(info: UrvalInfo, s: SheetUrval, g: Grupp, url: string, titlePath: string[], used = new Set([url])): ValueSet[] {
  // a heading with nothing selected below it would be a ValueSet without compose.include (1..*)
  const children = g.groups.filter(hasCodes).map((child) => {
    let childUrl = `${s.url}-${slug(child.code ?? child.heading!)}`;
    for (let n = 2; used.has(childUrl); n++) childUrl = `${s.url}-${slug(child.code ?? child.heading!)}-${n}`;
    used.add(childUrl);
    return { child, url: childUrl };
  });
  const include: ValueSetComposeInclude[] = [];
  const pin = info.pins.get(s.kodverk.name);
  if (g.concepts.length) include.push({ system: s.kodverk.url, ...(pin ? { version: pin } : {}), concept: g.concepts.map((c) => (c.display ? { code: c.code, display: c.display } : { code: c.code })) });
  for (const c of children) include.push({ valueSet: [`${c.url}|${info.version}`] });
  const tail = url.slice(url.lastIndexOf('/') + 1);
  const own: ValueSet = {
    resourceType: 'ValueSet',
    id: fhirId(`${tail}-${info.version}`),
    language: 'sv',
    url,
    version: info.version,
    name: pascal(tail),
    title: [`${info.title} ${info.year}: ${s.sheet.trim()}`, ...titlePath].join(' – '),
    ...published(info.date),
    description: `${titlePath.length ? `Gruppen "${titlePath[titlePath.length - 1]}" i ` : ''}${info.title} ${info.year} (version ${info.version}), fliken "${s.sheet.trim()}". ${pinNote(info, s.kodverk)}`,
    compose: { include },
  };
  return [own, ...children.flatMap((c) => groupValueSets(info, s, c.child, c.url, [...titlePath, c.child.heading!], used))];
}

function hasCodes(g: Grupp): boolean {
  return g.concepts.length > 0 || g.groups.some(hasCodes);
}

function countGroups(g: Grupp): number {
  return g.groups.filter(hasCodes).reduce((n, c) => n + 1 + countGroups(c), 0);
}

export const urvalImporter: Importer = {
  format: 'urval',
  description: "Socialstyrelsen's urval (selections of ICF, KSI and KVÅ codes) as value sets, one per selection sheet and heading",
  async read(input, _options, progress) {
    progress.start('reading the urval workbook');
    const wb = await readWorkbook(input);
    const instructions = wb.worksheets.find((ws) => /^anvisningar/i.test(ws.name.trim()));
    if (!instructions) throw new ImportError('the sheet is missing', { file: path.basename(input), sheet: 'ANVISNINGAR' });
    const info = urvalInfo(instructions, input);
    const used = new Set<string>();
    const sheets: SheetUrval[] = [];
    for (const ws of wb.worksheets) {
      const kodverk = kodverkOf(ws);
      if (ws === instructions || CHANGE_SUMMARY.test(ws.name) || !kodverk) continue;
      const read = readUrvalSheet(ws, kodverk, input);
      if (!hasCodes(read.root)) throw new ImportError('no code of the sheet is selected', { file: path.basename(input), sheet: ws.name });
      sheets.push({ ...read, url: sheetUrl(info, input, ws.name, kodverk, used) });
    }
    if (sheets.length === 0) throw new ImportError('no selection sheet (a sheet with an ICF-kod, KSI-kod or KVÅ-kod column)', { file: path.basename(input) });
    const resources = sheets.flatMap((s) => groupValueSets(info, s, s.root, s.url, []));
    return {
      resources,
      publisherVersion: `${info.year} version ${info.version.slice(info.year.length + 1)}${info.date ? ` (${info.date})` : ''}`,
      notes: [
        `${info.title} ${info.year} (version ${info.version}): ${resources.length} value sets`,
        ...sheets.map((s) => `  "${s.sheet.trim()}": ${s.selected} ${s.kodverk.name} codes selected, ${countGroups(s.root)} groups${info.pins.has(s.kodverk.name) ? `, pinned to ${s.kodverk.name} ${info.pins.get(s.kodverk.name)}` : ''} → ${s.url}`),
      ],
    };
  },
};
