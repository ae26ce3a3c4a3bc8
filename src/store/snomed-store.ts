import Database, { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { InListQueries } from './in-list';

/** An attribute relationship as $lookup shows it: type and destination (or concrete value) with their codes and displays. */
export interface RelationshipTermRow {
  type_pk: number;
  type_code: string;
  type_display: string | null;
  dest_pk: number | null;
  dest_code: string | null;
  dest_display: string | null;
  value: string | null;
}

/** An attribute relationship of a concept (is-a excluded): type, destination or concrete value, role group. */
export interface RelationshipRow {
  source_pk: number;
  type_pk: number;
  dest_pk: number | null;
  value: string | null;
  grp: number;
}

export interface SctConceptRow {
  concept_pk: number;
  module_pk: number | null;
  effective_time: number;
  defined: number;
}

/**
 * A description as stored in concept_designation (extra: {"id", "acc": {refsetId: "P"|"A"}, "t":
 * effectiveTime as YYYYMMDD, "m": moduleId where it is not the concept's}).
 */
export interface DescriptionRow {
  concept_pk: number;
  language: string | null;
  use_code: string | null;
  value: string;
  /** 1 when the description is inactive */
  inactive: number;
  extra: string | null;
}

export interface RefsetMemberRow {
  refset_pk: number;
  referenced_pk: number | null;
  referenced_id: string;
  target_pk: number | null;
  target: string | null;
  /** the member's module and effective time (null in releases imported before migration 012) */
  module_pk: number | null;
  effective_time: number | null;
}

/** An active member of a reference set as ECL's member filters read it. */
export type MemberRow = Pick<RefsetMemberRow, 'target_pk' | 'target' | 'module_pk' | 'effective_time'> & { referenced_pk: number };

/**
 * Every SQL statement over the Snomed CT tables (migration 003) and the concept tables as Snomed
 * needs them: concept-row pks in, pks out, so that the ECL evaluator combines sets of integers and
 * never touches SCTID strings or builds concept objects it does not return.
 */
export class SnomedStore {
  private readonly stmts = new Map<string, Statement>();
  private readonly inList: InListQueries;

  constructor(
    private readonly db: Db,
    readonly csPk: number,
  ) {
    this.inList = new InListQueries(db);
  }

  get database(): Db {
    return this.db;
  }

  private s(sql: string): Statement {
    let st = this.stmts.get(sql);
    if (!st) this.stmts.set(sql, (st = this.db.prepare(sql)));
    return st;
  }

  private pks(sql: string, ...args: unknown[]): number[] {
    return (this.s(sql).raw().all(...args) as [number][]).map((r) => r[0]);
  }

  /** Concept pk of an SCTID in this release. */
  pkOf(code: string): number | undefined {
    return (this.s('SELECT pk FROM concept WHERE cs_pk = ? AND code = ?').get(this.csPk, code) as { pk: number } | undefined)?.pk;
  }

  /** SCTIDs of concept pks (any order in, a map out). */
  codesOf(pks: Iterable<number>): Map<number, string> {
    const out = new Map<number, string>();
    this.inChunks([...pks], 'SELECT pk, code FROM concept WHERE pk IN (#)', (r: { pk: number; code: string }) => out.set(r.pk, r.code));
    return out;
  }

  isActive(pk: number): boolean {
    return !!this.s('SELECT 1 FROM concept WHERE pk = ? AND inactive = 0').get(pk);
  }

  allPks(): number[] {
    return this.pks('SELECT pk FROM concept WHERE cs_pk = ?', this.csPk);
  }

  childPks(pk: number): number[] {
    return this.pks('SELECT child_pk FROM concept_parent WHERE parent_pk = ?', pk);
  }

  parentPks(pk: number): number[] {
    return this.pks('SELECT parent_pk FROM concept_parent WHERE child_pk = ?', pk);
  }

  /** Codes and displays of a concept's parents or children, in pk order (a lookup shows no more of them). */
  linked(pk: number, which: 'parents' | 'children'): { code: string; display: string | null }[] {
    return (
      which === 'parents'
        ? this.s('SELECT c.code, c.display FROM concept_parent p JOIN concept c ON c.pk = p.parent_pk WHERE p.child_pk = ? ORDER BY p.parent_pk')
        : this.s('SELECT c.code, c.display FROM concept_parent p JOIN concept c ON c.pk = p.child_pk WHERE p.parent_pk = ? ORDER BY p.child_pk')
    ).all(pk) as { code: string; display: string | null }[];
  }

  /** The display of a concept row. */
  displayOf(pk: number): string | undefined {
    return (this.s('SELECT display FROM concept WHERE pk = ?').get(pk) as { display: string | null } | undefined)?.display ?? undefined;
  }

  descendantPks(pk: number): number[] {
    return this.pks('SELECT descendant_pk FROM concept_closure WHERE ancestor_pk = ?', pk);
  }

  ancestorPks(pk: number): number[] {
    return this.pks('SELECT ancestor_pk FROM concept_closure WHERE descendant_pk = ?', pk);
  }

  /** Is `descendant` strictly below `ancestor`? One primary-key lookup in the closure. */
  isDescendant(ancestor: number, descendant: number): boolean {
    return !!this.s('SELECT 1 FROM concept_closure WHERE ancestor_pk = ? AND descendant_pk = ?').get(ancestor, descendant);
  }

  sctConcepts(pks: number[]): Map<number, SctConceptRow> {
    const out = new Map<number, SctConceptRow>();
    this.inChunks(pks, 'SELECT * FROM sct_concept WHERE concept_pk IN (#)', (r: SctConceptRow) => out.set(r.concept_pk, r));
    return out;
  }

  conceptsOfModule(modulePk: number): number[] {
    return this.pks('SELECT concept_pk FROM sct_concept WHERE module_pk = ?', modulePk);
  }

  relationshipsOf(pk: number): RelationshipRow[] {
    return this.s('SELECT * FROM sct_relationship WHERE source_pk = ?').all(pk) as RelationshipRow[];
  }

  /**
   * A concept's attribute relationships with the codes and displays of their types and
   * destinations, in one query (the order of relationshipsOf: the source index's, by type).
   */
  relationshipTerms(pk: number): RelationshipTermRow[] {
    return this.s(
      'SELECT r.type_pk, t.code AS type_code, t.display AS type_display, r.dest_pk, d.code AS dest_code, d.display AS dest_display, r.value ' +
        'FROM sct_relationship r LEFT JOIN concept t ON t.pk = r.type_pk LEFT JOIN concept d ON d.pk = r.dest_pk WHERE r.source_pk = ? ORDER BY r.type_pk, r.rowid',
    ).all(pk) as RelationshipTermRow[];
  }

  /** Relationships of many concepts, grouped by source. */
  relationshipsOfMany(pks: number[]): Map<number, RelationshipRow[]> {
    return this.grouped(pks, 'SELECT * FROM sct_relationship WHERE source_pk IN (#)', (r: RelationshipRow) => r.source_pk);
  }

  /** Sources with a relationship of this type (to any destination or value). */
  sourcesWithType(typePk: number): number[] {
    return this.pks('SELECT DISTINCT source_pk FROM sct_relationship WHERE type_pk = ?', typePk);
  }

  sourcesWith(typePk: number, destPk: number): number[] {
    return this.pks('SELECT source_pk FROM sct_relationship WHERE type_pk = ? AND dest_pk = ?', typePk, destPk);
  }

  /** Relationships pointing at a concept (for dotted attributes tested one concept at a time). */
  relationshipsTo(destPk: number): RelationshipRow[] {
    return this.s('SELECT * FROM sct_relationship WHERE dest_pk = ?').all(destPk) as RelationshipRow[];
  }

  /** Destinations of the relationships of a type from a concept (dotted attributes). */
  destinationsOf(sourcePk: number, typePk: number): number[] {
    return this.pks('SELECT dest_pk FROM sct_relationship WHERE source_pk = ? AND type_pk = ? AND dest_pk IS NOT NULL', sourcePk, typePk);
  }

  /** Is `child` a direct child of `parent`? */
  isChild(parent: number, child: number): boolean {
    return !!this.s('SELECT 1 FROM concept_parent WHERE child_pk = ? AND parent_pk = ?').get(child, parent);
  }

  /** Concepts with at least one parent (everything below the roots). */
  pksWithParents(): number[] {
    return this.pks('SELECT DISTINCT p.child_pk FROM concept_parent p JOIN concept c ON c.pk = p.child_pk WHERE c.cs_pk = ?', this.csPk);
  }

  /** Concepts with at least one child. */
  pksWithChildren(): number[] {
    return this.pks('SELECT DISTINCT p.parent_pk FROM concept_parent p JOIN concept c ON c.pk = p.parent_pk WHERE c.cs_pk = ?', this.csPk);
  }

  /** The descriptions (designation rows) of many concepts, grouped by concept, in stored order. */
  descriptionsOf(pks: number[]): Map<number, DescriptionRow[]> {
    return this.grouped(pks, 'SELECT concept_pk, language, use_code, value, inactive, extra FROM concept_designation WHERE concept_pk IN (#) ORDER BY pk', (r: DescriptionRow) => r.concept_pk);
  }

  /** Concepts with a term containing words that start with each of the given words (FTS index). */
  searchPks(words: string[]): number[] {
    if (words.length === 0) return [];
    const match = words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' AND ');
    return this.pks('SELECT concept_pk FROM concept_text WHERE concept_text MATCH ? AND cs_pk = ?', match, this.csPk);
  }

  /** Concepts that are reference sets (have active members). */
  refsetPks(): number[] {
    return this.pks('SELECT DISTINCT m.refset_pk FROM sct_refset_member m JOIN concept c ON c.pk = m.refset_pk WHERE c.cs_pk = ?', this.csPk);
  }

  /** The target texts of a reference set's members for one referenced concept (e.g. the MRCM rules of an attribute). */
  memberTargets(refsetPk: number, referencedPk: number): string[] {
    return (this.s('SELECT target FROM sct_refset_member WHERE refset_pk = ? AND referenced_pk = ? AND target IS NOT NULL').all(refsetPk, referencedPk) as { target: string }[]).map((r) => r.target);
  }

  isRefset(pk: number): boolean {
    return !!this.s('SELECT 1 FROM sct_refset_member WHERE refset_pk = ? LIMIT 1').get(pk);
  }

  /** Concepts referenced by the active members of a reference set. */
  memberPks(refsetPk: number): number[] {
    return this.pks('SELECT DISTINCT referenced_pk FROM sct_refset_member WHERE refset_pk = ? AND referenced_pk IS NOT NULL', refsetPk);
  }

  /** The active members of a reference set, with their referenced concept and target (concept or map target). */
  memberRows(refsetPk: number): MemberRow[] {
    return this.s('SELECT referenced_pk, target_pk, target, module_pk, effective_time FROM sct_refset_member WHERE refset_pk = ? AND referenced_pk IS NOT NULL').all(refsetPk) as MemberRow[];
  }

  /** Does a reference set pair concepts with concepts (an association reference set)? */
  hasConceptTargets(refsetPk: number): boolean {
    return !!this.s('SELECT 1 FROM sct_refset_member WHERE refset_pk = ? AND target_pk IS NOT NULL LIMIT 1').get(refsetPk);
  }

  /** Concepts a reference set's active members pair with `targetPk` (as their target). */
  sourcesOf(refsetPk: number, targetPk: number): number[] {
    return this.pks('SELECT referenced_pk FROM sct_refset_member WHERE refset_pk = ? AND target_pk = ? AND referenced_pk IS NOT NULL', refsetPk, targetPk);
  }

  isMember(refsetPk: number, pk: number): boolean {
    return !!this.s('SELECT 1 FROM sct_refset_member WHERE refset_pk = ? AND referenced_pk = ? LIMIT 1').get(refsetPk, pk);
  }

  /** Active members that reference a concept (association targets for inactive concepts, ...). */
  membershipsOf(pk: number): RefsetMemberRow[] {
    return this.s('SELECT * FROM sct_refset_member WHERE referenced_pk = ?').all(pk) as RefsetMemberRow[];
  }

  /** Rows for many pks, grouped by the pk each belongs to, in query order. */
  private grouped<T>(pks: number[], sql: string, key: (row: T) => number): Map<number, T[]> {
    const out = new Map<number, T[]>();
    this.inChunks(pks, sql, (r: T) => {
      const list = out.get(key(r));
      if (list) list.push(r);
      else out.set(key(r), [r]);
    });
    return out;
  }

  private inChunks<T>(pks: number[], sql: string, each: (row: T) => void): void {
    this.inList.each(sql, pks, each);
  }

  // ---- writing (the RF2 importer, inside its transaction) ---------------------------------

  insertConcept(r: SctConceptRow): void {
    this.s('INSERT INTO sct_concept (concept_pk, module_pk, effective_time, defined) VALUES (?, ?, ?, ?)').run(r.concept_pk, r.module_pk, r.effective_time, r.defined);
  }

  insertRelationship(r: RelationshipRow): void {
    this.s('INSERT INTO sct_relationship (source_pk, type_pk, dest_pk, value, grp) VALUES (?, ?, ?, ?, ?)').run(r.source_pk, r.type_pk, r.dest_pk, r.value, r.grp);
  }

  insertMember(r: RefsetMemberRow): void {
    this.s('INSERT INTO sct_refset_member (refset_pk, referenced_pk, referenced_id, target_pk, target, module_pk, effective_time) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      r.refset_pk,
      r.referenced_pk,
      r.referenced_id,
      r.target_pk,
      r.target,
      r.module_pk,
      r.effective_time,
    );
  }

  /** Every concept of the release by SCTID (for the importer to resolve ids to rows). */
  pkByCode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [pk, code] of this.s('SELECT pk, code FROM concept WHERE cs_pk = ?').raw().iterate(this.csPk) as IterableIterator<[number, string]>) out.set(code, pk);
    return out;
  }
}

