/**
 * KSI — Klassifikation av socialtjänstens insatser och aktiviteter (Socialstyrelsen).
 *
 * Reads the Excel release (`ksi-2025.xlsx`: sheets Anvisningar, Kapitel, Inriktning, Agerande,
 * Aktiviteter, Aktivitetsstatus KSI) or the older flat export (`ksi.tsv`) and produces:
 *   - the CodeSystem KSI (kapitel → inriktning → aktivitet; every aktivitet code split into its
 *     axes inriktning.agerande.metod as properties, so `agerande = PH` selects färdighetsträning),
 *   - the CodeSystem of the agerande axis (sheet Agerande),
 *   - the CodeSystem and ValueSet Aktivitetsstatus KSI,
 *   - one ValueSet per sakområde flag (ÄOH, …, EkBistHU): a filter `<flag> = true` pinned to the
 *     KSI version it was imported from,
 *   - the ConceptMap KSI → ICF (see ksi-icf-map.ts).
 *
 * Decisions where the release is ambiguous (each is reported in the import summary):
 *   - Version: the year in the Anvisningar title ("Anvisningar KSI 2025, version 1.0" → 2025).
 *     ksi.tsv states none: `--version`, else `0-tsv-<first 8 hex of the file's sha256>` (stable
 *     for the same file, and the leading 0 sorts it before every year-named release, so a request
 *     without a version still gets the newest Excel release).
 *   - Kapitel and inriktningar stay selectable: the Anvisningar do not call them groupings, and a
 *     validator asked whether `SA1` is a KSI code should say yes. What a sakområde may document is
 *     its value set, which only holds aktiviteter.
 *   - Chapter codes are written without the spaces around the dash ("SA - SC" → "SA-SC"), as in
 *     Socialstyrelsen's own flat export, so both releases use the same codes.
 *   - The Aktiviteter sheet is authoritative for codes (they are what is documented). An inriktning
 *     row whose code no aktivitet uses, while an inriktning used by aktiviteter is missing from the
 *     sheet with the same text, describes that inriktning (2025: S2 → SF2, "SIF SI2" → SI2, VB1 →
 *     VA1, VCE → VEC, VBR → VEN). Inriktningar still missing get their text from the Aktiviteter
 *     sheet (Inriktning_text). Axis columns that disagree with the code are noted; the code wins.
 *   - Placement of an inriktning: under the inriktning of a lower level in its chapter whose ICF
 *     code or range covers its own, else one with the same two first letters, else the chapter's
 *     only level-1 inriktning, else the chapter (closest level first). Its level is
 *     Inriktning_nivå unless its code says otherwise (Anvisningar: codes ending in 1 are level 1,
 *     in 2 level 2); without a level it follows from the code and ICF code.
 *   - Sakområde flags: 1 = in the selection, 0 = not (Anvisningar). A cell starting with 1 ("1?",
 *     "1 (inkl. SiS)") counts as 1; any other value ("2") as 0; an empty cell sets no flag. Cells
 *     other than 0/1 are kept as they stand in the property `urvalsanmärkning`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { CodeSystem, CodeSystemConcept, CodeSystemConceptProperty, CodeSystemProperty, Coding, ValueSet } from 'fhir/r4';
import { ImportError, ImportOptions, ImportResult, Importer, SourceLocation } from './importer';
import { TableRow, Workbook, cleanText, keyedRows, readTable, readWorkbook, resourceId, sheetLines, sheetOf, socialstyrelsenCodeSystem, socialstyrelsenValueSet, stringProperty } from './xlsx';
import { ICF_PROPERTY, IcfKoder, KSI_URL, TYP_PROPERTY, buildKsiIcfConceptMap, icfKoderFromStore, icfOmfattar, parseIcfReferenser } from './ksi-icf-map';
import { sourceHash } from './run-import';
import { inCodeOrder } from './code-order';

export { KSI_URL };
export const KSI_OID = '1.2.752.116.1.3.2.3.8';
export const KSI_AGERANDE_URL = 'https://kodverk.se/fhir/CodeSystem/ksi-agerande';
export const KSI_AKTIVITETSSTATUS_URL = 'https://kodverk.se/fhir/CodeSystem/ksi-aktivitetsstatus';
const VALUESET_BASE = 'https://kodverk.se/fhir/ValueSet/';

/** A sakområde selection flag of the Aktiviteter sheet and what it stands for. */
export interface Sakområde {
  flagga: string;
  betydelse: string;
}

export const SAKOMRÅDEN: readonly Sakområde[] = [
  { flagga: 'ÄOH', betydelse: 'äldreomsorg, handläggare' },
  { flagga: 'ÄOU', betydelse: 'äldreomsorg, utförare' },
  { flagga: 'FunkH', betydelse: 'funktionsnedsättning, handläggare' },
  { flagga: 'FunkU', betydelse: 'funktionsnedsättning, utförare' },
  { flagga: 'BoUH', betydelse: 'barn och unga, handläggare' },
  { flagga: 'BoUU', betydelse: 'barn och unga, utförare' },
  { flagga: 'VuxMissbrukH', betydelse: 'vuxna inklusive missbruk och beroende, handläggare' },
  { flagga: 'VuxMissbrukU', betydelse: 'vuxna inklusive missbruk och beroende, utförare' },
  { flagga: 'EkBistHU', betydelse: 'ekonomiskt bistånd, handläggare och utförare' },
];

/** The url of a sakområde's value set: the flag in lower-case ASCII (ÄOH → ksi-aoh). */
export function sakområdeValueSetUrl(flagga: string): string {
  return `${VALUESET_BASE}ksi-${flagga.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()}`;
}

