import type { CodeSystem } from 'fhir/r4';
import type { CodeSystemProvider, Concept, LocateResult, PropertyValue } from './provider';
import { StoredCodeSystemProvider } from './stored-codesystem';
import { FhirCodeSystemProvider } from './fhir-codesystem';
import { registerProviderKind } from './registry';

/** Canonical URL of Socialstyrelsen's Swedish ICF (every version). */
export const ICF_URL = 'https://kodverk.se/fhir/CodeSystem/icf';

/**
 * ICF qualifiers (bedömningsfaktorer). A recorded ICF code is a category followed by one or more
 * qualifier digits: `d4500.23`, `e310+3`, `s7501.273`. Which positions and digits are allowed
 * depends on the component (b, s, d, e). Source of the rules and of the Swedish meanings: the
 * column "Bedömningsfaktor" of Socialstyrelsen's flat ICF export (icf.tsv, rows b, s, d and e),
 * which follows WHO's ICF (Annex 2, "Coding guidelines"). One difference is deliberate: icf.tsv
 * also lists `xxx+9 ej tillämpbart (underlättande)`, but WHO's ICF defines "not applicable" only
 * as `.9`; we follow WHO (and the project brief) and refuse `+9` (see FACILITATOR below).
 */

/** One qualifier position: the property it becomes, its Swedish name and its scale. */
export interface Bedomningsfaktor {
  /** property code on a qualified concept (also declared by the ICF importer) */
  property: string;
  /** Swedish name of the position, as in the Bedömningsfaktor text */
  namn: string;
  /** allowed digits and their Swedish meaning */
  skala: Readonly<Record<string, string>>;
}

/** The generic 0–4 scale with 8 (not specified) and 9 (not applicable), worded per component. */
function genericScale(words: [string, string, string, string, string], notSpecified: string, notApplicable = 'ej tillämpbart'): Record<string, string> {
  return { '0': words[0], '1': words[1], '2': words[2], '3': words[3], '4': words[4], '8': notSpecified, '9': notApplicable };
}

const FUNKTIONSNEDSATTNING = genericScale(['inget problem', 'lätt problem', 'måttligt problem', 'svårt problem', 'totalt problem'], 'ej specificerat problem');
const SVARIGHET = genericScale(['ingen svårighet', 'lätt svårighet', 'måttlig svårighet', 'stor svårighet', 'total svårighet'], 'ej specificerad svårighet');
const HINDER = genericScale(['inget hinder', 'lätt hinder', 'måttligt hinder', 'svårt hinder', 'totalt hinder'], 'ej specificerat hinder', 'ej tillämpbart (hinder)');
const { '9': _notApplicable, ...FACILITATOR } = genericScale(['inget underlättande', 'lätt underlättande', 'måttligt underlättande', 'stort underlättande', 'totalt underlättande'], 'ej specificerat underlättande');
const AVVIKELSE = genericScale(['ingen avvikelse', 'lätt avvikelse', 'måttlig avvikelse', 'svår avvikelse', 'total avvikelse'], 'ej specificerad avvikelse');
const STRUKTURFORANDRING: Record<string, string> = {
  '0': 'ingen strukturförändring',
  '1': 'total avsaknad',
  '2': 'partiell avsaknad',
  '3': 'en extra del',
  '4': 'onormal storlek',
  '5': 'bristande sammansättning',
  '6': 'felställning',
  '7': 'kvalitativa strukturförändringar innefattande vätskeansamling',
  '8': 'ej specificerat',
  '9': 'ej tillämpbart',
};
const LOKALISERING: Record<string, string> = {
  '0': 'mer än ett område',
  '1': 'höger',
  '2': 'vänster',
  '3': 'båda sidor',
  '4': 'framsida',
  '5': 'baksida',
  '6': 'proximal',
  '7': 'distal',
  '8': 'ej specificerat',
  '9': 'ej tillämpbart',
};

