import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RunningServer } from '../../src/server';
import { collectLogs, startTestServer } from '../helpers/server';
import { Readiness, jsonOf } from '../helpers/json';
import { codeSystem, COLOURS } from './support/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TOKEN = 'health-metrics-token';

type Server = RunningServer & { dir: string };

async function start(overrides: Record<string, unknown> = {}, logs?: ReturnType<typeof collectLogs>): Promise<{ server: Server; content: string }> {
  const content = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-content-'));
  const server = await startTestServer(
    { loadFhirCore: false, contentPackDir: content, apiToken: TOKEN, ...overrides },
    logs ? { logDestination: logs.destination, } : {},
  );
  return { server, content };
}

async function stop(s: { server: Server; content: string } | undefined): Promise<void> {
  if (!s) return;
  await s.server.close();
  fs.rmSync(s.content, { recursive: true, force: true });
}

async function putColours(server: Server): Promise<void> {
  const res = await fetch(`${server.fhirBase}/CodeSystem/colours`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json', authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(codeSystem({ id: 'colours' })),
  });
  expect(res.status).toBeLessThan(300);
}

/** The value of one sample of the Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe('health, readiness, metrics and request ids', () => {
  let s: { server: Server; content: string };
  const logs = collectLogs();

  beforeAll(async () => {
    s = await start({ logLevel: 'info' }, logs);
    await putColours(s.server);
  });
  afterAll(() => stop(s));

  it('/healthz answers while the process runs', async () => {
    const res = await fetch(`${s.server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz: store open, migrations applied, workers started, not draining', async () => {
    const res = await fetch(`${s.server.url}/readyz`);
    expect(res.status).toBe(200);
    const body = await jsonOf<Readiness>(res);
    expect(body.status).toBe('ready');
    expect(Object.keys(body.checks).sort()).toEqual(['draining', 'schema', 'store', 'workers']);
    for (const c of Object.values(body.checks) as { ok: boolean }[]) expect(c.ok).toBe(true);
    // the test server runs the engine in worker threads (dist/ is built)
    expect(body.checks.workers.detail).toMatch(/threads/);
  });

  it('/readyz answers 503 with the reason when the store schema is not what the server needs', async () => {
    const other = new Database(path.join(s.server.dir, 'kodverk.db'));
    try {
      other.prepare("INSERT INTO schema_version (version, name, applied_at) VALUES (999, 'from_a_newer_server', '2030-01-01')").run();
      const res = await fetch(`${s.server.url}/readyz`);
      expect(res.status).toBe(503);
      const body = await jsonOf<Readiness>(res);
      expect(body.status).toBe('not ready');
      expect(body.reasons).toEqual([expect.stringMatching(/^schema: version 999, this server needs \d+$/)]);
    } finally {
      other.prepare('DELETE FROM schema_version WHERE version = 999').run();
      other.close();
    }
    expect((await fetch(`${s.server.url}/readyz`)).status).toBe(200);
  });

  it('metrics count requests by route template and FHIR operation, never the URL or query', async () => {
    // a query value that must never show up in metrics (it could be personal data)
    const marker = 'Marker19121212-1212';
    const lookup = await fetch(`${s.server.fhirBase}/CodeSystem/$lookup?system=${encodeURIComponent(COLOURS)}&code=red`);
    expect(lookup.status).toBe(200);
    expect((await fetch(`${s.server.fhirBase}/CodeSystem/$lookup?system=${encodeURIComponent(COLOURS)}&code=${marker}`)).status).toBe(404);
    expect((await fetch(`${s.server.fhirBase}/CodeSystem/colours`)).status).toBe(200);
    expect((await fetch(`${s.server.url}/no/such/${marker}`)).status).toBe(404);

    const res = await fetch(`${s.server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).not.toContain(marker);
    expect(text).not.toContain('colours');
    const lookups = { method: 'GET', route: '/fhir/:type/:op', operation: 'CodeSystem/$lookup' };
    expect(sample(text, 'kodverk_http_requests_total', { ...lookups, status_class: '2xx' })).toBe(1);
    expect(sample(text, 'kodverk_http_requests_total', { ...lookups, status_class: '4xx' })).toBe(1);
    expect(sample(text, 'kodverk_http_request_duration_seconds_count', { ...lookups, status_class: '2xx' })).toBe(1);
    expect(sample(text, 'kodverk_http_requests_total', { method: 'GET', route: '/fhir/:type/:id', operation: '', status_class: '2xx' })).toBe(1);
    expect(sample(text, 'kodverk_http_requests_total', { method: 'GET', route: '(unmatched)', status_class: '4xx' })).toBe(1);
    expect(sample(text, 'kodverk_http_requests_in_flight')).toBe(1);
  });

  it('metrics of the worker pool, the engine caches, the store files and the Node process', async () => {
    const text = await (await fetch(`${s.server.url}/metrics`)).text();
    expect(sample(text, 'kodverk_worker_pool_threads')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'kodverk_worker_pool_max_threads')).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'kodverk_worker_pool_queue_length')).toBe(0);
    expect(sample(text, 'kodverk_worker_pool_busy_workers')).toBe(0);
    expect(sample(text, 'kodverk_worker_task_duration_seconds_count', { method: 'lookup', outcome: 'ok' })).toBe(2);
    expect(sample(text, 'kodverk_worker_task_wait_seconds_count', { method: 'lookup' })).toBe(2);
    // counted in the worker threads, added up in the HTTP thread
    expect(sample(text, 'kodverk_engine_cache_lookups_total', { cache: 'resources', result: 'miss' })).toBeGreaterThan(0);
    expect(sample(text, 'kodverk_engine_cache_lookups_total', { cache: 'resources', result: 'hit' })).toBeGreaterThan(0);
    expect(sample(text, 'kodverk_store_file_bytes', { file: 'database' })).toBe(fs.statSync(path.join(s.server.dir, 'kodverk.db')).size);
    expect(sample(text, 'kodverk_store_file_bytes', { file: 'wal' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(sample(text, 'nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'kodverk_build_info', { fhir_version: '4.0.1' })).toBe(1);
  });

  it('metrics count imports run by the CLI in another process: runs, durations, failures', async () => {
    const files = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-import-'));
    try {
      const good = path.join(files, 'shapes.json');
      fs.writeFileSync(good, JSON.stringify(codeSystem({ id: 'shapes', url: 'http://example.org/fhir/CodeSystem/import-metrics' })));
      const missing = path.join(files, 'no-such-release.json');
      const env = { ...process.env, KODVERK_DB: path.join(s.server.dir, 'kodverk.db') };
      // (not execFileSync: the server under test runs in this process and must keep running)
      const kodverk = (...args: string[]) => promisify(execFile)('node', [CLI, ...args], { env });
      await kodverk('import', 'fhir', good);
      await kodverk('import', 'fhir', good);
      await expect(kodverk('import', 'fhir', missing)).rejects.toThrow(/does not exist/);
    } finally {
      fs.rmSync(files, { recursive: true, force: true });
    }
    const text = await (await fetch(`${s.server.url}/metrics`)).text();
    expect(sample(text, 'kodverk_import_runs_total', { format: 'fhir', outcome: 'changed' })).toBe(1);
    expect(sample(text, 'kodverk_import_runs_total', { format: 'fhir', outcome: 'unchanged' })).toBe(1);
    expect(sample(text, 'kodverk_import_runs_total', { format: 'fhir', outcome: 'refused' })).toBe(1);
    expect(sample(text, 'kodverk_import_duration_seconds_count', { format: 'fhir', outcome: 'changed' })).toBe(1);
    expect(sample(text, 'kodverk_import_last_success_timestamp_seconds', { format: 'fhir' })).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('X-Request-Id: generated, or taken from the request when acceptable, and echoed', async () => {
    const generated = await fetch(`${s.server.fhirBase}/metadata`);
    expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const given = await fetch(`${s.server.fhirBase}/metadata`, { headers: { 'x-request-id': 'lb-7f3a9c1e.0042' } });
    expect(given.headers.get('x-request-id')).toBe('lb-7f3a9c1e.0042');
    for (const bad of ['has spaces in it', 'x'.repeat(200), '"quoted"', '-leading-dash']) {
      const res = await fetch(`${s.server.fhirBase}/metadata`, { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id')).not.toBe(bad);
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('every log line written while a request is handled carries its id', async () => {
    // a fault in the store (a table gone) makes a search fail inside the FHIR router, which logs it
    const other = new Database(path.join(s.server.dir, 'kodverk.db'));
    let res: Response;
    try {
      other.exec('ALTER TABLE resource RENAME TO resource_away');
      res = await fetch(`${s.server.fhirBase}/CodeSystem?url=${encodeURIComponent(COLOURS)}`, { headers: { 'x-request-id': 'fault-1' } });
    } finally {
      other.exec('ALTER TABLE resource_away RENAME TO resource');
      other.close();
    }
    expect(res.status).toBe(500);
    expect(res.headers.get('x-request-id')).toBe('fault-1');
    await new Promise((r) => setTimeout(r, 50));
    const mine = logs.lines.filter((l) => l.reqId === 'fault-1');
    expect(mine.map((l) => l.msg).sort()).toEqual(['internal error', 'request']);
    const access = mine.find((l) => l.msg === 'request')!;
    expect(access).toMatchObject({ method: 'GET', path: '/fhir/CodeSystem', route: '/fhir/:type', status: 500 });
    // no line of the request holds its query
    for (const l of mine) expect(JSON.stringify(l)).not.toContain('example.org');
    // lines not written for a request carry no id
    expect(logs.lines.find((l) => l.msg === 'Kodverk listening')?.reqId).toBeUndefined();
  });
});

describe('KODVERK_METRICS=false', () => {
  let s: { server: Server; content: string } | undefined;
  afterAll(() => stop(s));

  it('switches /metrics off', async () => {
    process.env.KODVERK_METRICS = 'false';
    try {
      s = await start();
    } finally {
      delete process.env.KODVERK_METRICS;
    }
    expect((await fetch(`${s.server.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${s.server.url}/readyz`)).status).toBe(200);
  });
});

describe('readiness while draining', () => {
  let s: { server: Server; content: string } | undefined;
  afterAll(() => stop(s));

  it('turns 503 when the shutdown begins, while liveness still answers 200', async () => {
    s = await start();
    s.server.lifecycle.beginDrain();
    const res = await fetch(`${s.server.url}/readyz`);
    expect(res.status).toBe(503);
    expect((await jsonOf<Readiness>(res)).reasons).toEqual(['draining: shutting down']);
    expect((await fetch(`${s.server.url}/healthz`)).status).toBe(200);
  });
});
