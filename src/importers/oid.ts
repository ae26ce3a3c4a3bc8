/**
 * Socialstyrelsen's OID series (`socialstyrelsens-oid-serie-<datum>.xlsx`: sheets "SoS-OID
 * struktur", "SoS-OID-lista (aktiva)" and "SoS-OID-lista (inaktiva)") as NamingSystem resources.
 *
 * Every listed OID becomes a NamingSystem (kind codesystem) with the OID as its `oid` unique id.
 * The code systems Kodverk hosts (KSI, ICF, KVÅ) also get their canonical URL as a `uri` unique
 * id, so a system given as `urn:oid:…` resolves to the canonical URL (the store's
 * urlsByIdentifier), and the OID of a canonical URL is found by searching NamingSystem by
 * identifier. OIDs of the inactive list are `retired`.
 *
 * Decisions:
 *   - The stored CodeSystems are not touched: the KSI, KVÅ and ICF importers give their code
 *     systems the OID as identifier, and the NamingSystems resolve the OIDs whichever is imported
 *     first. Rewriting another importer's CodeSystem here would give it a new version for
 *     nothing.
 *   - The file lists some OIDs twice (2025-10-17: 1.2.752.116.1.3.2.3.2, .3.3 and .3.4 in the
 *     inactive list, for the code texts and again for their 2018 editions). One NamingSystem per
 *     OID: the first row's name, the others' names in the description; active if any row is.
 *   - Status comes from the Status column (aktiv/inaktiv); an empty one from the sheet.
 *   - The date (NamingSystem.date, required) is the "Version <datum>" of the structure sheet.
 */
import path from 'node:path';
import type { NamingSystem } from 'fhir/r4';
import { ImportError, ImportResult, Importer } from './importer';
import { SOCIALSTYRELSEN, TableRow, Workbook, readTable, readWorkbook, sheetLines, sheetOf } from './xlsx';
import { ICF_OID, ICF_URL, KSI_URL } from './ksi-icf-map';
import { KSI_OID } from './ksi';
import { KVA_OID, KVA_URL } from './kva';

/** The canonical URL of each Socialstyrelsen code system Kodverk hosts, by its OID. */
export const KANONISKA_URL: Readonly<Record<string, string>> = {
  [KSI_OID]: KSI_URL,
  [ICF_OID]: ICF_URL,
  [KVA_OID]: KVA_URL,
  // Snomed CT's Swedish edition: vendors send this OID, the code system is http://snomed.info/sct
  '1.2.752.116.2.1.1': 'http://snomed.info/sct',
};

const STRUKTUR = 'SoS-OID struktur';
const LISTOR: { sheet: string; status: 'active' | 'retired' }[] = [
  { sheet: 'SoS-OID-lista (aktiva)', status: 'active' },
  { sheet: 'SoS-OID-lista (inaktiva)', status: 'retired' },
];
const COLUMNS = ['SoS-OID', 'Datanamn', 'Namn', 'Bok/Excel-blad', 'Länkar till innehåll', 'Status'];
const OID = /^[0-2](\.(0|[1-9]\d*))+$/;
const STATUS: Record<string, 'active' | 'retired'> = { aktiv: 'active', inaktiv: 'retired' };

/** One row of an OID list. */
interface OidRad {
  oid: string;
  namn: string;
  datanamn: string;
  utgivning: string;
  länk: string;
  status: 'active' | 'retired';
  sheet: string;
  row: number;
}

/** "Version 2025-10-17" in the first rows of the structure sheet. */
function versionAv(workbook: Workbook, file: string): string {
  for (const line of sheetLines(sheetOf(workbook, STRUKTUR, file)).slice(0, 5)) {
    for (const t of line.texts) {
      const m = /Version\s+(\d{4}-\d{2}-\d{2})/i.exec(t);
      if (m) return m[1];
    }
  }
  throw new ImportError('no "Version <YYYY-MM-DD>" in the first rows', { file, sheet: STRUKTUR });
}

