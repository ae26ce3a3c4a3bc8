/**
 * The HTTP benchmark (numbers printed, nothing asserted): generates a synthetic Snomed CT RF2
 * release (../shared/tools/synth-rf2), imports it into a fresh store with the `kodverk` command
 * (wall time and peak RSS of the import), starts the server on it and drives it with autocannon
 * through scenarios modelled on HealthSamurai's tx-benchmark, each cycling through many codes
 * from the generator's request pools:
 *   CEIL  the server's cheapest endpoint ($versions): the ceiling every figure is a fraction of
 *   LK01  CodeSystem/$lookup                       VC01  CodeSystem/$validate-code with display
 *   VC03  ValueSet/$validate-code, is-a value set  EX01  $expand of an is-a value set, count=10
 *   EX03  $expand of all of Snomed CT with a text filter, count=10
 *   EX05  $expand of an intensional value set with two filters (is-a and an attribute), count=10
 *   EXS   $expand of a 500-concept value set with a text filter, count=10
 *   SS01  CodeSystem/$subsumes
 *   NX01  $expand by context (the seed's NIM attribute Brukare.kon: the release in force decides)
 *   NX02  $expand of the same value set by url (what NX01 costs on top of it)
 * For each: requests/s, p50/p99 latency, errors, the server's highest RSS, and req/s as a fraction
 * of the ceiling; the server's RSS idle before, at its highest, and after the load.
 * With --peer <FHIR base> the same requests go to another server too (it must hold the same
 * release and the fixtures written to <work>/fixtures), the two alternating per scenario.
 *
 *   npm run bench:http                                   # 50,000 concepts, 50 connections, 20 s each
 *   npm run bench:http -- --concepts 350000              # Swedish-edition scale (the acceptance run)
 *   npm run bench:http -- --concepts 20000 --seconds 5 --only LK01,EX03
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, CodeSystem, ValueSet } from 'fhir/r4';
import { Command } from 'commander';
import autocannon from 'autocannon';

const opts = new Command()
  .option('--concepts <n>', 'concepts in the synthetic release', '50000')
  .option('--connections <n>', 'concurrent connections', '50')
  .option('--seconds <s>', 'measured seconds per scenario', '20')
  .option('--warmup <s>', 'unmeasured seconds before each scenario', '3')
  .option('--settle <s>', 'seconds idle after the load before the last RSS reading', '30')
  .option('--only <ids>', 'comma-separated scenario ids (the ceiling always runs)')
  .option('--peer <url>', 'FHIR base URL of another server to run the same requests against, alternating')
  .option('--peer-pid <pid>', "the peer's process id on this machine: its CPU time per request and RSS are measured too")
  .option('--keep-store', 'reuse the store of an earlier run (no import)')
  .option('--server-prof <dir>', "write the server's CPU profiles (every thread) into this folder")
  .option('--workers <n>', 'KODVERK_WORKERS for the server (default: the server default)')
  .option('--work <dir>', 'folder for the release, the store and the fixtures', path.join(os.tmpdir(), 'kodverk-bench-http'))
  .option('--generator <file>', 'the synth-rf2 generator', path.resolve(__dirname, '../../../shared/tools/synth-rf2/generate.mjs'))
  .parse()
  .opts();

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SCT = 'http://snomed.info/sct';
const SMALL_CS = 'https://kodverk.se/fhir/CodeSystem/bench-small';
const SMALL_VS = 'https://kodverk.se/fhir/ValueSet/bench-small';
const TWO_FILTERS_VS = 'https://kodverk.se/fhir/ValueSet/bench-two-filters-';
const NIM_BRUKARE = 'https://kodverk.se/fhir/StructureDefinition/nim-brukare';
const JURIDISKT_KON = 'https://kodverk.se/fhir/ValueSet/juridiskt-kon';

interface Pools {
  concepts: string[];
  codeDisplay: { code: string; display: string; displaySv?: string }[];
  subsumes: { codeA: string; codeB: string }[];
  isa: { valueSetUrl: string; code: string; descendants: number }[];
  filters: { filter: string }[];
  ecl: { kind: string; focus?: string; attribute?: string; value?: string }[];
}

interface Scenario {
  id: string;
  what: string;
  paths: string[];
}

const q = encodeURIComponent;

// ---- data ------------------------------------------------------------------------------------

function release(dir: string, concepts: number): string {
  const out = path.join(dir, `release-${concepts}`);
  if (!fs.existsSync(path.join(out, 'pools', 'manifest.json'))) {
    const t = Date.now();
    const r = spawnSyncInherit(process.execPath, [opts.generator, '--out', out, '--concepts', String(concepts), '--quiet']);
    if (r !== 0) throw new Error('the generator failed');
    console.log(`generated the release in ${((Date.now() - t) / 1000).toFixed(1)} s: ${out}`);
  }
  return out;
}

function spawnSyncInherit(cmd: string, args: string[]): number {
  return require('node:child_process').spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] }).status ?? 1;
}

function readPools(dir: string): Pools {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, 'pools', f), 'utf8'));
  return {
    concepts: read('concepts.json'),
    codeDisplay: read('code-display.json'),
    subsumes: read('subsumes.json'),
    isa: read('isa.json'),
    filters: read('filters.json'),
    ecl: read('ecl.json'),
  };
}

/** The fixtures beside the release: a 500-concept code system with its value set, and two-filter value sets. */
function fixtures(pools: Pools): { bundle: Bundle; smallFilters: string[]; twoFilterUrls: string[] } {
  const small: CodeSystem = {
    resourceType: 'CodeSystem',
    id: 'bench-small',
    url: SMALL_CS,
    version: '1',
    name: 'BenchSmall',
    status: 'active',
    content: 'complete',
    caseSensitive: true,
    language: 'en',
    concept: pools.codeDisplay.map((c, i) => ({
      code: `S${String(i).padStart(3, '0')}`,
      display: c.display,
      designation: c.displaySv ? [{ language: 'sv', value: c.displaySv }] : undefined,
    })),
  };
  const smallVs: ValueSet = { resourceType: 'ValueSet', id: 'bench-small', url: SMALL_VS, version: '1', status: 'active', compose: { include: [{ system: SMALL_CS }] } };
  const words = new Set<string>();
  for (const c of pools.codeDisplay) {
    for (const t of [c.display, c.displaySv ?? '']) for (const w of t.toLocaleLowerCase('sv').match(/[\p{L}]{4,}/gu) ?? []) words.add(w.slice(0, 3 + (w.length % 3)));
  }
  const refinements = pools.ecl.filter((e) => e.kind === 'refinement' && e.focus && e.attribute && e.value);
  const twoFilters: ValueSet[] = refinements.map((e, i) => ({
    resourceType: 'ValueSet',
    id: `bench-two-filters-${i}`,
    url: TWO_FILTERS_VS + i,
    version: '1',
    status: 'active',
    compose: {
      include: [
        {
          system: SCT,
          filter: [
            { property: 'concept', op: 'is-a', value: e.focus! },
            { property: e.attribute!, op: '=', value: e.value! },
          ],
        },
      ],
    },
  }));
  const entries = [small, smallVs, ...twoFilters].map((resource) => ({ resource }));
  return { bundle: { resourceType: 'Bundle', type: 'collection', entry: entries }, smallFilters: [...words].slice(0, 300), twoFilterUrls: twoFilters.map((v) => v.url!) };
}

