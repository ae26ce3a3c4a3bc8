import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ResourceStore } from '../../src/store/resource-store';
import { ArtefactStore } from '../../src/store/artefact-store';
import { SyndicationStore } from '../../src/store/syndication-store';
import { runImport, sourceHash } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { PendingRf2Archive, archiveRf2, recordRf2Release } from '../../src/syndication/rf2-archive';
import { writeFixtureRelease } from './snomed-fixture';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

/**
 * `kodverk import rf2` zips the release for the syndication feed in a worker thread while the
 * import runs, and keeps the zip only once the import has committed. The zip is the same bytes as
 * zipping after the import gives; a failed import, or one that keeps nothing, leaves no artefact
 * and no staging file. Real SQLite files and artefact folders; the CLI as a child process (dist/).
 */

const run = promisify(execFile);
const CLI = path.resolve(__dirname, '../../dist/src/cli/main.js');
const EDITION = 'http://snomed.info/sct/45991000052106/version/20250930';

/** Every file under a folder (relative paths), none when it is absent. */
function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

/** A copy of the release whose English language refset has a bad row: found while the import writes (rolled back). */
function brokenCopy(release: string): string {
  const to = tempDir('kodverk-rf2-broken-');
  fs.cpSync(release, to, { recursive: true });
  const f = (fs.readdirSync(to, { recursive: true }) as string[]).find((x) => /LanguageSnapshot-en/.test(x))!;
  const lines = fs.readFileSync(path.join(to, f), 'utf8').split('\r\n');
  lines[5] = lines[5].replace(/\t1\t/, '\tyes\t');
  fs.writeFileSync(path.join(to, f), lines.join('\r\n'));
  return to;
}

/** The zip as `kodverk import rf2` made it before it was zipped alongside: after the import, in this thread. */
async function zippedAfterwards(release: string, date: string): Promise<Buffer> {
  const artefacts = new ArtefactStore(tempDir('kodverk-rf2-old-way-'));
  return artefacts.read((await archiveRf2(release, artefacts, date)).sha256);
}

afterAll(removeTempStores);