export const KSI_AKTIVITETSSTATUS_VALUESET_URL = `${VALUESET_BASE}ksi-aktivitetsstatus`;

const AKTIVITETSKOD = /^([A-Z0-9]{3})\.([A-Z0-9]{2})\.([A-Z0-9]{2})$/;
const KAPITELKOD = /^([A-Z]{2})(?:\s*-\s*([A-Z]{2}))?$/;

// ---- what both formats are read into -------------------------------------------------------

/** One concept of KSI as read from a release, before it becomes FHIR. */
interface KsiBegrepp {
  kod: string;
  text: string;
  beskrivning?: string;
  förälder?: string;
  egenskaper: CodeSystemConceptProperty[];
}

interface KsiInnehåll {
  version: string;
  datum?: string;
  /** how the release names itself, for provenance */
  utgåva: string;
  /** kapitel, inriktningar and aktiviteter, in the order they are shown */
  begrepp: KsiBegrepp[];
  ageranden: KsiBegrepp[];
  aktivitetsstatus?: { beskrivning?: string; begrepp: KsiBegrepp[] };
  /** the sakområde flags of the release, with the Anvisningar's description */
  sakområden: (Sakområde & { beskrivning: string })[];
  notes: string[];
}

/** Deviations in a release, collected per kind and reported with a few examples. */
class Anmärkningar {
  private readonly byKind = new Map<string, string[]>();

  add(kind: string, example: string): void {
    const list = this.byKind.get(kind) ?? [];
    list.push(example);
    this.byKind.set(kind, list);
  }

  lines(): string[] {
    return [...this.byKind].map(([kind, ex]) => `${kind}: ${ex.length} (${ex.slice(0, 6).join('; ')}${ex.length > 6 ? '; …' : ''})`);
  }
}

// ---- properties ----------------------------------------------------------------------------

const ÄNDRING_BESKRIVNING: Record<string, string> = {
  'ny-kod': 'År då koden infördes',
  'ändrad-kod': 'År då koden ändrades',
  'ändrad-text': 'År då benämningen ändrades',
  'ändrad-beskrivning': 'År då beskrivningen ändrades',
  'ny-innefattar': 'År då Innefattar infördes',
  'ändrad-innefattar': 'År då Innefattar ändrades',
  'ny-utesluter': 'År då Utesluter infördes',
  'ny-icf-kod': 'År då ICF-koden infördes',
  'ändrad-icf-kod': 'År då ICF-koden ändrades',
  'borttagen-kod': 'År då koden togs bort',
};

/** Change columns of each sheet and the property (a year, possibly several) each becomes. */
const AKTIVITET_ÄNDRINGAR: [string, string][] = [
  ['Ny Aktivitet_kod', 'ny-kod'],
  ['Ändrad Aktivitet_kod', 'ändrad-kod'],
  ['Ändrad Aktivitet_kodtext', 'ändrad-text'],
  ['Ändrad Aktivitet_beskrivning', 'ändrad-beskrivning'],
  ['Ny Innefattar', 'ny-innefattar'],
  ['Ändrad Innefattar', 'ändrad-innefattar'],
  ['Ny Utesluter', 'ny-utesluter'],
  ['Ändrad ICF-kod', 'ändrad-icf-kod'],
];
const INRIKTNING_ÄNDRINGAR: [string, string][] = [
  ['Ny kod', 'ny-kod'],
  ['Ändrad kod', 'ändrad-kod'],
  ['Ändrad text', 'ändrad-text'],
  ['Ändrad beskrivning', 'ändrad-beskrivning'],
  ['Ny ICF-kod', 'ny-icf-kod'],
  ['Ändrad ICF-kod', 'ändrad-icf-kod'],
  ['Borttagen kod', 'borttagen-kod'],
];

/** Every property KSI concepts may carry; a release's CodeSystem declares those it uses. */
function egenskapsdeklarationer(sakområden: KsiInnehåll['sakområden']): CodeSystemProperty[] {
  return [
    { code: TYP_PROPERTY, type: 'string', description: 'Nivå i KSI: kapitel, inriktning eller aktivitet' },
    { code: 'nivå', type: 'integer', description: 'Inriktningens hierarkiska nivå 1–4 (Inriktning_nivå), där 1 är den mest generella; motsäger filen koden gäller kodens nivå' },
    { code: 'inriktning', type: 'code', description: 'Aktivitetens inriktning (kodens tecken 1–3): vad aktiviteten riktar sig mot' },
    { code: 'agerande', type: 'Coding', description: `Aktivitetens agerande (kodens tecken 4–5): vad professionen gör, i kodverket ${KSI_AGERANDE_URL}` },
    { code: 'metod', type: 'string', description: 'Metod eller tillvägagångssätt (kodens tecken 6–7); ZZ när axeln inte används' },
    { code: 'agerandegrupp', type: 'string', description: 'Agerandegrupp: utredande eller uppföljande respektive individstödjande' },
    { code: ICF_PROPERTY, type: 'string', description: 'Relaterad ICF-kod eller intervall av ICF-koder (för ett kapitel eller block i ICF)' },
    { code: 'innefattar', type: 'string', description: 'Aktiviteter (med kod) som inkluderas i aktiviteten' },
    { code: 'utesluter', type: 'string', description: 'Aktiviteter (med kod) som utesluts ur aktiviteten' },
    ...sakområden.map((s): CodeSystemProperty => ({ code: s.flagga, type: 'boolean', description: `Ingår i urvalet ${s.flagga}: ${s.beskrivning}` })),
    {
      code: 'urvalsanmärkning',
      type: 'string',
      description: 'Urvalsmarkeringar som i filen är något annat än 0 eller 1, som de står (t.ex. "BoUU: 2"); en markering som börjar med 1 räknas som ingår',
    },
    ...Object.entries(ÄNDRING_BESKRIVNING).map(([code, description]): CodeSystemProperty => ({ code, type: 'integer', description })),
    { code: 'inactive', uri: 'http://hl7.org/fhir/concept-properties#inactive', type: 'boolean', description: 'Koden är borttagen (kolumnen Borttagen kod)' },
    { code: 'importanmärkning', type: 'string', description: 'Hur importen tolkade en avvikelse i filen för just det här begreppet' },
  ];
}

