import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { Bundle, CodeSystem, Parameters } from 'fhir/r4';
import { ServerProcess, spawnServer } from '../helpers/server-process';
import { freePort, loopbackNginxConf, nginxBinary, startNginx } from '../helpers/nginx';
import { FollowerStatusAnswer, jsonOf } from '../helpers/json';

/**
 * A real cluster on one machine: Debian's nginx (deploy/nginx.conf, on loopback ports) in front
 * of two followers of one primary, every server started as `kodverk serve` from the project's own
 * files. Under a steady, bounded load through nginx: (a) a code-system version imported on the
 * primary is served by both followers within 30 s; (b) a follower killed with SIGKILL and started
 * again costs no client request; (c) with the primary stopped the followers keep answering.
 * Skipped with a message where nginx is not installed (`.ci/run` installs it).
 */

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const TOKEN = 'cluster-test-token';
const NGINX = nginxBinary();
const POLL_MS = 500;
const CONVERGENCE_LIMIT_MS = 30_000;

const describeCluster = NGINX ? describe : describe.skip;
if (!NGINX) console.warn('cluster test skipped: nginx is not installed (apt-get install nginx; .ci/run installs it)');

interface Load {
  sent: number;
  failed: number;
  failures: string[];
  stop(): Promise<void>;
}

/**
 * A steady, bounded load: `workers` clients in a loop, each sending a $lookup by GET and a
 * $validate-code by POST in turn, pausing `pauseMs` between requests (about workers × 1000 /
 * (pauseMs + latency) requests a second). Every answer that is not 200 is a failure.
 */
