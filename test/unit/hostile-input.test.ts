import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as tar from 'tar';
import yazl from 'yazl';
import { fhirImporter } from '../../src/importers/fhir-package';
import { ImportError, NO_PROGRESS } from '../../src/importers/importer';
import { PackageRefused, readTgz, scanTgz, writeTgz } from '../../src/importers/npm-package';
import { underPrefix } from '../../src/syndication/follower';
import { unpackZip } from '../../src/syndication/rf2-archive';
import { ApiKeys } from '../../src/security/api-keys';
import { CredentialError } from '../../src/security/identity';
import { ResourceStore } from '../../src/store/resource-store';
import { freshTempStore, openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

/**
 * What content from elsewhere (another instance's feed, an upload) may not do: reach files
 * outside a package by links, inflate past the limits, pass an allow-list by a look-alike host,
 * or tie up the key checks with guesses.
 */

let dir: string;
beforeEach(() => (dir = tempDir('kodverk-hostile-')));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const codeSystem = (url: string) => JSON.stringify({ resourceType: 'CodeSystem', id: url.split('/').pop(), url, status: 'active', content: 'complete', concept: [{ code: 'a' }] });

describe('FHIR packages', () => {
  // the store being imported into, which an importer may read (the FHIR importer does not)
  let store: ResourceStore;
  beforeAll(() => {
    store = freshTempStore('kodverk-hostile-store-').store;
  });

  it('take regular files only: a chain of links, each one level up, does not reach a file outside', async () => {
    // outside the package, where the links lead
    const outside = path.join(dir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.json'), codeSystem('http://host.local/secret'));
    // a package made on disk with links in it (node-tar refuses '../' and absolute targets on
    // its own, but not a chain of links that each climb one level)
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, 'package', 'other'), { recursive: true });
    fs.writeFileSync(path.join(src, 'package', 'package.json'), JSON.stringify({ name: 'evil', version: '1.0.0' }));
    fs.writeFileSync(path.join(src, 'package', 'CodeSystem-fine.json'), codeSystem('http://example.org/fine'));
    fs.symlinkSync('..', path.join(src, 'package', 'other', 'b'));
    fs.symlinkSync('b/..', path.join(src, 'package', 'other', 'c'));
    fs.symlinkSync(`c/../..${outside}`, path.join(src, 'package', 'host'));
    fs.symlinkSync(path.join(outside, 'secret.json'), path.join(src, 'package', 'CodeSystem-secret.json'));
    const tgz = path.join(dir, 'evil.tgz');
    await tar.c({ gzip: true, file: tgz, cwd: src, portable: true }, ['package']);
    const read = await fhirImporter.read(tgz, {}, NO_PROGRESS, store);
    expect(read.resources.map((r: any) => r.url)).toEqual(['http://example.org/fine']);
  });

  it('are read within limits of size and entries: past them the package is refused before it is held', async () => {
    const big = writeTgz([['package/a.json', Buffer.alloc(600_000, 0x20)], ['package/b.json', Buffer.alloc(600_000, 0x20)]], 0);
    expect(big.length).toBeLessThan(10_000);
    await expect(readTgz(big, { bytes: 1_000_000, entries: 10 })).rejects.toBeInstanceOf(PackageRefused);
    await expect(readTgz(big, { bytes: 2_000_000, entries: 1 })).rejects.toThrow(/more than 1 entries/);
    expect([...(await readTgz(big, { bytes: 2_000_000, entries: 10 })).keys()]).toEqual(['package/a.json', 'package/b.json']);
    // scanning keeps only what is asked for
    const kept: string[] = [];
    await scanTgz(big, (p) => (p.endsWith('b.json') ? () => kept.push(p) : undefined));
    expect(kept).toEqual(['package/b.json']);
    // not a tar.gz at all
    await expect(readTgz(zlib.gzipSync(Buffer.from('not a tar')))).resolves.toEqual(new Map());
    const file = path.join(dir, 'big.tgz');
    fs.writeFileSync(file, big);
    await expect(scanTgz(fs.createReadStream(file), () => undefined, { bytes: 1_000_000, entries: 10 })).rejects.toBeInstanceOf(PackageRefused);
  });

  it('the importer refuses a package past the limits with an import error', async () => {
    // 300 MiB of spaces: about 300 KB of gzip
    const huge = writeTgz([['package/a.json', Buffer.alloc(300 * 1024 * 1024, 0x20)]], 0);
    const file = path.join(dir, 'huge.tgz');
    fs.writeFileSync(file, huge);
    await expect(fhirImporter.read(file, {}, NO_PROGRESS, store)).rejects.toThrow(ImportError);
    await expect(fhirImporter.read(file, {}, NO_PROGRESS, store)).rejects.toThrow(/more than \d+ bytes unpacked/);
  });
});