function typ(värde: 'kapitel' | 'inriktning' | 'aktivitet'): CodeSystemConceptProperty {
  return { code: TYP_PROPERTY, valueString: värde };
}

/**
 * The years in a change cell ("2017", "2017\n2025"); anything but numbers is refused. Five
 * digits pass: the 2025 release writes "20242" once, and a typo in a year is kept as published
 * rather than refusing the release over it.
 */
function ändringsår(row: TableRow, header: string, where: SourceLocation): number[] {
  const text = row.text(header);
  if (text === '') return [];
  const parts = text.split(/[\s,;]+/).filter(Boolean);
  if (!parts.every((p) => /^\d{4,5}$/.test(p))) throw new ImportError(`expected a year or years, got '${text}'`, { ...where, column: header });
  return parts.map(Number);
}

function ändringar(row: TableRow, columns: [string, string][], where: SourceLocation): CodeSystemConceptProperty[] {
  return columns.flatMap(([header, code]) => ändringsår(row, header, where).map((year) => ({ code, valueInteger: year })));
}

// ---- the Excel release ---------------------------------------------------------------------

const SHEETS = { anvisningar: 'Anvisningar', kapitel: 'Kapitel', inriktning: 'Inriktning', agerande: 'Agerande', aktiviteter: 'Aktiviteter', status: 'Aktivitetsstatus KSI' };

/** Year, release and date from the Anvisningar title ("Anvisningar KSI 2025, version 1.0" | 2024-12-04). */
function utgåvaAv(workbook: Workbook, file: string): { år: string; utgåva: string; datum?: string } {
  const lines = sheetLines(sheetOf(workbook, SHEETS.anvisningar, file));
  const title = lines.slice(0, 5).find((l) => /KSI\s+\d{4}/.test(l.texts[0] ?? ''));
  if (!title) throw new ImportError('no title naming the KSI year ("Anvisningar KSI <år>, version …") in the first rows', { file, sheet: SHEETS.anvisningar });
  const år = /KSI\s+(\d{4})/.exec(title.texts[0])![1];
  const datum = title.texts.find((t) => /^\d{4}-\d{2}-\d{2}$/.test(t));
  return { år, utgåva: [title.texts[0], datum].filter(Boolean).join(', '), datum };
}

/** The Anvisningar's description of each sakområde flag ("1= ingår i urval för …"). */
function sakområdesbeskrivningar(workbook: Workbook): KsiInnehåll['sakområden'] {
  const lines = sheetLines(workbook.getWorksheet(SHEETS.anvisningar)!);
  return SAKOMRÅDEN.map((s) => {
    const line = lines.find((l) => l.texts[0] === s.flagga);
    const first = line?.texts[1]?.split('\n')[0].replace(/^1\s*=\s*/, '').trim();
    return { ...s, beskrivning: first ? first[0].toUpperCase() + first.slice(1).replace(/\.$/, '') : `Ingår i urval för ${s.betydelse}` };
  });
}

interface Kapitel {
  kod: string;
  text: string;
  första: string;
  sista: string;
}

function läsKapitel(workbook: Workbook, file: string): Kapitel[] {
  const table = readTable(sheetOf(workbook, SHEETS.kapitel, file), { required: ['Kapitel_kod', 'Kapitel_text'], file });
  return [...keyedRows(table, 'Kapitel_kod')].map(([raw, row]) => {
    const m = KAPITELKOD.exec(raw);
    if (!m) throw new ImportError(`'${raw}' is not a chapter code (two letters, or a range such as "SA - SC")`, { file, sheet: table.sheet, column: 'Kapitel_kod', row: row.row });
    return { kod: m[2] ? `${m[1]}-${m[2]}` : m[1], text: row.text('Kapitel_text'), första: m[1], sista: m[2] ?? m[1] };
  });
}

function läsAgeranden(workbook: Workbook, file: string): KsiBegrepp[] {
  const table = readTable(sheetOf(workbook, SHEETS.agerande, file), { required: ['Agerande_kod', 'Agerande_text', 'Agerande_beskrivning', 'Agerande_grupp'], file });
  return [...keyedRows(table, 'Agerande_kod')].map(([kod, row]) => ({
    kod,
    text: row.text('Agerande_text'),
    beskrivning: row.text('Agerande_beskrivning') || undefined,
    egenskaper: stringProperty('agerandegrupp', row.text('Agerande_grupp')),
  }));
}

function läsAktivitetsstatus(workbook: Workbook, file: string): KsiInnehåll['aktivitetsstatus'] {
  const sheet = sheetOf(workbook, SHEETS.status, file);
  const table = readTable(sheet, { required: ['Kod', 'Titel', 'Beskrivning'], optional: ['Kommentar'], file });
  const title = sheetLines(sheet).find((l) => l.row < table.headerRow);
  const begrepp = [...keyedRows(table, 'Kod')].map(([kod, row]) => ({
    kod,
    text: row.text('Titel'),
    beskrivning: row.text('Beskrivning') || undefined,
    egenskaper: stringProperty('kommentar', row.text('Kommentar')),
  }));
  return { beskrivning: title?.texts[0], begrepp };
}

