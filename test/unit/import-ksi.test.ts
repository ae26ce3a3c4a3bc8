import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { CodeSystem, ParametersParameter, ValueSet, ValueSetExpansionContains } from 'fhir/r4';
import { Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ImportLog } from '../../src/store/import-log';
import { ResourceLoader } from '../../src/importers/loader';
import { runImport } from '../../src/importers/run-import';
import { ImportError, Importer } from '../../src/importers/importer';
import { KSI_AGERANDE_URL, KSI_AKTIVITETSSTATUS_URL, KSI_AKTIVITETSSTATUS_VALUESET_URL, KSI_URL, createKsiImporter, parseTsv, sakområdeValueSetUrl } from '../../src/importers/ksi';
import { ICF_URL, KSI_ICF_MAP_URL, icfKoderFromStore, icfOmfattar, ksiIcfConceptMapsFromStore, parseIcfReferenser } from '../../src/importers/ksi-icf-map';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { SchemaValidator } from '../../src/terminology/resource-schema';
import { SHARED_DATA, sharedDataPresent } from '../helpers/server';
import { freshTempStore, removeTempStores } from '../helpers/temp-store';

afterAll(removeTempStores);

const DIR = path.join(SHARED_DATA, 'socialstyrelsen');
const XLSX = path.join(DIR, 'ksi-2025.xlsx');
const TSV = path.join(DIR, 'ksi.tsv');
const present = sharedDataPresent('socialstyrelsen') && fs.existsSync(XLSX) && fs.existsSync(TSV);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the KSI import tests on Socialstyrelsen's files: ${XLSX} or ${TSV} is missing`);
}

/** Tests resolve ICF against the store they import into (never against KODVERK_DB). */
function importerFor(store: ResourceStore): Importer {
  return createKsiImporter(() => icfKoderFromStore(store));
}

const freshStore = () => freshTempStore('kodverk-ksi-');

function snapshot(db: Db, store: ResourceStore) {
  return {
    resources: ['CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem'].map((t) => store.count(t, {})),
    concepts: (db.prepare('SELECT count(*) AS n FROM concept').get() as { n: number }).n,
    imports: new ImportLog(db).all().length,
  };
}

const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: [] });
const param = (out: ParametersParameter[], name: string) => {
  const p = out.find((x) => x.name === name);
  return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
};
/** The property values of a $lookup result, by property code. */
function lookupProperties(out: ParametersParameter[]): Map<string, any[]> {
  const map = new Map<string, any[]>();
  for (const p of out.filter((x) => x.name === 'property')) {
    const code = p.part!.find((x) => x.name === 'code')!.valueCode!;
    const value = p.part!.find((x) => x.name === 'value')!;
    const v = Object.entries(value).find(([k]) => k.startsWith('value'))![1];
    map.set(code, [...(map.get(code) ?? []), v]);
  }
  return map;
}
function codesOf(contains: ValueSetExpansionContains[] = []): string[] {
  return contains.flatMap((c) => [...(c.code ? [c.code] : []), ...codesOf(c.contains)]);
}

// ---- what the workbook holds, read with exceljs alone (independently of the importer) ---------

type Rad = Record<string, string>;

/** Rows of a sheet as header → cell text, below the first row whose first cell is `firstHeader`. */
function rader(wb: ExcelJS.Workbook, sheet: string, firstHeader: string): { rad: number; cells: Rad }[] {
  const ws = wb.getWorksheet(sheet)!;
  let headerRow = 0;
  ws.eachRow((row, n) => {
    if (!headerRow && row.getCell(1).text.trim() === firstHeader) headerRow = n;
  });
  const headers = (ws.getRow(headerRow).values as unknown[]).map((v) => (typeof v === 'string' ? v.trim() : ''));
  const out: { rad: number; cells: Rad }[] = [];
  ws.eachRow((row, n) => {
    if (n <= headerRow) return;
    const cells: Rad = {};
    headers.forEach((h, i) => h && (cells[h] = row.getCell(i).text.trim()));
    if (Object.values(cells).some(Boolean)) out.push({ rad: n, cells });
  });
  return out;
}

