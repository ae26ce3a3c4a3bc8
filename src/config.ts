import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

/** Runtime configuration, read once from the environment (documented in README.md). */
export interface KodverkConfig {
  /** HTTP port; 0 picks a free port (tests). */
  port: number;
  /** Interface to listen on. */
  host: string;
  /** Path of the SQLite file. */
  dbPath: string;
  /** Folder holding the content pack loaded into an empty store. */
  contentPackDir: string;
  /** Bearer token that allows create/update/delete; writes are refused when unset. */
  apiToken?: string;
  /** Largest accepted request body, in bytes. */
  maxBodyBytes: number;
  /** Public base URL of the FHIR endpoint when behind a proxy (else derived from the request). */
  publicBaseUrl?: string;
  /** pino log level. */
  logLevel: string;
  /** Most concepts an expansion may hold before it is refused as too costly. */
  expansionLimit: number;
  /** Load the FHIR R4 core code systems and value sets into a new store. */
  loadFhirCore: boolean;
  /** Worker threads for terminology operations (0: run them on the HTTP thread). */
  workers: number;
}

/** The folder holding package.json, found from this file whether run from src/ or dist/. */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found above ' + __dirname);
    dir = up;
  }
}

function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got '${raw}'`);
  return n;
}

export function loadConfig(overrides: Partial<KodverkConfig> = {}): KodverkConfig {
  const root = projectRoot();
  return {
    port: intFromEnv('PORT', 8080),
    host: process.env.HOST ?? '0.0.0.0',
    dbPath: process.env.KODVERK_DB ?? path.join(root, 'data', 'kodverk.db'),
    contentPackDir: process.env.KODVERK_CONTENT ?? path.join(root, 'terminology'),
    apiToken: process.env.KODVERK_API_TOKEN || undefined,
    maxBodyBytes: intFromEnv('KODVERK_MAX_BODY_BYTES', 20 * 1024 * 1024),
    publicBaseUrl: process.env.KODVERK_BASE_URL || undefined,
    logLevel: process.env.LOG_LEVEL ?? 'info',
    expansionLimit: intFromEnv('KODVERK_EXPANSION_LIMIT', 10000),
    workers: intFromEnv('KODVERK_WORKERS', Math.min(4, Math.max(1, os.cpus().length))),
    loadFhirCore: !['0', 'false', 'no'].includes((process.env.KODVERK_FHIR_CORE ?? 'true').toLowerCase()),
    ...overrides,
  };
}
