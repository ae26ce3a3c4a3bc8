import crypto from 'node:crypto';
import { TerminologyError } from './issues';
import type { ClientCacheLimits } from '../config';
import { HeldResources, sameResourceKey, sharedText } from './held-resources';

/**
 * Terminology client caches (the HL7 tools IG's `$cache-control` protocol): a client that sends
 * the same code systems, value sets and concept maps with call after call (a validator, an IG
 * build) registers them once under a cache id, then names them by url alone. A cache lives in this
 * process only, holds definitions (never answers), and is dropped when ended, when idle for
 * `idleMs`, or — least recently used first — when the caches together would hold more than
 * `maxBytes` or number more than `maxCaches`: a client that then names it gets `cache-id-unknown`
 * and can start again.
 */

/** The resource types a cache holds (what tx-resource carries and an operation can name by url). */
const CACHED_TYPES = new Set(['CodeSystem', 'ValueSet', 'ConceptMap']);
/** A FHIR id: what a cache id must look like (server-issued ones are UUIDs). */
const CACHE_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** What `check` reports of a cache. */
export interface ClientCacheStatus {
  id: string;
  sealed: boolean;
  resources: number;
  bytes: number;
  created: Date;
  lastUsed: Date;
  expires: Date;
}

/** A resource as held: its JSON (the engine's threads parse a cache once each: held-resources.ts). */
interface Held {
  json: string;
  bytes: number;
}

interface ClientCache {
  id: string;
  sealed: boolean;
  /** by type, url and version (sameResourceKey) */
  held: Map<string, Held[]>;
  bytes: number;
  created: number;
  lastUsed: number;
  /** counts the changes: the key of what the engine is handed changes with it */
  generation: number;
  /** the resources as one JSON array (shared memory), made when first handed over after a change */
  text?: Uint8Array;
}

/** The resources of a call that a cache can hold: code systems, value sets and concept maps with a url. */
function cacheable(resources: unknown[]): any[] {
  return resources.filter((r: any) => r && CACHED_TYPES.has(r.resourceType) && typeof r.url === 'string' && r.url !== '');
}

const sum = (list: Held[]) => list.reduce((n, h) => n + h.bytes, 0);
const count = (c: ClientCache) => [...c.held.values()].reduce((n, list) => n + list.length, 0);

function cacheIdUnknown(id: string): TerminologyError {
  const named = CACHE_ID.test(id) ? ` '${id}'` : '';
  return TerminologyError.of(
    { severity: 'error', code: 'not-found', txType: 'cache-id-unknown', text: `The cache${named} is not known to this server: it was never started, has ended or timed out, or was dropped for room. Start a new one with $cache-control (mode=start) and send its resources again` },
    404,
  );
}

export class ClientCaches {
  /** in order of last use, least recent first */
  private readonly caches = new Map<string, ClientCache>();
  private total = 0;
  /** caches dropped for idleness or room since start (for the metrics) */
  dropped = 0;

