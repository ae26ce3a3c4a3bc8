import type { Db } from './database';
import type { Statement } from 'better-sqlite3';
import { InListQueries } from './in-list';

/** One concept as the store holds it (the engine builds its Concept objects from these). */
export interface ConceptRow {
  pk: number;
  code: string;
  display: string | null;
  definition: string | null;
  inactive: number;
  abstract: number;
  status: string | null;
  seq: number;
  extra: string | null;
}

export interface DesignationRow {
  concept_pk: number;
  language: string | null;
  use_system: string | null;
  use_code: string | null;
  use_display: string | null;
  value: string;
  /** 1 when the designation is no longer current (an inactive Snomed CT description) */
  inactive: number;
  extra: string | null;
}

export interface PropertyRow {
  concept_pk: number;
  code: string;
  value_type: string;
  value_text: string | null;
  value_json: string;
}

/** A concept to write: what an importer or the FHIR CodeSystem loader produces. */
export interface ConceptInput {
  code: string;
  display?: string;
  definition?: string;
  inactive?: boolean;
  abstract?: boolean;
  status?: string;
  /** anything else of the concept (extensions), kept as JSON */
  extra?: unknown;
  parents?: string[];
  designations?: {
    language?: string;
    use?: { system?: string; code?: string; display?: string };
    value: string;
    inactive?: boolean;
    extra?: unknown;
    /** extra already serialised as JSON (by the thread that assembled the concept); wins over extra */
    extraJson?: string;
  }[];
  properties?: { code: string; valueKey: string; value: unknown }[];
}

/** The tables a streamed code system fills in bulk (its concepts, closure and Snomed CT rows). */
const BULK_TABLES = ['concept', 'concept_property', 'concept_closure', 'sct_relationship', 'sct_refset_member'];

/**
 * Concepts of stored code systems: writing them (with the is-a closure and the text index) and
 * every query the engine needs. Sized for Snomed CT (hundreds of thousands of concepts).
 */
export class ConceptStore {
  private readonly stmts: Record<string, Statement> = {};

  private readonly inList: InListQueries;

  constructor(private readonly db: Db) {
    this.inList = new InListQueries(db);
  }

  get database(): Db {
    return this.db;
  }

  private s(name: string, sql: string): Statement {
    return (this.stmts[name] ??= this.db.prepare(sql));
  }

  /** Does this code system have its concepts in the concept tables? */
  hasConcepts(csPk: number): boolean {
    return !!this.s('has', 'SELECT 1 FROM concept WHERE cs_pk = ? LIMIT 1').get(csPk);
  }

  count(csPk: number): number {
    return (this.s('count', 'SELECT count(*) AS n FROM concept WHERE cs_pk = ?').get(csPk) as { n: number }).n;
  }

  countActive(csPk: number): number {
    return (this.s('countActive', 'SELECT count(*) AS n FROM concept WHERE cs_pk = ? AND inactive = 0').get(csPk) as { n: number }).n;
  }

  /**
   * Runs a bulk write of concept rows (a Snomed CT-sized release) with the tables' secondary
   * indexes dropped, and makes them again afterwards: one sorted build of each index is an order
   * of magnitude cheaper than keeping it up to date row by row in random key order (350,000
   * concepts: ~18 s of a 70 s import, against 1.5 s to build them after). Unique indexes, which
   * the writes rely on, stay. Call inside a transaction: the indexes come back in it, so a failed
   * import leaves the schema as it was, and readers on other connections never see them missing.
   * Wrap the transaction in `sortingOnDisk`, or the index builds sort in memory.
   */
  withIndexesDeferred<T>(write: () => T): T {
    const deferred = this.db
      .prepare(
        `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'
         AND tbl_name IN (${BULK_TABLES.map(() => '?').join(', ')}) ORDER BY name`,
      )
      .all(...BULK_TABLES) as { name: string; sql: string }[];
    for (const i of deferred) this.db.exec(`DROP INDEX "${i.name.replace(/"/g, '""')}"`);
    const result = write();
    // an index build sorts in buffers as large as the page cache: a small one for the builds
    const cacheSize = Number(this.db.pragma('cache_size', { simple: true }));
    this.db.pragma('cache_size = -8192');
    try {
      for (const i of deferred) this.db.exec(i.sql);
    } finally {
      this.db.pragma(`cache_size = ${cacheSize}`);
    }
    return result;
  }

