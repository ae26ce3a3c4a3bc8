/**
 * Hit and miss counts of the engine's caches, per cache name, for the server's metrics. Each
 * thread counts its own; worker threads hand their counts to the pool with every answer (see
 * engine-worker.ts), which adds them to the HTTP thread's, so /metrics shows the whole process.
 */
export interface CacheCounts {
  [cache: string]: { hits: number; misses: number };
}

class CacheCounter {
  hits = 0;
  misses = 0;
  /** counts already handed on by takeCacheCounts() */
  private takenHits = 0;
  private takenMisses = 0;

  hit(): void {
    this.hits++;
  }

  miss(): void {
    this.misses++;
  }

  /** Counts a batch of lookups at once. */
  add(hits: number, misses: number): void {
    this.hits += hits;
    this.misses += misses;
  }

  /** Counts since the last call. */
  take(): { hits: number; misses: number } {
    const delta = { hits: this.hits - this.takenHits, misses: this.misses - this.takenMisses };
    this.takenHits = this.hits;
    this.takenMisses = this.misses;
    return delta;
  }
}

const counters = new Map<string, CacheCounter>();

/** The counter of one cache (made once per module; counting is two field increments). */
export function cacheCounter(name: string): CacheCounter {
  let c = counters.get(name);
  if (!c) counters.set(name, (c = new CacheCounter()));
  return c;
}

/** Every cache's counts in this thread. */
export function cacheCounts(): CacheCounts {
  const out: CacheCounts = {};
  for (const [name, c] of counters) out[name] = { hits: c.hits, misses: c.misses };
  return out;
}

/** Counts since the previous call (what a worker sends along with an answer); undefined when none. */
export function takeCacheCounts(): CacheCounts | undefined {
  let out: CacheCounts | undefined;
  for (const [name, c] of counters) {
    const d = c.take();
    if (d.hits || d.misses) (out ??= {})[name] = d;
  }
  return out;
}

/** Adds counts taken in another thread to this thread's. */
export function addCacheCounts(counts: CacheCounts): void {
  for (const [name, d] of Object.entries(counts)) {
    cacheCounter(name).add(d.hits, d.misses);
  }
}
