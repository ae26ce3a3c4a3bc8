import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { LruCache } from '../lru-cache';

/**
 * A set of concepts of one stored code system as the indexes can answer it: the is-a closure,
 * direct links, property values, reference sets, attribute relationships and the text index.
 * Expansions page over such sets in SQL instead of building them.
 */
export type ConceptSet =
  | { kind: 'all' }
  | { kind: 'self'; pk: number }
  /** below a concept (the closure), with or without it */
  | { kind: 'descendants'; pk: number; self: boolean }
  /** direct children, with or without the concept */
  | { kind: 'children'; pk: number; self: boolean }
  | { kind: 'property'; code: string; value: string }
  /** concepts referenced by the active members of a reference set */
  | { kind: 'refset'; pk: number }
  /** concepts with an attribute relationship of a type whose destination is in a set */
  | { kind: 'attribute'; type: number; dest: ConceptSet }
  | { kind: 'module'; pk: number }
  | { kind: 'defined'; value: boolean }
  | { kind: 'inactive'; value: boolean }
  | { kind: 'and'; sets: ConceptSet[] }
  | { kind: 'or'; sets: ConceptSet[] }
  | { kind: 'minus'; left: ConceptSet; right: ConceptSet };

/** Conditions on the concept row itself, applied to every member. */
export interface RowConditions {
  activeOnly: boolean;
  selectableOnly: boolean;
}

/** A set that can be listed in concept order from an index (the driver of a page query). */
interface Stream {
  from: string;
  pk: string;
  where: string;
  args: unknown[];
  /** the index yields rows in concept order (else SQLite sorts what the driver selects) */
  ordered: boolean;
  /** a concept listed apart from the stream (the focus of is-a) */
  extra?: number;
}

interface Sql {
  sql: string;
  args: unknown[];
}

/** What the text index is asked: every word as a prefix, within one code system's rows. */
export interface TextMatch {
  /** FTS5 query, e.g. `"bedöm"* AND "lär"*` */
  match: string;
  /** FTS5 query for texts starting with the filter's words (candidates for an exact display) */
  phrase: string;
  /** the filter's words (lower case) */
  words: string[];
  /** does a text hold a word starting with each of the words? (the general path's test) */
  passes(text: string): boolean;
}

/** Connections that know the text function. */
const withFunctions = new WeakSet<Db>();

const ESTIMATE_CAP = 20_000;

/** Keyset anchors of one listing: positions (ascending) and the pk at each. */
interface Anchors {
  positions: number[];
  pks: number[];
}

/** Anchors kept per listing: enough for every page of a 10-code pager through 10,000 codes. */
const MAX_ANCHORS = 1000;
/** A listing of at most this many rows is read whole on its first page and kept (as 4 bytes a row); pages of it come from memory. */
const WHOLE_LISTING = 2048;
/** Anchors kept from the first read of a larger listing: every this many rows. */
const ANCHOR_STEP = 32;

/**
 * The SQL of paged expansions: a page of a concept set in concept order (a code system's source
 * order, which is also the order of its rows) through an index, counts bounded by a cap, and the
 * text index with the set's restriction inside the query.
 */
export class ExpansionQueries {
  private readonly stmts = new Map<string, Statement>();
  private range?: { lo: number; hi: number };
  /**
   * Per listing (its SQL and arguments): keyset anchors and counts already made, so a page at
   * `offset` N starts from the nearest page read before instead of stepping over N rows (bounded
   * by size; the queries live as long as their provider, which a store change replaces).
   */
  private readonly memo = new LruCache<string, Anchors | Int32Array | number>(
    4 << 20,
    (v, k) => 64 + k.length + (typeof v === 'number' ? 8 : v instanceof Int32Array ? v.byteLength : v.positions.length * 16),
  );

