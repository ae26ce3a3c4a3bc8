import crypto from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, CodeSystem, OperationOutcome, Parameters } from 'fhir/r4';
import type { RunningServer } from '../../src/server';
import { startTestServer } from '../helpers/server';
import { FollowerStatusAnswer, Readiness, ReleaseJsonFeed, ReleaseManifest, jsonOf } from '../helpers/json';
import { loadFollowConfig } from '../../src/config';
import { Feed, readFeed } from '../../src/syndication/feed-reader';
import { asfTerm, errorsOf, primaryLink, validateFeed } from '../../src/syndication/feed-validator';
import { ASF_SCHEME, NCTS_NS, NIM_STATUS_SCHEME } from '../../src/syndication/asf';
import { unpackZip } from '../../src/syndication/rf2-archive';
import { findRf2Files } from '../../src/terminology/snomed/rf2-reader';

const run = promisify(execFile);

/**
 * The syndication feed and followers through real servers (ephemeral ports, real SQLite files, the
 * content pack and NIM seed on the primary): the feed conforms to the IG's rules and every
 * artefact is what its entry says; licensed content is held back from those without the
 * permission; a follower takes everything in, serves it, refuses writes, follows new versions,
 * retractions and NIM release changes; a follower of a follower works; an artefact that is not
 * what its feed announced is never taken in.
 */

const TOKEN = 'syndication-test-token';
const ROOT = path.resolve(__dirname, '../..');
const GENERATOR = path.resolve(ROOT, '../shared/tools/synth-rf2/generate.mjs');
const SCT_VERSION = 'http://snomed.info/sct/45991000052106/version/20250930';

type Server = RunningServer & { dir: string };
let primary: Server;
let follower: Server;
const started: Server[] = [];

const auth = { Authorization: `Bearer ${TOKEN}` };
const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

async function getFeed(server: Server, headers: Record<string, string> = {}): Promise<{ feed: Feed; xml: string; res: Response }> {
  const res = await fetch(`${server.url}/syndication/feed.xml`, { headers });
  expect(res.status).toBe(200);
  const xml = await res.text();
  return { feed: readFeed(xml), xml, res };
}

async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function startFollower(feeds: string, overrides: Record<string, unknown> = {}, apiToken?: string): Promise<Server> {
  const s = await startTestServer({ workers: 0, loadFhirCore: false, apiToken, follow: { ...loadFollowConfig(feeds)!, intervalMs: 300, maxBackoffMs: 1000, ...overrides } });
  started.push(s);
  return s;
}

const status = async (s: Server) => jsonOf<FollowerStatusAnswer>(await fetch(`${s.url}/syndication/status`));
const lookup = (s: Server, query: string) => fetch(`${s.fhirBase}/CodeSystem/$lookup?${query}`);

beforeAll(async () => {
  primary = await startTestServer({ workers: 0, apiToken: TOKEN });
  started.push(primary);
}, 180_000);

afterAll(async () => {
  for (const s of started.reverse()) await s.close().catch(() => undefined);
});

