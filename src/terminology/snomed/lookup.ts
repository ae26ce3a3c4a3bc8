import type { ParametersParameter } from 'fhir/r4';
import type { Concept } from '../providers/provider';
import type { TxParameters } from '../params';
import type { SnomedStore } from '../../store/snomed-store';
import { DISPLAY_USE, DesignationSet } from '../designations';
import { SctExpression, isSimple, renderExpression } from './expression';
import type { SnomedConcepts } from './concepts';

const CP = 'http://hl7.org/fhir/concept-properties#';
const SCT_P = 'http://snomed.info/sct#';

/** Properties reported without being asked for (the others only when `property` names them). */
const DEFAULT_PROPERTIES = new Set(['inactive', 'parent', 'child', 'module', 'effectiveTime', 'attributes']);

function part(name: string, value: Omit<ParametersParameter, 'name'>): ParametersParameter {
  return { name, ...value } as ParametersParameter;
}

/** A `property` parameter with its parts in the order clients expect (code, code-display, description, value). */
function property(code: string, value: Omit<ParametersParameter, 'name'>, description?: string, codeDisplay?: string): ParametersParameter {
  const parts = [part('code', { valueCode: code })];
  if (codeDisplay) parts.push(part('code-display', { valueString: codeDisplay }));
  if (description) parts.push(part('description', { valueString: description }));
  parts.push(part('value', value));
  return { name: 'property', part: parts };
}

/** A concrete value (#12, #1.5, "text") as a typed FHIR value. */
function concreteValue(text: string): Omit<ParametersParameter, 'name'> {
  if (text.startsWith('#')) {
    const n = Number(text.slice(1));
    return Number.isInteger(n) ? { valueInteger: n } : { valueDecimal: n };
  }
  if (text.startsWith('"')) return { valueString: text.slice(1, -1) };
  return { valueBoolean: text === 'true' };
}

/**
 * $lookup for Snomed CT: every description as a designation with its Snomed use (FSN, synonym,
 * definition) in the importer's order (preferred term first); properties inactive, parent and
 * child (with their displays), module, effectiveTime and one per attribute relationship (code =
 * attribute id, with the attribute's name as code-display); on request also sufficientlyDefined,
 * moduleId, normalForm and normalFormTerse. A `property` list names everything reported beyond
 * name, system, version, code and display: abstract and the designations too (as for any code
 * system), so `property=parent` gives the parents alone. An expression is looked up as its focus
 * concept plus its refinements, shown with terms.
 */
export class SnomedLookup {
  constructor(
    private readonly store: SnomedStore,
    private readonly concepts: SnomedConcepts,
    private readonly system: { url: string; version?: string },
  ) {}

  private displayOf(pk: number | string): string | undefined {
    // a number is a row: its display without building the concept
    return typeof pk === 'number' ? this.store.displayOf(pk) : this.concepts.byCode(pk)?.display;
  }

  build(c: Concept, params: TxParameters): ParametersParameter[] {
    const wanted = params.properties;
    const asked = (code: string, uri?: string) => wanted.includes('*') || wanted.includes(code) || (!!uri && wanted.includes(uri));
    const wants = (code: string, uri?: string) => (wanted.length === 0 ? DEFAULT_PROPERTIES.has(code) : asked(code, uri));
    // abstract and the designations are properties too: reported unless a `property` list leaves them out
    const wantsStandard = (code: string, uri?: string) => wanted.length === 0 || asked(code, uri);
    const { url, version } = this.system;
    const out: ParametersParameter[] = [
      { name: 'name', valueString: version ? `${url}|${version}` : url },
      { name: 'system', valueUri: url },
    ];
    if (version) out.push({ name: 'version', valueString: version });
    out.push({ name: 'code', valueCode: c.code });
    const display = new DesignationSet().addConcept(c, undefined).preferred(params.workingLanguages())?.value ?? c.display;
    if (display !== undefined) out.push({ name: 'display', valueString: display });
    if (wantsStandard('abstract', CP + 'notSelectable')) out.push({ name: 'abstract', valueBoolean: false });

    const expression = this.concepts.expressionOf(c);
    const designations = wantsStandard('designation');
    if (expression && designations) {
      out.push({ name: 'designation', part: [part('language', { valueCode: 'en-US' }), part('use', { valueCoding: DISPLAY_USE }), part('value', { valueString: c.display ?? c.code })] });
    }
    for (const d of designations ? c.designations : []) {
      const parts: ParametersParameter[] = [];
      if (d.language) parts.push(part('language', { valueCode: d.language }));
      if (d.use) parts.push(part('use', { valueCoding: d.use }));
      parts.push(part('value', { valueString: d.value }));
      out.push({ name: 'designation', part: parts });
    }

    // the concept whose properties are reported: the concept, or an expression's single focus
    const focus = expression ? (expression.focus.length === 1 ? this.concepts.byCode(expression.focus[0].id) : undefined) : c;
    if (focus) out.push(...this.conceptProperties(focus, wants));
    if (expression) out.push(...this.refinementProperties(expression, wants));
    return out;
  }

