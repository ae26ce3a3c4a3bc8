/**
 * The HTTP fuzz at length: --requests (default 20,000) generated requests to every route of the
 * real server (ephemeral loopback port, fresh SQLite store with the FHIR core and the content
 * pack), --concurrency at a time. Prints how many were sent, answered by status class and by kind
 * of route, every answer that breaks the rules (a 5xx, a refusal without an OperationOutcome or
 * error page, a request that hangs), whether /readyz still answers, and the memory before, at its
 * peak and after (heap after a full GC). Exits 1 when any answer broke the rules.
 *   npm run build && node --expose-gc dist/bench/http-fuzz.js [--requests 20000] [--seed 1] [--concurrency 8]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import fc from 'fast-check';
import { startServer } from '../src/server';
import { ApiKeys } from '../src/security/api-keys';
import { FuzzRequest, answerKind, fuzzRequests, problemWith } from './fuzz/requests';

const opts = new Command()
  .option('--requests <n>', 'requests to send', '20000')
  .option('--seed <n>', 'fast-check seed', String(Date.now() % 1_000_000))
  .option('--concurrency <n>', 'requests in flight', '8')
  .parse()
  .opts();

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-fuzz-bench-'));
  const server = await startServer({ port: 0, host: '127.0.0.1', dbPath: path.join(dir, 'kodverk.db'), logLevel: 'silent', security: { rateLimit: 0, rateLimitExpensive: 0, authFailureLimit: 0 } });
  const admin = (await new ApiKeys(server.db).create({ name: 'fuzz', role: 'admin' })).key;
  const requests = fc.sample(fuzzRequests(admin), { seed: Number(opts.seed), numRuns: Number(opts.requests) });
  const before = heap();
  let peak = process.memoryUsage().rss;
  const byClass: Record<string, number> = {};
  const byKind: Record<string, Record<string, number>> = {};
  const problems: string[] = [];
  let sent = 0;
  const started = Date.now();

  const send = async (r: FuzzRequest) => {
    const kind = answerKind(r.path);
    let status = 0;
    try {
      const res = await fetch(server.url + r.path, { method: r.method, headers: r.headers, body: r.body ? new Uint8Array(r.body) : undefined, signal: AbortSignal.timeout(30_000), redirect: 'manual' });
      const body = await res.text();
      status = res.status;
      const problem = problemWith(r, res.status, res.headers.get('content-type') ?? '', body);
      if (problem) problems.push(`${r.method} ${r.path.slice(0, 150)}: ${problem}`);
    } catch (e) {
      // a malformed path the client library will not send is no server answer
      if (e instanceof TypeError && /Invalid URL|header/i.test(String(e.message))) return;
      problems.push(`${r.method} ${r.path.slice(0, 150)}: ${e instanceof Error ? e.name : 'failed'} (no answer)`);
    }
    sent++;
    const cls = status ? `${Math.floor(status / 100)}xx` : 'no answer';
    byClass[cls] = (byClass[cls] ?? 0) + 1;
    (byKind[kind] ??= {})[cls] = (byKind[kind][cls] ?? 0) + 1;
    if (sent % 1000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: Number(opts.concurrency) }, async () => {
      while (next < requests.length) await send(requests[next++]);
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const ready = await fetch(`${server.url}/readyz`);
  const after = heap();

  console.log(`seed ${opts.seed}: ${sent} requests sent in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)}/s, ${opts.concurrency} at a time)`);
  console.log(`by status class: ${Object.entries(byClass).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  for (const [kind, counts] of Object.entries(byKind).sort()) console.log(`  ${kind.padEnd(10)} ${Object.entries(counts).sort().map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`/readyz afterwards: ${ready.status}`);
  console.log(`heap after GC: ${mb(before)} before, ${mb(after)} after (${gc ? 'measured' : 'run node with --expose-gc for a GC first'}); peak RSS ${mb(peak)}`);
  console.log(`answers that broke the rules: ${problems.length}`);
  for (const p of problems.slice(0, 50)) console.log(`  ${p}`);
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
  if (problems.length || ready.status !== 200) process.exitCode = 1;
}

void main();