describe('the primary publishes', () => {
  it('a feed that conforms to the IG, whose every artefact is what its entry announces', async () => {
    const { feed, res } = await getFeed(primary);
    expect(res.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    expect(errorsOf(validateFeed(feed))).toEqual([]);
    const versions = feed.entries.map((e) => e.contentItemVersion);
    // the content pack and the NIM releases from påseende on; the FHIR core every Kodverk loads is left out
    expect(versions).toContain('https://kodverk.se/fhir/CodeSystem/sakomrade|2026.1');
    expect(versions).toContain('se.kodverk.nim#1.0.0');
    expect(versions).toContain('se.kodverk.nim#1.1.0');
    expect(versions.some((v) => v?.startsWith('http://hl7.org/fhir/'))).toBe(false);
    const nim = feed.entries.find((e) => e.contentItemVersion === 'se.kodverk.nim#1.0.0')!;
    expect(nim.categories).toContainEqual(expect.objectContaining({ scheme: NIM_STATUS_SCHEME, term: 'faststalld' }));
    expect(nim.dependencies.length).toBeGreaterThan(0);

    for (const e of feed.entries) {
      expect(asfTerm(e)).toBe('FHIR_Package');
      expect(e.fhirVersion).toBe('4.0.1');
      const link = primaryLink(e)!;
      const a = await fetch(link.href!);
      const body = Buffer.from(await a.arrayBuffer());
      expect(a.status).toBe(200);
      expect(body.length).toBe(Number(link.length));
      expect(sha256(body)).toBe(link.sha256);
      expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(a.headers.get('etag')).toBe(`"${link.sha256}"`);
    }
    const link = primaryLink(feed.entries[0])!;
    expect((await fetch(link.href!, { headers: { 'If-None-Match': `"${link.sha256}"` } })).status).toBe(304);
    expect((await fetch(`${primary.url}/syndication/feed.xml`, { headers: { 'If-None-Match': res.headers.get('etag')! } })).status).toBe(304);
    expect((await fetch(`${primary.url}/syndication/artefacts/${'0'.repeat(64)}/x.tgz`)).status).toBe(404);
    // a write no access rule names needs admin (fail closed): anonymous 401, the admin token 405
    expect((await fetch(`${primary.url}/syndication/feed.xml`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${primary.url}/syndication/feed.xml`, { method: 'POST', headers: auth })).status).toBe(405);
    expect((await fetch(`${primary.url}/syndication/feed.xml`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('holds a licensed Snomed CT release back from clients without the permission', async () => {
    if (!fs.existsSync(GENERATOR)) return console.warn(`skipped: ${GENERATOR} is absent (../shared/tools)`);
    const rf2 = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-rf2-'));
    try {
      // run asynchronously: the server under test lives in this process, and a blocked event loop
      // would let its keep-alive timeouts fire late, racing the next request on a reused socket
      await run('node', [GENERATOR, '--concepts', '2000', '--out', rf2, '--no-pools', '--quiet']);
      // the operator's import, as the CLI runs it beside the running server
      const { stdout: out } = await run('node', [path.join(ROOT, 'dist/src/cli/main.js'), 'import', 'rf2', rf2, '--uri', SCT_VERSION], {
        env: { ...process.env, KODVERK_DB: path.join(primary.dir, 'kodverk.db'), LOG_LEVEL: 'silent' },
        encoding: 'utf8',
      });
      expect(out).toMatch(/RF2 snapshot kept for the syndication feed/);
    } finally {
      fs.rmSync(rf2, { recursive: true, force: true });
    }
    const anonymous = await getFeed(primary);
    expect(anonymous.feed.entries.find((e) => e.contentItemVersion === SCT_VERSION)).toBeUndefined();
    const entitled = await getFeed(primary, auth);
    expect(entitled.res.headers.get('cache-control')).toBe('private, no-cache');
    expect(errorsOf(validateFeed(entitled.feed))).toEqual([]);
    const sct = entitled.feed.entries.find((e) => e.contentItemVersion === SCT_VERSION)!;
    expect(asfTerm(sct)).toBe('SCT_RF2_SNAPSHOT');
    expect(sct.contentItemIdentifier).toBe('http://snomed.info/sct/45991000052106');
    expect(sct.permissions).toEqual(['snomed-ct']);
    const link = primaryLink(sct)!;
    expect(link.type).toBe('application/zip');
    expect((await fetch(link.href!)).status).toBe(401);
    const zip = Buffer.from(await (await fetch(link.href!, { headers: auth })).arrayBuffer());
    expect(sha256(zip)).toBe(link.sha256);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-unzip-'));
    try {
      fs.writeFileSync(path.join(dir, 'r.zip'), zip);
      await unpackZip(path.join(dir, 'r.zip'), path.join(dir, 'out'));
      expect(findRf2Files(path.join(dir, 'out')).files.map((f) => f.kind)).toEqual(expect.arrayContaining(['concept', 'description', 'relationship', 'language']));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('a follower', () => {
  beforeAll(async () => {
    // the follower holds the permission upstream, and grants it to clients with its own API token
    follower = await startFollower(`${primary.url}/syndication/feed.xml`, { token: TOKEN }, TOKEN);
    await until('the first sync', async () => (await status(follower)).synced);
  }, 180_000);

  it('holds and serves what the primary publishes, NIM releases as the primary published them', async () => {
    const res = await lookup(follower, 'system=https://kodverk.se/fhir/CodeSystem/sakomrade&code=aldreomsorg');
    expect(res.status).toBe(200);
    const [mine, theirs] = await Promise.all([follower, primary].map(async (s) => (await jsonOf<ReleaseManifest>(await fetch(`${s.url}/releases/1.1.0`))).contentHash));
    expect(mine).toBe(theirs);
    const pkg = async (s: Server) => sha256(Buffer.from(await (await fetch(`${s.url}/releases/1.1.0/package.tgz`)).arrayBuffer()));
    expect(await pkg(follower)).toBe(await pkg(primary));
    if (fs.existsSync(GENERATOR)) expect((await lookup(follower, `system=http://snomed.info/sct&version=${encodeURIComponent(SCT_VERSION)}&code=138875005`)).status).toBe(200);
    // its own feed: what it took in, with the feed each entry came from
    const own = await getFeed(follower, auth);
    const upstream = await getFeed(primary, auth);
    expect(errorsOf(validateFeed(own.feed))).toEqual([]);
    expect(own.feed.id).not.toBe(upstream.feed.id);
    expect(own.feed.entries.map((e) => e.contentItemVersion).sort()).toEqual(upstream.feed.entries.map((e) => e.contentItemVersion).sort());
    for (const e of own.feed.entries) {
      expect(e.source?.id).toBe(upstream.feed.id);
      expect(primaryLink(e)!.sha256).toBe(primaryLink(upstream.feed.entries.find((u) => u.contentItemVersion === e.contentItemVersion)!)!.sha256);
    }
  });

  it('refuses writes with 405 naming the primary, and still answers reads sent by POST', async () => {
    for (const [method, where] of [
      ['PUT', '/fhir/CodeSystem/x'],
      ['POST', '/fhir/ValueSet'],
      ['DELETE', '/fhir/CodeSystem/sakomrade'],
      ['POST', '/releases'],
      ['PATCH', '/releases/1.1.0'],
    ]) {
      const res = await fetch(`${follower.url}${where}`, { method, headers: { ...auth, 'Content-Type': 'application/fhir+json' }, body: method === 'DELETE' ? undefined : '{}' });
      expect(res.status).toBe(405);
      const outcome = await jsonOf<OperationOutcome>(res);
      expect(outcome.resourceType).toBe('OperationOutcome');
      expect(outcome.issue[0].details!.text).toContain(primary.url);
    }
    const body = { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: 'https://kodverk.se/fhir/CodeSystem/sakomrade' }, { name: 'code', valueCode: 'aldreomsorg' }] };
    const res = await fetch(`${follower.fhirBase}/CodeSystem/$validate-code`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(200);
  });

  it('follows a new code-system version, the NIM release that binds it, a repeal and a deletion', async () => {
    const cs = (await jsonOf<Bundle<CodeSystem>>(await fetch(`${primary.fhirBase}/CodeSystem?url=https://kodverk.se/fhir/CodeSystem/sakomrade`))).entry![0].resource!;
    const next = { ...cs, id: 'sakomrade-2026.2', version: '2026.2', meta: undefined, concept: [...cs.concept!, { code: 'syndikering', display: 'Syndikering' }] };
    const put = await fetch(`${primary.fhirBase}/CodeSystem/sakomrade-2026.2`, { method: 'PUT', headers: { ...auth, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(next) });
    expect(put.status).toBe(201);
    const release = await jsonOf<ReleaseManifest>(await fetch(`${primary.url}/releases/1.0.0`));
    const repeal = await fetch(`${primary.url}/releases/1.0.0/status`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'upphavd', effectiveTo: release.effectiveFrom ?? '2099-12-31' }) });
    expect(repeal.status).toBe(200);

    await until('the new version on the follower', async () => (await lookup(follower, 'system=https://kodverk.se/fhir/CodeSystem/sakomrade&version=2026.2&code=syndikering')).status === 200);
    const primaryRelease = await jsonOf<ReleaseManifest>(await fetch(`${primary.url}/releases/1.1.0`));
    await until('the refreshed release on the follower', async () => (await jsonOf<ReleaseManifest>(await fetch(`${follower.url}/releases/1.1.0`))).contentHash === primaryRelease.contentHash);
    await until('the repeal on the follower', async () => (await jsonOf<ReleaseManifest>(await fetch(`${follower.url}/releases/1.0.0`))).status === 'upphavd');
    const events = await jsonOf<ReleaseJsonFeed>(await fetch(`${follower.url}/releases/feed.json`));
    expect(events.items.map((i: any) => i.tags[0])).toEqual(expect.arrayContaining(['uppdaterad', 'upphavd']));

    expect((await fetch(`${primary.fhirBase}/CodeSystem/sakomrade-2026.2`, { method: 'DELETE', headers: auth })).status).toBe(204);
    const { feed } = await getFeed(primary);
    expect(asfTerm(feed.entries.find((e) => e.contentItemVersion === 'https://kodverk.se/fhir/CodeSystem/sakomrade|2026.2')!)).toBe('FHIR_CodeSystem_RETRACT');
    expect(errorsOf(validateFeed(feed))).toEqual([]);
    await until('the retraction on the follower', async () => (await lookup(follower, 'system=https://kodverk.se/fhir/CodeSystem/sakomrade&version=2026.2&code=syndikering')).status === 404);
    expect((await lookup(follower, 'system=https://kodverk.se/fhir/CodeSystem/sakomrade&version=2026.1&code=aldreomsorg')).status).toBe(200);
  }, 120_000);

  it('can itself be followed', async () => {
    const second = await startFollower(`${follower.url}/syndication/feed.xml`);
    await until('the second-tier sync', async () => (await status(second)).synced, 120_000);
    expect((await lookup(second, 'system=https://kodverk.se/fhir/CodeSystem/sakomrade&code=aldreomsorg')).status).toBe(200);
    expect((await jsonOf<ReleaseManifest>(await fetch(`${second.url}/releases/1.0.0`))).status).toBe('upphavd');
    // without the permission, the licensed release never reached it
    if (fs.existsSync(GENERATOR)) expect((await lookup(second, `system=http://snomed.info/sct&version=${encodeURIComponent(SCT_VERSION)}&code=138875005`)).status).not.toBe(200);
    const { feed } = await getFeed(second);
    expect(errorsOf(validateFeed(feed))).toEqual([]);
    const upstream = await getFeed(primary);
    // entries keep the feed they were first published in
    expect(new Set(feed.entries.map((e) => e.source?.id))).toEqual(new Set([upstream.feed.id]));
  }, 180_000);
});

describe('a follower of another publisher\'s feed', () => {
  it('takes in single FHIR resources, and never an artefact that is not what the feed announced', async () => {
    const vs = Buffer.from(JSON.stringify({ resourceType: 'ValueSet', id: 'extern', url: 'https://example.org/ValueSet/extern', version: '1', status: 'active', compose: { include: [{ system: 'https://example.org/cs', concept: [{ code: 'a' }] }] } }));
    const cs = Buffer.from(JSON.stringify({ resourceType: 'CodeSystem', id: 'extern', url: 'https://example.org/cs', version: '1', status: 'active', content: 'complete', concept: [{ code: 'a', display: 'A' }] }));
    const tampered = Buffer.concat([cs, Buffer.from(' ')]);
    const served: Record<string, Buffer> = { '/vs.json': vs, '/cs.json': tampered };
    const server = http.createServer((req, res) => {
      if (req.url === '/feed.xml') return res.writeHead(200, { 'Content-Type': 'application/atom+xml' }).end(xml);
      const body = served[req.url ?? ''];
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const entry = (term: string, civ: string, file: string, bytes: Buffer) => `<entry><id>urn:uuid:${crypto.randomUUID()}</id><title>${civ}</title><updated>2026-01-01T00:00:00Z</updated>
      <category scheme="${ASF_SCHEME}" term="${term}"/><link rel="alternate" type="application/fhir+json" href="${base}${file}" length="${bytes.length}" n:sha256Hash="${sha256(bytes)}"/>
      <n:contentItemIdentifier>${civ.split('|')[0]}</n:contentItemIdentifier><n:contentItemVersion>${civ}</n:contentItemVersion><n:fhirVersion>4.0.1</n:fhirVersion></entry>`;
    // the announced hash is the true code system's: what is served differs by one byte
    const xml = `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:n="${NCTS_NS}"><id>urn:uuid:ext</id><title>Extern</title><updated>2026-01-01T00:00:00Z</updated>
      <n:atomSyndicationFormatProfile>http://ns.electronichealth.net.au/ncts/syndication/asf/profile/1.0.0</n:atomSyndicationFormatProfile>
      ${entry('FHIR_ValueSet', 'https://example.org/ValueSet/extern|1', '/vs.json', vs)}${entry('FHIR_CodeSystem', 'https://example.org/cs|1', '/cs.json', cs)}</feed>`;
    try {
      const f = await startFollower(`${base}/feed.xml`);
      const s = await until('a failed sync', async () => {
        const st = await status(f);
        return st.failuresTotal > 0 && st;
      });
      expect(s.synced).toBe(false);
      // not ready for traffic until it holds what the feed offers, and it says why
      const unready = await fetch(`${f.url}/readyz`);
      expect(unready.status).toBe(503);
      expect((await jsonOf<Readiness>(unready)).reasons!.join(' ')).toMatch(/^synchronised: not yet: .*not what the feed announced/);
      expect(s.lastError).toMatch(/https:\/\/example.org\/cs\|1.*not what the feed announced/);
      // never synchronised: infinitely behind, so a lag alert fires (a 0 would read as healthy)
      const behind = await (await fetch(`${f.url}/metrics`)).text();
      expect(behind).toMatch(/^kodverk_follower_synchronised 0$/m);
      expect(behind).toMatch(/^kodverk_follower_lag_seconds \+Inf$/m);
      expect(behind).toMatch(/^kodverk_follower_last_success_timestamp_seconds 0$/m);
      expect((await fetch(`${f.fhirBase}/ValueSet?url=https://example.org/ValueSet/extern`).then((r) => jsonOf<Bundle>(r))).total).toBe(1);
      expect((await fetch(`${f.fhirBase}/CodeSystem?url=https://example.org/cs`).then((r) => jsonOf<Bundle>(r))).total).toBe(0);
      // the publisher puts it right: the follower takes it in at its next poll
      served['/cs.json'] = cs;
      await until('the corrected artefact', async () => (await status(f)).synced);
      expect((await lookup(f, 'system=https://example.org/cs&code=a')).status).toBe(200);
      expect((await fetch(`${f.url}/readyz`)).status).toBe(200);
      // the synchronisation in the metrics: done, how long ago, the failures on the way
      const metrics = await (await fetch(`${f.url}/metrics`)).text();
      expect(metrics).toMatch(/^kodverk_follower_synchronised 1$/m);
      expect(metrics).toMatch(/^kodverk_follower_lag_seconds \d/m);
      expect(metrics).toMatch(/^kodverk_follower_last_success_timestamp_seconds \d/m);
      expect(Number(/^kodverk_follower_sync_failures_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    } finally {
      server.close();
    }
  }, 120_000);
  it('lets each feed replace and withdraw only what it delivered itself', async () => {
    const cs = (id: string, url: string, display: string) => Buffer.from(JSON.stringify({ resourceType: 'CodeSystem', id, url, version: '1', status: 'active', content: 'complete', concept: [{ code: 'a', display }] }));
    const files: Record<string, Buffer> = {};
    const entries: Record<string, string[]> = { '/a.xml': [], '/b.xml': [] };
    const server = http.createServer((req, res) => {
      if (entries[req.url ?? '']) {
        const xml = `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:n="${NCTS_NS}"><id>urn:uuid:feed${req.url}</id><title>Feed ${req.url}</title><updated>2026-01-01T00:00:00Z</updated>
          <n:atomSyndicationFormatProfile>http://ns.electronichealth.net.au/ncts/syndication/asf/profile/1.0.0</n:atomSyndicationFormatProfile>${entries[req.url!].join('')}</feed>`;
        return res.writeHead(200, { 'Content-Type': 'application/atom+xml' }).end(xml);
      }
      const body = files[req.url ?? ''];
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Length': body.length }).end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const head = (term: string, civ: string) => `<entry><id>urn:uuid:${crypto.randomUUID()}</id><title>${civ}</title><updated>2026-01-01T00:00:00Z</updated><category scheme="${ASF_SCHEME}" term="${term}"/>`;
    const tail = (civ: string) => `<n:contentItemIdentifier>${civ.split('|')[0]}</n:contentItemIdentifier><n:contentItemVersion>${civ}</n:contentItemVersion><n:fhirVersion>4.0.1</n:fhirVersion></entry>`;
    const offer = (civ: string, file: string, bytes: Buffer) => {
      files[file] = bytes;
      return `${head('FHIR_CodeSystem', civ)}<link rel="alternate" type="application/fhir+json" href="${base}${file}" length="${bytes.length}" n:sha256Hash="${sha256(bytes)}"/>${tail(civ)}`;
    };
    const retract = (civ: string) => `${head('FHIR_CodeSystem_RETRACT', civ)}${tail(civ)}`;
    const display = async (f: Server) => (await jsonOf<Parameters>(await lookup(f, 'system=https://example.org/owned&code=a'))).parameter?.find((p: any) => p.name === 'display')?.valueString;
    const failedSince = async (f: Server, n: number) => until('a failed sync', async () => {
      const st = await status(f);
      return st.failuresTotal > n && st;
    });
    entries['/a.xml'] = [offer('https://example.org/owned|1', '/owned.json', cs('owned', 'https://example.org/owned', 'Ägd av A'))];
    try {
      const f = await startFollower(`${base}/a.xml,${base}/b.xml`);
      await until('feed A taken in', async () => (await status(f)).synced);
      expect(await display(f)).toBe('Ägd av A');
      // B names itself otherwise, but its artefact is A's code system by id, then by url|version
      entries['/b.xml'] = [offer('https://example.org/decoy|1', '/decoy.json', cs('owned', 'https://example.org/owned', 'Falsk'))];
      let st = await failedSince(f, 0);
      expect(st.lastError).toContain(`CodeSystem/owned (https://example.org/owned|1) is held here from the feed ${base}/a.xml; the feed ${base}/b.xml may not replace it`);
      entries['/b.xml'] = [offer('https://example.org/decoy|2', '/shadow.json', cs('shadow', 'https://example.org/owned', 'Skugga'))];
      st = await failedSince(f, st.failuresTotal);
      expect(st.lastError).toMatch(/decoy\|2: .*CodeSystem\/owned .* is held here from the feed/);
      expect(await display(f)).toBe('Ägd av A');
      expect((await fetch(`${f.fhirBase}/CodeSystem?url=https://example.org/owned`).then((r) => jsonOf<Bundle>(r))).total).toBe(1);
      // A no longer offers it and B withdraws it: it stays, the withdrawal was not B's to make
      entries['/a.xml'] = [];
      entries['/b.xml'] = [retract('https://example.org/owned|1')];
      await until('B\'s withdrawal read', async () => {
        const s = await status(f);
        return s.synced && s.lastSuccess! > st.lastAttempt!;
      });
      expect(await display(f)).toBe('Ägd av A');
      // A may withdraw its own
      entries['/b.xml'] = [];
      entries['/a.xml'] = [retract('https://example.org/owned|1')];
      await until('A\'s withdrawal', async () => (await lookup(f, 'system=https://example.org/owned&code=a')).status === 404);
    } finally {
      server.close();
    }
  }, 120_000);

  it('follows an artefact redirect only to an address it may fetch from (no SSRF by redirect)', async () => {
    const cs = Buffer.from(JSON.stringify({ resourceType: 'CodeSystem', id: 'moved', url: 'https://example.org/moved', version: '1', status: 'active', content: 'complete', concept: [{ code: 'a', display: 'A' }] }));
    // an address on the inside network the feed's publisher should never make the follower fetch
    let insideHits = 0;
    const inside = http.createServer((_req, res) => {
      insideHits++;
      res.writeHead(200, { 'Content-Type': 'application/fhir+json' }).end(cs);
    });
    await new Promise<void>((r) => inside.listen(0, '127.0.0.1', r));
    const insideUrl = `http://127.0.0.1:${(inside.address() as AddressInfo).port}/latest/meta-data`;
    let target = insideUrl;
    const server = http.createServer((req, res) => {
      if (req.url === '/feed.xml') return res.writeHead(200, { 'Content-Type': 'application/atom+xml' }).end(xml);
      if (req.url === '/moved.json') return res.writeHead(302, { Location: target }).end();
      // /hop/n redirects n more times before the artefact: /moved.json to /hop/n is n + 1 redirects
      const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '');
      if (hop) return res.writeHead(302, { Location: Number(hop[1]) > 1 ? `/hop/${Number(hop[1]) - 1}` : '/here/moved.json' }).end();
      if (req.url === '/here/moved.json') return res.writeHead(200, { 'Content-Type': 'application/fhir+json', 'Content-Length': cs.length }).end(cs);
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const xml = `<feed xmlns="http://www.w3.org/2005/Atom" xmlns:n="${NCTS_NS}"><id>urn:uuid:moved</id><title>Moved</title><updated>2026-01-01T00:00:00Z</updated>
      <n:atomSyndicationFormatProfile>http://ns.electronichealth.net.au/ncts/syndication/asf/profile/1.0.0</n:atomSyndicationFormatProfile>
      <entry><id>urn:uuid:${crypto.randomUUID()}</id><title>moved</title><updated>2026-01-01T00:00:00Z</updated>
      <category scheme="${ASF_SCHEME}" term="FHIR_CodeSystem"/><link rel="alternate" type="application/fhir+json" href="${base}/moved.json" length="${cs.length}" n:sha256Hash="${sha256(cs)}"/>
      <n:contentItemIdentifier>https://example.org/moved</n:contentItemIdentifier><n:contentItemVersion>https://example.org/moved|1</n:contentItemVersion><n:fhirVersion>4.0.1</n:fhirVersion></entry></feed>`;
    let f: Server | undefined;
    try {
      f = await startFollower(`${base}/feed.xml`);
      const s = await until('a refused redirect', async () => {
        const st = await status(f!);
        return st.failuresTotal > 0 && st;
      });
      expect(s.lastError).toMatch(/redirects to http:\/\/127\.0\.0\.1:\d+, not an allowed origin/);
      expect(insideHits).toBe(0);
      // within the feed's origin: six redirects are refused, five followed
      target = `${base}/hop/5`;
      await until('six redirects refused', async () => {
        const st = await status(f!);
        return st.failuresTotal > s.failuresTotal && /redirects more than 5 times/.test(st.lastError ?? '');
      });
      target = `${base}/hop/4`;
      await until('the artefact moved within the origin', async () => (await status(f!)).synced);
      expect((await lookup(f!, 'system=https://example.org/moved&code=a')).status).toBe(200);
      expect(insideHits).toBe(0);
    } finally {
      server.close();
      inside.close();
    }
  }, 120_000);
});

