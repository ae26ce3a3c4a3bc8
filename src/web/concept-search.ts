import type { ConceptCandidate, ResourceHead, WebQueries } from '../store/browse-queries';
import { compareVersions } from '../terminology/versions';
import { foldSv, searchTerms, stem, wordsOf } from './swedish';

/** KSI's sakområde flags (boolean concept properties; see src/importers/ksi.ts). */
export const SAKOMRADE_FLAGS = ['ÄOH', 'ÄOU', 'FunkH', 'FunkU', 'BoUH', 'BoUU', 'VuxMissbrukH', 'VuxMissbrukU', 'EkBistHU'];

export interface ConceptFilters {
  /** code system canonical URL */
  system?: string;
  version?: string;
  status?: 'active' | 'inactive';
  sakomrade?: string;
}

export interface ConceptHit extends ConceptCandidate {
  cs: ResourceHead;
}

export interface FacetValue {
  value: string;
  label: string;
  count: number;
}

export interface ConceptSearchResult {
  hits: ConceptHit[];
  total: number;
  /** the match set was cut at the candidate limit: totals and facets are lower bounds */
  capped: boolean;
  facets: { system: FacetValue[]; version: FacetValue[]; status: FacetValue[]; sakomrade: FacetValue[] };
}

/** How many matches are ranked and counted at most (Snomed CT can match hundreds of thousands). */
export const CANDIDATE_LIMIT = 5000;

/**
 * Concept search over every code system: Swedish stems as prefixes (the index keeps å/ä/ö), then
 * ranked: exact code hits first, then concepts whose display has every query word as a whole
 * word (or its stem), displays starting with the query, then bm25. Facets are counted over the
 * match set with every other facet's filter applied, so each facet shows its alternatives.
 */
export function searchConcepts(queries: WebQueries, q: string, filters: ConceptFilters, offset: number, count: number): ConceptSearchResult {
  const heads = queries.heads().byPk;
  const exact = q.trim() ? queries.conceptsByCode(q.trim()) : [];
  const text = queries.searchConcepts(searchTerms(q), CANDIDATE_LIMIT);
  const seen = new Set<number>();
  const all: ConceptHit[] = [];
  for (const c of [...exact, ...text]) {
    const cs = heads.get(c.csPk);
    if (!cs || seen.has(c.pk)) continue;
    seen.add(c.pk);
    all.push({ ...c, cs });
  }
  const score = scorer(q);
  const ranked = all.map((h) => ({ h, s: score(h) })).sort((a, b) => a.s[0] - b.s[0] || a.s[1] - b.s[1] || a.h.rank - b.h.rank).map((x) => x.h);
  const keep = (h: ConceptHit, except?: keyof ConceptFilters) =>
    (except === 'system' || !filters.system || h.cs.url === filters.system) &&
    (except === 'version' || !filters.version || h.cs.version === filters.version) &&
    (except === 'status' || !filters.status || (filters.status === 'inactive') === h.inactive) &&
    (except === 'sakomrade' || !filters.sakomrade || h.flags.includes(filters.sakomrade));
  // one hit per code: its latest version, unless a version is asked for (the version facet counts them all)
  const latestOnly = filters.version ? ranked : latestVersions(ranked);
  const hits = latestOnly.filter((h) => keep(h));
  const facet = (name: keyof ConceptFilters, valueOf: (h: ConceptHit) => string[], label: (v: string) => string): FacetValue[] => {
    const counts = new Map<string, number>();
    for (const h of name === 'version' ? ranked : latestOnly) if (keep(h, name)) for (const v of valueOf(h)) counts.set(v, (counts.get(v) ?? 0) + 1);
    return [...counts].map(([value, n]) => ({ value, label: label(value), count: n })).sort((a, b) => b.count - a.count || a.label.localeCompare(b.label, 'sv'));
  };
  const titleOf = new Map(ranked.map((h) => [h.cs.url ?? '', h.cs.title ?? h.cs.name ?? h.cs.url ?? '']));
  return {
    hits: hits.slice(offset, offset + count),
    total: hits.length,
    capped: text.length >= CANDIDATE_LIMIT,
    facets: {
      system: facet('system', (h) => [h.cs.url ?? ''], (v) => titleOf.get(v) ?? v),
      version: facet('version', (h) => (h.cs.version ? [h.cs.version] : []), (v) => v),
      status: facet('status', (h) => [h.inactive ? 'inactive' : 'active'], (v) => v),
      sakomrade: facet('sakomrade', (h) => h.flags.filter((f) => SAKOMRADE_FLAGS.includes(f)), (v) => v),
    },
  };
}

/** The hits of the latest version of each code system among the hits, per code (order kept). */
function latestVersions(hits: ConceptHit[]): ConceptHit[] {
  const best = new Map<string, ConceptHit>();
  for (const h of hits) {
    const k = `${h.cs.url}|${h.code}`;
    const seen = best.get(k);
    if (!seen || compareVersions(h.cs.version, seen.cs.version) > 0) best.set(k, h);
  }
  return hits.filter((h) => best.get(`${h.cs.url}|${h.code}`) === h);
}

/**
 * How far apart the query words stand in a display: the sum of the gaps between consecutive
 * query words found in order ("bedömning av lärande" is closer to "bedömning lärande" than
 * "bedömning av grundläggande lärande"); words not in order count as far.
 */
function spread(positions: number[]): number {
  let total = 0;
  for (let i = 1; i < positions.length; i++) total += positions[i] > positions[i - 1] ? positions[i] - positions[i - 1] - 1 : 10;
  return total;
}

/** Sort keys of a hit for a query: [match class, closeness]. Lower is better. */
function scorer(q: string): (h: ConceptHit) => [number, number] {
  const query = foldSv(q.trim());
  const words = wordsOf(q);
  const stems = words.map(stem);
  return (h) => {
    if (foldSv(h.code) === query) return [0, 0];
    const display = foldSv(h.display ?? '');
    const dWords = wordsOf(display);
    const dStemList = dWords.map(stem);
    const positions = stems.map((s, i) => {
      const at = dStemList.indexOf(s);
      return at >= 0 ? at : dWords.indexOf(words[i]);
    });
    const whole = positions.every((p) => p >= 0);
    if (display === query) return [1, 0];
    // closeness first, then shorter displays (more of them is the query)
    const close = spread(positions) * 100 + dWords.length;
    if (whole && display.startsWith(words[0] ?? '')) return [2, close];
    if (whole) return [3, close];
    if (display.startsWith(query)) return [4, dWords.length];
    return [5, h.inactive ? 1 : 0];
  };
}