describe('zip archives (Snomed CT releases from a feed)', () => {
  it('unpack to at most 50 times their own size', async () => {
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.alloc(5_000_000, 0x41), 'sct2_Concept_Snapshot_INT_20250101.txt');
    zip.end();
    const file = path.join(dir, 'bomb.zip');
    await new Promise<void>((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(file)).on('close', resolve).on('error', reject));
    expect(fs.statSync(file).size * 50).toBeLessThan(5_000_000);
    await expect(unpackZip(file, path.join(dir, 'out'))).rejects.toThrow(/unpacks to more than/);
  });
});

describe('the allow-list of artefact addresses', () => {
  it('compares origins and whole path segments, not text', () => {
    const u = (s: string) => new URL(s);
    expect(underPrefix(u('https://cdn.example.se/kodverk/a.tgz'), 'https://cdn.example.se')).toBe(true);
    expect(underPrefix(u('https://cdn.example.se/kodverk/a.tgz'), 'https://cdn.example.se/kodverk/')).toBe(true);
    expect(underPrefix(u('https://cdn.example.se/kodverk/a.tgz'), 'https://cdn.example.se/kodverk')).toBe(true);
    expect(underPrefix(u('https://cdn.example.se.evil.net/a.tgz'), 'https://cdn.example.se')).toBe(false);
    expect(underPrefix(u('https://cdn.example.se/kodverk-evil/a.tgz'), 'https://cdn.example.se/kodverk')).toBe(false);
    expect(underPrefix(u('http://cdn.example.se/kodverk/a.tgz'), 'https://cdn.example.se/kodverk')).toBe(false);
    expect(underPrefix(u('https://cdn.example.se:8443/a.tgz'), 'https://cdn.example.se')).toBe(false);
    expect(underPrefix(u('https://cdn.example.se/a.tgz'), 'not a url')).toBe(false);
  });
});

describe('API key checks', () => {
  it('run one scrypt per distinct key presented at once, and refuse guesses past two at a time per key id', async () => {
    const keys = new ApiKeys(openTempDatabase(path.join(dir, 'k.db')));
    const { key } = await keys.create({ name: 'Leverantör', role: 'reader' });
    // a client's burst with its own key: one check, every request answered
    const burst = await Promise.all(Array.from({ length: 10 }, () => keys.identify(key)));
    expect(burst.every((i) => i.roles[0] === 'reader')).toBe(true);
    // many wrong secrets for the same key id at once: two are checked, the rest refused at once
    const prefix = key.slice(0, 'kv_'.length + 12 + 1);
    const guesses = Array.from({ length: 20 }, (_, i) => prefix + String(i).padStart(43, 'x'));
    const answers = await Promise.allSettled(guesses.map((g) => keys.identify(g)));
    const reasons = answers.map((a) => (a.status === 'rejected' && a.reason instanceof CredentialError ? a.reason.message : 'accepted'));
    expect(reasons.filter((r) => r === 'The API key is not known')).toHaveLength(2);
    expect(reasons.filter((r) => /being checked already/.test(r))).toHaveLength(18);
    // afterwards the key still works
    expect((await keys.identify(key)).name).toBe('Leverantör');
  });
});
