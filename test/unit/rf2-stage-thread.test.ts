import fs from 'node:fs';
import path from 'node:path';
import type { ConceptInput } from '../../src/store/concept-store';
import { Rf2Staging } from '../../src/store/snomed-store';
import { findRf2Files } from '../../src/terminology/snomed/rf2-reader';
import { ImportError, NO_PROGRESS } from '../../src/importers/importer';
import { conceptInputOf, stageRelease } from '../../src/importers/rf2-assembly';
import { Rf2StagingThread } from '../../src/importers/rf2-stage-thread';
import { decodeConcepts, encodeConcepts } from '../../src/importers/rf2-wire';
import { ID, writeFixtureRelease } from './snomed-fixture';
import { withHangWatchdog } from '../helpers/hang-watchdog';
import { removeTempStores, tempDir } from '../helpers/temp-store';

const INFERRED = '900000000000011006';
const OPTIONS = { total: 0, phase: 'concepts', isA: ID.isA, chartype: INFERRED };

afterAll(removeTempStores);

/** A concept as the writing thread gets it: each designation's extra serialised. */
function serialised(c: ConceptInput): ConceptInput {
  return {
    code: c.code,
    display: c.display,
    inactive: !!c.inactive,
    parents: c.parents ?? [],
    designations: (c.designations ?? []).map(({ extra, ...d }) => ({ ...d, inactive: d.inactive || undefined, extraJson: extra === undefined ? undefined : JSON.stringify(extra) })),
  };
}

