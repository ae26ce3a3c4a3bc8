import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type { CodeSystem, OperationOutcome } from 'fhir/r4';
import type { RunningServer } from '../../src/server';
import { startTestServer } from '../helpers/server';
import { jsonOf } from '../helpers/json';
import { codeSystem, COLOURS } from './support/fixtures';
import { ID, writeFixtureRelease } from '../unit/snomed-fixture';
import { removeTempStores, tempDir } from '../helpers/temp-store';

/**
 * Backup while serving, restore into a new store, check: `kodverk backup` runs as its own process
 * (as an operator runs it) while requests, reads and writes, go on against the server; the
 * restored store must answer $lookup and $expand exactly as the original did.
 */

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TOKEN = 'backup-test-token';
const SCRATCH = 'http://example.org/fhir/CodeSystem/written-during-backup';

function kodverk(db: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)('node', [CLI, ...args], { env: { ...process.env, KODVERK_DB: db } });
}

/** Requests whose answers the restored store must repeat. */
const QUERIES = [
  `CodeSystem/$lookup?system=${encodeURIComponent(COLOURS)}&code=red`,
  `CodeSystem/$lookup?system=http://snomed.info/sct&code=${ID.hepatitis}`,
  `CodeSystem/$lookup?system=http://snomed.info/sct&code=${ID.hepatitis}&displayLanguage=sv`,
  `ValueSet/$expand?url=${encodeURIComponent(`http://snomed.info/sct?fhir_vs=isa/${ID.disease}`)}`,
  `ValueSet/$expand?url=${encodeURIComponent('http://snomed.info/sct?fhir_vs')}&filter=hepatit`,
  `ValueSet/$expand?url=${encodeURIComponent('https://kodverk.se/fhir/ValueSet/juridiskt-kon')}`,
  `ValueSet/$expand?url=${encodeURIComponent('https://kodverk.se/fhir/ValueSet/lagrum')}&filter=sol`,
  `ValueSet/$validate-code?url=${encodeURIComponent('https://kodverk.se/fhir/ValueSet/juridiskt-kon')}&code=kvinna&system=${encodeURIComponent('https://kodverk.se/fhir/CodeSystem/juridiskt-kon')}`,
];

/** An answer without what differs on every call (expansion time and id). */
function stable(answer: any): any {
  if (answer?.expansion) {
    delete answer.expansion.timestamp;
    delete answer.expansion.identifier;
  }
  return answer;
}

async function answers(server: RunningServer): Promise<unknown[]> {
  return Promise.all(
    QUERIES.map(async (q) => {
      const res = await fetch(`${server.fhirBase}/${q}`);
      // the pages a stored value set's expansion names (web-source) are on the server's own address
      const root = server.fhirBase.replace(/\/fhir$/, '');
      return { q, status: res.status, body: stable(JSON.parse((await res.text()).replaceAll(root, '<server>'))) };
    }),
  );
}

async function putScratch(server: RunningServer, n: number): Promise<number> {
  const res = await fetch(`${server.fhirBase}/CodeSystem/written-during-backup`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(codeSystem({ id: 'written-during-backup', url: SCRATCH, version: String(n), title: `write ${n}` })),
  });
  await res.arrayBuffer();
  return res.status;
}

