/**
 * Scale-out benchmark (numbers printed, nothing asserted), in one run on one machine:
 *   1. $lookup and $validate-code (GET and POST) throughput and latency (p50, p99) sent straight
 *      to one follower, and through nginx (deploy/nginx.conf) to two followers — alternating, so
 *      both see the same machine load;
 *   2. how long a new follower takes to synchronise from an empty store: the content pack plus
 *      Socialstyrelsen's KSI, ICF and KVÅ (../shared/data/socialstyrelsen), then a synthetic Snomed
 *      CT release (../shared/tools/synth-rf2, 350,000 concepts by default) imported on the primary.
 * Every server is `kodverk serve` from dist/, on loopback ports.
 *
 *   npm run build && node dist/bench/scaleout.js                       # the whole run
 *   node dist/bench/scaleout.js --concepts 20000 --seconds 5           # a quick check
 *   node dist/bench/scaleout.js --skip-sync                            # only the HTTP part
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import autocannon from 'autocannon';
import { freePort, loopbackNginxConf, nginxBinary, startNginx } from '../test/helpers/nginx';
import { ServerProcess, spawnServer } from '../test/helpers/server-process';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TOKEN = 'bench-token';
const SHARED = path.resolve(__dirname, '../../../shared');

/** The options: flag, meaning, default. */
const OPTIONS: [string, string, string?][] = [
  ['--seconds <s>', 'measured seconds per scenario and target', '10'],
  ['--connections <n>', 'concurrent connections', '16'],
  ['--rounds <n>', 'alternations of direct and nginx per scenario', '2'],
  ['--concepts <n>', 'concepts in the synthetic Snomed CT release', '350000'],
  ['--skip-sync', 'leave out the synchronisation times'],
  ['--skip-http', 'leave out the throughput part'],
  ['--data <dir>', "Socialstyrelsen's files", path.join(SHARED, 'data', 'socialstyrelsen')],
  ['--generator <file>', 'the synth-rf2 generator', path.join(SHARED, 'tools', 'synth-rf2', 'generate.mjs')],
  ['--work <dir>', 'working folder', path.join(os.tmpdir(), 'kodverk-bench-scaleout')],
];
const program = new Command();
for (const [flag, text, fallback] of OPTIONS) program.option(flag, text, fallback);
const opts = program.parse().opts();

type Server = ServerProcess;

/** `kodverk serve` with this environment, on a loopback port; its request log is read no further. */
async function serve(env: Record<string, string>): Promise<Server> {
  // no rate limits: the benchmark is one client (through nginx: one address) far past a client's budget
  const s = await spawnServer([CLI, 'serve'], ROOT, { LOG_LEVEL: 'info', KODVERK_RATE_LIMIT: '0', KODVERK_RATE_LIMIT_EXPENSIVE: '0', ...env }, { timeoutMs: 30 * 60_000 });
  s.child.stdout!.removeAllListeners('data');
  s.child.stdout!.resume();
  return s;
}

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const synced = async (s: Server) => ((await (await fetch(`${s.origin}/syndication/status`)).json()) as { synced?: boolean }).synced === true;

function kodverk(db: string, args: string[]): number {
  const t = Date.now();
  execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, KODVERK_DB: db, LOG_LEVEL: 'silent' }, stdio: 'ignore' });
  return (Date.now() - t) / 1000;
}

const followerEnv = (dir: string, primary: Server, extra: Record<string, string> = {}) => ({
  KODVERK_DB: path.join(dir, 'kodverk.db'),
  KODVERK_FOLLOW: `${primary.origin}/syndication/feed.xml`,
  KODVERK_FOLLOW_TOKEN: TOKEN,
  KODVERK_FOLLOW_INTERVAL_MS: '500',
  KODVERK_FHIR_CORE: 'false',
  LOG_LEVEL: 'info',
  ...extra,
});