interface KsiFacts {
  year: string;
  kapitel: number;
  aktiviteter: Map<string, Rad>;
  inriktningar: number;
  ageranden: Map<string, Rad>;
  statusar: number;
  flaggor: string[];
  aktivitetsrad: Map<string, number>;
  /** Inriktning rows whose code no aktivitet uses, and the used, unlisted code with their text */
  omtolkade: { radkod: string; kod: string; beskrivning: string }[];
}

let factsOnce: Promise<KsiFacts> | undefined;
/** The facts, read once for the whole file (reading the workbook takes seconds). */
function ksiFacts(): Promise<KsiFacts> {
  return (factsOnce ??= readKsiFacts());
}

async function readKsiFacts(): Promise<KsiFacts> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(XLSX);
  const aktivitetsrader = rader(wb, 'Aktiviteter', 'Aktivitet_kod');
  const aktiviteter = new Map(aktivitetsrader.map((r) => [r.cells.Aktivitet_kod, r.cells]));
  // an inriktning row whose code no aktivitet uses describes the used, unlisted inriktning with its text
  const used = new Map<string, Set<string>>();
  for (const [kod, r] of aktiviteter) used.set(kod.slice(0, 3), (used.get(kod.slice(0, 3)) ?? new Set()).add(r.Inriktning_text.toLowerCase()));
  const inriktningsrader = rader(wb, 'Inriktning', 'Inriktning_kod').map((r) => r.cells);
  const listed = new Set(inriktningsrader.map((r) => r.Inriktning_kod));
  const unlisted = [...used.keys()].filter((k) => !listed.has(k));
  const sameText = (r: Rad) => unlisted.filter((k) => used.get(k)!.has(r.Inriktning_text.toLowerCase()));
  const unusedRows = inriktningsrader.filter((r) => !used.has(r.Inriktning_kod));
  const standAlone = unusedRows.filter((r) => sameText(r).length === 0);
  const anvisningar = wb.getWorksheet('Anvisningar')!;
  const labels = new Set<string>();
  anvisningar.eachRow((row) => labels.add(row.getCell(1).text.trim()));
  const headers = (wb.getWorksheet('Aktiviteter')!.getRow(1).values as unknown[]).filter((v): v is string => typeof v === 'string');
  return {
    year: /KSI (\d{4})/.exec(anvisningar.getRow(1).getCell(1).text)![1],
    kapitel: rader(wb, 'Kapitel', 'Kapitel_kod').length,
    aktiviteter,
    inriktningar: used.size + standAlone.length,
    ageranden: new Map(rader(wb, 'Agerande', 'Agerande_kod').map((r) => [r.cells.Agerande_kod, r.cells])),
    statusar: rader(wb, 'Aktivitetsstatus KSI', 'Kod').length,
    // the sakområde flags: Aktiviteter columns the Anvisningar explain with a row of their own
    flaggor: headers.filter((h) => labels.has(h)),
    aktivitetsrad: new Map(aktivitetsrader.map((r) => [r.cells.Aktivitet_kod, r.rad])),
    omtolkade: unusedRows.filter((r) => sameText(r).length === 1).map((r) => ({ radkod: r.Inriktning_kod, kod: sameText(r)[0], beskrivning: r.Inriktning_beskrivning })),
  };
}

/** Rows of the flat export: code → [parent, title, …]. */
function tsvRows(): Map<string, string[]> {
  const lines = fs.readFileSync(TSV, 'utf8').split(/\r?\n/).slice(1).filter(Boolean);
  return new Map(lines.map((l) => l.split('\t').map((s) => s.replace(/^"|"$/g, ''))).map((f) => [f[0], f.slice(1)]));
}