/** An active member of a reference set other than a language refset, as staged (its latest row). */
export interface StagedRefsetMember {
  refset: string;
  referenced: string;
  target: string | null;
  module: string;
  effective: string;
}

/** A staged description with its language-refset acceptabilities (refset id -> preferred/acceptable id). */
export interface StagedDescription {
  id: string;
  /** effectiveTime (YYYYMMDD) and moduleId of the description's latest row */
  effective: string;
  module: string;
  /** inactive descriptions are kept: a display once valid is recognised as no longer current */
  active: boolean;
  lang: string;
  type: string;
  term: string;
  acc: Record<string, string>;
}

export interface StagedConcept {
  id: string;
  effective: string;
  active: number;
  module: string;
  status: string;
}

/*
 * SCTIDs are staged as SQLite INTEGERs (at most 18 digits: they fit in 64 bits; the reader has
 * checked every one) and read back with CAST(... AS TEXT): integer keys are smaller and compare
 * faster than text, and JavaScript numbers would lose digits of an 18-digit id.
 */
/** The page cache of a staging file being written, in KiB: millions of rows go in, the concepts' and relationships' with a key to check. */
const STAGING_CACHE_KIB = 32768;

/**
 * A staged table: how it is made, the index made once its rows are in (building it afterwards is
 * much faster than row by row), and how a row goes in: a keyed row replaces an older one of its id.
 */
