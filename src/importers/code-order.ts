import type { CodeSystemConcept } from 'fhir/r4';

/**
 * Concepts in code order at every level of the hierarchy (siblings sorted by code, by code
 * point: SA1.AA.ZZ before SA2, b1303 before b1309). The store keeps this source order, so KSI,
 * ICF and KVÅ expand, list and show their trees in code order, each code under its parent (the
 * hierarchy order and the code order agree for these classifications).
 */
export function inCodeOrder(concepts: CodeSystemConcept[]): CodeSystemConcept[] {
  return [...concepts]
    .sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0))
    .map((c) => (c.concept?.length ? { ...c, concept: inCodeOrder(c.concept) } : c));
}