  constructor(
    private readonly db: Db,
    readonly csPk: number,
    passes: (text: string, words: string) => boolean,
    /** listings of at most this many rows are kept whole (tests lower it to page through anchors) */
    private readonly wholeListing = WHOLE_LISTING,
  ) {
    if (!withFunctions.has(db)) {
      db.function('kodverk_text_passes', { deterministic: true }, (text: unknown, words: unknown) => (typeof text === 'string' && typeof words === 'string' && passes(text, words) ? 1 : 0));
      withFunctions.add(db);
    }
  }

  private s(sql: string): Statement {
    let st = this.stmts.get(sql);
    if (!st) {
      if (this.stmts.size > 200) this.stmts.clear();
      this.stmts.set(sql, (st = this.db.prepare(sql)));
    }
    return st;
  }

  /** The rows of this code system are one run of pks (they are written in one go). */
  private pkRange(): { lo: number; hi: number } {
    if (!this.range) {
      const r = this.s('SELECT min(pk) AS lo, max(pk) AS hi FROM concept WHERE cs_pk = ?').get(this.csPk) as { lo: number | null; hi: number | null };
      this.range = { lo: r.lo ?? 0, hi: r.hi ?? -1 };
    }
    return this.range;
  }

  // ---- compiling sets ---------------------------------------------------------------------------

  /** An SQL condition: is the concept `pk` (an SQL expression) in the set? */
  private test(set: ConceptSet, pk: string): Sql {
    switch (set.kind) {
      case 'all':
        return { sql: '1', args: [] };
      case 'self':
        return { sql: `${pk} = ?`, args: [set.pk] };
      case 'descendants': {
        const below = `EXISTS (SELECT 1 FROM concept_closure WHERE ancestor_pk = ? AND descendant_pk = ${pk})`;
        return set.self ? { sql: `(${pk} = ? OR ${below})`, args: [set.pk, set.pk] } : { sql: below, args: [set.pk] };
      }
      case 'children': {
        const child = `EXISTS (SELECT 1 FROM concept_parent WHERE child_pk = ${pk} AND parent_pk = ?)`;
        return set.self ? { sql: `(${pk} = ? OR ${child})`, args: [set.pk, set.pk] } : { sql: child, args: [set.pk] };
      }
      case 'property':
        return { sql: `EXISTS (SELECT 1 FROM concept_property WHERE concept_pk = ${pk} AND code = ? AND value_text = ?)`, args: [set.code, set.value] };
      case 'refset':
        return { sql: `EXISTS (SELECT 1 FROM sct_refset_member WHERE refset_pk = ? AND referenced_pk = ${pk})`, args: [set.pk] };
      case 'attribute': {
        const dest = this.test(set.dest, 'r.dest_pk');
        return { sql: `EXISTS (SELECT 1 FROM sct_relationship r WHERE r.source_pk = ${pk} AND r.type_pk = ? AND ${dest.sql})`, args: [set.type, ...dest.args] };
      }
      case 'module':
        return { sql: `EXISTS (SELECT 1 FROM sct_concept WHERE concept_pk = ${pk} AND module_pk = ?)`, args: [set.pk] };
      case 'defined':
        return { sql: `EXISTS (SELECT 1 FROM sct_concept WHERE concept_pk = ${pk} AND defined = ?)`, args: [set.value ? 1 : 0] };
      case 'inactive':
        return { sql: `EXISTS (SELECT 1 FROM concept WHERE pk = ${pk} AND inactive = ?)`, args: [set.value ? 1 : 0] };
      case 'and':
      case 'or': {
        const parts = set.sets.map((x) => this.test(x, pk));
        if (parts.length === 0) return { sql: set.kind === 'and' ? '1' : '0', args: [] };
        return { sql: '(' + parts.map((p) => p.sql).join(set.kind === 'and' ? ' AND ' : ' OR ') + ')', args: parts.flatMap((p) => p.args) };
      }
      case 'minus': {
        const l = this.test(set.left, pk);
        const r = this.test(set.right, pk);
        return { sql: `(${l.sql} AND NOT ${r.sql})`, args: [...l.args, ...r.args] };
      }
    }
  }