function scenarios(pools: Pools, smallFilters: string[], twoFilterUrls: string[]): Scenario[] {
  const isaPages = pools.isa.map((x, i) => {
    const pages = Math.max(1, Math.min(100, Math.ceil((x.descendants + 1) / 10)));
    return `/ValueSet/$expand?url=${q(x.valueSetUrl)}&count=10&offset=${((i * 7) % pages) * 10}`;
  });
  return [
    { id: 'CEIL', what: '$versions (the cheapest endpoint)', paths: ['/$versions'] },
    { id: 'LK01', what: 'CodeSystem/$lookup', paths: pools.concepts.map((c) => `/CodeSystem/$lookup?system=${q(SCT)}&code=${c}`) },
    { id: 'VC01', what: 'CodeSystem/$validate-code + display', paths: pools.codeDisplay.map((c) => `/CodeSystem/$validate-code?url=${q(SCT)}&code=${c.code}&display=${q(c.display)}`) },
    { id: 'VC03', what: 'ValueSet/$validate-code, is-a value set', paths: pools.isa.map((c) => `/ValueSet/$validate-code?url=${q(c.valueSetUrl)}&system=${q(SCT)}&code=${c.code}`) },
    { id: 'EX01', what: '$expand is-a value set, count=10', paths: isaPages },
    { id: 'EX03', what: '$expand all of Snomed CT, text filter, count=10', paths: pools.filters.map((f) => `/ValueSet/$expand?url=${q(SCT + '?fhir_vs')}&filter=${q(f.filter)}&count=10`) },
    { id: 'EX05', what: '$expand is-a + attribute filters, count=10', paths: twoFilterUrls.map((u) => `/ValueSet/$expand?url=${q(u)}&count=10`) },
    { id: 'EXS', what: '$expand 500-concept value set, text filter, count=10', paths: smallFilters.map((f) => `/ValueSet/$expand?url=${q(SMALL_VS)}&filter=${q(f)}&count=10`) },
    { id: 'SS01', what: 'CodeSystem/$subsumes', paths: pools.subsumes.map((s) => `/CodeSystem/$subsumes?system=${q(SCT)}&codeA=${s.codeA}&codeB=${s.codeB}`) },
    // the seed's NIM Brukare: its kön by where it is bound (the release in force decides), then the same value set by url
    { id: 'NX01', what: '$expand by context (NIM attribute)', paths: [`/ValueSet/$expand?context=${q(`${NIM_BRUKARE}#Brukare.kon`)}`] },
    { id: 'NX02', what: '$expand of the same value set by url', paths: [`/ValueSet/$expand?url=${q(JURIDISKT_KON)}`] },
  ];
}

// ---- processes ---------------------------------------------------------------------------------

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every 200 ms; `max()` is the highest reading since the last reset. */
class RssSampler {
  private highest = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 200);
  }
  sample(): number {
    const now = procStatus(this.pid, 'VmRSS') ?? 0;
    this.highest = Math.max(this.highest, now);
    return now;
  }
  reset(): void {
    this.highest = this.sample();
  }
  max(): number {
    this.sample();
    return this.highest;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/** Runs `kodverk <args>` on the store, reporting wall time and peak RSS (VmHWM, read until it exits). */
async function cli(env: NodeJS.ProcessEnv, args: string[]): Promise<{ seconds: number; peakMb: number }> {
  const t = Date.now();
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, procStatus(child.pid!, 'VmHWM') ?? 0)), 100);
  const code: number = await new Promise((resolve) => child.on('exit', (c) => resolve(c ?? 1)));
  clearInterval(timer);
  if (code !== 0) throw new Error(`kodverk ${args.join(' ')} failed (${code})`);
  return { seconds: (Date.now() - t) / 1000, peakMb: peak };
}