describe('the RF2 archive zipped alongside the import', () => {
  const release = writeFixtureRelease();

  it('is kept once the import has committed, the same bytes as zipping afterwards', async () => {
    const dir = tempDir('kodverk-rf2-alongside-');
    const db = openTempDatabase(path.join(dir, 'kodverk.db'));
    const store = new ResourceStore(db);
    const artefacts = new ArtefactStore(path.join(dir, 'artefacts'));
    let archive: PendingRf2Archive | undefined;
    try {
      const summary = await runImport(db, store, rf2Importer, release, { uri: EDITION }, undefined, { hashed: (sha) => (archive = PendingRf2Archive.start(db, artefacts, release, sha, EDITION)) });
      expect(archive?.releaseDate).toBe('20250930');
      // nothing is an artefact before the import's record keeps it
      await archive!.zipped;
      expect(filesUnder(artefacts.dir).filter((f) => !f.startsWith('tmp'))).toEqual([]);
      expect(await recordRf2Release(db, store, artefacts, release, summary.publisherVersion!, summary.sha256, archive)).toBe(true);
      const item = new SyndicationStore(db).get(EDITION)!;
      expect(artefacts.read(item.artefact!.sha256).equals(await zippedAfterwards(release, '20250930'))).toBe(true);
      await archive!.discard();
      expect(filesUnder(artefacts.dir)).toEqual([path.join(item.artefact!.sha256.slice(0, 2), item.artefact!.sha256)]);
      // the same content again: already held, so nothing is zipped
      expect(PendingRf2Archive.start(db, artefacts, release, sourceHash(release), EDITION)).toBeUndefined();
    } finally {
      await archive?.discard();
      db.close();
    }
  });

  it('of another date than the import gave is not kept: the files are zipped with the right date', async () => {
    const dir = tempDir('kodverk-rf2-alongside-');
    const db = openTempDatabase(path.join(dir, 'kodverk.db'));
    const store = new ResourceStore(db);
    const artefacts = new ArtefactStore(path.join(dir, 'artefacts'));
    const archive = PendingRf2Archive.start(db, artefacts, release, '0'.repeat(64), 'http://snomed.info/sct/45991000052106/version/20240101')!;
    try {
      const summary = await runImport(db, store, rf2Importer, release, { uri: EDITION });
      await archive.zipped;
      expect(await recordRf2Release(db, store, artefacts, release, summary.publisherVersion!, summary.sha256, archive)).toBe(true);
      await archive.discard();
      const kept = new SyndicationStore(db).get(EDITION)!.artefact!.sha256;
      expect(artefacts.read(kept).equals(await zippedAfterwards(release, '20250930'))).toBe(true);
      expect(filesUnder(artefacts.dir)).toEqual([path.join(kept.slice(0, 2), kept)]);
    } finally {
      await archive.discard();
      db.close();
    }
  });

  it('leaves no artefact and no staging file when the import fails, whether the zip was done or not', async () => {
    const broken = brokenCopy(release);
    for (const waitForZip of [true, false]) {
      const dir = tempDir('kodverk-rf2-alongside-');
      const db = openTempDatabase(path.join(dir, 'kodverk.db'));
      const artefacts = new ArtefactStore(path.join(dir, 'artefacts'));
      let archive: PendingRf2Archive | undefined;
      try {
        const importing = runImport(db, new ResourceStore(db), rf2Importer, broken, {}, undefined, { hashed: (sha) => (archive = PendingRf2Archive.start(db, artefacts, broken, sha)) });
        await expect(importing).rejects.toThrow(/'yes' is not 0 or 1/);
        if (waitForZip) await archive!.zipped;
        await archive!.discard();
        expect(filesUnder(artefacts.dir)).toEqual([]);
        expect(new SyndicationStore(db).all().filter((i) => i.origin === 'rf2')).toEqual([]);
      } finally {
        db.close();
      }
    }
  });
});

describe('kodverk import rf2', () => {
  const release = writeFixtureRelease();
  const cli = (db: string, folder: string) => run(process.execPath, [CLI, 'import', 'rf2', folder], { env: { ...process.env, KODVERK_DB: db, LOG_LEVEL: 'silent' }, encoding: 'utf8' });

  it('keeps the zip it made alongside the import, the same bytes as zipping afterwards, once', async () => {
    const dir = tempDir('kodverk-rf2-cli-');
    const db = path.join(dir, 'kodverk.db');
    const first = await cli(db, release);
    expect(first.stdout).toMatch(/RF2 snapshot kept for the syndication feed in .*artefacts/);
    const stored = filesUnder(path.join(dir, 'artefacts'));
    expect(stored).toHaveLength(1);
    expect(fs.readFileSync(path.join(dir, 'artefacts', stored[0])).equals(await zippedAfterwards(release, '20250930'))).toBe(true);
    // importing the same release again changes nothing, zips nothing and keeps nothing more
    const again = await cli(db, release);
    expect(again.stdout).toMatch(/nothing changed/);
    expect(again.stdout).not.toMatch(/RF2 snapshot kept/);
    expect(filesUnder(path.join(dir, 'artefacts'))).toEqual(stored);
  });

  it('refuses a bad release as before, leaving no artefact and no staging file', async () => {
    const dir = tempDir('kodverk-rf2-cli-');
    const failed = await cli(path.join(dir, 'kodverk.db'), brokenCopy(release)).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^Import refused, nothing was changed\. .*LanguageSnapshot-en.*'yes' is not 0 or 1/m);
    expect(failed?.stdout).not.toMatch(/RF2 snapshot kept/);
    expect(filesUnder(path.join(dir, 'artefacts'))).toEqual([]);
  });
});
