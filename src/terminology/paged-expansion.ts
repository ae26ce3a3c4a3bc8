import type { ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import type { Db } from '../store/database';
import { ConceptSet, ExpansionQueries, RowConditions, TextMatch } from '../store/expansion-queries';
import type { CodeSystemProvider, Concept, IndexedCodeSystem } from './providers/provider';
import type { TxParameters } from './params';
import { TextFilter } from './text-filter';
import type { EclNode, Refinement } from './snomed/ecl-ast';
import { EclSyntaxError, parseEcl } from './snomed/ecl-parser';
import { SCT } from './snomed/sctid';
import { LruCache } from '../lru-cache';

function indexedOf(p: CodeSystemProvider): { rows: { db: Db; csPk: number; snomed: boolean }; provider: IndexedCodeSystem } | undefined {
  const ix = p as unknown as Partial<IndexedCodeSystem>;
  const rows = typeof ix.indexedRows === 'function' ? ix.indexedRows() : undefined;
  return rows && p.info.supplements.length === 0 ? { rows, provider: ix as IndexedCodeSystem } : undefined;
}

/** One page of an expansion answered in SQL: its concepts, and the total when it is known. */
export interface PagedSelection {
  concepts: Concept[];
  total?: number;
  /** a code of the expansion beyond this page has a status (the expansion declares the property) */
  statusBeyondPage: boolean;
}

/** Per provider: the SQL helper and what was counted or ranked (bounded; gone when the store changes and providers are rebuilt). */
const perProvider = new WeakMap<object, { queries: ExpansionQueries; known: LruCache<string, unknown> }>();

function stateOf(provider: object, db: Db, csPk: number): { queries: ExpansionQueries; known: LruCache<string, unknown> } {
  let s = perProvider.get(provider);
  if (!s) perProvider.set(provider, (s = { queries: new ExpansionQueries(db, csPk, textPasses), known: new LruCache<string, unknown>(1 << 20, (v) => 64 + JSON.stringify(v).length) }));
  return s;
}

/**
 * The streamed path of $expand: for a value set of one include of a stored code system whose
 * filters the indexes answer (is-a and descendent-of through the closure, child-of, property
 * values, reference sets, attribute relationships, ECL made of these, the text filter through
 * FTS5 with the set's restriction inside the query), a page costs what the page holds plus index
 * steps, not the value set. Results are those of the general path (test/unit/paged-expansion.test.ts
 * compares both); definitions it does not qualify keep the general path.
 *
 * `total` is given when the value set has at most the expansion limit (KODVERK_EXPANSION_LIMIT)
 * codes, counted through the indexes at most that far, as the general path gives it; above that
 * a page carries no total (FHIR: total is optional when the server does not know it) and the
 * client pages until a page comes back short.
 */
export class PagedExpansion {
  /** pages served by this path in this thread (tests check that it was taken) */
  static served = 0;

  private constructor(
    private readonly params: TxParameters,
    private readonly text: TextFilter | undefined,
    private readonly offset: number,
    private readonly count: number,
    private readonly maxCodes: number,
  ) {}

  /** The paged path for a request, when the value set's shape and the paging qualify. */
  static forRequest(params: TxParameters, vs: ValueSet, maxCodes: number, text: TextFilter | undefined): PagedExpansion | undefined {
    const count = params.count;
    const offset = Math.max(params.offset ?? 0, 0);
    if (count === undefined || count <= 0 || maxCodes <= 0 || count > maxCodes) return undefined;
    const compose = vs.compose;
    if (!compose || compose.exclude?.length || compose.include?.length !== 1 || compose.lockedDate) return undefined;
    const inc = compose.include[0];
    if (!inc.system || inc.valueSet?.length || inc.concept?.length || inc.extension?.length) return undefined;
    if (params.useSupplements.length || (vs.extension ?? []).some((e) => e.url.endsWith('valueset-supplement'))) return undefined;
    return new PagedExpansion(params, text, offset, count, maxCodes);
  }

  /**
   * The page for the include, or undefined when the general path must do it (filters the indexes
   * do not answer, or a result small enough to be shown as a hierarchy).
   */
  select(provider: CodeSystemProvider, inc: ValueSetComposeInclude, excludeInactive: boolean, mayNest: boolean): PagedSelection | undefined {
    const ix = indexedOf(provider);
    // requested properties are declared by the expansion when any of its codes has them: not paged
    if (!ix || this.params.properties.length) return undefined;
    const { queries, known } = stateOf(provider, ix.rows.db, ix.rows.csPk);
    if (!ix.rows.snomed && known.get('extensions', () => queries.hasShownExtensions())) return undefined;
    const filters = inc.filter ?? [];
    let set: ConceptSet | undefined;
    let focusFirst = false;
    let rows: RowConditions;
    if (filters.length === 0) {
      // the whole code system is listed depth first by the general path; with a text filter, in code-system order
      if (!this.text) return undefined;
      set = { kind: 'all' };
      rows = { activeOnly: this.params.activeOnly || excludeInactive, selectableOnly: this.params.bool('excludeNotForUI') };
    } else {
      if (!ix.rows.snomed && filters.length > 1) return undefined;
      const sets: ConceptSet[] = [];
      for (const f of filters) {
        if (f.value === undefined || f.value === null || f.value === '' || !provider.supportsFilter(f.property, f.op)) return undefined;
        const s: { set: ConceptSet; focusFirst?: boolean } | undefined = ix.rows.snomed ? snomedFilter(queries, f.property, f.op, f.value) : storedFilter(provider, queries, f.property, f.op, f.value);
        if (!s) return undefined;
        sets.push(s.set);
        focusFirst = !!s.focusFirst;
      }
      set = sets.length === 1 ? sets[0] : { kind: 'and', sets };
      // as in the general path, the request's exclusions apply to filtered codes too
      rows = { activeOnly: this.params.activeOnly || excludeInactive, selectableOnly: this.params.bool('excludeNotForUI') };
    }
    const text = this.text ? textMatch(this.text) : undefined;
    const key = JSON.stringify([set, rows, text?.match, focusFirst]);

    const total = known.get('total ' + key, () => queries.count(set!, rows, this.maxCodes + 1, text)) as number;
    const totalKnown = total <= this.maxCodes;
    // what fits in one page may be shown nested: that is the general path's work (and small)
    if (mayNest && this.offset === 0 && totalKnown && total < this.count) return undefined;

    let best: number[] = [];
    if (text) best = known.get('best ' + key, () => this.bestMatches(queries, set!, rows, text, focusFirst && set!.kind === 'descendants' ? set!.pk : undefined)) as number[];
    const page: number[] = best.slice(this.offset, this.offset + this.count);
    const rest = this.count - page.length;
    if (rest > 0 && (!totalKnown || best.length + Math.max(this.offset - best.length, 0) < total)) {
      page.push(...queries.page(set, rows, Math.max(this.offset - best.length, 0), rest, { text, exclude: best, focusFirst }));
    }
    // the general path declares the status property when any of the codes it built (at most the limit) has one
    const statusBeyondPage = !rows.activeOnly && (known.get('status ' + key, () => queries.anyNotActive(set!, rows, this.maxCodes, text)) as boolean);
    PagedExpansion.served++;
    return { concepts: ix.provider.conceptsByPk(page), total: totalKnown ? total : undefined, statusBeyondPage };
  }

  /** Concepts whose code is the filter text, then those whose display is exactly the filter's words: shown first. */
  private bestMatches(queries: ExpansionQueries, set: ConceptSet, rows: RowConditions, text: TextMatch, focus?: number): number[] {
    const filter = this.text!;
    // each group in expansion order: concept order, the is-a focus first where the general path lists it first
    const order = (a: number, b: number) => (a === focus ? -1 : b === focus ? 1 : a - b);
    const byCode = queries.codeMatches(set, rows, filter.text.trim()).filter((pk) => queries.page({ kind: 'and', sets: [set, { kind: 'self', pk }] }, rows, 0, 1, { text }).length > 0);
    const seen = new Set(byCode);
    const byTerm = queries.displayMatches(set, rows, text).filter((m) => !seen.has(m.pk) && filter.rank(m.code, m.display ?? undefined) <= 1).map((m) => m.pk);
    return [...byCode.sort(order), ...byTerm.sort(order)];
  }
}

let lastFilter: TextFilter | undefined;

/** The general path's text test on an indexed text (display, designations and code in one). */
function textPasses(text: string, words: string): boolean {
  if (lastFilter?.text !== words) lastFilter = new TextFilter(words);
  return lastFilter.passes([text]);
}

function textMatch(text: TextFilter): TextMatch {
  return {
    match: text.words.map((w) => `"${w}"*`).join(' AND '),
    phrase: `^"${text.words.join(' ')}"`,
    words: text.words,
    passes: (t) => text.passes([t]),
  };
}

/** A filter of a plain stored code system as a set (the general path's meaning: ConceptGraphProvider). */
function storedFilter(provider: CodeSystemProvider, q: ExpansionQueries, property: string, op: string, value: string): { set: ConceptSet; focusFirst?: boolean } | undefined {
  if (property === 'concept' || property === 'code') {
    if (!['=', 'is-a', 'descendent-of', 'child-of'].includes(op)) return undefined;
    const pk = q.pkOf(value);
    // a code not found exactly may still be found case-insensitively when the system says so
    if (pk === undefined) return provider.info.caseSensitive ? { set: { kind: 'or', sets: [] } } : undefined;
    switch (op) {
      case '=':
        return { set: { kind: 'self', pk } };
      case 'is-a':
        return { set: { kind: 'descendants', pk, self: true }, focusFirst: true };
      case 'descendent-of':
        return { set: { kind: 'descendants', pk, self: false } };
      case 'child-of':
        return { set: { kind: 'children', pk, self: false } };
    }
    return undefined;
  }
  const known = provider as unknown as { isDerivedProperty?(p: string): boolean };
  if (op !== '=' || property === 'display' || property === 'definition' || !known.isDerivedProperty) return undefined;
  // a derived property (parent, child, inactive) is not (only) stored rows
  if (known.isDerivedProperty(property)) return undefined;
  return { set: { kind: 'property', code: property, value } };
}

const SNOMED_OPS: Record<string, (pk: number) => ConceptSet> = {
  '=': (pk) => ({ kind: 'self', pk }),
  'is-a': (pk) => ({ kind: 'descendants', pk, self: true }),
  'descendent-of': (pk) => ({ kind: 'descendants', pk, self: false }),
  'child-of': (pk) => ({ kind: 'children', pk, self: false }),
};

/** A Snomed CT compose filter as a set (the SnomedProvider's meaning), when the indexes answer it. */
function snomedFilter(q: ExpansionQueries, property: string, op: string, value: string): { set: ConceptSet } | undefined {
  const pkOf = (id: string) => (/^\d{6,18}$/.test(id) ? q.pkOf(id) : undefined);
  if (property === 'concept' && SNOMED_OPS[op]) {
    const pk = pkOf(value);
    return pk === undefined ? undefined : { set: SNOMED_OPS[op](pk) };
  }
  if (property === 'concept' && op === 'in') {
    const sets: ConceptSet[] = [];
    for (const id of value.split(',').map((s) => s.trim()).filter(Boolean)) {
      const pk = pkOf(id);
      if (pk === undefined) return undefined;
      sets.push(q.isRefset(pk) ? { kind: 'refset', pk } : { kind: 'self', pk });
    }
    return { set: sets.length === 1 ? sets[0] : { kind: 'or', sets } };
  }
  if ((property === 'constraint' || property === 'expression') && op === '=') {
    let node: EclNode;
    try {
      node = parseEcl(value);
    } catch (e) {
      if (e instanceof EclSyntaxError) return undefined;
      throw e;
    }
    const set = eclSet(q, node);
    return set ? { set } : undefined;
  }
  if (/^\d+$/.test(property) && op === '=') {
    const type = pkOf(property);
    const dest = pkOf(value);
    return type === undefined || dest === undefined ? undefined : { set: { kind: 'attribute', type, dest: { kind: 'self', pk: dest } } };
  }
  if (property === 'inactive' && op === '=') return { set: { kind: 'inactive', value: value === 'true' } };
  if (property === 'definitionStatus' && op === '=') return { set: { kind: 'defined', value: value === 'defined' || value === SCT.defined } };
  if (property === 'moduleId' && op === '=') {
    const pk = pkOf(value);
    return pk === undefined ? undefined : { set: { kind: 'module', pk } };
  }
  return undefined;
}

const ECL_OPS: Record<string, (pk: number) => ConceptSet> = {
  '<<': (pk) => ({ kind: 'descendants', pk, self: true }),
  '<': (pk) => ({ kind: 'descendants', pk, self: false }),
  '<!': (pk) => ({ kind: 'children', pk, self: false }),
  '<<!': (pk) => ({ kind: 'children', pk, self: true }),
};

/** ECL the indexes answer (hierarchy below a concept, reference sets, AND/OR/MINUS, attribute refinements), as a set. */
function eclSet(q: ExpansionQueries, node: EclNode): ConceptSet | undefined {
  const pkOf = (id: string) => q.pkOf(id);
  switch (node.kind) {
    case 'sub': {
      if (node.filters.length || node.history) return undefined;
      const f = node.focus;
      if (f.kind === 'wildcard') {
        if (node.op || node.memberOf) return undefined;
        const root = pkOf(SCT.root);
        return root === undefined ? undefined : { kind: 'descendants', pk: root, self: true };
      }
      if (f.kind !== 'concept') return node.op || node.memberOf ? undefined : eclSet(q, f);
      const pk = pkOf(f.id);
      if (pk === undefined) return undefined;
      if (node.memberOf) return node.op || node.memberField ? undefined : { kind: 'refset', pk };
      if (!node.op) return { kind: 'self', pk };
      return ECL_OPS[node.op]?.(pk);
    }
    case 'and':
    case 'or': {
      const sets = node.operands.map((o) => eclSet(q, o));
      return sets.every((s): s is ConceptSet => !!s) ? { kind: node.kind, sets } : undefined;
    }
    case 'minus': {
      const left = eclSet(q, node.left);
      const right = eclSet(q, node.right);
      return left && right ? { kind: 'minus', left, right } : undefined;
    }
    case 'refined': {
      const base = eclSet(q, node.base);
      const refinement = base && refinementSet(q, node.refinement);
      return base && refinement ? { kind: 'and', sets: [base, refinement] } : undefined;
    }
    default:
      return undefined;
  }
}

/** Ungrouped `attribute = value` refinements (at least one such relationship), ANDed. */
function refinementSet(q: ExpansionQueries, r: Refinement): ConceptSet | undefined {
  if (r.kind === 'and') {
    const sets = r.items.map((i) => refinementSet(q, i));
    return sets.every((s): s is ConceptSet => !!s) ? { kind: 'and', sets } : undefined;
  }
  if (r.kind !== 'attribute' || r.reverse || r.cardinality || r.comparison.type !== 'expression' || r.comparison.op !== '=') return undefined;
  const name = r.name;
  if (name.kind !== 'sub' || name.op || name.memberOf || name.filters.length || name.history || name.focus.kind !== 'concept') return undefined;
  const type = q.pkOf(name.focus.id);
  const dest = eclSet(q, r.comparison.value);
  return type === undefined || !dest ? undefined : { kind: 'attribute', type, dest };
}