async function startServer(env: NodeJS.ProcessEnv, logFile: string): Promise<{ child: ChildProcess; base: string }> {
  const log = fs.openSync(logFile, 'w');
  const prof = opts.serverProf ? ['--cpu-prof', '--cpu-prof-dir', path.resolve(opts.serverProf)] : [];
  const child = spawn(process.execPath, [...prof, CLI, 'serve'], { env: { ...env, PORT: '0', HOST: '127.0.0.1' }, stdio: ['ignore', log, log] });
  // a new store loads the FHIR core terminology and the content pack on its first start
  for (let i = 0; i < 6000; i++) {
    await sleep(100);
    const m = /"url":"(http:\/\/[^"]+\/fhir)"/.exec(fs.readFileSync(logFile, 'utf8'));
    if (m) return { child, base: m[1] };
    if (child.exitCode !== null) break;
  }
  child.kill();
  throw new Error('the server did not start; see ' + logFile);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- load ------------------------------------------------------------------------------------

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  rssMb?: number;
  /** server CPU time (all threads) per request, µs: robust where the machine is shared */
  cpuUs?: number;
  /** the part of it in the HTTP thread (the one thread every request passes through) */
  mainUs?: number;
}

/** CPU time (user + system) a process has used, in µs: all threads, and its main (HTTP) thread. */
function cpuTime(pid: number | undefined): { all: number; main: number } | undefined {
  if (pid === undefined) return undefined;
  const read = (file: string) => {
    const fields = fs.readFileSync(file, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  };
  try {
    return { all: read(`/proc/${pid}/stat`), main: read(`/proc/${pid}/task/${pid}/stat`) };
  } catch {
    return undefined;
  }
}

async function load(base: string, paths: string[], seconds: number, connections: number, pid?: number): Promise<Result> {
  let next = 0;
  const cpuBefore = cpuTime(pid);
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/$/, '');
  const r = await autocannon({
    url: url.origin,
    connections,
    duration: seconds,
    timeout: 10,
    requests: [
      {
        method: 'GET',
        setupRequest: (req: any) => {
          req.path = prefix + paths[next++ % paths.length];
          req.headers = { ...req.headers, accept: 'application/fhir+json' };
          return req;
        },
      },
    ],
  });
  const cpuAfter = cpuTime(pid);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
    cpuUs: cpuBefore && cpuAfter && r.requests.total > 0 ? (cpuAfter.all - cpuBefore.all) / r.requests.total : undefined,
    mainUs: cpuBefore && cpuAfter && r.requests.total > 0 ? (cpuAfter.main - cpuBefore.main) / r.requests.total : undefined,
  };
}

