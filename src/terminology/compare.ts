import type { ParametersParameter, ValueSet, ValueSetComposeInclude, ValueSetExpansionContains } from 'fhir/r4';
import type { TerminologyContext } from './context';
import type { TxParameters } from './params';
import type { Concept } from './providers/provider';
import type { ExpansionLimits } from './expander';
import { ValueSetExpander } from './expander';
import { TerminologyError } from './issues';
import { formatMessage } from './messages';
import { resolveCodeSystemVersion } from './resolution';
import { canonicalOf } from './versions';

/**
 * How one value set relates to another ($compare, also answered as $related): the same codes,
 * a subset or superset, overlapping, disjoint, both empty, or indeterminate when neither the
 * definitions nor the expansions can tell.
 */
export type ValueSetRelation = 'same' | 'subset' | 'superset' | 'overlapping' | 'disjoint' | 'empty' | 'indeterminate';

export interface ValueSetComparison {
  relation: ValueSetRelation;
  /** the sentence saying so (from the message table) */
  message: string;
  /** true when the answer came from expanding both value sets, false when from their definitions */
  performedExpansion: boolean;
  /** codes in both */
  common: string[];
  /** codes only in the other value set */
  extra: string[];
  /** codes only in this value set */
  missing: string[];
}

const WHOLE_HIERARCHY_OPS = ['is-a', 'descendent-of'];

/** What the definitions say about one code system's part of both value sets. */
interface SystemVerdict {
  common: boolean;
  /** this has codes the other lacks */
  left: boolean;
  /** the other has codes this lacks */
  right: boolean;
  lists?: { common: string[]; extra: string[]; missing: string[] };
}

/** The includes of one side for one system, normalised so that order and layout do not matter. */
interface SideShape {
  whole: boolean;
  codes: Set<string>;
  /** one signature per filtered include: its filters, sorted */
  filters: string[];
  /** includes with both concepts and filters: left to expansion */
  mixed: boolean;
  versions: Set<string>;
}

class Undecidable extends Error {}

/**
 * Compares two value sets. By definition first: includes are grouped by code system and compared
 * as sets (whole systems, concept lists, identical filters, is-a filters by subsumption). Where
 * the definitions cannot decide (imports, excludes, differing filters, different code-system
 * versions), both value sets are expanded and their codes compared.
 */
export class ValueSetComparer {
  constructor(
    private readonly ctx: TerminologyContext,
    private readonly params: TxParameters,
    private readonly limits: ExpansionLimits,
  ) {}

  compare(a: ValueSet, b: ValueSet): ValueSetComparison {
    const names = [label(a), label(b)];
    try {
      const byDefinition = this.byDefinition(a, b);
      return this.outcome(names, byDefinition, false);
    } catch (e) {
      if (!(e instanceof Undecidable)) throw e;
    }
    let ea: ValueSetExpansionContains[];
    let eb: ValueSetExpansionContains[];
    try {
      ea = this.expand(a);
      eb = this.expand(b);
    } catch (e) {
      if (!(e instanceof TerminologyError)) throw e;
      const reason = formatMessage('COMPARE_EXPANSION_FAILED', [e.issues.map((i) => i.text).join('; ')]);
      return { relation: 'indeterminate', message: formatMessage('COMPARE_INDETERMINATE', [...names, reason]), performedExpansion: true, common: [], extra: [], missing: [] };
    }
    const key = (c: ValueSetExpansionContains) => `${c.system}\u0000${c.code}`;
    const inB = new Set(eb.map(key));
    const inA = new Set(ea.map(key));
    const common = ea.filter((c) => inB.has(key(c))).map((c) => c.code!);
    const missing = ea.filter((c) => !inB.has(key(c))).map((c) => c.code!);
    const extra = eb.filter((c) => !inA.has(key(c))).map((c) => c.code!);
    if (ea.length === 0 && eb.length === 0) {
      return { relation: 'empty', message: formatMessage('COMPARE_EMPTY', names), performedExpansion: true, common: [], extra: [], missing: [] };
    }
    const verdict: SystemVerdict = { common: common.length > 0 || ea.length === 0 || eb.length === 0, left: missing.length > 0, right: extra.length > 0 };
    return this.outcome(names, { ...verdict, lists: { common, extra, missing } }, true);
  }