(present ? describe : describe.skip)('KSI importer (Socialstyrelsen)', () => {
  let facts: KsiFacts;
  let db: Db;
  let store: ResourceStore;
  let engine: TerminologyEngine;

  beforeAll(async () => {
    facts = await ksiFacts();
    ({ db, store } = freshStore());
    await runImport(db, store, importerFor(store), XLSX);
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const lookup = (code: string, system = KSI_URL) => engine.lookup(req([{ name: 'system', valueUri: system }, { name: 'code', valueCode: code }]));
  const expand = (vs: ValueSet | string) =>
    engine.expand(req([typeof vs === 'string' ? { name: 'url', valueUri: vs } : { name: 'valueSet', resource: vs as any }, { name: 'excludeNested', valueBoolean: true }]));
  const conceptCount = (url: string) => store.conceptStore().count(store.byUrl('CodeSystem', url)[0].pk);

  it('holds as many concepts and value sets as the workbook has codes and selections', () => {
    expect(store.byUrl('CodeSystem', KSI_URL)).toHaveLength(1);
    expect(conceptCount(KSI_URL)).toBe(facts.kapitel + facts.inriktningar + facts.aktiviteter.size);
    expect(conceptCount(KSI_AGERANDE_URL)).toBe(facts.ageranden.size);
    expect(conceptCount(KSI_AKTIVITETSSTATUS_URL)).toBe(facts.statusar);
    expect(facts.flaggor.length).toBeGreaterThan(0);
    // one value set per sakområde flag, and one for Aktivitetsstatus KSI
    expect(store.count('ValueSet', {})).toBe(facts.flaggor.length + 1);
    for (const flagga of facts.flaggor) expect(store.byUrl('ValueSet', sakområdeValueSetUrl(flagga))).toHaveLength(1);
  });

  it('describes KSI as Socialstyrelsen publishes it, version from the Anvisningar', () => {
    const cs = store.byUrl('CodeSystem', KSI_URL)[0].resource as CodeSystem;
    expect(cs).toMatchObject({
      id: `ksi-${facts.year}`,
      version: facts.year,
      identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.752.116.1.3.2.3.8' }],
      language: 'sv',
      status: 'active',
      hierarchyMeaning: 'is-a',
      content: 'complete',
      publisher: 'Socialstyrelsen',
      name: 'KSI',
    });
    expect(cs.title).toContain('Klassifikation av socialtjänstens insatser och aktiviteter');
    for (const p of cs.property!) {
      expect(p.type).toBeDefined();
      expect(p.description).toMatch(/\S/);
    }
    const declared = new Set(cs.property!.map((p) => p.code));
    for (const flagga of facts.flaggor) expect(declared).toContain(flagga);
    for (const code of ['inriktning', 'agerande', 'metod', 'agerandegrupp', 'icf', 'innefattar', 'utesluter', 'ny-kod', 'ändrad-text']) expect(declared).toContain(code);
  });

  it('writes only valid FHIR R4 resources', () => {
    const validator = new SchemaValidator();
    for (const t of ['CodeSystem', 'ValueSet', 'ConceptMap']) {
      for (const r of store.search(t, {}, { count: 100, offset: 0 })) expect(() => validator.check(r.resource)).not.toThrow();
    }
  });

  it('changes nothing when the same workbook is imported again', async () => {
    const before = snapshot(db, store);
    const again = await runImport(db, store, importerFor(store), XLSX);
    expect(again.noChange).toBe(true);
    expect(snapshot(db, store)).toEqual(before);
  });

  it('looks up SA1.AA.ZZ with its official title, parents and properties', () => {
    const row = facts.aktiviteter.get('SA1.AA.ZZ')!;
    const out = lookup('SA1.AA.ZZ');
    expect(param(out, 'display')).toBe(row.Aktivitet_text);
    expect(param(out, 'definition')).toBe(row.Aktivitet_beskrivning);
    const props = lookupProperties(out);
    expect(props.get('parent')).toEqual([row.Inriktning_kod]);
    expect(props.get('inriktning')).toEqual(['SA1']);
    expect(props.get('agerande')).toEqual([expect.objectContaining({ system: KSI_AGERANDE_URL, code: 'AA', display: facts.ageranden.get('AA')!.Agerande_text })]);
    expect(props.get('metod')).toEqual(['ZZ']);
    expect(props.get('agerandegrupp')).toEqual([row.Agerandegrupp_text]);
    expect(props.get('icf')).toEqual([row.ICF_kod]);
    for (const flagga of facts.flaggor) expect(props.get(flagga)).toEqual([row[flagga].startsWith('1')]);
    // SA1 hangs under its chapter ("SA - SC" in the workbook, "SA-SC" as a code)
    expect(lookupProperties(lookup('SA1')).get('parent')).toEqual(['SA-SC']);
    expect(param(lookup('SA-SC'), 'display')).toMatch(/^Aktiviteter gällande lärande/);
  });

  it('looks up YAA.05.00 with its title, inriktning and chapter', () => {
    const row = facts.aktiviteter.get('YAA.05.00')!;
    const out = lookup('YAA.05.00');
    expect(param(out, 'display')).toBe(row.Aktivitet_text);
    const props = lookupProperties(out);
    expect(props.get('parent')).toEqual(['YAA']);
    expect(props.get('metod')).toEqual(['00']);
    expect(props.get('agerande')).toEqual([expect.objectContaining({ code: '05' })]);
    expect(lookupProperties(lookup('YAA')).get('parent')).toEqual(['YA']);
    const sub = engine.subsumes(req([{ name: 'system', valueUri: KSI_URL }, { name: 'codeA', valueCode: 'YA' }, { name: 'codeB', valueCode: 'YAA.05.00' }]));
    expect(param(sub, 'outcome')).toBe('subsumes');
  });

  it('expands the ÄOH selection to exactly the aktiviteter flagged 1 in the ÄOH column', () => {
    // "1" as the Anvisningar define it; cells such as "1?" are a 1 with a remark
    const flagged = [...facts.aktiviteter].filter(([, r]) => r['ÄOH'].startsWith('1')).map(([k]) => k);
    const vs = expand(sakområdeValueSetUrl('ÄOH'));
    expect(codesOf(vs.expansion!.contains).sort()).toEqual(flagged.sort());
    expect(vs.expansion!.total).toBe(flagged.length);
  });

  it('pins each sakområde value set to the KSI version it came from', () => {
    const vs = store.byUrl('ValueSet', sakområdeValueSetUrl('ÄOH'))[0].resource as ValueSet;
    expect(vs.title).toBe('KSI – urval ÄOH (äldreomsorg, handläggare)');
    expect(vs.compose!.include).toEqual([{ system: KSI_URL, version: facts.year, filter: [{ property: 'ÄOH', op: '=', value: 'true' }] }]);
  });

  it('refuses an aktivitet outside a selection when validating against it', () => {
    const [code] = [...facts.aktiviteter].find(([, r]) => r['ÄOU'] === '0')!;
    const out = engine.validateValueSetCode(req([{ name: 'url', valueUri: sakområdeValueSetUrl('ÄOU') }, { name: 'system', valueUri: KSI_URL }, { name: 'code', valueCode: code }]));
    expect(param(out, 'result')).toBe(false);
  });

  it('filters aktiviteter by agerande (PH: färdighetsträning)', () => {
    const ph = [...facts.aktiviteter.keys()].filter((k) => k.split('.')[1] === 'PH');
    expect(ph.length).toBeGreaterThan(0);
    const vs = expand({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: KSI_URL, filter: [{ property: 'agerande', op: '=', value: 'PH' }] }] } });
    expect(codesOf(vs.expansion!.contains).sort()).toEqual(ph.sort());
  });

  it('finds the ÄOH value set by title', () => {
    const hits = store.search('ValueSet', { title: { value: 'ÄOH', match: 'contains' } }, { count: 10, offset: 0 });
    expect(hits.map((h) => h.resource.url)).toEqual([sakområdeValueSetUrl('ÄOH')]);
    expect(store.count('ValueSet', { title: { value: 'äoh', match: 'contains' } })).toBe(1);
  });

  it('has Aktivitetsstatus KSI as a code system with a value set of all its codes', () => {
    const vs = expand(KSI_AKTIVITETSSTATUS_VALUESET_URL);
    expect(codesOf(vs.expansion!.contains)).toHaveLength(facts.statusar);
    expect(param(lookup('10', KSI_AKTIVITETSSTATUS_URL), 'display')).toBe('ansökt');
  });

  it('translates KSI to ICF; without ICF a range maps to its first and last code', () => {
    const row = facts.aktiviteter.get('SA1.AA.ZZ')!;
    const [first, last] = row.ICF_kod.split('-');
    const out = engine.translate(req([{ name: 'url', valueUri: KSI_ICF_MAP_URL }, { name: 'system', valueUri: KSI_URL }, { name: 'code', valueCode: 'SA1.AA.ZZ' }]));
    expect(param(out, 'result')).toBe(true);
    const targets = out.filter((p) => p.name === 'match').map((m) => m.part!.find((x) => x.name === 'concept')!.valueCoding!);
    expect(targets.map((t) => t.code)).toEqual([first, last]);
    expect(targets.every((t) => t.system === ICF_URL)).toBe(true);
  });

  it('reads an Inriktning row whose code no aktivitet uses as the used inriktning with its text', () => {
    const cs = store.byUrl('CodeSystem', KSI_URL)[0];
    for (const { radkod, kod, beskrivning } of facts.omtolkade) {
      expect(store.conceptStore().byCode(cs.pk, radkod, true)).toBeUndefined();
      const out = lookup(kod);
      expect(param(out, 'definition')).toBe(beskrivning || undefined);
      expect(lookupProperties(out).get('importanmärkning')?.join(' ')).toContain(`'${radkod}'`);
    }
  });

  it('has every aktivitet row of the workbook as a concept', () => {
    const cs = store.byUrl('CodeSystem', KSI_URL)[0];
    for (const code of facts.aktiviteter.keys()) expect(store.conceptStore().byCode(cs.pk, code, true)).toBeDefined();
  });
});

