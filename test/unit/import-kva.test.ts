import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { ParametersParameter } from 'fhir/r4';
import { Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { ImportError } from '../../src/importers/importer';
import { KVA_OID, KVA_URL, kvaImporter } from '../../src/importers/kva';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { SchemaValidator } from '../../src/terminology/resource-schema';
import { SHARED_DATA, sharedDataPresent } from '../helpers/server';
import { freshTempStore, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

const XLSX = path.join(SHARED_DATA, 'socialstyrelsen', 'kva-inkl-beskrivningstexter-2026.xlsx');
const SHEET = 'KVÅ – (KKÅ+KMÅ)';
const present = sharedDataPresent('socialstyrelsen') && fs.existsSync(XLSX);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the KVÅ import tests: ${XLSX} is missing`);
}

/** What the workbook holds, read with exceljs alone (independently of the importer). */
interface KvaFacts {
  year: string;
  /** "Antal 5 ställiga koder KKÅ+KMÅ: 11 888" in Läs mig */
  statedTotal: number;
  rows: Map<string, { row: number; cells: Record<string, string> }>;
  klassifikationer: Map<string, number>;
  extraColumn: { letter: string; code: string; text: string } | undefined;
}

/** exceljs' own text of a cell (a hyperlink with rich text gives an object: no text for us) */
const text = (c: ExcelJS.Cell) => (typeof c.text === 'string' ? c.text.trim() : '');

async function kvaFacts(): Promise<KvaFacts> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(XLSX);
  const läsMig: string[] = [];
  wb.getWorksheet('Läs mig')!.eachRow((r) => läsMig.push(text(r.getCell(1))));
  const ws = wb.getWorksheet(SHEET)!;
  const headers = ws.getRow(1).values as unknown[];
  const rows: KvaFacts['rows'] = new Map();
  const klassifikationer = new Map<string, number>();
  let extraColumn: KvaFacts['extraColumn'];
  ws.eachRow((r, n) => {
    if (n === 1) return;
    const cells: Record<string, string> = {};
    headers.forEach((h, i) => typeof h === 'string' && (cells[h] = text(r.getCell(i))));
    rows.set(cells.Kod, { row: n, cells });
    klassifikationer.set(cells.Klassifikation, (klassifikationer.get(cells.Klassifikation) ?? 0) + 1);
    const beyond = text(r.getCell(headers.length));
    if (!extraColumn && beyond) extraColumn = { letter: ws.getColumn(headers.length).letter, code: cells.Kod, text: beyond };
  });
  const stated = läsMig.map((t) => /KKÅ\+KMÅ:\s*([\d\s]+)$/.exec(t)).find(Boolean)!;
  return { year: /KVÅ (\d{4})/.exec(läsMig[0])![1], statedTotal: Number(stated[1].replace(/\s/g, '')), rows, klassifikationer, extraColumn };
}

const freshStore = () => freshTempStore('kodverk-kva-');

const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: [] });
const param = (out: ParametersParameter[], name: string) => {
  const p = out.find((x) => x.name === name);
  return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
};
const propertyValue = (out: ParametersParameter[], code: string) =>
  out.filter((p) => p.name === 'property' && p.part![0].valueCode === code).map((p) => p.part!.find((x) => x.name === 'value')!.valueString);

(present ? describe : describe.skip)('KVÅ importer (Socialstyrelsen)', () => {
  let facts: KvaFacts;
  let db: Db;
  let store: ResourceStore;
  let engine: TerminologyEngine;

  beforeAll(async () => {
    facts = await kvaFacts();
    ({ db, store } = freshStore());
    await runImport(db, store, kvaImporter, XLSX);
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  it('holds every code of the sheet, as many as Läs mig states, and a value set per Klassifikation', () => {
    const [cs] = store.byUrl('CodeSystem', KVA_URL);
    expect(store.conceptStore().count(cs.pk)).toBe(facts.rows.size);
    expect(facts.rows.size).toBe(facts.statedTotal);
    expect(store.count('ValueSet', {})).toBe(facts.klassifikationer.size);
  });

  it('describes KVÅ with the version of Läs mig and its OID', () => {
    const cs = store.byUrl('CodeSystem', KVA_URL)[0].resource;
    expect(cs).toMatchObject({ id: `kva-${facts.year}`, version: facts.year, language: 'sv', publisher: 'Socialstyrelsen', identifier: [{ value: `urn:oid:${KVA_OID}` }] });
    for (const p of cs.property) expect(p.description).toMatch(/\S/);
    const validator = new SchemaValidator();
    for (const t of ['CodeSystem', 'ValueSet']) for (const r of store.search(t, {}, { count: 10, offset: 0 })) expect(() => validator.check(r.resource)).not.toThrow();
  });

  it('looks up a code with its Swedish title, description and text columns, also by OID', () => {
    const [code, { cells }] = [...facts.rows].find(([, r]) => r.cells['Relaterad ICF-kod'] && r.cells.Beskrivning)!;
    for (const system of [KVA_URL, `urn:oid:${KVA_OID}`]) {
      const out = engine.lookup(req([{ name: 'system', valueUri: system }, { name: 'code', valueCode: code }]));
      expect(param(out, 'display')).toBe(cells.Titel);
      expect(param(out, 'definition')).toBe(cells.Beskrivning);
      expect(propertyValue(out, 'icf')).toEqual([cells['Relaterad ICF-kod']]);
      expect(propertyValue(out, 'klassifikation')).toEqual([/\((\S+)\)$/.exec(cells.Klassifikation)![1]]);
    }
  });

  it('keeps the values of the column without a header', () => {
    expect(facts.extraColumn).toBeDefined();
    const { letter, code, text } = facts.extraColumn!;
    const out = engine.lookup(req([{ name: 'system', valueUri: KVA_URL }, { name: 'code', valueCode: code }]));
    expect(propertyValue(out, `kolumn-${letter}`)).toEqual([text]);
  });

  it('expands each Klassifikation value set to its codes', () => {
    for (const vs of store.search('ValueSet', {}, { count: 10, offset: 0 })) {
      const klassifikation = [...facts.klassifikationer.keys()].find((k) => vs.resource.title.endsWith(k))!;
      const out = engine.expand(req([{ name: 'url', valueUri: vs.url! }, { name: 'count', valueInteger: 0 }]));
      expect(out.expansion!.total).toBe(facts.klassifikationer.get(klassifikation));
    }
  });

  it('changes nothing when imported again', async () => {
    expect((await runImport(db, store, kvaImporter, XLSX)).noChange).toBe(true);
  });

  describe('refuses a broken workbook and leaves the store as it was', () => {
    async function brokenCopy(name: string, change: (wb: ExcelJS.Workbook) => void): Promise<string> {
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(XLSX);
      change(wb);
      const file = path.join(tempDir('kodverk-kva-broken-'), name);
      await wb.xlsx.writeFile(file);
      return file;
    }

    async function expectRefused(file: string, message: string) {
      const before = [store.count('CodeSystem', {}), store.count('ValueSet', {}), (db.prepare('SELECT count(*) AS n FROM concept').get() as { n: number }).n];
      const attempt = runImport(db, store, kvaImporter, file);
      await expect(attempt).rejects.toThrow(ImportError);
      await expect(attempt).rejects.toThrow(message);
      expect([store.count('CodeSystem', {}), store.count('ValueSet', {}), (db.prepare('SELECT count(*) AS n FROM concept').get() as { n: number }).n]).toEqual(before);
    }

    it('a renamed column', async () => {
      const file = await brokenCopy('renamed.xlsx', (wb) => (wb.getWorksheet(SHEET)!.getCell('C1').value = 'Kodtext'));
      await expectRefused(file, `sheet "${SHEET}", column "Titel", row 1: the column is missing from the header row`);
    });

    it('a duplicate code, and a missing Läs mig', async () => {
      const [first, second] = [...facts.rows];
      const dup = await brokenCopy('duplicate.xlsx', (wb) => (wb.getWorksheet(SHEET)!.getCell(`B${second[1].row}`).value = first[0]));
      await expectRefused(dup, `sheet "${SHEET}", column "Kod", row ${second[1].row}: duplicate code '${first[0]}' (also on row ${first[1].row})`);
      const noReadme = await brokenCopy('no-readme.xlsx', (wb) => wb.removeWorksheet(wb.getWorksheet('Läs mig')!.id));
      await expectRefused(noReadme, 'sheet "Läs mig": the sheet is missing');
    });
  });
});