  private outcome(names: string[], v: SystemVerdict, performedExpansion: boolean): ValueSetComparison {
    let relation: ValueSetRelation;
    if (!v.common) relation = 'disjoint';
    else if (!v.left && !v.right) relation = 'same';
    else if (v.left && v.right) relation = 'overlapping';
    else relation = v.left ? 'superset' : 'subset';
    const id = { same: 'COMPARE_SAME', subset: 'COMPARE_SUBSET', superset: 'COMPARE_SUPERSET', overlapping: 'COMPARE_OVERLAPPING', disjoint: 'COMPARE_DISJOINT' }[relation as 'same'];
    // code lists say what differs: an expansion that found the same codes has nothing to list
    const lists = performedExpansion && relation === 'same' ? undefined : v.lists;
    return { relation, message: formatMessage(id, names), performedExpansion, common: lists?.common ?? [], extra: lists?.extra ?? [], missing: lists?.missing ?? [] };
  }

  /** Every code of an expansion (no paging), flattened in expansion order. */
  private expand(vs: ValueSet): ValueSetExpansionContains[] {
    const expansion = new ValueSetExpander(this.ctx, this.params.forImport(), this.limits).expand(vs);
    if (expansion.expansion?.extension?.some((e) => e.url === 'http://hl7.org/fhir/StructureDefinition/valueset-unclosed' && e.valueBoolean)) {
      throw TerminologyError.of({ severity: 'error', code: 'too-costly', text: formatMessage('COMPARE_UNCLOSED', [label(vs)]) }, 422);
    }
    const out: ValueSetExpansionContains[] = [];
    const walk = (list: ValueSetExpansionContains[]) => {
      for (const c of list) {
        if (c.code) out.push(c);
        if (c.contains) walk(c.contains);
      }
    };
    walk(expansion.expansion?.contains ?? []);
    return out;
  }

  // ---- by definition ------------------------------------------------------------------------

  private byDefinition(a: ValueSet, b: ValueSet): SystemVerdict {
    const ca = a.compose;
    const cb = b.compose;
    if (!ca || !cb) throw new Undecidable();
    if (ca.exclude?.length || cb.exclude?.length) throw new Undecidable();
    if ((ca.inactive ?? null) !== (cb.inactive ?? null)) throw new Undecidable();
    if (ca.lockedDate || cb.lockedDate) throw new Undecidable();
    const all = [...(ca.include ?? []), ...(cb.include ?? [])];
    if (all.some((i) => i.valueSet?.length || !i.system)) throw new Undecidable();
    const systems: string[] = [];
    for (const inc of all) if (!systems.includes(inc.system!)) systems.push(inc.system!);
    const total: SystemVerdict = { common: false, left: false, right: false };
    const lists = { common: [] as string[], extra: [] as string[], missing: [] as string[] };
    let listed = false;
    for (const system of systems) {
      const v = this.compareSystem(
        system,
        (ca.include ?? []).filter((i) => i.system === system),
        (cb.include ?? []).filter((i) => i.system === system),
      );
      total.common ||= v.common;
      total.left ||= v.left;
      total.right ||= v.right;
      if (v.lists) {
        listed = true;
        lists.common.push(...v.lists.common);
        lists.extra.push(...v.lists.extra);
        lists.missing.push(...v.lists.missing);
      }
    }
    if (listed) total.lists = lists;
    // a side that selects nothing at all: the expansions say how empty relates to the other
    if (!total.common && (!total.left || !total.right)) throw new Undecidable();
    return total;
  }

  private shape(system: string, includes: ValueSetComposeInclude[]): SideShape {
    const s: SideShape = { whole: false, codes: new Set(), filters: [], mixed: false, versions: new Set() };
    for (const inc of includes) {
      s.versions.add(this.effectiveVersion(system, inc.version));
      const hasConcepts = !!inc.concept?.length;
      const hasFilters = !!inc.filter?.length;
      if (hasConcepts && hasFilters) s.mixed = true;
      else if (hasConcepts) for (const c of inc.concept!) s.codes.add(c.code);
      else if (hasFilters) s.filters.push(filterSignature(inc));
      else s.whole = true;
    }
    s.filters = [...new Set(s.filters)].sort();
    return s;
  }

  /** The version an include means once the request's version rules apply ('' when unknown). */
  private effectiveVersion(system: string, stated: string | undefined): string {
    const resolved = resolveCodeSystemVersion(this.params, system, stated);
    return this.ctx.findCodeSystem(system, resolved.version)?.info.version ?? resolved.version ?? '';
  }

