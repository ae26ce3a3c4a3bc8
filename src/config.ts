import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

/** Who may call the API from a browser: any origin, the listed origins, or none (no CORS). */
export type CorsOrigins = '*' | string[] | false;

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
  /** Most codes an unpaged expansion may return before it is refused as too costly. */
  expansionLimit: number;
  /** Most codes a paged expansion reaches (offset + count) and counts for its total; what $compare expands. */
  pagedExpansionLimit: number;
  /** Load the FHIR R4 core code systems and value sets into a new store. */
  loadFhirCore: boolean;
  /** Worker threads for terminology operations (0: run them on the HTTP thread). */
  workers: number;
  /** The syndication feed this instance publishes (README "Scale out"). */
  syndication: SyndicationConfig;
  /** Set on a follower (read replica): the feeds it takes its content from. */
  follow?: FollowConfig;
  /** Serve Prometheus metrics at /metrics (and measure requests for them). */
  metrics: boolean;
  /** Longest time to receive a whole request (headers and body), ms; then 408. */
  requestTimeoutMs: number;
  /** Longest time to receive the request headers, ms (at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open, ms. */
  keepAliveTimeoutMs: number;
  /** Longest wait for requests in flight at shutdown before they are cut off, ms. */
  shutdownGraceMs: number;
  /** Longest URL accepted (bytes); longer: 414. */
  maxUrlBytes: number;
  /** Largest request line and headers together (bytes, Node's maxHeaderSize); larger: 431 (414 when the URL alone is). */
  maxHeaderBytes: number;
  /** Origins that may call the API from a browser ('*': any, without credentials; false: CORS off). */
  corsOrigins: CorsOrigins;
  /** express's `trust proxy`: whether (and which) X-Forwarded-* headers are believed. */
  trustProxy: boolean | number | string[];
  /** Identities, roles, rate limits and request limits (README "Auth" and "Limits"). */
  security: SecurityConfig;
  /** Terminology client caches ($cache-control): how many, how big together, how long idle. */
  clientCaches: ClientCacheLimits;
}

/** Terminology client caches ($cache-control, README "Client caches"). */
export interface ClientCacheLimits {
  /** most caches held at once */
  maxCaches: number;
  /** most bytes (of the resources' JSON) all caches hold together */
  maxBytes: number;
  /** a cache not used for this long is dropped, ms */
  idleMs: number;
}

/** What the syndication feed (GET /syndication/feed.xml) publishes, and to whom. */
export interface SyndicationConfig {
  /** public: anyone reads the feed; authenticated: only clients with credentials; off: no feed */
  access: 'public' | 'authenticated' | 'off';
  /** publish the FHIR R4 core terminology too (every Kodverk loads it itself) */
  includeFhirCore: boolean;
  /** entries whose content item identifier starts with `prefix` need the permission `code` */
  permissions: { prefix: string; code: string }[];
  /** content item identifier prefixes that are never published */
  exclude: string[];
  /** folder of the content-addressed artefacts (packages, RF2 archives) */
  artefactDir: string;
}

/** A follower: the feeds it follows and how. */
export interface FollowConfig {
  /** Atom feed URLs (NCTS ASF profile), taken in in this order */
  feeds: string[];
  /** bearer token sent to the feeds and their artefact links */
  token?: string;
  /** time between polls when all is well, ms */
  intervalMs: number;
  /** longest wait between polls after failures (the wait doubles from intervalMs), ms */
  maxBackoffMs: number;
  /** NCTS ASF category terms taken in (retractions of the FHIR types are always honoured) */
  categories: string[];
  /** where artefacts may be downloaded from (URL prefixes); the feeds' own origins always */
  allow: string[];
  /** the primary named in the answer to a write (default: the first feed's origin) */
  primaryUrl: string;
}

/** An OpenID Connect issuer whose bearer JWTs are accepted (src/security/oidc.ts verifies them). */
export interface OidcSettings {
  issuer: string;
  audience: string;
  /** claim holding the roles; a dotted path reaches into objects (`realm_access.roles`) */
  rolesClaim: string;
  /** the JWKS address; discovered from the issuer's openid-configuration when absent */
  jwksUri?: string;
  /** tolerated clock difference for exp/nbf, seconds (at most 300) */
  clockSkewSeconds: number;
  /** least time between two fetches of the JWKS for an unknown key id, seconds (default 30) */
  jwksCooldownSeconds?: number;
}

