import { TerminologyError } from '../terminology/issues';
import {
  ADDITIONAL_PURPOSES,
  AdditionalPurpose,
  BINDING_PURPOSES,
  BindingPurpose,
  EXT,
  FHIR_STATUS,
  LEGAL_BASIS_KINDS,
  LIFECYCLE,
  LegalBasisKind,
  Lifecycle,
  NORMATIVE_STATUSES,
  NormativeStatus,
  SD_BASE,
} from './extensions';

/**
 * A NIM (nationell informationsmängd) as authors write it (terminology/nim/*.yaml, the NIM API),
 * and its FHIR form: a logical model (StructureDefinition, kind logical, specialising Element).
 * The two convert both ways without loss, so releases store the FHIR form vendors read and
 * diffs compare the authored form.
 */

/** FHIR datatypes a NIM attribute may have (Socialstyrelsen's ST, II, CD_CV, TS, IVL_TS, PQ and friends). */
export const DATATYPES = ['string', 'integer', 'decimal', 'boolean', 'date', 'dateTime', 'Coding', 'CodeableConcept', 'Period', 'Money', 'Quantity', 'Identifier', 'Address', 'ContactPoint'] as const;
export type Datatype = (typeof DATATYPES)[number];
export const CODED_TYPES: readonly Datatype[] = ['Coding', 'CodeableConcept'];

export const STRENGTHS = ['example', 'preferred', 'extensible', 'required'] as const;
export type Strength = (typeof STRENGTHS)[number];

export interface LegalBasis {
  kind: LegalBasisKind;
  citation: string;
  /** a code of https://kodverk.se/fhir/CodeSystem/lagrum */
  code?: { system: string; code: string; display?: string };
}

export interface EffectivePeriod {
  start?: string;
  end?: string;
}

/** One condition of a context binding: another attribute of the same NIM has this coded value. */
export interface ContextCondition {
  attribute: string;
  system: string;
  code: string;
}

/** A value set that applies in a context (R5 additional binding). */
export interface ContextBinding {
  purpose: AdditionalPurpose;
  valueSet: string;
  /** pinned to this value-set version when set; floating (the latest) otherwise */
  version?: string;
  documentation?: string;
  /** every condition must hold (and); none means always */
  when: ContextCondition[];
}

export interface NimBinding {
  strength: Strength;
  valueSet: string;
  /** pinned (url|version) when set; floating otherwise */
  version?: string;
  purpose: BindingPurpose[];
  normativeStatus?: NormativeStatus;
  effective?: EffectivePeriod;
  description?: string;
  contexts: ContextBinding[];
}

export interface DerivedFrom {
  from: string[];
  rule?: string;
}

export interface NimAttribute {
  /** element name: ASCII, starts with a lower-case letter (personId, fodelsedatum) */
  id: string;
  /** Swedish name (ElementDefinition.short and label) */
  name: string;
  definition: string;
  comment?: string;
  type: Datatype;
  min: number;
  /** a number or "*" */
  max: string;
  registerRelevant: boolean;
  registerItem?: string;
  derived?: DerivedFrom;
  legalBasis: LegalBasis[];
  binding?: NimBinding;
}

/** A NIM as authored: what it documents, why (legal basis) and with which values. */
export interface NimDefinition {
  /** slug: the canonical URL is https://kodverk.se/fhir/StructureDefinition/nim-<name> */
  name: string;
  title: string;
  description: string;
  legalBasis: LegalBasis[];
  attributes: NimAttribute[];
}

/** What the store adds to a definition: its version and lifecycle. */
export interface NimVersionMeta {
  version: string;
  lifecycle: Lifecycle;
  effective?: EffectivePeriod;
  /** FHIR StructureDefinition.date (the last change of this version), YYYY-MM-DD */
  date: string;
  publisher: string;
}

export const nimUrl = (name: string): string => `${SD_BASE}nim-${name}`;
export const nimResourceId = (name: string, version: string): string => `nim-${name}-${version}`;
const typeName = (name: string): string => 'Nim' + name.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());

function invalid(text: string, expression?: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, expression: expression ? [expression] : undefined }, 422);
}

// ---- checking an authored definition ---------------------------------------------------------

const NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ATTRIBUTE_ID = /^[a-z][A-Za-z0-9]{0,63}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

