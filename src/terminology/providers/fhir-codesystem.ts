import type { CodeSystem, CodeSystemConcept } from 'fhir/r4';
import type { Concept, LocateResult, PropertyValue } from './provider';
import { ConceptGraphProvider, propertyText, propertyValueOf, supplementAdditions } from './base';

export { propertyText, compileRegex, CONCEPT_PROPERTIES } from './base';

/**
 * A code system defined by a FHIR CodeSystem resource, held in memory (resources sent with a
 * request, and small stored code systems), with any supplements applied.
 */
export class FhirCodeSystemProvider extends ConceptGraphProvider {
  private readonly byCode = new Map<string, Concept>();
  private byLowerCode?: Map<string, Concept>;
  private readonly rootList: Concept[] = [];
  private readonly ordered: Concept[] = [];
  private readonly descendantCache = new Map<Concept, Concept[]>();
  private readonly descendantSets = new Map<Concept, Set<Concept>>();

  constructor(resource: CodeSystem, supplements: CodeSystem[] = []) {
    super(resource, supplements);
    this.build(resource.concept ?? [], undefined);
    this.linkPropertyHierarchy();
    for (const [code, add] of supplementAdditions(supplements)) {
      const c = this.locate(code).concept;
      if (!c) continue;
      c.designations.push(...add.designations);
      c.properties.push(...add.properties);
      c.extensions.push(...add.extensions);
    }
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
          extensions: [...(c.extension ?? [])],
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
        if (parentCodes.has(p.code)) linked = this.link(target, c) || linked;
        else if (childCodes.has(p.code)) linked = this.link(c, target) || linked;
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

  roots(): Concept[] {
    return this.rootList;
  }

  all(): Iterable<Concept> {
    return this.ordered;
  }

  totalCount(): number {
    return this.ordered.length;
  }

  private descendantSet(c: Concept): Set<Concept> {
    let set = this.descendantSets.get(c);
    if (!set) {
      set = new Set();
      const stack = [...c.children];
      while (stack.length) {
        const x = stack.pop()!;
        if (set.has(x) || x === c) continue;
        set.add(x);
        stack.push(...x.children);
      }
      this.descendantSets.set(c, set);
    }
    return set;
  }

  descendants(c: Concept): Concept[] {
    let list = this.descendantCache.get(c);
    if (!list) {
      const set = this.descendantSet(c);
      list = this.ordered.filter((x) => set.has(x));
      this.descendantCache.set(c, list);
    }
    return list;
  }

  isDescendant(ancestor: Concept, descendant: Concept): boolean {
    return this.descendantSet(ancestor).has(descendant);
  }
}