  /** The set listed from an index, when it can be. */
  private stream(set: ConceptSet): Stream | undefined {
    switch (set.kind) {
      case 'all': {
        const { lo, hi } = this.pkRange();
        return { from: 'concept d', pk: 'd.pk', where: 'd.pk BETWEEN ? AND ?', args: [lo, hi], ordered: true };
      }
      case 'self':
        return { from: 'concept d', pk: 'd.pk', where: 'd.pk = ?', args: [set.pk], ordered: true };
      case 'descendants':
        return { from: 'concept_closure d', pk: 'd.descendant_pk', where: 'd.ancestor_pk = ?', args: [set.pk], ordered: true, extra: set.self ? set.pk : undefined };
      case 'children':
        return { from: 'concept_parent d', pk: 'd.child_pk', where: 'd.parent_pk = ?', args: [set.pk], ordered: true, extra: set.self ? set.pk : undefined };
      case 'refset':
        return { from: 'sct_refset_member d', pk: 'd.referenced_pk', where: 'd.refset_pk = ? AND d.referenced_pk IS NOT NULL', args: [set.pk], ordered: true };
      case 'property':
        return { from: 'concept_property d', pk: 'd.concept_pk', where: 'd.code = ? AND d.value_text = ?', args: [set.code, set.value], ordered: false };
      case 'attribute':
        if (set.dest.kind !== 'self') return undefined;
        return { from: 'sct_relationship d', pk: 'd.source_pk', where: 'd.type_pk = ? AND d.dest_pk = ?', args: [set.type, set.dest.pk], ordered: false };
      case 'module':
        return { from: 'sct_concept d', pk: 'd.concept_pk', where: 'd.module_pk = ?', args: [set.pk], ordered: false };
      default:
        return undefined;
    }
  }

  /** How many rows a stream yields, counted up to a cap (to choose the smallest driver); remembered. */
  private estimate(s: Stream): number {
    const key = `${s.from} ${s.where} ${JSON.stringify(s.args)}`;
    let n = this.estimates.get(key);
    if (n === undefined) {
      n = (this.s(`SELECT count(*) AS n FROM (SELECT 1 FROM ${s.from} WHERE ${s.where} LIMIT ${ESTIMATE_CAP})`).get(...s.args) as { n: number }).n;
      if (this.estimates.size >= 5000) this.estimates.clear();
      this.estimates.set(key, n);
    }
    return n + (s.extra !== undefined ? 1 : 0);
  }

  private readonly estimates = new Map<string, number>();

  /** The driver (the smallest streamable conjunct) and the tests for everything else. */
  private plan(set: ConceptSet, text?: TextMatch): { driver: Stream; tests: Sql[] } {
    const conjuncts = set.kind === 'and' ? set.sets : [set];
    let best: { stream: Stream; index: number; size: number } | undefined;
    conjuncts.forEach((c, index) => {
      const stream = this.stream(c);
      if (!stream) return;
      const size = c.kind === 'all' ? Number.MAX_SAFE_INTEGER - 1 : this.estimate(stream);
      if (!best || size < best.size) best = { stream, index, size };
    });
    let driver: Stream;
    let rest = conjuncts;
    if (text && (!best || best.size >= ESTIMATE_CAP)) {
      // a large set (or one no index lists): the text index drives, restricted to this code system
      const { lo, hi } = this.pkRange();
      driver = { from: 'concept_text d', pk: 'd.rowid', where: 'd.concept_text MATCH ? AND d.rowid BETWEEN ? AND ?', args: [text.match, lo, hi], ordered: true };
      text = undefined;
    } else if (best) {
      driver = best.stream;
      rest = conjuncts.filter((_, i) => i !== best!.index);
    } else {
      driver = this.stream({ kind: 'all' })!;
    }
    const tests = rest.filter((c) => c.kind !== 'all').map((c) => this.test(c, driver.pk));
    // a small set drives: each member's indexed text is read by rowid and tested word by word
    if (text) tests.push({ sql: `kodverk_text_passes((SELECT text FROM concept_text WHERE rowid = ${driver.pk}), ?)`, args: [text.words.join(' ')] });
    return { driver, tests };
  }

