import type { CodeSystem, CodeSystemConcept, Extension } from 'fhir/r4';
import { RE2JS } from 're2js';
import type { CodeSystemInfo, CodeSystemProvider, Concept, ConceptFilter, ConceptStatus, LocateResult, PropertyValue } from './provider';
import { TerminologyError, txIssue } from '../issues';
import { canonicalOf } from '../versions';

export const CONCEPT_PROPERTIES = 'http://hl7.org/fhir/concept-properties';
const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';
// 'deprecated' discourages use but the concept stays active (it is reported, not excluded)
const INACTIVE_STATUSES = new Set(['retired', 'inactive', 'withdrawn']);

/** Properties with a meaning defined by FHIR, recognised by code or by concept-properties URI. */
export type WellKnownProperty = 'status' | 'inactive' | 'notSelectable' | 'parent' | 'child' | 'deprecated';
const WELL_KNOWN: WellKnownProperty[] = ['status', 'inactive', 'notSelectable', 'parent', 'child', 'deprecated'];

const CONCEPT_OPS = ['=', 'is-a', 'descendent-of', 'is-not-a', 'regex', 'in', 'not-in', 'generalizes', 'child-of', 'descendent-leaf', 'exists'];
const PROPERTY_OPS = ['=', 'regex', 'in', 'not-in', 'exists'];

export function standardsStatusOf(extensions: Extension[] | undefined): string | undefined {
  return extensions?.find((e) => e.url === STANDARDS_STATUS)?.valueCode;
}

export function propertyValueOf(p: any): PropertyValue | undefined {
  const key = Object.keys(p).find((k) => k.startsWith('value') && p[k] !== undefined);
  if (!key || typeof p.code !== 'string') return undefined;
  return { code: p.code, valueKey: key, value: p[key], extension: p.extension };
}

/** The value of a property as text, for filters (codes, strings, booleans, numbers, Coding.code). */
export function propertyText(p: PropertyValue): string | undefined {
  const v = p.value as any;
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'object') return typeof v.code === 'string' ? v.code : undefined;
  return String(v);
}

/**
 * Compiles a filter regex with RE2 semantics (linear time: no catastrophic backtracking, so a
 * hostile pattern cannot hang the server). The whole value must match, as in XML Schema.
 */
export function compileRegex(pattern: string): { matches(s: string): boolean } {
  try {
    const re = RE2JS.compile(pattern);
    return { matches: (s: string) => re.matches(s) };
  } catch (e) {
    throw TerminologyError.of(
      { severity: 'error', code: 'invalid', txType: 'vs-invalid', text: `The regular expression '${pattern}' is not valid: ${(e as Error).message}` },
      400,
    );
  }
}

/** What a supplement adds to one concept. */
export interface SupplementAdditions {
  designations: Concept['designations'];
  properties: PropertyValue[];
  extensions: Extension[];
}

/** Collects, per code, what the supplements add (their displays become displays in their language). */
export function supplementAdditions(supplements: CodeSystem[]): Map<string, SupplementAdditions> {
  const out = new Map<string, SupplementAdditions>();
  for (const s of supplements) {
    const source = canonicalOf(s.url ?? '', s.version);
    const walk = (list: CodeSystemConcept[]) => {
      for (const sc of list) {
        const add = out.get(sc.code) ?? { designations: [], properties: [], extensions: [] };
        if (sc.display) add.designations.push({ language: s.language, value: sc.display, origin: 'supplement', source, isDisplay: true });
        for (const d of sc.designation ?? []) {
          add.designations.push({ language: d.language ?? s.language, use: d.use, value: d.value, extension: (d as any).extension, origin: 'supplement', source });
        }
        for (const p of sc.property ?? []) {
          const pv = propertyValueOf(p);
          if (pv) add.properties.push(pv);
        }
        add.extensions.push(...(sc.extension ?? []));
        out.set(sc.code, add);
        if (sc.concept) walk(sc.concept);
      }
    };
    walk(s.concept ?? []);
  }
  return out;
}

/**
 * The FHIR semantics every concept-based code system shares: concept status (inactive,
 * deprecated, not selectable), subsumption and the compose filters. Subclasses supply the
 * concepts (held in memory, or read from the store) through a few primitives.
 */
export abstract class ConceptGraphProvider implements CodeSystemProvider {
  readonly info: CodeSystemInfo;
  /** property codes of this code system for each well-known meaning */
  protected readonly knownCodes = new Map<WellKnownProperty, Set<string>>();

