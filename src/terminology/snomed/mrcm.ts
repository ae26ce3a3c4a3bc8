import type { SnomedStore } from '../../store/snomed-store';
import type { AttributeValue, ExpressionAttribute, SctExpression } from './expression';

/**
 * The MRCM (machine readable concept model) rules an expression must satisfy: the attribute domain
 * reference set 723561005 (in which domain an attribute may be used, whether it goes in a
 * relationship group, how many times) and the attribute range reference set 723562003 (what its
 * value may be: concepts satisfying a constraint, or a concrete value of a type and range).
 * Rules for precoordinated content only do not constrain an expression.
 *
 * An attribute the model never groups, written in a group, makes an expression invalid: nothing
 * turns it into what the model can classify. An attribute the model groups, written outside a group,
 * is the close-to-user form (the postcoordination guide's transformation to the classifiable form
 * puts it in a group): valid as a code, but not classifiable as written; that transformation is not
 * implemented, so operations that need the classifiable form ($subsumes) reject it rather than
 * silently repairing it.
 *
 * A domain that is a reference set (723264001 |Lateralizable body structure reference set|) narrows
 * the attribute to the set's members; when the release does not ship the set's members, a concept is
 * taken as a member when it carries the attribute in its own definition (the concept model says so
 * of it).
 */

export const MRCM_ATTRIBUTE_DOMAIN = '723561005';
export const MRCM_ATTRIBUTE_RANGE = '723562003';
/** content types whose rules apply to post-coordinated expressions: all content, all post-coordinated content */
const EXPRESSION_CONTENT = new Set(['723596005', '723594008']);
const MANDATORY = '723597001';
/** reference sets a release may use as MRCM domains without shipping them, by name */
const KNOWN_NAMES: Record<string, string> = { '723264001': 'Lateralizable body structure reference set (foundation metadata concept)' };

/** A domain rule's columns kept as a member's target text: domain, grouped, content type, rule strength, cardinalities. */
export function mrcmRuleText(domain: string, grouped: string, contentType: string, strength: string, cardinality = '0..*', inGroupCardinality = '0..*'): string {
  return `${domain} ${grouped} ${contentType} ${strength} ${cardinality} ${inGroupCardinality}`;
}

/** A range rule's columns kept as a member's target text: content type, rule strength, the range constraint. */
export function mrcmRangeText(rangeConstraint: string, contentType: string, strength: string): string {
  return `${contentType} ${strength} ${rangeConstraint}`;
}

interface Rule {
  domainId: string;
  /** undefined: the domain is not a concept of the release (a reference set it does not ship) */
  domain: number | undefined;
  grouped: boolean;
  mandatory: boolean;
  /** most occurrences on one concept / in one group; undefined: unbounded */
  max: number | undefined;
  maxInGroup: number | undefined;
}

type Range =
  | { kind: 'concepts'; text: string; parts: { op: '' | '<' | '<<'; pk: number | undefined }[] }
  | { kind: 'concrete'; text: string; type: 'int' | 'dec' | 'str'; bounds: { min?: number; minExcl?: boolean; max?: number; maxExcl?: boolean }[] };

function maxOf(card: string | undefined): number | undefined {
  const m = /^\d+\.\.(\d+|\*)$/.exec(card ?? '');
  return m && m[1] !== '*' ? Number(m[1]) : undefined;
}

export class MrcmGrouping {
  private readonly refsetPk: number | undefined;
  private readonly rangePk: number | undefined;
  private readonly rules = new Map<number, Rule[]>();
  private readonly ranges = new Map<number, Range[]>();

  constructor(private readonly store: SnomedStore) {
    const pk = store.pkOf(MRCM_ATTRIBUTE_DOMAIN);
    this.refsetPk = pk !== undefined && store.isRefset(pk) ? pk : undefined;
    const rpk = store.pkOf(MRCM_ATTRIBUTE_RANGE);
    this.rangePk = rpk !== undefined && store.isRefset(rpk) ? rpk : undefined;
  }

  /** Whether the release has concept model rules to check expressions against. */
  get hasRules(): boolean {
    return this.refsetPk !== undefined;
  }