/** The qualifier positions of each component, per separator ('.' everywhere, '+' for e only). */
const KOMPONENT_REGLER: Record<string, { namn: string; separators: Record<string, Bedomningsfaktor[]> }> = {
  b: {
    namn: 'kroppsfunktioner',
    separators: { '.': [{ property: 'funktionsnedsattning', namn: 'grad av funktionsnedsättning', skala: FUNKTIONSNEDSATTNING }] },
  },
  s: {
    namn: 'kroppsstrukturer',
    separators: {
      '.': [
        { property: 'strukturavvikelse', namn: 'grad av strukturavvikelse', skala: AVVIKELSE },
        { property: 'strukturforandring', namn: 'kroppsstrukturens förändring', skala: STRUKTURFORANDRING },
        { property: 'lokalisering', namn: 'kroppsstrukturens lokalisering', skala: LOKALISERING },
      ],
    },
  },
  d: {
    namn: 'aktiviteter och delaktighet',
    separators: {
      '.': [
        { property: 'genomforande', namn: 'genomförande', skala: SVARIGHET },
        { property: 'kapacitetUtanAssistans', namn: 'kapacitet utan assistans', skala: SVARIGHET },
        { property: 'kapacitetMedAssistans', namn: 'kapacitet med assistans', skala: SVARIGHET },
        { property: 'genomforandeUtanAssistans', namn: 'genomförande utan assistans', skala: SVARIGHET },
      ],
    },
  },
  e: {
    namn: 'omgivningsfaktorer',
    separators: {
      '.': [{ property: 'hinder', namn: 'grad av hindrande omgivningsfaktor', skala: HINDER }],
      '+': [{ property: 'underlattande', namn: 'grad av underlättande omgivningsfaktor', skala: FACILITATOR }],
    },
  },
};

/** Every qualifier property, for the CodeSystem's property declarations. */
export const BEDOMNINGSFAKTORER: Bedomningsfaktor[] = Object.values(KOMPONENT_REGLER).flatMap((k) => Object.values(k.separators).flat());

/** Qualifiers apply to categories (second level and below: a letter and at least three digits). */
const KATEGORI = /^[bdes]\d{3}/;
const ORDINAL = ['1st', '2nd', '3rd', '4th'];
/** Qualified concepts built so far, per provider (bounded: clients may send any number of codes). */
const QUALIFIED_CACHE_LIMIT = 10_000;

type Parsed = { base: Concept; faktorer: { faktor: Bedomningsfaktor; siffra: string }[] } | { message: string } | undefined;

/** A code split at its first qualifier separator, or undefined when it has none. */
function splitQualifiers(code: string): { base: string; separator: string; digits: string } | undefined {
  const m = /^([^.+]+)([.+])(.*)$/.exec(code);
  return m ? { base: m[1], separator: m[2], digits: m[3] } : undefined;
}

/** Checks a qualified code against its component's rules; a message says what is wrong. */
function parseQualified(code: string, locateBase: (code: string) => Concept | undefined): Parsed {
  const parts = splitQualifiers(code);
  if (!parts) return undefined;
  const base = locateBase(parts.base);
  if (!base) return undefined;
  if (!KATEGORI.test(base.code)) {
    return { message: `ICF qualifiers apply to categories (second level and below), and '${base.code}' is a component, chapter or block` };
  }
  const regler = KOMPONENT_REGLER[base.code[0]];
  const positions = regler.separators[parts.separator];
  if (!positions) return { message: `'${parts.separator}' (facilitator) is only used with environmental factors (e), not with ${regler.namn} (${base.code[0]})` };
  if (parts.digits === '') return { message: `'${code}' has no qualifier after '${parts.separator}'` };
  if (!/^\d+$/.test(parts.digits)) return { message: `ICF qualifiers are digits, and '${parts.digits}' after '${base.code}${parts.separator}' is not` };
  if (parts.digits.length > positions.length) {
    return { message: `${regler.namn} (${base.code[0]}) take at most ${positions.length} qualifier${positions.length > 1 ? 's' : ''} after '${parts.separator}', and '${code}' has ${parts.digits.length}` };
  }
  const faktorer = [...parts.digits].map((siffra, i) => ({ faktor: positions[i], siffra }));
  const wrong = faktorer.find((f) => !(f.siffra in f.faktor.skala));
  if (wrong) {
    const i = faktorer.indexOf(wrong);
    return {
      message: `the ${ORDINAL[i]} qualifier of ${regler.namn} after '${parts.separator}' (${wrong.faktor.namn}) must be one of ${Object.keys(wrong.faktor.skala).join(', ')}, not '${wrong.siffra}'`,
    };
  }
  return { base, faktorer };
}

