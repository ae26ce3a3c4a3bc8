import fs from 'node:fs';
import express from 'express';
import type { ServerDeps } from './dependencies';
import { readMigrations, schemaVersion } from '../store/migrations';

export interface ReadinessCheck {
  name: 'store' | 'schema' | 'workers' | 'draining' | 'synchronised';
  ok: boolean;
  detail: string;
}

type HealthDeps = Pick<ServerDeps, 'config' | 'store' | 'terminology' | 'lifecycle' | 'follower'>;

/** Whether the server can take traffic, check by check. */
export function readinessChecks(deps: HealthDeps, expectedSchema: number): ReadinessCheck[] {
  const db = deps.store.database;
  const checks: ReadinessCheck[] = [];
  let storeOk = false;
  try {
    storeOk = db.open && db.prepare('SELECT 1 AS one').get() !== undefined;
    const file = deps.config.dbPath;
    if (storeOk && file !== ':memory:' && !fs.existsSync(file)) {
      checks.push({ name: 'store', ok: false, detail: 'the store file has been removed' });
    } else {
      checks.push({ name: 'store', ok: storeOk, detail: storeOk ? 'open' : 'closed' });
    }
  } catch (e) {
    checks.push({ name: 'store', ok: false, detail: `not readable: ${e instanceof Error ? e.message : String(e)}` });
  }
  if (storeOk) {
    const version = schemaVersion(db);
    checks.push({
      name: 'schema',
      ok: version === expectedSchema,
      detail: version === expectedSchema ? `version ${version}` : `version ${version}, this server needs ${expectedSchema}`,
    });
  }
  const pool = deps.terminology.stats();
  checks.push({
    name: 'workers',
    ok: pool.started,
    detail: pool.mode === 'in-process' ? (pool.started ? 'in-process' : 'closed') : pool.started ? `${pool.threads} of ${pool.maxThreads} threads` : 'not started',
  });
  checks.push({ name: 'draining', ok: !deps.lifecycle.draining, detail: deps.lifecycle.draining ? 'shutting down' : 'no' });
  // a follower takes traffic once it holds what its feeds offer (or an earlier sync's content
  // while they cannot be reached): an empty replica behind the load balancer would answer 404s
  if (deps.follower) {
    const s = deps.follower.status;
    checks.push({
      name: 'synchronised',
      ok: s.ready,
      detail: s.synced ? `last synchronised ${s.lastSuccess}` : s.ready ? `serving the synchronisation of ${s.lastSuccess}; the feeds cannot be read now (${s.consecutiveFailures} failures)` : s.lastError ? `not yet: ${s.lastError}` : 'not yet: the first synchronisation is running',
    });
  }
  return checks;
}

/**
 * Liveness (/healthz: the process answers) and readiness (/readyz: store open, migrations
 * applied, worker pool started, not draining, and on a follower its first synchronisation done;
 * 503 naming what is not). Never cached.
 */
export function healthRoutes(deps: HealthDeps): express.Router {
  const expectedSchema = readMigrations().length;
  const r = express.Router();
  r.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  r.get('/readyz', (_req, res) => {
    const checks = readinessChecks(deps, expectedSchema);
    const failing = checks.filter((c) => !c.ok);
    res.setHeader('Cache-Control', 'no-store');
    res.status(failing.length ? 503 : 200).json({
      status: failing.length ? 'not ready' : 'ready',
      ...(failing.length ? { reasons: failing.map((c) => `${c.name}: ${c.detail}`) } : {}),
      checks: Object.fromEntries(checks.map((c) => [c.name, { ok: c.ok, detail: c.detail }])),
    });
  });
  return r;
}