  /**
   * The first concept model rule the expression (not its nested values: they are expressions of
   * their own) breaks, as a message; `display` names a concept. `grouping`: only the grouping rules
   * an attribute written in a group breaks (what any use of the expression needs); `classifiable`:
   * also a grouped attribute written outside a group; `conformance`: every rule (domain, range,
   * grouping, cardinality), for a code judged by the code system alone.
   */
  check(e: SctExpression, display: (id: string) => string | undefined, rules: 'grouping' | 'classifiable' | 'conformance' = 'grouping'): string | undefined {
    const classifiable = rules === 'classifiable';
    if (this.refsetPk === undefined) return undefined;
    const focus = e.focus.map((f) => this.store.pkOf(f.id)).filter((pk): pk is number => pk !== undefined);
    const named = (id: string) => `${id} |${this.nameOf(id) ?? display(id) ?? id}|`;
    const all = [...e.attributes, ...e.groups.flat()];
    // what the attribute may be used on and what its value may be, then where it may be written
    if (rules === 'conformance') {
      for (const a of all) {
        const p = this.domainProblem(a, e, focus, named) ?? this.rangeProblem(a, named);
        if (p) return p;
      }
    }
    for (const a of e.groups.flat()) {
      if (this.grouping(a, focus) === false) return `The SNOMED CT concept model does not allow the attribute ${named(a.name.id)} to appear in a relationship group`;
    }
    if (classifiable) {
      for (const a of e.attributes) {
        if (this.grouping(a, focus) === true) {
          return `The SNOMED CT concept model requires the attribute ${named(a.name.id)} to appear in a relationship group, and the expression is not in its classifiable form`;
        }
      }
      return undefined;
    }
    if (rules !== 'conformance') return undefined;
    // cardinality: on the concept, then in each group
    const counted = new Set<string>();
    for (const a of all) {
      if (counted.has(a.name.id)) continue;
      counted.add(a.name.id);
      const rules = this.applicable(a, focus);
      const n = all.filter((x) => x.name.id === a.name.id).length;
      if (rules.length > 0 && rules.every((r) => r.max !== undefined && n > r.max)) {
        const max = Math.max(...rules.map((r) => r.max!));
        return `The SNOMED CT concept model allows the attribute ${named(a.name.id)} at most ${max} time(s) on one concept, but it is used ${n} times`;
      }
    }
    for (const g of e.groups) {
      for (const a of g) {
        const rules = this.applicable(a, focus);
        const n = g.filter((x) => x.name.id === a.name.id).length;
        if (rules.length > 0 && rules.every((r) => r.maxInGroup !== undefined && r.maxInGroup > 0 && n > r.maxInGroup)) {
          const max = Math.max(...rules.map((r) => r.maxInGroup!));
          return `The SNOMED CT concept model allows the attribute ${named(a.name.id)} at most ${max} time(s) in one relationship group, but it is used ${n} times`;
        }
      }
    }
    return undefined;
  }

  /** The attribute used outside all of its domains. */
  private domainProblem(a: ExpressionAttribute, e: SctExpression, focus: number[], named: (id: string) => string): string | undefined {
    const attribute = this.store.pkOf(a.name.id);
    if (attribute === undefined || focus.length === 0) return undefined;
    // a domain the release does not hold cannot be judged, unless it is a reference set known by name
    const rules = this.rulesOf(attribute).filter((r) => r.domain !== undefined || KNOWN_NAMES[r.domainId] !== undefined);
    if (rules.length === 0) return undefined;
    // a reference set domain narrows the attribute to its members
    const memberships = rules.filter((r) => r.domain === undefined || this.store.isRefset(r.domain));
    const domains = memberships.length > 0 ? memberships : rules;
    const ok = domains.some((r) => focus.some((f) => (memberships.length > 0 ? this.isMember(r, f, attribute) : this.inDomain(r.domain!, f))));
    if (ok) return undefined;
    const where =
      memberships.length > 0
        ? domains.map((r) => `for concepts in ${named(r.domainId)}`).join(', or ')
        : domains.map((r) => `in the domain ${named(r.domainId)}`).join(', or ');
    return `The SNOMED CT concept model does not allow the attribute ${named(a.name.id)} on ${named(e.focus[0].id)} (the attribute is only valid ${where})`;
  }

  private isMember(r: Rule, focus: number, attribute: number): boolean {
    if (r.domain !== undefined && this.store.isRefset(r.domain)) return this.store.memberPks(r.domain).includes(focus);
    // the reference set is not shipped: a concept whose definition carries the attribute is in its domain
    return this.store.relationshipsOf(focus).some((x) => x.type_pk === attribute);
  }

  private inDomain(domain: number, pk: number): boolean {
    return domain === pk || this.store.isDescendant(domain, pk);
  }

  /** The attribute's value outside its range. */
  private rangeProblem(a: ExpressionAttribute, named: (id: string) => string): string | undefined {
    const attribute = this.store.pkOf(a.name.id);
    if (attribute === undefined || this.rangePk === undefined) return undefined;
    const ranges = this.rangesOf(attribute);
    if (ranges.length === 0) return undefined;
    if (ranges.some((r) => this.satisfies(a.value, r))) return undefined;
    const value = a.value.kind === 'concrete' ? a.value.text : named(a.value.expression.focus[0].id);
    return `The SNOMED CT concept model does not allow ${value} as the value of the attribute ${named(a.name.id)} (the value must satisfy "${ranges[0].text}")`;
  }