/** One request of each scenario first: it must answer 200 with the resource type expected. */
async function preflight(base: string, s: Scenario): Promise<string> {
  const res = await fetch(base + s.paths[0], { headers: { accept: 'application/fhir+json' } });
  const body = (await res.json()) as any;
  if (res.status !== 200) return `HTTP ${res.status}: ${body?.issue?.[0]?.diagnostics ?? body?.issue?.[0]?.details?.text ?? ''}`.slice(0, 160);
  if (s.id.startsWith('EX')) return `total ${body.expansion?.total ?? '(none)'}, ${body.expansion?.contains?.length ?? 0} codes`;
  return 'ok';
}

// ---- report ----------------------------------------------------------------------------------

function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

async function main(): Promise<void> {
  const concepts = Number(opts.concepts);
  const connections = Number(opts.connections);
  const seconds = Number(opts.seconds);
  fs.mkdirSync(opts.work, { recursive: true });
  console.log(`Kodverk HTTP benchmark: ${fmt(concepts)} concepts, ${connections} connections, ${seconds} s per scenario, node ${process.version}, ${os.cpus().length} cpus, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB`);
  const rel = release(opts.work, concepts);
  const pools = readPools(rel);
  const fx = fixtures(pools);
  const fixtureDir = path.join(opts.work, 'fixtures');
  fs.rmSync(fixtureDir, { recursive: true, force: true });
  fs.mkdirSync(fixtureDir, { recursive: true });
  fs.writeFileSync(path.join(fixtureDir, 'bench-fixtures.json'), JSON.stringify(fx.bundle));

  const dbPath = path.join(opts.work, `kodverk-${concepts}.db`);
  // one load generator on one address is no abusive client: the per-client rate limits would
  // answer 429 at 50 (or 5) requests a second; capacity is measured without them unless set
  const env: NodeJS.ProcessEnv = { KODVERK_RATE_LIMIT: '0', KODVERK_RATE_LIMIT_EXPENSIVE: '0', ...process.env, KODVERK_DB: dbPath };
  if (opts.workers !== undefined) env.KODVERK_WORKERS = String(opts.workers);
  let imported = { seconds: NaN, peakMb: NaN };
  if (!opts.keepStore || !fs.existsSync(dbPath)) {
    for (const f of [dbPath, dbPath + '-wal', dbPath + '-shm']) fs.rmSync(f, { force: true });
    await cli(env, ['import', 'fhir', fixtureDir]);
    imported = await cli(env, ['import', 'rf2', path.join(rel, 'Snapshot')]);
    console.log(`import rf2 (kodverk import rf2): ${imported.seconds.toFixed(1)} s, peak RSS ${fmt(imported.peakMb)} MB, store ${fmt(fs.statSync(dbPath).size / 1e6)} MB`);
  }

  const { child, base } = await startServer(env, path.join(opts.work, 'server.log'));
  const rss = new RssSampler(child.pid!);
  const peerPid = opts.peerPid !== undefined ? Number(opts.peerPid) : undefined;
  const peerRss = peerPid !== undefined ? new RssSampler(peerPid) : undefined;
  const stop = () => {
    rss.stop();
    peerRss?.stop();
    child.kill('SIGTERM');
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  try {
    await sleep(1000);
    const idle = rss.sample();
    const peerIdle = peerRss?.sample();
    const only = opts.only ? new Set(String(opts.only).split(',')) : undefined;
    const list = scenarios(pools, fx.smallFilters, fx.twoFilterUrls).filter((s) => s.id === 'CEIL' || !only || only.has(s.id));
    const ours: Record<string, Result> = {};
    const peer: Record<string, Result> = {};
    const ceilings: number[] = [];
    const peerCeilings: number[] = [];
    console.log(`server ${base} (RSS idle ${fmt(idle)} MB)${opts.peer ? `, peer ${opts.peer}` : ''}`);
    for (const s of list) {
      console.log(`  preflight ${s.id}: ${await preflight(base, s)}${opts.peer ? ` | peer: ${await preflight(opts.peer, s).catch((e) => String(e))}` : ''}`);
    }
    let overallPeak = idle;
    // the ceiling is measured again after every scenario; each scenario's fraction is of the ceilings
    // just before and after it (a shared machine's load drifts)
    const ceilingSlice = Math.max(3, Math.round(seconds / 4));
    const near: Record<string, number> = {};
    const peerNear: Record<string, number> = {};
    const runCeiling = async () => {
      const c = await load(base, list[0].paths, ceilingSlice, connections, child.pid);
      ceilings.push(c.rps);
      if (opts.peer) peerCeilings.push((await load(opts.peer, list[0].paths, ceilingSlice, connections, peerPid)).rps);
      return c;
    };
    for (const s of list) {
      await load(base, s.paths, Number(opts.warmup), connections);
      if (s.id !== 'CEIL' && ceilings.length === 0) await runCeiling();
      const before = ceilings[ceilings.length - 1];
      const peerBefore = peerCeilings[peerCeilings.length - 1];
      rss.reset();
      ours[s.id] = await load(base, s.paths, seconds, connections, child.pid);
      ours[s.id].rssMb = rss.max();
      overallPeak = Math.max(overallPeak, ours[s.id].rssMb!);
      process.stdout.write(`  ${s.id} ${fmt(ours[s.id].rps)} req/s, ${fmt(ours[s.id].cpuUs ?? NaN)} µs CPU/req (HTTP thread ${fmt(ours[s.id].mainUs ?? NaN)})`);
      if (opts.peer) {
        await load(opts.peer, s.paths, Number(opts.warmup), connections);
        peerRss?.reset();
        peer[s.id] = await load(opts.peer, s.paths, seconds, connections, peerPid);
        peer[s.id].rssMb = peerRss?.max();
        process.stdout.write(` | peer ${fmt(peer[s.id].rps)} req/s`);
      }
      if (s.id === 'CEIL') {
        ceilings.push(ours[s.id].rps);
        if (opts.peer) peerCeilings.push(peer[s.id].rps);
      } else {
        await runCeiling();
        near[s.id] = (before + ceilings[ceilings.length - 1]) / 2;
        if (opts.peer) peerNear[s.id] = (peerBefore + peerCeilings[peerCeilings.length - 1]) / 2;
      }
      process.stdout.write(` (ceiling around it ${fmt(near[s.id] ?? ours[s.id].rps)})\n`);
    }
    await sleep(Number(opts.settle) * 1000);
    const after = rss.sample();

    const mean = (l: number[]) => l.reduce((a, b) => a + b, 0) / l.length;
    ours.CEIL.rps = mean(ceilings);
    if (opts.peer) peer.CEIL.rps = mean(peerCeilings);
    console.log();
    console.log(
      `${fmt(concepts)} concepts, ${connections} connections, ${seconds} s each. CEIL: the mean of its runs (${ceilings.map((c) => fmt(c)).join(', ')} req/s); ` +
        `× ceiling: req/s over the ceiling measured just before and after the scenario; CPU: the server's CPU time per request (all threads; HTTP: the HTTP thread's part)`,
    );
    const head = ['scenario', 'what', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'RSS max MB', 'CPU µs/req', 'HTTP µs/req', '× ceiling'];
    if (opts.peer) head.push('peer req/s', 'peer p99 ms', 'peer errors', 'peer × its ceiling', ...(peerPid !== undefined ? ['peer CPU µs/req', 'peer HTTP µs/req', 'peer RSS max MB'] : []), 'Kodverk / peer');
    console.log(`| ${head.join(' | ')} |`);
    console.log(`|${head.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`);
    for (const s of list) {
      const r = ours[s.id];
      const row = [s.id, s.what, fmt(r.rps), fmt(r.p50), fmt(r.p99), fmt(r.errors), fmt(r.rssMb ?? 0), fmt(r.cpuUs ?? NaN), fmt(r.mainUs ?? NaN), (r.rps / (near[s.id] ?? r.rps)).toFixed(2)];
      if (opts.peer) {
        const p = peer[s.id];
        row.push(fmt(p.rps), fmt(p.p99), fmt(p.errors), (p.rps / (peerNear[s.id] ?? p.rps)).toFixed(2));
        if (peerPid !== undefined) row.push(fmt(p.cpuUs ?? NaN), fmt(p.mainUs ?? NaN), fmt(p.rssMb ?? 0));
        row.push(p.rps > 0 ? (r.rps / p.rps).toFixed(2) : '∞');
      }
      console.log(`| ${row.join(' | ')} |`);
    }
    console.log();
    console.log(`server RSS: idle ${fmt(idle)} MB, highest under load ${fmt(overallPeak)} MB, ${opts.settle} s after the load ${fmt(after)} MB`);
    if (peerRss) console.log(`peer RSS: idle ${fmt(peerIdle ?? NaN)} MB, ${opts.settle} s after the load ${fmt(peerRss.sample())} MB`);
    console.log(Number.isNaN(imported.seconds) ? 'import: not run (--keep-store: the store of an earlier run)' : `import: ${imported.seconds.toFixed(1)} s, peak RSS ${fmt(imported.peakMb)} MB`);
  } finally {
    stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
