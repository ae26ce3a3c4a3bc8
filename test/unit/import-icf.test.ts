import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { ParametersParameter } from 'fhir/r4';
import { Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ImportLog } from '../../src/store/import-log';
import { runImport } from '../../src/importers/run-import';
import { icfImporter } from '../../src/importers/icf';
import { NO_PROGRESS } from '../../src/importers/importer';
import { ImportError } from '../../src/importers/importer';
import { cellText } from '../../src/importers/xlsx';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { ICF_URL } from '../../src/terminology/providers/icf';
import { compareVersions } from '../../src/terminology/versions';
import { SHARED_DATA, sharedDataPresent } from '../helpers/server';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

const DIR = path.join(SHARED_DATA, 'socialstyrelsen');
const XLSX = path.join(DIR, 'icf-2025-inkl-core-sets.xlsx');
const TSV = path.join(DIR, 'icf.tsv');
const present = sharedDataPresent('socialstyrelsen') && fs.existsSync(XLSX) && fs.existsSync(TSV);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the ICF import tests: ${XLSX} or ${TSV} is missing`);
}

// ---- what the files hold, read straight from them (never typed in) ---------------------------

interface WorkbookFacts {
  masterName: string;
  /** rows of MASTER with a code or a title (blocks have only a title) */
  masterRows: number;
  masterCodes: Set<string>;
  /** code → title in MASTER */
  titles: Map<string, string>;
  /** code → alternative title in MASTER */
  alternatives: Map<string, string>;
  /** code → description in MASTER */
  descriptions: Map<string, string>;
  /** removed codes that MASTER does not use again */
  removed: string[];
  /** comment of each removed row */
  removedComments: Map<string, string>;
  /** core-set column name → codes flagged in it */
  coreSets: Map<string, string[]>;
}

function headerColumns(ws: ExcelJS.Worksheet, row: number): Map<string, number> {
  const out = new Map<string, number>();
  ws.getRow(row).eachCell((c, col) => out.set(cellText(c.value).trim(), col));
  return out;
}

async function workbookFacts(file: string): Promise<WorkbookFacts> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(file);
  const master = wb.worksheets.find((w) => w.name.startsWith('MASTER'))!;
  const h = headerColumns(master, 2);
  const [codeCol, titleCol, altCol, descCol, lastCol] = ['ICF-koder', 'Benämning/kodtext', 'Alternativ titel', 'Beskrivning', 'Anmärkning/kommentar'].map((n) => h.get(n)!);
  const facts: WorkbookFacts = {
    masterName: master.name,
    masterRows: 0,
    masterCodes: new Set(),
    titles: new Map(),
    alternatives: new Map(),
    descriptions: new Map(),
    removed: [],
    removedComments: new Map(),
    coreSets: new Map(),
  };
  // core sets: every named header column right of the last classification column
  const coreSetCols = [...h].filter(([, col]) => col > lastCol);
  for (const [name] of coreSetCols) facts.coreSets.set(name, []);
  master.eachRow((r, i) => {
    if (i <= 2) return;
    const code = cellText(r.getCell(codeCol).value).replace(/\s+/g, '');
    const title = cellText(r.getCell(titleCol).value).trim();
    if (!code && !title) return;
    facts.masterRows++;
    if (!code) return;
    facts.masterCodes.add(code);
    facts.titles.set(code, title.replace(/\s+/g, ' '));
    const alt = cellText(r.getCell(altCol).value).trim();
    if (alt) facts.alternatives.set(code, alt);
    const desc = cellText(r.getCell(descCol).value).trim();
    if (desc) facts.descriptions.set(code, desc);
    for (const [name, col] of coreSetCols) if (cellText(r.getCell(col).value).trim()) facts.coreSets.get(name)!.push(code);
  });
  const removed = wb.getWorksheet('Borttagna koder')!;
  const rh = headerColumns(removed, 1);
  removed.eachRow((r, i) => {
    if (i === 1) return;
    const code = cellText(r.getCell(rh.get('ICF-koder')!).value).replace(/\s+/g, '');
    if (!code) return;
    facts.removedComments.set(code, cellText(r.getCell(rh.get('Anmärkning/kommentar')!).value));
    if (!facts.masterCodes.has(code)) facts.removed.push(code);
  });
  return facts;
}

/** Data lines of the flat export (quoted fields never span lines in it). */
function tsvCodes(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => l.split('\t')[0].replace(/"/g, ''));
}

// ---- helpers ---------------------------------------------------------------------------------

/**
 * A store in a temp folder. It is also made the configured store (KODVERK_DB): the ICF importer
 * reads KSI from there to rebuild the KSI → ICF maps, and must see this store, not data/.
 */
function freshStore(): { db: Db; store: ResourceStore; dir: string } {
  const dir = tempDir('kodverk-icf-');
  const file = path.join(dir, 'store.db');
  const db = openTempDatabase(file);
  process.env.KODVERK_DB = file;
  return { db, store: new ResourceStore(db), dir };
}

const configuredStore = process.env.KODVERK_DB;
afterAll(() => {
  if (configuredStore === undefined) delete process.env.KODVERK_DB;
  else process.env.KODVERK_DB = configuredStore;
});

function param(out: ParametersParameter[], name: string): any {
  const p = out.find((x) => x.name === name);
  return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
}

function properties(out: ParametersParameter[]): Map<string, string[]> {
  const props = new Map<string, string[]>();
  for (const p of out.filter((x) => x.name === 'property')) {
    const v = p.part![1];
    const list = props.get(p.part![0].valueCode!) ?? [];
    list.push(String(v.valueCode ?? v.valueString ?? v.valueBoolean ?? v.valueDateTime ?? v.valueCoding?.code));
    props.set(p.part![0].valueCode!, list);
  }
  return props;
}

function storeSnapshot(db: Db, store: ResourceStore) {
  const types = ['CodeSystem', 'ValueSet', 'ConceptMap'];
  return {
    resources: types.map((t) => store.count(t, {})),
    concepts: (db.prepare('SELECT count(*) AS n FROM concept').get() as { n: number }).n,
    imports: new ImportLog(db).all().length,
  };
}

(present ? describe : describe.skip)('ICF importer (Socialstyrelsen)', () => {
  let facts: WorkbookFacts;
  let db: Db;
  let store: ResourceStore;
  let engine: TerminologyEngine;
  let version: string;
  const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: [] });
  const lookup = (code: string, extra: ParametersParameter[] = []) => engine.lookup(req([{ name: 'system', valueUri: ICF_URL }, { name: 'code', valueCode: code }, ...extra]));
  const validate = (code: string) => engine.validateCodeSystemCode(req([{ name: 'url', valueUri: ICF_URL }, { name: 'code', valueCode: code }]));

  beforeAll(async () => {
    facts = await workbookFacts(XLSX);
    version = /(\d{4})/.exec(facts.masterName)![1];
    ({ db, store } = freshStore());
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  it('imports the workbook: every row a concept, every core set a value set, the removed codes mapped', async () => {
    const summary = await runImport(db, store, icfImporter, XLSX);
    const expectedConcepts = facts.masterRows + facts.removed.length;
    const mapped = [...facts.removedComments].filter(([code, c]) => facts.removed.includes(code) && /ändrad till|heter numera|ersätts/i.test(c)).length;
    expect(summary.concepts).toBe(expectedConcepts);
    expect(summary.created).toBe(1 + facts.coreSets.size + (mapped ? 1 : 0));
    const [cs] = store.byUrl('CodeSystem', ICF_URL);
    expect(cs.resource.version).toBe(version);
    expect(cs.resource.count).toBe(expectedConcepts);
    expect(store.conceptStore().count(cs.pk)).toBe(expectedConcepts);
    expect(cs.resource.identifier).toEqual([{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.752.116.1.1.3' }]);
    const coreSets = store.search('ValueSet', {}, { count: 10_000, offset: 0 }).filter((r) => r.resource.url.startsWith('https://kodverk.se/fhir/ValueSet/icf-coreset-'));
    expect(coreSets).toHaveLength(facts.coreSets.size);
    for (const vs of coreSets) expect(facts.coreSets.has(vs.resource.title.replace('ICF Core Set: ', ''))).toBe(true);
  });

  it('changes nothing when the same workbook is imported again', async () => {
    const before = storeSnapshot(db, store);
    const again = await runImport(db, store, icfImporter, XLSX);
    expect(again.noChange).toBe(true);
    expect(storeSnapshot(db, store)).toEqual(before);
  });

  it('looks up d4500 with its official Swedish title, parents and properties', () => {
    const out = lookup('d4500');
    expect(param(out, 'display')).toBe(facts.titles.get('d4500'));
    expect(param(out, 'definition')).toBe(facts.descriptions.get('d4500'));
    expect(param(out, 'version')).toBe(version);
    const props = properties(out);
    expect(props.get('parent')).toEqual(['d450']);
    expect(props.get('kodniva')).toEqual(['kategori']);
    expect(props.get('inactive')).toEqual(['false']);
    const designations = out.filter((p) => p.name === 'designation').map((d) => d.part!.find((x) => x.name === 'value')!.valueString);
    expect(designations).toContain(facts.alternatives.get('d4500'));
    // the chain up to the component: category → category → block → chapter → component
    const up: string[] = [];
    for (let code: string | undefined = 'd4500'; code; code = properties(lookup(code)).get('parent')?.[0]) up.push(code);
    expect(up).toEqual(['d4500', 'd450', 'd450-d469', 'd4', 'd']);
  });

  it('finds removed codes as inactive, with their replacement', () => {
    for (const code of ['b1528A', 'd138']) {
      expect(facts.removed).toContain(code);
      const out = validate(code);
      expect(param(out, 'result')).toBe(true);
      expect(param(out, 'inactive')).toBe(true);
    }
    const replacement = /(d\d+)/.exec(facts.removedComments.get('d138')!)![1];
    const props = properties(lookup('d138'));
    expect(props.get('status')).toEqual(['retired']);
    expect(props.get('ersattAv')).toEqual([replacement]);
    const translated = engine.translate(req([{ name: 'url', valueUri: 'https://kodverk.se/fhir/ConceptMap/icf-borttagna' }, { name: 'system', valueUri: ICF_URL }, { name: 'code', valueCode: 'd138' }]));
    expect(param(translated, 'result')).toBe(true);
    const match = translated.find((p) => p.name === 'match')!;
    expect(match.part!.find((p) => p.name === 'concept')!.valueCoding!.code).toBe(replacement);
  });

  it('expands every ICF Core Set to exactly the codes flagged in its column', () => {
    for (const [name, codes] of facts.coreSets) {
      const slug = name
        .normalize('NFD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '');
      const vs = engine.expand(req([{ name: 'url', valueUri: `https://kodverk.se/fhir/ValueSet/icf-coreset-${slug}` }]));
      expect(vs.title).toContain(name);
      expect(vs.expansion!.contains!.map((c) => c.code).sort()).toEqual([...codes].sort());
    }
  });

  it('validates qualified codes of the real classification', () => {
    const out = validate('d4500.23');
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'display')).toBe(`${facts.titles.get('d4500')} – genomförande: måttlig svårighet, kapacitet utan assistans: stor svårighet`);
    for (const ok of ['d4500.2', 'e310+3', 's7501.273', 'b1300.8']) expect(param(validate(ok), 'result')).toBe(true);
    for (const bad of ['b1300.5', 'e310+9', 's7501.2739', 'd4500.2a']) expect(param(validate(bad), 'result')).toBe(false);
  });

  it('imports the flat export as another version that coexists with the workbook', async () => {
    const codes = tsvCodes(TSV);
    const summary = await runImport(db, store, icfImporter, TSV, { version: '2024' });
    expect(summary.concepts).toBe(codes.length);
    const versions = store.byUrl('CodeSystem', ICF_URL).map((r) => `${r.resource.id}|${r.resource.version}`);
    expect(versions.sort()).toEqual([`icf-2024|2024`, `icf-${version}|${version}`]);
    expect(param(lookup('b1528B', [{ name: 'version', valueString: '2024' }]), 'version')).toBe('2024');
    // without a version, the latest (the workbook's year) answers
    expect(param(lookup('d4500'), 'version')).toBe(version);
  });

  it('derives a stable version for the flat export that sorts below every published year', async () => {
    const first = await icfImporter.read(TSV, {}, NO_PROGRESS, store);
    const second = await icfImporter.read(TSV, {}, NO_PROGRESS, store);
    const v = first.resources[0].version;
    expect(second.resources[0].version).toBe(v);
    expect(compareVersions(v, '2017')).toBeLessThan(0);
  });
});

