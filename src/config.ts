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
  /** Identities, roles, rate limits and request limits (README "Auth" and "Limits"). */
  security: SecurityConfig;
}

/** Identities, roles and the limits that keep hostile requests from breaking or stalling the server. */
export interface SecurityConfig {
  /** `public`: anyone reads; `authenticated`: reads need an identity too (any role). */
  readAccess: 'public' | 'authenticated';
  /** OpenID Connect issuer whose bearer JWTs are accepted (unset: no OIDC). */
  oidc?: {
    issuer: string;
    audience: string;
    /** claim holding the roles; a dotted path reaches into objects (realm_access.roles) */
    rolesClaim: string;
    /** the issuer's JWKS (default: discovered from its openid-configuration) */
    jwksUri?: string;
    /** tolerated clock difference for exp/nbf, seconds (at most 300) */
    clockSkewSeconds: number;
    /** least time between two fetches of the JWKS for an unknown key id, seconds */
    jwksCooldownSeconds?: number;
  };
  /** Most parameters (query and top-level body parameters together) one request may carry. */
  maxParameters: number;
  /** Deepest nesting of arrays and objects accepted in a JSON body. */
  maxJsonDepth: number;
  /** Requests per minute per client (API key, token subject or address); 0: no limit. */
  rateLimit: number;
  /** Requests per minute per client to expensive operations, submissions and imports; 0: no limit. */
  rateLimitExpensive: number;
  /** Failed authentications per minute per address before it is refused for the rest of the minute; 0: no limit. */
  authFailureLimit: number;
  /** Longest a terminology task may run on the worker pool, ms; then it is abandoned (too-costly). 0: no limit. */
  taskTimeLimitMs: number;
  /** Strict-Transport-Security max-age in seconds, sent when the server is reached over TLS (behind a proxy); 0: none. */
  hstsMaxAgeSeconds: number;
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

/** The security settings from KODVERK_READ_ACCESS, KODVERK_OIDC_*, KODVERK_RATE_LIMIT*, KODVERK_MAX_* and others. */
export function loadSecurityConfig(): SecurityConfig {
  const readAccess = (process.env.KODVERK_READ_ACCESS ?? 'public').trim().toLowerCase();
  if (readAccess !== 'public' && readAccess !== 'authenticated') throw new Error(`KODVERK_READ_ACCESS must be public or authenticated, got '${readAccess}'`);
  const issuer = process.env.KODVERK_OIDC_ISSUER?.trim();
  const audience = process.env.KODVERK_OIDC_AUDIENCE?.trim();
  if (issuer && !audience) throw new Error('KODVERK_OIDC_AUDIENCE must be set with KODVERK_OIDC_ISSUER (the audience tokens are issued for)');
  return {
    readAccess,
    oidc: issuer
      ? {
          issuer,
          audience: audience!,
          rolesClaim: process.env.KODVERK_OIDC_ROLES_CLAIM?.trim() || 'roles',
          jwksUri: process.env.KODVERK_OIDC_JWKS_URI?.trim() || undefined,
          clockSkewSeconds: Math.min(intFromEnv('KODVERK_OIDC_CLOCK_SKEW', 60), 300),
          jwksCooldownSeconds: intFromEnv('KODVERK_OIDC_JWKS_COOLDOWN', 30),
        }
      : undefined,
    maxParameters: Math.max(1, intFromEnv('KODVERK_MAX_PARAMETERS', 1000)),
    maxJsonDepth: Math.max(2, intFromEnv('KODVERK_MAX_JSON_DEPTH', 100)),
    rateLimit: intFromEnv('KODVERK_RATE_LIMIT', 3000),
    rateLimitExpensive: intFromEnv('KODVERK_RATE_LIMIT_EXPENSIVE', 300),
    authFailureLimit: intFromEnv('KODVERK_AUTH_FAILURE_LIMIT', 30),
    taskTimeLimitMs: intFromEnv('KODVERK_TASK_TIME_LIMIT_MS', 20000),
    hstsMaxAgeSeconds: intFromEnv('KODVERK_HSTS_MAX_AGE', 0),
  };
}

/** Overrides of the configuration (tests); `security` is merged into the loaded security settings. */
export type ConfigOverrides = Partial<Omit<KodverkConfig, 'security'>> & { security?: Partial<SecurityConfig> };

export function loadConfig(overrides: ConfigOverrides = {}): KodverkConfig {
  const root = projectRoot();
  const { security, ...rest } = overrides;
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
    ...rest,
    security: { ...loadSecurityConfig(), ...security },
  };
}