function oidRad(r: TableRow, sheet: string, fallback: 'active' | 'retired', file: string): OidRad {
  const where = { file, sheet, row: r.row };
  const oid = r.text('SoS-OID');
  if (oid === '') throw new ImportError('empty OID in a row that has content', { ...where, column: 'SoS-OID' });
  if (!OID.test(oid)) throw new ImportError(`'${oid}' is not an OID`, { ...where, column: 'SoS-OID' });
  const statusText = r.text('Status').toLowerCase();
  if (statusText !== '' && !STATUS[statusText]) throw new ImportError(`unknown status '${r.text('Status')}' (aktiv or inaktiv)`, { ...where, column: 'Status' });
  return {
    oid,
    namn: r.text('Namn') || r.text('Datanamn') || oid,
    datanamn: r.text('Datanamn'),
    utgivning: r.text('Bok/Excel-blad'),
    länk: r.link('Länkar till innehåll'),
    status: STATUS[statusText] ?? fallback,
    sheet,
    row: r.row,
  };
}

function läsRader(workbook: Workbook, file: string): OidRad[] {
  return LISTOR.flatMap(({ sheet, status }) => readTable(sheetOf(workbook, sheet, file), { required: COLUMNS, file }).rows.map((r) => oidRad(r, sheet, status, file)));
}

function beskrivning(rader: OidRad[], url: string | undefined): string {
  const [first, ...others] = rader;
  return [
    `${first.namn}.`,
    first.datanamn ? `Datanamn: ${first.datanamn}.` : '',
    first.utgivning ? `Utgivning: ${first.utgivning}.` : '',
    first.länk ? `Innehåll: ${first.länk}` : '',
    ...others.map((o) => `Listas även som "${o.namn}" (${o.sheet}, rad ${o.row}).`),
    url ? `Kodverket finns i Kodverk med den kanoniska adressen ${url}.` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function namingSystem(rader: OidRad[], datum: string): NamingSystem {
  const { oid } = rader[0];
  const url = KANONISKA_URL[oid];
  return {
    resourceType: 'NamingSystem',
    id: `sos-oid-${oid}`,
    name: rader[0].namn,
    status: rader.some((r) => r.status === 'active') ? 'active' : 'retired',
    kind: 'codesystem',
    date: datum,
    ...SOCIALSTYRELSEN,
    responsible: 'Socialstyrelsen',
    description: beskrivning(rader, url),
    uniqueId: [{ type: 'oid', value: oid, preferred: true }, ...(url ? [{ type: 'uri' as const, value: url, preferred: true }] : [])],
  };
}

async function läs(input: string): Promise<ImportResult> {
  const file = path.basename(input);
  const workbook = await readWorkbook(input);
  const datum = versionAv(workbook, file);
  const byOid = new Map<string, OidRad[]>();
  for (const r of läsRader(workbook, file)) byOid.set(r.oid, [...(byOid.get(r.oid) ?? []), r]);
  const resources = [...byOid.values()].map((rader) => namingSystem(rader, datum));
  const dubbletter = [...byOid].filter(([, rader]) => rader.length > 1).map(([oid, rader]) => `${oid} (${rader.map((r) => `${r.sheet} row ${r.row}`).join(', ')})`);
  const count = (s: string) => resources.filter((r) => r.status === s).length;
  return {
    resources,
    publisherVersion: datum,
    notes: [
      `OID series ${datum}: ${resources.length} OIDs, ${count('active')} active, ${count('retired')} retired; ${resources.filter((r) => r.uniqueId.length > 1).length} with a canonical URL in Kodverk`,
      ...(dubbletter.length ? [`OIDs listed more than once, one NamingSystem each: ${dubbletter.join('; ')}`] : []),
    ],
  };
}

export const oidImporter: Importer = {
  format: 'oid',
  description: "Socialstyrelsen's OID series (socialstyrelsens-oid-serie-<datum>.xlsx) as NamingSystems",
  async read(input, _options, progress) {
    progress.start('reading the OID series');
    return läs(input);
  },
};