/** Identities, roles and the limits that keep hostile requests from breaking or stalling the server. */
export interface SecurityConfig {
  /** `public`: anyone reads; `authenticated`: reads need an identity too (any role). */
  readAccess: 'public' | 'authenticated';
  /** OpenID Connect issuer whose bearer JWTs are accepted (unset: no OIDC). */
  oidc?: OidcSettings;
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

/**
 * The compiled JavaScript of the module `name` in the folder of `from` (a caller's __filename):
 * a worker thread needs JavaScript, and tests run the TypeScript sources, whose workers are then
 * taken from dist/ (built by the test command).
 */
export function compiledBeside(from: string, name: string): string {
  if (!from.endsWith('.ts')) return path.join(path.dirname(from), `${name}.js`);
  return path.join(projectRoot(), 'dist', path.relative(projectRoot(), path.dirname(from)), `${name}.js`);
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

function listFromEnv(name: string, fallback: string[]): string[] {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}

/** The followed feeds from KODVERK_FOLLOW (comma-separated URLs), or undefined on a primary. */
export function loadFollowConfig(feedsRaw = process.env.KODVERK_FOLLOW): FollowConfig | undefined {
  const feeds = (feedsRaw ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!feeds.length) return undefined;
  for (const f of feeds) {
    let u: URL;
    try {
      u = new URL(f);
    } catch {
      throw new Error(`KODVERK_FOLLOW must hold feed URLs, got '${f}'`);
    }
    if (!['http:', 'https:'].includes(u.protocol)) throw new Error(`KODVERK_FOLLOW: '${f}' is not an http(s) URL`);
  }
  const intervalMs = Math.max(100, intFromEnv('KODVERK_FOLLOW_INTERVAL_MS', 60_000));
  return {
    feeds,
    token: process.env.KODVERK_FOLLOW_TOKEN || undefined,
    intervalMs,
    maxBackoffMs: Math.max(intervalMs, intFromEnv('KODVERK_FOLLOW_MAX_BACKOFF_MS', 15 * 60_000)),
    categories: listFromEnv('KODVERK_FOLLOW_CATEGORIES', ['FHIR_Package', 'FHIR_CodeSystem', 'FHIR_ValueSet', 'FHIR_ConceptMap', 'FHIR_Bundle', 'SCT_RF2_SNAPSHOT', 'SCT_RF2_ALL']),
    allow: listFromEnv('KODVERK_FOLLOW_ALLOW', []),
    primaryUrl: process.env.KODVERK_PRIMARY_URL || new URL(feeds[0]).origin,
  };
}

/** KODVERK_SYNDICATION* (README "Scale out"); `dbPath` places the artefact folder by default. */
export function loadSyndicationConfig(dbPath: string): SyndicationConfig {
  const access = (process.env.KODVERK_SYNDICATION ?? 'public').trim().toLowerCase();
  if (access !== 'public' && access !== 'authenticated' && access !== 'off') throw new Error(`KODVERK_SYNDICATION must be public, authenticated or off, got '${access}'`);
  const permissions = listFromEnv('KODVERK_SYNDICATION_PERMISSIONS', ['http://snomed.info/sct=snomed-ct', 'http://snomed.info/xsct=snomed-ct']).map((rule) => {
    const cut = rule.lastIndexOf('=');
    if (cut <= 0 || cut === rule.length - 1) throw new Error(`KODVERK_SYNDICATION_PERMISSIONS: '${rule}' is not <identifier prefix>=<permission>`);
    return { prefix: rule.slice(0, cut), code: rule.slice(cut + 1) };
  });
  return {
    access,
    includeFhirCore: boolFromEnv('KODVERK_SYNDICATION_FHIR_CORE', false),
    permissions,
    exclude: listFromEnv('KODVERK_SYNDICATION_EXCLUDE', []),
    artefactDir: process.env.KODVERK_ARTEFACTS || (dbPath === ':memory:' ? path.join(os.tmpdir(), 'kodverk-artefacts') : path.join(path.dirname(path.resolve(dbPath)), 'artefacts')),
  };
}

/** KODVERK_CORS_ORIGINS: unset or `*`, `none`, or origins (`https://app.example.se`) separated by commas or spaces. */
export function parseCorsOrigins(raw: string | undefined): CorsOrigins {
  const value = (raw ?? '').trim();
  if (value === '' || value === '*') return '*';
  if (['none', 'off', 'false'].includes(value.toLowerCase())) return false;
  return value.split(/[\s,]+/).map((o) => {
    const url = URL.canParse(o) ? new URL(o) : undefined;
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== o.replace(/\/$/, '')) throw new Error(`KODVERK_CORS_ORIGINS: '${o}' is not an origin (scheme://host[:port])`);
    return url.origin;
  });
}

/**
 * express's `trust proxy` setting from KODVERK_TRUST_PROXY: unset or `false` (X-Forwarded-* is
 * ignored), `true` (trust every hop), a number of hops, or addresses/subnets/names
 * (`loopback`, `uniquelocal`, `10.0.0.0/8`) separated by commas.
 */
export function parseTrustProxy(raw: string | undefined): boolean | number | string[] {
  const value = (raw ?? '').trim();
  if (value === '' || value.toLowerCase() === 'false') return false;
  if (value.toLowerCase() === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(/\s*,\s*/).filter(Boolean);
}

/** KODVERK_BASE_URL: the public FHIR base, an http(s) URL (links in answers always use it). */
function baseUrlFromEnv(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash) throw new Error(`KODVERK_BASE_URL must be an http(s) URL without query, got '${raw}'`);
  return raw.replace(/\/$/, '');
}

function boolFromEnv(name: string, fallback: boolean): boolean {
  const raw = (process.env[name] ?? '').trim().toLowerCase();
  if (raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got '${process.env[name]}'`);
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
  const dbPath = rest.dbPath ?? process.env.KODVERK_DB ?? path.join(root, 'data', 'kodverk.db');
  return {
    port: intFromEnv('PORT', 8080),
    host: process.env.HOST ?? '0.0.0.0',
    dbPath,
    contentPackDir: process.env.KODVERK_CONTENT ?? path.join(root, 'terminology'),
    apiToken: process.env.KODVERK_API_TOKEN || undefined,
    maxBodyBytes: intFromEnv('KODVERK_MAX_BODY_BYTES', 20 * 1024 * 1024),
    publicBaseUrl: baseUrlFromEnv(process.env.KODVERK_BASE_URL),
    logLevel: process.env.LOG_LEVEL ?? 'info',
    expansionLimit: intFromEnv('KODVERK_EXPANSION_LIMIT', 3000),
    pagedExpansionLimit: intFromEnv('KODVERK_PAGED_EXPANSION_LIMIT', 10000),
    workers: intFromEnv('KODVERK_WORKERS', Math.min(4, Math.max(1, os.cpus().length))),
    loadFhirCore: boolFromEnv('KODVERK_FHIR_CORE', true),
    syndication: loadSyndicationConfig(dbPath),
    follow: loadFollowConfig(),
    metrics: boolFromEnv('KODVERK_METRICS', true),
    requestTimeoutMs: intFromEnv('KODVERK_REQUEST_TIMEOUT_MS', 30_000),
    headersTimeoutMs: intFromEnv('KODVERK_HEADERS_TIMEOUT_MS', 10_000),
    keepAliveTimeoutMs: intFromEnv('KODVERK_KEEPALIVE_TIMEOUT_MS', 5_000),
    shutdownGraceMs: intFromEnv('KODVERK_SHUTDOWN_GRACE_MS', 25_000),
    maxUrlBytes: intFromEnv('KODVERK_MAX_URL_BYTES', 8192),
    maxHeaderBytes: intFromEnv('KODVERK_MAX_HEADER_BYTES', 16384),
    corsOrigins: parseCorsOrigins(process.env.KODVERK_CORS_ORIGINS),
    trustProxy: parseTrustProxy(process.env.KODVERK_TRUST_PROXY),
    clientCaches: {
      maxCaches: Math.max(1, intFromEnv('KODVERK_CLIENT_CACHES', 200)),
      maxBytes: intFromEnv('KODVERK_CLIENT_CACHE_MB', 256) * 1024 * 1024,
      idleMs: Math.max(1, intFromEnv('KODVERK_CLIENT_CACHE_IDLE_MINUTES', 30)) * 60_000,
    },
    ...rest,
    security: { ...loadSecurityConfig(), ...security },
  };
}
