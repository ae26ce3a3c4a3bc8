import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import YAML from 'yaml';
import { nimCommand, releaseCommand } from '../../src/cli/nim';
import { loadConfig } from '../../src/config';
import { loadInitialContent } from '../../src/server';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { loadNimSeed } from '../../src/nim/seed';
import { addMonths } from '../../src/nim/lead-time';
import { TerminologyError } from '../../src/terminology/issues';

/** `kodverk nim …` on a real SQLite file: the whole lifecycle, export and import. */

const PACK = path.resolve(__dirname, '../../terminology');
const today = new Date().toISOString().slice(0, 10);
let dir: string;

/** A store with the content pack and the NIM seed, as a first server start leaves it. */
function seededStore(file: string): void {
  const db = openDatabase(file);
  const store = new ResourceStore(db);
  loadInitialContent(db, store, loadConfig({ loadFhirCore: false, contentPackDir: PACK }));
  loadNimSeed(db, store, path.join(PACK, 'nim'));
  db.close();
}

/** Runs `kodverk nim <args>` and returns what it printed. */
async function kodverk(dbPath: string, ...args: string[]): Promise<string> {
  const lines: string[] = [];
  const program = new Command('kodverk').exitOverride();
  program.addCommand(nimCommand({ dbPath, out: (t) => lines.push(t) }));
  await program.parseAsync(['node', 'kodverk', 'nim', ...args]);
  return lines.join('\n');
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-nim-cli-'));
  seededStore(path.join(dir, 'a.db'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('kodverk nim', () => {
  const db = () => path.join(dir, 'a.db');

  it('lists the seed NIMs and releases', async () => {
    expect(await kodverk(db(), 'list')).toMatch(/brukare\s+1\.0\.0 \(faststalld från 2025-12-01\)/);
    const releases = await kodverk(db(), 'release', 'list');
    expect(releases.split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['1.1.0 paseende', '1.0.0 faststalld']);
  });

  it('refreshes a release on påseende on demand, also as `kodverk release refresh`; never an adopted one', async () => {
    expect(await kodverk(db(), 'release', 'refresh', '1.1.0')).toBe('release 1.1.0 (paseende): already up to date');
    const lines: string[] = [];
    const program = new Command('kodverk').exitOverride();
    program.addCommand(releaseCommand({ dbPath: db(), out: (t) => lines.push(t) }));
    await program.parseAsync(['node', 'kodverk', 'release', 'refresh']);
    expect(lines).toEqual(['release 1.1.0 (paseende): already up to date']);
    await expect(kodverk(db(), 'release', 'refresh', '1.0.0')).rejects.toThrow(/never changes/);
  });

  it('takes a release through the whole lifecycle', async () => {
    expect(await kodverk(db(), 'release', 'status', '1.1.0', 'faststalld', '--effective-from', addMonths(today, 7))).toMatch(/release 1\.1\.0 is faststalld/);
    expect(await kodverk(db(), 'new-version', 'kontaktuppgifter')).toBe('created nim-kontaktuppgifter-1.1.0 (utkast)');
    const def = JSON.parse(await kodverk(db(), 'show', 'kontaktuppgifter', '1.1.0')).definition;
    def.attributes.push({ id: 'webbplats', name: 'Webbplats', definition: 'Webbadress.', type: 'string' });
    const file = path.join(dir, 'kontaktuppgifter.yaml');
    fs.writeFileSync(file, YAML.stringify(def));
    expect(await kodverk(db(), 'edit', 'kontaktuppgifter', '1.1.0', file)).toBe('updated nim-kontaktuppgifter-1.1.0');
    expect(await kodverk(db(), 'release', 'create', '--title', 'Webbplats i kontaktuppgifter')).toBe('created release 1.2.0 (utkast)');
    await expect(kodverk(db(), 'release', 'comment', '1.2.0', 'För tidigt')).rejects.toThrow(TerminologyError);
    expect(await kodverk(db(), 'release', 'status', '1.2.0', 'paseende')).toMatch(/release 1\.2\.0 is paseende, content sha256:/);
    expect(await kodverk(db(), 'release', 'comment', '1.2.0', 'Bra tillägg.', '--organisation', 'Exempelkommun', '--nim', 'kontaktuppgifter')).toMatch(/comment \d+ recorded/);
    expect(JSON.parse(await kodverk(db(), 'release', 'comments', '1.2.0'))[0]).toMatchObject({ organisation: 'Exempelkommun', nim: 'kontaktuppgifter' });
    await expect(kodverk(db(), 'release', 'status', '1.2.0', 'faststalld', '--effective-from', addMonths(today, 1))).rejects.toThrow(/6 months/);
    expect(await kodverk(db(), 'release', 'status', '1.2.0', 'faststalld', '--effective-from', addMonths(today, 1), '--override-lead-time', 'Frivilligt tillägg.')).toMatch(/is faststalld/);
    const manifest = JSON.parse(await kodverk(db(), 'release', 'show', '1.2.0'));
    expect(manifest).toMatchObject({ status: 'faststalld', changeClass: 'minor', leadTime: { override: { reason: 'Frivilligt tillägg.' } } });
    await expect(kodverk(db(), 'release', 'edit', '1.2.0', '--title', 'Ändrad')).rejects.toMatchObject({ httpStatus: 409 });
    const diff = JSON.parse(await kodverk(db(), 'release', 'diff', '1.1.0', '1.2.0'));
    expect(diff.changeClass).toBe('minor');
    expect(diff.nims.changed[0].attributes.added).toEqual([{ id: 'webbplats', name: 'Webbplats', type: 'string', min: 0, max: '1' }]);
    const effective = JSON.parse(await kodverk(db(), 'release', 'effective', today, addMonths(today, 2)));
    expect(effective.releases).toEqual([{ version: '1.2.0', title: 'Webbplats i kontaktuppgifter', status: 'faststalld', event: 'takes-effect', date: addMonths(today, 1) }]);
  });

  it('exports a release and imports it into a fresh store, reproducing it exactly', async () => {
    const outDir = path.join(dir, 'export');
    const written = (await kodverk(db(), 'release', 'export', '1.2.0', '--out', outDir)).split('\n');
    expect(written.map((f) => path.basename(f))).toEqual(['se.kodverk.nim-1.2.0.tgz', 'nim-1.2.0-valuesets.csv', 'nim-1.2.0-valuesets.xlsx']);
    const fresh = path.join(dir, 'fresh.db');
    openDatabase(fresh).close();
    expect(await kodverk(fresh, 'release', 'import', written[0])).toMatch(/^imported release 1\.2\.0 \(faststalld\)/);
    const [a, b] = [JSON.parse(await kodverk(db(), 'release', 'show', '1.2.0')), JSON.parse(await kodverk(fresh, 'release', 'show', '1.2.0'))];
    expect(b.contentHash).toBe(a.contentHash);
    expect(b.valueSets).toEqual(a.valueSets);
    await kodverk(fresh, 'release', 'export', '1.2.0', '--out', path.join(dir, 'again'));
    expect(fs.readFileSync(path.join(dir, 'again', 'se.kodverk.nim-1.2.0.tgz')).equals(fs.readFileSync(written[0]))).toBe(true);
    expect(await kodverk(fresh, 'release', 'import', written[0])).toMatch(/^already present: release 1\.2\.0/);
  });
});