describe('kodverk backup while serving, restore, check', () => {
  let original: RunningServer & { dir: string };
  let restored: (RunningServer & { dir: string }) | undefined;
  let work: string;
  let content: string;

  beforeAll(async () => {
    work = tempDir('kodverk-backup-');
    content = path.join(ROOT, 'terminology');
    original = await startTestServer({ loadFhirCore: false, apiToken: TOKEN, contentPackDir: content });
    await kodverk(path.join(original.dir, 'kodverk.db'), 'import', 'rf2', writeFixtureRelease());
    const put = await fetch(`${original.fhirBase}/CodeSystem/colours`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify(codeSystem({ id: 'colours' })),
    });
    expect(put.status).toBe(201);
    expect(await putScratch(original, 0)).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await restored?.close();
    await original?.close();
    removeTempStores();
  });

  it('a backup taken under load restores to a store that answers the same $lookup and $expand', async () => {
    const before = await answers(original);
    for (const a of before as { q: string; status: number; body: unknown }[]) expect({ q: a.q, status: a.status, body: a.status === 200 ? undefined : a.body }).toEqual({ q: a.q, status: 200, body: undefined });

    // load: four readers and a writer, until the backup is done
    let running = true;
    let writes = 0;
    const statuses: number[] = [];
    const failures: { q: string; status: number; text: string }[] = [];
    const readers = Array.from({ length: 4 }, async (_, r) => {
      for (let i = r; running; i++) {
        const q = QUERIES[i % QUERIES.length];
        const res = await fetch(`${original.fhirBase}/${q}`);
        const text = await res.text();
        statuses.push(res.status);
        // which read failed, and what it said (a read during writes must never miss what exists)
        if (res.status >= 300) failures.push({ q, status: res.status, text: text.slice(0, 500) });
      }
    });
    const writer = (async () => {
      while (running) statuses.push(await putScratch(original, ++writes));
    })();
    const file = path.join(work, 'kodverk-backup.db');
    const backup = await kodverk(path.join(original.dir, 'kodverk.db'), 'backup', file).finally(() => (running = false));
    await Promise.all([...readers, writer]);
    expect(backup.stdout).toMatch(/quick check: ok/);
    // the RF2 snapshot kept for the syndication feed (it cannot be rebuilt from the store)
    expect(backup.stdout).toMatch(/syndication artefacts in .*\.artefacts: [1-9]\d* copied/);
    expect(statuses.length).toBeGreaterThan(10);
    expect(failures).toEqual([]);
    expect(statuses.filter((s) => s >= 300)).toEqual([]);
    expect(writes).toBeGreaterThan(0);

    // the backup checks clean, as a file of its own
    const check = await kodverk(path.join(work, 'unused.db'), 'check', file);
    expect(check.stdout).toMatch(/: ok\n/);
    expect(check.stdout).toMatch(/Snomed CT concepts: [1-9]/);
    expect(check.stdout).toMatch(/full-text indexes: concept_text ok/);

    // restored into a new store, served by a second server
    const restoredDir = tempDir('kodverk-restored-');
    const restoredDb = path.join(restoredDir, 'kodverk.db');
    const restore = await kodverk(restoredDb, 'restore', file);
    expect(restore.stdout).toMatch(/^restored /);
    expect(restore.stdout).toMatch(/syndication artefacts copied into .*: [1-9]/);
    const artefactFiles = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort() : []);
    expect(artefactFiles(path.join(restoredDir, 'artefacts'))).toEqual(artefactFiles(`${file}.artefacts`));
    restored = Object.assign(await startTestServer({ loadFhirCore: false, dbPath: restoredDb, contentPackDir: content }), { dir: restoredDir });
    expect(await answers(restored)).toEqual(before);

    // the writes during the backup: the copy holds one consistent state of them
    const scratch = await jsonOf<CodeSystem>(await fetch(`${restored.fhirBase}/CodeSystem/written-during-backup`));
    expect(Number(scratch.version)).toBeGreaterThanOrEqual(0);
    expect(Number(scratch.version)).toBeLessThanOrEqual(writes);
    expect(scratch.title).toBe(`write ${scratch.version}`);
  }, 180_000);

  it('kodverk check on the live store passes and prints counts', async () => {
    const { stdout } = await kodverk(path.join(original.dir, 'kodverk.db'), 'check');
    expect(stdout).toMatch(/: ok\n/);
    expect(stdout).toMatch(/integrity: ok; foreign keys: ok/);
    expect(stdout).toMatch(/schema version (\d+) \(this software: \1\)/);
    expect(stdout).toMatch(/resources: [1-9]/);
  });

  it('a write while another process holds the store’s write lock answers 503 after the busy timeout, not 500', async () => {
    const other = new Database(path.join(original.dir, 'kodverk.db'));
    try {
      other.exec('BEGIN IMMEDIATE');
      const res = await fetch(`${original.fhirBase}/CodeSystem/written-during-backup`, {
        method: 'PUT',
        headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(codeSystem({ id: 'written-during-backup', url: SCRATCH, version: 'locked', title: 'never written' })),
      });
      expect(res.status).toBe(503);
      expect((await jsonOf<OperationOutcome>(res)).issue[0].code).toBe('transient');
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(await putScratch(original, 1000)).toBe(200);
  }, 60_000);

  it('restore refuses a store in use, and a damaged backup, and changes nothing', async () => {
    const liveDb = path.join(original.dir, 'kodverk.db');
    const file = path.join(work, 'kodverk-backup.db');
    await expect(kodverk(liveDb, 'restore', file)).rejects.toThrow(/in use by another process/);
    expect((await fetch(`${original.fhirBase}/CodeSystem/colours`)).status).toBe(200);

    await restored!.close();
    const restoredDb = path.join(restored!.dir, 'kodverk.db');
    restored = undefined;
    const sizeBefore = fs.statSync(restoredDb).size;
    const truncated = path.join(work, 'truncated.db');
    fs.writeFileSync(truncated, fs.readFileSync(file).subarray(0, Math.floor(fs.statSync(file).size / 2)));
    await expect(kodverk(restoredDb, 'restore', truncated)).rejects.toThrow(/failed its checks/);
    const garbage = path.join(work, 'garbage.db');
    fs.writeFileSync(garbage, 'this is not a SQLite file at all'.repeat(100));
    await expect(kodverk(restoredDb, 'restore', garbage)).rejects.toThrow(/failed its checks/);
    expect(fs.statSync(restoredDb).size).toBe(sizeBefore);
    expect(fs.existsSync(`${restoredDb}.restoring`)).toBe(false);
    expect((await kodverk(restoredDb, 'check', '--quick')).stdout).toMatch(/: ok\n/);
  }, 120_000);
});
