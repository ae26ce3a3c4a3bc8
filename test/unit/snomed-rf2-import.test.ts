import fs from 'node:fs';
import path from 'node:path';
import { Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { ImportError } from '../../src/importers/importer';
import { SHARED_DATA } from '../helpers/server';
import { withHangWatchdog } from '../helpers/hang-watchdog';
import { ATTRIBUTES, CARE_MEMBERS, ID, INACTIVE_TERM, writeFixtureRelease } from './snomed-fixture';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

const SUBSET = path.join(SHARED_DATA, 'snomed-tx-subset/snomed');
const SUBSET_URI = 'http://snomed.info/xsct/31000003106/version/20250909';
const INFERRED = '900000000000011006';

function freshStore() {
  const dir = tempDir('kodverk-rf2-store-');
  const db = openTempDatabase(path.join(dir, 'store.db'));
  return { db, store: new ResourceStore(db) };
}

const count = (db: Db, sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

/** What the store holds for the Snomed code system, as numbers to compare. */
function storeCounts(db: Db) {
  const cs = (db.prepare("SELECT pk FROM resource WHERE resource_type = 'CodeSystem' AND url = 'http://snomed.info/sct'").get() as { pk: number }).pk;
  return {
    concepts: count(db, 'SELECT count(*) AS n FROM concept WHERE cs_pk = ?', cs),
    designations: count(db, 'SELECT count(*) AS n FROM concept_designation d JOIN concept c ON c.pk = d.concept_pk WHERE c.cs_pk = ?', cs),
    inactiveDesignations: count(db, 'SELECT count(*) AS n FROM concept_designation d JOIN concept c ON c.pk = d.concept_pk WHERE c.cs_pk = ? AND d.inactive = 1', cs),
    parents: count(db, 'SELECT count(*) AS n FROM concept_parent p JOIN concept c ON c.pk = p.child_pk WHERE c.cs_pk = ?', cs),
    closure: count(db, 'SELECT count(*) AS n FROM concept_closure x JOIN concept c ON c.pk = x.descendant_pk WHERE c.cs_pk = ?', cs),
    relationships: count(db, 'SELECT count(*) AS n FROM sct_relationship r JOIN concept c ON c.pk = r.source_pk WHERE c.cs_pk = ?', cs),
    members: count(db, 'SELECT count(*) AS n FROM sct_refset_member m JOIN concept c ON c.pk = m.refset_pk WHERE c.cs_pk = ?', cs),
    details: count(db, 'SELECT count(*) AS n FROM sct_concept s JOIN concept c ON c.pk = s.concept_pk WHERE c.cs_pk = ?', cs),
  };
}

/** Data rows of every RF2 file of a release whose name matches, split into fields. */
function rows(dir: string, pattern: RegExp): string[][] {
  const out: string[][] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (pattern.test(e.name)) out.push(...fs.readFileSync(p, 'utf8').split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split('\t')));
    }
  };
  walk(dir);
  return out;
}

/** Copies a release folder so a test can break one of its files. */
function copyRelease(from: string): string {
  const to = tempDir('kodverk-rf2-broken-');
  fs.cpSync(from, to, { recursive: true });
  for (const f of fs.readdirSync(to, { recursive: true }) as string[]) fs.chmodSync(path.join(to, f), 0o755);
  return to;
}

function findFile(dir: string, pattern: RegExp): string {
  const f = (fs.readdirSync(dir, { recursive: true }) as string[]).find((x) => pattern.test(path.basename(x)));
  if (!f) throw new Error(`no file ${pattern} in ${dir}`);
  return path.join(dir, f);
}

afterAll(removeTempStores);