function steadyLoad(base: string, workers = 4, pauseMs = 40): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const state = { sent: 0, failed: 0, failures: [] as string[], running: true };
  const validate = JSON.stringify({
    resourceType: 'Parameters',
    parameter: [
      { name: 'url', valueUri: 'https://kodverk.se/fhir/CodeSystem/sakomrade' },
      { name: 'code', valueCode: 'aldreomsorg' },
    ],
  });
  const request = (method: string, path: string, body?: string) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}${path}`, { method, agent, timeout: 30_000, headers: body ? { 'Content-Type': 'application/fhir+json', 'Content-Length': Buffer.byteLength(body) } : {} }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
      req.end(body);
    });
  const one = async (i: number) => {
    const what = i % 2 === 0 ? 'GET $lookup' : 'POST $validate-code';
    state.sent++;
    try {
      const status =
        i % 2 === 0
          ? await request('GET', '/fhir/CodeSystem/$lookup?system=https://kodverk.se/fhir/CodeSystem/sakomrade&code=aldreomsorg')
          : await request('POST', '/fhir/CodeSystem/$validate-code', validate);
      if (status !== 200) throw new Error(`HTTP ${status}`);
    } catch (e) {
      state.failed++;
      if (state.failures.length < 20) state.failures.push(`${new Date().toISOString()} ${what}: ${(e as Error).message}`);
    }
  };
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = w; state.running; i++) {
      await one(i);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  });
  return {
    get sent() {
      return state.sent;
    },
    get failed() {
      return state.failed;
    },
    failures: state.failures,
    stop: async () => {
      state.running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await probe().catch(() => false)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeCluster('a primary, two followers and nginx on one machine', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-cluster-'));
  let primary: ServerProcess;
  const followers: ServerProcess[] = [];
  const followerPorts: number[] = [];
  let nginx: { stop(): Promise<void> } | undefined;
  let lb: string;
  let load: Load;
  const figures: Record<string, number | string> = {};

  const followerEnv = (i: number, port: number) => ({
    PORT: String(port),
    KODVERK_DB: path.join(dir, `follower-${i}`, 'kodverk.db'),
    KODVERK_FOLLOW: `${primary.origin}/syndication/feed.xml`,
    KODVERK_FOLLOW_TOKEN: TOKEN,
    KODVERK_FOLLOW_INTERVAL_MS: String(POLL_MS),
    KODVERK_FOLLOW_MAX_BACKOFF_MS: '2000',
    KODVERK_FHIR_CORE: 'false',
    KODVERK_WORKERS: '1',
    // as deployed: nginx's X-Forwarded-* is believed (the load's requests all come from loopback)
    KODVERK_TRUST_PROXY: 'loopback',
    LOG_LEVEL: 'info',
  });
  const synced = async (origin: string) => (await jsonOf<FollowerStatusAnswer>(await fetch(`${origin}/syndication/status`))).synced === true;
  const serves = async (origin: string, version: string) =>
    (await fetch(`${origin}/fhir/CodeSystem/$lookup?system=https://kodverk.se/fhir/CodeSystem/sakomrade&version=${version}&code=kluster`)).status === 200;

  beforeAll(async () => {
    primary = await spawnServer([CLI, 'serve'], ROOT, {
      KODVERK_DB: path.join(dir, 'primary', 'kodverk.db'),
      KODVERK_API_TOKEN: TOKEN,
      KODVERK_FHIR_CORE: 'false',
      KODVERK_WORKERS: '1',
      LOG_LEVEL: 'info',
    });
    // each follower binds a port of the kernel's choosing (PORT=0): a port found free beforehand
    // can be taken by another test's server before the follower binds it
    const started = await Promise.allSettled([0, 1].map((i) => spawnServer([CLI, 'serve'], ROOT, followerEnv(i, 0))));
    // every follower that did start is kept for afterAll to stop, also when the other did not
    for (const s of started) if (s.status === 'fulfilled') followers.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
    followerPorts.push(...followers.map((f) => Number(new URL(f.origin).port)));
    await Promise.all(followers.map((f) => until('the first sync', () => synced(f.origin), 120_000)));
    // nginx needs its port in its configuration: one found free can be taken before nginx binds
    // it, so a start that fails is tried again on another
    for (let attempt = 1; !nginx; attempt++) {
      const listen = await freePort();
      try {
        nginx = await startNginx(NGINX!, path.join(dir, 'nginx'), loopbackNginxConf(path.join(ROOT, 'deploy/nginx.conf'), path.join(dir, 'nginx'), { listen, primary: Number(new URL(primary.origin).port), replicas: followerPorts }), listen);
        lb = `http://127.0.0.1:${listen}`;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
    load = steadyLoad(lb);
  }, 300_000);

  afterAll(async () => {
    await load?.stop();
    // the figures the report quotes
    console.log(`cluster test: ${JSON.stringify({ ...figures, requestsSent: load?.sent, requestsFailed: load?.failed })}`);
    await nginx?.stop();
    for (const p of [...followers, primary]) await p?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('routes reads to the followers and writes to the primary', async () => {
    const read = await fetch(`${lb}/fhir/CodeSystem/$lookup?system=https://kodverk.se/fhir/CodeSystem/sakomrade&code=aldreomsorg`, { headers: { 'X-Request-Id': 'cluster-trace-1' } });
    expect(read.status).toBe(200);
    const write = await fetch(`${lb}/fhir/CodeSystem/x`, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json' }, body: '{"resourceType":"CodeSystem"}' });
    // the primary answered (it wants the token), not a follower's 405
    expect(write.status).toBe(401);
    // per-process metrics are scraped from each instance, not served to the balancer's clients
    expect((await fetch(`${lb}/metrics`)).status).toBe(404);
  });

  it("serves one syndication feed through the balancer, the primary's (RFC 4287: atom:id is permanent)", async () => {
    const feedId = async (origin: string) => {
      const res = await fetch(`${origin}/syndication/feed.xml`);
      expect(res.status).toBe(200);
      return { id: /<id>([^<]+)<\/id>/.exec(await res.text())?.[1], etag: res.headers.get('etag') };
    };
    const own = await feedId(primary.origin);
    const seen = await Promise.all(Array.from({ length: 4 }, () => feedId(lb)));
    // one id and one ETag on every request (its links name the balancer's host, hence its own ETag)
    expect(seen).toEqual(Array(4).fill(seen[0]));
    expect(seen[0].id).toBe(own.id);
    // a follower's feed is its own (another id): only the primary's reaches the balancer's clients
    expect((await feedId(followers[0].origin)).id).not.toBe(own.id);
  });

  it('sends $cache-control and every call naming a client cache (X-Cache-Id) to the process that holds it', async () => {
    const cs = { resourceType: 'CodeSystem', url: 'http://example.org/cluster-cs', version: '1', status: 'active', content: 'complete', concept: [{ code: 'a' }] };
    const vs = { resourceType: 'ValueSet', url: 'http://example.org/cluster-vs', status: 'active', compose: { include: [{ system: cs.url }] } };
    const started = await fetch(`${lb}/fhir/$cache-control`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'start' }, { name: 'tx-resource', resource: cs }, { name: 'tx-resource', resource: vs }] }),
    });
    expect(started.status).toBe(200);
    const id = (await jsonOf<Parameters>(started)).parameter!.find((p) => p.name === 'cache-id')!.valueId!;
    // round robin over two replicas would miss the cache every other call
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => fetch(`${lb}/fhir/ValueSet/$validate-code?url=${vs.url}&system=${cs.url}&code=a`, { headers: { 'X-Cache-Id': id } }).then(async (r) => [r.status, (await jsonOf<Parameters>(r)).parameter?.[0]?.valueBoolean])),
    );
    expect(answers).toEqual(Array(6).fill([200, true]));
  });

  it('(a) serves a code-system version imported on the primary from both followers within 30 s', async () => {
    const cs = (await jsonOf<Bundle<CodeSystem>>(await fetch(`${primary.origin}/fhir/CodeSystem?url=https://kodverk.se/fhir/CodeSystem/sakomrade`))).entry![0].resource!;
    const file = path.join(dir, 'sakomrade-kluster.json');
    fs.writeFileSync(file, JSON.stringify({ ...cs, id: 'sakomrade-kluster', version: '2026.9', meta: undefined, concept: [...cs.concept!, { code: 'kluster', display: 'Kluster' }] }));
    const started = Date.now();
    execFileSync(process.execPath, [CLI, 'import', 'fhir', file], { cwd: ROOT, env: { ...process.env, KODVERK_DB: path.join(dir, 'primary', 'kodverk.db'), LOG_LEVEL: 'silent' }, stdio: 'pipe' });
    figures.importMs = Date.now() - started;
    // from the import's commit until each follower answers with the new version
    const times = await Promise.all(followers.map((f) => until('the new version on a follower', () => serves(f.origin, '2026.9'), CONVERGENCE_LIMIT_MS + 30_000)));
    figures.convergenceMs = Math.max(...times);
    expect(Math.max(...times)).toBeLessThan(CONVERGENCE_LIMIT_MS);
    expect(await serves(lb, '2026.9')).toBe(true);
    expect(load.failed).toBe(0);
  }, 120_000);

  it('(b) loses no client request when a follower is killed (SIGKILL) and started again', async () => {
    const before = { sent: load.sent, failed: load.failed };
    await sleep(1000);
    await followers[0].kill();
    await sleep(3000);
    const restarted = Date.now();
    followers[0] = await spawnServer([CLI, 'serve'], ROOT, followerEnv(0, followerPorts[0]));
    await until('the restarted follower to sync', () => synced(followers[0].origin), 120_000);
    figures.restartToSyncedMs = Date.now() - restarted;
    // traffic reaches it again
    await sleep(3000);
    figures.killWindowSent = load.sent - before.sent;
    figures.killWindowFailed = load.failed - before.failed;
    expect(load.failures).toEqual([]);
    expect(load.failed).toBe(0);
  }, 180_000);

  it('(c) keeps answering with the primary stopped', async () => {
    const before = { sent: load.sent, failed: load.failed };
    await primary.kill();
    await sleep(5000);
    for (const f of followers) {
      const status = await jsonOf<FollowerStatusAnswer>(await fetch(`${f.origin}/syndication/status`));
      expect(status.ready).toBe(true);
      expect(status.consecutiveFailures).toBeGreaterThan(0);
      expect(await serves(f.origin, '2026.9')).toBe(true);
    }
    figures.primaryDownSent = load.sent - before.sent;
    figures.primaryDownFailed = load.failed - before.failed;
    expect(load.sent - before.sent).toBeGreaterThan(20);
    expect(load.failures).toEqual([]);
  }, 60_000);
});
