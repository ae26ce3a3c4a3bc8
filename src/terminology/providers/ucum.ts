import type { CodeSystem, ParametersParameter } from 'fhir/r4';
import * as ucum from '@lhncbc/ucum-lhc';
import type { Concept, ConceptFilter, Designation, EnumerationBasis, LocateResult } from './provider';
import type { TxParameters } from '../params';
import { registerProviderKind } from './registry';
import { GrammarProvider, SYNONYM_USE, builtInConcept, builtInResource, fhirCoreValueSet, listFilter, servesResource, term } from './builtin';
import { lookupConcept } from './concept-lookup';
import { formalStructure } from './ucum-formal';

/**
 * UCUM, the Unified Code for Units of Measure (http://unitsofmeasure.org). Every valid UCUM
 * expression is a code: prefixes, exponents, products and quotients, annotations. Validity,
 * unit names and canonical (base-unit) forms come from the NLM's @lhncbc/ucum-lhc; nothing here
 * parses UCUM. The code is its own display (units are written, not translated); English
 * designations give the expression's formal structure (read off ucum-lhc's parse) and, for common
 * units, FHIR's name of it.
 *
 * Enumeration: the system has no end, so an expansion of all of it lists FHIR's common units
 * (ValueSet ucum-common) and is marked incomplete; `canonical = <unit>` selects the common units
 * of the same dimension and scale (all masses for `g`) and tests any expression.
 */
export const UCUM_URL = 'http://unitsofmeasure.org';
/** The UCUM release ucum-lhc's unit definitions follow. */
const UCUM_VERSION = '2.2';
const COMMON_UNITS = 'http://hl7.org/fhir/ValueSet/ucum-common';

const utils = ucum.UcumLhcUtils.getInstance();

/**
 * ucum-lhc prints a line to the console for some expressions it cannot read, the client's text in
 * it: the server's log holds JSON lines and nothing a client sent, so its calls run with
 * console.log silenced (they are synchronous: nothing else can log meanwhile).
 */
function quietly<T>(call: () => T): T {
  const log = console.log;
  console.log = () => undefined;
  try {
    return call();
  } finally {
    console.log = log;
  }
}

const RESOURCE = builtInResource(
  { url: UCUM_URL, oid: '2.16.840.1.113883.6.8', name: 'UCUM', title: 'Unified Code for Units of Measure (UCUM)', publisher: 'Regenstrief Institute, Inc.', description: 'Enhetskoder för mätvärden (Unified Code for Units of Measure): alla giltiga UCUM-uttryck.' },
  {
    version: UCUM_VERSION,
    content: 'not-present',
    property: [{ code: 'canonical', description: 'The canonical (base unit) form of the unit', type: 'string' }],
    filter: [{ code: 'canonical', operator: ['='], value: 'a UCUM unit: units of the same canonical form' }],
  },
);

/** An annotation holds any printable ASCII but braces; UCUM gives it no meaning (it is the unity 1). */
const ANNOTATION = /\{([^{}]*)\}/g;
const PRINTABLE = /^[\x20-\x7e]*$/;

/**
 * ucum-lhc checks annotations more strictly than the reference implementation used across FHIR
 * (no spaces): as annotations carry no meaning, each is handed to ucum-lhc as a neutral `{a}`
 * once its characters are checked here.
 */
function forValidation(code: string): { text: string } | { problem: string } {
  let problem: string | undefined;
  const text = code.replace(ANNOTATION, (_m, inner: string) => {
    if (!PRINTABLE.test(inner)) problem ??= `the annotation {${inner}} holds characters outside printable ASCII`;
    return '{a}';
  });
  return problem ? { problem } : { text };
}

interface Suggestion {
  invalidUnit?: string;
  units?: [string, string, unknown][];
}

/** "X is not a valid UCUM code." from ucum-lhc, said as where in the expression the unknown unit is. */
function reasonOf(code: string, messages: string[], suggestions: Suggestion[]): string {
  const unknownAt = (unit: string) => {
    const at = code.indexOf(unit);
    return `The unit '${unit}' is unknown${at >= 0 ? ` at character ${at + 1}` : ''}`;
  };
  const out: string[] = [];
  for (const m of messages) {
    const unknown = /^(.+?) is not a valid UCUM code\.\s*(.*)$/.exec(m);
    if (unknown && !/terminated with/.test(unknown[2])) {
      const alternative = /Did you mean (.*)\?/.exec(unknown[2]);
      out.push(unknownAt(unknown[1]) + (alternative ? ` (did you mean ${alternative[1]}?)` : ''));
    } else if (m.trim()) out.push(m.replace(/->|<-/g, "'").replace(/\s+/g, ' ').trim());
  }
  for (const s of suggestions) {
    if (!s.invalidUnit) continue;
    const first = s.units?.[0];
    out.push(unknownAt(s.invalidUnit) + (first ? ` (did you mean ${first[0]}, ${first[1]}?)` : ''));
  }
  return out.join('; ') || 'not a valid UCUM expression';
}

/** A valid expression as ucum-lhc reads it. */
interface Unit {
  /** the formal structure of the expression, e.g. "(milligram) / (deciliter)" */
  structure?: string;
  /** base units and their exponents, e.g. g.m-3; '1' for a dimensionless unit */
  canonical?: string;
}

function readUnit(code: string): Unit | { problem: string } {
  if (code.trim() !== code || code === '') return { problem: 'a UCUM expression has no leading or trailing spaces' };
  const prepared = forValidation(code);
  if ('problem' in prepared) return prepared;
  const r = quietly(() => utils.validateUnitString(prepared.text, true, 'validate'));
  if (r.status !== 'valid') return { problem: reasonOf(code, r.msg ?? [], (r.suggestions ?? []) as Suggestion[]) };
  return { structure: formalStructure(prepared.text), canonical: canonicalOf(prepared.text) };
}