  private compareSystem(system: string, mine: ValueSetComposeInclude[], theirs: ValueSetComposeInclude[]): SystemVerdict {
    // a system only one side names counts only if that side's includes select something from it
    if (theirs.length === 0) return { common: false, left: this.selectsAny(system, mine), right: false };
    if (mine.length === 0) return { common: false, left: false, right: this.selectsAny(system, theirs) };
    const a = this.shape(system, mine);
    const b = this.shape(system, theirs);
    if (a.mixed || b.mixed) throw new Undecidable();
    // a comparison across code-system versions is a comparison of what those versions hold
    if (a.versions.size !== 1 || !sameSet(a.versions, b.versions)) throw new Undecidable();
    if (a.whole && b.whole) return { common: true, left: false, right: false };
    if (a.whole || b.whole) {
      // the whole system holds the other side; it is more only when the other side leaves a code out
      const part = this.partOfWhole(system, [...a.versions][0], a.whole ? b : a, a.whole ? theirs : mine);
      if (part === 'empty') return { common: false, left: a.whole, right: b.whole };
      const proper = part === 'some';
      return { common: true, left: a.whole && proper, right: b.whole && proper };
    }
    if (sameSet(a.codes, b.codes) && a.filters.join('\n') === b.filters.join('\n')) {
      const onlyLists = a.filters.length === 0;
      return { common: true, left: false, right: false, lists: onlyLists ? { common: sorted(a.codes), extra: [], missing: [] } : undefined };
    }
    if (a.filters.length === 0 && b.filters.length === 0) {
      const common = sorted([...a.codes].filter((c) => b.codes.has(c)));
      const missing = sorted([...a.codes].filter((c) => !b.codes.has(c)));
      const extra = sorted([...b.codes].filter((c) => !a.codes.has(c)));
      return { common: common.length > 0, left: missing.length > 0, right: extra.length > 0, lists: { common, extra, missing } };
    }
    return this.compareHierarchies(system, [...a.versions][0], mine, theirs);
  }

  /** Does any include of one code system select a code (stops at the first)? */
  private selectsAny(system: string, includes: ValueSetComposeInclude[]): boolean {
    for (const inc of includes) {
      const provider = this.ctx.findCodeSystem(system, resolveCodeSystemVersion(this.params, system, inc.version).version);
      // a code system the server does not hold: its definition is taken to select something
      if (!provider) return true;
      if (inc.concept?.length) {
        if (inc.concept.some((c) => provider.locate(c.code).concept)) return true;
        if (!inc.filter?.length) continue;
      }
      if (!inc.filter?.length) {
        if (provider.enumerationBasis || provider.totalCount() > 0) return true;
        continue;
      }
      const [first, ...rest] = inc.filter.map((f) => provider.filter(f.property, f.op, f.value ?? ''));
      for (const c of first.concepts()) if (rest.every((f) => f.includes(c)) && (!inc.concept?.length || inc.concept.some((x) => x.code === c.code))) return true;
    }
    return false;
  }

  /**
   * How much of a code system one side's includes hold, when the other side includes all of it:
   * a list of codes is counted against the system's size; a filter over a system small enough to
   * expand is left to the expansion (it may select every code); over a larger one, and over a
   * grammar without end, it is taken as a part.
   */
  private partOfWhole(system: string, version: string, part: SideShape, includes: ValueSetComposeInclude[]): 'empty' | 'some' | 'all' {
    const provider = this.ctx.findCodeSystem(system, version || undefined);
    // a code system the server does not hold: a part of it is taken to be less than all of it
    if (!provider) return 'some';
    const endless = !!provider.enumerationBasis;
    if (!endless && provider.info.content !== 'complete') throw new Undecidable();
    const subtree = part.codes.size === 0 && includes.length === 1 ? hierarchyFilter(includes[0]) : undefined;
    if (subtree) {
      // a subtree is a part when a concept lies outside it: its root's parent, or the root itself
      const root = provider.locate(subtree.value).concept;
      if (!root) throw new Undecidable();
      if (subtree.op === 'descendent-of') return hasAny(provider.filter('concept', 'descendent-of', subtree.value).concepts()) ? 'some' : 'empty';
      if (root.parents.length > 0) return 'some';
      throw new Undecidable(); // a root: the expansions tell whether it holds every code
    }
    if (part.filters.length) {
      if (!endless && provider.totalCount() <= this.limits.maxCodes) throw new Undecidable();
      return 'some';
    }
    const known = [...part.codes].filter((c) => provider.locate(c).concept);
    if (known.length < part.codes.size) throw new Undecidable();
    if (known.length === 0) return 'empty';
    return !endless && known.length >= provider.totalCount() ? 'all' : 'some';
  }