/** A fresh follower's time from start to its first complete synchronisation. */
async function syncTime(work: string, name: string, primary: Server): Promise<{ startS: number; syncS: number }> {
  const dir = path.join(work, name);
  fs.rmSync(dir, { recursive: true, force: true });
  const t0 = Date.now();
  const f = await serve(followerEnv(dir, primary));
  const listening = Date.now();
  try {
    await until(() => synced(f), 3 * 60 * 60_000);
    return { startS: (listening - t0) / 1000, syncS: (Date.now() - listening) / 1000 };
  } finally {
    await f.kill();
  }
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  total: number;
}

async function measure(origin: string, request: autocannon.Request, seconds: number, connections: number): Promise<Measured> {
  const r = await autocannon({ url: origin, connections, duration: seconds, timeout: 10, requests: [request] });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts + r.non2xx, total: r.requests.total };
}

const f1 = (n: number) => n.toFixed(1);

async function throughput(work: string): Promise<void> {
  const nginx = nginxBinary();
  if (!nginx) {
    console.log('throughput: skipped, nginx is not installed');
    return;
  }
  const primary = await serve({ KODVERK_DB: path.join(work, 'http-primary', 'kodverk.db'), KODVERK_API_TOKEN: TOKEN, KODVERK_FHIR_CORE: 'false', LOG_LEVEL: 'info' });
  const ports = [await freePort(), await freePort()];
  const followers = await Promise.all(ports.map((port, i) => serve(followerEnv(path.join(work, `http-follower-${i}`), primary, { PORT: String(port) }))));
  const listen = await freePort();
  const ngDir = path.join(work, 'nginx');
  fs.rmSync(ngDir, { recursive: true, force: true });
  const lb = await startNginx(nginx, ngDir, loopbackNginxConf(path.join(ROOT, 'deploy', 'nginx.conf'), ngDir, { listen, primary: Number(new URL(primary.origin).port), replicas: ports }), listen);
  try {
    await Promise.all(followers.map((f) => until(() => synced(f), 10 * 60_000)));
    const lookup = { method: 'GET' as const, path: '/fhir/CodeSystem/$lookup?system=https://kodverk.se/fhir/CodeSystem/sakomrade&code=aldreomsorg' };
    const validateGet = { method: 'GET' as const, path: '/fhir/ValueSet/$validate-code?url=https://kodverk.se/fhir/ValueSet/sakomrade&system=https://kodverk.se/fhir/CodeSystem/sakomrade&code=aldreomsorg' };
    const validatePost = {
      method: 'POST' as const,
      path: '/fhir/ValueSet/$validate-code',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: 'https://kodverk.se/fhir/ValueSet/sakomrade' }, { name: 'system', valueUri: 'https://kodverk.se/fhir/CodeSystem/sakomrade' }, { name: 'code', valueCode: 'aldreomsorg' }] }),
    };
    const targets = { 'one follower, direct': followers[0].origin, 'nginx, two followers': `http://127.0.0.1:${listen}` };
    const seconds = Number(opts.seconds);
    const connections = Number(opts.connections);
    console.log(`\nthroughput: ${connections} connections, ${opts.rounds} × ${seconds} s per scenario and target, alternating; ${os.cpus().length} cores, load average ${os.loadavg().map(f1).join(' ')}`);
    console.log('scenario                      target                  req/s    p50 ms   p99 ms   errors   requests');
    for (const [name, req] of Object.entries({ '$lookup (GET)': lookup, 'VS $validate-code (GET)': validateGet, 'VS $validate-code (POST)': validatePost })) {
      const sums: Record<string, Measured[]> = {};
      for (let round = 0; round < Number(opts.rounds); round++) {
        for (const [label, origin] of Object.entries(targets)) {
          await measure(origin, req, 2, connections); // warm-up, not counted
          (sums[label] ??= []).push(await measure(origin, req, seconds, connections));
        }
      }
      for (const [label, runs] of Object.entries(sums)) {
        const avg = (k: keyof Measured) => runs.reduce((a, r) => a + r[k], 0) / runs.length;
        const sum = (k: keyof Measured) => runs.reduce((a, r) => a + r[k], 0);
        console.log(`${name.padEnd(30)}${label.padEnd(22)}${f1(avg('rps')).padStart(8)}${f1(avg('p50')).padStart(10)}${f1(Math.max(...runs.map((r) => r.p99))).padStart(9)}${String(sum('errors')).padStart(9)}${String(sum('total')).padStart(11)}`);
      }
    }
    console.log('(p99: the highest of the rounds; req/s and p50: their mean)');
  } finally {
    await lb.stop();
    for (const s of [...followers, primary]) await s.kill();
  }
}