const isObject = (v: unknown): v is Record<string, any> => !!v && typeof v === 'object' && !Array.isArray(v);
function text(v: unknown, where: string, optional = false): string | undefined {
  if (v === undefined || v === null) {
    if (optional) return undefined;
    throw invalid(`${where} is required`, where);
  }
  if (typeof v !== 'string' || v.trim() === '') throw invalid(`${where} must be a non-empty string`, where);
  return v;
}
function oneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw invalid(`${where} must be one of ${allowed.join(', ')}`, where);
  return v as T;
}
function list(v: unknown, where: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw invalid(`${where} must be a list`, where);
  return v;
}
function period(v: unknown, where: string): EffectivePeriod | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw invalid(`${where} must be {start, end}`, where);
  const out: EffectivePeriod = {};
  for (const k of ['start', 'end'] as const) {
    if (v[k] === undefined) continue;
    const d = v[k] instanceof Date ? v[k].toISOString().slice(0, 10) : v[k];
    if (typeof d !== 'string' || !DATE.test(d)) throw invalid(`${where}.${k} must be a date (YYYY-MM-DD)`, `${where}.${k}`);
    out[k] = d;
  }
  if (out.start && out.end && out.end < out.start) throw invalid(`${where} ends before it starts`, where);
  return out;
}
function canonical(v: unknown, where: string): { url: string; version?: string } {
  const s = text(v, where)!;
  if (!/^https?:\/\/\S+$/.test(s)) throw invalid(`${where} must be a canonical URL`, where);
  const bar = s.indexOf('|');
  return bar < 0 ? { url: s } : { url: s.slice(0, bar), version: s.slice(bar + 1) };
}

function legalBases(v: unknown, where: string): LegalBasis[] {
  return list(v, where).map((x, i) => {
    const w = `${where}[${i}]`;
    if (!isObject(x)) throw invalid(`${w} must be {kind, citation}`, w);
    const lb: LegalBasis = { kind: oneOf(x.kind, LEGAL_BASIS_KINDS, `${w}.kind`), citation: text(x.citation, `${w}.citation`)! };
    if (x.code !== undefined) {
      if (!isObject(x.code)) throw invalid(`${w}.code must be {system, code}`, `${w}.code`);
      lb.code = { system: text(x.code.system, `${w}.code.system`)!, code: text(x.code.code, `${w}.code.code`)! };
      if (x.code.display !== undefined) lb.code.display = text(x.code.display, `${w}.code.display`);
    }
    return lb;
  });
}

function contextBinding(x: unknown, w: string, attributes: Set<string>): ContextBinding {
  if (!isObject(x)) throw invalid(`${w} must be an object`, w);
  const vs = canonical(x.valueSet, `${w}.valueSet`);
  const version = x.version === undefined ? vs.version : String(x.version);
  const out: ContextBinding = { purpose: oneOf(x.purpose ?? 'required', ADDITIONAL_PURPOSES, `${w}.purpose`), valueSet: vs.url, when: [] };
  if (version !== undefined) out.version = version;
  if (x.documentation !== undefined) out.documentation = text(x.documentation, `${w}.documentation`);
  out.when = list(x.when, `${w}.when`).map((c, j) => {
    const cw = `${w}.when[${j}]`;
    if (!isObject(c)) throw invalid(`${cw} must be {attribute, system, code}`, cw);
    const attribute = text(c.attribute, `${cw}.attribute`)!;
    if (!attributes.has(attribute)) throw invalid(`${cw}.attribute names no attribute of this NIM: ${attribute}`, cw);
    return { attribute, system: text(c.system, `${cw}.system`)!, code: text(String(c.code ?? ''), `${cw}.code`)! };
  });
  return out;
}

function binding(x: unknown, w: string, attributes: Set<string>): NimBinding {
  if (!isObject(x)) throw invalid(`${w} must be an object`, w);
  const vs = canonical(x.valueSet, `${w}.valueSet`);
  const version = x.version === undefined ? vs.version : String(x.version);
  const b: NimBinding = {
    strength: oneOf(x.strength, STRENGTHS, `${w}.strength`),
    valueSet: vs.url,
    purpose: list(x.purpose, `${w}.purpose`).map((p, i) => oneOf(p, BINDING_PURPOSES, `${w}.purpose[${i}]`)),
    contexts: list(x.contexts, `${w}.contexts`).map((c, i) => contextBinding(c, `${w}.contexts[${i}]`, attributes)),
  };
  if (version !== undefined) b.version = version;
  if (x.normativeStatus !== undefined) b.normativeStatus = oneOf(x.normativeStatus, NORMATIVE_STATUSES, `${w}.normativeStatus`);
  const eff = period(x.effective, `${w}.effective`);
  if (eff) b.effective = eff;
  if (x.description !== undefined) b.description = text(x.description, `${w}.description`);
  return b;
}