/** An inriktning as the Inriktning sheet (or, when missing there, the Aktiviteter sheet) gives it. */
interface Inriktning {
  kod: string;
  text: string;
  beskrivning?: string;
  /** Inriktning_nivå as given */
  nivå?: number;
  icf: string;
  /** the ICF reference used to place it (its own, or its aktiviteters' when it is missing from the sheet) */
  placeringsIcf: string;
  ändringar: CodeSystemConceptProperty[];
  anmärkningar: string[];
  /** where it was read: its row in the Inriktning sheet, or its first aktivitet's row */
  blad: string;
  rad: number;
}

const INRIKTNING_COLUMNS = ['Inriktning_kod', 'Inriktning_text', 'Inriktning_beskrivning', 'Inriktning_nivå', 'ICF-kod'];

function läsInriktningsrader(workbook: Workbook, file: string): Inriktning[] {
  const table = readTable(sheetOf(workbook, SHEETS.inriktning, file), { required: INRIKTNING_COLUMNS, optional: INRIKTNING_ÄNDRINGAR.map(([h]) => h), file });
  return [...keyedRows(table, 'Inriktning_kod')].map(([kod, row]) => {
    const where = { file, sheet: table.sheet, row: row.row };
    const nivåText = row.text('Inriktning_nivå');
    if (nivåText !== '' && !/^[1-4]$/.test(nivåText)) throw new ImportError(`expected a level 1–4, got '${nivåText}'`, { ...where, column: 'Inriktning_nivå' });
    return {
      kod,
      text: row.text('Inriktning_text'),
      beskrivning: row.text('Inriktning_beskrivning') || undefined,
      nivå: nivåText === '' ? undefined : Number(nivåText),
      icf: row.text('ICF-kod'),
      placeringsIcf: row.text('ICF-kod'),
      ändringar: ändringar(row, INRIKTNING_ÄNDRINGAR, where),
      anmärkningar: [],
      blad: table.sheet,
      rad: row.row,
    };
  });
}

const AKTIVITET_COLUMNS = [
  'Aktivitet_kod',
  'Aktivitet_text',
  'Aktivitet_beskrivning',
  'Innefattar',
  'Utesluter',
  'Inriktning_kod',
  'Inriktning_text',
  'ICF_kod',
  'Agerande_kod',
  'Agerande_text',
  'Agerandegrupp_text',
  ...SAKOMRÅDEN.map((s) => s.flagga),
];

interface Aktivitetsrad {
  kod: string;
  axlar: { inriktning: string; agerande: string; metod: string };
  row: TableRow;
}

function läsAktivitetsrader(workbook: Workbook, file: string): Aktivitetsrad[] {
  const table = readTable(sheetOf(workbook, SHEETS.aktiviteter, file), { required: AKTIVITET_COLUMNS, optional: AKTIVITET_ÄNDRINGAR.map(([h]) => h), file });
  return [...keyedRows(table, 'Aktivitet_kod')].map(([kod, row]) => ({ kod, axlar: axlarAv(kod, { file, sheet: table.sheet, column: 'Aktivitet_kod', row: row.row }), row }));
}

/** inriktning.agerande.metod of an aktivitet code; a code of another shape is refused. */
function axlarAv(kod: string, where: SourceLocation): Aktivitetsrad['axlar'] {
  const m = AKTIVITETSKOD.exec(kod);
  if (!m) throw new ImportError(`'${kod}' is not an aktivitet code (inriktning.agerande.metod, e.g. SA1.AA.ZZ)`, where);
  return { inriktning: m[1], agerande: m[2], metod: m[3] };
}

/** Normalised text for matching inriktningar across sheets. */
function jämförbar(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLocaleLowerCase('sv');
}

/** The value seen most often (ties: the first seen). */
function vanligast(values: string[]): string {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts].reduce((best, cur) => (cur[1] > best[1] ? cur : best), ['', 0])[0];
}

/**
 * The inriktningar of the release: the Inriktning sheet reconciled with the codes the
 * Aktiviteter sheet uses (see the decisions at the top of this file).
 */
function inriktningar(rader: Inriktning[], aktiviteter: Aktivitetsrad[], anm: Anmärkningar): Inriktning[] {
  const använda = new Map<string, Aktivitetsrad[]>();
  for (const a of aktiviteter) använda.set(a.axlar.inriktning, [...(använda.get(a.axlar.inriktning) ?? []), a]);
  const iArket = new Set(rader.map((r) => r.kod));
  const saknade = [...använda.keys()].filter((k) => !iArket.has(k));
  const textOf = (kod: string) => vanligast(använda.get(kod)!.map((a) => a.row.text('Inriktning_text')).filter(Boolean));
  const out: Inriktning[] = [];
  for (const rad of rader) {
    if (använda.has(rad.kod)) {
      out.push(rad);
      continue;
    }
    const träffar = saknade.filter((k) => använda.get(k)!.some((a) => jämförbar(a.row.text('Inriktning_text')) === jämförbar(rad.text)));
    if (träffar.length !== 1) {
      out.push(rad);
      continue;
    }
    const kod = träffar[0];
    saknade.splice(saknade.indexOf(kod), 1);
    anm.add('Inriktning rows whose code no aktivitet uses, read as the used inriktning with the same text', `row ${rad.rad}: '${rad.kod}' → ${kod}`);
    out.push({ ...rad, kod, anmärkningar: [`I fliken Inriktning står koden '${rad.kod}' (rad ${rad.rad}); aktiviteterna använder ${kod} med samma text`] });
  }
  for (const kod of saknade) {
    const dess = använda.get(kod)!;
    anm.add('inriktningar missing from sheet Inriktning, text taken from sheet Aktiviteter', kod);
    out.push({
      kod,
      text: textOf(kod) || kod,
      icf: '',
      placeringsIcf: vanligast(dess.map((a) => a.row.text('ICF_kod')).filter(Boolean)),
      ändringar: [],
      anmärkningar: ['Saknas i fliken Inriktning; benämningen kommer från kolumnen Inriktning_text i fliken Aktiviteter'],
      blad: SHEETS.aktiviteter,
      rad: dess[0].row.row,
    });
  }
  return out;
}