describe('RF2 import (synthetic release)', () => {
  const release = writeFixtureRelease();

  it('stores concepts, descriptions in language-refset order, parents, attributes with groups and refset members', async () => {
    const { db, store } = freshStore();
    const s = await runImport(db, store, rf2Importer, release, { uri: 'http://snomed.info/sct/45991000052106/version/20250930' });
    expect(s.noChange).toBe(false);
    const cs = store.byUrl('CodeSystem', 'http://snomed.info/sct')[0].resource;
    expect(cs.version).toBe('http://snomed.info/sct/45991000052106/version/20250930');
    expect(cs.compositional).toBe(true);
    expect(cs.title).toBe('SNOMED CT Swedish Edition');

    const concepts = rows(release, /sct2_Concept_/);
    const isA = rows(release, /sct2_Relationship_/).filter((r) => r[2] === '1' && r[7] === ID.isA);
    const counts = storeCounts(db);
    expect(counts.concepts).toBe(concepts.length);
    expect(counts.details).toBe(concepts.length);
    // every description is kept; the inactive ones are marked so (a display once valid is recognised as no longer current)
    expect(counts.designations).toBe(rows(release, /sct2_Description_/).length);
    expect(counts.inactiveDesignations).toBe(rows(release, /sct2_Description_/).filter((r) => r[2] === '0').length);
    expect(counts.parents).toBe(isA.length);
    expect(counts.relationships).toBe(ATTRIBUTES.length);
    expect(counts.members).toBe(CARE_MEMBERS.length + 1);

    // the US English preferred synonym is the display and leads the designations; Swedish ones follow theirs
    const hep = db.prepare('SELECT pk, display FROM concept WHERE code = ?').get(ID.hepatitis) as { pk: number; display: string };
    expect(hep.display).toBe('Hepatitis');
    const terms = (db.prepare('SELECT value, language FROM concept_designation WHERE concept_pk = ? ORDER BY pk').all(hep.pk) as { value: string; language: string }[]).map((d) => d.value);
    expect(terms).toEqual(['Hepatitis', 'Hepatit', 'Hepatitis (fixture)', 'Hepatitis synonym', INACTIVE_TERM]);
    // role groups are kept
    const groups = db.prepare('SELECT grp FROM sct_relationship r JOIN concept c ON c.pk = r.source_pk WHERE c.code = ? ORDER BY grp').all(ID.liverLobeDisorder) as { grp: number }[];
    expect(groups.map((g) => g.grp)).toEqual([1, 2]);
    // the inactive concept has no parents; its replacement is recorded
    expect(count(db, 'SELECT count(*) AS n FROM concept_parent p JOIN concept c ON c.pk = p.child_pk WHERE c.code = ?', ID.retired)).toBe(0);
    expect(db.prepare('SELECT target FROM sct_refset_member WHERE referenced_id = ?').get(ID.retired)).toEqual({ target: ID.hepatitis });
  });

  it('derives the edition/version URI when --uri is not given', async () => {
    const { db, store } = freshStore();
    const s = await runImport(db, store, rf2Importer, release, {});
    expect(s.publisherVersion).toBe('http://snomed.info/sct/900000000000207008/version/20250930');
  });

  it('refuses an --uri that is not an edition/version URI', async () => {
    const { db, store } = freshStore();
    await expect(runImport(db, store, rf2Importer, release, { uri: 'http://snomed.info/sct/45991000052106' })).rejects.toThrow(/is not an edition\/version URI/);
  });

  it('refuses a release with a missing column, naming file and line, and leaves the store as it was', async () => {
    const { db, store } = freshStore();
    await runImport(db, store, rf2Importer, release, {});
    const before = storeCounts(db);
    const broken = copyRelease(release);
    const f = findFile(broken, /sct2_Relationship_/);
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/\tmodifierId/, ''));
    const attempt = runImport(db, store, rf2Importer, broken, {});
    await expect(attempt).rejects.toThrow(ImportError);
    await expect(runImport(db, store, rf2Importer, broken, {})).rejects.toThrow(/file Terminology\/sct2_Relationship_Snapshot_INT_20250930\.txt, line 1: .*missing column modifierId/);
    expect(storeCounts(db)).toEqual(before);
  });

  it('refuses a concept row with a bad id, naming file, column and line', async () => {
    const { db, store } = freshStore();
    const broken = copyRelease(release);
    const f = findFile(broken, /sct2_Concept_/);
    const lines = fs.readFileSync(f, 'utf8').split('\r\n');
    lines[3] = lines[3].replace(/^(\d+)(\d)\t/, (_m, a: string, d: string) => `${a}${(Number(d) + 1) % 10}\t`);
    fs.writeFileSync(f, lines.join('\r\n'));
    await expect(runImport(db, store, rf2Importer, broken, {})).rejects.toThrow(/file Terminology\/sct2_Concept_Snapshot_INT_20250930\.txt, column "id", line 4: '\d+' is not a valid concept SCTID/);
    expect(store.byUrl('CodeSystem', 'http://snomed.info/sct')).toHaveLength(0);
  });

  /** A store holding the fixture release, and a check that a failed import left it so. */
  async function storeWithRelease() {
    const { db, store } = freshStore();
    await runImport(db, store, rf2Importer, release, {});
    const before = storeCounts(db);
    const expectUnchanged = () => {
      expect(storeCounts(db)).toEqual(before);
      expect(store.byUrl('CodeSystem', 'http://snomed.info/sct')[0].resource.version).toBe('http://snomed.info/sct/900000000000207008/version/20250930');
    };
    return { db, store, expectUnchanged };
  }

  it('rolls back everything when a row deep in the release is bad (found while the concepts are written)', async () => {
    const { db, store, expectUnchanged } = await storeWithRelease();
    const broken = copyRelease(release);
    const f = findFile(broken, /LanguageSnapshot-en/);
    const lines = fs.readFileSync(f, 'utf8').split('\r\n');
    lines[5] = lines[5].replace(/\t1\t/, '\tyes\t');
    fs.writeFileSync(f, lines.join('\r\n'));
    await expect(runImport(db, store, rf2Importer, broken, {})).rejects.toThrow(/LanguageSnapshot-en_INT_20250930\.txt, column "active", line 6: 'yes' is not 0 or 1/);
    expectUnchanged();
  });

  it('rolls back everything with an ImportError, not a hang, when the staging thread dies without a word while the concepts are written', async () => {
    const { db, store, expectUnchanged } = await storeWithRelease();
    // a changed term: the release differs from the store's, so it is staged and written
    const changed = copyRelease(release);
    const f = findFile(changed, /sct2_Description_Snapshot-sv/);
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/\tsv\t(\d+)\t([^\t]+)\t/, '\tsv\t$1\t$2 (ändrad)\t'));
    // the real staging worker, kept at hand so the test can end it from outside (as an out-of-memory
    // kill would: no message); one page at a time, one ahead, so it cannot finish first
    const threads = require('node:worker_threads') as typeof import('node:worker_threads');
    const RealWorker = threads.Worker;
    let staging: import('node:worker_threads').Worker | undefined;
    const spy = jest.spyOn(threads, 'Worker').mockImplementation(((file: string, options: import('node:worker_threads').WorkerOptions) => {
      if (!/rf2-stage-worker/.test(file)) return new RealWorker(file, options);
      return (staging = new RealWorker(file, { ...options, workerData: { ...options.workerData, page: 1, ahead: 1 } }));
    }) as never);
    // the loader announces the concepts before the worker exists; the worker again as it hands them over
    const progress = { start: (phase: string) => void (phase.startsWith('concepts of') && staging?.terminate()), update() {}, stop() {} };
    try {
      const attempt = withHangWatchdog(60, 'an RF2 import whose staging worker was terminated', () => runImport(db, store, rf2Importer, changed, {}, progress));
      await expect(attempt).rejects.toThrow(ImportError);
      await expect(attempt).rejects.toThrow(/the RF2 staging thread ended without handing over the whole release/);
    } finally {
      spy.mockRestore();
    }
    expect(staging).toBeDefined();
    expectUnchanged();
  });
});

