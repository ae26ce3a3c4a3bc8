/**
 * A cache bounded by the size of what it holds (an estimate in bytes per entry), not by the
 * number of entries: the least recently used entries go first once the budget is spent.
 */
export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; size: number }>();
  private used = 0;

  constructor(
    private readonly budget: number,
    private readonly sizeOf: (value: V, key: K) => number,
  ) {}

  get size(): number {
    return this.map.size;
  }

  get bytes(): number {
    return this.used;
  }

  peek(key: K): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    this.map.delete(key);
    this.map.set(key, hit);
    return hit.value;
  }

  /** The cached value, or the computed one (kept when it fits the budget). */
  get(key: K, compute: () => V): V {
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.map.set(key, hit);
      return hit.value;
    }
    const value = compute();
    this.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    const size = this.sizeOf(value, key);
    const old = this.map.get(key);
    if (old) {
      this.used -= old.size;
      this.map.delete(key);
    }
    if (size > this.budget) return;
    this.map.set(key, { value, size });
    this.used += size;
    for (const [k, v] of this.map) {
      if (this.used <= this.budget) break;
      this.map.delete(k);
      this.used -= v.size;
    }
  }

  delete(key: K): void {
    const old = this.map.get(key);
    if (!old) return;
    this.used -= old.size;
    this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
    this.used = 0;
  }
}