/** The level a code implies (Anvisningar: …1 is ICF chapter level, …2 block level). */
function kodnivå(kod: string): number | undefined {
  return kod.endsWith('1') ? 1 : kod.endsWith('2') ? 2 : undefined;
}

/**
 * Inriktning_nivå where the code does not say otherwise; where it does, the code's level, with
 * a note on the concept (2025: VB1, read as VA1, is level 3 in the sheet).
 */
function rättadeNivåer(lista: Inriktning[], anm: Anmärkningar): Inriktning[] {
  return lista.map((i) => {
    const frånKod = kodnivå(i.kod);
    if (i.nivå === undefined || frånKod === undefined || frånKod === i.nivå) return i;
    anm.add('Inriktning_nivå contradicting the code (the code is followed)', `${i.kod}: ${i.nivå}`);
    return { ...i, nivå: frånKod, anmärkningar: [...i.anmärkningar, `Inriktning_nivå i filen är ${i.nivå}; koden anger nivå ${frånKod}`] };
  });
}

/** The level to place an inriktning by: its own, else the code's, else its ICF code's depth. */
function placeringsnivå(i: Inriktning): number {
  if (i.nivå !== undefined) return i.nivå;
  const frånKod = kodnivå(i.kod);
  if (frånKod !== undefined) return frånKod;
  const refs = parseIcfReferenser(i.placeringsIcf).referenser;
  return refs.length === 1 && refs[0].kind === 'kod' && refs[0].code.length >= 5 ? 4 : 3;
}

function kapitelFör(kod: string, kapitel: Kapitel[]): Kapitel | undefined {
  const två = kod.slice(0, 2);
  return kapitel.find((k) => k.första <= två && två <= k.sista);
}

/** The closest (highest-level) candidate; ties go to the one listed first. */
function närmast(list: { i: Inriktning; nivå: number }[]): Inriktning | undefined {
  return list.reduce<{ i: Inriktning; nivå: number } | undefined>((best, c) => (!best || c.nivå > best.nivå ? c : best), undefined)?.i;
}

/** The parent of every inriktning (an inriktning code or a chapter code). */
function placera(lista: Inriktning[], kapitel: Kapitel[], file: string): Map<string, string> {
  const nivåer = new Map(lista.map((i) => [i.kod, placeringsnivå(i)]));
  const kapitelAv = new Map<string, Kapitel>();
  for (const i of lista) {
    const k = kapitelFör(i.kod, kapitel);
    if (!k) throw new ImportError(`inriktning '${i.kod}' belongs to no chapter of sheet Kapitel`, { file, sheet: i.blad, row: i.rad });
    kapitelAv.set(i.kod, k);
  }
  const parents = new Map<string, string>();
  for (const i of lista) {
    const nivå = nivåer.get(i.kod)!;
    const lägre = lista.filter((o) => kapitelAv.get(o.kod) === kapitelAv.get(i.kod) && nivåer.get(o.kod)! < nivå).map((o) => ({ i: o, nivå: nivåer.get(o.kod)! }));
    const avIcf = i.placeringsIcf ? lägre.filter((o) => o.i.placeringsIcf && icfOmfattar(o.i.placeringsIcf, i.placeringsIcf)) : [];
    const avKod = lägre.filter((o) => o.i.kod.slice(0, 2) === i.kod.slice(0, 2));
    const nivåEtt = lägre.filter((o) => o.nivå === 1);
    const förälder = närmast(avIcf) ?? närmast(avKod) ?? (nivåEtt.length === 1 ? nivåEtt[0].i : undefined);
    parents.set(i.kod, förälder?.kod ?? kapitelAv.get(i.kod)!.kod);
  }
  return parents;
}

function inriktningsbegrepp(i: Inriktning, förälder: string): KsiBegrepp {
  const borttagen = i.ändringar.some((p) => p.code === 'borttagen-kod');
  return {
    kod: i.kod,
    text: i.text,
    beskrivning: i.beskrivning,
    förälder,
    egenskaper: [
      typ('inriktning'),
      ...(i.nivå !== undefined ? [{ code: 'nivå', valueInteger: i.nivå }] : []),
      ...stringProperty(ICF_PROPERTY, i.icf),
      ...i.ändringar,
      ...(borttagen ? [{ code: 'inactive', valueBoolean: true }] : []),
      ...i.anmärkningar.map((a) => ({ code: 'importanmärkning', valueString: a })),
    ],
  };
}

