/**
 * What /metrics costs: $lookup throughput of `kodverk serve` with metrics on and off, measured
 * in the same run (numbers printed, nothing asserted). Two server processes share one store
 * file; autocannon drives them in alternating rounds (on-off, off-on, ...) so that the noise
 * of a shared machine falls on both alike, while Prometheus-like scrapes hit the one with metrics.
 *   npm run build && node dist/bench/metrics-overhead.js [--rounds 6] [--seconds 10] [--warmup 15] [--connections 16] [--db store.db]
 * Without --db a temporary store with the FHIR R4 core terminology and the content pack is made.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import autocannon from 'autocannon';
import type { CodeSystem, CodeSystemConcept } from 'fhir/r4';
import { loadConfig } from '../src/config';
import { loadInitialContent } from '../src/server';
import { openDatabase } from '../src/store/database';
import { ResourceStore } from '../src/store/resource-store';
import { spawnServer, ServerProcess } from './server-process';

const opts = new Command()
  .option('--rounds <n>', 'rounds per configuration', '6')
  .option('--seconds <s>', 'length of a round', '10')
  .option('--warmup <s>', 'seconds of load on each server before measuring (worker threads, caches)', '15')
  .option('--connections <n>', 'concurrent connections', '16')
  .option('--scrape-ms <ms>', 'time between /metrics scrapes while the metrics server is driven', '5000')
  .option('--db <file>', 'an existing store to read (default: a new one with the FHIR core and the content pack)')
  .parse()
  .opts();

/** Up to `max` (system, code) pairs from the stored code systems that list their concepts. */
function lookups(dbPath: string, max: number): string[] {
  const db = openDatabase(dbPath, undefined, { readonly: true });
  const out: string[] = [];
  try {
    const store = new ResourceStore(db);
    const walk = (system: string, concepts: CodeSystemConcept[] = []) => {
      for (const c of concepts) {
        if (out.length >= max) return;
        out.push(`/fhir/CodeSystem/$lookup?system=${encodeURIComponent(system)}&code=${encodeURIComponent(c.code)}`);
        walk(system, c.concept);
      }
    };
    for (const r of store.search('CodeSystem', {}, { count: 2000, offset: 0 })) {
      const cs = r.resource as CodeSystem;
      if (cs.url && cs.content === 'complete') walk(cs.url, cs.concept);
      if (out.length >= max) break;
    }
  } finally {
    db.close();
  }
  return out;
}

async function drive(server: ServerProcess, paths: string[], seconds: number, connections: number): Promise<autocannon.Result> {
  let i = 0;
  return autocannon({
    url: server.origin,
    connections,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths[i++ % paths.length] }) }],
  });
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-metrics-bench-'));
  let dbPath = opts.db as string | undefined;
  if (!dbPath) {
    dbPath = path.join(work, 'kodverk.db');
    const config = loadConfig({ dbPath, loadFhirCore: true });
    const db = openDatabase(dbPath);
    loadInitialContent(db, new ResourceStore(db), config);
    db.close();
  }
  const paths = lookups(dbPath, 2000);
  if (!paths.length) throw new Error('the store has no code system with concepts to look up');
  // as in production (logs at info, one line per request), output discarded
  // no rate limits: the benchmark is one client sending far more than a client's budget
  const env = { KODVERK_DB: dbPath, KODVERK_FHIR_CORE: 'false', KODVERK_CONTENT: path.join(work, 'no-content-pack'), KODVERK_RATE_LIMIT: '0', KODVERK_RATE_LIMIT_EXPENSIVE: '0' };
  const cli = path.join(__dirname, '..', 'src', 'cli', 'main.js');
  const withMetrics = await spawnServer([cli, 'serve'], work, { ...env, KODVERK_METRICS: 'true' }, { discardOutput: true });
  const without = await spawnServer([cli, 'serve'], work, { ...env, KODVERK_METRICS: 'false' }, { discardOutput: true });
  const rounds = Number(opts.rounds);
  const seconds = Number(opts.seconds);
  const connections = Number(opts.connections);
  console.log(`$lookup of ${paths.length} codes, ${connections} connections, ${rounds} rounds of ${seconds} s per configuration, alternating; /metrics scraped every ${opts.scrapeMs} ms on the server that has it`);
  console.log(`store ${dbPath}; ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  try {
    // warm both (worker threads, caches, the JIT)
    const warmup = Number(opts.warmup);
    await drive(withMetrics, paths, warmup, connections);
    await drive(without, paths, warmup, connections);
    const results: Record<'on' | 'off', autocannon.Result[]> = { on: [], off: [] };
    let scrapes = 0;
    let scrapeBytes = 0;
    const measureOn = async () => {
      const scraper = setInterval(() => {
        void fetch(`${withMetrics.origin}/metrics`).then(async (res) => {
          scrapeBytes = (await res.text()).length;
          scrapes++;
        }).catch(() => undefined); // a scrape still running when the servers stop
      }, Number(opts.scrapeMs));
      try {
        return await drive(withMetrics, paths, seconds, connections);
      } finally {
        clearInterval(scraper);
      }
    };
    for (let r = 0; r < rounds; r++) {
      // on-off, then off-on: a drift in the machine's load falls on both alike
      if (r % 2 === 0) {
        results.on.push(await measureOn());
        results.off.push(await drive(without, paths, seconds, connections));
      } else {
        results.off.push(await drive(without, paths, seconds, connections));
        results.on.push(await measureOn());
      }
      const [on, off] = [results.on[r], results.off[r]];
      console.log(
        `round ${r + 1}: metrics on ${on.requests.average.toFixed(0)} req/s (p99 ${on.latency.p99} ms), off ${off.requests.average.toFixed(0)} req/s (p99 ${off.latency.p99} ms); on/off ${(on.requests.average / off.requests.average).toFixed(3)}`,
      );
    }
    const mean = (xs: autocannon.Result[], f: (x: autocannon.Result) => number) => xs.reduce((s, x) => s + f(x), 0) / xs.length;
    const on = mean(results.on, (x) => x.requests.average);
    const off = mean(results.off, (x) => x.requests.average);
    const ratios = results.on.map((x, i) => x.requests.average / results.off[i].requests.average).sort((a, b) => a - b);
    const median = ratios.length % 2 ? ratios[(ratios.length - 1) / 2] : (ratios[ratios.length / 2 - 1] + ratios[ratios.length / 2]) / 2;
    const errors = [...results.on, ...results.off].reduce((s, x) => s + x.errors + x.non2xx, 0);
    console.log(`mean: metrics on ${on.toFixed(0)} req/s, off ${off.toFixed(0)} req/s: overhead ${(((off - on) / off) * 100).toFixed(1)} %`);
    console.log(`median of the rounds' on/off ratios: ${median.toFixed(3)} (overhead ${((1 - median) * 100).toFixed(1)} %)`);
    console.log(
      `latency p50/p99 ms: on ${mean(results.on, (x) => x.latency.p50).toFixed(1)}/${mean(results.on, (x) => x.latency.p99).toFixed(1)}, off ${mean(results.off, (x) => x.latency.p50).toFixed(1)}/${mean(results.off, (x) => x.latency.p99).toFixed(1)}`,
    );
    console.log(`${scrapes} scrapes of ${(scrapeBytes / 1024).toFixed(1)} KB; errors and non-2xx answers: ${errors}`);
  } finally {
    await Promise.all([withMetrics.kill(), without.kill()]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