const STAGING_TABLES = {
  concept: {
    schema: 'CREATE TABLE concept (id INTEGER NOT NULL UNIQUE, effective TEXT NOT NULL, active INTEGER NOT NULL, module TEXT NOT NULL, status TEXT NOT NULL)',
    index: undefined,
    insert: { keyed: true, columns: ['id', 'effective', 'active', 'module', 'status'] },
  },
  description: {
    schema: 'CREATE TABLE description (id INTEGER NOT NULL, effective TEXT NOT NULL, active INTEGER NOT NULL, module INTEGER NOT NULL, concept INTEGER NOT NULL, lang TEXT NOT NULL, type TEXT NOT NULL, term TEXT NOT NULL, seq INTEGER NOT NULL)',
    index: 'CREATE INDEX description_by_concept ON description (concept, seq)',
    insert: { keyed: false, columns: ['id', 'effective', 'active', 'module', 'concept', 'lang', 'type', 'term', 'seq'] },
  },
  // a language member is read only through its description: the index holds the whole row
  language: {
    schema: 'CREATE TABLE language (description INTEGER NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, effective TEXT NOT NULL, active INTEGER NOT NULL, refset TEXT NOT NULL, acceptability TEXT NOT NULL)',
    index: 'CREATE INDEX language_by_description ON language (description, seq, id, effective, active, refset, acceptability)',
    insert: { keyed: false, columns: ['description', 'seq', 'id', 'effective', 'active', 'refset', 'acceptability'] },
  },
  relationship: {
    schema: 'CREATE TABLE relationship (id INTEGER NOT NULL UNIQUE, effective TEXT NOT NULL, active INTEGER NOT NULL, source INTEGER NOT NULL, dest INTEGER, value TEXT, grp INTEGER NOT NULL, type INTEGER NOT NULL, chartype INTEGER NOT NULL)',
    index: 'CREATE INDEX relationship_by_source ON relationship (source, type)',
    insert: { keyed: true, columns: ['id', 'effective', 'active', 'source', 'dest', 'value', 'grp', 'type', 'chartype'] },
  },
  member: {
    schema: 'CREATE TABLE member (id TEXT PRIMARY KEY, effective TEXT NOT NULL, active INTEGER NOT NULL, module TEXT NOT NULL, refset TEXT NOT NULL, referenced TEXT NOT NULL, target TEXT)',
    index: undefined,
    insert: { keyed: true, columns: ['id', 'effective', 'active', 'module', 'refset', 'referenced', 'target'] },
  },
} as const;