describe('RF2 concepts handed between threads', () => {
  it('come out of the flat hand-over form as they went in, with extras serialised', () => {
    const concepts: ConceptInput[] = [
      {
        code: '22298006',
        display: 'Myocardial infarction',
        inactive: false,
        parents: ['1', '999999999999999018'],
        designations: [
          { language: 'en', use: { system: 'http://snomed.info/sct', code: '900000000000013009', display: 'Synonym' }, value: 'Heart attack', extra: { id: '37436014', acc: { '900000000000509007': 'P' } } },
          { language: 'sv', use: { system: 'http://snomed.info/sct', code: '900000000000003001' }, value: 'hjärtinfarkt (sjukdom)', inactive: true, extra: { id: '2', acc: {} } },
          { value: 'no language, use or extra' },
        ],
      },
      { code: '2', inactive: true, parents: [], designations: [] },
      { code: '3', display: 'already serialised', designations: [{ language: 'en', value: 'x', extraJson: '{"id":"9"}' }] },
    ];
    const decoded = decodeConcepts(encodeConcepts(concepts));
    expect(decoded).toEqual(concepts.map(serialised).map((c, i) => (i === 2 ? { ...c, designations: [{ language: 'en', value: 'x', extraJson: '{"id":"9"}' }] } : c)));
    // a use met twice is one object
    const twice = decodeConcepts(encodeConcepts([concepts[0], concepts[0]]));
    expect(twice[0].designations![0].use).toBe(twice[1].designations![0].use);
  });

  // the worker stages the whole release, or the terms part while this thread stages the links part
  const split = (dir: string, links: boolean) => (links ? { links: path.join(dir, 'links.db') } : {});

  it.each([false, true])('the staging thread hands over the concepts assembled in-process, in file order, with the counts (links part on this thread: %s)', (links) => {
    const release = writeFixtureRelease();
    const { files } = findRf2Files(release);
    const st = new Rf2Staging(path.join(tempDir('kodverk-stage-inproc-'), 'staging.db'));
    stageRelease(st, files, NO_PROGRESS);
    const expected = [...st.assembled(ID.isA, INFERRED)].map(({ concept, descriptions, parents }) => serialised(conceptInputOf(concept, descriptions, parents)));
    const relationships = st.count('relationship');
    const members = st.count('member');
    st.close();

    const phases: string[] = [];
    const dir = tempDir('kodverk-stage-thread-');
    const thread = new Rf2StagingThread(files, path.join(dir, 'staging.db'), { ...OPTIONS, page: 3, ahead: 1, ...split(dir, links) });
    try {
      const got = [...thread.concepts({ start: (p) => phases.push(p), update() {}, stop() {} })];
      expect(got).toEqual(expected);
      expect(thread.counts).toMatchObject({ concepts: expected.length, descriptions: expected.reduce((n, c) => n + c.designations!.length, 0) });
      expect(phases.some((p) => /^reading Terminology\/sct2_Description_Snapshot/.test(p))).toBe(true);
      expect(phases.some((p) => /^reading Terminology\/sct2_Relationship_Snapshot/.test(p))).toBe(true);
      // the worker has closed the staging file(s): they can be read for the Snomed CT tables
      const staged = new Rf2Staging(thread.file, true, { attach: thread.links });
      expect([staged.count('concept'), staged.count('relationship'), staged.count('member')]).toEqual([expected.length, relationships, members]);
      expect(relationships).toBeGreaterThan(0);
      staged.close();
    } finally {
      thread.close();
    }
  });

  it.each([
    ['LanguageSnapshot-en', false],
    ['LanguageSnapshot-en', true],
    ['sct2_Description_Snapshot-en', true],
    ['sct2_Relationship_Snapshot', true],
  ])('a bad row of %s (links part on this thread: %s) is an ImportError naming file, row and column', (file, links) => {
    const release = writeFixtureRelease();
    const f = findRf2Files(release).files.find((x) => x.name.includes(file))!;
    const lines = fs.readFileSync(f.path, 'utf8').split('\r\n');
    lines[5] = lines[5].replace(/\t1\t/, '\tyes\t');
    fs.writeFileSync(f.path, lines.join('\r\n'));
    const dir = tempDir('kodverk-stage-bad-');
    const thread = new Rf2StagingThread(findRf2Files(release).files, path.join(dir, 'staging.db'), { ...OPTIONS, ...split(dir, links) });
    try {
      let error: unknown;
      try {
        for (const _ of thread.concepts(NO_PROGRESS));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ImportError);
      expect((error as ImportError).location).toEqual({ file: f.name, row: 6, column: 'active' });
    } finally {
      thread.close();
    }
  });

  it('closing it part-way stops the worker, which was waiting a bounded number of pages ahead', async () => {
    const thread = new Rf2StagingThread(findRf2Files(writeFixtureRelease()).files, path.join(tempDir('kodverk-stage-stop-'), 'staging.db'), { ...OPTIONS, page: 1, ahead: 1 });
    const first = thread.concepts(NO_PROGRESS).next();
    expect(first.done).toBe(false);
    const exited = new Promise<number>((resolve) => (thread as unknown as { worker: import('node:worker_threads').Worker }).worker.once('exit', resolve));
    thread.close();
    await expect(exited).resolves.toBeDefined();
  });

  it('a worker that dies without a word (terminated part-way) ends the hand-over with an ImportError, not a hang', async () => {
    // one page at a time, one ahead: the worker is still running when the first concept arrives
    const thread = new Rf2StagingThread(findRf2Files(writeFixtureRelease()).files, path.join(tempDir('kodverk-stage-death-'), 'staging.db'), { ...OPTIONS, page: 1, ahead: 1 });
    const worker = (thread as unknown as { worker: import('node:worker_threads').Worker }).worker;
    try {
      const concepts = thread.concepts(NO_PROGRESS);
      expect(concepts.next().done).toBe(false);
      // ended from outside: no JS of its own runs, no message is posted
      void worker.terminate();
      const error = await withHangWatchdog(30, 'the staging hand-over after its worker was terminated', () => {
        try {
          for (let c = concepts.next(); !c.done; c = concepts.next());
        } catch (e) {
          return e;
        }
      });
      expect(error).toBeInstanceOf(ImportError);
      expect((error as ImportError).message).toMatch(/the RF2 staging thread ended without handing over the whole release/);
    } finally {
      thread.close();
    }
  });
});