// ---- broken workbooks ------------------------------------------------------------------------

(present ? describe : describe.skip)('ICF importer refuses broken workbooks', () => {
  let dir: string;
  let db: Db;
  let store: ResourceStore;
  let masterName: string;

  /** A copy of the workbook, changed by `edit`, in a temp folder. */
  async function brokenCopy(name: string, edit: (wb: ExcelJS.Workbook) => void): Promise<string> {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(XLSX);
    edit(wb);
    const file = path.join(dir, name);
    await wb.xlsx.writeFile(file);
    return file;
  }

  async function expectRefused(file: string, pattern: RegExp): Promise<void> {
    const before = storeSnapshot(db, store);
    const attempt = runImport(db, store, icfImporter, file);
    await expect(attempt).rejects.toThrow(ImportError);
    await expect(runImport(db, store, icfImporter, file)).rejects.toThrow(pattern);
    expect(storeSnapshot(db, store)).toEqual(before);
  }

  beforeAll(async () => {
    ({ db, store, dir } = freshStore());
    await runImport(db, store, icfImporter, TSV, { version: '2024' });
    masterName = (await workbookFacts(XLSX)).masterName;
  });

  it('names the missing sheet', async () => {
    const file = await brokenCopy('no-borttagna.xlsx', (wb) => wb.removeWorksheet(wb.getWorksheet('Borttagna koder')!.id));
    await expectRefused(file, /sheet "Borttagna koder": the sheet is missing/);
  });

  it('names the sheet, column and row of a renamed column', async () => {
    const file = await brokenCopy('renamed-column.xlsx', (wb) => {
      const ws = wb.getWorksheet(masterName)!;
      ws.getRow(2).eachCell((c) => {
        if (cellText(c.value) === 'Benämning/kodtext') c.value = 'Benämning';
      });
    });
    await expectRefused(file, new RegExp(`sheet "${masterName}", column "Benämning/kodtext", row 2: the column is missing`));
  });

  it('names the sheet, column and row of a duplicate code', async () => {
    let row = 0;
    const file = await brokenCopy('duplicate.xlsx', (wb) => {
      const ws = wb.getWorksheet(masterName)!;
      const codeCol = headerColumns(ws, 2).get('ICF-koder')!;
      // the second category row gets the code of the first one
      const rows: ExcelJS.Row[] = [];
      ws.eachRow((r, i) => {
        if (i > 2 && cellText(r.getCell(codeCol).value).length >= 4) rows.push(r);
      });
      rows[1].getCell(codeCol).value = cellText(rows[0].getCell(codeCol).value);
      row = rows[1].number;
    });
    await expectRefused(file, new RegExp(`sheet "${masterName}", column "ICF-koder", row ${row}: the code \\w+ occurs twice`));
  });

  it('names the sheet, column and row of a change date that is not a date', async () => {
    let row = 0;
    const file = await brokenCopy('bad-date.xlsx', (wb) => {
      const ws = wb.getWorksheet(masterName)!;
      const col = headerColumns(ws, 2).get('Ny kod')!;
      row = 10;
      ws.getRow(row).getCell(col).value = 'snart';
    });
    await expectRefused(file, new RegExp(`sheet "${masterName}", column "Ny kod", row ${row}: "snart" holds no date`));
  });
});
