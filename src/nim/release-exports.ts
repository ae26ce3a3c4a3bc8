import type { ResolvedCode, ResolvedValueSet } from './binding-resolver';
import type { ReleaseSnapshot } from './release-snapshot';

/**
 * The bound value sets of a release as lists for systems without a terminology API: one CSV
 * (every value set, a row per code) and one workbook (an overview sheet, a sheet per value
 * set). Vendors report character limits on preset answers (002:L1520), so a code whose display
 * is longer than the limit gets a short display: its shortest Swedish designation that fits, or
 * else its display cut at a word boundary. A value set without codes yet still gets a row that
 * says so.
 */

export const DEFAULT_SHORT_DISPLAY_LIMIT = 40;

export interface ExportRow {
  valueSet: string;
  valueSetVersion: string;
  state: string;
  system: string;
  code: string;
  display: string;
  shortDisplay: string;
  /** designation | truncated (empty when the display fits) */
  shortDisplaySource: string;
  note: string;
}

/** A display that fits `limit` characters: a designation that fits, or the display cut at a word. */
export function shortDisplay(c: ResolvedCode, limit: number): { text: string; source: 'designation' | 'truncated' } | undefined {
  const display = c.display ?? '';
  if ([...display].length <= limit) return undefined;
  const fitting = (c.designations ?? []).filter((d) => [...d].length <= limit).sort((a, b) => [...b].length - [...a].length);
  if (fitting.length) return { text: fitting[0], source: 'designation' };
  const chars = [...display].slice(0, limit - 1).join('');
  const cut = chars.lastIndexOf(' ') > limit / 2 ? chars.slice(0, chars.lastIndexOf(' ')) : chars;
  return { text: cut.replace(/[\s,;:–-]+$/, '') + '…', source: 'truncated' };
}

function rowsOf(vs: ResolvedValueSet, limit: number): ExportRow[] {
  const base = { valueSet: vs.url, valueSetVersion: vs.version ?? '', state: vs.state };
  if (vs.state !== 'expanded') return [{ ...base, system: '', code: '', display: '', shortDisplay: '', shortDisplaySource: '', note: `Inga koder ännu: ${vs.reason ?? ''}`.trim() }];
  return vs.codes.map((c) => {
    const short = shortDisplay(c, limit);
    return { ...base, system: c.system, code: c.code, display: c.display ?? '', shortDisplay: short?.text ?? '', shortDisplaySource: short?.source ?? '', note: c.inactive ? 'inaktiv' : '' };
  });
}

export function exportRows(snapshot: ReleaseSnapshot, limit = DEFAULT_SHORT_DISPLAY_LIMIT): ExportRow[] {
  return snapshot.valueSets.flatMap((vs) => rowsOf(vs, limit));
}

const COLUMNS: { key: keyof ExportRow; header: string }[] = [
  { key: 'valueSet', header: 'value_set' },
  { key: 'valueSetVersion', header: 'value_set_version' },
  { key: 'state', header: 'state' },
  { key: 'system', header: 'system' },
  { key: 'code', header: 'code' },
  { key: 'display', header: 'display' },
  { key: 'shortDisplay', header: 'short_display' },
  { key: 'shortDisplaySource', header: 'short_display_source' },
  { key: 'note', header: 'note' },
];

const csvField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** RFC 4180 CSV (UTF-8, CRLF, comma), one row per code of every bound value set. */
export function valueSetsCsv(snapshot: ReleaseSnapshot, limit = DEFAULT_SHORT_DISPLAY_LIMIT): string {
  const lines = [COLUMNS.map((c) => c.header).join(','), ...exportRows(snapshot, limit).map((r) => COLUMNS.map((c) => csvField(r[c.key])).join(','))];
  return lines.join('\r\n') + '\r\n';
}

/** Sheet names: at most 31 characters, none of []:*?/\, unique. */
function sheetName(title: string, used: Set<string>): string {
  const clean = title.replace(/[[\]:*?/\\]/g, '-').slice(0, 31);
  let name = clean;
  for (let i = 2; used.has(name.toLowerCase()); i++) name = `${clean.slice(0, 31 - String(i).length - 1)}~${i}`;
  used.add(name.toLowerCase());
  return name;
}

/** A workbook: an overview sheet (every bound value set and its state), then a sheet per value set. */
export async function valueSetsXlsx(snapshot: ReleaseSnapshot, limit = DEFAULT_SHORT_DISPLAY_LIMIT): Promise<Buffer> {
  // loaded on first use (0.3 s): the server and the CLI start without it
  const excel = await import('exceljs');
  const wb = new excel.Workbook();
  // the workbook's own dates are the release's, not the download's
  const when = new Date(`${snapshot.date}T00:00:00Z`);
  wb.creator = 'Kodverk';
  wb.created = when;
  wb.modified = when;
  const used = new Set<string>();
  const overview = wb.addWorksheet(sheetName('Översikt', used));
  overview.columns = [
    { header: 'Värdemängd', key: 'url', width: 60 },
    { header: 'Version', key: 'version', width: 12 },
    { header: 'Titel', key: 'title', width: 40 },
    { header: 'Status', key: 'state', width: 14 },
    { header: 'Antal koder', key: 'total', width: 12 },
    { header: 'Kodsystem', key: 'codeSystems', width: 60 },
    { header: 'Anmärkning', key: 'reason', width: 60 },
    { header: 'Flik', key: 'sheet', width: 32 },
  ];
  overview.getRow(1).font = { bold: true };
  for (const vs of snapshot.valueSets) {
    const sheet = wb.addWorksheet(sheetName(vs.url.slice(vs.url.lastIndexOf('/') + 1) + (vs.pinned ? `-${vs.version}` : ''), used));
    overview.addRow({ url: vs.url, version: vs.version ?? '', title: vs.title ?? '', state: vs.state, total: vs.total, codeSystems: vs.codeSystems.join(' '), reason: vs.reason ?? '', sheet: sheet.name });
    sheet.columns = [
      { header: 'Kod', key: 'code', width: 20 },
      { header: 'Visningsnamn', key: 'display', width: 60 },
      { header: `Kort visningsnamn (högst ${limit} tecken)`, key: 'shortDisplay', width: 44 },
      { header: 'Kortnamnets källa', key: 'shortDisplaySource', width: 18 },
      { header: 'Kodsystem', key: 'system', width: 50 },
      { header: 'Anmärkning', key: 'note', width: 40 },
    ];
    sheet.getRow(1).font = { bold: true };
    for (const r of rowsOf(vs, limit)) sheet.addRow(r);
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}