const subsetPresent = fs.existsSync(SUBSET);
if (!subsetPresent) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the RF2 import test of the HL7 Snomed CT subset: ${SUBSET} is missing`);
}

(subsetPresent ? describe : describe.skip)('RF2 import (HL7 Snomed CT test subset)', () => {
  it('stores what the RF2 files hold, and importing the same release again changes nothing', async () => {
    const { db, store } = freshStore();
    const first = await runImport(db, store, rf2Importer, SUBSET, { uri: SUBSET_URI });
    expect(first.noChange).toBe(false);
    const relationships = rows(SUBSET, /sct2_Relationship_Snapshot/).filter((r) => r[2] === '1' && r[8] === INFERRED);
    const concrete = rows(SUBSET, /sct2_RelationshipConcreteValues_Snapshot/).filter((r) => r[2] === '1' && r[8] === INFERRED);
    const members = rows(SUBSET, /der2_(Refset_Simple|cRefset_Association|cRefset_AttributeValue|sRefset_SimpleMap|cissccRefset_MRCMAttributeDomain|ssccRefset_MRCMAttributeRange)/).filter((r) => r[2] === '1');
    const expected = {
      concepts: new Set(rows(SUBSET, /sct2_Concept_Snapshot/).map((r) => r[0])).size,
      designations: rows(SUBSET, /sct2_(Description|TextDefinition)_Snapshot/).length,
      inactiveDesignations: rows(SUBSET, /sct2_(Description|TextDefinition)_Snapshot/).filter((r) => r[2] === '0').length,
      parents: new Set(relationships.filter((r) => r[7] === '116680003').map((r) => `${r[4]}>${r[5]}`)).size,
      relationships: relationships.filter((r) => r[7] !== '116680003').length + concrete.length,
      members: members.length,
    };
    const counts = storeCounts(db);
    expect(counts).toMatchObject(expected);
    expect(counts.details).toBe(expected.concepts);
    expect(first.concepts).toBe(expected.concepts);

    const second = await runImport(db, store, rf2Importer, SUBSET, { uri: SUBSET_URI });
    expect(second.noChange).toBe(true);
    expect(storeCounts(db)).toEqual(counts);
  });
});