(present ? describe : describe.skip)('KSI: ICF ranges resolve when ICF is in the store', () => {
  // a tiny ICF (a test fixture, not Socialstyrelsen's content): a chapter, a block and categories
  const icf: CodeSystem = {
    resourceType: 'CodeSystem',
    id: 'icf-test',
    url: ICF_URL,
    version: 'test',
    status: 'active',
    content: 'complete',
    concept: [
      {
        code: 'd1',
        display: 'Lärande och att tillämpa kunskap',
        concept: [
          { code: 'd110-d129', display: 'Målinriktade sinnesupplevelser', concept: [{ code: 'd110', display: 'Att titta', concept: [{ code: 'd1100', display: 'fördjupning' }] }, { code: 'd115', display: 'Att lyssna' }] },
          { code: 'd155', display: 'Att förvärva färdigheter' },
          { code: 'd199', display: 'Lärande, annat ospecificerat' },
        ],
      },
      { code: 'd2', display: 'Allmänna uppgifter och krav', concept: [{ code: 'd210', display: 'Att genomföra en enstaka uppgift' }] },
    ],
  };

  it('maps a range to the ICF codes it covers, a block to the block, and rebuilds stored maps', async () => {
    const { db, store } = freshStore();
    new ResourceLoader(db, store).load([icf]);
    await runImport(db, store, importerFor(store), XLSX);
    const engine = new TerminologyEngine(new StoreResourceSource(store));
    const translate = (code: string) =>
      engine
        .translate(req([{ name: 'url', valueUri: KSI_ICF_MAP_URL }, { name: 'system', valueUri: KSI_URL }, { name: 'code', valueCode: code }]))
        .filter((p) => p.name === 'match')
        .map((m) => `${m.part!.find((x) => x.name === 'concept')!.valueCoding!.code} ${m.part!.find((x) => x.name === 'equivalence')!.valueCode}`);
    const facts = await ksiFacts();
    const range = facts.aktiviteter.get('SA1.AA.ZZ')!.ICF_kod;
    const covered = ['d110', 'd115', 'd155', 'd199', 'd210'].filter((c) => icfOmfattar(range, c));
    expect(translate('SA1.AA.ZZ')).toEqual(covered.map((c) => `${c} relatedto`));
    expect(translate('SA2')).toEqual(['d110-d129 equivalent']);
    expect(translate('SBQ')).toEqual(['d155 equivalent']);

    // the ICF importer's way: rebuild every stored KSI version's map against the ICF in the store
    const maps = ksiIcfConceptMapsFromStore(store);
    expect(maps.map((m) => m.group![0].targetVersion)).toEqual(['test']);
    expect(new ResourceLoader(db, store).load(maps).changedPks).toHaveLength(0);
  });
});