  private where(driver: Stream, tests: Sql[], rows: RowConditions, extraTests: Sql[] = []): Sql {
    const parts = [driver.where, 'c.cs_pk = ?', ...tests.map((t) => t.sql), ...extraTests.map((t) => t.sql)];
    if (rows.activeOnly) parts.push('c.inactive = 0');
    if (rows.selectableOnly) parts.push('c.abstract = 0');
    return { sql: parts.join(' AND '), args: [...driver.args, this.csPk, ...tests.flatMap((t) => t.args), ...extraTests.flatMap((t) => t.args)] };
  }

  /** Is the extra concept of a driver (the is-a focus) in the set, given the other tests? */
  private extraPasses(driver: Stream, tests: Sql[], rows: RowConditions, extraTests: Sql[]): boolean {
    if (driver.extra === undefined) return false;
    const self: Stream = { from: 'concept d', pk: 'd.pk', where: 'd.pk = ?', args: [driver.extra], ordered: true };
    const rebased = (t: Sql) => ({ sql: t.sql.split(driver.pk).join('d.pk'), args: t.args });
    const w = this.where(self, tests.map(rebased), rows, extraTests.map(rebased));
    return !!this.s(`SELECT 1 FROM ${self.from} JOIN concept c ON c.pk = d.pk WHERE ${w.sql}`).get(...w.args);
  }

  /**
   * A page of the set in concept order: `offset` members skipped, at most `count` returned.
   * `exclude` leaves out concepts listed before (the best text matches, shown first).
   * `focusFirst` puts the is-a focus before its descendants (as the general path lists it).
   */
  page(set: ConceptSet, rows: RowConditions, offset: number, count: number, opts: { text?: TextMatch; exclude?: number[]; focusFirst?: boolean } = {}): number[] {
    const { driver, tests } = this.plan(set, opts.text);
    const extraTests: Sql[] = opts.exclude?.length ? [{ sql: `${driver.pk} NOT IN (${opts.exclude.map(() => '?').join(',')})`, args: opts.exclude }] : [];
    const w = this.where(driver, tests, rows, extraTests);
    const select = `SELECT DISTINCT ${driver.pk} AS pk FROM ${driver.from} JOIN concept c ON c.pk = ${driver.pk} WHERE ${w.sql}`;
    const run = (off: number, n: number) => (n <= 0 ? [] : this.listing(select, driver.pk, w.args, off, n));
    if (driver.extra === undefined) return run(offset, count);
    // whether the focus is in the set: asked once per listing, not on every page
    const passesKey = `extra ${select} ${JSON.stringify(w.args)}`;
    let passes = this.memo.peek(passesKey) as number | undefined;
    if (passes === undefined) this.memo.set(passesKey, (passes = this.extraPasses(driver, tests, rows, extraTests) ? 1 : 0));
    if (!passes) return run(offset, count);
    const self = driver.extra;
    // the focus is merged in: first, or at its place in concept order
    const beforeKey = `before ${select} ${JSON.stringify(w.args)} ${self}`;
    let before = opts.focusFirst ? 0 : (this.memo.peek(beforeKey) as number | undefined);
    if (before === undefined) {
      before = this.countWhere(driver, tests, rows, [...extraTests, { sql: `${driver.pk} < ?`, args: [self] }], Number.MAX_SAFE_INTEGER);
      this.memo.set(beforeKey, before);
    }
    if (offset + count <= before) return run(offset, count);
    if (offset > before) return run(offset - 1, count);
    return [...run(offset, before - offset), self, ...run(before, count - (before - offset) - 1)];
  }

