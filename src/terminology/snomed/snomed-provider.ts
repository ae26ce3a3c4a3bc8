import { formatMessage } from '../messages';
import type { ParametersParameter, ValueSetComposeInclude } from 'fhir/r4';
import type { ConceptStore } from '../../store/concept-store';
import { SnomedStore } from '../../store/snomed-store';
import type { StoredCodeSystemContext } from '../providers/registry';
import type { Concept, ConceptFilter, ConceptStatus, Designation, LocateResult } from '../providers/provider';
import { ConceptGraphProvider, supplementAdditions } from '../providers/base';
import type { TxParameters } from '../params';
import { TerminologyError, txIssue } from '../issues';
import { TextFilter } from '../text-filter';
import { EclNode, HierarchyOp, SubExpression, conceptNode } from './ecl-ast';
import { EclSyntaxError, parseEcl } from './ecl-parser';
import { EclEvaluationError, EclEvaluator } from './ecl-evaluator';
import { ExpressionConcept, SctExpression, canonicalExpression, isSimple, parseExpression } from './expression';
import { SnomedConcepts } from './concepts';
import { SnomedNormalForms } from './normal-form';
import { MrcmGrouping } from './mrcm';
import { SnomedLookup } from './lookup';
import { SNOMED_EDITION_EXT } from './model';
import { SCT, SCT_URI, isSctid } from './sctid';
import type { IndexedCodeSystem } from '../providers/provider';
import { cacheCounter } from '../cache-stats';

const BATCH = 500;
/** Parsed ECL (with the evaluator that memoises its sets) kept per release. */
const ECL_CACHE = 32;
/** Most concept members the cached evaluators may hold in their memoised sets (about 20 bytes each). */
const ECL_CACHE_MEMBERS = 2_000_000;
const ECL = cacheCounter('ecl');

const CONCEPT_OPS: Record<string, HierarchyOp | undefined> = { '=': undefined, 'is-a': '<<', 'descendent-of': '<', 'child-of': '<!', generalizes: '>>' };
const OWN_FILTERS: Record<string, string[]> = {
  constraint: ['='],
  expression: ['='],
  expressions: ['='],
  inactive: ['='],
  moduleId: ['='],
  definitionStatus: ['='],
  concept: ['=', 'is-a', 'descendent-of', 'child-of', 'generalizes', 'in', 'not-in', 'is-not-a', 'descendent-leaf'],
};