/** The sakområde flags of a row, and the cells that are not plain 0/1 (kept as they stand). */
function flaggor(row: TableRow): { egenskaper: CodeSystemConceptProperty[]; avvikande: string[] } {
  const egenskaper: CodeSystemConceptProperty[] = [];
  const avvikande: string[] = [];
  for (const { flagga } of SAKOMRÅDEN) {
    const v = row.text(flagga);
    if (v === '') continue;
    egenskaper.push({ code: flagga, valueBoolean: v.startsWith('1') });
    if (v !== '0' && v !== '1') avvikande.push(`${flagga}: ${v}`);
  }
  return { egenskaper, avvikande };
}

function agerandeCoding(kod: string, ageranden: Map<string, KsiBegrepp>, version?: string): Coding {
  const a = ageranden.get(kod);
  return { system: KSI_AGERANDE_URL, ...(a && version ? { version } : {}), code: kod, ...(a ? { display: a.text } : {}) };
}

/** Axis columns that disagree with the code: noted on the concept and in the summary. */
function axelavvikelser(a: Aktivitetsrad, anm: Anmärkningar): string[] {
  const out: string[] = [];
  const check = (column: string, expected: string) => {
    const given = a.row.text(column);
    if (given === '' || given === expected) return;
    anm.add(`Aktiviteter: ${column} differing from the code (the code is followed)`, `${a.kod} row ${a.row.row}: '${given}'`);
    out.push(`I fliken Aktiviteter står ${column} '${given}'; koden anger ${expected}`);
  };
  check('Inriktning_kod', a.axlar.inriktning);
  check('Agerande_kod', a.axlar.agerande);
  return out;
}

function aktivitetsbegrepp(a: Aktivitetsrad, ageranden: Map<string, KsiBegrepp>, version: string, file: string, anm: Anmärkningar): KsiBegrepp {
  const where = { file, sheet: SHEETS.aktiviteter, row: a.row.row };
  const { egenskaper: flaggorna, avvikande } = flaggor(a.row);
  if (avvikande.length) anm.add('Aktiviteter: sakområde cells other than 0/1 (starting with 1 = in the selection)', `${a.kod} ${avvikande.join(', ')}`);
  return {
    kod: a.kod,
    text: a.row.text('Aktivitet_text'),
    beskrivning: a.row.text('Aktivitet_beskrivning') || undefined,
    förälder: a.axlar.inriktning,
    egenskaper: [
      typ('aktivitet'),
      { code: 'inriktning', valueCode: a.axlar.inriktning },
      { code: 'agerande', valueCoding: agerandeCoding(a.axlar.agerande, ageranden, version) },
      { code: 'metod', valueString: a.axlar.metod },
      ...stringProperty('agerandegrupp', a.row.text('Agerandegrupp_text')),
      ...stringProperty(ICF_PROPERTY, a.row.text('ICF_kod')),
      ...stringProperty('innefattar', a.row.text('Innefattar')),
      ...stringProperty('utesluter', a.row.text('Utesluter')),
      ...flaggorna,
      ...stringProperty('urvalsanmärkning', avvikande.join('; ')),
      ...ändringar(a.row, AKTIVITET_ÄNDRINGAR, where),
      ...axelavvikelser(a, anm).map((t) => ({ code: 'importanmärkning', valueString: t })),
    ],
  };
}

async function läsXlsx(file: string, options: ImportOptions): Promise<KsiInnehåll> {
  const name = path.basename(file);
  const workbook = await readWorkbook(file);
  for (const sheet of Object.values(SHEETS)) sheetOf(workbook, sheet, name);
  const { år, utgåva, datum } = utgåvaAv(workbook, name);
  if (typeof options.version === 'string' && options.version !== år) {
    throw new ImportError(`--version ${options.version} given, but the file is KSI ${år}; --version is for files that do not state their version`, { file: name });
  }
  const anm = new Anmärkningar();
  const kapitel = läsKapitel(workbook, name);
  const ageranden = läsAgeranden(workbook, name);
  const aktiviteter = läsAktivitetsrader(workbook, name);
  const lista = rättadeNivåer(inriktningar(läsInriktningsrader(workbook, name), aktiviteter, anm), anm);
  const parents = placera(lista, kapitel, name);
  const agerandeByKod = new Map(ageranden.map((a) => [a.kod, a]));
  const begrepp: KsiBegrepp[] = [
    ...kapitel.map((k) => ({ kod: k.kod, text: k.text, egenskaper: [typ('kapitel')] })),
    ...[...lista].sort((a, b) => (a.kod < b.kod ? -1 : 1)).map((i) => inriktningsbegrepp(i, parents.get(i.kod)!)),
    ...aktiviteter.map((a) => aktivitetsbegrepp(a, agerandeByKod, år, name, anm)),
  ];
  return {
    version: år,
    datum,
    utgåva,
    begrepp,
    ageranden,
    aktivitetsstatus: läsAktivitetsstatus(workbook, name),
    sakområden: sakområdesbeskrivningar(workbook),
    notes: anm.lines(),
  };
}

// ---- the flat export (ksi.tsv) -------------------------------------------------------------

/** Records of a tab-separated file with "quoted" fields ("" inside quotes is a quote), by line. */
export function parseTsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const endField = () => {
    fields.push(field);
    field = '';
  };
  const endRecord = () => {
    endField();
    if (fields.some((f) => f !== '')) records.push({ line: start, fields });
    fields = [];
    start = line;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\n') line++;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') field += text[++i];
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === '\t') endField();
    else if (ch === '\n') endRecord();
    else if (ch !== '\r') field += ch;
  }
  if (field !== '' || fields.length) endRecord();
  return records;
}

