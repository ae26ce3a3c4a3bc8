import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { ParametersParameter, ValueSet, ValueSetExpansionContains } from 'fhir/r4';
import { Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { importerFor } from '../../src/importers/index';
import { urvalImporter } from '../../src/importers/urval';
import { icfImporter } from '../../src/importers/icf';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { SHARED_DATA, sharedDataPresent } from '../helpers/server';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

const DIR = path.join(SHARED_DATA, 'socialstyrelsen');
const URVAL_FILES = ['urval-informationsutbyte.xlsx', 'urval-icf-kva-kommunal-halso-och-sjukvard-2026.xlsx', 'urval-icf-kva-nutrition-och-undernaring.xlsx'];
/** The code systems the urval select from, and the release each is imported from. */
const CODE_SYSTEMS = [
  { name: 'ICF', header: 'ICF-kod', url: 'https://kodverk.se/fhir/CodeSystem/icf', format: 'icf', file: 'icf-2025-inkl-core-sets.xlsx' },
  { name: 'KSI', header: 'KSI-kod', url: 'https://kodverk.se/fhir/CodeSystem/ksi', format: 'ksi', file: 'ksi-2025.xlsx' },
  { name: 'KVÅ', header: 'KVÅ-kod', url: 'https://kodverk.se/fhir/CodeSystem/kva', format: 'kva', file: 'kva-inkl-beskrivningstexter-2026.xlsx' },
];
const present = sharedDataPresent('socialstyrelsen') && [...URVAL_FILES, ...CODE_SYSTEMS.map((c) => c.file)].every((f) => fs.existsSync(path.join(DIR, f)));
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the urval import tests: ${DIR} or one of its urval/ICF/KSI/KVÅ files is missing`);
}

// ---- what the files hold, read straight from them (never typed in) ---------------------------

const text = (v: ExcelJS.CellValue): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'object' && 'richText' in v) return v.richText.map((r) => r.text).join('');
  return String(v);
};

interface SheetFacts {
  sheet: string;
  system: (typeof CODE_SYSTEMS)[number];
  /** selected codes, whitespace removed */
  selected: string[];
  /** raw code cells with stray whitespace, e.g. "b1\n\n" */
  untidy: string[];
  /** top-level headings (SoL, LSS, UTREDNING/…, KROPPSFUNKTIONER) → codes selected below them */
  topGroups: Map<string, string[]>;
  headings: number;
}

interface FileFacts {
  /** first line of the instructions: "Urval ur … 2025 version 1.0 (2025-02-14)" */
  title: string;
  /** code-system versions the instructions say the selection is based on */
  pins: Map<string, string>;
  sheets: SheetFacts[];
}

/**
 * The selection sheets of an urval workbook as the publisher lays them out: the code column
 * names the code system; "Urval" (1/blank) decides membership where present; "Nivåer" marks
 * heading rows; without it a row with only a code-column text or only a title is a heading, as
 * are the ICF component rows (b, s, d, e).
 */
async function fileFacts(file: string): Promise<FileFacts> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const instructions = wb.worksheets.find((w) => /^anvisningar/i.test(w.name.trim()))!;
  const lines: string[] = [];
  instructions.eachRow((r) => r.eachCell((c) => lines.push(text(c.value))));
  const pins = new Map<string, string>();
  for (const l of lines) for (const m of l.matchAll(/utifrån (ICF|KSI|KVÅ)(?: version)? (\d{4})/g)) pins.set(m[1], m[2]);
  const sheets: SheetFacts[] = [];
  for (const ws of wb.worksheets) {
    if (ws === instructions || /tillagda|borttagna/i.test(ws.name)) continue;
    const facts = sheetFacts(ws);
    if (facts) sheets.push(facts);
  }
  return { title: lines[0].replace(/\s+/g, ' ').trim(), pins, sheets };
}

function sheetFacts(ws: ExcelJS.Worksheet): SheetFacts | undefined {
  const header = new Map<string, number>();
  ws.getRow(1).eachCell((c, col) => header.set(text(c.value).trim(), col));
  const codeCol = Math.min(...CODE_SYSTEMS.map((s) => header.get(s.header) ?? Infinity));
  if (codeCol === Infinity) return undefined;
  const system = CODE_SYSTEMS.find((s) => header.get(s.header) === codeCol)!;
  const titleCol = [...header].find(([h, col]) => col === codeCol + 1 && h)?.[1];
  const urvalCol = header.get('Urval');
  const levelCol = header.get('Nivåer');
  const facts: SheetFacts = { sheet: ws.name, system, selected: [], untidy: [], topGroups: new Map(), headings: 0 };
  const rows: ExcelJS.Row[] = [];
  ws.eachRow((r, i) => i > 1 && rows.push(r));
  const deepest = levelCol ? Math.max(...rows.map((r) => Number(text(r.getCell(levelCol).value))).filter((n) => n > 0)) : 1;
  let top: string[] | undefined;
  for (const r of rows) {
    const raw = text(r.getCell(codeCol).value);
    const code = raw.replace(/\s+/g, '');
    const title = titleCol ? text(r.getCell(titleCol).value).replace(/\s+/g, ' ').trim() : '';
    if (!code && !title) continue;
    const level = levelCol ? Number(text(r.getCell(levelCol).value)) : undefined;
    const heading = level !== undefined ? level < deepest : !code || !title || (system.name === 'ICF' && /^[bdes]$/.test(code));
    const selected = urvalCol ? text(r.getCell(urvalCol).value) === '1' : !heading;
    if (heading) {
      facts.headings++;
      if (level === undefined || level === 1) facts.topGroups.set(title || raw.trim(), (top = []));
    }
    if (!selected) continue;
    facts.selected.push(code);
    top?.push(code);
    if (raw !== code) facts.untidy.push(raw);
  }
  return facts;
}

// ---- helpers ---------------------------------------------------------------------------------

function flatten(list: ValueSetExpansionContains[] = []): string[] {
  return list.flatMap((c) => [...(c.code ? [c.code] : []), ...flatten(c.contains)]);
}

(present ? describe : describe.skip)('urval importer (Socialstyrelsen)', () => {
  let db: Db;
  let store: ResourceStore;
  let engine: TerminologyEngine;
  const facts = new Map<string, FileFacts>();
  const imported = new Set<string>();
  const configuredStore = process.env.KODVERK_DB;
  const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: [] });
  const valueSets = (): ValueSet[] => store.search('ValueSet', {}, { count: 100_000, offset: 0 }).map((r) => r.resource as ValueSet);
  /** "Urval ur … 2025: KSI urval – SoL": the selection (first line, up to its year), the sheet, the heading */
  const titleOf = (file: FileFacts, s: SheetFacts, heading?: string) => `${file.title.replace(/\s+version.*$/, '')}: ${s.sheet.trim()}${heading ? ` – ${heading}` : ''}`;
  const byTitle = (title: string) => valueSets().find((v) => v.title === title);
  const latest = (url: string) => store.byUrl('CodeSystem', url).map((r) => r.resource.version as string).sort().pop();
  /** The codes a version of the code system has (pinned, else the latest). */
  const known = (s: SheetFacts, codes: string[], version: string | undefined) =>
    codes.filter((code) => {
      const out = engine.validateCodeSystemCode(req([{ name: 'url', valueUri: s.system.url }, { name: 'code', valueCode: code }, ...(version ? [{ name: 'version', valueString: version }] : [])]));
      return out.some((p) => p.name === 'result' && p.valueBoolean);
    });
  /** Expands a selection; a pinned release missing from the store is reported, then forced to the latest. */
  const expandSelection = (url: string, s: SheetFacts, pin: string | undefined): { codes: string[]; version?: string } => {
    const params: ParametersParameter[] = [{ name: 'url', valueUri: url }];
    const stored = store.byUrl('CodeSystem', s.system.url).map((r) => r.resource.version as string);
    let version = pin;
    if (pin && !stored.includes(pin)) {
      expect(() => engine.expand(req(params))).toThrow(TerminologyError);
      version = latest(s.system.url);
      params.push({ name: 'force-system-version', valueUri: `${s.system.url}|${version}` });
    }
    return { codes: flatten(engine.expand(req(params)).expansion?.contains).sort(), version };
  };

  beforeAll(async () => {
    const dir = tempDir('kodverk-urval-');
    process.env.KODVERK_DB = path.join(dir, 'store.db');
    db = openTempDatabase(process.env.KODVERK_DB);
    store = new ResourceStore(db);
    engine = new TerminologyEngine(new StoreResourceSource(store));
    for (const f of URVAL_FILES) facts.set(f, await fileFacts(path.join(DIR, f)));
  });

  afterAll(() => {
    if (configuredStore === undefined) delete process.env.KODVERK_DB;
    else process.env.KODVERK_DB = configuredStore;
  });

  it('imports every urval file: one value set per selection sheet and per heading, titled by selection and sheet', async () => {
    for (const f of URVAL_FILES) {
      const summary = await runImport(db, store, urvalImporter, path.join(DIR, f));
      const file = facts.get(f)!;
      expect(summary.created).toBe(file.sheets.reduce((n, s) => n + 1 + s.headings, 0));
      for (const s of file.sheets) expect(byTitle(titleOf(file, s))).toBeDefined();
    }
  });

  it('changes nothing when an urval file is imported again', async () => {
    for (const f of URVAL_FILES) expect((await runImport(db, store, urvalImporter, path.join(DIR, f))).noChange).toBe(true);
  });

  it('pins the code-system version where the instructions name it, and floats otherwise', () => {
    for (const [f, file] of facts) {
      for (const s of file.sheets) {
        const vs = byTitle(titleOf(file, s))!;
        const versions = new Set<string | undefined>();
        const walk = (v: ValueSet) => {
          for (const inc of v.compose!.include) {
            if (inc.system) versions.add(inc.version);
            for (const u of inc.valueSet ?? []) walk(valueSets().find((x) => `${x.url}|${x.version}` === u)!);
          }
        };
        walk(vs);
        expect({ f, sheet: s.sheet, versions: [...versions] }).toEqual({ f, sheet: s.sheet, versions: [file.pins.get(s.system.name)] });
      }
    }
  });

  it('normalises codes with stray whitespace and line breaks', () => {
    const untidy = [...facts.values()].flatMap((f) => f.sheets.flatMap((s) => s.untidy));
    expect(untidy.length).toBeGreaterThan(0);
    const listed = new Set(valueSets().flatMap((v) => v.compose!.include.flatMap((i) => (i.concept ?? []).map((c) => c.code))));
    for (const raw of untidy) {
      expect(listed.has(raw.replace(/\s+/g, ''))).toBe(true);
      expect(listed.has(raw)).toBe(false);
    }
  });

  it('expands each selection to exactly its selected codes once the code systems are imported', async () => {
    for (const cs of CODE_SYSTEMS) {
      const importer = importerFor(cs.format) ?? (cs.format === 'icf' ? icfImporter : undefined);
      if (!importer) {
        // eslint-disable-next-line no-console
        console.warn(`No ${cs.format} importer yet: the ${cs.name} selections are not expanded`);
        continue;
      }
      await runImport(db, store, importer, path.join(DIR, cs.file));
      imported.add(cs.name);
    }
    for (const file of facts.values()) {
      for (const s of file.sheets.filter((x) => imported.has(x.system.name))) {
        const { codes, version } = expandSelection(byTitle(titleOf(file, s))!.url!, s, file.pins.get(s.system.name));
        // a floating selection meets the latest release: codes it no longer has are not offered
        const offered = known(s, s.selected, version);
        expect({ sheet: s.sheet, codes }).toEqual({ sheet: s.sheet, codes: [...new Set(offered)].sort() });
        // the release a selection is pinned to has every code of it
        if (version !== undefined && version === file.pins.get(s.system.name)) expect(offered).toEqual(s.selected);
      }
    }
  });

  it('keeps the grouping rows as nested value sets titled by their heading', () => {
    for (const file of facts.values()) {
      for (const s of file.sheets.filter((x) => x.topGroups.size && imported.has(x.system.name))) {
        for (const [heading, selected] of s.topGroups) {
          const group = byTitle(titleOf(file, s, heading));
          expect(group).toBeDefined();
          const { codes, version } = expandSelection(group!.url!, s, file.pins.get(s.system.name));
          expect({ heading, codes }).toEqual({ heading, codes: [...new Set(known(s, selected, version))].sort() });
        }
      }
    }
    const ksi = facts.get('urval-informationsutbyte.xlsx')!.sheets.find((s) => s.system.name === 'KSI')!;
    expect([...ksi.topGroups.keys()]).toEqual(['SoL', 'LSS']);
  });
});

(present ? describe : describe.skip)('urval importer refuses broken workbooks', () => {
  it('names the sheet, column and row of an Urval mark that is neither 1 nor empty, and leaves the store as it was', async () => {
    const dir = tempDir('kodverk-urval-broken-');
    const db = openTempDatabase(path.join(dir, 'store.db'));
    const store = new ResourceStore(db);
    const source = path.join(DIR, 'urval-icf-kva-kommunal-halso-och-sjukvard-2026.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(source);
    const sheet = wb.worksheets.find((ws) => text(ws.getRow(1).getCell(3).value) === 'Urval')!;
    const row = 5;
    sheet.getRow(row).getCell(3).value = 'ja';
    const file = path.join(dir, 'broken.xlsx');
    await wb.xlsx.writeFile(file);
    await expect(runImport(db, store, urvalImporter, file)).rejects.toThrow(new RegExp(`sheet "${sheet.name}", column "Urval", row ${row}: "ja" in the Urval column`));
    expect(store.count('ValueSet', {})).toBe(0);
  });
});
