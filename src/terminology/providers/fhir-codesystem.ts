import type { CodeSystem, CodeSystemConcept, Extension } from 'fhir/r4';
import { RE2JS } from 're2js';
import type { CodeSystemInfo, CodeSystemProvider, Concept, ConceptFilter, ConceptStatus, Designation, LocateResult, PropertyValue } from './provider';
import { TerminologyError, txIssue } from '../issues';
import { canonicalOf } from '../versions';

export const CONCEPT_PROPERTIES = 'http://hl7.org/fhir/concept-properties';
const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';
// 'deprecated' discourages use but the concept stays active (it is reported, not excluded)
const INACTIVE_STATUSES = new Set(['retired', 'inactive', 'withdrawn']);

/** Properties with a meaning defined by FHIR, recognised by code or by concept-properties URI. */
export type WellKnownProperty = 'status' | 'inactive' | 'notSelectable' | 'parent' | 'child' | 'deprecated';
const WELL_KNOWN: WellKnownProperty[] = ['status', 'inactive', 'notSelectable', 'parent', 'child', 'deprecated'];

function standardsStatusOf(extensions: Extension[] | undefined): string | undefined {
  return extensions?.find((e) => e.url === STANDARDS_STATUS)?.valueCode;
}

function propertyValueOf(p: any): PropertyValue | undefined {
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
 * A code system defined by a FHIR CodeSystem resource, held in memory, with any supplements
 * applied (their designations and properties join the base concepts).
 */
export class FhirCodeSystemProvider implements CodeSystemProvider {
  readonly info: CodeSystemInfo;
  private readonly byCode = new Map<string, Concept>();
  private byLowerCode?: Map<string, Concept>;
  private readonly rootList: Concept[] = [];
  private readonly ordered: Concept[] = [];
  /** property code in this code system for each well-known meaning */
  private readonly knownCodes = new Map<WellKnownProperty, Set<string>>();
  private descendantCache = new Map<Concept, Set<Concept>>();

  constructor(readonly resource: CodeSystem, supplements: CodeSystem[] = []) {
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
      for (const k of WELL_KNOWN) {
        if (def.uri === `${CONCEPT_PROPERTIES}#${k}`) this.knownCodes.get(k)!.add(code);
      }
    }
    for (const k of WELL_KNOWN) {
      // an undeclared property with the well-known code still means it (common in the wild)
      if (!propertyDefinitions.has(k)) this.knownCodes.get(k)!.add(k);
    }
    this.knownCodes.get('notSelectable')!.add('not-selectable');
    this.build(resource.concept ?? [], undefined);
    this.linkPropertyHierarchy();
    for (const s of supplements) this.applySupplement(s);
  }

  private build(list: CodeSystemConcept[], parent: Concept | undefined): void {
    for (const c of list) {
      let concept = this.byCode.get(c.code);
      if (!concept) {
        concept = {
          code: c.code,
          display: c.display,
          definition: c.definition,
          designations: (c.designation ?? []).map((d) => ({ language: d.language, use: d.use, value: d.value, extension: (d as any).extension, origin: 'codesystem' as const })),
          properties: (c.property ?? []).map(propertyValueOf).filter((p): p is PropertyValue => !!p),
          extensions: c.extension ?? [],
          parents: [],
          children: [],
        };
        this.byCode.set(c.code, concept);
        this.ordered.push(concept);
      }
      if (parent) {
        if (!concept.parents.includes(parent)) concept.parents.push(parent);
        if (!parent.children.includes(concept)) parent.children.push(concept);
      } else if (!this.rootList.includes(concept)) {
        this.rootList.push(concept);
      }
      if (c.concept) this.build(c.concept, concept);
    }
  }

  /** R4 code systems may state the hierarchy with parent/child properties instead of nesting. */
  private linkPropertyHierarchy(): void {
    const parentCodes = this.knownCodes.get('parent')!;
    const childCodes = this.knownCodes.get('child')!;
    let linked = false;
    for (const c of this.ordered) {
      for (const p of c.properties) {
        const target = this.byCode.get(propertyText(p) ?? '');
        if (!target || target === c) continue;
        if (parentCodes.has(p.code)) {
          linked = this.link(target, c) || linked;
        } else if (childCodes.has(p.code)) {
          linked = this.link(c, target) || linked;
        }
      }
    }
    if (linked) {
      this.rootList.length = 0;
      for (const c of this.ordered) if (c.parents.length === 0) this.rootList.push(c);
    }
  }

  private link(parent: Concept, child: Concept): boolean {
    if (child.parents.includes(parent)) return false;
    child.parents.push(parent);
    parent.children.push(child);
    return true;
  }

  private applySupplement(s: CodeSystem): void {
    const source = canonicalOf(s.url ?? '', s.version);
    const walk = (list: CodeSystemConcept[]) => {
      for (const sc of list) {
        const c = this.locate(sc.code).concept;
        if (c) {
          if (sc.display) {
            c.designations.push({ language: s.language, value: sc.display, origin: 'supplement', source, isDisplay: true });
          }
          for (const d of sc.designation ?? []) {
            c.designations.push({ language: d.language ?? s.language, use: d.use, value: d.value, extension: (d as any).extension, origin: 'supplement', source });
          }
          for (const p of sc.property ?? []) {
            const pv = propertyValueOf(p);
            if (pv) c.properties.push(pv);
          }
          for (const e of sc.extension ?? []) c.extensions.push(e);
        }
        if (sc.concept) walk(sc.concept);
      }
    };
    walk(s.concept ?? []);
  }

  /** Property codes this code system uses for a well-known meaning. */
  propertyCodesFor(meaning: WellKnownProperty): Set<string> {
    return this.knownCodes.get(meaning)!;
  }

  locate(code: string): LocateResult {
    const exact = this.byCode.get(code);
    if (exact) return { concept: exact };
    if (!this.info.caseSensitive) {
      if (!this.byLowerCode) {
        this.byLowerCode = new Map();
        for (const c of this.ordered) if (!this.byLowerCode.has(c.code.toLowerCase())) this.byLowerCode.set(c.code.toLowerCase(), c);
      }
      const ci = this.byLowerCode.get(code.toLowerCase());
      if (ci) return { concept: ci };
    }
    return {};
  }

  status(concept: Concept): ConceptStatus {
    let status: string | undefined;
    let inactive = false;
    let abstract = false;
    const statusCodes = this.knownCodes.get('status')!;
    const inactiveCodes = this.knownCodes.get('inactive')!;
    const notSelectableCodes = this.knownCodes.get('notSelectable')!;
    for (const p of concept.properties) {
      if (statusCodes.has(p.code)) {
        status = propertyText(p);
      } else if (inactiveCodes.has(p.code)) {
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

  roots(): Concept[] {
    return this.rootList;
  }

  all(): Iterable<Concept> {
    return this.ordered;
  }

  totalCount(): number {
    return this.ordered.length;
  }

  /** Every descendant (not itself), cached per concept. */
  descendants(c: Concept): Set<Concept> {
    let set = this.descendantCache.get(c);
    if (!set) {
      set = new Set();
      const stack = [...c.children];
      while (stack.length) {
        const x = stack.pop()!;
        if (set.has(x) || x === c) continue;
        set.add(x);
        stack.push(...x.children);
      }
      this.descendantCache.set(c, set);
    }
    return set;
  }

  subsumes(ancestor: Concept, descendant: Concept): boolean {
    return ancestor === descendant || this.descendants(ancestor).has(descendant);
  }

  supportsFilter(property: string, op: string): boolean {
    if (property === 'concept' || property === 'code') {
      return ['=', 'is-a', 'descendent-of', 'is-not-a', 'regex', 'in', 'not-in', 'generalizes', 'child-of', 'descendent-leaf', 'exists'].includes(op);
    }
    if (property === 'display') return ['=', 'regex', 'in', 'not-in', 'exists'].includes(op);
    if (this.isKnownProperty(property)) return ['=', 'regex', 'in', 'not-in', 'exists'].includes(op);
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

  private fromPredicate(pred: (c: Concept) => boolean, estimate = this.ordered.length): ConceptFilter {
    const ordered = this.ordered;
    return {
      estimate,
      includes: pred,
      *concepts() {
        for (const c of ordered) if (pred(c)) yield c;
      },
    };
  }

  private fromSet(set: Set<Concept>): ConceptFilter {
    const ordered = this.ordered;
    return {
      estimate: set.size,
      includes: (c) => set.has(c),
      *concepts() {
        for (const c of ordered) if (set.has(c)) yield c;
      },
    };
  }

  private conceptFilter(op: string, value: string): ConceptFilter {
    const target = () => this.locate(value).concept;
    switch (op) {
      case '=': {
        const t = target();
        return this.fromSet(new Set(t ? [t] : []));
      }
      case 'is-a': {
        const t = target();
        return this.fromSet(t ? new Set([t, ...this.descendants(t)]) : new Set());
      }
      case 'descendent-of': {
        const t = target();
        return this.fromSet(t ? new Set(this.descendants(t)) : new Set());
      }
      case 'is-not-a': {
        const t = target();
        const excluded = t ? new Set([t, ...this.descendants(t)]) : new Set<Concept>();
        return this.fromPredicate((c) => !excluded.has(c));
      }
      case 'generalizes': {
        const t = target();
        const set = new Set<Concept>();
        if (t) for (const c of this.ordered) if (this.subsumes(c, t)) set.add(c);
        return this.fromSet(set);
      }
      case 'child-of': {
        const t = target();
        return this.fromSet(new Set(t ? t.children : []));
      }
      case 'descendent-leaf': {
        const t = target();
        return this.fromSet(new Set(t ? [...this.descendants(t)].filter((c) => c.children.length === 0) : []));
      }
      case 'in':
      case 'not-in': {
        const codes = new Set(
          value
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean)
            .map((s) => this.locate(s).concept)
            .filter((c): c is Concept => !!c),
        );
        return op === 'in' ? this.fromSet(codes) : this.fromPredicate((c) => !codes.has(c));
      }
      case 'regex': {
        const re = compileRegex(value);
        return this.fromPredicate((c) => re.matches(c.code));
      }
      case 'exists': {
        const want = value === 'true';
        return this.fromPredicate((c) => (this.locate(c.code).concept !== undefined) === want);
      }
    }
    throw TerminologyError.of(txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', ['concept', op, value, '', this.info.url]), 400);
  }

  /** All values of a property on a concept, as text (display and definition count as properties). */
  private valuesOf(c: Concept, property: string): string[] {
    if (property === 'display') return c.display !== undefined ? [c.display] : [];
    if (property === 'definition') return c.definition !== undefined ? [c.definition] : [];
    const codes = new Set([property]);
    for (const k of WELL_KNOWN) if (this.knownCodes.get(k)!.has(property)) for (const x of this.knownCodes.get(k)!) codes.add(x);
    const out: string[] = [];
    for (const p of c.properties) if (codes.has(p.code)) {
      const t = propertyText(p);
      if (t !== undefined) out.push(t);
    }
    if (this.knownCodes.get('parent')!.has(property)) for (const p of c.parents) out.push(p.code);
    if (this.knownCodes.get('child')!.has(property)) for (const p of c.children) out.push(p.code);
    return out;
  }

  private propertyFilter(property: string, op: string, value: string): ConceptFilter {
    switch (op) {
      case '=':
        return this.fromPredicate((c) => this.valuesOf(c, property).some((v) => v === value));
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

  /** The concept's designations, with its display first as a designation in the code system language. */
  static displayDesignation(info: CodeSystemInfo, c: Concept): Designation | undefined {
    return c.display !== undefined ? { language: info.language, value: c.display, origin: 'codesystem' } : undefined;
  }
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
