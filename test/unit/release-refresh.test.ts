import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodeSystem, ValueSet } from 'fhir/r4';
import { openDatabase, Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { PLACEHOLDER_TAG, ResourceLoader, isPlaceholder } from '../../src/importers/loader';
import { Importer } from '../../src/importers/importer';
import { runImport } from '../../src/importers/run-import';
import { Nim, followContent, releaseImportHooks } from '../../src/nim';
import { feedEntries } from '../../src/nim/release-feed';
import { valueSetChangeText } from '../../src/nim/release-refresh';
import { BindingResolver } from '../../src/nim/binding-resolver';
import { valueSetsCsv } from '../../src/nim/release-exports';
import type { ReleaseSnapshot } from '../../src/nim/release-snapshot';
import { SeededStore, seededStore } from '../helpers/seeded-store';
import { codeSystem } from './nim-validation-fixture';

/**
 * Releases follow their content until adopted, and a URL means one value set: the content pack's
 * placeholder for a KSI selection gives way to the imported version, the release on påseende that
 * bound it is taken again (one event with the diff), an adopted release never changes. On a real
 * SQLite file, with a stand-in KSI import (no Socialstyrelsen file needed).
 */

const KSI = 'https://kodverk.se/fhir/CodeSystem/ksi';
const AOH = 'https://kodverk.se/fhir/ValueSet/ksi-aoh';
const BOUH = 'https://kodverk.se/fhir/ValueSet/ksi-bouh';

/** A KSI release as the KSI importer shapes it: the code system and the ÄOH selection pinned to it. */
function ksiRelease(version: string, codes: Record<string, boolean>): [CodeSystem, ValueSet] {
  return [
    codeSystem(
      'ksi',
      version,
      Object.entries(codes).map(([code, aoh]) => ({ code, display: `Aktivitet ${code}`, property: [{ code: 'ÄOH', valueBoolean: aoh }] })),
      { id: `ksi-${version}`, property: [{ code: 'ÄOH', type: 'boolean' }] },
    ),
    {
      resourceType: 'ValueSet',
      id: `ksi-aoh-${version}`,
      url: AOH,
      version,
      title: 'KSI – urval ÄOH (äldreomsorg, handläggare)',
      status: 'active',
      publisher: 'Socialstyrelsen',
      compose: { include: [{ system: KSI, version, filter: [{ property: 'ÄOH', op: '=', value: 'true' }] }] },
    },
  ];
}

/** An importer that hands over fixed resources (the file only names and hashes the import). */
const importerOf = (resources: unknown[]): Importer => ({ format: 'ksi', description: 'stand-in', read: async () => ({ resources: resources as any[] }) });

let seeded: SeededStore;
let dir: string;
let db: Db;
let store: ResourceStore;
let nim: Nim;

function importKsi(version: string, codes: Record<string, boolean>) {
  const file = path.join(dir, `ksi-${version}-${Object.keys(codes).length}.xlsx`);
  fs.writeFileSync(file, JSON.stringify(codes));
  return runImport(db, store, importerOf(ksiRelease(version, codes)), file, {}, undefined, releaseImportHooks(nim));
}

const snapshot = (version: string): ReleaseSnapshot => JSON.parse(nim.releases.get(version).snapshot!);
const refreshEvents = (version: string) => nim.releases.history(nim.releases.get(version)).filter((e) => e.event === 'uppdaterad');

beforeEach(() => {
  seeded = seededStore();
  ({ dir, db, store, nim } = seeded);
});

afterEach(() => seeded.close());

describe('one value set per meaning', () => {
  it('the content pack stands in for the KSI selections with the import\'s own title, marked as placeholders', () => {
    const [aoh] = store.byUrl('ValueSet', AOH);
    expect(isPlaceholder(aoh.resource)).toBe(true);
    expect(aoh.resource.title).toBe('KSI – urval ÄOH (äldreomsorg, handläggare)');
    // the pack's own definitions (not an import's) are no placeholders
    expect(isPlaceholder(store.byUrl('ValueSet', 'https://kodverk.se/fhir/ValueSet/nim-ksi-insats')[0].resource)).toBe(false);
  });

  it('an import of a version of the same URL removes the placeholder: one value set, its versions behind it', async () => {
    const summary = await importKsi('2025', { 'SA1.AA.ZZ': true, 'SB2.AA.ZZ': false });
    expect(summary.superseded).toBe(1);
    expect(store.byUrl('ValueSet', AOH).map((r) => r.version)).toEqual(['2025']);
    // the placeholders of selections the import did not bring stay until theirs comes
    expect(store.byUrl('ValueSet', BOUH).map((r) => r.version)).toEqual(['0.1.0']);
    await importKsi('2026', { 'SA1.AA.ZZ': true, 'SC2.AA.ZZ': true });
    expect(store.byUrl('ValueSet', AOH).map((r) => r.version).sort()).toEqual(['2025', '2026']);
  });

  it('a write through the loader (the API) replaces a placeholder the same way', () => {
    const [, vs] = ksiRelease('2025', {});
    const { summary } = new ResourceLoader(db, store).save({ ...vs, url: BOUH, id: 'ksi-bouh-2025' });
    expect(summary.superseded).toBe(1);
    expect(store.byUrl('ValueSet', BOUH).map((r) => r.id)).toEqual(['ksi-bouh-2025']);
  });
});

describe('releases follow their content until adopted', () => {
  it('before the import, 1.1.0 honestly says KSI is not imported yet', () => {
    const aoh = snapshot('1.1.0').valueSets.find((v) => v.url === AOH)!;
    expect(aoh).toMatchObject({ version: '0.1.0', state: 'no-codes-yet' });
    expect(aoh.reason).toMatch(/ksi is not imported yet/);
  });

  it('an import re-snapshots the release on påseende: one event with the diff, no "not imported" for what the store holds', async () => {
    const adoptedBefore = nim.releases.get('1.0.0').contentHash;
    const summary = await importKsi('2025', { 'SA1.AA.ZZ': true, 'SB2.AA.ZZ': true, 'SC2.AA.ZZ': false });
    expect(summary.notes.join('\n')).toMatch(/release 1\.1\.0 \(på påseende\) refreshed.*ksi-aoh 0\.1\.0 → 2025 \(\+2 codes\)/);

    const snap = snapshot('1.1.0');
    const aoh = snap.valueSets.find((v) => v.url === AOH)!;
    expect(aoh).toMatchObject({ key: `${AOH}|2025`, state: 'expanded', total: 2, codeSystems: [`${KSI}|2025`] });
    const overKsi = snap.valueSets.filter((v) => (v.definition?.compose?.include ?? []).some((i) => i.system === KSI));
    expect(overKsi.length).toBeGreaterThan(1);
    // (the stand-in KSI has no BoUH flags: those selections are honestly empty, never "not imported")
    for (const v of overKsi) expect(v.reason ?? '').not.toMatch(/not imported/);
    expect(snap.codeSystems).toContainEqual({ url: KSI, version: '2025' });
    expect(nim.store.releaseCode(nim.releases.get('1.1.0').pk, `${AOH}|2025`, KSI, 'SA1.AA.ZZ')).toBeDefined();
    // the lists vendors download carry the codes
    expect(valueSetsCsv(snap, 40)).toMatch(/ksi-aoh,2025,expanded,.*SA1\.AA\.ZZ/);

    const [event] = refreshEvents('1.1.0');
    expect(event.note).toMatchObject({ trigger: { kind: 'import', format: 'ksi' }, contentHash: nim.releases.get('1.1.0').contentHash });
    expect((event.note as any).valueSets).toContainEqual(expect.objectContaining({ url: AOH, from: expect.objectContaining({ version: '0.1.0', total: 0 }), to: expect.objectContaining({ version: '2025', total: 2 }), added: 2 }));
    const diff = nim.releases.refreshDiff(event.id)!;
    expect(diff.valueSets.find((v) => v.url === AOH)!.added.map((c) => c.code).sort()).toEqual(['SA1.AA.ZZ', 'SB2.AA.ZZ']);

    // in the feed vendors poll
    const entry = feedEntries(nim.store.events(), nim.store.releases(), 'http://x').find((e) => e.status === 'uppdaterad')!;
    expect(entry.summary).toMatch(/1\.1\.0 \(på påseende\) har uppdaterats efter import av ksi-2025/);
    expect(entry.summary).toMatch(/KSI – urval ÄOH \(äldreomsorg, handläggare\): 0\.1\.0 → 2025, 2 koder tillagda/);

    // the adopted release never changes
    expect(nim.releases.get('1.0.0').contentHash).toBe(adoptedBefore);
  });

  it('the same import again, or content the release does not bind, records nothing', async () => {
    await importKsi('2025', { 'SA1.AA.ZZ': true });
    const hash = nim.releases.get('1.1.0').contentHash;
    const again = await importKsi('2025', { 'SA1.AA.ZZ': true });
    expect(again.noChange).toBe(true);
    new ResourceLoader(db, store, (changes) => void followContent(nim, { kind: 'api' }, changes)).save({ resourceType: 'CodeSystem', id: 'unrelated', url: 'https://example.org/unrelated', status: 'active', content: 'complete', concept: [{ code: 'x' }] });
    expect(refreshEvents('1.1.0')).toHaveLength(1);
    expect(nim.releases.get('1.1.0').contentHash).toBe(hash);
  });

  it('a new version of a floating value set written through the API refreshes the release', () => {
    const loader = new ResourceLoader(db, store, (changes) => void followContent(nim, { kind: 'api' }, changes));
    loader.load([
      { resourceType: 'CodeSystem', id: 'beslut-utfall-2027', url: 'https://kodverk.se/fhir/CodeSystem/beslut-utfall', version: '2027.1', status: 'active', content: 'complete', concept: [{ code: 'beviljad', display: 'Beviljad' }, { code: 'avvisad', display: 'Avvisad' }] },
      { resourceType: 'ValueSet', id: 'beslut-utfall-2027', url: 'https://kodverk.se/fhir/ValueSet/beslut-utfall', version: '2027.1', status: 'active', compose: { include: [{ system: 'https://kodverk.se/fhir/CodeSystem/beslut-utfall', version: '2027.1' }] } },
    ]);
    const [event] = refreshEvents('1.1.0');
    expect(event.note).toMatchObject({ trigger: { kind: 'api' } });
    const utfall = (event.note as any).valueSets.find((v: any) => v.url.endsWith('/beslut-utfall'));
    expect(utfall).toMatchObject({ from: { version: '2026.1' }, to: { version: '2027.1' }, added: 1 });
    expect((event.note as any).versionNeeded).toBeUndefined();
    // the API removing it again is a change too
    expect(loader.remove('ValueSet', 'beslut-utfall-2027')).toBe(true);
    expect(refreshEvents('1.1.0')).toHaveLength(2);
    expect(snapshot('1.1.0').valueSets.find((v) => v.url.endsWith('/beslut-utfall'))!.version).toBe('2026.1');
    // a code removed from a value set the adopted 1.0.0 binds: 1.1.0 now needs a major version to be adopted
    loader.save({ resourceType: 'ValueSet', id: 'juridiskt-kon-2027', url: 'https://kodverk.se/fhir/ValueSet/juridiskt-kon', version: '2027.1', status: 'active', compose: { include: [{ system: 'https://kodverk.se/fhir/CodeSystem/juridiskt-kon', concept: [{ code: 'kvinna' }] }] } });
    const [narrowed] = refreshEvents('1.1.0');
    expect(narrowed.note).toMatchObject({ changeClass: 'major', versionNeeded: '2.0.0' });
    expect(() => nim.releases.transition('1.1.0', 'faststalld', { effectiveFrom: '2030-01-01' })).toThrow(/needs version 2\.0\.0/);
  });

  it('on demand: an unchanged release stays as it is; an adopted release is refused', () => {
    expect(nim.releases.refresh({ trigger: { kind: 'manual' } })).toEqual([{ version: '1.1.0', status: 'paseende', refreshed: false, reason: 'unchanged' }]);
    expect(() => nim.releases.refresh({ version: '1.0.0', trigger: { kind: 'manual' } })).toThrow(/never changes/);
    store.put({ ...ksiRelease('2025', { 'SA1.AA.ZZ': true })[0] });
    const [outcome] = nim.releases.refresh({ version: '1.1.0', trigger: { kind: 'manual' } });
    expect(outcome).toMatchObject({ refreshed: true, note: { trigger: { kind: 'manual' } } });
  });
});

describe('migration 005 for stores seeded before', () => {
  it('marks the old stand-ins as placeholders under the import\'s title and removes those an import already replaced', () => {
    const file = path.join(dir, 'old.db');
    const old = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-migrations-'));
    for (const f of fs.readdirSync(path.resolve(__dirname, '../../migrations')).filter((n) => n < '005')) fs.copyFileSync(path.resolve(__dirname, '../../migrations', f), path.join(old, f));
    const before = openDatabase(file, old);
    // rows as a store of that schema wrote them (today's store writes columns added since)
    const insert = before.prepare('INSERT INTO resource (resource_type, id, url, version, title, status, publisher, version_id, last_updated, json) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?)');
    const put = (r: any) => insert.run(r.resourceType, r.id, r.url, r.version, r.title ?? null, r.status, r.publisher ?? null, '2026-01-01T00:00:00Z', JSON.stringify(r));
    const standIn = (id: string, title: string) => ({ resourceType: 'ValueSet', id, url: `https://kodverk.se/fhir/ValueSet/${id}`, version: '0.1.0', title, status: 'draft', publisher: 'Kodverk', compose: { include: [{ system: KSI }] } });
    put(standIn('ksi-aoh', 'KSI-urval äldreomsorg, handläggare (ÄOH)'));
    put(standIn('ksi-bouh', 'KSI-urval barn och unga, handläggare (BoUH)'));
    put(ksiRelease('2025', { 'SA1.AA.ZZ': true })[1]);
    before.close();
    fs.rmSync(old, { recursive: true, force: true });

    const after = openDatabase(file);
    const migrated = new ResourceStore(after);
    expect(migrated.byUrl('ValueSet', AOH).map((r) => r.version)).toEqual(['2025']);
    const [bouh] = migrated.byUrl('ValueSet', BOUH);
    expect(bouh.resource.meta.tag).toContainEqual(expect.objectContaining({ system: PLACEHOLDER_TAG.system, code: PLACEHOLDER_TAG.code }));
    expect(bouh.resource.title).toBe('KSI – urval BoUH (barn och unga, handläggare)');
    expect(migrated.search('ValueSet', { title: { value: 'KSI – urval BoUH', match: 'starts' } }, { count: 5, offset: 0 })).toHaveLength(1);
    after.close();
  });
});

describe("a refreshed value set's change in words", () => {
  const change = (added: number, removed: number, renamed: number) =>
    valueSetChangeText({ url: 'https://kodverk.se/fhir/ValueSet/x', title: 'X', from: { version: '1', state: 'expanded', total: 5 }, to: { version: '1', state: 'expanded', total: 5 }, added, removed, renamed });

  it('agrees in number, as Swedish does ("1 ny benämning", "2 nya benämningar")', () => {
    expect(change(1, 1, 1)).toBe('X: 1 kod tillagd, 1 kod borttagen, 1 ny benämning');
    expect(change(2, 3, 4)).toBe('X: 2 koder tillagda, 3 koder borttagna, 4 nya benämningar');
  });
});

describe('what a release resolves a binding to', () => {
  // the export's display column is "Swedish display" (issue 4): a code system that has Swedish
  // names (ISO 3166 countries) gives them, not its English default
  it('gives Swedish displays where the code system has them', () => {
    const seeded = seededStore();
    try {
      seeded.store.put({ resourceType: 'ValueSet', id: 'lander', url: 'https://example.org/ValueSet/lander', version: '1', status: 'active', compose: { include: [{ system: 'urn:iso:std:iso:3166', concept: [{ code: 'DE' }, { code: 'SE' }] }] } });
      const resolved = new BindingResolver(seeded.store).resolve('https://example.org/ValueSet/lander');
      expect(resolved.codes.map((c) => [c.code, c.display])).toEqual([
        ['DE', 'Tyskland'],
        ['SE', 'Sverige'],
      ]);
    } finally {
      seeded.close();
    }
  });
});
