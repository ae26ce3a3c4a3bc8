/**
 * Resources a client registered earlier (a terminology client cache, $cache-control), handed to the
 * engine as one JSON array (UTF-8, in shared memory: handing it to a worker thread copies nothing)
 * with a key that changes whenever they do. Each thread keeps what it parsed under the key, so a
 * call that names the same cache again reuses the same resource objects — and the code-system
 * providers built from them (context.ts) — instead of parsing and building them anew.
 */
export interface HeldResources {
  key: string;
  json: Uint8Array;
}

/** The resources' JSON text as HeldResources.json wants it. */
export function sharedText(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'utf8');
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}

/** Most JSON text (bytes) whose parse a thread keeps; least recently used dropped first. */
const KEPT_TEXT = 64 * 1024 * 1024;
const kept = new Map<string, { resources: any[]; size: number }>();
let keptSize = 0;

function parsed(held: HeldResources): any[] {
  const hit = kept.get(held.key);
  if (hit) {
    kept.delete(held.key);
    kept.set(held.key, hit);
    return hit.resources;
  }
  // shared by every call that names the cache from now on: frozen, so no call can change them for the next
  const resources = deepFreeze(JSON.parse(Buffer.from(held.json.buffer, held.json.byteOffset, held.json.byteLength).toString('utf8'))) as any[];
  const size = held.json.byteLength;
  if (size <= KEPT_TEXT) {
    kept.set(held.key, { resources, size });
    keptSize += size;
    for (const [key, entry] of kept) {
      if (keptSize <= KEPT_TEXT) break;
      kept.delete(key);
      keptSize -= entry.size;
    }
  }
  return resources;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Lets go of every parse kept (a thread that has been idle a while: memory falls back after load). */
export function forgetHeldResources(): void {
  kept.clear();
  keptSize = 0;
}

/** What makes two resources the same one here: type, url and version (a later one replaces an earlier). */
export const sameResourceKey = (r: any): string => `${r.resourceType}|${r.url}|${r.version ?? ''}`;

/**
 * The request with the held resources among its tx-resources, after its own: a resource the call
 * sent itself wins over a held one of the same type, url and version.
 */
export function withHeldResources<R extends { txResources: any[]; heldResources?: HeldResources }>(request: R): R {
  if (!request.heldResources) return request;
  const own = new Set(request.txResources.filter((r) => r && typeof r.url === 'string').map(sameResourceKey));
  const held = parsed(request.heldResources).filter((r) => !own.has(sameResourceKey(r)));
  return { ...request, txResources: [...request.txResources, ...held], heldResources: undefined };
}