const TSV_COLUMNS = ['Kod', 'Överordnad kod', 'Titel', 'Beskrivning', 'Innefattar', 'Utesluter', 'Relaterad ICF-kod'] as const;
type TsvRad = Record<(typeof TSV_COLUMNS)[number], string> & { line: number };

function läsTsvRader(file: string, text: string): TsvRad[] {
  const [header, ...records] = parseTsv(text.replace(/^\uFEFF/, ''));
  const norm = (s: string) => s.trim().toLocaleLowerCase('sv');
  const columns = TSV_COLUMNS.map((c) => {
    const i = header?.fields.findIndex((f) => norm(f) === norm(c)) ?? -1;
    if (i < 0) throw new ImportError('the column is missing from the header line', { file, column: c, row: 1 });
    return i;
  });
  return records.map((r) => {
    const rad = { line: r.line } as TsvRad;
    TSV_COLUMNS.forEach((c, i) => (rad[c] = cleanText(r.fields[columns[i]] ?? '')));
    return rad;
  });
}

/** One row of the flat export as a concept; its parent is given by the file. */
function tsvBegrepp(rad: TsvRad, file: string): KsiBegrepp {
  const base = { kod: rad.Kod, text: rad.Titel, beskrivning: rad.Beskrivning || undefined, förälder: rad['Överordnad kod'] || undefined };
  const icf = stringProperty(ICF_PROPERTY, rad['Relaterad ICF-kod']);
  if (!base.förälder) return { ...base, egenskaper: [typ('kapitel')] };
  if (!rad.Kod.includes('.')) return { ...base, egenskaper: [typ('inriktning'), ...icf] };
  const axlar = axlarAv(rad.Kod, { file, column: 'Kod', row: rad.line });
  return {
    ...base,
    egenskaper: [
      typ('aktivitet'),
      { code: 'inriktning', valueCode: axlar.inriktning },
      { code: 'agerande', valueCoding: { system: KSI_AGERANDE_URL, code: axlar.agerande } },
      { code: 'metod', valueString: axlar.metod },
      ...icf,
      ...stringProperty('innefattar', rad.Innefattar),
      ...stringProperty('utesluter', rad.Utesluter),
    ],
  };
}

/** Codes must be present and unique, and every parent must be a code of the file. */
function kontrolleraTsv(rader: TsvRad[], file: string): void {
  const seen = new Map<string, number>();
  for (const r of rader) {
    if (r.Kod === '') throw new ImportError('empty code in a line that has content', { file, column: 'Kod', row: r.line });
    if (seen.has(r.Kod)) throw new ImportError(`duplicate code '${r.Kod}' (also on line ${seen.get(r.Kod)})`, { file, column: 'Kod', row: r.line });
    seen.set(r.Kod, r.line);
  }
  for (const r of rader) {
    const p = r['Överordnad kod'];
    if (p && !seen.has(p)) throw new ImportError(`the parent '${p}' is not a code of the file`, { file, column: 'Överordnad kod', row: r.line });
  }
}

function läsTsv(file: string, options: ImportOptions, text: string): KsiInnehåll {
  const name = path.basename(file);
  const rader = läsTsvRader(name, text);
  kontrolleraTsv(rader, name);
  const version = typeof options.version === 'string' && options.version ? options.version : `0-tsv-${sourceHash(file).slice(0, 8)}`;
  return {
    version,
    utgåva: `flat export ${name}${typeof options.version === 'string' ? '' : ' (no version in the file)'}`,
    begrepp: rader.map((r) => tsvBegrepp(r, name)),
    ageranden: [],
    sakområden: [],
    notes: [],
  };
}

// ---- FHIR resources ------------------------------------------------------------------------

/** Concepts nested under their parents, in the order given (a parent may come after its child). */
function nästlade(begrepp: KsiBegrepp[]): CodeSystemConcept[] {
  const byKod = new Map<string, CodeSystemConcept>();
  for (const b of begrepp) {
    byKod.set(b.kod, {
      code: b.kod,
      display: b.text,
      ...(b.beskrivning ? { definition: b.beskrivning } : {}),
      ...(b.egenskaper.length ? { property: b.egenskaper } : {}),
    });
  }
  const roots: CodeSystemConcept[] = [];
  for (const b of begrepp) {
    const parent = b.förälder ? byKod.get(b.förälder) : undefined;
    if (parent) (parent.concept ??= []).push(byKod.get(b.kod)!);
    else roots.push(byKod.get(b.kod)!);
  }
  return roots;
}

function kodverk(fields: Parameters<typeof socialstyrelsenCodeSystem>[0], begrepp: KsiBegrepp[], deklarationer: CodeSystemProperty[]): CodeSystem {
  return socialstyrelsenCodeSystem(fields, inCodeOrder(nästlade(begrepp)), deklarationer);
}