export type StagedTable = keyof typeof STAGING_TABLES;

/**
 * Which tables a staging file holds. A release can be staged in two files at once, on two threads:
 * the concepts with their descriptions ('terms') and the rows that point at them (language-refset
 * members, relationships, other refset members: 'links'), about half of the bytes each; the terms
 * file then attaches the links file to assemble the concepts.
 */
export type StagingPart = 'whole' | 'terms' | 'links';
const PART_TABLES: Record<StagingPart, StagedTable[]> = {
  whole: ['concept', 'description', 'language', 'relationship', 'member'],
  terms: ['concept', 'description'],
  links: ['language', 'relationship', 'member'],
};

/** What the assembled concepts held: descriptions and active language-refset members, after the latest rows won. */
export interface AssembledCounts {
  descriptions: number;
  activeDescriptions: number;
  activeLanguageMembers: number;
}

/** A language-refset member of a description as staged: its latest row, and where it first appeared. */
export interface StagedMember {
  id: string;
  effective: string;
  active: number;
  refset: string;
  acceptability: string;
  seq: number;
}

/**
 * Adds a row of a language-refset member to a description's members: a member (by UUID) is what
 * its latest row says (of two rows of one effectiveTime, the first in file order), in the place
 * where it first appeared.
 */
export function addMemberRow(members: StagedMember[], row: StagedMember): void {
  const held = members.find((m) => m.id === row.id);
  if (!held) members.push(row);
  else {
    const first = Math.min(held.seq, row.seq);
    if (row.effective > held.effective || (row.effective === held.effective && row.seq < held.seq)) Object.assign(held, row);
    held.seq = first;
  }
}