  private satisfies(v: AttributeValue, r: Range): boolean {
    if (r.kind === 'concepts') {
      if (v.kind !== 'expression') return false;
      const focus = v.expression.focus.map((f) => this.store.pkOf(f.id));
      return focus.some(
        (pk) =>
          pk !== undefined &&
          r.parts.some((p) => p.pk !== undefined && ((p.op !== '<' && p.pk === pk) || (p.op !== '' && p.pk !== pk && this.store.isDescendant(p.pk, pk)))),
      );
    }
    if (v.kind !== 'concrete') return false;
    if (r.type === 'str') return v.text.startsWith('"');
    if (!v.text.startsWith('#')) return false;
    const n = Number(v.text.slice(1));
    if (!Number.isFinite(n)) return false;
    if (r.type === 'int' && !/^#-?\d+$/.test(v.text)) return false;
    if (r.bounds.length === 0) return true;
    return r.bounds.some(
      (b) =>
        (b.min === undefined || (b.minExcl ? n > b.min : n >= b.min)) && (b.max === undefined || (b.maxExcl ? n < b.max : n <= b.max)),
    );
  }

  /** Must the attribute be grouped (true), never grouped (false), or is it not said (undefined), on these focus concepts? */
  private grouping(a: ExpressionAttribute, focus: number[]): boolean | undefined {
    const applicable = this.applicable(a, focus).filter((r) => r.mandatory);
    if (applicable.length === 0) return undefined;
    if (applicable.every((r) => r.grouped)) return true;
    if (applicable.every((r) => !r.grouped)) return false;
    return undefined;
  }

  /** The attribute's rules whose (concept) domain holds a focus concept. */
  private applicable(a: ExpressionAttribute, focus: number[]): Rule[] {
    const attribute = this.store.pkOf(a.name.id);
    if (attribute === undefined) return [];
    return this.rulesOf(attribute).filter((r) => r.domain !== undefined && focus.some((f) => this.inDomain(r.domain!, f)));
  }

  private rulesOf(attribute: number): Rule[] {
    let rules = this.rules.get(attribute);
    if (!rules) {
      rules = [];
      for (const t of this.store.memberTargets(this.refsetPk!, attribute)) {
        const [domainId, grouped, contentType, strength, card, inGroup] = t.split(' ');
        if (!EXPRESSION_CONTENT.has(contentType)) continue;
        rules.push({ domainId, domain: this.store.pkOf(domainId), grouped: grouped === '1', mandatory: strength === MANDATORY, max: maxOf(card), maxInGroup: maxOf(inGroup) });
      }
      this.rules.set(attribute, rules);
    }
    return rules;
  }

  private rangesOf(attribute: number): Range[] {
    let ranges = this.ranges.get(attribute);
    if (!ranges) {
      ranges = [];
      for (const t of this.store.memberTargets(this.rangePk!, attribute)) {
        const m = /^(\S+) (\S+) (.*)$/.exec(t);
        if (!m || !EXPRESSION_CONTENT.has(m[1]) || m[2] !== MANDATORY) continue;
        const r = parseRange(m[3], (id) => this.store.pkOf(id));
        if (r) ranges.push(r);
      }
      this.ranges.set(attribute, ranges);
    }
    return ranges;
  }

  /** A concept's name in messages: its first description (the lowest description id that is active). */
  private nameOf(id: string): string | undefined {
    const pk = this.store.pkOf(id);
    if (pk === undefined) return KNOWN_NAMES[id];
    let best: { id: bigint; term: string } | undefined;
    for (const d of this.store.descriptionsOf([pk]).get(pk) ?? []) {
      if (d.inactive) continue;
      let did: bigint;
      try {
        did = BigInt((JSON.parse(d.extra ?? '{}') as { id?: string }).id ?? '');
      } catch {
        continue;
      }
      if (!best || did < best.id) best = { id: did, term: d.value };
    }
    return best?.term;
  }
}

/** A range constraint the checker understands: a disjunction of concepts (self, <, <<), or a concrete type with ranges; else undefined (not judged). */
export function parseRange(text: string, pkOf: (id: string) => number | undefined): Range | undefined {
  const t = text.trim();
  const c = /^(int|dec|str)\((.*)\)$/.exec(t);
  if (c) {
    const bounds: { min?: number; minExcl?: boolean; max?: number; maxExcl?: boolean }[] = [];
    for (const part of c[2].split(',').map((s) => s.trim()).filter(Boolean)) {
      const single = /^#(-?\d+(?:\.\d+)?)$/.exec(part);
      if (single) {
        bounds.push({ min: Number(single[1]), max: Number(single[1]) });
        continue;
      }
      const m = /^(>)?(?:#(-?\d+(?:\.\d+)?))?\.\.(<)?(?:#(-?\d+(?:\.\d+)?))?$/.exec(part);
      if (!m) return undefined;
      bounds.push({ minExcl: !!m[1], min: m[2] !== undefined ? Number(m[2]) : undefined, maxExcl: !!m[3], max: m[4] !== undefined ? Number(m[4]) : undefined });
    }
    return { kind: 'concrete', text: t, type: c[1] as 'int' | 'dec' | 'str', bounds };
  }
  const parts: { op: '' | '<' | '<<'; pk: number | undefined }[] = [];
  for (const p of t.split(/\s+OR\s+/)) {
    const m = /^\(?\s*(<<|<)?\s*(\d{6,18})\s*(\|[^|]*\|)?\s*\)?$/.exec(p.trim());
    if (!m) return undefined;
    parts.push({ op: (m[1] ?? '') as '' | '<' | '<<', pk: pkOf(m[2]) });
  }
  // concepts the release does not hold have no values in it: a range of none of its concepts is not judged
  return parts.some((p) => p.pk !== undefined) ? { kind: 'concepts', text: t, parts } : undefined;
}