function ksiCodeSystem(k: KsiInnehåll): CodeSystem {
  const cs = kodverk(
    {
      id: resourceId('ksi', k.version),
      url: KSI_URL,
      version: k.version,
      name: 'KSI',
      title: 'Klassifikation av socialtjänstens insatser och aktiviteter (KSI)',
      date: k.datum,
      description:
        `Socialstyrelsens klassifikation av socialtjänstens insatser och aktiviteter, ${k.utgåva}. Hierarki: kapitel → inriktning → aktivitet. ` +
        'En aktivitetskod består av inriktning.agerande.metod (t.ex. SA1.AA.ZZ); axlarna finns som egenskaper.',
    },
    k.begrepp,
    egenskapsdeklarationer(k.sakområden),
  );
  return { ...cs, identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:oid:${KSI_OID}` }], hierarchyMeaning: 'is-a' };
}

function agerandeCodeSystem(k: KsiInnehåll): CodeSystem {
  return kodverk(
    {
      id: resourceId('ksi-agerande', k.version),
      url: KSI_AGERANDE_URL,
      version: k.version,
      name: 'KSIAgerande',
      title: 'Agerande i KSI',
      date: k.datum,
      description: `Agerandeaxeln i KSI (tecken 4–5 i aktivitetskoden): vad professionen gör. Fliken Agerande i ${k.utgåva}.`,
    },
    k.ageranden,
    [{ code: 'agerandegrupp', type: 'string', description: 'Agerandegrupp: utredande eller uppföljande respektive individstödjande' }],
  );
}

function aktivitetsstatusResurser(k: KsiInnehåll): (CodeSystem | ValueSet)[] {
  if (!k.aktivitetsstatus) return [];
  const beskrivning = k.aktivitetsstatus.beskrivning ?? 'Kodverk för aktivitetsstatus för KSI';
  const cs = kodverk(
    { id: resourceId('ksi-aktivitetsstatus', k.version), url: KSI_AKTIVITETSSTATUS_URL, version: k.version, name: 'KSIAktivitetsstatus', title: 'Aktivitetsstatus KSI', date: k.datum, description: `${beskrivning}. Ur ${k.utgåva}.` },
    k.aktivitetsstatus.begrepp,
    [{ code: 'kommentar', type: 'string', description: 'Kommentar till statusen (kolumnen Kommentar)' }],
  );
  const vs = socialstyrelsenValueSet({
    id: resourceId('ksi-aktivitetsstatus', k.version),
    url: KSI_AKTIVITETSSTATUS_VALUESET_URL,
    version: k.version,
    name: 'KSIAktivitetsstatus',
    title: 'Aktivitetsstatus KSI',
    date: k.datum,
    description: `Alla koder i kodverket Aktivitetsstatus KSI version ${k.version}.`,
    compose: { include: [{ system: KSI_AKTIVITETSSTATUS_URL, version: k.version }] },
  });
  return [{ ...cs, valueSet: `${KSI_AKTIVITETSSTATUS_VALUESET_URL}|${k.version}` }, vs];
}

function sakområdeValueSet(k: KsiInnehåll, s: KsiInnehåll['sakområden'][number]): ValueSet {
  const url = sakområdeValueSetUrl(s.flagga);
  return socialstyrelsenValueSet({
    id: resourceId(url.slice(VALUESET_BASE.length), k.version),
    url,
    version: k.version,
    name: `KSIUrval${url.slice(VALUESET_BASE.length + 4).toUpperCase()}`,
    title: `KSI – urval ${s.flagga} (${s.betydelse})`,
    date: k.datum,
    description: `${s.beskrivning}: aktiviteterna med 1 i kolumnen ${s.flagga} i fliken Aktiviteter, KSI version ${k.version} (bunden till den versionen).`,
    compose: { include: [{ system: KSI_URL, version: k.version, filter: [{ property: s.flagga, op: '=', value: 'true' }] }] },
  });
}

function räkna(k: KsiInnehåll, typen: string): number {
  return k.begrepp.filter((b) => b.egenskaper.some((p) => p.code === TYP_PROPERTY && p.valueString === typen)).length;
}

/** Every resource of one KSI release, and the lines for the import summary. */
function ksiResultat(k: KsiInnehåll, icf: IcfKoder | undefined): ImportResult {
  const ksi = ksiCodeSystem(k);
  const map = buildKsiIcfConceptMap(ksi, icf);
  const resources = [ksi, ...(k.ageranden.length ? [agerandeCodeSystem(k)] : []), ...aktivitetsstatusResurser(k), ...k.sakområden.map((s) => sakområdeValueSet(k, s)), ...(map ? [map] : [])];
  const notes = [
    `KSI ${k.version} (${k.utgåva}): ${räkna(k, 'kapitel')} kapitel, ${räkna(k, 'inriktning')} inriktningar, ${räkna(k, 'aktivitet')} aktiviteter`,
    `${k.ageranden.length} ageranden, ${k.aktivitetsstatus?.begrepp.length ?? 0} aktivitetsstatusar, ${k.sakområden.length} sakområdesurval`,
    map ? `ConceptMap KSI → ICF: ${map.group![0].element.length} KSI codes, ${icf ? `ranges resolved against ICF ${icf.version ?? ''}` : 'ICF not in the store, ranges mapped to their first and last code'}` : 'no ICF codes, no ConceptMap',
    ...k.notes,
  ];
  return { resources, publisherVersion: k.utgåva, notes };
}

/**
 * The KSI importer. `icf` supplies the ICF codes ranges are resolved against; by default those
 * of the store being imported into.
 */
export function createKsiImporter(icf?: () => IcfKoder | undefined): Importer {
  return {
    format: 'ksi',
    description: "Socialstyrelsen's KSI: ksi-<år>.xlsx, or the flat export ksi.tsv (version: --version, else 0-tsv-<sha256 prefix>)",
    async read(input, options, progress, store) {
      progress.start('reading KSI');
      const icfKoder = () => (icf ? icf() : icfKoderFromStore(store));
      if (input.toLowerCase().endsWith('.tsv')) {
        if (!fs.existsSync(input)) throw new ImportError(`${input} does not exist`);
        return ksiResultat(läsTsv(input, options, fs.readFileSync(input, 'utf8')), icfKoder());
      }
      return ksiResultat(await läsXlsx(input, options), icfKoder());
    },
  };
}

export const ksiImporter = createKsiImporter();
