/**
 * KVÅ — Klassifikation av vårdåtgärder (Socialstyrelsen), the release with description texts
 * (`kva-inkl-beskrivningstexter-2026.xlsx`: sheets "Läs mig" and "KVÅ – (KKÅ+KMÅ)").
 *
 * One CodeSystem per release (version: the year in the Läs mig title, "KVÅ 2026 (giltig från
 * 2026-01-01)"), one concept per code with the Swedish title as display and Beskrivning as
 * definition; Exempel, Innefattar, Utesluter, Kodningsinformation, Anmärkning and Relaterad
 * ICF-kod are string properties, as the Läs mig describes them.
 *
 * Decisions:
 *   - Klassifikation (KKÅ or KMÅ) is a property, not a grouping concept: the file holds only
 *     five-character codes, a grouping "KKÅ" would become a code that validates as KVÅ, and two
 *     parents of 7,000 and 5,000 codes do not make browsing easier. Instead each Klassifikation
 *     gets a ValueSet (filter `klassifikation = KKÅ`, pinned to the release), which is how a
 *     user picks one of them.
 *   - A column without a header that holds values (2026: column K, ICD-10 codes next to some
 *     KMÅ cancer treatments; Läs mig does not describe it) is kept as the property
 *     `kolumn-<letter>` rather than dropped, and reported.
 *   - Codes not of the documented shape (three letters + two digits, or two letters + three
 *     digits; 2026 has EMA and FAA) are imported as published and reported.
 *   - The row counts Läs mig states ("Antal 5 ställiga koder KKÅ+KMÅ: 11 888") are checked
 *     against the sheet; a difference is reported, not refused.
 */
import path from 'node:path';
import type { CodeSystemConcept, CodeSystemProperty, ValueSet } from 'fhir/r4';
import { ImportError, ImportOptions, ImportResult, Importer } from './importer';
import { inCodeOrder } from './code-order';
import { SheetTable, TableRow, Workbook, keyedRows, readTable, readWorkbook, resourceId, sheetLines, sheetOf, socialstyrelsenCodeSystem, socialstyrelsenValueSet, stringProperty } from './xlsx';

export const KVA_URL = 'https://kodverk.se/fhir/CodeSystem/kva';
export const KVA_OID = '1.2.752.116.1.3.2.1.4';
const VALUESET_BASE = 'https://kodverk.se/fhir/ValueSet/';

const LÄS_MIG = 'Läs mig';
const KODBLAD = 'KVÅ – (KKÅ+KMÅ)';
const KODFORM = /^([A-ZÅÄÖ]{3}\d{2}|[A-ZÅÄÖ]{2}\d{3})$/;

/** The text columns (Läs mig: columns D–J) and the property each becomes; Beskrivning is the definition. */
const TEXTKOLUMNER: [string, string, string][] = [
  ['Exempel', 'exempel', 'Exempel på vad koden avser'],
  ['Innefattar', 'innefattar', 'Förtydligande information om vad som ingår i koden (inte uttömmande)'],
  ['Utesluter', 'utesluter', 'Förtydligande information om vad som inte ingår i koden'],
  ['Kodningsinformation', 'kodningsinformation', 'Hur koden kan användas, t.ex. ihop med annan kod (endast KKÅ)'],
  ['Anmärkning', 'anmärkning', 'Stöd och vägledning vid kodning (endast KMÅ)'],
  ['Relaterad ICF-kod', 'icf', 'Hänvisning till relaterad kod i ICF (endast KMÅ)'],
];
const COLUMNS = ['Klassifikation', 'Kod', 'Titel', 'Beskrivning', ...TEXTKOLUMNER.map(([h]) => h)];

interface Utgåva {
  år: string;
  rubrik: string;
  datum?: string;
  /** "Antal …: N" lines of Läs mig, by their label */
  antal: Map<string, number>;
}

/** Year, title, date and stated counts from the Läs mig sheet. */
function utgåvaAv(workbook: Workbook, file: string): Utgåva {
  const lines = sheetLines(sheetOf(workbook, LÄS_MIG, file)).map((l) => l.texts[0] ?? '');
  const rubrik = lines.find((t) => /KVÅ\s+\d{4}/.test(t));
  if (!rubrik) throw new ImportError('no title naming the KVÅ year ("KVÅ <år> (giltig från …)")', { file, sheet: LÄS_MIG });
  const datum = lines.map((t) => /^(\d{4}-\d{2}-\d{2})\s*-\s*version/i.exec(t)).find(Boolean)?.[1];
  const antal = new Map<string, number>();
  for (const t of lines) {
    const m = /^(Antal[^:]*):\s*([\d\s]+)$/.exec(t);
    if (m) antal.set(m[1].trim(), Number(m[2].replace(/\s/g, '')));
  }
  const version = lines.find((t) => /^\d{4}-\d{2}-\d{2}\s*-\s*version/i.test(t));
  return { år: /KVÅ\s+(\d{4})/.exec(rubrik)![1], rubrik: [rubrik, version].filter(Boolean).join(', '), datum, antal };
}

/** "KVÅ-kirurgiska åtgärder (KKÅ)" → KKÅ (the abbreviation in parentheses, else the whole text). */
function förkortning(klassifikation: string): string {
  return /\(([^)]+)\)\s*$/.exec(klassifikation)?.[1] ?? klassifikation;
}