/**
 * Checks an authored definition (from YAML or a JSON body) and returns it in normal form:
 * defaults filled in, keys in one order, so equal definitions are equal JSON.
 */
export function checkDefinition(input: unknown): NimDefinition {
  if (!isObject(input)) throw invalid('A NIM definition must be an object with name, title, description and attributes');
  const name = text(input.name, 'name')!;
  if (!NAME.test(name)) throw invalid('name must be lower-case ASCII words joined by hyphens (e.g. aktualisera-arende)', 'name');
  const raw = list(input.attributes, 'attributes');
  if (raw.length === 0) throw invalid('A NIM needs at least one attribute', 'attributes');
  const ids = new Set<string>();
  for (const [i, a] of raw.entries()) {
    const id = isObject(a) ? a.id : undefined;
    if (typeof id !== 'string' || !ATTRIBUTE_ID.test(id)) throw invalid(`attributes[${i}].id must be an element name (a lower-case letter, then letters and digits)`, `attributes[${i}].id`);
    if (ids.has(id)) throw invalid(`attributes[${i}].id '${id}' is used twice`, `attributes[${i}].id`);
    ids.add(id);
  }
  const attributes = raw.map((a: any, i): NimAttribute => {
    const w = `attributes[${i}]`;
    const type = oneOf(a.type, DATATYPES, `${w}.type`);
    const min = a.min ?? 0;
    const max = String(a.max ?? '1');
    if (!Number.isInteger(min) || min < 0) throw invalid(`${w}.min must be a non-negative integer`, `${w}.min`);
    if (!/^(\*|\d+)$/.test(max) || (max !== '*' && Number(max) < Math.max(min, 1))) throw invalid(`${w}.max must be "*" or a number ≥ min and ≥ 1`, `${w}.max`);
    const out: NimAttribute = {
      id: a.id,
      name: text(a.name, `${w}.name`)!,
      definition: text(a.definition, `${w}.definition`)!,
      type,
      min,
      max,
      registerRelevant: a.registerRelevant === true,
      legalBasis: legalBases(a.legalBasis, `${w}.legalBasis`),
    };
    if (a.comment !== undefined) out.comment = text(a.comment, `${w}.comment`);
    if (a.registerItem !== undefined) out.registerItem = text(a.registerItem, `${w}.registerItem`);
    if (a.derived !== undefined) {
      if (!isObject(a.derived)) throw invalid(`${w}.derived must be {from, rule}`, `${w}.derived`);
      // {from, rule} and nothing else: an unquoted rule with a comma in a YAML flow mapping splits
      // into a cut rule and a stray key, which must not pass as a shorter rule
      const stray = Object.keys(a.derived).filter((k) => k !== 'from' && k !== 'rule');
      if (stray.length > 0) throw invalid(`${w}.derived has unknown keys (${stray.join(', ')}); it takes only from and rule (quote a rule that contains a comma)`, `${w}.derived`);
      const from = list(a.derived.from, `${w}.derived.from`).map((f, j) => text(f, `${w}.derived.from[${j}]`)!);
      if (from.length === 0) throw invalid(`${w}.derived.from must name at least one attribute`, `${w}.derived.from`);
      for (const f of from) if (!ids.has(f)) throw invalid(`${w}.derived.from names no attribute of this NIM: ${f}`, `${w}.derived.from`);
      out.derived = { from };
      if (a.derived.rule !== undefined) out.derived.rule = text(a.derived.rule, `${w}.derived.rule`);
    }
    if (a.binding !== undefined && a.binding !== null) {
      if (!CODED_TYPES.includes(type)) throw invalid(`${w} has a binding but its type ${type} is not coded (Coding or CodeableConcept)`, `${w}.binding`);
      out.binding = binding(a.binding, `${w}.binding`, ids);
    }
    return out;
  });
  return {
    name,
    title: text(input.title, 'title')!,
    description: text(input.description, 'description')!,
    legalBasis: legalBases(input.legalBasis, 'legalBasis'),
    attributes,
  };
}