(present ? describe : describe.skip)('KSI: the flat export and the workbook side by side', () => {
  it('imports ksi.tsv as another version of the same code system', async () => {
    const { db, store } = freshStore();
    const importer = importerFor(store);
    const rows = tsvRows();
    const tsv = await runImport(db, store, importer, TSV);
    await runImport(db, store, importer, XLSX);
    const versions = store.byUrl('CodeSystem', KSI_URL);
    expect(versions).toHaveLength(2);
    expect(new Set(versions.map((v) => v.id)).size).toBe(2);
    const flat = versions.find((v) => v.version !== '2025')!;
    expect(flat.version).toMatch(/^0-tsv-[0-9a-f]{8}$/);
    expect(tsv.publisherVersion).toContain('no version in the file');
    expect(store.conceptStore().count(flat.pk)).toBe(rows.size);
    expect((await runImport(db, store, importer, TSV)).noChange).toBe(true);

    const engine = new TerminologyEngine(new StoreResourceSource(store));
    const look = (version?: string) =>
      engine.lookup(req([{ name: 'system', valueUri: KSI_URL }, { name: 'code', valueCode: 'SA1.AA.ZZ' }, ...(version ? [{ name: 'version', valueString: version }] : [])]));
    expect(param(look(), 'version')).toBe('2025');
    expect(param(look(flat.version), 'display')).toBe(rows.get('SA1.AA.ZZ')![1]);
    expect(lookupProperties(look(flat.version)).get('parent')).toEqual([rows.get('SA1.AA.ZZ')![0]]);
  });

  it('gives ksi.tsv the version asked for with --version', async () => {
    const { db, store } = freshStore();
    await runImport(db, store, importerFor(store), TSV, { version: '2024' });
    expect(store.byUrl('CodeSystem', KSI_URL).map((r) => r.id)).toEqual(['ksi-2024']);
  });
});

