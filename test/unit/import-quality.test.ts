import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodeSystem, CodeSystemConcept } from 'fhir/r4';
import { openDatabase, Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ImportLog } from '../../src/store/import-log';
import { ResourceLoader } from '../../src/importers/loader';
import { Importer } from '../../src/importers/importer';
import { runImport } from '../../src/importers/run-import';
import { QualityFinding, countByKind, qualityReport, sameWording } from '../../src/importers/quality';
import { ksiImporter } from '../../src/importers/ksi';
import { SHARED_DATA } from '../helpers/server';
import { codeSystem } from './nim-validation-fixture';

/**
 * The import quality report: what an expert would notice in a release, found without changing
 * the data — inclusions naming codes of another inriktning (or with another agerande), references
 * to codes that do not exist, a code naming itself, duplicate titles, text changes against the
 * previous version — on a small KSI-shaped code system, then on Socialstyrelsen's own files.
 */

const KSI = 'https://kodverk.se/fhir/CodeSystem/ksi';
const KSI_FILE = path.join(SHARED_DATA, 'socialstyrelsen', 'ksi-2025.xlsx');
const KSI_TSV = path.join(SHARED_DATA, 'socialstyrelsen', 'ksi.tsv');

const p = (code: string, value: string) => ({ code, valueString: value });
function aktivitet(code: string, display: string, texts: { innefattar?: string; utesluter?: string } = {}, icf?: string): CodeSystemConcept {
  const [inriktning, agerande] = code.split('.');
  return {
    code,
    display,
    property: [
      { code: 'typ', valueString: 'aktivitet' },
      { code: 'inriktning', valueCode: inriktning },
      { code: 'agerande', valueCoding: { code: agerande } },
      ...(icf ? [p('icf', icf)] : []),
      ...(texts.innefattar ? [p('innefattar', texts.innefattar)] : []),
      ...(texts.utesluter ? [p('utesluter', texts.utesluter)] : []),
    ],
  };
}
const group = (code: string, typ: string, concept: CodeSystemConcept[], icf?: string): CodeSystemConcept => ({ code, display: `Grupp ${code}`, property: [{ code: 'typ', valueString: typ }, ...(icf ? [p('icf', icf)] : [])], concept });

function ksi(version: string, sa1Innefattar: string): CodeSystem {
  return codeSystem('ksi', version, [
    group('SA-SC', 'kapitel', [
      group('SA1', 'inriktning', [
        aktivitet('SA1.AA.ZZ', 'Bedömning av lärande', { innefattar: sa1Innefattar }, 'd110-d199'),
        aktivitet('SA1.AM.ZZ', 'Observation av lärande', { innefattar: 'observation av sinnesupplevelser (SA2.AA.ZZ)' }, 'd110-d199'),
        group('SA2', 'inriktning', [aktivitet('SA2.AA.ZZ', 'Bedömning av sinnesupplevelser', {}, 'd110-d129'), aktivitet('SA2.AM.ZZ', 'Bedömning av sinnesupplevelser', {}, 'd110-d129')], 'd110-d129'),
      ], 'd110-d199'),
    ]),
    group('SE-SG', 'kapitel', [group('SF2', 'inriktning', [group('SFA', 'inriktning', [aktivitet('SFA.AA.ZZ', 'Bedömning av att tala', {}, 'd330')], 'd330')], 'd330-d349')]),
    group('XA', 'kapitel', [group('XAH', 'inriktning', [aktivitet('XAH.20.35', 'Fastställa genomförandeplan', { utesluter: 'genomförandeplan (XAH.20.35)' })])]),
  ], { id: `ksi-${version}` });
}

let dir: string;
let db: Db;
let store: ResourceStore;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-quality-'));
  db = openDatabase(path.join(dir, 'kodverk.db'));
  store = new ResourceStore(db);
});

afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const of = (findings: QualityFinding[], kind: string, code?: string) => findings.filter((f) => f.kind === kind && (code === undefined || f.code === code));

