/**
 * What security costs and how it holds under load (numbers printed, nothing asserted), on the real
 * server (ephemeral loopback port, fresh store with the FHIR core), all in one run:
 * 1. auth overhead: $lookup throughput (autocannon) anonymous, with the API token, an API key and
 *    an OIDC JWT (a local JWKS with keys made here), one after the other, twice;
 * 2. rate limits under load: one client hammering $lookup past its budget (how many answered, how
 *    many 429, and how fast the 429s come) while a second client's requests keep being answered;
 * 3. hostile requests: the time to answer or refuse 200,000 `property` parameters, 50,000-deep
 *    JSON, 3,000 nested parts and code=A&code=B, and an ordinary $lookup's latency meanwhile; and
 *    20k/50k/200k `property` parameters answered with the parameter limit raised (linear cost).
 *   npm run build && node dist/bench/security.js [--duration 8] [--connections 16] [--only 3]
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { Command } from 'commander';
import autocannon from 'autocannon';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startServer, RunningServer } from '../src/server';
import { ApiKeys } from '../src/security/api-keys';
import { spawnServer } from './server-process';
import type { ConfigOverrides } from '../src/config';

const opts = new Command().option('--duration <s>', 'seconds per throughput run', '8').option('--connections <n>', 'autocannon connections', '16').option('--rounds <n>', 'section 3: times each hostile request is sent (two at once)', '10').option('--only <sections>', 'run only these sections (e.g. 3 or 1,2)', '1,2,3').parse().opts();
const DURATION = Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const ROUNDS = Number(opts.rounds);
const SECTIONS = new Set(String(opts.only).split(',').map((n) => Number(n.trim())));
const LOOKUP = '/fhir/CodeSystem/$lookup?system=http://hl7.org/fhir/administrative-gender&code=female';

async function localIdp(): Promise<{ issuer: string; token: (roles: string[]) => Promise<string>; close: () => Promise<void> }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify(req.url === '/jwks' ? { keys: [jwk] } : { issuer, jwks_uri: `${issuer}/jwks` }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    token: (roles) => new SignJWT({ roles }).setProtectedHeader({ alg: 'RS256', kid: 'bench' }).setSubject('bench').setIssuer(issuer).setAudience('kodverk').setExpirationTime('1h').sign(privateKey),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function start(dir: string, security: ConfigOverrides['security'], apiToken?: string): Promise<RunningServer> {
  return startServer({ port: 0, host: '127.0.0.1', dbPath: path.join(dir, `kodverk-${Math.random().toString(36).slice(2)}.db`), logLevel: 'silent', apiToken, security });
}

function cannon(url: string, headers: Record<string, string> = {}, duration = DURATION, connections = CONNECTIONS): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => autocannon({ url, headers, duration, connections }, (err, result) => (err ? reject(err) : resolve(result))));
}

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function timed(url: string, init: RequestInit): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return { status: res.status, ms: performance.now() - t0 };
}

/**
 * A client of its own that sends ordinary $lookups one after another: a worker thread, with its
 * own event loop, so the hostile client's building and sending of 8 MB bodies here does not delay
 * the ordinary requests (that would be the client's cost, not the server's). `during(fn)`: the
 * latencies of the ordinary $lookups answered while fn ran.
 */