(present ? describe : describe.skip)('KSI: broken workbooks are refused and leave the store as it was', () => {
  let db: Db;
  let store: ResourceStore;
  let dir: string;
  let facts: KsiFacts;

  beforeAll(async () => {
    ({ db, store, dir } = freshStore());
    facts = await ksiFacts();
    await runImport(db, store, importerFor(store), XLSX);
  });

  /** A copy of the workbook, changed, in the temp folder. */
  async function brokenCopy(name: string, change: (wb: ExcelJS.Workbook) => void): Promise<string> {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(XLSX);
    change(wb);
    const file = path.join(dir, name);
    await wb.xlsx.writeFile(file);
    return file;
  }

  async function expectRefused(file: string, message: string | RegExp) {
    const before = snapshot(db, store);
    const attempt = runImport(db, store, importerFor(store), file);
    await expect(attempt).rejects.toThrow(ImportError);
    await expect(attempt).rejects.toThrow(message);
    expect(snapshot(db, store)).toEqual(before);
  }

  const headerCell = (ws: ExcelJS.Worksheet, header: string) => {
    let found: ExcelJS.Cell | undefined;
    ws.getRow(1).eachCell((c) => (found ??= c.text.trim() === header ? c : undefined));
    return found!;
  };

  it('a missing sheet', async () => {
    const file = await brokenCopy('no-agerande.xlsx', (wb) => wb.removeWorksheet(wb.getWorksheet('Agerande')!.id));
    await expectRefused(file, 'sheet "Agerande": the sheet is missing');
  });

  it('a renamed column', async () => {
    const file = await brokenCopy('renamed.xlsx', (wb) => (headerCell(wb.getWorksheet('Aktiviteter')!, 'Agerande_kod').value = 'Agerandekod'));
    await expectRefused(file, 'sheet "Aktiviteter", column "Agerande_kod", row 1: the column is missing from the header row');
  });

  it('a duplicate code', async () => {
    const [first, second] = [...facts.aktivitetsrad];
    const file = await brokenCopy('duplicate.xlsx', (wb) => {
      const ws = wb.getWorksheet('Aktiviteter')!;
      ws.getCell(second[1], headerCell(ws, 'Aktivitet_kod').col).value = first[0];
    });
    await expectRefused(file, `sheet "Aktiviteter", column "Aktivitet_kod", row ${second[1]}: duplicate code '${first[0]}' (also on row ${first[1]})`);
  });

  it('an empty code in a row that has content', async () => {
    const [, , third] = [...facts.aktivitetsrad];
    const file = await brokenCopy('empty-code.xlsx', (wb) => {
      const ws = wb.getWorksheet('Aktiviteter')!;
      ws.getCell(third[1], headerCell(ws, 'Aktivitet_kod').col).value = null;
    });
    await expectRefused(file, `sheet "Aktiviteter", column "Aktivitet_kod", row ${third[1]}: empty code`);
  });

  it('an aktivitet code that does not split into its three axes', async () => {
    const [first] = [...facts.aktivitetsrad];
    const file = await brokenCopy('bad-code.xlsx', (wb) => {
      const ws = wb.getWorksheet('Aktiviteter')!;
      ws.getCell(first[1], headerCell(ws, 'Aktivitet_kod').col).value = 'SA1-AA';
    });
    await expectRefused(file, `sheet "Aktiviteter", column "Aktivitet_kod", row ${first[1]}: 'SA1-AA' is not an aktivitet code`);
  });
});