describe('the import quality report', () => {
  const release = ksi('2025', 'sinnesupplevelser (SA2.AA.ZZ); att tala (SFA.AA.ZZ); att sjunga (SFX.AA.ZZ)');

  it('finds an inclusion naming a code of another inriktning, but not one of an inriktning below its own', () => {
    const findings = qualityReport([release], store);
    expect(of(findings, 'inclusion-elsewhere')).toEqual([
      { kind: 'inclusion-elsewhere', resourceType: 'CodeSystem', url: KSI, version: '2025', code: 'SA1.AA.ZZ', field: 'innefattar', refs: ['SFA.AA.ZZ'], detail: { group: 'inriktning', own: 'SA1', others: ['SFA'] } },
    ]);
  });

  it('finds inclusions with another agerande, references to codes that do not exist, and a code naming itself', () => {
    const findings = qualityReport([release], store);
    expect(of(findings, 'inclusion-other-agerande')).toEqual([expect.objectContaining({ code: 'SA1.AM.ZZ', refs: ['SA2.AA.ZZ'], detail: { own: 'AM', others: ['AA'] } })]);
    expect(of(findings, 'unknown-reference')).toEqual([expect.objectContaining({ code: 'SA1.AA.ZZ', field: 'innefattar', refs: ['SFX.AA.ZZ'] })]);
    expect(of(findings, 'self-reference')).toEqual([expect.objectContaining({ code: 'XAH.20.35', field: 'utesluter', refs: ['XAH.20.35'] })]);
  });

  it('finds titles used by two codes', () => {
    expect(of(qualityReport([release], store), 'duplicate-display').map((f) => [f.code, f.refs])).toEqual([
      ['SA2.AA.ZZ', ['SA2.AM.ZZ']],
      ['SA2.AM.ZZ', ['SA2.AA.ZZ']],
    ]);
  });

  it('finds texts changed against the previous version of the same code system, and whether the release says so', () => {
    new ResourceLoader(db, store).load([ksi('2024', 'sinnesupplevelser (SA2.AA.ZZ)')]);
    const changed = of(qualityReport([release], store), 'text-changed');
    expect(changed).toEqual([expect.objectContaining({ code: 'SA1.AA.ZZ', field: 'innefattar', detail: { previous: '2024', before: 'sinnesupplevelser (SA2.AA.ZZ)', after: release.concept![0].concept![0].concept![0].property!.find((x) => x.code === 'innefattar')!.valueString, declared: false } })]);
    // the previous of an older version is none: 2023 has nothing before it
    expect(of(qualityReport([ksi('2023', 'x')], store), 'text-changed')).toEqual([]);
  });

  it('reports changes of wording, not of case, punctuation or typography', () => {
    new ResourceLoader(db, store).load([ksi('2024', 'Sinnesupplevelser - att se (SA2.AA.ZZ) ;')]);
    expect(of(qualityReport([ksi('2025', 'sinnesupplevelser – att se (SA2.AA.ZZ)')], store), 'text-changed')).toEqual([]);
    expect(of(qualityReport([ksi('2025', 'sinnesupplevelser – att höra (SA2.AA.ZZ)')], store), 'text-changed')).toHaveLength(1);
    // a code named differently is a change of wording
    expect(of(qualityReport([ksi('2025', 'Sinnesupplevelser - att se (SA2.AS.ZZ) ;')], store), 'text-changed')).toHaveLength(1);
    expect(sameWording('Övergripande psykiska funktioner (b110-b139)', 'Övergripande psykiska funktioner', 'b110-b139')).toBe(true);
    expect(sameWording('”slingrande” rörelser, tidigt', '"slingrande" rörelser tidigt.', 'b7610')).toBe(true);
    expect(sameWording('att hantera stress', 'hantera stress', 'SDJ.AA.ZZ')).toBe(false);
  });

  it('finds codes a selection lists that its code system does not have', () => {
    new ResourceLoader(db, store).load([release]);
    const urval = { resourceType: 'ValueSet', id: 'urval', url: 'https://kodverk.se/fhir/ValueSet/urval-test', version: '1', status: 'active', compose: { include: [{ system: KSI, concept: [{ code: 'SA1.AA.ZZ' }, { code: 'QV011' }] }] } };
    expect(qualityReport([urval], store)).toEqual([expect.objectContaining({ kind: 'unknown-reference', resourceType: 'ValueSet', code: 'QV011', field: 'compose' })]);
  });

  it('is part of the import: in the summary and stored with its provenance, the data unchanged', async () => {
    const file = path.join(dir, 'ksi-2025.xlsx');
    fs.writeFileSync(file, 'stand-in');
    const importer: Importer = { format: 'ksi', description: 'stand-in', read: async () => ({ resources: [release] }) };
    const summary = await runImport(db, store, importer, file);
    expect(summary.notes.join('\n')).toMatch(/quality report \(the data is imported as published\): 6 findings\n {2}inclusion-elsewhere: 1 \(SA1\.AA\.ZZ innefattar: SFA\.AA\.ZZ\)/);
    const log = new ImportLog(db);
    const [run] = log.all();
    expect(run.summary).toMatchObject({ quality: { 'inclusion-elsewhere': 1, 'inclusion-other-agerande': 1, 'unknown-reference': 1, 'self-reference': 1, 'duplicate-display': 2 } });
    expect(log.findings(run.pk, KSI, '2025', 'SA1.AA.ZZ').map((f) => f.kind).sort()).toEqual(['inclusion-elsewhere', 'unknown-reference']);
    const stored = store.conceptStore().byCode(store.byUrl('CodeSystem', KSI)[0].pk, 'SA1.AA.ZZ', true)!;
    expect(store.conceptStore().properties(stored.pk).find((x) => x.code === 'innefattar')!.value_text).toMatch(/SFA\.AA\.ZZ/);
  });
});

