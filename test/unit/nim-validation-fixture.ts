import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodeSystem, ValueSet } from 'fhir/r4';
import { loadConfig } from '../../src/config';
import { loadInitialContent } from '../../src/server';
import { openDatabase, Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ResourceLoader } from '../../src/importers/loader';
import { loadNimSeed } from '../../src/nim/seed';
import { Nim, openNim } from '../../src/nim';

/**
 * Terminology for validation tests that needs none of Socialstyrelsen's files: the content
 * pack (terminology/) plus small stand-ins for what the seed binds to but only an import would
 * bring — KSI aktivitetsstatus, a handful of KSI codes with their sakområde flags, and the
 * aktualiseringsorsak selections the context bindings of Aktualisera ärende name.
 */

const PACK = path.resolve(__dirname, '../../terminology');
const KODVERK = 'https://kodverk.se/fhir';

/** A complete Kodverk code system (id test-<name> unless given). */
export function codeSystem(name: string, version: string, concept: CodeSystem['concept'], extra: Partial<CodeSystem> = {}): CodeSystem {
  return { resourceType: 'CodeSystem', id: `test-${name}`, url: `${KODVERK}/CodeSystem/${name}`, version, status: 'active', content: 'complete', caseSensitive: true, concept, ...extra };
}

/** Concepts from code → display pairs. */
const concepts = (pairs: Record<string, string>) => Object.entries(pairs).map(([code, display]) => ({ code, display }));

export const AKTIVITETSSTATUS = codeSystem(
  'ksi-aktivitetsstatus',
  '2025',
  [
    ...concepts({ '10': 'ansökt', '15': 'avbruten', '20': 'avslagen', '25': 'avslutad', '30': 'beviljad', '35': 'föreslagen', '40': 'genomförd' }),
    { code: '05', display: 'pågående (utgått)', property: [{ code: 'status', valueCode: 'retired' }] },
  ],
  { property: [{ code: 'status', uri: 'http://hl7.org/fhir/concept-properties#status', type: 'code' }] },
);

const FLAGS = ['ÄOH', 'FunkH', 'BoUH', 'VuxMissbrukH', 'EkBistHU'];
const flags = (...on: string[]) => FLAGS.map((code) => ({ code, valueBoolean: on.includes(code) }));

/** A few KSI codes with the selection flags the per-sakområde value sets (urval.yaml) filter on. */
export const KSI = codeSystem(
  'ksi',
  '2025',
  [
    { code: 'YAA.05.00', display: 'Hemtjänst', property: flags('ÄOH') },
    { code: 'YAB.10.ZZ', display: 'Personlig assistans (LSS)', property: flags('FunkH') },
    { code: 'YAC.15.15', display: 'LVU-vård enligt 2 § LVU, miljö', property: flags('BoUH') },
    { code: 'SA1.AA.ZZ', display: 'Bedömning av förmåga att utföra aktiviteter', property: flags('ÄOH', 'FunkH') },
  ],
  { property: FLAGS.map((code) => ({ code, type: 'boolean' as const })) },
);

export const ORSAK = codeSystem(
  'aktualiseringsorsak',
  '0.9.0',
  concepts({ 'oro-for-barn': 'Oro för barn', 'vald-i-nara-relation': 'Våld i nära relation', 'ekonomiskt-behov': 'Ekonomiskt behov', arbetsloshet: 'Arbetslöshet' }),
  { status: 'draft' },
);

const orsakSet = (id: string, codes: string[]): ValueSet => ({
  resourceType: 'ValueSet',
  id: `test-${id}`,
  url: `${KODVERK}/ValueSet/${id}`,
  version: '0.9.0',
  status: 'draft',
  compose: { include: [{ system: ORSAK.url, concept: codes.map((code) => ({ code })) }] },
});

export const FIXTURES = [
  AKTIVITETSSTATUS,
  KSI,
  ORSAK,
  orsakSet('aktualiseringsorsak-barn-och-unga-anmalan', ['oro-for-barn', 'vald-i-nara-relation']),
  orsakSet('aktualiseringsorsak-ekonomiskt-bistand-ansokan', ['ekonomiskt-behov', 'arbetsloshet']),
];

/** A content pack folder: terminology/ with the fixtures (and any `extra` resources) added (for a server's first start). */
export function contentPackWithFixtures(extra: (CodeSystem | ValueSet)[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-validate-pack-'));
  fs.cpSync(PACK, dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'test-fixtures'));
  for (const r of [...FIXTURES, ...extra]) fs.writeFileSync(path.join(dir, 'test-fixtures', `${r.id}.json`), JSON.stringify(r));
  return dir;
}

export interface FixtureStore {
  dir: string;
  file: string;
  db: Db;
  store: ResourceStore;
  nim: Nim;
  loader: ResourceLoader;
  close(): void;
}