async function ordinaryClient(url: string): Promise<{ during: (fn: () => Promise<unknown>) => Promise<number[]>; close: () => Promise<number> }> {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     let times = [];
     let running = true;
     parentPort.on('message', (m) => {
       if (m === 'mark') times = [];
       else if (m === 'collect') parentPort.postMessage(times);
       else running = false;
     });
     (async () => {
       while (running) {
         const t0 = performance.now();
         const res = await fetch(workerData.url);
         await res.arrayBuffer();
         times.push(performance.now() - t0);
         parentPort.postMessage('answered');
         await new Promise((r) => setImmediate(r));
       }
     })();`,
    { eval: true, workerData: { url } },
  );
  worker.on('error', (e) => console.error('the ordinary client failed:', e));
  const next = (what: string) => new Promise<unknown>((resolve) => {
    const on = (m: unknown) => {
      if (what === 'times' ? Array.isArray(m) : m === what) {
        worker.off('message', on);
        resolve(m);
      }
    };
    worker.on('message', on);
  });
  // warmed up: the connection open and a few answers in before anything is measured
  for (let i = 0; i < 20; i++) await next('answered');
  return {
    during: async (fn) => {
      worker.postMessage('mark');
      await fn();
      const times = next('times');
      worker.postMessage('collect');
      return (await times) as number[];
    },
    close: () => worker.terminate(),
  };
}

/**
 * The server's own event-loop delay (prom-client's, sampled every 10 ms) since the last call: the
 * longest the server held its loop, whatever the machine's other load did to the client.
 */
async function serverLoopDelayMax(origin: string): Promise<number> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  return Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? NaN) * 1000;
}

const spread = (xs: number[]) => `p50 ${ms(percentile(xs, 50))}, p99 ${ms(percentile(xs, 99))}, max ${ms(Math.max(...xs))}`;
const percentile = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] : NaN);

async function authOverhead(dir: string): Promise<void> {
  const idp = await localIdp();
  const token = 'bench-simple-mode-token';
  console.log(`== 1. auth overhead on $lookup (${CONNECTIONS} connections, ${DURATION} s each, twice)`);
  const s1 = await start(dir, { rateLimit: 0, rateLimitExpensive: 0, oidc: { issuer: idp.issuer, audience: 'kodverk', rolesClaim: 'roles', clockSkewSeconds: 60 } }, token);
  const key = (await new ApiKeys(s1.db).create({ name: 'bench', role: 'reader' })).key;
  const jwt = await idp.token(['reader']);
  const variants: [string, Record<string, string>][] = [
    ['anonymous', {}],
    ['API token (simple mode)', { authorization: `Bearer ${token}` }],
    ['API key', { authorization: `Bearer ${key}` }],
    ['OIDC JWT', { authorization: `Bearer ${jwt}` }],
  ];
  await cannon(s1.url + LOOKUP, {}, 2); // warm-up
  const results: Record<string, number[]> = {};
  for (let round = 0; round < 2; round++) {
    for (const [name, headers] of variants) {
      const r = await cannon(s1.url + LOOKUP, headers);
      if (r.non2xx) console.log(`  (${name}: ${r.non2xx} answers were not 2xx)`);
      (results[name] ??= []).push(r.requests.average);
      console.log(`  ${name.padEnd(26)} ${r.requests.average.toFixed(0).padStart(6)} req/s  p50 ${r.latency.p50} ms  p99 ${r.latency.p99} ms`);
    }
  }
  const anon = results.anonymous.reduce((a, b) => a + b) / 2;
  for (const [name] of variants.slice(1)) {
    const v = results[name].reduce((a, b) => a + b) / 2;
    console.log(`  ${name}: ${(((anon - v) / anon) * 100).toFixed(1)}% fewer requests per second than anonymous (mean of two runs)`);
  }
  await s1.close();
  await idp.close();
}

async function rateLimits(dir: string): Promise<void> {
  console.log(`\n== 2. rate limits under load (600 requests a minute per client; 60 for expensive operations)`);
  const s2 = await start(dir, { rateLimit: 600, rateLimitExpensive: 60 });
  const keys = new ApiKeys(s2.db);
  const hammer = (await keys.create({ name: 'hammer', role: 'reader' })).key;
  const polite = (await keys.create({ name: 'polite', role: 'reader' })).key;
  const politeStatuses: number[] = [];
  let politeRunning = true;
  const politeLoop = (async () => {
    while (politeRunning) {
      politeStatuses.push((await timed(s2.url + LOOKUP, { headers: { authorization: `Bearer ${polite}` } })).status);
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  const flood = await cannon(s2.url + LOOKUP, { authorization: `Bearer ${hammer}` });
  politeRunning = false;
  await politeLoop;
  const limited = flood['4xx'];
  console.log(`  the hammering client: ${flood.requests.total} requests in ${DURATION} s: ${flood['2xx']} answered, ${limited} refused with 429; latency p50 ${flood.latency.p50} ms, p99 ${flood.latency.p99} ms (the 429s are the bulk)`);
  console.log(`  a second client meanwhile (5 a second): ${politeStatuses.filter((s) => s === 200).length} of ${politeStatuses.length} answered 200`);
  const one429 = await fetch(s2.url + LOOKUP, { headers: { authorization: `Bearer ${hammer}` } });
  console.log(`  a refused request: ${one429.status}, Retry-After ${one429.headers.get('retry-after')} s, ${one429.headers.get('content-type')}`);
  const expand = '/fhir/ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/administrative-gender';
  const exp = await cannon(s2.url + expand, { authorization: `Bearer ${polite}` }, 3, 4);
  console.log(`  $expand by one client for 3 s: ${exp['2xx']} answered, ${exp['4xx']} refused (expensive budget 60/min, after its earlier $lookups)`);
  const anonymousFlood = await cannon(s2.url + LOOKUP, {}, 3, 8);
  console.log(`  anonymous (keyed by address) for 3 s: ${anonymousFlood['2xx']} answered, ${anonymousFlood['4xx']} refused`);
  await s2.close();
}

async function hostileRequests(dir: string): Promise<void> {
  console.log(`\n== 3. hostile requests, and an ordinary $lookup meanwhile`);
  const lookupBody = (extra: unknown[]) =>
    JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'system', valueUri: 'http://hl7.org/fhir/administrative-gender' }, { name: 'code', valueCode: 'female' }, ...extra] });
  const props = (n: number) => Array.from({ length: n }, (_, i) => ({ name: 'property', valueCode: `p${i}` }));
  const json = { 'content-type': 'application/fhir+json' };
  // the server in a process of its own: building and sending 8 MB bodies here must not hold the
  // event loop the ordinary $lookup is answered on (that would be the client's cost, not the server's)
  const cli = path.resolve(__dirname, '../src/cli/main.js');
  for (const maxParameters of [1000, 1_000_000]) {
    const server = await spawnServer([cli, 'serve'], dir, {
      KODVERK_DB: path.join(dir, `hostile-${maxParameters}.db`),
      KODVERK_FHIR_CORE: 'true',
      KODVERK_RATE_LIMIT: '0',
      KODVERK_RATE_LIMIT_EXPENSIVE: '0',
      KODVERK_MAX_PARAMETERS: String(maxParameters),
    }, { discardOutput: true, timeoutMs: 600_000 });
    const s3 = { url: server.origin, close: () => server.kill() };
    await timed(s3.url + LOOKUP, {});
    console.log(`  KODVERK_MAX_PARAMETERS=${maxParameters}`);
    // the bodies made (and encoded) before anything is timed
    const hostile: [string, string, RequestInit][] = [
      ['200,000 property parameters (8 MB)', '/fhir/CodeSystem/$lookup', { method: 'POST', headers: json, body: Buffer.from(lookupBody(props(200_000))) }],
      ['50,000 property parameters', '/fhir/CodeSystem/$lookup', { method: 'POST', headers: json, body: Buffer.from(lookupBody(props(50_000))) }],
      ['20,000 property parameters', '/fhir/CodeSystem/$lookup', { method: 'POST', headers: json, body: Buffer.from(lookupBody(props(20_000))) }],
      ['50,000-deep [', '/fhir/CodeSystem/$lookup', { method: 'POST', headers: json, body: Buffer.from('['.repeat(50_000) + ']'.repeat(50_000)) }],
      ['3,000 nested parts', '/fhir/ValueSet/$batch-validate-code', { method: 'POST', headers: json, body: Buffer.from('{"resourceType":"Parameters","parameter":[' + '{"name":"p","part":['.repeat(3000) + '{"name":"x"}' + ']}'.repeat(3000) + ']}') }],
      ['code=A&code=B', `${LOOKUP}&code=male`, {}],
    ];
    const ordinary = await ordinaryClient(s3.url + LOOKUP);
    // the peer: the same client's ordinary $lookups with nothing else sent
    await serverLoopDelayMax(s3.url);
    const alone = await ordinary.during(() => new Promise((r) => setTimeout(r, 2000)));
    const heldAlone = await serverLoopDelayMax(s3.url);
    console.log(`    ${'(nothing hostile, 2 s)'.padEnd(36)}      ${''.padEnd(38)}ordinary $lookup: ${alone.length} answered, ${spread(alone)}; the server's loop held at most ${ms(heldAlone)}`);
    // answered rather than refused, the large ones take seconds each: one round is enough to see the cost
    const rounds = maxParameters === 1000 ? ROUNDS : 1;
    for (const [label, p, init] of hostile) {
      const answers: { status: number; ms: number }[] = [];
      await serverLoopDelayMax(s3.url);
      const times = await ordinary.during(async () => {
        for (let round = 0; round < rounds; round++) answers.push(...(await Promise.all([timed(s3.url + p, init), timed(s3.url + p, init)])));
      });
      const held = await serverLoopDelayMax(s3.url);
      const statuses = [...new Set(answers.map((a) => a.status))].join('/');
      const took = answers.map((a) => a.ms);
      console.log(
        `    ${label.padEnd(36)} ${statuses}  in p50 ${ms(percentile(took, 50))}, max ${ms(Math.max(...took))} (${rounds}× two at once)   ordinary $lookup meanwhile: ${times.length} answered, ${spread(times)}; the server's loop held at most ${ms(held)}`,
      );
    }
    await ordinary.close();
    await s3.close();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-security-bench-'));
  if (SECTIONS.has(1)) await authOverhead(dir);
  if (SECTIONS.has(2)) await rateLimits(dir);
  if (SECTIONS.has(3)) await hostileRequests(dir);
  fs.rmSync(dir, { recursive: true, force: true });
}

void main();