const haveKsi = fs.existsSync(KSI_FILE) && fs.existsSync(KSI_TSV);
if (!haveKsi) console.warn(`KSI quality tests skipped: Socialstyrelsen's KSI files are not in ${path.dirname(KSI_FILE)}`);
(haveKsi ? describe : describe.skip)("on Socialstyrelsen's KSI", () => {
  it('ksi-2025.xlsx: SA1.AA.ZZ includes communication activities of another inriktning; the earlier ksi.tsv has the right text', async () => {
    const tsv = await ksiImporter.read(KSI_TSV, { version: '2024' }, { start() {}, update() {}, stop() {} }, store);
    const xlsx = await ksiImporter.read(KSI_FILE, {}, { start() {}, update() {}, stop() {} }, store);
    const before = qualityReport(tsv.resources, store);
    expect(of(before, 'inclusion-elsewhere')).toEqual([]);
    const after = qualityReport(xlsx.resources, store);
    expect(of(after, 'inclusion-elsewhere')).toEqual([
      expect.objectContaining({ code: 'SA1.AA.ZZ', field: 'innefattar', refs: ['SFA.AA.ZZ', 'SFB.AA.ZZ', 'SFD.AA.ZZ', 'SFJ.AA.ZZ', 'SFK.AA.ZZ'], detail: { group: 'inriktning', own: 'SA1', others: ['SFA', 'SFB', 'SFD', 'SFJ', 'SFK'] } }),
    ]);
    const counts = countByKind(after);
    expect(counts['inclusion-other-agerande']).toBeGreaterThan(0);
    expect(of(after, 'self-reference').map((f) => f.code)).toEqual(expect.arrayContaining(['XAH.20.35']));
    expect(of(after, 'unknown-reference').map((f) => f.code)).toEqual(expect.arrayContaining(['SF2.RB.ZZ']));
  });
});