function begrepp(kod: string, row: TableRow, extra: string[]): CodeSystemConcept {
  const property = [
    ...stringProperty('klassifikation', förkortning(row.text('Klassifikation'))),
    ...TEXTKOLUMNER.flatMap(([header, code]) => stringProperty(code, row.text(header))),
    ...extra.flatMap((letter) => stringProperty(`kolumn-${letter}`, row.textAt(letter))),
  ];
  const beskrivning = row.text('Beskrivning');
  return { code: kod, display: row.text('Titel'), ...(beskrivning ? { definition: beskrivning } : {}), ...(property.length ? { property } : {}) };
}

function deklarationer(table: SheetTable): CodeSystemProperty[] {
  return [
    { code: 'klassifikation', type: 'string', description: 'Klassifikationen koden kommer från: KKÅ (KVÅ-kirurgiska åtgärder) eller KMÅ (KVÅ-medicinska åtgärder)' },
    ...TEXTKOLUMNER.map(([, code, description]): CodeSystemProperty => ({ code, type: 'string', description })),
    ...table.unnamedColumns.map((letter): CodeSystemProperty => ({ code: `kolumn-${letter}`, type: 'string', description: `Värde i kolumn ${letter}, som saknar rubrik och inte beskrivs i Läs mig` })),
  ];
}

/** Deviations worth telling the person importing: odd codes, unnamed columns, stated counts. */
function avvikelser(table: SheetTable, koder: Map<string, TableRow>, utgåva: Utgåva): string[] {
  const notes: string[] = [];
  const udda = [...koder].filter(([kod]) => !KODFORM.test(kod)).map(([kod, row]) => `${kod} (row ${row.row})`);
  if (udda.length) notes.push(`codes not of five characters as Läs mig describes them, imported as published: ${udda.join(', ')}`);
  for (const letter of table.unnamedColumns) notes.push(`column ${letter} has no header but holds values: kept as the property kolumn-${letter}`);
  const total = [...utgåva.antal].find(([label]) => /KKÅ\s*\+\s*KMÅ/.test(label));
  if (total && total[1] !== koder.size) notes.push(`Läs mig states ${total[0]}: ${total[1]}, the sheet has ${koder.size} codes`);
  return notes;
}

function klassifikationsValueSet(klassifikation: string, förk: string, version: string, datum?: string): ValueSet {
  const slug = förk.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '-');
  return socialstyrelsenValueSet({
    id: resourceId(`kva-${slug}`, version),
    url: `${VALUESET_BASE}kva-${slug}`,
    version,
    name: `KVA${slug.toUpperCase().replace(/-/g, '')}`,
    title: `KVÅ ${version} – ${klassifikation}`,
    date: datum,
    description: `Koderna i KVÅ ${version} som kommer från ${klassifikation} (kolumnen Klassifikation).`,
    compose: { include: [{ system: KVA_URL, version, filter: [{ property: 'klassifikation', op: '=', value: förk }] }] },
  });
}

async function läs(input: string, options: ImportOptions): Promise<ImportResult> {
  const file = path.basename(input);
  const workbook = await readWorkbook(input);
  const utgåva = utgåvaAv(workbook, file);
  if (typeof options.version === 'string' && options.version !== utgåva.år) {
    throw new ImportError(`--version ${options.version} given, but the file is KVÅ ${utgåva.år}; --version is for files that do not state their version`, { file });
  }
  const table = readTable(sheetOf(workbook, KODBLAD, file), { required: COLUMNS, file });
  const koder = keyedRows(table, 'Kod');
  const concept = inCodeOrder([...koder].map(([kod, row]) => begrepp(kod, row, table.unnamedColumns)));
  const cs = socialstyrelsenCodeSystem(
    {
      id: resourceId('kva', utgåva.år),
      url: KVA_URL,
      version: utgåva.år,
      name: 'KVA',
      title: 'Klassifikation av vårdåtgärder (KVÅ)',
      date: utgåva.datum,
      description: `Socialstyrelsens klassifikation av vårdåtgärder, ${utgåva.rubrik}: sammanslagning av KKÅ och KMÅ, koder på 5-ställig nivå. Egenskapen klassifikation anger KKÅ eller KMÅ.`,
    },
    concept,
    deklarationer(table),
  );
  const klassifikationer = [...new Set(table.rows.map((r) => r.text('Klassifikation')).filter(Boolean))];
  const valueSets = klassifikationer.map((k) => klassifikationsValueSet(k, förkortning(k), utgåva.år, utgåva.datum));
  return {
    resources: [{ ...cs, identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:oid:${KVA_OID}` }] }, ...valueSets],
    publisherVersion: utgåva.rubrik,
    notes: [
      `KVÅ ${utgåva.år} (${utgåva.rubrik}): ${concept.length} codes, ${klassifikationer.map((k) => `${förkortning(k)} ${table.rows.filter((r) => r.text('Klassifikation') === k).length}`).join(', ')}`,
      ...avvikelser(table, koder, utgåva),
    ],
  };
}

export const kvaImporter: Importer = {
  format: 'kva',
  description: "Socialstyrelsen's KVÅ with description texts (kva-inkl-beskrivningstexter-<år>.xlsx)",
  async read(input, options, progress) {
    progress.start('reading KVÅ');
    return läs(input, options);
  },
};
