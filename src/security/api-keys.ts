import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { Db } from '../store/database';
import { ApiKeyRow, ApiKeyStore } from '../store/api-key-store';
import { CredentialError, Identity, Role, isRole, ROLES } from './identity';

/**
 * API keys for installations without an identity provider. A key is `kv_<id>_<secret>` with 256
 * bits of secret; it is printed once and only a slow hash of it is stored.
 *
 * scrypt (node:crypto) rather than argon2: it is memory-hard as well, comes with Node (the argon2
 * package needs a native build or a downloaded binary), and verification runs on libuv's thread
 * pool, off the event loop. A key that verified is remembered (by its SHA-256, for a few minutes)
 * so the slow hash is paid once per key, not per request; revocation and expiry are read from the
 * store on every request and take effect at once.
 */

export const API_KEY_SYSTEM = 'https://kodverk.se/fhir/sid/api-key';

const KEY = /^kv_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** N = 2^15, r = 8, p = 1: about 32 MiB and some 50-100 ms per hash. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX = 1000;
/**
 * Verifications of one key id at a time. Each costs a scrypt (~0.2 s, 32 MiB, a libuv thread):
 * hundreds of wrong secrets for one id at once filled the thread pool for most of a minute and got
 * past the failure limit, which counts answers. A guess beyond this is refused without one.
 */
const CONCURRENT_VERIFICATIONS_PER_KEY = 2;

function scryptAsync(secret: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, 32, { ...params, maxmem: SCRYPT.maxmem }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

async function hashKey(key: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(key, salt, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

async function matches(key: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt') return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scryptAsync(key, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** What `list` shows of a key: never its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  role: Role;
  created: string;
  expires?: string;
  revoked?: string;
  state: 'active' | 'expired' | 'revoked';
}

function info(row: ApiKeyRow, now = new Date()): ApiKeyInfo {
  const state = row.revokedAt ? 'revoked' : row.expiresAt && Date.parse(row.expiresAt) <= now.getTime() ? 'expired' : 'active';
  return { id: row.keyId, name: row.name, role: row.role as Role, created: row.createdAt, expires: row.expiresAt, revoked: row.revokedAt, state };
}

/** A date (the end of that day, UTC) or an instant, as an ISO instant; undefined when absent. */
export function expiryInstant(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  const v = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : value;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) throw new Error(`The expiry '${value}' is not a date (YYYY-MM-DD) or an instant`);
  return new Date(t).toISOString();
}

export class ApiKeys {
  private readonly store: ApiKeyStore;
  /** sha256 of a presented key → the stored hash it verified against, and until when that counts */
  private readonly verified = new Map<string, { hash: string; until: number }>();
  /** key id → the scrypt verifications running for it, by the sha256 of the presented key */
  private readonly verifying = new Map<string, Map<string, Promise<boolean>>>();

  constructor(db: Db) {
    this.store = new ApiKeyStore(db);
  }

  /** Is this text shaped like one of our keys (and so not a JWT or the simple-mode token)? */
  static looksLikeKey(token: string): boolean {
    return KEY.test(token);
  }

  /** Creates a key; the returned `key` is the only time it exists outside the client. */
  async create(input: { name: string; role: string; expires?: string }, now = new Date()): Promise<{ key: string; info: ApiKeyInfo }> {
    const name = input.name?.trim();
    if (!name || name.length > 200) throw new Error('An API key needs a name (an organisation or system, never a person), at most 200 characters');
    if (!isRole(input.role)) throw new Error(`The role must be one of ${ROLES.join(', ')}, not '${input.role}'`);
    const expiresAt = expiryInstant(input.expires);
    if (expiresAt && Date.parse(expiresAt) <= now.getTime()) throw new Error('The expiry is in the past');
    const keyId = randomBytes(8).toString('hex').slice(0, 12);
    const key = `kv_${keyId}_${randomBytes(32).toString('base64url')}`;
    const row = { keyId, name, role: input.role, hash: await hashKey(key), createdAt: now.toISOString(), expiresAt };
    this.store.insert(row);
    return { key, info: info(row, now) };
  }

  list(now = new Date()): ApiKeyInfo[] {
    return this.store.list().map((r) => info(r, now));
  }

  /** Revokes the key with this id (or the one key with this name). */
  revoke(idOrName: string, now = new Date()): ApiKeyInfo {
    const found = this.store.find(idOrName);
    const live = found.filter((r) => !r.revokedAt);
    if (found.length === 0) throw new Error(`No API key has the id or name '${idOrName}'`);
    if (live.length === 0) throw new Error(`The API key '${idOrName}' is already revoked`);
    if (live.length > 1) throw new Error(`${live.length} keys are named '${idOrName}'; revoke one by its id (${live.map((r) => r.keyId).join(', ')})`);
    this.store.revoke(live[0].keyId, now.toISOString());
    return info(this.store.get(live[0].keyId)!, now);
  }

  /**
   * Does the presented key match the stored hash: one scrypt per distinct key presented at once (a
   * client's burst with its key waits for the one check), and at most
   * CONCURRENT_VERIFICATIONS_PER_KEY different ones per key id.
   */
  private verify(keyId: string, digest: string, key: string, hash: string): Promise<boolean> {
    let running = this.verifying.get(keyId);
    const same = running?.get(digest);
    if (same) return same;
    if (running && running.size >= CONCURRENT_VERIFICATIONS_PER_KEY) throw new CredentialError('The API key is being checked already; try again');
    if (!running) this.verifying.set(keyId, (running = new Map()));
    const check = matches(key, hash).finally(() => {
      running.delete(digest);
      if (running.size === 0 && this.verifying.get(keyId) === running) this.verifying.delete(keyId);
    });
    running.set(digest, check);
    return check;
  }

  /** The identity of a presented key; CredentialError when it is unknown, wrong, revoked or expired. */
  async identify(key: string, now = new Date()): Promise<Identity> {
    const m = KEY.exec(key);
    const row = m ? this.store.get(m[1]) : undefined;
    if (!row) throw new CredentialError('The API key is not known');
    const digest = createHash('sha256').update(key).digest('hex');
    const remembered = this.verified.get(digest);
    if (!(remembered && remembered.hash === row.hash && remembered.until > now.getTime())) {
      if (!(await this.verify(row.keyId, digest, key, row.hash))) throw new CredentialError('The API key is not known');
      this.verified.delete(digest);
      if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(digest, { hash: row.hash, until: now.getTime() + VERIFIED_TTL_MS });
    }
    if (row.revokedAt) throw new CredentialError('The API key has been revoked');
    if (row.expiresAt && Date.parse(row.expiresAt) <= now.getTime()) throw new CredentialError('The API key has expired');
    return { source: 'api-key', id: row.keyId, system: API_KEY_SYSTEM, name: row.name, roles: [row.role as Role] };
  }
}