async function synchronisation(work: string): Promise<void> {
  const dbDir = path.join(work, 'sync-primary');
  fs.rmSync(dbDir, { recursive: true, force: true });
  const db = path.join(dbDir, 'kodverk.db');
  // the primary's store: the content pack (its first start), then the imports
  let primary = await serve({ KODVERK_DB: db, KODVERK_API_TOKEN: TOKEN, KODVERK_FHIR_CORE: 'false', LOG_LEVEL: 'info' });
  await primary.kill();
  const files = [
    ['icf', 'icf-2025-inkl-core-sets.xlsx'],
    ['ksi', 'ksi-2025.xlsx'],
    ['kva', 'kva-inkl-beskrivningstexter-2026.xlsx'],
  ].filter(([, f]) => fs.existsSync(path.join(opts.data, f)));
  console.log(`\nsynchronisation of a new follower from an empty store (poll interval 500 ms; the follower loads no FHIR core)`);
  for (const [format, file] of files) console.log(`  primary: kodverk import ${format} ${file}: ${f1(kodverk(db, ['import', format, path.join(opts.data, file)]))} s`);
  if (files.length < 3) console.log(`  (Socialstyrelsen's files are not all in ${opts.data}: ${files.length} of 3 imported)`);
  primary = await serve({ KODVERK_DB: db, KODVERK_API_TOKEN: TOKEN, KODVERK_FHIR_CORE: 'false', LOG_LEVEL: 'info' });
  try {
    const feed = await (await fetch(`${primary.origin}/syndication/feed.xml`, { headers: { Authorization: `Bearer ${TOKEN}` } })).text();
    console.log(`  feed: ${feed.split('<entry>').length - 1} entries, ${f1(feed.length / 1024)} KiB`);
    const a = await syncTime(work, 'sync-follower-socialstyrelsen', primary);
    console.log(`  content pack + ${files.map(([f]) => f.toUpperCase()).join(' + ')}: follower started in ${f1(a.startS)} s, synchronised ${f1(a.syncS)} s after it listened`);
  } finally {
    await primary.kill();
  }
  if (!fs.existsSync(opts.generator)) {
    console.log(`  Snomed CT: skipped, ${opts.generator} is absent`);
    return;
  }
  const release = path.join(work, `release-${opts.concepts}`);
  if (!fs.existsSync(path.join(release, 'Snapshot'))) execFileSync(process.execPath, [opts.generator, '--out', release, '--concepts', String(opts.concepts), '--no-pools', '--quiet'], { stdio: 'ignore' });
  console.log(`  primary: kodverk import rf2 (${Number(opts.concepts).toLocaleString('en')} concepts, the RF2 zip kept for the feed): ${f1(kodverk(db, ['import', 'rf2', release]))} s`);
  primary = await serve({ KODVERK_DB: db, KODVERK_API_TOKEN: TOKEN, KODVERK_FHIR_CORE: 'false', LOG_LEVEL: 'info' });
  try {
    const b = await syncTime(work, 'sync-follower-snomed', primary);
    console.log(`  content pack + Socialstyrelsen + Snomed CT: follower synchronised ${f1(b.syncS)} s after it listened (download, check, unzip and import of the RF2 snapshot included)`);
  } finally {
    await primary.kill();
  }
}

async function main(): Promise<void> {
  const work = opts.work;
  fs.mkdirSync(work, { recursive: true });
  if (!opts.skipHttp) await throughput(work);
  if (!opts.skipSync) await synchronisation(work);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
