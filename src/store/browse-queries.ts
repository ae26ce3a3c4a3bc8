import type { Db } from './database';
import type { ResourceStore } from './resource-store';

/**
 * The read-only queries the pages need beyond what the stores offer: a text search over the
 * concepts of every code system at once (the stores search one code system at a time), value
 * counts of a property, and totals for the start page. They only read, and they read the same
 * tables as src/store/concept-store.ts (same FTS5 index, same tokenizer).
 */

export interface ResourceHead {
  pk: number;
  resourceType: string;
  id: string;
  url?: string;
  version?: string;
  name?: string;
  title?: string;
  status?: string;
  date?: string;
  publisher?: string;
  content?: string;
}

export interface ConceptCandidate {
  pk: number;
  csPk: number;
  code: string;
  display: string | null;
  inactive: boolean;
  /** bm25 of the text match (lower is better) */
  rank: number;
  /** boolean properties of the concept that are true (KSI's sakområde flags among them) */
  flags: string[];
}

export interface TreeNode {
  code: string;
  display: string;
  inactive: boolean;
  children: number;
}

export interface ConceptSummary {
  code: string;
  display: string;
  definition: string;
  status: string;
  parents: string;
  properties: string;
}

/** A concept as a search candidate, with its true boolean properties (tab-separated). */
const CANDIDATE_COLUMNS = `c.pk, c.cs_pk AS csPk, c.code, c.display, c.inactive,
  (SELECT group_concat(p.code, char(9)) FROM concept_property p
    WHERE p.concept_pk = c.pk AND p.value_type = 'valueBoolean' AND p.value_text = 'true') AS flags`;

function candidateOf(r: any): ConceptCandidate {
  return { pk: r.pk, csPk: r.csPk, code: r.code, display: r.display, inactive: r.inactive === 1, rank: r.rank, flags: r.flags ? String(r.flags).split('\t') : [] };
}

export class WebQueries {
  private headsCache?: { key: string; byPk: Map<number, ResourceHead>; all: ResourceHead[] };

  constructor(
    private readonly db: Db,
    private readonly store: ResourceStore,
  ) {}