  private conceptProperties(c: Concept, wants: (code: string, uri?: string) => boolean): ParametersParameter[] {
    const out: ParametersParameter[] = [];
    const d = this.concepts.detailsOf(c);
    if (!d) return out;
    if (wants('inactive', CP + 'inactive')) out.push(property('inactive', { valueBoolean: d.inactive }));
    // codes and displays straight from the rows: a hub's hundreds of children are not built as concepts
    if (wants('parent', CP + 'parent')) for (const p of this.store.linked(d.pk, 'parents')) out.push(property('parent', { valueCode: p.code }, p.display ?? undefined));
    if (wants('child', CP + 'child')) for (const ch of this.store.linked(d.pk, 'children')) out.push(property('child', { valueCode: ch.code }, ch.display ?? undefined));
    if (d.effectiveTime && wants('effectiveTime', SCT_P + 'effectiveTime')) out.push(property('effectiveTime', { valueDateTime: d.effectiveTime }));
    if (d.module) {
      if (wants('module')) out.push(property('module', { valueCode: d.module }, this.displayOf(d.module)));
      if (wants('moduleId', SCT_P + 'moduleId')) out.push(property('moduleId', { valueCode: d.module }, this.displayOf(d.module)));
    }
    if (wants('sufficientlyDefined', SCT_P + 'sufficientlyDefined')) out.push(property('sufficientlyDefined', { valueBoolean: d.defined }));
    // codes and displays of the types and destinations in the same query
    const seen = new Set<string>();
    for (const r of this.store.relationshipTerms(d.pk)) {
      const type = r.type_code;
      if (!wants('attributes') && !wants(type)) continue;
      const value = r.dest_pk === null ? r.value! : r.dest_code!;
      if (seen.has(`${type}:${value}`)) continue;
      seen.add(`${type}:${value}`);
      out.push(
        r.dest_pk === null
          ? property(type, concreteValue(r.value!), undefined, r.type_display ?? undefined)
          : property(type, { valueCode: value }, r.dest_display ?? undefined, r.type_display ?? undefined),
      );
    }
    if (wants('normalForm', SCT_P + 'normalForm') || wants('normalFormTerse', SCT_P + 'normalFormTerse')) {
      const nf = this.normalForm(c);
      if (wants('normalForm', SCT_P + 'normalForm')) out.push(property('normalForm', { valueString: renderExpression(nf, (x) => this.displayOf(x.id)) }));
      if (wants('normalFormTerse', SCT_P + 'normalFormTerse')) out.push(property('normalFormTerse', { valueString: renderExpression(nf) }));
    }
    return out;
  }

  /** An expression's own refinements, each as a property named by its attribute. */
  private refinementProperties(e: SctExpression, wants: (code: string) => boolean): ParametersParameter[] {
    const out: ParametersParameter[] = [];
    for (const a of [...e.attributes, ...e.groups.flat()]) {
      if (!wants('attributes') && !wants(a.name.id)) continue;
      const name = this.displayOf(a.name.id);
      if (a.value.kind === 'concrete') {
        out.push(property(a.name.id, concreteValue(a.value.text), undefined, name));
        continue;
      }
      const v = a.value.expression;
      const code = renderExpression(v);
      const description = isSimple(v) ? this.displayOf(v.focus[0].id) : renderExpression(v, (x) => x.term ?? this.displayOf(x.id));
      out.push(property(a.name.id, { valueCode: code }, description, name));
    }
    return out;
  }

  /**
   * The necessary normal form: a primitive concept is its own focus; a sufficiently defined one is
   * written on its proximal primitive supertypes; the attributes are its inferred relationships.
   */
  private normalForm(c: Concept): SctExpression {
    const d = this.concepts.detailsOf(c)!;
    let focus = [d.pk];
    if (d.defined) {
      const ancestors = this.store.ancestorPks(d.pk);
      const primitives = new Set(ancestors.filter((a) => this.concepts.detailsOf(this.concepts.fromPks([a])[0])?.defined === false));
      focus = [...primitives].filter((p) => ![...primitives].some((q) => q !== p && this.store.isDescendant(p, q)));
      if (focus.length === 0) focus = [d.pk];
    }
    const relationships = this.store.relationshipsOf(d.pk);
    const codes = this.store.codesOf([...focus, ...relationships.flatMap((r) => (r.dest_pk === null ? [r.type_pk] : [r.type_pk, r.dest_pk]))]);
    const concept = (pk: number) => ({ id: codes.get(pk)!, position: 0 });
    const attribute = (r: (typeof relationships)[number]) => ({
      name: concept(r.type_pk),
      value: r.dest_pk === null ? { kind: 'concrete' as const, text: r.value! } : { kind: 'expression' as const, expression: { focus: [concept(r.dest_pk)], attributes: [], groups: [] } },
    });
    const groups = new Map<number, ReturnType<typeof attribute>[]>();
    for (const r of relationships.filter((x) => x.grp > 0)) groups.set(r.grp, [...(groups.get(r.grp) ?? []), attribute(r)]);
    return {
      focus: focus.sort((a, b) => a - b).map(concept),
      attributes: relationships.filter((r) => r.grp === 0).map(attribute),
      groups: [...groups.keys()].sort((a, b) => a - b).map((g) => groups.get(g)!),
    };
  }
}