// ---- to FHIR -----------------------------------------------------------------------------------

const canonicalOf = (url: string, version?: string) => (version ? `${url}|${version}` : url);

function legalBasisExtensions(list: LegalBasis[]): any[] {
  return list.map((l) => ({
    url: EXT.legalBasis,
    extension: [
      { url: 'kind', valueCode: l.kind },
      { url: 'citation', valueString: l.citation },
      ...(l.code ? [{ url: 'code', valueCoding: l.code }] : []),
    ],
  }));
}

function periodExtension(p: EffectivePeriod | undefined): any[] {
  return p && (p.start || p.end) ? [{ url: EXT.effectivePeriod, valuePeriod: { ...p } }] : [];
}

function bindingToFhir(b: NimBinding, nim: string): any {
  const extension: any[] = [
    ...b.purpose.map((p) => ({ url: EXT.bindingPurpose, valueCode: p })),
    ...(b.normativeStatus ? [{ url: EXT.normativeStatus, valueCode: b.normativeStatus }] : []),
    ...periodExtension(b.effective),
    ...b.contexts.map((c) => ({
      url: EXT.additionalBinding,
      extension: [
        { url: 'purpose', valueCode: c.purpose },
        { url: 'valueSet', valueCanonical: canonicalOf(c.valueSet, c.version) },
        ...(c.documentation ? [{ url: 'documentation', valueMarkdown: c.documentation }] : []),
        // the usage context names the attribute (code, in the NIM's own url as system) and its value
        ...c.when.map((w) => ({ url: 'usage', valueUsageContext: { code: { system: nimUrl(nim), code: w.attribute }, valueCodeableConcept: { coding: [{ system: w.system, code: w.code }] } } })),
      ],
    })),
  ];
  const out: any = {};
  if (extension.length) out.extension = extension;
  out.strength = b.strength;
  if (b.description) out.description = b.description;
  out.valueSet = canonicalOf(b.valueSet, b.version);
  return out;
}

function elementOf(root: string, a: NimAttribute, nim: string): any {
  const extension = [
    ...(a.registerRelevant ? [{ url: EXT.registerRelevant, valueBoolean: true }] : []),
    ...(a.registerItem ? [{ url: EXT.registerItem, valueString: a.registerItem }] : []),
    ...(a.derived ? [{ url: EXT.derived, extension: [...a.derived.from.map((f) => ({ url: 'from', valueString: f })), ...(a.derived.rule ? [{ url: 'rule', valueString: a.derived.rule }] : [])] }] : []),
    ...legalBasisExtensions(a.legalBasis),
  ];
  const e: any = { id: `${root}.${a.id}`, path: `${root}.${a.id}` };
  if (extension.length) e.extension = extension;
  e.short = a.name;
  e.label = a.name;
  e.definition = a.definition;
  if (a.comment) e.comment = a.comment;
  e.min = a.min;
  e.max = a.max;
  e.type = [{ code: a.type }];
  if (a.binding) e.binding = bindingToFhir(a.binding, nim);
  return e;
}

/** The FHIR logical model of one NIM version. */
export function toStructureDefinition(def: NimDefinition, meta: NimVersionMeta): any {
  const root = typeName(def.name);
  const url = nimUrl(def.name);
  const elements = [{ id: root, path: root, short: def.title, definition: def.description, min: 0, max: '*' }, ...def.attributes.map((a) => elementOf(root, a, def.name))];
  return {
    resourceType: 'StructureDefinition',
    id: nimResourceId(def.name, meta.version),
    extension: [{ url: EXT.lifecycle, valueCode: meta.lifecycle }, ...periodExtension(meta.effective), ...legalBasisExtensions(def.legalBasis)],
    url,
    version: meta.version,
    name: root,
    title: `NIM ${def.title}`,
    status: FHIR_STATUS[meta.lifecycle],
    experimental: false,
    date: meta.date,
    publisher: meta.publisher,
    description: def.description,
    language: 'sv',
    fhirVersion: '4.0.1',
    kind: 'logical',
    abstract: false,
    type: url,
    baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Element',
    derivation: 'specialization',
    // the snapshot of a specialization of Element is its own elements, each its own base
    snapshot: { element: elements.map((e) => ({ ...e, base: { path: e.path, min: e.min, max: e.max } })) },
    differential: { element: elements },
  };
}