  /**
   * Rows `offset` to `offset + count` of a listing in pk order, started from the nearest keyset
   * anchor before `offset` (the last row of a page read before): a pager's next page, or a page
   * asked for again, costs the page, not the rows before it.
   */
  private listing(select: string, pk: string, args: unknown[], offset: number, count: number): number[] {
    const key = `${select} ${JSON.stringify(args)}`;
    const known = this.memo.peek(key) as Anchors | Int32Array | undefined;
    if (known instanceof Int32Array) return Array.from(known.subarray(offset, offset + count));
    if (!known) {
      // first read of this listing: whole when small, else the start of it with anchors through it
      const first = (this.s(`${select} ORDER BY ${pk} LIMIT ?`).raw().all(...args, this.wholeListing + 1) as [number][]).map((r) => r[0]);
      if (first.length <= this.wholeListing) {
        this.memo.set(key, Int32Array.from(first));
        return first.slice(offset, offset + count);
      }
      const a: Anchors = { positions: [], pks: [] };
      for (let p = ANCHOR_STEP - 1; p < first.length; p += ANCHOR_STEP) a.positions.push(p), a.pks.push(first[p]);
      this.memo.set(key, a);
      if (offset + count <= first.length) return first.slice(offset, offset + count);
      return this.listing(select, pk, args, offset, count);
    }
    const anchors = known;
    let i = -1;
    if (anchors) {
      // the last anchor before the page (binary search over ascending positions)
      let lo = 0;
      let hi = anchors.positions.length - 1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (anchors.positions[mid] < offset) (i = mid), (lo = mid + 1);
        else hi = mid - 1;
      }
    }
    // without an anchor just before the page, the row before it is read too and becomes one (the same page asked again costs the page)
    const from = i >= 0 && anchors!.positions[i] === offset - 1 ? offset : Math.max(offset - 1, 0);
    const n = count + (offset - from);
    const found =
      i < 0
        ? (this.s(`${select} ORDER BY ${pk} LIMIT ? OFFSET ?`).raw().all(...args, n, from) as [number][])
        : (this.s(`${select} AND ${pk} > ? ORDER BY ${pk} LIMIT ? OFFSET ?`).raw().all(...args, anchors!.pks[i], n, from - anchors!.positions[i] - 1) as [number][]);
    const rows = found.map((r) => r[0]);
    let a = anchors;
    if (from < offset && rows.length) a = this.anchor(key, a, from, rows[0]);
    const out = rows.slice(offset - from);
    if (out.length) this.anchor(key, a, offset + out.length - 1, out[out.length - 1]);
    return out;
  }

  private anchor(key: string, known: Anchors | undefined, position: number, pk: number): Anchors {
    const a = known ?? { positions: [], pks: [] };
    let at = a.positions.length;
    while (at > 0 && a.positions[at - 1] > position) at--;
    if (at > 0 && a.positions[at - 1] === position) return a;
    if (a.positions.length >= MAX_ANCHORS) {
      // keep the spread: drop every other anchor
      a.positions = a.positions.filter((_, j) => j % 2 === 0);
      a.pks = a.pks.filter((_, j) => j % 2 === 0);
      return this.anchor(key, a, position, pk);
    }
    a.positions.splice(at, 0, position);
    a.pks.splice(at, 0, pk);
    this.memo.set(key, a);
    return a;
  }

  /** How many members the set has, counting at most `cap` (then `cap` is returned). */
  count(set: ConceptSet, rows: RowConditions, cap: number, text?: TextMatch): number {
    const { driver, tests } = this.plan(set, text);
    return this.countWhere(driver, tests, rows, [], cap) + (this.extraPasses(driver, tests, rows, []) ? 1 : 0);
  }

  private countWhere(driver: Stream, tests: Sql[], rows: RowConditions, extraTests: Sql[], cap: number): number {
    const w = this.where(driver, tests, rows, extraTests);
    const limit = Number.isFinite(cap) && cap < Number.MAX_SAFE_INTEGER ? ` LIMIT ${Math.floor(cap)}` : '';
    return (this.s(`SELECT count(*) AS n FROM (SELECT DISTINCT ${driver.pk} FROM ${driver.from} JOIN concept c ON c.pk = ${driver.pk} WHERE ${w.sql}${limit})`).get(...w.args) as { n: number }).n;
  }

  /**
   * Has one of the first `cap` members (in concept order) a status other than active? (An
   * expansion declares the status property when any of its codes carries one.)
   */
  anyNotActive(set: ConceptSet, rows: RowConditions, cap: number, text?: TextMatch): boolean {
    const { driver, tests } = this.plan(set, text);
    const w = this.where(driver, tests, rows);
    const first = `SELECT DISTINCT ${driver.pk} AS pk FROM ${driver.from} JOIN concept c ON c.pk = ${driver.pk} WHERE ${w.sql} ORDER BY ${driver.pk} LIMIT ${Math.floor(cap)}`;
    const notActive = "(x.inactive = 1 OR (x.status IS NOT NULL AND lower(x.status) <> 'active'))";
    if (this.s(`SELECT 1 FROM (${first}) f JOIN concept x ON x.pk = f.pk WHERE ${notActive} LIMIT 1`).get(...w.args)) return true;
    return driver.extra !== undefined && this.extraPasses(driver, tests, rows, []) && !!this.s(`SELECT 1 FROM concept x WHERE x.pk = ? AND ${notActive}`).get(driver.extra);
  }

  /** Do concepts of this code system carry extensions an expansion shows as properties (label, order, weight)? */
  hasShownExtensions(): boolean {
    return !!this.s("SELECT 1 FROM concept WHERE cs_pk = ? AND extra IS NOT NULL AND (extra LIKE '%codesystem-label%' OR extra LIKE '%conceptOrder%' OR extra LIKE '%itemWeight%') LIMIT 1").get(this.csPk);
  }

  /** Concepts of the set whose code is the text (ASCII letters in any case), in concept order. */
  codeMatches(set: ConceptSet, rows: RowConditions, text: string): number[] {
    const pks = (this.s('SELECT pk FROM concept WHERE cs_pk = ? AND code = ? COLLATE NOCASE ORDER BY pk').raw().all(this.csPk, text) as [number][]).map((r) => r[0]);
    return pks.filter((pk) => this.has(set, rows, pk));
  }

  /** Concepts of the set whose text starts with the filter's words (their display first), with the display. */
  displayMatches(set: ConceptSet, rows: RowConditions, text: TextMatch): { pk: number; code: string; display: string | null }[] {
    const { driver, tests } = this.plan(set, { ...text, match: text.phrase });
    const w = this.where(driver, tests, rows);
    const out = this.s(`SELECT DISTINCT ${driver.pk} AS pk, c.code AS code, c.display AS display FROM ${driver.from} JOIN concept c ON c.pk = ${driver.pk} WHERE ${w.sql} ORDER BY ${driver.pk}`).all(...w.args) as {
      pk: number;
      code: string;
      display: string | null;
    }[];
    if (driver.extra !== undefined && this.extraPasses(driver, tests, rows, [])) {
      const self = this.s('SELECT pk, code, display FROM concept WHERE pk = ?').get(driver.extra) as { pk: number; code: string; display: string | null };
      if (self.display && text.passes(self.display)) out.push(self);
    }
    return out;
  }

  private has(set: ConceptSet, rows: RowConditions, pk: number): boolean {
    const t = this.test(set, 'c.pk');
    const parts = ['c.pk = ?', 'c.cs_pk = ?', t.sql];
    if (rows.activeOnly) parts.push('c.inactive = 0');
    if (rows.selectableOnly) parts.push('c.abstract = 0');
    return !!this.s(`SELECT 1 FROM concept c WHERE ${parts.join(' AND ')}`).get(pk, this.csPk, ...t.args);
  }

  /** The pk of a code in this code system. */
  pkOf(code: string): number | undefined {
    return (this.s('SELECT pk FROM concept WHERE cs_pk = ? AND code = ?').get(this.csPk, code) as { pk: number } | undefined)?.pk;
  }

  /** Is the concept a reference set (has members)? */
  isRefset(pk: number): boolean {
    return !!this.s('SELECT 1 FROM sct_refset_member WHERE refset_pk = ? LIMIT 1').get(pk);
  }
}
