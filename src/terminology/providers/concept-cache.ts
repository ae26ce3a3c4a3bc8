import type { Concept } from './provider';

/**
 * The budget of each stored code system's cache of built concepts, per worker thread, in bytes
 * (KODVERK_CONCEPT_CACHE_MB, default 32): caches are bounded by the size of what they hold.
 */
export function conceptCacheBytes(): number {
  const mb = Number(process.env.KODVERK_CONCEPT_CACHE_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 32) * 1024 * 1024;
}

/** An estimate of what a built concept holds (strings count twice: UTF-16). */
export function conceptSize(c: Concept): number {
  let n = 400 + 2 * (c.code.length + (c.display?.length ?? 0) + (c.definition?.length ?? 0));
  for (const d of c.designations) n += 150 + 2 * d.value.length;
  n += 100 * c.properties.length + 200 * c.extensions.length;
  return n;
}
