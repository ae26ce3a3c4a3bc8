import { ResourceLoader } from '../../src/importers/loader';
import { ImportError } from '../../src/importers/importer';
import { LOCAL, SHIPPED, SOME_FEED, feedOrigin, mayReplace, mayRetract } from '../../src/store/resource-origin';
import { loadConfig } from '../../src/config';
import { loadInitialContent } from '../../src/server';
import { CONTENT_PACK, SeededStore, seededStore } from '../helpers/seeded-store';

/**
 * A follower may take in several feeds, and holds what its operator imported: each source may
 * replace or withdraw only what it put there itself, so a feed cannot overwrite another's content by
 * naming the same id or url|version (in a real SQLite file with the content pack and NIM seed).
 */

const A = feedOrigin('https://a.example/feed.xml');
const B = feedOrigin('https://b.example/feed.xml');

let seeded: SeededStore;
beforeEach(() => {
  seeded = seededStore();
});
afterEach(() => seeded.close());

const codeSystem = (id: string, url: string, display: string, version = '1') => ({ resourceType: 'CodeSystem', id, url, version, status: 'active', content: 'complete', concept: [{ code: 'a', display }] });
const displayOf = (id: string) => seeded.store.read('CodeSystem', id)?.resource.concept[0].display;

describe('the origin rule', () => {
  it('lets the operator replace anything, a feed only its own and shipped or unattributed feed content', () => {
    for (const holder of [LOCAL, SHIPPED, SOME_FEED, A, B]) expect(mayReplace(LOCAL, holder)).toBe(true);
    expect([LOCAL, SHIPPED, SOME_FEED, A, B].map((h) => mayReplace(A, h))).toEqual([false, true, true, true, false]);
  });

  it('never lets a feed withdraw shipped content, which the operator may', () => {
    expect(mayRetract(A, SHIPPED)).toBe(false);
    expect(mayRetract(LOCAL, SHIPPED)).toBe(true);
    expect([LOCAL, SOME_FEED, A, B].map((h) => mayRetract(A, h))).toEqual([false, true, true, false]);
  });
});

describe('a loader writing for a feed', () => {
  it('refuses to replace what the operator put here, by id or by url|version, and writes nothing of the batch', () => {
    const local = seeded.store.read('CodeSystem', 'juridiskt-kon')!;
    expect(local.origin).toBe(LOCAL);
    const fromA = new ResourceLoader(seeded.db, seeded.store, undefined, A);
    const byId = { ...local.resource, title: 'Ersatt' };
    expect(() => fromA.load([codeSystem('ny-a', 'https://a.example/ny', 'Ny'), byId])).toThrow(ImportError);
    expect(() => fromA.load([byId])).toThrow(/CodeSystem\/juridiskt-kon .* is held here from this instance .*; the feed https:\/\/a.example\/feed.xml may not replace it/);
    // another id with the same url|version would stand beside it and be found in its place
    const shadow = { ...local.resource, id: 'skugga', title: 'Skugga' };
    expect(() => fromA.load([shadow])).toThrow(/held here from this instance/);
    expect(seeded.store.read('CodeSystem', 'juridiskt-kon')!.resource.title).toBe(local.resource.title);
    expect(seeded.store.read('CodeSystem', 'skugga')).toBeUndefined();
    expect(seeded.store.read('CodeSystem', 'ny-a')).toBeUndefined();
  });

  it('replaces its own, not another feed\'s; the operator may take either over', () => {
    const fromA = new ResourceLoader(seeded.db, seeded.store, undefined, A);
    const fromB = new ResourceLoader(seeded.db, seeded.store, undefined, B);
    fromA.load([codeSystem('delad', 'https://a.example/cs', 'Från A')]);
    expect(seeded.store.read('CodeSystem', 'delad')!.origin).toBe(A);
    fromA.load([codeSystem('delad', 'https://a.example/cs', 'Från A, rättad')]);
    expect(displayOf('delad')).toBe('Från A, rättad');
    expect(() => fromB.load([codeSystem('delad', 'https://b.example/cs', 'Från B')])).toThrow(/held here from the feed https:\/\/a.example\/feed.xml; the feed https:\/\/b.example\/feed.xml may not/);
    expect(() => fromB.load([codeSystem('annan', 'https://a.example/cs', 'Från B')])).toThrow(/CodeSystem\/delad \(https:\/\/a.example\/cs\|1\) is held here/);
    // the same content from B changes nothing, so it is no conflict
    expect(fromB.load([codeSystem('delad', 'https://a.example/cs', 'Från A, rättad')]).unchanged).toBe(1);
    new ResourceLoader(seeded.db, seeded.store).load([codeSystem('delad', 'https://a.example/cs', 'Lokal')]);
    expect(seeded.store.read('CodeSystem', 'delad')!.origin).toBe(LOCAL);
    expect(() => fromA.load([codeSystem('delad', 'https://a.example/cs', 'Från A igen')])).toThrow(/held here from this instance/);
  });

  it('updates shipped and unattributed feed content, and then holds it as its own', () => {
    seeded.store.put(codeSystem('karna', 'http://hl7.org/fhir/example', 'Kärna'), SHIPPED);
    seeded.store.put(codeSystem('tidigare', 'https://a.example/tidigare', 'Tidigare'), SOME_FEED);
    new ResourceLoader(seeded.db, seeded.store, undefined, A).load([codeSystem('karna', 'http://hl7.org/fhir/example', 'Ändrad'), codeSystem('tidigare', 'https://a.example/tidigare', 'Ny')]);
    expect([displayOf('karna'), displayOf('tidigare')]).toEqual(['Ändrad', 'Ny']);
    expect(seeded.store.read('CodeSystem', 'tidigare')!.origin).toBe(A);
    expect(() => new ResourceLoader(seeded.db, seeded.store, undefined, B).load([codeSystem('karna', 'http://hl7.org/fhir/example', 'B')])).toThrow(/from the feed https:\/\/a.example/);
  });
});

