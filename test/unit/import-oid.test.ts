import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { NamingSystem, ParametersParameter } from 'fhir/r4';
import { Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { ImportError } from '../../src/importers/importer';
import { KANONISKA_URL, oidImporter } from '../../src/importers/oid';
import { KSI_OID, KSI_URL, createKsiImporter } from '../../src/importers/ksi';
import { KVA_OID, KVA_URL } from '../../src/importers/kva';
import { ICF_OID, ICF_URL } from '../../src/importers/ksi-icf-map';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { SchemaValidator } from '../../src/terminology/resource-schema';
import { SHARED_DATA, sharedDataPresent } from '../helpers/server';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

const DIR = path.join(SHARED_DATA, 'socialstyrelsen');
const XLSX = path.join(DIR, 'socialstyrelsens-oid-serie-2025-10-17.xlsx');
const KSI = path.join(DIR, 'ksi-2025.xlsx');
const ACTIVE = 'SoS-OID-lista (aktiva)';
const INACTIVE = 'SoS-OID-lista (inaktiva)';
const present = sharedDataPresent('socialstyrelsen') && fs.existsSync(XLSX) && fs.existsSync(KSI);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the OID series import tests: ${XLSX} or ${KSI} is missing`);
}

/** OIDs of a list sheet with the row each is on and its Status cell, read with exceljs alone. */
async function oidRows(): Promise<{ sheet: string; oid: string; row: number; status: string }[]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(XLSX);
  const out: { sheet: string; oid: string; row: number; status: string }[] = [];
  for (const sheet of [ACTIVE, INACTIVE]) {
    wb.getWorksheet(sheet)!.eachRow((r, n) => {
      if (n > 1 && r.getCell(1).text.trim()) out.push({ sheet, oid: r.getCell(1).text.trim(), row: n, status: r.getCell(6).text.trim() });
    });
  }
  return out;
}

const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: [] });
const param = (out: ParametersParameter[], name: string) => {
  const p = out.find((x) => x.name === name);
  return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
};

(present ? describe : describe.skip)('OID series importer (Socialstyrelsen)', () => {
  let rows: Awaited<ReturnType<typeof oidRows>>;
  let db: Db;
  let store: ResourceStore;
  let engine: TerminologyEngine;

  beforeAll(async () => {
    rows = await oidRows();
    const dir = tempDir('kodverk-oid-');
    db = openTempDatabase(path.join(dir, 'store.db'));
    store = new ResourceStore(db);
    await runImport(db, store, oidImporter, XLSX);
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const naming = () => store.search('NamingSystem', {}, { count: 1000, offset: 0 }).map((r) => r.resource as NamingSystem);

  it('holds one NamingSystem per listed OID, retired when no row lists it as active', () => {
    const oids = new Set(rows.map((r) => r.oid));
    const active = new Set(rows.filter((r) => r.status.toLowerCase() === 'aktiv').map((r) => r.oid));
    expect(store.count('NamingSystem', {})).toBe(oids.size);
    expect(store.count('NamingSystem', { status: 'active' })).toBe(active.size);
    expect(store.count('NamingSystem', { status: 'retired' })).toBe(oids.size - active.size);
    for (const ns of naming()) {
      expect(ns.kind).toBe('codesystem');
      expect(ns.uniqueId[0]).toEqual({ type: 'oid', value: ns.id!.replace('sos-oid-', ''), preferred: true });
    }
    const validator = new SchemaValidator();
    for (const ns of naming()) expect(() => validator.check(ns)).not.toThrow();
  });

  it('gives KSI, ICF, KVÅ and Snomed CT their canonical URL, and the others only their OID', () => {
    const hosted = [KSI_OID, ICF_OID, KVA_OID, '1.2.752.116.2.1.1'];
    for (const oid of hosted) expect(rows.map((r) => r.oid)).toContain(oid);
    for (const ns of naming()) {
      const oid = ns.uniqueId[0].value;
      const uris = ns.uniqueId.filter((u) => u.type === 'uri').map((u) => u.value);
      expect(uris).toEqual(hosted.includes(oid) ? [KANONISKA_URL[oid]] : []);
    }
  });

  it('resolves urn:oid: system URIs to the canonical URL, and the canonical URL back to its OID', () => {
    const ctx = engine.context();
    expect(ctx.canonicalSystem(`urn:oid:${KSI_OID}`)).toBe(KSI_URL);
    expect(ctx.canonicalSystem(`urn:oid:${ICF_OID}`)).toBe(ICF_URL);
    expect(ctx.canonicalSystem(`urn:oid:${KVA_OID}`)).toBe(KVA_URL);
    const unhosted = rows.find((r) => !KANONISKA_URL[r.oid])!.oid;
    expect(ctx.canonicalSystem(`urn:oid:${unhosted}`)).toBe(`urn:oid:${unhosted}`);
    const back = store.search('NamingSystem', { identifier: KSI_URL }, { count: 10, offset: 0 });
    expect(back.map((b) => b.resource.uniqueId[0].value)).toEqual([KSI_OID]);
    expect(store.count('NamingSystem', { identifier: `urn:oid:${ICF_OID}` })).toBe(1);
  });

  it('lets a KSI code be looked up and validated under its OID', async () => {
    await runImport(db, store, createKsiImporter(() => undefined), KSI);
    const system = `urn:oid:${KSI_OID}`;
    const out = engine.lookup(req([{ name: 'system', valueUri: system }, { name: 'code', valueCode: 'SA1.AA.ZZ' }]));
    expect(param(out, 'system')).toBe(KSI_URL);
    const valid = engine.validateCodeSystemCode(req([{ name: 'url', valueUri: system }, { name: 'code', valueCode: 'YAA.05.00' }]));
    expect(param(valid, 'result')).toBe(true);
  });

  it('changes nothing when imported again', async () => {
    expect((await runImport(db, store, oidImporter, XLSX)).noChange).toBe(true);
  });

  it('refuses a row whose OID is not an OID, naming sheet, column and row, and changes nothing', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(XLSX);
    const target = rows.find((r) => r.sheet === INACTIVE)!;
    wb.getWorksheet(INACTIVE)!.getCell(target.row, 1).value = '1.2.752.x';
    const file = path.join(tempDir('kodverk-oid-broken-'), 'broken.xlsx');
    await wb.xlsx.writeFile(file);
    const before = store.count('NamingSystem', {});
    const attempt = runImport(db, store, oidImporter, file);
    await expect(attempt).rejects.toThrow(ImportError);
    await expect(attempt).rejects.toThrow(`sheet "${INACTIVE}", column "SoS-OID", row ${target.row}: '1.2.752.x' is not an OID`);
    expect(store.count('NamingSystem', {})).toBe(before);
  });
});
