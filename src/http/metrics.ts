import fs from 'node:fs';
import express, { RequestHandler } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ServerDeps } from './dependencies';
import { onAnswered, operationOf, routeOf } from './route-label';
import { cacheCounts } from '../terminology/cache-stats';
import { ImportLog } from '../store/import-log';
import { FHIR_VERSION, SOFTWARE_VERSION } from '../version';

type MetricsDeps = Pick<ServerDeps, 'config' | 'store' | 'terminology' | 'follower' | 'clientCaches'>;

const REQUEST_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const IMPORT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600];

/**
 * The server's Prometheus metrics (prom-client, one registry per application): requests by route
 * template, FHIR operation and status class; the worker pool; the engine's caches; imports (from
 * the store, since the CLI runs them in other processes); the store's file sizes; Node's own.
 * Labels never hold a URL, a query or a body: they may carry personal data.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<string>;
  private readonly durations: Histogram<string>;
  private readonly inFlight: Gauge<string>;

  constructor(deps: MetricsDeps) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    new Gauge({ name: 'kodverk_build_info', help: 'Kodverk version and FHIR version (always 1)', labelNames: ['version', 'fhir_version'], registers }).set(
      { version: SOFTWARE_VERSION, fhir_version: FHIR_VERSION },
      1,
    );

    const requestLabels = ['method', 'route', 'operation', 'status_class'];
    this.requests = new Counter({ name: 'kodverk_http_requests_total', help: 'HTTP requests answered, by route template, FHIR operation and status class', labelNames: requestLabels, registers });
    this.durations = new Histogram({ name: 'kodverk_http_request_duration_seconds', help: 'Time from request to the end of the answer', labelNames: requestLabels, buckets: REQUEST_BUCKETS, registers });
    this.inFlight = new Gauge({ name: 'kodverk_http_requests_in_flight', help: 'Requests being handled', registers });

    this.workerPool(deps);
    this.engineCaches();
    this.clientCaches(deps);
    this.imports(deps);
    this.storeFiles(deps);
    if (deps.follower) this.follower(deps.follower);
  }

  /** A follower's synchronisation: lag, last success, failures (README "Scale out"). */
  private follower(follower: NonNullable<MetricsDeps['follower']>): void {
    const registers = [this.registry];
    const status = () => follower.status;
    new Gauge({ name: 'kodverk_follower_synchronised', help: '1 once a synchronisation with the followed feeds has completed since start, else 0', registers, collect() { this.set(status().synced ? 1 : 0); } });
    new Gauge({
      name: 'kodverk_follower_lag_seconds',
      help: 'Seconds since the follower last held everything its feeds offered (+Inf while it never has)',
      registers,
      collect() {
        // a gauge without labels cannot be absent (prom-client reports 0 after reset): a follower
        // that never synchronised is infinitely behind, so a lag alert fires for it too
        this.set(follower.lagSeconds() ?? Infinity);
      },
    });
    new Gauge({
      name: 'kodverk_follower_last_success_timestamp_seconds',
      help: 'When the latest successful synchronisation started (Unix time; 0 while there was none)',
      registers,
      collect() {
        const last = status().lastSuccess;
        this.set(last ? Date.parse(last) / 1000 : 0);
      },
    });
    new Counter({ name: 'kodverk_follower_syncs_total', help: 'Synchronisation attempts since start', registers, collect() { this.reset(); this.inc(status().syncsTotal); } });
    new Counter({ name: 'kodverk_follower_sync_failures_total', help: 'Failed synchronisation attempts since start', registers, collect() { this.reset(); this.inc(status().failuresTotal); } });
    new Gauge({ name: 'kodverk_follower_consecutive_failures', help: 'Failed synchronisation attempts since the last success', registers, collect() { this.set(status().consecutiveFailures); } });
    new Counter({ name: 'kodverk_follower_entries_taken_total', help: 'Feed entries taken in since start', registers, collect() { this.reset(); this.inc(status().entriesTaken); } });
  }

  private workerPool(deps: MetricsDeps): void {
    const registers = [this.registry];
    const pool = () => deps.terminology.stats();
    new Gauge({ name: 'kodverk_worker_pool_threads', help: 'Worker threads running (0: the engine runs on the HTTP thread)', registers, collect() { this.set(pool().threads); } });
    new Gauge({ name: 'kodverk_worker_pool_max_threads', help: 'Most worker threads the pool may start', registers, collect() { this.set(pool().maxThreads); } });
    new Gauge({ name: 'kodverk_worker_pool_queue_length', help: 'Engine calls waiting for a free worker', registers, collect() { this.set(pool().queued); } });
    new Gauge({ name: 'kodverk_worker_pool_busy_workers', help: 'Workers running an engine call', registers, collect() { this.set(pool().busy); } });
    const run = new Histogram({ name: 'kodverk_worker_task_duration_seconds', help: 'Run time of engine calls ($expand, $lookup, ...) in a worker', labelNames: ['method', 'outcome'], buckets: REQUEST_BUCKETS, registers });
    const wait = new Histogram({ name: 'kodverk_worker_task_wait_seconds', help: 'Time engine calls waited for a free worker', labelNames: ['method'], buckets: REQUEST_BUCKETS, registers });
    deps.terminology.onTask((t) => {
      run.observe({ method: t.method, outcome: t.failed ? 'failed' : 'ok' }, t.runMs / 1000);
      wait.observe({ method: t.method }, t.waitMs / 1000);
    });
  }

  private engineCaches(): void {
    new Counter({
      name: 'kodverk_engine_cache_lookups_total',
      help: 'Lookups in the terminology engine caches (resources, code-system providers, concepts, ECL), by result',
      labelNames: ['cache', 'result'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const [cache, c] of Object.entries(cacheCounts())) {
          this.inc({ cache, result: 'hit' }, c.hits);
          this.inc({ cache, result: 'miss' }, c.misses);
        }
      },
    });
  }

  /** The terminology client caches ($cache-control): how many, how much they hold, how many were dropped. */
  private clientCaches(deps: MetricsDeps): void {
    const registers = [this.registry];
    const stats = () => deps.clientCaches.stats();
    new Gauge({ name: 'kodverk_client_caches', help: 'Terminology client caches held ($cache-control)', registers, collect() { this.set(stats().caches); } });
    new Gauge({ name: 'kodverk_client_cache_resources', help: 'Resources the client caches hold together', registers, collect() { this.set(stats().resources); } });
    new Gauge({ name: 'kodverk_client_cache_bytes', help: "Bytes of the resources' JSON the client caches hold together", registers, collect() { this.set(stats().bytes); } });
    new Counter({ name: 'kodverk_client_caches_dropped_total', help: 'Client caches dropped since start, idle too long or for room (ended ones are not counted)', registers, collect() { this.reset(); this.inc(stats().dropped); } });
  }

  private imports(deps: MetricsDeps): void {
    const registers = [this.registry];
    const log = new ImportLog(deps.store.database);
    // read again only when an attempt has been added (by this or another process)
    let seen = -1;
    let runs: ReturnType<ImportLog['attempts']> = [];
    const attempts = () => {
      const key = log.lastAttemptKey();
      if (key !== seen) {
        runs = log.attempts();
        seen = key;
      }
      return runs;
    };
    new Counter({
      name: 'kodverk_import_runs_total',
      help: 'Imports into this store by format and outcome (changed, unchanged, refused: bad input, failed)',
      labelNames: ['format', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const a of attempts()) this.inc({ format: a.format, outcome: a.outcome });
      },
    });
    new Histogram({
      name: 'kodverk_import_duration_seconds',
      help: 'How long imports into this store took, by format and outcome',
      labelNames: ['format', 'outcome'],
      buckets: IMPORT_BUCKETS,
      registers,
      collect() {
        this.reset();
        for (const a of attempts()) this.observe({ format: a.format, outcome: a.outcome }, a.seconds);
      },
    });
    new Gauge({
      name: 'kodverk_import_last_success_timestamp_seconds',
      help: 'When the latest successful import of each format started (Unix time)',
      labelNames: ['format'],
      registers,
      collect() {
        this.reset();
        const last = new Map<string, number>();
        for (const a of attempts()) if (a.outcome === 'changed' || a.outcome === 'unchanged') last.set(a.format, Date.parse(a.startedAt) / 1000);
        for (const [format, t] of last) this.set({ format }, t);
      },
    });
  }

  private storeFiles(deps: MetricsDeps): void {
    const file = deps.config.dbPath;
    const size = (f: string) => {
      try {
        return fs.statSync(f).size;
      } catch {
        return 0;
      }
    };
    new Gauge({
      name: 'kodverk_store_file_bytes',
      help: 'Size of the SQLite store: the database file and its write-ahead log',
      labelNames: ['file'],
      registers: [this.registry],
      collect() {
        if (file === ':memory:') return;
        this.set({ file: 'database' }, size(file));
        this.set({ file: 'wal' }, size(`${file}-wal`));
      },
    });
  }

  /** Counts and times every request (labels from the route template, set when it ends). */
  measureRequests(): RequestHandler {
    return (req, res, next) => {
      const started = process.hrtime.bigint();
      this.inFlight.inc();
      onAnswered(res, (aborted) => {
        this.inFlight.dec();
        const labels = {
          method: req.method,
          route: routeOf(req),
          operation: operationOf(res),
          status_class: aborted ? 'aborted' : `${Math.floor(res.statusCode / 100)}xx`,
        };
        this.requests.inc(labels);
        this.durations.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    };
  }

  /** GET /metrics in Prometheus text format. */
  routes(): express.Router {
    const r = express.Router();
    r.get('/metrics', async (_req, res) => {
      const text = await this.registry.metrics();
      res.setHeader('Cache-Control', 'no-store');
      res.type(this.registry.contentType).send(text);
    });
    return r;
  }
}