  /** Removes every concept of a code system (before re-indexing it). */
  clear(csPk: number): void {
    this.s('clearText', 'DELETE FROM concept_text WHERE rowid IN (SELECT pk FROM concept WHERE cs_pk = ?)').run(csPk);
    this.s('clearClosure', 'DELETE FROM concept_closure WHERE descendant_pk IN (SELECT pk FROM concept WHERE cs_pk = ?)').run(csPk);
    this.s('clear', 'DELETE FROM concept WHERE cs_pk = ?').run(csPk);
  }

  /**
   * Writes the concepts of a code system, replacing what was there; then derives the closure
   * and the text index. Call inside a transaction. Progress is reported every 10,000 concepts.
   */
  write(csPk: number, concepts: Iterable<ConceptInput>, progress?: (done: number) => void): number {
    this.clear(csPk);
    const insertConcept = this.s(
      'insConcept',
      'INSERT INTO concept (cs_pk, code, display, definition, inactive, abstract, status, seq, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertDesignation = this.s(
      'insDesig',
      'INSERT INTO concept_designation (concept_pk, language, use_system, use_code, use_display, value, inactive, extra) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const insertProperty = this.s('insProp', 'INSERT INTO concept_property (concept_pk, code, value_type, value_text, value_json) VALUES (?, ?, ?, ?, ?)');
    // the text row's rowid is the concept's pk: a code system's rows are one range of rowids
    const insertText = this.s('insText', 'INSERT INTO concept_text (rowid, text, concept_pk, cs_pk) VALUES (?, ?, ?, ?)');
    const pkByCode = new Map<string, number>();
    const parentsByPk = new Map<number, string[]>();
    let seq = 0;
    for (const c of concepts) {
      if (pkByCode.has(c.code)) continue;
      const pk = Number(
        insertConcept.run(csPk, c.code, c.display ?? null, c.definition ?? null, c.inactive ? 1 : 0, c.abstract ? 1 : 0, c.status ?? null, seq++, c.extra === undefined ? null : JSON.stringify(c.extra))
          .lastInsertRowid,
      );
      pkByCode.set(c.code, pk);
      if (c.parents?.length) parentsByPk.set(pk, c.parents);
      const texts = new Set<string>();
      if (c.display) texts.add(c.display);
      for (const d of c.designations ?? []) {
        const extra = d.extraJson ?? (d.extra === undefined ? null : JSON.stringify(d.extra));
        insertDesignation.run(pk, d.language ?? null, d.use?.system ?? null, d.use?.code ?? null, d.use?.display ?? null, d.value, d.inactive ? 1 : 0, extra);
        // terms no longer current are kept for display checks, not offered by text search
        if (!d.inactive) texts.add(d.value);
      }
      for (const p of c.properties ?? []) {
        const v = p.value as any;
        const text = v === null || v === undefined ? null : typeof v === 'object' ? (typeof v.code === 'string' ? v.code : null) : String(v);
        insertProperty.run(pk, p.code, p.valueKey, text, JSON.stringify(v));
      }
      insertText.run(pk, [...texts].join(' \u2022 ').normalize('NFC') + ' ' + c.code, pk, csPk);
      if (seq % 10000 === 0) progress?.(seq);
    }
    this.writeHierarchy(pkByCode, parentsByPk);
    return seq;
  }

  /**
   * Direct parent links and the transitive closure (a concept may have several parents). The
   * ancestors of each concept, sorted, are computed from its parents' (parents first, in
   * topological order) into one pool of integers indexed by pk, so a Snomed-sized hierarchy
   * (2.2 M closure rows at 350,000 concepts) costs ~10 MB, not an object per concept; cycles are
   * cut rather than followed.
   */
  private writeHierarchy(pkByCode: Map<string, number>, parentsByCode: Map<number, string[]>): void {
    const insertParent = this.s('insParent', 'INSERT OR IGNORE INTO concept_parent (child_pk, parent_pk) VALUES (?, ?)');
    const insertClosure = this.s('insClosure', 'INSERT OR IGNORE INTO concept_closure (ancestor_pk, descendant_pk) VALUES (?, ?)');
    let top = 0;
    for (const pk of pkByCode.values()) top = Math.max(top, pk);
    const parents = new Map<number, number[]>();
    for (const [child, codes] of parentsByCode) {
      const ps = codes.map((c) => pkByCode.get(c)).filter((p): p is number => p !== undefined && p !== child);
      if (ps.length) parents.set(child, ps);
      for (const p of ps) insertParent.run(child, p);
    }
    parentsByCode.clear();
    // ancestors of pk: pool[from[pk] .. from[pk] + count[pk]], once state[pk] is DONE
    const VISITING = 1;
    const DONE = 2;
    const state = new Uint8Array(top + 1);
    const from = new Int32Array(top + 1);
    const count = new Int32Array(top + 1);
    let pool = new Int32Array(1 << 20);
    let used = 0;
    const of = (start: number): void => {
      const stack: number[] = [start];
      while (stack.length) {
        const pk = stack[stack.length - 1];
        if (state[pk] === DONE) {
          stack.pop();
          continue;
        }
        const ps = parents.get(pk);
        if (state[pk] !== VISITING) {
          state[pk] = VISITING;
          let pending = false;
          for (const p of ps ?? []) if (state[p] === 0) (stack.push(p), (pending = true));
          if (pending) continue;
        }
        stack.pop();
        state[pk] = DONE;
        if (!ps) continue;
        const all: number[] = [];
        for (const p of ps) {
          all.push(p);
          // a parent still being visited (a cycle) contributes itself only
          if (state[p] === DONE) for (let i = from[p], end = from[p] + count[p]; i < end; i++) all.push(pool[i]);
        }
        all.sort((a, b) => a - b);
        if (used + all.length > pool.length) {
          const bigger = new Int32Array(Math.max(pool.length * 2, used + all.length));
          bigger.set(pool.subarray(0, used));
          pool = bigger;
        }
        from[pk] = used;
        for (let i = 0; i < all.length; i++) if (all[i] !== pk && (i === 0 || all[i] !== all[i - 1])) pool[used++] = all[i];
        count[pk] = used - from[pk];
      }
    };
    const below = Int32Array.from(parents.keys()).sort();
    for (const pk of below) of(pk);
    parents.clear();
    // the closure rows in the order of its key (ancestor, descendant): appended to the table's
    // b-tree rather than inserted at random places in it
    const start = new Int32Array(top + 2);
    for (const pk of below) for (let i = from[pk], end = from[pk] + count[pk]; i < end; i++) start[pool[i] + 1]++;
    for (let a = 0; a <= top; a++) start[a + 1] += start[a];
    const next = start.slice(0, top + 1);
    const descendants = new Int32Array(start[top + 1]);
    for (const pk of below) for (let i = from[pk], end = from[pk] + count[pk]; i < end; i++) descendants[next[pool[i]]++] = pk;
    for (let a = 0; a <= top; a++) for (let i = start[a]; i < start[a + 1]; i++) insertClosure.run(a, descendants[i]);
  }

  byCode(csPk: number, code: string, caseSensitive: boolean): ConceptRow | undefined {
    const exact = this.s('byCode', 'SELECT * FROM concept WHERE cs_pk = ? AND code = ?').get(csPk, code) as ConceptRow | undefined;
    if (exact || caseSensitive) return exact;
    return this.s('byCodeNoCase', 'SELECT * FROM concept WHERE cs_pk = ? AND code = ? COLLATE NOCASE ORDER BY seq LIMIT 1').get(csPk, code) as ConceptRow | undefined;
  }

  byPk(pk: number): ConceptRow | undefined {
    return this.s('byPk', 'SELECT * FROM concept WHERE pk = ?').get(pk) as ConceptRow | undefined;
  }

  /** Rows for many pks (any order). */
  byPks(pks: number[]): ConceptRow[] {
    const out: ConceptRow[] = [];
    this.inList.each('SELECT * FROM concept WHERE pk IN (#)', pks, (r: ConceptRow) => out.push(r));
    return out;
  }

  /**
   * Every concept of a code system in source order, read in batches (a statement iterator would
   * keep the connection busy, and callers query other tables while they walk).
   */
  *iterate(csPk: number, batch = 2000): IterableIterator<ConceptRow> {
    const page = this.s('iteratePage', 'SELECT * FROM concept WHERE cs_pk = ? AND seq > ? ORDER BY seq LIMIT ?');
    let after = -1;
    for (;;) {
      const rows = page.all(csPk, after, batch) as ConceptRow[];
      if (rows.length === 0) return;
      yield* rows;
      after = rows[rows.length - 1].seq;
    }
  }

  roots(csPk: number): ConceptRow[] {
    return this.s(
      'roots',
      'SELECT c.* FROM concept c WHERE c.cs_pk = ? AND NOT EXISTS (SELECT 1 FROM concept_parent p WHERE p.child_pk = c.pk) ORDER BY c.seq',
    ).all(csPk) as ConceptRow[];
  }

  children(pk: number): ConceptRow[] {
    return this.s('children', 'SELECT c.* FROM concept_parent p JOIN concept c ON c.pk = p.child_pk WHERE p.parent_pk = ? ORDER BY c.seq').all(pk) as ConceptRow[];
  }

  parents(pk: number): ConceptRow[] {
    return this.s('parents', 'SELECT c.* FROM concept_parent p JOIN concept c ON c.pk = p.parent_pk WHERE p.child_pk = ? ORDER BY c.seq').all(pk) as ConceptRow[];
  }

  /** Is `descendant` below `ancestor` (not the same concept)? One index lookup. */
  isDescendant(ancestor: number, descendant: number): boolean {
    return !!this.s('isDesc', 'SELECT 1 FROM concept_closure WHERE ancestor_pk = ? AND descendant_pk = ?').get(ancestor, descendant);
  }

  /** pks of every descendant of a concept, in source order. */
  descendantPks(pk: number): number[] {
    return (
      this.s('desc', 'SELECT c.pk FROM concept_closure x JOIN concept c ON c.pk = x.descendant_pk WHERE x.ancestor_pk = ? ORDER BY c.seq').all(pk) as { pk: number }[]
    ).map((r) => r.pk);
  }

  ancestorPks(pk: number): number[] {
    return (this.s('anc', 'SELECT ancestor_pk AS pk FROM concept_closure WHERE descendant_pk = ?').all(pk) as { pk: number }[]).map((r) => r.pk);
  }

  countDescendants(pk: number): number {
    return (this.s('countDesc', 'SELECT count(*) AS n FROM concept_closure WHERE ancestor_pk = ?').get(pk) as { n: number }).n;
  }

  /** Designations of many concepts at once, grouped by concept. */
  designationsFor(pks: number[]): Map<number, DesignationRow[]> {
    return this.grouped(pks, 'SELECT * FROM concept_designation WHERE concept_pk IN (#) ORDER BY pk');
  }

  /** Properties of many concepts at once, grouped by concept. */
  propertiesFor(pks: number[]): Map<number, PropertyRow[]> {
    return this.grouped(pks, 'SELECT * FROM concept_property WHERE concept_pk IN (#) ORDER BY rowid');
  }

  private grouped<T extends { concept_pk: number }>(pks: number[], sql: string): Map<number, T[]> {
    const out = new Map<number, T[]>();
    this.inList.each(sql, pks, (row: T) => {
      const list = out.get(row.concept_pk);
      if (list) list.push(row);
      else out.set(row.concept_pk, [row]);
    });
    return out;
  }

  designations(pk: number): DesignationRow[] {
    return this.s('desig', 'SELECT * FROM concept_designation WHERE concept_pk = ? ORDER BY pk').all(pk) as DesignationRow[];
  }

  properties(pk: number): PropertyRow[] {
    return this.s('props', 'SELECT * FROM concept_property WHERE concept_pk = ? ORDER BY rowid').all(pk) as PropertyRow[];
  }

  /** pks of concepts whose property has this text value (codes, strings, booleans, Coding.code). */
  withPropertyValue(csPk: number, code: string, value: string): number[] {
    return (
      this.s(
        'withProp',
        'SELECT DISTINCT c.pk, c.seq FROM concept_property p JOIN concept c ON c.pk = p.concept_pk WHERE p.code = ? AND p.value_text = ? AND c.cs_pk = ? ORDER BY c.seq',
      ).all(code, value, csPk) as { pk: number }[]
    ).map((r) => r.pk);
  }

  /**
   * Full-text search: concepts whose display, designations or code contain words starting with
   * each of the given words (å, ä and ö are letters of their own). Source order.
   */
  search(csPk: number, words: string[]): number[] {
    if (words.length === 0) return [];
    const match = words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' AND ');
    return (
      this.s('search', 'SELECT c.pk FROM concept_text t JOIN concept c ON c.pk = t.concept_pk WHERE concept_text MATCH ? AND t.cs_pk = ? ORDER BY c.seq').all(match, csPk) as {
        pk: number;
      }[]
    ).map((r) => r.pk);
  }
}