  constructor(
    readonly limits: ClientCacheLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a cache holding `resources`; sealed: it never takes more. */
  start(resources: unknown[], sealed: boolean): ClientCacheStatus {
    return this.open(crypto.randomUUID(), resources, sealed);
  }

  /** Ends a cache; true when it was there (ending one that is not is no error: it is gone either way). */
  end(id: string): boolean {
    this.sweep();
    const cache = this.caches.get(id);
    if (!cache) return false;
    this.drop(cache);
    return true;
  }

  /** The status of a live cache (checking is use: its idle time starts again), else cache-id-unknown. */
  check(id: string): ClientCacheStatus {
    return this.status(this.touch(id));
  }

  /**
   * What a call that names the cache hands the engine beside what it sent (its tx-resources win
   * over held ones of the same type, url and version: held-resources.ts): undefined when the cache
   * is empty. An unsealed cache first takes in what the call sent, its tx-resources and its inline
   * resources (a value set to expand, ...). Unknown id: cache-id-unknown.
   */
  use(id: string, txResources: unknown[], inline: unknown[] = []): HeldResources | undefined {
    const cache = this.touch(id);
    const fresh = [...cacheable(txResources), ...cacheable(inline)];
    if (!cache.sealed && fresh.length) this.add(cache, fresh);
    if (cache.held.size === 0) return undefined;
    cache.text ??= sharedText(`[${[...cache.held.values()].flatMap((list) => list.map((h) => h.json)).join(',')}]`);
    return { key: `${cache.id}#${cache.generation}`, json: cache.text };
  }

  /** Caches held, resources and bytes in them (metrics). */
  stats(): { caches: number; resources: number; bytes: number; dropped: number } {
    this.sweep();
    let resources = 0;
    for (const c of this.caches.values()) resources += count(c);
    return { caches: this.caches.size, resources, bytes: this.total, dropped: this.dropped };
  }

  private open(id: string, resources: unknown[], sealed: boolean): ClientCacheStatus {
    this.sweep();
    const t = this.now();
    const cache: ClientCache = { id, sealed, held: new Map(), bytes: 0, created: t, lastUsed: t, generation: 0 };
    this.add(cache, cacheable(resources));
    this.caches.set(id, cache);
    this.total += cache.bytes;
    this.makeRoom(cache);
    return this.status(cache);
  }

  private touch(id: string): ClientCache {
    this.sweep();
    const cache = this.caches.get(id);
    if (!cache) throw cacheIdUnknown(id);
    cache.lastUsed = this.now();
    // most recently used last
    this.caches.delete(id);
    this.caches.set(id, cache);
    return cache;
  }

  /**
   * Adds resources to a cache, all or none (one cache alone may not outgrow every cache's room).
   * What one call sends under a type, url and version replaces what the cache held under it; a
   * call may send several (two concept maps of one url and version are both held, as sent).
   */
  private add(cache: ClientCache, resources: any[]): void {
    const sent = new Map<string, Held[]>();
    for (const r of resources) {
      const key = sameResourceKey(r);
      const json = JSON.stringify(r);
      sent.set(key, [...(sent.get(key) ?? []), { json, bytes: Buffer.byteLength(json) }]);
    }
    // what the cache holds already, as it holds it, changes nothing (a client sending the same each time)
    for (const [key, list] of sent) {
      const had = cache.held.get(key);
      if (had && had.length === list.length && had.every((h, i) => h.json === list[i].json)) sent.delete(key);
    }
    if (sent.size === 0) return;
    let bytes = cache.bytes;
    for (const [key, list] of sent) bytes += sum(list) - sum(cache.held.get(key) ?? []);
    if (bytes > this.limits.maxBytes) {
      throw TerminologyError.of(
        { severity: 'error', code: 'too-long', txType: 'invalid-data', text: `A cache may hold at most ${this.limits.maxBytes} bytes of resources; these would make it ${bytes}` },
        413,
      );
    }
    const live = this.caches.get(cache.id) === cache;
    if (live) this.total += bytes - cache.bytes;
    for (const [key, list] of sent) cache.held.set(key, list);
    cache.bytes = bytes;
    cache.generation++;
    cache.text = undefined;
    if (live) this.makeRoom(cache);
  }

  /** Drops the least recently used caches (never `keep`) until the limits hold. */
  private makeRoom(keep: ClientCache): void {
    for (const c of this.caches.values()) {
      if (this.total <= this.limits.maxBytes && this.caches.size <= this.limits.maxCaches) return;
      if (c === keep) continue;
      this.drop(c);
      this.dropped++;
    }
  }

  /** Drops the caches idle for longer than the limit (the least recently used come first). */
  private sweep(): void {
    const before = this.now() - this.limits.idleMs;
    for (const c of this.caches.values()) {
      if (c.lastUsed > before) return;
      this.drop(c);
      this.dropped++;
    }
  }

  private drop(cache: ClientCache): void {
    this.caches.delete(cache.id);
    this.total -= cache.bytes;
  }

  private status(c: ClientCache): ClientCacheStatus {
    return { id: c.id, sealed: c.sealed, resources: count(c), bytes: c.bytes, created: new Date(c.created), lastUsed: new Date(c.lastUsed), expires: new Date(c.lastUsed + this.limits.idleMs) };
  }
}
