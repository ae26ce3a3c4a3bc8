/**
 * What a terminology client cache ($cache-control, X-Cache-Id) saves (numbers printed, nothing
 * asserted). A validator checks codes against the value sets of an implementation guide the server
 * does not hold: a synthetic one of one code system and `--value-sets` value sets. The same
 * ValueSet/$validate-code calls (autocannon, POST, cycling through codes and value sets) are sent
 * three ways, in alternating rounds on one `kodverk serve`:
 *   INLINE  each call sends the value set it checks and its code system as tx-resource (the peer:
 *           what a client does without a cache, and the least it can send)
 *   CACHED  each call names a cache holding the whole guide (X-Cache-Id) and sends nothing else
 *   STORED  the guide is stored on the server (the ceiling: nothing sent, nothing held per client)
 * For each: requests/s, p50/p99 latency, bytes sent per call, errors.
 *   npm run build && node dist/bench/client-cache.js [--value-sets 200] [--concepts 2000] [--rounds 3] [--seconds 10] [--connections 16]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import autocannon from 'autocannon';
import type { CodeSystem, Parameters, ValueSet } from 'fhir/r4';
import { spawnServer, ServerProcess } from './server-process';

const opts = new Command()
  .option('--value-sets <n>', 'value sets in the synthetic guide', '200')
  .option('--concepts <n>', 'concepts of its code system', '2000')
  .option('--rounds <n>', 'rounds per way', '3')
  .option('--seconds <s>', 'length of a round', '10')
  .option('--warmup <s>', 'seconds of load each way before measuring', '5')
  .option('--connections <n>', 'concurrent connections', '16')
  .parse()
  .opts();

const CS_URL = 'http://example.org/bench-guide/CodeSystem/things';
const VS_URL = 'http://example.org/bench-guide/ValueSet/';

/** The guide: a code system, and value sets of 20 codes each (a concept list, with displays). */
function guide(valueSets: number, concepts: number): { cs: CodeSystem; vs: ValueSet[] } {
  const code = (i: number) => `T${String(i).padStart(5, '0')}`;
  const cs: CodeSystem = {
    resourceType: 'CodeSystem',
    url: CS_URL,
    version: '1.0.0',
    status: 'active',
    content: 'complete',
    concept: Array.from({ length: concepts }, (_, i) => ({ code: code(i), display: `Thing number ${i}`, definition: `The thing that is numbered ${i} in the guide` })),
  };
  const vs = Array.from({ length: valueSets }, (_, v): ValueSet => ({
    resourceType: 'ValueSet',
    url: `${VS_URL}${v}`,
    version: '1.0.0',
    name: `Things${v}`,
    status: 'active',
    compose: { include: [{ system: CS_URL, concept: Array.from({ length: 20 }, (_, k) => ({ code: code((v * 7 + k * 13) % concepts), display: `Thing number ${(v * 7 + k * 13) % concepts}` })) }] },
  }));
  return { cs, vs };
}

function call(vs: ValueSet, k: number, extra: Parameters['parameter'] = []): string {
  const c = vs.compose!.include[0].concept![k % 20];
  const p: Parameters = {
    resourceType: 'Parameters',
    parameter: [{ name: 'url', valueUri: vs.url }, { name: 'system', valueUri: CS_URL }, { name: 'code', valueCode: c.code }, { name: 'display', valueString: c.display }, ...(extra ?? [])],
  };
  return JSON.stringify(p);
}