/**
 * Acceptabilities of one description from its language-refset members: each active member sets
 * its refset's acceptability, in file order, so that the later of two active members of one
 * refset wins.
 */
export function acceptabilityOf(members: StagedMember[]): Record<string, string> {
  const acc: Record<string, string> = {};
  const ordered = members.length > 1 ? [...members].sort((x, y) => x.seq - y.seq) : members;
  for (const m of ordered) if (m.active === 1) acc[m.refset] = m.acceptability;
  return acc;
}

/**
 * A throw-away SQLite file that an RF2 release is staged into, so that each concept can be
 * assembled with its descriptions, acceptabilities and parents (which the files hold in no
 * particular order) without holding millions of rows in memory. A row of a later effectiveTime
 * wins when a component appears in several files (an extension re-releasing a component).
 * Descriptions and language-refset members, the two largest files, are appended as they come,
 * without a key to check per row: which of a component's rows wins is decided when a concept is
 * assembled, among the rows of that concept (a description's concept and a member's description
 * never change between releases of the component, so its rows all meet there).
 */
export class Rf2Staging {
  private readonly db: Db;
  private readonly inserts: Partial<Record<StagedTable, Statement>> = {};
  private seq = 0;
  /** filled in by assembled() */
  readonly counts: AssembledCounts = { descriptions: 0, activeDescriptions: 0, activeLanguageMembers: 0 };

  /** the tables this file was created for (none when it was opened to be read) */
  readonly tables: ReadonlySet<StagedTable>;