describe('a NIM release mirrored from a feed', () => {
  it('never replaces a release made here, nor one another feed delivered; its own feed updates it', () => {
    const releases = seeded.nim.releases;
    const adopted = releases.snapshotOf(releases.get('1.0.0'));
    const at = '2026-12-01T00:00:00Z';
    expect(() => releases.mirrorSnapshot({ ...adopted, title: 'Ersatt' }, 'faststalld', at, 'https://a.example/feed.xml')).toThrow(/Release 1.0.0 is held here from this instance/);
    expect(releases.get('1.0.0').title).toBe(adopted.title);
    // a new version from A; B may not replace it, A may
    const next = { ...adopted, version: '9.0.0', title: 'Från A' };
    expect(releases.mirrorSnapshot(next, 'faststalld', at, 'https://a.example/feed.xml').changed).toBe(true);
    expect(releases.get('9.0.0').origin).toBe(A);
    expect(() => releases.mirrorSnapshot({ ...next, title: 'Från B' }, 'faststalld', at, 'https://b.example/feed.xml')).toThrow(/held here from the feed https:\/\/a.example\/feed.xml/);
    expect(releases.mirrorSnapshot({ ...next, title: 'Från A, rättad' }, 'faststalld', at, 'https://a.example/feed.xml').changed).toBe(true);
    expect(releases.get('9.0.0').title).toBe('Från A, rättad');
  });

  it('does not rewrite a NIM version that a release made here holds', () => {
    const releases = seeded.nim.releases;
    const adopted = releases.snapshotOf(releases.get('1.0.0'));
    const [first, ...rest] = adopted.nims;
    const changed = { ...adopted, version: '9.1.0', nims: [{ ...first, title: 'Omskriven', resource: { ...first.resource, title: 'Omskriven' } }, ...rest] };
    expect(() => releases.mirrorSnapshot(changed, 'faststalld', '2026-12-01T00:00:00Z', 'https://a.example/feed.xml')).toThrow(/held here with other content by release 1.0.0, from this instance/);
    expect(seeded.nim.store.model(first.name, first.version)!.resource.title).toBe(first.resource.title);
  });
});

describe('the FHIR core terminology', () => {
  it('is held as shipped, also in a store that loaded it before origins were recorded', () => {
    const config = loadConfig({ loadFhirCore: true, contentPackDir: CONTENT_PACK });
    loadInitialContent(seeded.db, seeded.store, config);
    const core = () => seeded.store.byUrl('CodeSystem', 'http://hl7.org/fhir/administrative-gender')[0];
    expect(core().origin).toBe(SHIPPED);
    // as a store from before origins: core rows without one, and no mark that they were given one
    seeded.db.prepare('UPDATE resource SET origin = NULL').run();
    seeded.db.prepare("DELETE FROM store_meta WHERE key = 'fhir-core-origin'").run();
    loadInitialContent(seeded.db, seeded.store, config);
    expect(core().origin).toBe(SHIPPED);
    expect(seeded.store.read('CodeSystem', 'juridiskt-kon')!.origin).toBe(LOCAL);
  });
});