// ---- from FHIR ---------------------------------------------------------------------------------

const extsOf = (x: any, url: string): any[] => (x?.extension ?? []).filter((e: any) => e.url === url);
const part = (ext: any, name: string): any[] => (ext.extension ?? []).filter((e: any) => e.url === name);

function legalBasisFrom(x: any): LegalBasis[] {
  return extsOf(x, EXT.legalBasis).map((e) => {
    const lb: LegalBasis = { kind: part(e, 'kind')[0]?.valueCode, citation: part(e, 'citation')[0]?.valueString };
    const code = part(e, 'code')[0]?.valueCoding;
    if (code) lb.code = code;
    return lb;
  });
}

function periodFrom(x: any): EffectivePeriod | undefined {
  return extsOf(x, EXT.effectivePeriod)[0]?.valuePeriod;
}

/** The authored definition a NIM StructureDefinition was made from (inverse of toStructureDefinition). */
export function fromStructureDefinition(sd: any): NimDefinition {
  const name = String(sd.url ?? '').slice(`${SD_BASE}nim-`.length);
  const [root, ...elements] = sd.differential?.element ?? [];
  const def = {
    name,
    title: String(sd.title ?? '').replace(/^NIM /, ''),
    description: root?.definition ?? sd.description,
    legalBasis: legalBasisFrom(sd),
    attributes: elements.map((e: any) => {
      const a: any = { id: e.path.slice(e.path.indexOf('.') + 1), name: e.short, definition: e.definition, type: e.type?.[0]?.code, min: e.min, max: e.max };
      if (e.comment) a.comment = e.comment;
      a.registerRelevant = extsOf(e, EXT.registerRelevant)[0]?.valueBoolean === true;
      const item = extsOf(e, EXT.registerItem)[0]?.valueString;
      if (item) a.registerItem = item;
      const derived = extsOf(e, EXT.derived)[0];
      if (derived) a.derived = { from: part(derived, 'from').map((f) => f.valueString), ...(part(derived, 'rule')[0] ? { rule: part(derived, 'rule')[0].valueString } : {}) };
      a.legalBasis = legalBasisFrom(e);
      if (e.binding) {
        const b = e.binding;
        a.binding = {
          strength: b.strength,
          valueSet: b.valueSet,
          purpose: extsOf(b, EXT.bindingPurpose).map((p) => p.valueCode),
          contexts: extsOf(b, EXT.additionalBinding).map((c) => ({
            purpose: part(c, 'purpose')[0]?.valueCode,
            valueSet: part(c, 'valueSet')[0]?.valueCanonical,
            ...(part(c, 'documentation')[0] ? { documentation: part(c, 'documentation')[0].valueMarkdown } : {}),
            when: part(c, 'usage').map((u) => ({ attribute: u.valueUsageContext.code.code, system: u.valueUsageContext.valueCodeableConcept.coding[0].system, code: u.valueUsageContext.valueCodeableConcept.coding[0].code })),
          })),
        };
        const ns = extsOf(b, EXT.normativeStatus)[0]?.valueCode;
        if (ns) a.binding.normativeStatus = ns;
        const eff = periodFrom(b);
        if (eff) a.binding.effective = eff;
        if (b.description) a.binding.description = b.description;
      }
      return a;
    }),
  };
  return checkDefinition(def);
}

/** The lifecycle state a NIM StructureDefinition carries. */
export function lifecycleOf(sd: any): Lifecycle {
  const v = extsOf(sd, EXT.lifecycle)[0]?.valueCode;
  return (LIFECYCLE as readonly string[]).includes(v) ? (v as Lifecycle) : 'utkast';
}

/** Every binding of a definition (primary and context), each with where it sits. */
export interface BindingRef {
  attribute: string;
  /** index among the attribute's context bindings; undefined for the primary binding */
  context?: number;
  valueSet: string;
  version?: string;
}

export function bindingsOf(def: NimDefinition): BindingRef[] {
  const out: BindingRef[] = [];
  for (const a of def.attributes) {
    if (!a.binding) continue;
    out.push({ attribute: a.id, valueSet: a.binding.valueSet, version: a.binding.version });
    a.binding.contexts.forEach((c, i) => out.push({ attribute: a.id, context: i, valueSet: c.valueSet, version: c.version }));
  }
  return out;
}