  /**
   * @param existing open a file already staged (to read it) instead of creating one
   * @param options.part the tables to create (default all of them)
   * @param options.attach a staged links file to read with this one (its tables are then found by their plain names)
   */
  constructor(
    readonly file: string,
    existing = false,
    options: { part?: StagingPart; attach?: string } = {},
  ) {
    this.db = new Database(file, { fileMustExist: existing });
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.pragma('locking_mode = EXCLUSIVE');
    // the links part is staged on the import's thread while the terms part is staged on another:
    // its cache is half, so that the two together hold little more than one did
    this.db.pragma(`cache_size = -${options.part === 'links' ? STAGING_CACHE_KIB / 2 : STAGING_CACHE_KIB}`);
    // index builds sort in temporary files, not in the process's memory
    this.db.pragma('temp_store = FILE');
    this.tables = new Set(existing ? [] : PART_TABLES[options.part ?? 'whole']);
    for (const t of this.tables) this.db.exec(STAGING_TABLES[t].schema);
    if (options.attach) this.attach(options.attach);
    const upsert = (table: string, cols: readonly string[]) =>
      this.db.prepare(
        `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')}) ` +
          `ON CONFLICT (id) DO UPDATE SET ${cols.filter((c) => c !== 'id' && c !== 'seq').map((c) => `${c} = excluded.${c}`).join(', ')} WHERE excluded.effective > ${table}.effective`,
      );
    const append = (table: string, cols: readonly string[]) => this.db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    for (const t of this.tables) {
      const { keyed, columns } = STAGING_TABLES[t].insert;
      this.inserts[t] = (keyed ? upsert : append)(t, columns);
    }
  }

  /** Reads a staged links file with this one (it must be closed by whoever staged it: both are opened exclusively). */
  attach(linksFile: string): void {
    this.db.prepare('ATTACH DATABASE ? AS links').run(linksFile);
    // read once each, in index order: the two files' caches together are smaller than one file's while staging
    this.db.pragma(`main.cache_size = -${STAGING_CACHE_KIB / 2}`);
    this.db.pragma(`links.cache_size = -${STAGING_CACHE_KIB / 4}`);
  }

  /** Runs a bulk load in one transaction. */
  load(fn: () => void): void {
    this.db.transaction(fn)();
  }

  concept(id: string, effective: string, active: number, module: string, status: string): void {
    this.inserts.concept!.run(id, effective, active, module, status);
  }

  description(id: string, effective: string, active: number, module: string, concept: string, lang: string, type: string, term: string): void {
    this.inserts.description!.run(id, effective, active, module, concept, lang, type, term, this.seq++);
  }

  language(id: string, effective: string, active: number, refset: string, description: string, acceptability: string): void {
    this.inserts.language!.run(description, this.seq++, id, effective, active, refset, acceptability);
  }

  relationship(id: string, effective: string, active: number, source: string, dest: string | null, value: string | null, grp: number, type: string, chartype: string): void {
    this.inserts.relationship!.run(id, effective, active, source, dest, value, grp, type, chartype);
  }

  member(id: string, effective: string, active: number, module: string, refset: string, referenced: string, target: string | null): void {
    this.inserts.member!.run(id, effective, active, module, refset, referenced, target);
  }

  /** Indexes the tables this file was created for, once their rows are in. */
  index(): void {
    for (const t of this.tables) {
      const index = STAGING_TABLES[t].index;
      if (index) this.db.exec(index);
    }
  }