describe('KSI helpers (no shared data needed)', () => {
  it('reads tab-separated, quoted records with quotes, tabs and line breaks inside fields', () => {
    const records = parseTsv('"Kod"\t"Titel"\n"A"\t"ett ""citat""\tmed tabb"\n\n"B"\t"två\nrader"\r\n"C"\t\n');
    expect(records).toEqual([
      { line: 1, fields: ['Kod', 'Titel'] },
      { line: 2, fields: ['A', 'ett "citat"\tmed tabb'] },
      { line: 4, fields: ['B', 'två\nrader'] },
      { line: 6, fields: ['C', ''] },
    ]);
  });

  it('parses ICF references and tells which cover which', () => {
    expect(parseIcfReferenser(' d310-d329').referenser).toEqual([{ kind: 'intervall', text: 'd310-d329', first: 'd310', last: 'd329' }]);
    expect(parseIcfReferenser('b410, b440').referenser.map((r) => r.kind)).toEqual(['kod', 'kod']);
    expect(parseIcfReferenser('Övergripande kod').oläsliga).toEqual(['Övergripande kod']);
    expect(icfOmfattar('d1', 'd110-d129')).toBe(true);
    expect(icfOmfattar('d110-d199', 'd155')).toBe(true);
    expect(icfOmfattar('d640', 'd6400')).toBe(true);
    expect(icfOmfattar('d110-d199', 'd2')).toBe(false);
    expect(icfOmfattar('e115-e145xx', 'e145')).toBe(true);
    expect(icfOmfattar('d5', 'D598a')).toBe(true);
  });
});