  constructor(readonly resource: CodeSystem, supplements: CodeSystem[]) {
    const propertyDefinitions = new Map<string, { uri?: string; type?: string; description?: string }>();
    for (const cs of [resource, ...supplements]) {
      for (const p of cs.property ?? []) if (!propertyDefinitions.has(p.code)) propertyDefinitions.set(p.code, { uri: p.uri, type: p.type, description: p.description });
    }
    this.info = {
      url: resource.url ?? '',
      version: resource.version,
      name: resource.name,
      title: resource.title,
      status: resource.status,
      experimental: resource.experimental,
      standardsStatus: standardsStatusOf(resource.extension),
      content: resource.content,
      caseSensitive: resource.caseSensitive === true,
      language: resource.language,
      hierarchyMeaning: resource.hierarchyMeaning,
      valueSet: resource.valueSet,
      versionNeeded: resource.versionNeeded,
      compositional: resource.compositional,
      supplements: supplements.map((s) => canonicalOf(s.url ?? '', s.version)),
      propertyDefinitions,
    };
    for (const k of WELL_KNOWN) this.knownCodes.set(k, new Set());
    for (const [code, def] of propertyDefinitions) {
      for (const k of WELL_KNOWN) if (def.uri === `${CONCEPT_PROPERTIES}#${k}`) this.knownCodes.get(k)!.add(code);
    }
    // an undeclared property with the well-known code still means it (common in the wild)
    for (const k of WELL_KNOWN) if (!propertyDefinitions.has(k)) this.knownCodes.get(k)!.add(k);
    this.knownCodes.get('notSelectable')!.add('not-selectable');
  }

  abstract locate(code: string): LocateResult;
  abstract roots(): Concept[];

  /** A CodeSystem resource says it is compositional, but only concepts are known here (no grammar). */
  get grammarUnknown(): boolean {
    return this.info.compositional === true;
  }
  abstract all(): Iterable<Concept>;
  abstract totalCount(): number;
  /** Every descendant of a concept (not itself), in code-system order. */
  abstract descendants(c: Concept): Concept[];
  /** Is `descendant` strictly below `ancestor`? */
  abstract isDescendant(ancestor: Concept, descendant: Concept): boolean;

  /** Concepts whose property has this text value; undefined when the subclass has no index. */
  protected withPropertyValue(_property: string, _value: string): Concept[] | undefined {
    return undefined;
  }

  /** Property codes this code system uses for a well-known meaning. */
  propertyCodesFor(meaning: WellKnownProperty): Set<string> {
    return this.knownCodes.get(meaning)!;
  }

  /** Is this property's value derived (parent and child from the hierarchy, inactive from the status too), not only stored? */
  isDerivedProperty(property: string): boolean {
    return (['parent', 'child', 'inactive'] as WellKnownProperty[]).some((m) => this.knownCodes.get(m)!.has(property));
  }

  status(concept: Concept): ConceptStatus {
    let status: string | undefined;
    let inactive = false;
    let abstract = false;
    const statusCodes = this.knownCodes.get('status')!;
    const inactiveCodes = this.knownCodes.get('inactive')!;
    const notSelectableCodes = this.knownCodes.get('notSelectable')!;
    for (const p of concept.properties) {
      if (statusCodes.has(p.code)) status = propertyText(p);
      else if (inactiveCodes.has(p.code)) {
        if (p.value === true || p.value === 'true') inactive = true;
      } else if (notSelectableCodes.has(p.code)) {
        if (p.value === true || (typeof p.value === 'string' && p.value.toLowerCase() === 'true')) abstract = true;
      }
    }
    if (status === undefined) {
      const ss = standardsStatusOf(concept.extensions);
      if (ss === 'withdrawn' || ss === 'deprecated') status = ss;
    }
    if (status !== undefined && INACTIVE_STATUSES.has(status)) inactive = true;
    if (inactive && status === undefined) status = 'inactive';
    return { inactive, status, abstract };
  }

  subsumes(ancestor: Concept, descendant: Concept): boolean {
    return ancestor === descendant || this.isDescendant(ancestor, descendant);
  }

  supportsFilter(property: string, op: string): boolean {
    if (property === 'concept' || property === 'code') return CONCEPT_OPS.includes(op);
    if (property === 'display') return PROPERTY_OPS.includes(op);
    if (this.isKnownProperty(property)) return PROPERTY_OPS.includes(op);
    return false;
  }

  private isKnownProperty(property: string): boolean {
    if (this.info.propertyDefinitions.has(property)) return true;
    for (const k of WELL_KNOWN) if (this.knownCodes.get(k)!.has(property)) return true;
    return property === 'definition';
  }