  /**
   * Two includes that each select one subtree (is-a X, descendent-of Y): related by subsumption
   * of X and Y; two subtrees neither of which holds the other's root are disjoint when no concept
   * lies below both (a code system may have several parents per concept).
   */
  private compareHierarchies(system: string, version: string, mine: ValueSetComposeInclude[], theirs: ValueSetComposeInclude[]): SystemVerdict {
    const single = (incs: ValueSetComposeInclude[]) => (incs.length === 1 ? hierarchyFilter(incs[0]) : undefined);
    const fa = single(mine);
    const fb = single(theirs);
    const provider = this.ctx.findCodeSystem(system, version || undefined);
    if (!fa || !fb || !provider) throw new Undecidable();
    const ra = provider.locate(fa.value).concept;
    const rb = provider.locate(fb.value).concept;
    if (!ra || !rb) throw new Undecidable();
    const selfA = fa.op === 'is-a';
    const selfB = fb.op === 'is-a';
    if (ra === rb) {
      if (selfA === selfB) return { common: true, left: false, right: false };
      return { common: true, left: selfA, right: selfB };
    }
    // the wider subtree is more unless everything below its root lies under the narrower one
    const wider = (top: string, topSelf: boolean, root: Concept, rootSelf: boolean) => {
      if (topSelf || !rootSelf) return true; // its root, or the narrower root itself, tells them apart
      for (const c of provider.filter('concept', 'descendent-of', top).concepts()) if (c.code !== root.code && !provider.subsumes(root, c)) return true;
      return false;
    };
    if (provider.subsumes(ra, rb)) return { common: true, left: wider(fa.value, selfA, rb, selfB), right: false };
    if (provider.subsumes(rb, ra)) return { common: true, left: false, right: wider(fb.value, selfB, ra, selfA) };
    const other = provider.filter('concept', fb.op, fb.value);
    let anyA = false;
    for (const c of provider.filter('concept', fa.op, fa.value).concepts()) {
      anyA = true;
      if (other.includes(c)) throw new Undecidable();
    }
    const anyB = selfB || hasAny(other.concepts());
    // an empty side (descendants of a leaf) is no part of "disjoint": the expansions say what it is
    if (!anyA || !anyB) throw new Undecidable();
    return { common: false, left: true, right: true };
  }
}

/** url|version of a value set, or its url, as messages name it. */
function label(vs: ValueSet): string {
  return vs.url ? canonicalOf(vs.url, vs.version) : vs.id ? `#${vs.id}` : '(anonymous value set)';
}

/** The one filter of an include that selects a subtree (is-a X, descendent-of X), if that is all it has. */
function hierarchyFilter(inc: ValueSetComposeInclude): { op: string; value: string } | undefined {
  if (inc.concept?.length || inc.filter?.length !== 1) return undefined;
  const f = inc.filter[0];
  return f.property === 'concept' && WHOLE_HIERARCHY_OPS.includes(f.op) ? { op: f.op, value: f.value } : undefined;
}

function hasAny(items: Iterable<unknown>): boolean {
  for (const _ of items) return true;
  return false;
}

function filterSignature(inc: ValueSetComposeInclude): string {
  return (inc.filter ?? [])
    .map((f) => `${f.property}\u0001${f.op}\u0001${f.value}`)
    .sort()
    .join('\u0002');
}

function sameSet<T>(a: Set<T>, b: Set<T>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function sorted(codes: Iterable<string>): string[] {
  return [...codes].sort((x, y) => x.localeCompare(y));
}

/** The $compare answer as output parameters. */
export function comparisonParameters(c: ValueSetComparison): ParametersParameter[] {
  const out: ParametersParameter[] = [
    { name: 'result', valueCode: c.relation },
    { name: 'message', valueString: c.message },
    { name: 'performed-expansion', valueBoolean: c.performedExpansion },
  ];
  if (c.common.length) out.push({ name: 'common-codes', valueString: c.common.join(',') });
  if (c.extra.length) out.push({ name: 'extra-codes', valueString: c.extra.join(',') });
  if (c.missing.length) out.push({ name: 'missing-codes', valueString: c.missing.join(',') });
  return out;
}