/**
 * The canonical form: the base units and their exponents ('1' when dimensionless), in the order of
 * UCUM's reference tooling: by code, alphabetically without regard to case (g.K-1.m2.s-2 for J/K).
 */
function canonicalOf(code: string): string | undefined {
  const r = quietly(() => utils.convertToBaseUnits(code, 1));
  if (r.status !== 'succeeded' || !r.unitToExp) return undefined;
  const parts = Object.entries(r.unitToExp as Record<string, number>)
    .filter(([, e]) => e !== 0)
    .sort(([a], [b]) => a.localeCompare(b, 'en'))
    .map(([u, e]) => (e === 1 ? u : `${u}${e}`));
  return parts.length ? parts.join('.') : '1';
}

/** A unit's magnitude in base units, and whether it is a special unit (one with an offset or a function, as Cel). */
function baseForm(code: string): { magnitude: number; special: boolean } | undefined {
  const r = quietly(() => utils.convertToBaseUnits(code, 1));
  if (r.status !== 'succeeded' || typeof r.magnitude !== 'number') return undefined;
  return { magnitude: r.magnitude, special: !!r.fromUnitIsSpecial };
}

const commonUnits = (() => {
  let list: { code: string; display?: string }[] | undefined;
  return () => (list ??= (fhirCoreValueSet(COMMON_UNITS)?.compose?.include ?? []).filter((i) => i.system === UCUM_URL).flatMap((i) => i.concept ?? []).map((c) => ({ code: c.code, display: c.display?.trim() })));
})();

export class UcumProvider extends GrammarProvider {
  readonly enumerationBasis: EnumerationBasis;
  private readonly canonicals = new WeakMap<Concept, string | undefined>();
  private commonDisplays?: Map<string, string>;

  constructor(resource: CodeSystem, supplements: CodeSystem[] = []) {
    super(resource, supplements);
    const vs = fhirCoreValueSet(COMMON_UNITS);
    this.enumerationBasis = { url: COMMON_UNITS, version: vs?.version, status: vs?.status, experimental: vs?.experimental, extension: vs?.extension };
  }

  protected parse(code: string): LocateResult {
    const unit = readUnit(code);
    if ('problem' in unit) return { detail: `Error processing unit '${code}': ${unit.problem}` };
    this.commonDisplays ??= new Map(commonUnits().filter((c) => c.display).map((c) => [c.code, c.display!]));
    // the code is the display; then its formal structure (a description, not a display), and
    // FHIR's name of it when it is one of the common units
    const designations: Designation[] = [];
    if (unit.structure && unit.structure !== code) designations.push({ language: 'en', value: unit.structure, origin: 'codesystem' });
    const common = this.commonDisplays.get(code);
    if (common && common !== code) designations.push(term('en', common, SYNONYM_USE));
    const c = builtInConcept(code, code, designations);
    this.canonicals.set(c, unit.canonical);
    return { concept: c };
  }

  protected basisCodes(): string[] {
    return commonUnits().map((c) => c.code);
  }

  /** The canonical form of a concept of this system. */
  canonical(c: Concept): string | undefined {
    if (!this.canonicals.has(c)) this.canonicals.set(c, canonicalOf(forValidationText(c.code)));
    return this.canonicals.get(c);
  }

  /**
   * UCUM has no hierarchy: two units subsume each other (are equivalent) when they are the same
   * quantity, the same canonical form with the same magnitude (1/min and min-1, N and kg.m/s2; an
   * annotation is no part of the quantity, so mg{total} is mg); a scaled unit (cm, mg/dL against
   * g/L, % against 1) or a special unit with an offset (Cel against K) is another quantity.
   */
  override subsumes(a: Concept, b: Concept): boolean {
    if (a.code === b.code) return true;
    const x = baseForm(forValidationText(a.code));
    const y = baseForm(forValidationText(b.code));
    if (!x || !y || x.special || y.special || this.canonical(a) !== this.canonical(b)) return false;
    return Math.abs(x.magnitude - y.magnitude) <= 1e-12 * Math.max(Math.abs(x.magnitude), Math.abs(y.magnitude));
  }

  supportsFilter(property: string, op: string): boolean {
    return property === 'canonical' && op === '=';
  }

  protected systemFilter(_property: string, _op: string, value: string): ConceptFilter | undefined {
    // the value is itself a unit: `canonical = g` and `canonical = kg` both mean "a mass"
    const wanted = canonicalOf(forValidationText(value)) ?? value;
    return listFilter(
      () => this.basis(),
      (c) => this.canonical(c) === wanted,
      (c) => `Code ${c.code} has canonical form ${this.canonical(c) ?? 'unknown'}, not ${value} as required`,
    );
  }

  /** The generic $lookup, with the canonical form when the `canonical` property is asked for. */
  lookup(concept: Concept, params: TxParameters): ParametersParameter[] {
    const out = lookupConcept(this, concept, params);
    const canonical = this.canonical(concept);
    if (canonical && (params.properties.includes('canonical') || params.properties.includes('*'))) {
      out.push({ name: 'property', part: [{ name: 'code', valueCode: 'canonical' }, { name: 'value', valueString: canonical }] });
    }
    return out;
  }
}

function forValidationText(code: string): string {
  const p = forValidation(code);
  return 'text' in p ? p.text : code;
}

registerProviderKind({
  name: 'ucum',
  matches: (cs) => servesResource(UCUM_URL, cs),
  // a stub of the url (stored or sent) is served by the provider, as the provider describes itself
  inMemory: (_cs, supplements) => new UcumProvider(RESOURCE, supplements),
  builtIn: () => RESOURCE,
});
