import type { DescriptionRow, MemberRow, SctConceptRow, SnomedStore } from '../../store/snomed-store';
import {
  ActiveChoice,
  AttributeRefinement,
  Cardinality,
  Comparison,
  ConceptChoice,
  ConceptFilterItem,
  ConceptRef,
  DescriptionFilterItem,
  EclFilter,
  EclNode,
  HierarchyOp,
  HistorySupplement,
  MemberFilterItem,
  Refinement,
  SubExpression,
  TimeComparison,
  TypedTerm,
  isWildcardNode,
} from './ecl-ast';
import { SctExpression, isSimple } from './expression';
import { HISTORY_PROFILES, SCT, isSctid } from './sctid';

/** ECL that parses but cannot be evaluated against this release (e.g. an unknown concept). */
export class EclEvaluationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EclEvaluationError';
  }
}

/**
 * An attribute of a concept or an expression as refinements see it: its type, its value (a
 * concept row, a nested expression or a concrete value) and its role group (0: ungrouped).
 */
interface AttributeRecord {
  type: number;
  grp: number;
  dest?: number;
  expression?: SctExpression;
  value?: string;
}

/** The store lookup each hierarchy operator takes from a focus concept (the self is added apart). */
const STEPS: Record<Exclude<HierarchyOp, '!!>' | '!!<'>, 'descendantPks' | 'childPks' | 'ancestorPks' | 'parentPks'> = {
  '<': 'descendantPks',
  '<<': 'descendantPks',
  '<!': 'childPks',
  '<<!': 'childPks',
  '>': 'ancestorPks',
  '>>': 'ancestorPks',
  '>!': 'parentPks',
  '>>!': 'parentPks',
};

/** Sets up to this size are tested against another constraint concept by concept rather than by listing it. */
const FEW = 5000;
/** Candidate lists longer than this are not narrowed by (type, value) index lookups. */
const PAIR_LOOKUP_LIMIT = 20_000;
const BATCH = 500;
/** Answers of `has` kept per constraint node. */
const SINGLE_ANSWERS = 50_000;

function union(target: Set<number>, items: Iterable<number>): Set<number> {
  for (const i of items) target.add(i);
  return target;
}

function inCardinality(c: Cardinality | undefined, n: number): boolean {
  const min = c?.min ?? 1;
  return n >= min && (c?.max === undefined || n <= c.max);
}

function compareNumbers(a: number, op: string, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    default:
      return a >= b;
  }
}

/** Several dates: = and the orderings hold when one date satisfies them, != when none is equal. */
function timeMatches(t: number, time: TimeComparison): boolean {
  return time.op === '!=' ? time.dates.every((d) => t !== d) : time.dates.some((d) => compareNumbers(t, time.op, d));
}

function activeMatches(active: boolean, wanted: ActiveChoice): boolean {
  return wanted === 'any' || (wanted !== 'none' && active === wanted);
}

/** The items of a description filter that read the description's stored extra. */
const READS_EXTRA = new Set<string>(['dialect', 'id', 'module', 'effectiveTime']);

/** The expression constraints inside a filter's items (member fields, or concepts named by constraint). */
function filterConstraints(f: EclFilter): EclNode[] {
  const out: EclNode[] = [];
  const add = (c: ConceptChoice) => {
    if ('constraint' in c) out.push(c.constraint);
  };
  for (const i of f.items) {
    if (i.kind === 'concept') out.push(i.value);
    else if (i.kind === 'type' || i.kind === 'module' || i.kind === 'definitionStatus') add(i.concepts);
    else if (i.kind === 'dialect') i.dialects.forEach((d) => add(d.refsets));
  }
  return out;
}

/**
 * What a Snomed CT description's stored extra holds: its id, its acceptability in each language
 * refset and, in releases imported since descriptions kept them, its effective time and its module
 * when that is not its concept's.
 */
interface DescriptionDetails {
  id?: string;
  acc?: Record<string, 'P' | 'A'>;
  t?: number;
  m?: string;
}

const REIMPORT_MEMBERS = 'this Snomed CT release was imported before Kodverk kept the module and effective time of each reference set member: import it again to filter members by moduleId or effectiveTime';