async function post(origin: string, relative: string, body: unknown, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(`${origin}/fhir/${relative}`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', ...headers }, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`${relative}: ${res.status} ${JSON.stringify(json).slice(0, 300)}`);
  return json;
}

interface Way {
  id: string;
  bodies: string[];
  headers: Record<string, string>;
}

async function drive(server: ServerProcess, way: Way, seconds: number, connections: number): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: `${server.origin}/fhir/ValueSet/$validate-code`,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'Content-Type': 'application/fhir+json', ...way.headers }, setupRequest: (req) => ({ ...req, body: way.bodies[i++ % way.bodies.length] }) }],
  });
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-cache-bench-'));
  const { cs, vs } = guide(Number(opts.valueSets), Number(opts.concepts));
  const env = { KODVERK_DB: path.join(work, 'kodverk.db'), KODVERK_FHIR_CORE: 'false', KODVERK_CONTENT: path.join(work, 'no-content-pack'), KODVERK_RATE_LIMIT: '0', KODVERK_RATE_LIMIT_EXPENSIVE: '0', KODVERK_API_TOKEN: 'bench' };
  const server = await spawnServer([path.join(__dirname, '..', 'src', 'cli', 'main.js'), 'serve'], work, env, { discardOutput: true });
  try {
    // the ceiling's copy: the guide under other urls, stored (the other ways must not find it)
    const storedUrl = (u: string) => u.replace('bench-guide', 'bench-guide-stored');
    const storedCs = { ...cs, id: 'bench-guide-cs', url: storedUrl(CS_URL) };
    await fetch(`${server.origin}/fhir/CodeSystem/${storedCs.id}`, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json', Authorization: 'Bearer bench' }, body: JSON.stringify(storedCs) });
    const storedVs = vs.map((v, n) => ({ ...v, id: `bench-guide-vs-${n}`, url: storedUrl(v.url!), compose: { include: [{ ...v.compose!.include[0], system: storedCs.url }] } }));
    for (const v of storedVs) {
      const res = await fetch(`${server.origin}/fhir/ValueSet/${v.id}`, { method: 'PUT', headers: { 'Content-Type': 'application/fhir+json', Authorization: 'Bearer bench' }, body: JSON.stringify(v) });
      if (res.status >= 300) throw new Error(`storing ${v.id}: ${res.status}`);
    }
    const started = await post(server.origin, '$cache-control', { resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'start' }, ...[cs, ...vs].map((resource) => ({ name: 'tx-resource', resource }))] });
    const cacheId = started.parameter.find((p: any) => p.name === 'cache-id').valueId;
    const n = 400;
    const pick = (i: number) => (i * 37) % vs.length;
    const ways: Way[] = [
      { id: 'INLINE', headers: {}, bodies: Array.from({ length: n }, (_, i) => call(vs[pick(i)], i, [{ name: 'tx-resource', resource: vs[pick(i)] }, { name: 'tx-resource', resource: cs }])) },
      { id: 'CACHED', headers: { 'X-Cache-Id': cacheId }, bodies: Array.from({ length: n }, (_, i) => call(vs[pick(i)], i)) },
      {
        id: 'STORED',
        headers: {},
        bodies: Array.from({ length: n }, (_, i) => call(storedVs[pick(i)], i).replace(JSON.stringify(CS_URL), JSON.stringify(storedCs.url))),
      },
    ];
    // each way answers true before it is measured
    for (const w of ways) {
      const res = await fetch(`${server.origin}/fhir/ValueSet/$validate-code`, { method: 'POST', headers: { 'Content-Type': 'application/fhir+json', ...w.headers }, body: w.bodies[0] });
      const answer = (await res.json()) as any;
      if (answer.parameter?.find((p: any) => p.name === 'result')?.valueBoolean !== true) throw new Error(`${w.id} does not validate: ${JSON.stringify(answer).slice(0, 400)}`);
    }
    const guideBytes = Buffer.byteLength(JSON.stringify([cs, ...vs]));
    const connections = Number(opts.connections);
    const seconds = Number(opts.seconds);
    console.log(`ValueSet/$validate-code against a guide of ${vs.length} value sets and a code system of ${cs.concept!.length} concepts (${(guideBytes / 1024).toFixed(0)} KB in the cache); ${connections} connections, ${opts.rounds} rounds of ${seconds} s per way, alternating; ${os.cpus().length} cores`);
    for (const w of ways) await drive(server, w, Number(opts.warmup), connections);
    const results = new Map<string, autocannon.Result[]>(ways.map((w) => [w.id, []]));
    for (let r = 0; r < Number(opts.rounds); r++) {
      const order = r % 2 === 0 ? ways : [...ways].reverse();
      for (const w of order) results.get(w.id)!.push(await drive(server, w, seconds, connections));
    }
    const mean = (xs: autocannon.Result[], f: (x: autocannon.Result) => number) => xs.reduce((s, x) => s + f(x), 0) / xs.length;
    const ceiling = mean(results.get('STORED')!, (x) => x.requests.average);
    for (const w of ways) {
      const xs = results.get(w.id)!;
      const bytes = w.bodies.reduce((s, b) => s + Buffer.byteLength(b), 0) / w.bodies.length;
      const rps = mean(xs, (x) => x.requests.average);
      console.log(
        `${w.id.padEnd(7)} ${rps.toFixed(0).padStart(6)} req/s (${((rps / ceiling) * 100).toFixed(0)} % of STORED)  p50 ${mean(xs, (x) => x.latency.p50).toFixed(1)} ms  p99 ${mean(xs, (x) => x.latency.p99).toFixed(1)} ms  ${(bytes / 1024).toFixed(1)} KB sent per call  errors ${xs.reduce((s, x) => s + x.errors + x.non2xx, 0)}`,
      );
    }
  } finally {
    await server.kill();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