  filter(property: string, op: string, value: string): ConceptFilter {
    if (!this.supportsFilter(property, op)) {
      throw TerminologyError.of(txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', [property, op, value, '', this.info.url]), 400);
    }
    if (property === 'concept' || property === 'code') return this.conceptFilter(op, value);
    return this.propertyFilter(property, op, value);
  }

  protected fromPredicate(pred: (c: Concept) => boolean, estimate = this.totalCount()): ConceptFilter {
    const all = () => this.all();
    return {
      estimate,
      includes: pred,
      *concepts() {
        for (const c of all()) if (pred(c)) yield c;
      },
    };
  }

  /** A filter whose members are listed (in code-system order). */
  protected fromList(list: Concept[]): ConceptFilter {
    const set = new Set(list);
    return { estimate: list.length, includes: (c) => set.has(c), concepts: () => list };
  }

  private conceptFilter(op: string, value: string): ConceptFilter {
    const t = this.locate(value).concept;
    switch (op) {
      case '=':
        return this.fromList(t ? [t] : []);
      case 'is-a':
        return t ? this.isAFilter(t, true) : this.fromList([]);
      case 'descendent-of':
        return t ? this.isAFilter(t, false) : this.fromList([]);
      case 'is-not-a':
        return t ? this.fromPredicate((c) => !this.subsumes(t, c)) : this.fromPredicate(() => true);
      case 'generalizes':
        return this.fromPredicate((c) => !!t && this.subsumes(c, t));
      case 'child-of':
        return this.fromList(t ? t.children : []);
      case 'descendent-leaf':
        return this.fromList(t ? this.descendants(t).filter((c) => c.children.length === 0) : []);
      case 'in':
      case 'not-in': {
        const listed = value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => this.locate(s).concept)
          .filter((c): c is Concept => !!c);
        if (op === 'in') return this.fromList(listed);
        const set = new Set(listed);
        return this.fromPredicate((c) => !set.has(c));
      }
      case 'regex': {
        const re = compileRegex(value);
        return this.fromPredicate((c) => re.matches(c.code));
      }
      case 'exists':
        // every concept of the code system exists; 'false' selects none
        return value === 'true' ? this.fromPredicate(() => true) : this.fromList([]);
    }
    throw TerminologyError.of(txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', ['concept', op, value, '', this.info.url]), 400);
  }

  /** is-a (with self) and descendent-of (without): listed lazily, tested by the closure. */
  private isAFilter(t: Concept, withSelf: boolean): ConceptFilter {
    let list: Concept[] | undefined;
    const members = () => (list ??= withSelf ? [t, ...this.descendants(t)] : this.descendants(t));
    return {
      get estimate() {
        return members().length;
      },
      includes: (c) => (withSelf && c === t) || this.isDescendant(t, c),
      concepts: members,
    };
  }

  /** All values of a property on a concept, as text (display and definition count as properties). */
  protected valuesOf(c: Concept, property: string): string[] {
    if (property === 'display') return c.display !== undefined ? [c.display] : [];
    if (property === 'definition') return c.definition !== undefined ? [c.definition] : [];
    // inactive is the concept's state (an inactive property or an inactive status), false by default
    if (this.knownCodes.get('inactive')!.has(property)) return [String(this.status(c).inactive)];
    const codes = new Set([property]);
    for (const k of WELL_KNOWN) if (this.knownCodes.get(k)!.has(property)) for (const x of this.knownCodes.get(k)!) codes.add(x);
    const out: string[] = [];
    for (const p of c.properties) {
      if (!codes.has(p.code)) continue;
      const t = propertyText(p);
      if (t !== undefined) out.push(t);
    }
    if (this.knownCodes.get('parent')!.has(property)) for (const p of c.parents) out.push(p.code);
    if (this.knownCodes.get('child')!.has(property)) for (const p of c.children) out.push(p.code);
    return out;
  }

  private propertyFilter(property: string, op: string, value: string): ConceptFilter {
    switch (op) {
      case '=': {
        const indexed = this.withPropertyValue(property, value);
        if (indexed) return this.fromList(indexed);
        return this.fromPredicate((c) => this.valuesOf(c, property).some((v) => v === value));
      }
      case 'in':
      case 'not-in': {
        const wanted = new Set(value.split(',').map((s) => s.trim()));
        const has = (c: Concept) => this.valuesOf(c, property).some((v) => wanted.has(v));
        return this.fromPredicate(op === 'in' ? has : (c) => !has(c));
      }
      case 'regex': {
        const re = compileRegex(value);
        return this.fromPredicate((c) => this.valuesOf(c, property).some((v) => re.matches(v)));
      }
      case 'exists': {
        const want = value === 'true';
        return this.fromPredicate((c) => this.valuesOf(c, property).length > 0 === want);
      }
    }
    throw TerminologyError.of(txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', [property, op, value, '', this.info.url]), 400);
  }
}