const REIMPORT = 'this Snomed CT release was imported before Kodverk kept the effective time and module of each description: import it again to filter descriptions by effectiveTime or moduleId';

/** Does a text match any of the search terms: every word a prefix of one of its words, or the wildcard pattern? */
function termMatches(terms: TypedTerm[], text: string): boolean {
  const textWords = words(text);
  return terms.some((t) =>
    t.type === 'wild'
      ? new RegExp('^' + t.text.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$', 'iu').test(text)
      : words(t.text).every((w) => textWords.some((tw) => tw.startsWith(w))),
  );
}

/** Words of a term for word-prefix matching (ECL "match" search terms). */
function words(s: string): string[] {
  return s.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/**
 * Evaluates ECL trees against one Snomed CT release in the store. Two ways: `members` lists a
 * constraint's concepts (for $expand), `has` tests one concept without listing (for
 * $validate-code: closure and index lookups, so `<< 138875005` costs no more than `<< 10200004`),
 * and `hasExpression` tests a post-coordinated expression. Results are memoised per tree node, so
 * one evaluator serves one parsed constraint for as long as the release is unchanged.
 */
export class EclEvaluator {
  private readonly memo = new WeakMap<object, Set<number>>();
  /** members held by the memoised sets and single answers (what this evaluator costs in memory) */
  weight = 0;
  private readonly single = new WeakMap<object, Map<number, boolean>>();
  private readonly pkCache = new Map<string, number>();
  private rootPk?: number | null;
  private timesKept?: boolean;
  /** rows of the SCTIDs filters compare (null: not in the release) */
  private readonly idLookups = new Map<string, number | null>();

  constructor(private readonly store: SnomedStore) {}

  /** The concept row of an SCTID; an id that is malformed or not in the release is an error. */
  pk(ref: ConceptRef | string): number {
    const id = typeof ref === 'string' ? ref : ref.id;
    const known = this.pkCache.get(id);
    if (known !== undefined) return known;
    if (!isSctid(id, 'concept')) throw new EclEvaluationError(`${id} is not a valid Snomed CT concept id`);
    const pk = this.store.pkOf(id);
    if (pk === undefined) throw new EclEvaluationError(`Unknown Snomed CT concept ${id}`);
    this.pkCache.set(id, pk);
    return pk;
  }

  /** Checks every concept a tree names exists (so errors surface before any evaluation). */
  check(node: EclNode): void {
    const visit = (n: EclNode | SubExpression['focus']): void => {
      switch (n.kind) {
        case 'concept':
          this.pk(n);
          return;
        case 'wildcard':
          return;
        case 'sub':
          if (n.history && 'refsets' in n.history) visit(n.history.refsets);
          for (const f of n.filters) {
            filterConstraints(f).forEach(visit);
            for (const i of f.items) {
              if (i.kind === 'module' && 'ids' in i.concepts) i.concepts.ids.forEach((id) => this.pk(id));
              if (f.kind === 'description' && (i.kind === 'module' || i.kind === 'effectiveTime') && !this.descriptionTimesKept()) throw new EclEvaluationError(REIMPORT);
            }
          }
          return visit(n.focus);
        case 'and':
        case 'or':
          return n.operands.forEach(visit);
        case 'minus':
          visit(n.left);
          return visit(n.right);
        case 'dotted':
          visit(n.base);
          return n.attributes.forEach(visit);
        case 'refined': {
          visit(n.base);
          const walk = (r: Refinement): void => {
            if (r.kind === 'attribute') {
              visit(r.name);
              if (r.comparison.type === 'expression') visit(r.comparison.value);
            } else if (r.kind === 'group') walk(r.inner);
            else r.items.forEach(walk);
          };
          return walk(n.refinement);
        }
      }
    };
    visit(node);
  }

  /** Were the release's descriptions imported with their effective times and modules? (The root's tell.) */
  private descriptionTimesKept(): boolean {
    if (this.timesKept === undefined) {
      const root = this.root();
      const rows = root === undefined ? [] : (this.store.descriptionsOf([root]).get(root) ?? []);
      this.timesKept = rows.length === 0 || rows.some((d) => this.descriptionDetails(d).t !== undefined);
    }
    return this.timesKept;
  }

  private root(): number | undefined {
    if (this.rootPk === undefined) this.rootPk = this.store.pkOf(SCT.root) ?? null;
    return this.rootPk ?? undefined;
  }

  // ---- listing ------------------------------------------------------------------------------

  members(node: EclNode): Set<number> {
    const known = this.memo.get(node);
    if (known) return known;
    let out: Set<number>;
    switch (node.kind) {
      case 'sub':
        out = this.subMembers(node);
        break;
      case 'and': {
        const [first, ...rest] = node.operands.filter((o) => !isWildcardNode(o));
        out = first ? this.members(first) : this.wildcard();
        for (const o of rest) out = this.keep(out, o, true);
        break;
      }
      case 'or':
        out = new Set<number>();
        for (const o of node.operands) union(out, this.members(o));
        break;
      case 'minus':
        out = this.keep(this.members(node.left), node.right, false);
        break;
      case 'refined':
        out = this.refinedMembers(node.base, node.refinement);
        break;
      case 'dotted':
        out = this.dottedMembers(node.base, node.attributes);
        break;
    }
    this.memo.set(node, out);
    this.weight += out.size;
    return out;
  }

  /**
   * The members of `set` that are (or with `inside` false, are not) in `node`: a few concepts
   * are tested one by one through the indexes, a large set is compared with the node's list.
   */
  private keep(set: Set<number>, node: EclNode, inside: boolean): Set<number> {
    const listed = this.memo.get(node) ?? (set.size > FEW ? this.members(node) : undefined);
    return new Set([...set].filter((pk) => (listed ? listed.has(pk) : this.has(node, pk)) === inside));
  }

  /** `*`: the concepts of the hierarchy (the root and everything below it). */
  private wildcard(): Set<number> {
    const root = this.root();
    if (root === undefined) return new Set(this.store.allPks().filter((pk) => this.store.isActive(pk)));
    return new Set([root, ...this.store.descendantPks(root)]);
  }

  private subMembers(node: SubExpression): Set<number> {
    let set: Set<number>;
    const f = node.focus;
    if (f.kind === 'wildcard' && !node.memberOf) {
      set = this.wildcardWith(node.op);
    } else {
      let focus = f.kind === 'concept' ? new Set([this.pk(f)]) : f.kind === 'wildcard' ? this.wildcard() : this.members(f);
      if (node.memberOf) {
        const onMembers = node.filters.filter((x): x is Extract<EclFilter, { kind: 'member' }> => x.kind === 'member');
        const members = new Set<number>();
        for (const refset of focus) {
          if (onMembers.length === 0 && !node.memberField) union(members, this.store.memberPks(refset));
          else
            for (const m of this.store.memberRows(refset)) {
              if (!onMembers.every((x) => x.items.every((item) => this.memberPasses(m, item)))) continue;
              const selected = node.memberField === 'target' ? m.target_pk : m.referenced_pk;
              if (selected !== null) members.add(selected);
            }
        }
        focus = members;
      }
      set = node.op ? this.applyOperator(node.op, focus) : focus;
    }
    const filters = node.filters.filter((x) => x.kind !== 'member');
    if (filters.length) set = this.filterSet(set, filters);
    return node.history ? this.withHistory(set, node.history) : set;
  }

  /** Does a reference set member pass an item of a member filter ({{ M ... }})? */
  private memberPasses(m: MemberRow, item: MemberFilterItem): boolean {
    let hit: boolean;
    switch (item.kind) {
      case 'mapTarget':
        hit = m.target !== null && m.target_pk === null && termMatches(item.terms, m.target);
        break;
      case 'concept': {
        const pk = item.field === 'referencedComponentId' ? m.referenced_pk : m.target_pk;
        hit = pk !== null && this.has(item.value, pk);
        break;
      }
      case 'module':
        if (m.effective_time === null) throw new EclEvaluationError(REIMPORT_MEMBERS);
        hit = this.chosenPk(item.concepts, m.module_pk);
        break;
      case 'effectiveTime':
        if (m.effective_time === null) throw new EclEvaluationError(REIMPORT_MEMBERS);
        return timeMatches(m.effective_time, item.time);
      case 'active':
        // every member kept is active (the parser refuses a filter for inactive ones)
        return activeMatches(true, item.value);
    }
    return item.op === '=' ? hit : !hit;
  }

  /** The set and the inactive concepts whose historical associations (of the profile) point into it. */
  private withHistory(set: Set<number>, history: HistorySupplement): Set<number> {
    const refsets =
      'profile' in history
        ? [
            ...HISTORY_PROFILES[history.profile].map((id) => this.store.pkOf(id)),
            // any further historical association refset the release defines
            ...(history.profile === 'MAX' ? this.historicalRefsets() : []),
          ]
        : [...this.members(history.refsets)];
    const out = new Set(set);
    for (const refset of new Set(refsets)) {
      if (refset === undefined) continue;
      for (const m of this.store.memberRows(refset)) if (m.target_pk !== null && set.has(m.target_pk)) out.add(m.referenced_pk);
    }
    return out;
  }

  private historicalRefsets(): number[] {
    const pk = this.store.pkOf(SCT.historicalAssociation);
    return pk === undefined ? [] : this.store.descendantPks(pk);
  }

  private wildcardWith(op: HierarchyOp | undefined): Set<number> {
    const all = this.wildcard();
    if (op === '<' || op === '<!') return new Set(this.store.pksWithParents().filter((pk) => all.has(pk)));
    if (op === '>' || op === '>!') return new Set(this.store.pksWithChildren().filter((pk) => all.has(pk)));
    return all;
  }

  private applyOperator(op: HierarchyOp, focus: Set<number>): Set<number> {
    const out = new Set<number>();
    if (op === '!!>' || op === '!!<') {
      // top: members with no ancestor in the set; bottom: members that are no member's ancestor
      const above = new Set<number>();
      if (op === '!!<') for (const f of focus) union(above, this.store.ancestorPks(f));
      for (const f of focus) if (op === '!!>' ? !this.store.ancestorPks(f).some((a) => focus.has(a)) : !above.has(f)) out.add(f);
      return out;
    }
    if (op === '<<' || op === '<<!' || op === '>>' || op === '>>!') union(out, focus);
    const step = STEPS[op];
    for (const f of focus) union(out, this.store[step](f));
    return out;
  }

  private refinedMembers(base: EclNode, refinement: Refinement): Set<number> {
    this.prepare(refinement);
    // found from the value side, the candidates are usually few: test them against the base
    const candidates = this.candidates(refinement);
    const pool = candidates ? [...this.keep(candidates, base, true)] : [...this.members(base)];
    const out = new Set<number>();
    for (let i = 0; i < pool.length; i += BATCH) {
      const chunk = pool.slice(i, i + BATCH);
      const rels = this.store.relationshipsOfMany(chunk);
      for (const pk of chunk) {
        const records = (rels.get(pk) ?? []).map((r) => ({ type: r.type_pk, grp: r.grp, dest: r.dest_pk ?? undefined, value: r.value ?? undefined }));
        if (this.matches(records, refinement, pk)) out.add(pk);
      }
    }
    return out;
  }

  /** Lists the attribute names and values of a refinement once, before many concepts are tested. */
  private prepare(r: Refinement): void {
    if (r.kind === 'group') return this.prepare(r.inner);
    if (r.kind !== 'attribute') return r.items.forEach((i) => this.prepare(i));
    if (!isWildcardNode(r.name)) this.members(r.name);
    if (r.comparison.type === 'expression' && !isWildcardNode(r.comparison.value)) this.members(r.comparison.value);
  }

  /**
   * Concepts that can possibly satisfy a refinement, found from the value side through the
   * relationship indexes; undefined when a refinement can hold with no matching relationship
   * (cardinality from 0, !=, reverse) and every base concept must be tested.
   */
  private candidates(r: Refinement): Set<number> | undefined {
    switch (r.kind) {
      case 'group':
        return (r.cardinality?.min ?? 1) === 0 ? undefined : this.candidates(r.inner);
      case 'and': {
        const sets = r.items.map((i) => this.candidates(i)).filter((s): s is Set<number> => !!s);
        if (sets.length === 0) return undefined;
        sets.sort((a, b) => a.size - b.size);
        return new Set([...sets[0]].filter((pk) => sets.every((s) => s.has(pk))));
      }
      case 'or': {
        const out = new Set<number>();
        for (const i of r.items) {
          const s = this.candidates(i);
          if (!s) return undefined;
          union(out, s);
        }
        return out;
      }
      case 'attribute': {
        if (r.reverse || r.comparison.op !== '=' || (r.cardinality?.min ?? 1) === 0 || isWildcardNode(r.name)) return undefined;
        const types = this.members(r.name);
        const out = new Set<number>();
        const values = r.comparison.type === 'expression' && !isWildcardNode(r.comparison.value) ? this.members(r.comparison.value) : undefined;
        for (const t of types) {
          if (values && values.size * types.size <= PAIR_LOOKUP_LIMIT) for (const v of values) union(out, this.store.sourcesWith(t, v));
          else union(out, this.store.sourcesWithType(t));
        }
        return out;
      }
    }
  }

  private dottedMembers(base: EclNode, attributes: EclNode[]): Set<number> {
    let current = this.members(base);
    for (const attr of attributes) {
      const anyType = isWildcardNode(attr);
      const types = anyType ? undefined : this.members(attr);
      const isA = this.store.pkOf(SCT.isA);
      const next = new Set<number>();
      const pool = [...current];
      for (let i = 0; i < pool.length; i += BATCH) {
        const chunk = pool.slice(i, i + BATCH);
        for (const rels of this.store.relationshipsOfMany(chunk).values()) {
          for (const r of rels) if (r.dest_pk !== null && (anyType || types!.has(r.type_pk))) next.add(r.dest_pk);
        }
        // is-a is kept as parents, not as a relationship row
        if (isA !== undefined && (anyType || types!.has(isA))) for (const pk of chunk) union(next, this.store.parentPks(pk));
      }
      current = next;
    }
    return current;
  }

  // ---- testing one concept --------------------------------------------------------------------

  has(node: EclNode, pk: number): boolean {
    const known = this.memo.get(node);
    if (known) return known.has(pk);
    let cache = this.single.get(node);
    if (!cache) this.single.set(node, (cache = new Map()));
    const hit = cache.get(pk);
    if (hit !== undefined) return hit;
    let result: boolean;
    switch (node.kind) {
      case 'sub':
        result = this.subHas(node, pk);
        break;
      case 'and':
        result = node.operands.every((o) => this.has(o, pk));
        break;
      case 'or':
        result = node.operands.some((o) => this.has(o, pk));
        break;
      case 'minus':
        result = this.has(node.left, pk) && !this.has(node.right, pk);
        break;
      case 'refined':
        result = this.has(node.base, pk) && this.matches(this.recordsOf(pk), node.refinement, pk);
        break;
      case 'dotted':
        result =
          node.attributes.length === 1
            ? this.store.relationshipsTo(pk).some((r) => this.has(node.attributes[0], r.type_pk) && this.has(node.base, r.source_pk))
            : this.members(node).has(pk);
        break;
    }
    // bounded: a validator testing many codes against one constraint keeps the latest answers
    if (cache.size >= SINGLE_ANSWERS) {
      this.weight -= cache.size;
      cache.clear();
    }
    cache.set(pk, result);
    this.weight++;
    return result;
  }

  private subHas(node: SubExpression, pk: number): boolean {
    if (node.filters.length || node.history) return this.members(node).has(pk);
    const f = node.focus;
    if (node.memberOf) {
      if (f.kind === 'concept' && !node.op && !node.memberField) return this.store.isMember(this.pk(f), pk);
      return this.members(node).has(pk);
    }
    if (f.kind === 'wildcard') {
      const root = this.root();
      const inHierarchy = root === undefined ? this.store.isActive(pk) : pk === root || this.store.isDescendant(root, pk);
      if (!inHierarchy) return false;
      if (node.op === '<' || node.op === '<!') return this.store.parentPks(pk).length > 0;
      if (node.op === '>' || node.op === '>!') return this.store.childPks(pk).length > 0;
      return true;
    }
    if (f.kind !== 'concept') {
      // a bracketed constraint with an operator: via ancestors/descendants of the one concept
      const focus = () => this.members(f);
      switch (node.op) {
        case undefined:
          return this.has(f, pk);
        case '<':
        case '<<':
          return (node.op === '<<' && this.has(f, pk)) || this.store.ancestorPks(pk).some((a) => this.has(f, a));
        case '<!':
        case '<<!':
          return (node.op === '<<!' && this.has(f, pk)) || this.store.parentPks(pk).some((a) => this.has(f, a));
        case '>!':
        case '>>!':
          return (node.op === '>>!' && this.has(f, pk)) || this.store.childPks(pk).some((c) => this.has(f, c));
        default:
          return this.applyOperator(node.op, focus()).has(pk);
      }
    }
    const c = this.pk(f);
    const op = node.op;
    if (!op || op === '!!>' || op === '!!<') return pk === c;
    if (pk === c && (op === '<<' || op === '<<!' || op === '>>' || op === '>>!')) return true;
    // < and <! look down from the focus, > and >! up; ! means one step (parent/child)
    const [above, below] = op.startsWith('<') ? [c, pk] : [pk, c];
    return op.endsWith('!') ? this.store.isChild(above, below) : this.store.isDescendant(above, below);
  }

  private recordsOf(pk: number): AttributeRecord[] {
    return this.store.relationshipsOf(pk).map((r) => ({ type: r.type_pk, grp: r.grp, dest: r.dest_pk ?? undefined, value: r.value ?? undefined }));
  }

  // ---- refinements ------------------------------------------------------------------------------

  /** Does a concept (pk) or an expression with these attributes satisfy the refinement? */
  private matches(records: AttributeRecord[], r: Refinement, subject: number | SctExpression, group?: number): boolean {
    switch (r.kind) {
      case 'and':
        return r.items.every((i) => this.matches(records, i, subject, group));
      case 'or':
        return r.items.some((i) => this.matches(records, i, subject, group));
      case 'attribute':
        return inCardinality(r.cardinality, this.count(records, r, subject, group));
      case 'group': {
        // each role group is tested on its own; ungrouped (0) attributes belong to no group
        const groups = new Set(records.filter((x) => x.grp > 0).map((x) => x.grp));
        let n = 0;
        for (const g of groups) if (this.matches(records, r.inner, subject, g)) n++;
        return inCardinality(r.cardinality, n);
      }
    }
  }

  /**
   * How many attributes match: distinct (group, value) pairs, so the same value in two role
   * groups counts twice (ECL counts occurrences in the normal form, per group).
   */
  private count(records: AttributeRecord[], a: AttributeRefinement, subject: number | SctExpression, group: number | undefined): number {
    let list = records;
    if (a.reverse) {
      if (typeof subject !== 'number') return 0;
      list = this.store.relationshipsTo(subject).map((r) => ({ type: r.type_pk, grp: r.grp, dest: r.source_pk }));
    }
    const matched = new Set<string>();
    for (const rec of list) {
      if (group !== undefined && rec.grp !== group) continue;
      if (!this.test(a.name, rec.type)) continue;
      if (this.valueMatches(a.comparison, rec)) matched.add(`${rec.grp}:${rec.dest ?? rec.value ?? JSON.stringify(rec.expression)}`);
    }
    return matched.size;
  }

  /** Membership of one concept in an attribute name or value constraint (any concept for *). */
  private test(node: EclNode, pk: number): boolean {
    return isWildcardNode(node) || this.has(node, pk);
  }

  private valueMatches(c: Comparison, rec: AttributeRecord): boolean {
    switch (c.type) {
      case 'expression': {
        if (rec.dest === undefined && !rec.expression) return false;
        const inSet = rec.expression ? this.hasExpression(c.value, rec.expression) : this.test(c.value, rec.dest!);
        return c.op === '=' ? inSet : !inSet;
      }
      case 'numeric': {
        if (!rec.value?.startsWith('#')) return false;
        return compareNumbers(Number(rec.value.slice(1)), c.op, c.value);
      }
      case 'string': {
        if (!rec.value?.startsWith('"')) return false;
        return c.values.includes(rec.value.slice(1, -1)) === (c.op === '=');
      }
      case 'boolean':
        return rec.value !== undefined && (rec.value === String(c.value)) === (c.op === '=');
    }
  }

  // ---- post-coordinated expressions -------------------------------------------------------------

  /**
   * Is an expression a member of the constraint? A refined expression is strictly more specific
   * than its focus concepts, so it is below (<, <<) what they are below, never the same as,
   * a child, parent or ancestor of a concept, nor a reference set member; its attributes are the
   * focus concepts' relationships plus its own refinements.
   */
  hasExpression(node: EclNode, e: SctExpression): boolean {
    if (isSimple(e)) return this.has(node, this.pk(e.focus[0].id));
    switch (node.kind) {
      case 'and':
        return node.operands.every((o) => this.hasExpression(o, e));
      case 'or':
        return node.operands.some((o) => this.hasExpression(o, e));
      case 'minus':
        return this.hasExpression(node.left, e) && !this.hasExpression(node.right, e);
      case 'refined':
        return this.hasExpression(node.base, e) && this.matches(this.expressionRecords(e), node.refinement, e);
      case 'dotted':
        return false;
      case 'sub': {
        if (node.filters.length || node.history || node.memberOf) return false;
        if (node.focus.kind === 'wildcard') return !node.op || node.op === '<' || node.op === '<<';
        if (!node.op) return node.focus.kind === 'concept' ? false : this.hasExpression(node.focus, e);
        if (node.op !== '<' && node.op !== '<<') return false;
        const orSelf: SubExpression = { kind: 'sub', op: '<<', memberOf: false, focus: node.focus, filters: [] };
        return e.focus.every((f) => this.has(orSelf, this.pk(f.id)));
      }
    }
  }

  /** The attributes of an expression: its focus concepts' relationships, then its own (groups renumbered). */
  private expressionRecords(e: SctExpression): AttributeRecord[] {
    const out: AttributeRecord[] = [];
    for (const f of e.focus) out.push(...this.recordsOf(this.pk(f.id)));
    let next = out.reduce((m, r) => Math.max(m, r.grp), 0);
    const add = (a: SctExpression['attributes'][number], grp: number) => {
      const rec: AttributeRecord = { type: this.pk(a.name.id), grp };
      if (a.value.kind === 'concrete') rec.value = a.value.text;
      else if (isSimple(a.value.expression)) rec.dest = this.pk(a.value.expression.focus[0].id);
      else rec.expression = a.value.expression;
      out.push(rec);
    };
    for (const a of e.attributes) add(a, 0);
    for (const g of e.groups) {
      next++;
      for (const a of g) add(a, next);
    }
    return out;
  }

  // ---- filters {{ }} ------------------------------------------------------------------------

  private filterSet(set: Set<number>, filters: EclFilter[]): Set<number> {
    let pool = [...set];
    // a word-prefix term narrows through the text index before descriptions are read
    for (const f of filters) {
      if (f.kind !== 'description') continue;
      const term = f.items.find((i): i is Extract<DescriptionFilterItem, { kind: 'term' }> => i.kind === 'term' && i.op === '=' && i.terms.length === 1 && i.terms[0].type === 'match');
      if (term && pool.length > BATCH) {
        const hits = new Set(this.store.searchPks(words(term.terms[0].text)));
        pool = pool.filter((pk) => hits.has(pk));
      }
    }
    const out = new Set<number>();
    // what each description filter asks of a description, decided once rather than per description:
    // text definitions only where a type or a description id is asked for (what the ECL project
    // group recommended in October 2024), and the stored extra read only by the items that use it
    const asks = new Map(
      filters.map((f) => [f, { definitions: f.items.some((item) => item.kind === 'type' || item.kind === 'id'), extra: f.items.some((item) => READS_EXTRA.has(item.kind)) }]),
    );
    // a description's module is stored only where it is not its concept's
    const needsDetails = filters.some((f) => f.kind === 'concept' || (f.kind === 'description' && f.items.some((i) => i.kind === 'module')));
    for (let i = 0; i < pool.length; i += BATCH) {
      const chunk = pool.slice(i, i + BATCH);
      const descriptions = filters.some((f) => f.kind === 'description') ? this.store.descriptionsOf(chunk) : new Map<number, DescriptionRow[]>();
      const details = needsDetails ? this.store.sctConcepts(chunk) : undefined;
      for (const pk of chunk) {
        const concept = details?.get(pk);
        const ok = filters.every((f) =>
          f.kind === 'description'
            ? (descriptions.get(pk) ?? []).some((d) => {
                const ask = asks.get(f)!;
                if (d.use_code === SCT.definition && !ask.definitions) return false;
                const parsed = ask.extra ? this.descriptionDetails(d) : {};
                return f.items.every((item) => this.descriptionPasses(d, parsed, concept, item));
              })
            : f.kind === 'concept'
              ? f.items.every((item) => this.conceptPasses(pk, concept, item))
              : true, // member filters act on the members of ^, before this
        );
        if (ok) out.add(pk);
      }
    }
    return out;
  }

  private descriptionDetails(d: DescriptionRow): DescriptionDetails {
    return d.extra ? (JSON.parse(d.extra) as DescriptionDetails) : {};
  }

  /** Is the concept of an SCTID among those a filter item names? */
  private chosen(choice: ConceptChoice, id: string | null | undefined): boolean {
    if (!id) return false;
    if ('ids' in choice) return choice.ids.includes(id);
    // the same few ids (types, dialects, modules) recur on every description: look each up once
    let pk = this.idLookups.get(id);
    if (pk === undefined) this.idLookups.set(id, (pk = this.store.pkOf(id) ?? null));
    return this.chosenPk(choice, pk);
  }

  /** Is a concept row among those a filter item names? (A listed id that is not in the release is an error.) */
  private chosenPk(choice: ConceptChoice, pk: number | null | undefined): boolean {
    if (pk === null || pk === undefined) return false;
    return 'ids' in choice ? choice.ids.some((id) => this.pk(id) === pk) : this.has(choice.constraint, pk);
  }

  private descriptionPasses(d: DescriptionRow, details: DescriptionDetails, concept: SctConceptRow | undefined, item: DescriptionFilterItem): boolean {
    let hit: boolean;
    switch (item.kind) {
      case 'term':
        hit = termMatches(item.terms, d.value);
        break;
      case 'language':
        hit = item.codes.includes((d.language ?? '').toLowerCase());
        break;
      case 'type':
        hit = this.chosen(item.concepts, d.use_code);
        break;
      case 'dialect': {
        const acc = details.acc ?? {};
        hit = item.dialects.some((x) =>
          Object.entries(acc).some(([refset, a]) => (x.acceptability.length === 0 || x.acceptability.includes(a)) && this.chosen(x.refsets, refset)),
        );
        break;
      }
      case 'module':
        if (details.t === undefined) throw new EclEvaluationError(REIMPORT);
        hit = details.m !== undefined ? this.chosen(item.concepts, details.m) : this.chosenPk(item.concepts, concept?.module_pk);
        break;
      case 'effectiveTime':
        if (details.t === undefined) throw new EclEvaluationError(REIMPORT);
        return timeMatches(details.t, item.time);
      case 'active':
        return activeMatches(d.inactive === 0, item.value);
      case 'id':
        hit = details.id !== undefined && item.ids.includes(details.id);
        break;
    }
    return item.op === '=' ? hit : !hit;
  }

  private conceptPasses(pk: number, details: SctConceptRow | undefined, item: ConceptFilterItem): boolean {
    switch (item.kind) {
      case 'active':
        return activeMatches(this.store.isActive(pk), item.value);
      case 'effectiveTime':
        return !!details && timeMatches(details.effective_time, item.time);
      case 'module': {
        const hit = !!details && this.chosenPk(item.concepts, details.module_pk);
        return item.op === '=' ? hit : !hit;
      }
      case 'definitionStatus': {
        const status = details?.defined ? SCT.defined : SCT.primitive;
        return this.chosen(item.concepts, status) === (item.op === '=');
      }
    }
  }
}