/** The concept a valid qualified code stands for: the base category with the qualifiers added. */
function qualifiedConcept(code: string, base: Concept, faktorer: { faktor: Bedomningsfaktor; siffra: string }[], language: string | undefined): Concept {
  const meanings = faktorer.map((f) => `${f.faktor.namn}: ${f.faktor.skala[f.siffra]}`);
  const qualifierProperties: PropertyValue[] = faktorer.map((f) => ({
    code: f.faktor.property,
    valueKey: 'valueCoding',
    value: { code: f.siffra, display: f.faktor.skala[f.siffra] },
  }));
  return {
    code,
    display: base.display !== undefined ? `${base.display} – ${meanings.join(', ')}` : meanings.join(', '),
    definition: base.definition,
    // the base title stays a valid display: records often carry the category's title with the code
    designations: [
      ...base.designations,
      ...(base.display !== undefined ? [{ language, use: SYNONYM, value: base.display, origin: 'codesystem' as const }] : []),
    ],
    // the base's own properties (status, innefattar, ...) hold for the qualified code too
    properties: [...base.properties, ...qualifierProperties],
    extensions: [...base.extensions],
    parents: [base],
    children: [],
    refines: base,
  };
}

const SYNONYM = { system: 'http://snomed.info/sct', code: '900000000000013009', display: 'Synonym' };

/** The concept providers ICF builds on (stored and in memory): locate plus the closure test. */
type ProviderClass = new (...args: any[]) => CodeSystemProvider & { isDescendant(ancestor: Concept, descendant: Concept): boolean };

/**
 * Adds ICF qualifiers to a concept provider: `locate` also finds qualified codes (never listed by
 * `all`, `roots` or filters, so expansions do not enumerate them), and a qualified code is
 * subsumed by its base category. The expander and validator see ordinary concepts.
 */
function withBedomningsfaktorer<T extends ProviderClass>(Base: T) {
  return class IcfProvider extends Base {
    private readonly qualified = new Map<string, LocateResult>();
    private readonly baseOf = new WeakMap<Concept, Concept>();

    /** ICF's grammar (a category with its qualifiers) is known here. */
    override get grammarUnknown(): boolean {
      return false;
    }

    override locate(code: string): LocateResult {
      const plain = super.locate(code);
      if (plain.concept) return plain;
      let found = this.qualified.get(code);
      if (!found) {
        found = this.locateQualified(code) ?? plain;
        if (this.qualified.size >= QUALIFIED_CACHE_LIMIT) this.qualified.clear();
        this.qualified.set(code, found);
      }
      return found;
    }

    private locateQualified(code: string): LocateResult | undefined {
      const parsed = parseQualified(code, (c) => super.locate(c).concept);
      if (!parsed) return undefined;
      if ('message' in parsed) return { message: parsed.message };
      const concept = qualifiedConcept(code, parsed.base, parsed.faktorer, this.info.language);
      this.baseOf.set(concept, parsed.base);
      return { concept };
    }

    override isDescendant(ancestor: Concept, descendant: Concept): boolean {
      const base = this.baseOf.get(descendant);
      if (!base) return super.isDescendant(ancestor, descendant);
      return ancestor === base || super.isDescendant(ancestor, base);
    }
  };
}

/** ICF stored in the concept tables (what imports produce). */
export class IcfStoredProvider extends withBedomningsfaktorer(StoredCodeSystemProvider) {}
/** ICF sent with a request (tx-resource), held in memory. */
export class IcfMemoryProvider extends withBedomningsfaktorer(FhirCodeSystemProvider) {}

registerProviderKind({
  name: 'icf',
  matches: (cs: CodeSystem) => cs.url === ICF_URL,
  stored: (ctx) => new IcfStoredProvider(ctx.concepts, ctx.csPk, ctx.resource, ctx.supplements),
  inMemory: (cs, supplements) => new IcfMemoryProvider(cs, supplements),
});