  count(table: 'concept' | 'relationship' | 'member', activeOnly = false): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${table}${activeOnly ? ' WHERE active = 1' : ''}`).get() as { n: number }).n;
  }

  /**
   * Concepts in file order with their descriptions, active and inactive (file order, with acceptabilities) and
   * active is-a parents of one characteristic type: a page of concepts at a time, with one query
   * per page for each (the caller may query other tables between pages). Pages are small: the
   * rows of a large page outlive the young generation and pile up in V8's old space until a full
   * collection (2,000 concepts a page: ~200 MB more peak at 350,000 concepts).
   */
  *assembled(isA: string, chartype: string, page = 250): Generator<{ concept: StagedConcept; descriptions: StagedDescription[]; parents: string[] }> {
    const concepts = this.s('page', 'SELECT rowid AS r, CAST(id AS TEXT) AS id, effective, active, module, status FROM concept WHERE rowid > ? ORDER BY rowid LIMIT ?');
    // a description's members come in the order of the language index (description, seq, ...)
    const descriptions = this.s(
      'descriptions',
      `SELECT CAST(d.concept AS TEXT), CAST(d.id AS TEXT), d.effective, d.active, CAST(d.module AS TEXT), d.lang, d.type, d.term, d.seq,
              l.id, l.effective, l.active, l.refset, l.acceptability, l.seq
       FROM description d LEFT JOIN language l ON l.description = d.id
       WHERE d.concept IN (SELECT id FROM concept WHERE rowid > ? AND rowid <= ?) ORDER BY d.concept, d.seq`,
    ).raw();
    const parents = this.s(
      'parents',
      'SELECT CAST(source AS TEXT), CAST(dest AS TEXT) FROM relationship WHERE source IN (SELECT id FROM concept WHERE rowid > ? AND rowid <= ?) AND type = ? AND active = 1 AND chartype = ?',
    );
    type Row = [string, string, string, number, string, string, string, string, number, string | null, string, number, string, string, number];
    type Description = { effective: string; active: number; module: string; lang: string; type: string; term: string; members: StagedMember[] };
    for (let after = 0; ; ) {
      const rows = concepts.all(after, page) as (StagedConcept & { r: number })[];
      if (rows.length === 0) return;
      const last = rows[rows.length - 1].r;
      const byConcept = new Map<string, Map<string, Description>>();
      for (const [concept, id, effective, active, module, lang, type, term, , member, memberEffective, memberActive, refset, acceptability, memberSeq] of descriptions.all(after, last) as Row[]) {
        let list = byConcept.get(concept);
        if (!list) byConcept.set(concept, (list = new Map()));
        let entry = list.get(id);
        if (!entry) list.set(id, (entry = { effective, active, module, lang, type, term, members: [] }));
        else if (effective > entry.effective) Object.assign(entry, { effective, active, module, lang, type, term });
        if (member !== null) addMemberRow(entry.members, { id: member, effective: memberEffective, active: memberActive, refset, acceptability, seq: memberSeq });
      }
      const parentsOf = new Map<string, string[]>();
      for (const [source, dest] of parents.raw().all(after, last, isA, chartype) as [string, string][]) parentsOf.set(source, [...(parentsOf.get(source) ?? []), dest]);
      for (const concept of rows) {
        const descriptions: StagedDescription[] = [];
        for (const [id, d] of byConcept.get(concept.id) ?? []) {
          const acc = acceptabilityOf(d.members);
          this.counts.descriptions++;
          if (d.active === 1) this.counts.activeDescriptions++;
          for (const m of d.members) this.counts.activeLanguageMembers += m.active;
          descriptions.push({ id, effective: d.effective, module: d.module, active: d.active === 1, lang: d.lang, type: d.type, term: d.term, acc });
        }
        yield { concept, descriptions, parents: concept.active ? (parentsOf.get(concept.id) ?? []) : [] };
      }
      after = last;
    }
  }

  /** Concepts in file order (their RF2 columns only). */
  *concepts(page = 5000): Generator<StagedConcept> {
    const st = this.s('page', 'SELECT rowid AS r, CAST(id AS TEXT) AS id, effective, active, module, status FROM concept WHERE rowid > ? ORDER BY rowid LIMIT ?');
    for (let after = 0; ; ) {
      const rows = st.all(after, page) as (StagedConcept & { r: number })[];
      if (rows.length === 0) return;
      yield* rows;
      after = rows[rows.length - 1].r;
    }
  }

  /** Active relationships other than is-a, of one characteristic type. */
  *attributeRelationships(isA: string, chartype: string): Generator<{ source: string; dest: string | null; value: string | null; grp: number; type: string }> {
    yield* this.db.prepare('SELECT CAST(source AS TEXT) AS source, CAST(dest AS TEXT) AS dest, value, grp, CAST(type AS TEXT) AS type FROM relationship WHERE active = 1 AND type <> ? AND chartype = ?').iterate(isA, chartype) as IterableIterator<{
      source: string;
      dest: string | null;
      value: string | null;
      grp: number;
      type: string;
    }>;
  }

  *activeMembers(): Generator<StagedRefsetMember> {
    yield* this.db.prepare('SELECT refset, referenced, target, module, effective FROM member WHERE active = 1').iterate() as IterableIterator<StagedRefsetMember>;
  }

  private readonly named = new Map<string, Statement>();
  private s(name: string, sql: string): Statement {
    let st = this.named.get(name);
    if (!st) this.named.set(name, (st = this.db.prepare(sql)));
    return st;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