function normalise(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Snomed CT as a code system provider, over the concept tables and the Snomed tables of one
 * release: displays chosen by language from the language-refset order, subsumption through the
 * closure, ECL (compose filters `constraint`/`expression`, and the standard Snomed filters mapped
 * onto ECL), and post-coordinated expressions as codes (checked, displayed with terms, tested
 * against value sets by focus subsumption and refinements).
 */
export class SnomedProvider extends ConceptGraphProvider implements IndexedCodeSystem {
  private readonly store: SnomedStore;
  private readonly concepts: ConceptStore;
  private readonly built: SnomedConcepts;
  private readonly eclCache = new Map<string, { node: EclNode; evaluator: EclEvaluator; text: string }>();
  private readonly lookupBuilder: SnomedLookup;
  private readonly normalForms: SnomedNormalForms;
  private readonly mrcm: MrcmGrouping;
  private count?: number;
  private rootList?: Concept[];
  /** "International Edition", "Swedish Edition": said in unknown-code messages */
  readonly editionName: string;
  /** expressions (as concepts) that name an inactive concept */
  private readonly inactiveExpressions = new WeakSet<Concept>();

  constructor(ctx: StoredCodeSystemContext) {
    super(ctx.resource, ctx.supplements);
    this.concepts = ctx.concepts;
    this.store = new SnomedStore(ctx.db, ctx.csPk);
    this.built = new SnomedConcepts(ctx.concepts, this.store, supplementAdditions(ctx.supplements));
    this.lookupBuilder = new SnomedLookup(this.store, this.built, this.info);
    this.normalForms = new SnomedNormalForms(this.store);
    this.mrcm = new MrcmGrouping(this.store);
    this.editionName = ctx.resource.extension?.find((e) => e.url === SNOMED_EDITION_EXT)?.valueString ?? 'Snomed CT';
  }

  // ---- concepts -------------------------------------------------------------------------------

  locate(code: string, conformance = false): LocateResult {
    if (/^\d+$/.test(code)) {
      const c = this.built.byCode(code);
      return c ? { concept: c } : { release: this.editionName };
    }
    let e: SctExpression;
    try {
      e = parseExpression(code);
    } catch (err) {
      return { release: this.editionName, detail: `Not a valid expression: ${(err as Error).message}` };
    }
    const problem = this.checkExpression(e, conformance);
    if (problem) return { release: this.editionName, detail: `Not a valid expression: ${problem}` };
    if (isSimple(e)) return { concept: this.built.byCode(e.focus[0].id)! };
    const concept = this.built.forExpression(code, e, e.focus.map((f) => this.built.byCode(f.id)!));
    if (this.referencedConcepts(e).some((id) => this.built.detailsOf(this.built.byCode(id)!)?.inactive)) this.inactiveExpressions.add(concept);
    return { concept };
  }

  /**
   * A listed code names a concept when it is the same expression written another way (spacing,
   * terms, attribute and group order): post-coordinated codes compare by structure, not by text.
   */
  namesConcept(listed: string, concept: Concept): boolean {
    const e = this.built.expressionOf(concept);
    // a plain concept id names only itself (compared already)
    if (!e && /^\d+$/.test(listed)) return false;
    let l: SctExpression;
    try {
      l = parseExpression(listed);
    } catch {
      return false;
    }
    if (!e) return isSimple(l) && !l.definitionStatus && l.focus[0].id === concept.code;
    return canonicalExpression(l) === canonicalExpression(e);
  }

  /** Every concept an expression names: focus concepts, attribute names and values, nested ones too. */
  private referencedConcepts(e: SctExpression): string[] {
    const out = e.focus.map((f) => f.id);
    for (const a of [...e.attributes, ...e.groups.flat()]) {
      out.push(a.name.id);
      if (a.value.kind === 'expression') out.push(...this.referencedConcepts(a.value.expression));
    }
    return out;
  }

  /**
   * Checks an expression against the release: every concept exists, attribute names are
   * attributes (below 410662002 |Concept model attribute| or 106237007 |Linkage concept|), and a
   * term, when given, is one of the concept's descriptions. Returns the first problem.
   */
  private checkExpression(e: SctExpression, conformance = false): string | undefined {
    const concept = (c: ExpressionConcept, attribute: boolean): string | undefined => {
      const found = this.built.byCode(c.id);
      if (!found) return `Concept ${c.id} not found`;
      if (attribute) {
        const pk = this.built.pkOf(found)!;
        const limits = [SCT.conceptModelAttribute, SCT.linkageConcept];
        const ok = limits.some((l) => {
          const lpk = this.store.pkOf(l);
          return lpk !== undefined && (lpk === pk || this.store.isDescendant(lpk, pk));
        });
        if (!ok) return `Concept ${c.id} is not valid in this context (must be a descendent of one of ${limits.join(',')})`;
      }
      if (c.term !== undefined) {
        const terms = [found.display, ...found.designations.map((d) => d.value)].filter((t): t is string => !!t);
        if (!terms.some((t) => normalise(t) === normalise(c.term!))) {
          return `Term "${c.term}" doesn't match a defined term at position ${c.position} (valid terms would be from this list: "${[...new Set(terms)].join('", "')}")`;
        }
      }
      return undefined;
    };
    for (const f of e.focus) {
      const p = concept(f, false);
      if (p) return p;
    }
    for (const a of [...e.attributes, ...e.groups.flat()]) {
      const p = concept(a.name, true) ?? (a.value.kind === 'expression' ? this.checkExpression(a.value.expression, conformance) : undefined);
      if (p) return p;
    }
    // the concept model's rules (MRCM attribute domains and ranges), when the release has them
    return this.mrcm.check(e, (id) => this.built.byCode(id)?.display, conformance ? 'conformance' : 'grouping');
  }

  /**
   * Why an expression is not in the classifiable form (a grouped attribute written outside a
   * group, as the MRCM says), nested values too; undefined for a concept or a classifiable expression.
   */
  unclassifiable(c: Concept): string | undefined {
    const walk = (e: SctExpression): string | undefined => {
      const p = this.mrcm.check(e, (id) => this.built.byCode(id)?.display, 'classifiable');
      if (p) return p;
      for (const a of [...e.attributes, ...e.groups.flat()]) {
        const q = a.value.kind === 'expression' ? walk(a.value.expression) : undefined;
        if (q) return q;
      }
      return undefined;
    };
    const e = this.built.expressionOf(c);
    return e ? walk(e) : undefined;
  }

  /** Snomed CT's compositional grammar is parsed and checked here. */
  override get grammarUnknown(): boolean {
    return false;
  }

  /**
   * A post-coordinated expression is checked for its grammar and concepts, and against the concept
   * model when the release has its rules (MRCM reference sets); without them, that is said.
   */
  incompleteValidation(c: Concept): string | undefined {
    return this.built.expressionOf(c) && !this.mrcm.hasRules ? formatMessage('SCT_EXPRESSION_NOT_CHECKED_MRCM', []) : undefined;
  }

  /**
   * An expression that names an inactive concept is inactive itself, as that concept would be
   * (IG, Inactive Codes: still a code, flagged inactive with a warning): what it means rests on a
   * concept no longer current.
   */
  override status(c: Concept): ConceptStatus {
    const inactive = this.built.detailsOf(c)?.inactive ?? this.inactiveExpressions.has(c);
    return { inactive, status: inactive ? 'inactive' : undefined, abstract: false };
  }

  roots(): Concept[] {
    return (this.rootList ??= this.built.fromRows(this.concepts.roots(this.store.csPk)));
  }

  *all(): Iterable<Concept> {
    let batch = [];
    for (const row of this.concepts.iterate(this.store.csPk)) {
      batch.push(row);
      if (batch.length === BATCH) {
        yield* this.built.fromRows(batch);
        batch = [];
      }
    }
    yield* this.built.fromRows(batch);
  }

  totalCount(): number {
    return (this.count ??= this.concepts.count(this.store.csPk));
  }

  /** Does the release hold this concept (and, when asked, as a reference set with members)? */
  holds(id: string, asRefset = false): boolean {
    const pk = this.store.pkOf(id);
    return pk !== undefined && (!asRefset || this.store.isRefset(pk));
  }

  /** The reference sets of the release: the concepts with members, by id. */
  referenceSets(): string[] {
    return [...this.store.codesOf(this.store.refsetPks()).values()].sort();
  }

  /** The pairs of an association reference set (historical associations and others) with this code on one side. */
  associations(refset: string, code: string, reverse: boolean): { source: string; target: string }[] | 'unknown' {
    const refsetPk = this.store.pkOf(refset);
    if (refsetPk === undefined || !this.store.hasConceptTargets(refsetPk)) return 'unknown';
    const pk = this.store.pkOf(code);
    if (pk === undefined) return [];
    if (reverse) return [...this.store.codesOf(this.store.sourcesOf(refsetPk, pk)).values()].sort().map((source) => ({ source, target: code }));
    const targets = this.store.membershipsOf(pk).filter((m) => m.refset_pk === refsetPk && m.target_pk !== null);
    return [...this.store.codesOf(targets.map((m) => m.target_pk!)).values()].sort().map((target) => ({ source: code, target }));
  }

  descendants(c: Concept): Concept[] {
    const pk = this.built.pkOf(c);
    return pk === undefined ? [] : this.built.fromPks(this.store.descendantPks(pk).sort((a, b) => a - b));
  }

  isDescendant(ancestor: Concept, descendant: Concept): boolean {
    return ancestor !== descendant && this.subsumes(ancestor, descendant);
  }

  /**
   * Subsumption through the closure; where an expression is involved, by normal forms (the
   * concepts' definitions in the release: see normal-form.ts), so an expression that means what
   * another means (a concept and its definition, a refinement restating what the concept says)
   * subsumes it both ways: equivalent.
   */
  override subsumes(a: Concept, b: Concept): boolean {
    if (a === b) return true;
    const ea = this.built.expressionOf(a);
    const eb = this.built.expressionOf(b);
    if (!ea && !eb) {
      const pa = this.built.pkOf(a);
      const pb = this.built.pkOf(b);
      return pa !== undefined && pb !== undefined && (pa === pb || this.store.isDescendant(pa, pb));
    }
    // one expression written two ways (spacing, terms, attribute order)
    if (ea && eb && canonicalExpression(ea) === canonicalExpression(eb)) return true;
    const plain = (c: Concept): SctExpression => ({ focus: [{ id: c.code, position: 1 }], attributes: [], groups: [] });
    return this.normalForms.subsumes(ea ?? plain(a), eb ?? plain(b));
  }

  /**
   * Only between two concepts does the release settle subsumption: the closure is the
   * classifier's own output. An expression no classifier has seen relates to others only as far as
   * comparing normal forms shows (the OWL axioms' general concept inclusions and property chains
   * are not applied to it), so that no relationship was found does not make it not subsumed.
   */
  notSubsumedIsKnown(a: Concept, b: Concept): boolean {
    return !this.built.expressionOf(a) && !this.built.expressionOf(b);
  }

  // ---- filters ------------------------------------------------------------------------------

  override supportsFilter(property: string, op: string): boolean {
    if (OWN_FILTERS[property]) return OWN_FILTERS[property].includes(op) || super.supportsFilter(property, op);
    if (/^\d+$/.test(property)) return op === '=';
    return super.supportsFilter(property, op);
  }

  /**
   * A filter of a Snomed CT value set states membership by itself (as the reference servers judge
   * it): a code it selects, or leaves out, is reported as in or not in the value set, its own
   * status (inactive) not repeated.
   */
  override filter(property: string, op: string, value: string): ConceptFilter {
    const f = this.selection(property, op, value);
    return f.membershipOnly ? f : Object.assign(Object.create(f) as ConceptFilter, { membershipOnly: true });
  }

  private selection(property: string, op: string, value: string): ConceptFilter {
    if ((property === 'constraint' || property === 'expression') && op === '=') return this.eclFilter(this.ecl(value));
    if (property === 'expressions' && op === '=') {
      const allow = value === 'true';
      return { estimate: this.totalCount(), includes: (c) => allow || !this.built.expressionOf(c), concepts: () => this.all() };
    }
    if (property === 'concept' && OWN_FILTERS.concept.includes(op)) return this.eclFilter(this.conceptConstraint(op, value));
    if (property === 'inactive' && op === '=') {
      const inactive = value === 'true';
      return this.fromPredicate((c) => !!this.built.detailsOf(c) && this.built.detailsOf(c)!.inactive === inactive);
    }
    if (property === 'moduleId' && op === '=') {
      const pk = this.conceptPk(value, property, op);
      return this.pkFilter(() => this.store.conceptsOfModule(pk));
    }
    if (property === 'definitionStatus' && op === '=') {
      const defined = value === 'defined' || value === SCT.defined;
      return this.fromPredicate((c) => !!this.built.detailsOf(c) && this.built.detailsOf(c)!.defined === defined);
    }
    if (/^\d+$/.test(property) && op === '=') {
      // an attribute as a property: concepts with that attribute and that value
      this.conceptPk(property, property, op);
      this.conceptPk(value, property, op);
      const node: EclNode = {
        kind: 'refined',
        base: { kind: 'sub', memberOf: false, focus: { kind: 'wildcard' }, filters: [] },
        refinement: { kind: 'attribute', reverse: false, name: conceptNode(property), comparison: { type: 'expression', op: '=', value: conceptNode(value) } },
      };
      return this.eclFilter({ node, evaluator: new EclEvaluator(this.store) });
    }
    return super.filter(property, op, value);
  }

  private conceptPk(id: string, property: string, op: string): number {
    const pk = isSctid(id, 'concept') ? this.store.pkOf(id) : undefined;
    if (pk === undefined) {
      throw TerminologyError.of(
        { severity: 'error', code: 'invalid', txType: 'vs-invalid', text: `The Snomed CT concept '${id}' (filter ${property} ${op} ${id}) is not known in ${this.info.version ?? this.info.url}` },
        400,
      );
    }
    return pk;
  }

  /** The FHIR concept filters as ECL: is-a is <<, descendent-of <, in a reference set ^, ... */
  private conceptConstraint(op: string, value: string): { node: EclNode; evaluator: EclEvaluator } {
    const evaluator = new EclEvaluator(this.store);
    const ids = op === 'in' || op === 'not-in' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [value];
    for (const id of ids) this.conceptPk(id, 'concept', op);
    const wildcard: SubExpression = { kind: 'sub', memberOf: false, focus: { kind: 'wildcard' }, filters: [] };
    let node: EclNode;
    if (op === 'in' || op === 'not-in') {
      const members = ids.map((id) => conceptNode(id, undefined, this.store.isRefset(this.store.pkOf(id)!)));
      const listed: EclNode = members.length === 1 ? members[0] : { kind: 'or', operands: members };
      node = op === 'in' ? listed : { kind: 'minus', left: wildcard, right: listed };
    } else if (op === 'is-not-a') {
      node = { kind: 'minus', left: wildcard, right: conceptNode(value, '<<') };
    } else if (op === 'descendent-leaf') {
      node = { kind: 'sub', op: '!!<', memberOf: false, focus: conceptNode(value, '<'), filters: [] };
    } else {
      node = conceptNode(value, CONCEPT_OPS[op]);
    }
    return { node, evaluator };
  }

  /** Parses (and remembers) an ECL constraint; bad ECL is an INVALID_ECL error. */
  private ecl(text: string): { node: EclNode; evaluator: EclEvaluator; text: string } {
    const known = this.eclCache.get(text);
    if (known) {
      ECL.hit();
      return known;
    }
    ECL.miss();
    let entry: { node: EclNode; evaluator: EclEvaluator; text: string };
    try {
      entry = { node: parseEcl(text), evaluator: new EclEvaluator(this.store), text };
      entry.evaluator.check(entry.node);
    } catch (e) {
      throw invalidEcl(e, text);
    }
    // bounded by count and by the members the evaluators hold (their memoised sets)
    let weight = 0;
    for (const e of this.eclCache.values()) weight += e.evaluator.weight;
    while (this.eclCache.size && (this.eclCache.size >= ECL_CACHE || weight > ECL_CACHE_MEMBERS)) {
      const oldest = this.eclCache.keys().next().value!;
      weight -= this.eclCache.get(oldest)!.evaluator.weight;
      this.eclCache.delete(oldest);
    }
    this.eclCache.set(text, entry);
    return entry;
  }

  private eclFilter({ node, evaluator, text }: { node: EclNode; evaluator: EclEvaluator; text?: string }): ConceptFilter {
    const built = this.built;
    // check() surfaces what is wrong with a constraint; should evaluation find more, it is still the client's ECL
    const evaluating = <T>(fn: () => T): T => {
      try {
        return fn();
      } catch (e) {
        throw invalidEcl(e, text ?? 'ECL');
      }
    };
    const members = () => evaluating(() => evaluator.members(node));
    return {
      membershipOnly: true,
      get estimate() {
        return members().size;
      },
      includes: (c) =>
        evaluating(() => {
          const e = built.expressionOf(c);
          if (e) return evaluator.hasExpression(node, e);
          const pk = built.pkOf(c);
          return pk !== undefined && evaluator.has(node, pk);
        }),
      concepts: () => this.inBatches([...members()].sort((a, b) => a - b)),
    };
  }

  private *inBatches(pks: number[]): Generator<Concept> {
    for (let i = 0; i < pks.length; i += BATCH) yield* this.built.fromPks(pks.slice(i, i + BATCH));
  }

  private pkFilter(pks: () => number[]): ConceptFilter {
    let set: Set<number> | undefined;
    const get = () => (set ??= new Set(pks()));
    return {
      get estimate() {
        return get().size;
      },
      includes: (c) => get().has(this.built.pkOf(c) ?? -1),
      concepts: () => this.inBatches([...get()].sort((a, b) => a - b)),
    };
  }

  /** Paged expansions read the release's rows directly (src/terminology/paged-expansion.ts). */
  indexedRows(): ReturnType<IndexedCodeSystem['indexedRows']> {
    return { db: this.store.database, csPk: this.store.csPk, snomed: true };
  }

  conceptsByPk(pks: number[]): Concept[] {
    return this.built.fromPks(pks);
  }

  /** Concepts matching free text, through the full-text index. */
  search(text: string): ConceptFilter {
    return this.fromList(this.built.fromPks(this.store.searchPks(new TextFilter(text).words).sort((a, b) => a - b)));
  }

  // ---- kind-specific operation output ---------------------------------------------------------

  /** Everything Snomed CT selects with filters is open to expressions, unless expressions = false. */
  openSelection(include: ValueSetComposeInclude, excludePostCoordinated: boolean): string | undefined {
    if (excludePostCoordinated || include.concept?.length) return undefined;
    if (!include.filter?.length) return `The code System '${SCT_URI}' has a grammar and so has infinite members`;
    if (include.filter.some((f) => f.property === 'expressions' && f.value === 'false')) return undefined;
    return '';
  }

  /**
   * In an expansion a concept shows its fully specified name and the preferred term of each
   * language (the terms its language reference sets mark preferred), FSNs first; acceptable
   * synonyms and inactive descriptions are left to $lookup. Supplement designations stay.
   */
  expansionDesignations(c: Concept): Designation[] {
    if (this.built.expressionOf(c)) return c.designations;
    const fsn = new Map<string, Designation>();
    const preferred = new Map<string, Designation>();
    for (const d of c.designations) {
      if (d.status || d.origin !== 'codesystem') continue;
      const lang = d.language ?? '';
      if (d.use?.code === SCT.fsn) {
        if (!fsn.has(lang)) fsn.set(lang, d);
      } else if (d.use?.code !== SCT.definition && this.built.isPreferredTerm(d) && !preferred.has(lang)) preferred.set(lang, d);
    }
    return [...fsn.values(), ...preferred.values(), ...c.designations.filter((d) => d.origin !== 'codesystem')];
  }

  lookup(concept: Concept, params: TxParameters): ParametersParameter[] {
    return this.lookupBuilder.build(concept, params);
  }
}

/** A constraint's syntax or evaluation error as the client's INVALID_ECL (400); anything else stays as it is. */
function invalidEcl(e: unknown, text: string): unknown {
  if (e instanceof EclSyntaxError || e instanceof EclEvaluationError) return TerminologyError.of(txIssue('error', 'invalid', 'vs-invalid', 'INVALID_ECL', [text, e.message]), 400);
  return e;
}