  /** Every canonical resource's metadata columns (not its JSON), cached until the store changes. */
  heads(): { byPk: Map<number, ResourceHead>; all: ResourceHead[] } {
    const key = this.store.changeCounter;
    if (this.headsCache?.key === key) return this.headsCache;
    const rows = this.db
      .prepare(
        `SELECT pk, resource_type AS resourceType, id, url, version, name, title, status, date, publisher, content FROM resource
         WHERE resource_type IN ('CodeSystem', 'ValueSet', 'ConceptMap') ORDER BY resource_type, url, version`,
      )
      .all() as any[];
    const all: ResourceHead[] = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) as unknown as ResourceHead);
    this.headsCache = { key, byPk: new Map(all.map((h) => [h.pk, h])), all };
    return this.headsCache;
  }

  /** Concepts per code system row (one grouped scan, cached with the heads). */
  conceptCounts(): Map<number, number> {
    const key = this.store.changeCounter;
    if (this.countsCache?.key === key) return this.countsCache.counts;
    const rows = this.db.prepare('SELECT cs_pk AS pk, count(*) AS n FROM concept GROUP BY cs_pk').all() as { pk: number; n: number }[];
    this.countsCache = { key, counts: new Map(rows.map((r) => [r.pk, r.n])) };
    return this.countsCache.counts;
  }
  private countsCache?: { key: string; counts: Map<number, number> };

  /**
   * Concepts of every code system whose text (display, designations, code) has words starting
   * with each term: the best `limit` by bm25. Terms are FTS5 prefix terms, already stemmed.
   */
  searchConcepts(terms: string[], limit: number): ConceptCandidate[] {
    if (terms.length === 0) return [];
    const match = terms.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' AND ');
    const rows = this.db
      .prepare(
        `SELECT ${CANDIDATE_COLUMNS}, m.rank
         FROM (SELECT concept_pk, rank FROM concept_text WHERE concept_text MATCH ? ORDER BY rank LIMIT ?) m
         JOIN concept c ON c.pk = m.concept_pk`,
      )
      .all(match, limit) as any[];
    return rows.map(candidateOf);
  }

  /** Concepts whose code is exactly this (ignoring case), in any code system. */
  conceptsByCode(code: string, limit = 50): ConceptCandidate[] {
    const words = code.match(/[\p{L}\p{N}]+/gu);
    if (!words) return [];
    // the code is in the text index too, so a phrase of its parts finds the rows without a scan
    const phrase = `"${words.join(' ').replace(/"/g, '""')}"`;
    const rows = this.db
      .prepare(
        `SELECT ${CANDIDATE_COLUMNS}, -1e9 AS rank
         FROM concept_text t JOIN concept c ON c.pk = t.concept_pk
         WHERE concept_text MATCH ? AND c.code = ? COLLATE NOCASE LIMIT ?`,
      )
      .all(phrase, code, limit) as any[];
    return rows.map(candidateOf);
  }

  /**
   * Tree nodes: the children of a concept (or the roots of a code system when parentPk is
   * undefined), each with its number of children, in source order. One statement per level.
   */
  treeNodes(csPk: number, parentPk: number | undefined, limit = 1000): TreeNode[] {
    const childCount = '(SELECT count(*) FROM concept_parent x WHERE x.parent_pk = c.pk) AS children';
    const rows =
      parentPk === undefined
        ? this.db
            .prepare(`SELECT c.code, c.display, c.inactive, ${childCount} FROM concept c WHERE c.cs_pk = ? AND NOT EXISTS (SELECT 1 FROM concept_parent p WHERE p.child_pk = c.pk) ORDER BY c.seq LIMIT ?`)
            .all(csPk, limit)
        : this.db.prepare(`SELECT c.code, c.display, c.inactive, ${childCount} FROM concept_parent p JOIN concept c ON c.pk = p.child_pk WHERE p.parent_pk = ? ORDER BY c.seq LIMIT ?`).all(parentPk, limit);
    return (rows as any[]).map((r) => ({ code: r.code, display: r.display ?? '', inactive: r.inactive === 1, children: r.children }));
  }

  /**
   * What a version diff compares of every concept: display, definition, status, parents and
   * properties (as sorted text), in one statement per code system version.
   */
  conceptSummaries(csPk: number): Map<string, ConceptSummary> {
    const rows = this.db
      .prepare(
        `SELECT c.code, c.display, c.definition, c.inactive,
           (SELECT group_concat(code, ' ') FROM (SELECT pc.code FROM concept_parent p JOIN concept pc ON pc.pk = p.parent_pk WHERE p.child_pk = c.pk ORDER BY pc.code)) AS parents,
           (SELECT group_concat(v, '; ') FROM (SELECT code || '=' || ifnull(value_text, value_json) AS v FROM concept_property WHERE concept_pk = c.pk ORDER BY 1)) AS properties
         FROM concept c WHERE c.cs_pk = ? ORDER BY c.seq`,
      )
      .all(csPk) as any[];
    return new Map(rows.map((r) => [r.code, { code: r.code, display: r.display ?? '', definition: r.definition ?? '', status: r.inactive ? 'inactive' : 'active', parents: r.parents ?? '', properties: r.properties ?? '' }]));
  }

  /** The values a property takes in a code system, with how many concepts have each. */
  propertyValues(csPk: number, code: string, limit = 300): { value: string; count: number; json: string }[] {
    return this.db
      .prepare(
        `SELECT p.value_text AS value, count(*) AS count, min(p.value_json) AS json FROM concept_property p JOIN concept c ON c.pk = p.concept_pk
         WHERE c.cs_pk = ? AND p.code = ? AND p.value_text IS NOT NULL GROUP BY p.value_text ORDER BY p.value_text LIMIT ?`,
      )
      .all(csPk, code, limit) as { value: string; count: number; json: string }[];
  }

  /** Number of stored NIM versions and releases (0 when the NIM tables do not exist yet). */
  countRows(table: 'nim_model' | 'nim_release'): number {
    const exists = this.db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table);
    if (!exists) return 0;
    return (this.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  }
}