/** A store as a first start with the fixture pack leaves it: release 1.0.0 adopted, 1.1.0 on påseende. */
export function fixtureStore(extra: (CodeSystem | ValueSet)[] = []): FixtureStore {
  const pack = contentPackWithFixtures(extra);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-validate-'));
  const file = path.join(dir, 'store.db');
  const db = openDatabase(file);
  const store = new ResourceStore(db);
  loadInitialContent(db, store, loadConfig({ loadFhirCore: false, contentPackDir: pack }));
  loadNimSeed(db, store, path.join(pack, 'nim'));
  fs.rmSync(pack, { recursive: true, force: true });
  return {
    dir,
    file,
    db,
    store,
    nim: openNim(db, store),
    loader: new ResourceLoader(db, store),
    close: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const OVERRIDE = 'Testdata: ingen leverantör berörs.';

/** Beslut utfall 2027.1: adds 'avvisad' (a code valid from release 1.2.0, unknown before). */
export const UTFALL_2027: { codeSystem: CodeSystem; valueSet: ValueSet } = {
  codeSystem: codeSystem('beslut-utfall', '2027.1', concepts({ beviljad: 'Beviljad', 'delvis-beviljad': 'Delvis beviljad', avslag: 'Avslag', avvisad: 'Avvisad' }), { id: 'beslut-utfall-2027' }),
  valueSet: {
    resourceType: 'ValueSet',
    id: 'beslut-utfall-2027',
    url: `${KODVERK}/ValueSet/beslut-utfall`,
    version: '2027.1',
    status: 'active',
    compose: { include: [{ system: `${KODVERK}/CodeSystem/beslut-utfall` }] },
  },
};

/**
 * The releases the date tests need: 1.1.0 adopted from 2026-07-01, then 1.2.0 (Myndighetsbeslut
 * 1.1.0, whose utfall value set gained 'avvisad') adopted from 2027-07-01.
 */
export function adoptReleases(f: FixtureStore): void {
  f.nim.releases.transition('1.1.0', 'faststalld', { effectiveFrom: '2026-07-01', overrideLeadTime: OVERRIDE });
  f.loader.load([UTFALL_2027.codeSystem, UTFALL_2027.valueSet]);
  f.nim.models.newVersion('myndighetsbeslut');
  f.nim.releases.create({ version: '1.2.0', title: 'Beslut utfall 2027' });
  f.nim.releases.transition('1.2.0', 'paseende');
  f.nim.releases.transition('1.2.0', 'faststalld', { effectiveFrom: '2027-07-01', overrideLeadTime: OVERRIDE });
}

// ---- a register submission ------------------------------------------------------------------

/** A personal identity number as a municipality's file would hold it (it must never come back). */
export const PNR = '19121212-1212';

export const HEADER = 'Brukare.personId;Brukare.kön;Insats.typ;Insats.sakområde;Insats.status;Beslut.datum;Beslut.utfall;Beslut.lagrum;Aktualisering.typ;Aktualisering.sakomrade;Aktualisering.orsak;Aktualisering.datum';
/** A clean row: a decision on 2026-08-01 (release 1.1.0 once adopted), aktualisering 2026-07-15. */
const CLEAN = [PNR, 'kvinna', 'hemtjanst', 'aldreomsorg', '30', '2026-08-01', 'beviljad', 'SoL2025-12:1', 'anmalan', 'barn-och-unga', 'oro-for-barn', '2026-07-15'];

/** The clean row with some cells replaced (by column index). */
export function row(changes: Record<number, string> = {}): string {
  return CLEAN.map((c, i) => (i in changes ? changes[i] : c)).join(';');
}

/** Planted errors (one per row) and what each must yield: severity, type, element, column. */
export const PLANTED: { cells: Record<number, string>; expect: [severity: string, type: string, element: string, column: number] }[] = [
  { cells: { 1: PNR }, expect: ['error', 'unknown-code', 'Brukare.kon', 2] },
  { cells: { 6: `${KODVERK}/CodeSystem/sakomrade|aldreomsorg` }, expect: ['error', 'not-in-value-set', 'Myndighetsbeslut.utfall', 7] },
  { cells: { 5: '2026-02-30' }, expect: ['error', 'invalid-value', 'Myndighetsbeslut.datum', 6] },
  { cells: { 4: '' }, expect: ['error', 'required-missing', 'Insats.status', 5] },
  { cells: { 10: 'ekonomiskt-behov' }, expect: ['error', 'not-in-context-value-set', 'AktualiseraArende.orsak[0]', 11] },
];

/** Clean rows of other kinds: other insats and utfall, an ansökan about ekonomiskt bistånd. */
export const CLEAN_ROWS = [row(), row({ 2: 'boendestod', 6: 'avslag' }), row({ 8: 'ansokan', 9: 'ekonomiskt-bistand', 10: 'arbetsloshet' })];

export const csvFile = (rows: string[]) => [HEADER, ...rows].join('\r\n') + '\r\n';

/** Two clean rows, the planted errors (rows 3–7), a clean row. */
export const planted = () => csvFile([row(), row(), ...PLANTED.map((p) => row(p.cells)), row()]);

/** What a report must say of planted(): [row, severity, type, element, column]. */
export const PLANTED_FINDINGS = PLANTED.map((p, i) => [i + 3, ...p.expect]);

/** A report's findings as [row, severity, type, element, column]. */
export const findingsOf = (report: any) => report.rows.flatMap((r: any) => r.issues.map((i: any) => [r.row, i.severity, i.type, i.element, i.column]));
