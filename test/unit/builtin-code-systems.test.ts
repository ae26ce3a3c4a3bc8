import type { CodeSystem, ParametersParameter, ValueSet, ValueSetComposeIncludeFilter } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ResourceLoader } from '../../src/importers/loader';
import { fhirCoreResources } from '../../src/importers/fhir-core';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { formalStructure } from '../../src/terminology/providers/ucum-formal';

/**
 * The code systems every FHIR terminology server knows, served by providers from maintained
 * packages: UCUM (ucum-lhc), BCP-47 (the IANA subtag registry), ISO 3166, ISO 4217 and MIME types.
 * Each test states one rule, against the FHIR R4 core value sets that use them.
 */

const CORE = [
  'http://hl7.org/fhir/ValueSet/languages',
  'http://hl7.org/fhir/ValueSet/all-languages',
  'http://hl7.org/fhir/ValueSet/currencies',
  'http://hl7.org/fhir/ValueSet/ucum-units',
  'http://hl7.org/fhir/ValueSet/ucum-common',
  'http://hl7.org/fhir/ValueSet/all-distance-units',
  'http://hl7.org/fhir/ValueSet/mimetypes',
  'http://hl7.org/fhir/ValueSet/iso3166-1-2',
  'http://hl7.org/fhir/ValueSet/iso3166-1-3',
  'http://hl7.org/fhir/ValueSet/iso3166-1-N',
];

function param(out: ParametersParameter[], name: string): any {
  const p = out.find((x) => x.name === name);
  return p && (Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] ?? p.resource);
}

function issueTexts(out: ParametersParameter[]): string[] {
  return (param(out, 'issues')?.issue ?? []).map((i: any) => `${i.severity}: ${i.details?.text}`);
}

const UCUM = 'http://unitsofmeasure.org';
const BCP47 = 'urn:ietf:bcp:47';
const ISO3166 = 'urn:iso:std:iso:3166';
const ISO4217 = 'urn:iso:std:iso:4217';
const MIME = 'urn:ietf:bcp:13';

const wholeSystem = (system: string): ValueSet => ({ resourceType: 'ValueSet', status: 'active', url: `http://example.org/ValueSet/all-of-${encodeURIComponent(system)}`, compose: { include: [{ system }] } });

describe('built-in code systems', () => {
  let engine: TerminologyEngine;
  let store: ResourceStore;

  beforeAll(() => {
    const db = openDatabase(':memory:');
    store = new ResourceStore(db);
    new ResourceLoader(db, store).load(fhirCoreResources().filter((r) => CORE.includes(r.url)));
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const validate = (system: string, code: string, extra: ParametersParameter[] = []) =>
    engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: system }, { name: 'code', valueCode: code }, ...extra], txResources: [] });
  const inValueSet = (url: string, system: string, code: string, extra: ParametersParameter[] = []) =>
    engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: url }, { name: 'system', valueUri: system }, { name: 'code', valueCode: code }, ...extra], txResources: [] });
  const expand = (parameters: ParametersParameter[], txResources: any[] = []) => engine.expand({ parameters, txResources });
  const lookup = (system: string, code: string, extra: ParametersParameter[] = []) =>
    engine.lookup({ parameters: [{ name: 'system', valueUri: system }, { name: 'code', valueCode: code }, ...extra], txResources: [] });

  describe('UCUM', () => {
    it('accepts any valid expression: prefixes, products, quotients, exponents, annotations', () => {
      for (const code of ['h/wk', 'mg/dL', '10*3/uL', 'kg.m/s2', 'g/(8.h)', '{count}/min', 'mg/dL{milligram per deciliter}', '[lb_av]', 'Cel']) {
        const out = validate(UCUM, code);
        expect([code, param(out, 'result')]).toEqual([code, true]);
        // a unit's code is its display: units are written, not translated
        expect(param(out, 'display')).toBe(code);
      }
    });

    it('refuses what is not UCUM, with where the expression goes wrong', () => {
      const out = validate(UCUM, 'hrs');
      expect(param(out, 'result')).toBe(false);
      expect(param(out, 'message')).toBe("Unknown code 'hrs' in the CodeSystem 'http://unitsofmeasure.org' version '2.2'");
      expect(issueTexts(out)).toContain("information: Error processing unit 'hrs': The unit 'hrs' is unknown at character 1 (did you mean h, hour?)");
      expect(issueTexts(validate(UCUM, 'kgXX'))).toContain("information: Error processing unit 'kgXX': The unit 'kgXX' is unknown at character 1");
      expect(param(validate(UCUM, 'mg/xyz'), 'result')).toBe(false);
      expect(issueTexts(validate(UCUM, 'mg/xyz')).join('\n')).toContain("The unit 'xyz' is unknown at character 4");
      expect(param(validate(UCUM, 'kg{'), 'result')).toBe(false);
      expect(param(validate(UCUM, 'mg dL'), 'result')).toBe(false);
    });

    it('writes nothing a client sent to the console (the log holds JSON lines and no client text)', () => {
      const console$ = jest.spyOn(console, 'log');
      try {
        for (const code of ['mg dL', 'mg\n{"level":50}', 'kg{', '((mg', 'm/s/']) validate(UCUM, code);
        expect(console$).not.toHaveBeenCalled();
      } finally {
        console$.mockRestore();
      }
    });

    it('a display is the code or its formal structure; FHIR\'s name of a common unit is accepted but is no display to offer', () => {
      for (const display of ['mg/dL', '(milligram) / (deciliter)', 'milligram per deciliter', 'MG/DL']) {
        expect([display, param(validate(UCUM, 'mg/dL', [{ name: 'display', valueString: display }]), 'result')]).toEqual([display, true]);
      }
      // the name carries a Snomed CT synonym use, which makes a display only of Snomed CT's own descriptions
      const wrong = validate(UCUM, 'mg/dL', [{ name: 'display', valueString: 'xyz' }]);
      expect(param(wrong, 'result')).toBe(false);
      expect(param(wrong, 'message')).toBe("Wrong Display Name 'xyz' for http://unitsofmeasure.org#mg/dL. Valid display is one of 2 choices: 'mg/dL' (en) or '(milligram) / (deciliter)' (en) (for the language(s) '--')");
    });

    it('$subsumes: units are equivalent when they are the same quantity, otherwise not subsumed (UCUM has no hierarchy)', () => {
      const outcome = (a: string, b: string) => param(engine.subsumes({ parameters: [{ name: 'system', valueUri: UCUM }, { name: 'codeA', valueCode: a }, { name: 'codeB', valueCode: b }], txResources: [] }), 'outcome');
      // the same canonical form and magnitude, however written; an annotation is no part of the quantity
      for (const [a, b] of [['mg/dL', 'mg/dL'], ['1/min', 'min-1'], ['N', 'kg.m/s2'], ['mg{total}', 'mg'], ['L', 'dm3']]) expect([a, b, outcome(a, b)]).toEqual([a, b, 'equivalent']);
      // the same dimension at another scale, or a unit with an offset, is another quantity
      for (const [a, b] of [['m', 'cm'], ['mg/dL', 'g/L'], ['%', '1'], ['Cel', 'K'], ['[in_i]', 'cm'], ['g', 's']]) expect([a, b, outcome(a, b)]).toEqual([a, b, 'not-subsumed']);
    });

    it('is case-sensitive (mg is milligram, MG megagauss, Mg no unit at all)', () => {
      expect(param(validate(UCUM, 'Mg'), 'result')).toBe(true); // megagram
      expect(param(validate(UCUM, 'mG'), 'result')).toBe(true); // milligauss
      expect(param(validate(UCUM, 'HRS'), 'result')).toBe(false);
    });

    it('names the unit in English and gives its canonical form when asked', () => {
      // a property list names what it wants: here the canonical form and the designations
      const out = lookup(UCUM, 'mg/dL', [{ name: 'property', valueCode: 'canonical' }, { name: 'property', valueCode: 'designation' }]);
      expect(param(out, 'display')).toBe('mg/dL');
      expect(param(out, 'version')).toBe('2.2');
      const designations = out.filter((p) => p.name === 'designation').map((d) => d.part!.find((x) => x.name === 'value')!.valueString);
      expect(designations).toContain('milligram per deciliter');
      const canonical = out.find((p) => p.name === 'property' && p.part?.some((x) => x.valueCode === 'canonical'));
      expect(canonical?.part?.find((x) => x.name === 'value')?.valueString).toBe('g.m-3');
      // base units in alphabetical order, case aside (the kelvin among the lower-case ones)
      const canonicalOf = (code: string) => lookup(UCUM, code, [{ name: 'property', valueCode: 'canonical' }]).find((p) => p.name === 'property' && p.part?.some((x) => x.valueCode === 'canonical'))?.part?.find((x) => x.name === 'value')?.valueString;
      expect(canonicalOf('J/K')).toBe('g.K-1.m2.s-2');
      expect(canonicalOf('V')).toBe('C-1.g.m2.s-2');
      expect(canonicalOf('cd/m2')).toBe('cd.m-2');
      // without asking, no canonical property
      expect(lookup(UCUM, 'mg/dL').some((p) => p.name === 'property' && p.part?.some((x) => x.valueCode === 'canonical'))).toBe(false);
    });

    it('$lookup gives the formal structure of the expression, read off ucum-lhc\'s parse, beside the code as display', () => {
      const designations = (code: string) => lookup(UCUM, code).filter((p) => p.name === 'designation').map((d) => d.part!.find((x) => x.name === 'value')!.valueString);
      // the code is the display; the structure follows it; FHIR's name of a common unit comes last
      expect(designations('mg/dL')).toEqual(['mg/dL', '(milligram) / (deciliter)', 'milligram per deciliter']);
      // an annotation means the unity: it multiplies by 1, and a unit with one is no common unit
      expect(designations('mg/dL{milligram per deciliter}')).toEqual(['mg/dL{milligram per deciliter}', '(milligram) / (deciliter) * 1']);
      expect(formalStructure('{tablets}')).toBe('1');
      expect(formalStructure('100{cells}')).toBe('100 * 1');
      // prefixes join the unit's name, exponents are written ^ n, numbers stay numbers
      expect(formalStructure('cm3')).toBe('(centimeter ^ 3)');
      expect(formalStructure('kg.m/s2')).toBe('(kilogram) * (meter) / (second ^ 2)');
      expect(formalStructure('s-1')).toBe('(second ^ -1)');
      // parentheses only group: the reference tooling writes a parenthesised part as its parts
      expect(formalStructure('mg/(24.h)')).toBe('(milligram) / 24 * (hour)');
      // each symbol is UCUM's atom with its prefix and exponent, by UCUM's name of it: not a name
      // ucum-lhc's table holds for a whole LOINC unit (m2 "square meter", 10*3 "10^3 (used for cell count)")
      expect(formalStructure('kg/m2')).toBe('(kilogram) / (meter ^ 2)');
      expect(formalStructure('m2{x}')).toBe('(meter ^ 2) * 1');
      expect(formalStructure('10*3/uL')).toBe('(the number ten for arbitrary powers ^ 3) / (microliter)');
      expect(formalStructure('10*6/L')).toBe('(the number ten for arbitrary powers ^ 6) / (liter)');
      expect(formalStructure('%')).toBe('(percent)');
      expect(formalStructure('cL')).toBe('(centiliter)');
      expect(formalStructure('kgXX')).toBeUndefined();
    });

    it('canonical = <unit> selects the units of the same dimension, and says why another is outside', () => {
      const masses: ValueSet = { resourceType: 'ValueSet', status: 'active', url: 'http://example.org/ValueSet/masses', compose: { include: [{ system: UCUM, filter: [{ property: 'canonical', op: '=', value: 'kg' }] }] } };
      const good = engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: masses }, { name: 'system', valueUri: UCUM }, { name: 'code', valueCode: '[lb_av]' }], txResources: [] });
      expect(param(good, 'result')).toBe(true);
      const bad = engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: masses }, { name: 'system', valueUri: UCUM }, { name: 'code', valueCode: 'mL' }], txResources: [] });
      expect(param(bad, 'result')).toBe(false);
      expect(param(bad, 'message')).toContain('Code mL has canonical form m3, not kg as required');
      // the expansion lists FHIR's common units of that dimension, and says it is not all of them
      const vs = expand([{ name: 'valueSet', resource: masses }]);
      const codes = vs.expansion!.contains!.map((c) => c.code);
      expect(codes).toEqual(expect.arrayContaining(['g', 'kg', '[lb_av]']));
      expect(codes).not.toContain('mL');
      expect(vs.expansion!.total).toBe(codes.length);
      expect(vs.expansion!.extension?.find((e) => e.url.endsWith('valueset-unclosed'))?.valueBoolean).toBe(true);
    });

    it('an expansion of all of UCUM lists the common units, unclosed, without a total', () => {
      const vs = expand([{ name: 'valueSet', resource: wholeSystem(UCUM) }]);
      expect(vs.expansion!.total).toBeUndefined();
      expect(vs.expansion!.contains!.length).toBeGreaterThan(1000);
      expect(vs.expansion!.contains!.find((c) => c.code === 'mg/dL')?.display).toBe('mg/dL');
      const reason = vs.expansion!.extension?.find((e) => e.url.endsWith('valueset-unclosed-reason'))?.valueString;
      expect(reason).toContain('http://hl7.org/fhir/ValueSet/ucum-common');
      // the common units are a draft value set: an active value set's expansion says so, as for an import
      expect(vs.expansion!.parameter).toEqual(expect.arrayContaining([{ name: 'warning-draft', valueUri: 'http://hl7.org/fhir/ValueSet/ucum-common|4.0.1' }]));
    });

    it('a stored stub of the code system (content not-present) is served by the provider', () => {
      const stub: CodeSystem = { resourceType: 'CodeSystem', id: 'ucum-stub', url: UCUM, status: 'active', content: 'not-present' };
      const out = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: UCUM }, { name: 'code', valueCode: 'h/wk' }], txResources: [stub] });
      expect(param(out, 'result')).toBe(true);
    });
  });

  describe('BCP-47 language tags', () => {
    it('accepts tags whose every subtag is registered', () => {
      for (const tag of ['sv', 'sv-SE', 'se', 'smj', 'fit', 'zh-Hant-TW', 'sr-Latn', 'es-419', 'de-CH-1901', 'en-GB-oxendict', 'i-klingon', 'x-kodverk', 'sv-x-lattlast', 'en-u-ca-gregory', 'qaa', 'sv-QM']) {
        expect([tag, param(validate(BCP47, tag), 'result')]).toEqual([tag, true]);
      }
      for (const tag of ['sv-AB', 'xx', 'sv-SE-SE', 'de-1901-1901', 'en-a-foo', 'sv-', 'x', 'en-u', 'abcd', 'SV-AB']) {
        expect([tag, param(validate(BCP47, tag), 'result')]).toEqual([tag, false]);
      }
    });

    it('tags are case-insensitive (RFC 5646 §2.1.1): another case is the same tag, reported in the conventional case', () => {
      const out = validate(BCP47, 'ZH-hans-cn');
      expect(param(out, 'result')).toBe(true);
      expect(param(out, 'normalized-code')).toBe('zh-Hans-CN');
      expect(param(out, 'code')).toBe('ZH-hans-cn');
      expect(issueTexts(out)).toEqual([
        "information: The code 'ZH-hans-cn' differs from the correct code 'zh-Hans-CN' by case. Although the code system 'urn:ietf:bcp:47' is case insensitive, implementers are strongly encouraged to use the correct case anyway",
      ]);
      for (const [written, conventional] of [['EN', 'en'], ['en-us', 'en-US'], ['SV-se', 'sv-SE'], ['I-KLINGON', 'i-klingon'], ['DE-ch-1901', 'de-CH-1901'], ['sv-X-LATTLAST', 'sv-x-lattlast'], ['SR-LATN', 'sr-Latn']]) {
        expect([written, param(validate(BCP47, written), 'normalized-code')]).toEqual([written, conventional]);
      }
      expect(param(validate(BCP47, 'EN'), 'display')).toBe('English');
      // the conventional case is the code itself: no note
      expect(issueTexts(validate(BCP47, 'en-US'))).toEqual([]);
      // case makes no difference to subsumption either
      const outcome = (a: string, b: string) => param(engine.subsumes({ parameters: [{ name: 'system', valueUri: BCP47 }, { name: 'codeA', valueCode: a }, { name: 'codeB', valueCode: b }], txResources: [] }), 'outcome');
      expect(outcome('EN', 'en-us')).toBe('subsumes');
      expect(outcome('en-US', 'EN-us')).toBe('equivalent');
    });

    it('displays in English by the registry, in Swedish when Swedish is asked for', () => {
      expect(param(validate(BCP47, 'sv-SE'), 'display')).toBe('Swedish (Sweden)');
      expect(param(validate(BCP47, 'sv-SE', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Svenska (Sverige)');
      expect(param(validate(BCP47, 'fi', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Finska');
      // both are valid displays
      expect(param(validate(BCP47, 'sv-SE', [{ name: 'display', valueString: 'Svenska (Sverige)' }]), 'result')).toBe(true);
      expect(param(validate(BCP47, 'sv-SE', [{ name: 'display', valueString: 'Danska' }]), 'result')).toBe(false);
    });

    it('a language with only a region reads "Language (Region)"; a script or a variant names each part, so a script is not taken for a region', () => {
      expect(param(validate(BCP47, 'en-US'), 'display')).toBe('English (United States)');
      expect(param(validate(BCP47, 'sr-Latn'), 'display')).toBe('Serbian (Script=Latin)');
      expect(param(validate(BCP47, 'zh-Hant-TW'), 'display')).toBe('Chinese (Script=Han (Traditional variant), Region=Taiwan, Province of China)');
      expect(param(validate(BCP47, 'de-CH-1996'), 'display')).toBe('German (Region=Switzerland, Variant=German orthography of 1996)');
      // an extended language names the language (RFC 5646 §2.2.2); extensions and private use add nothing
      expect(param(validate(BCP47, 'zh-yue'), 'display')).toBe('Yue Chinese');
      expect(param(validate(BCP47, 'en-US-u-ca-gregory'), 'display')).toBe('English (United States)');
      expect(param(validate(BCP47, 'en-x-kodverk'), 'display')).toBe('English');
    });

    it('the other forms a tag is written in validate as displays: other registry names, parts unnamed, a region named or hyphenated', () => {
      const ok = (code: string, display: string) => param(validate(BCP47, code, [{ name: 'display', valueString: display }]), 'result');
      expect(ok('es', 'Castilian')).toBe(true); // the registry's second Description of es
      expect(ok('es-ES', 'Castilian (Spain)')).toBe(true);
      expect(ok('en-US', 'English (Region=United States)')).toBe(true);
      expect(ok('en-US', 'English-United States')).toBe(true);
      expect(ok('sr-Latn', 'Serbian (Latin)')).toBe(true);
      expect(ok('az-Latn', 'Azerbaijani in Latin script')).toBe(true); // a redundant tag's own Description
      expect(ok('zh-Hant-TW', 'Chinese (Han (Traditional variant), Taiwan, Province of China)')).toBe(true);
      expect(ok('en-US', 'english-united states')).toBe(true); // displays are compared without regard to case
      // still only the tag's own names
      expect(ok('en-US', 'English (United Kingdom)')).toBe(false);
      expect(ok('sr-Latn', 'Serbian (Region=Latin)')).toBe(false);
      // the primary display stays the first: lookup lists the others as designations of use display
      const designations = (lookup(BCP47, 'en-US') as ParametersParameter[]).filter((p) => p.name === 'designation');
      const values = designations.map((d) => d.part?.find((p) => p.name === 'value')?.valueString);
      expect(values).toContain('English (Region=United States)');
      expect(param(lookup(BCP47, 'en-US'), 'display')).toBe('English (United States)');
    });

    it('a private-use subtag is named "Private use", as the registry names it, and by nothing else', () => {
      const ok = (code: string, display: string) => param(validate(BCP47, code, [{ name: 'display', valueString: display }]), 'result');
      expect(param(validate(BCP47, 'sv-XA'), 'display')).toBe('Swedish (Private use)');
      expect(param(validate(BCP47, 'en-ZZ'), 'display')).toBe('English (Private use)');
      expect(param(validate(BCP47, 'sv-Qaaa'), 'display')).toBe('Swedish (Script=Private use)');
      // CLDR's names for some of these codes (ZZ: Unknown Region, XA: Pseudo-Accents) are not theirs here
      expect(ok('en-ZZ', 'English (Unknown Region)')).toBe(false);
      expect(ok('sv-XA', 'Swedish (Pseudo-Accents)')).toBe(false);
      expect(param(validate(BCP47, 'sv-XA', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Swedish (Private use)');
      // a tag without private-use subtags keeps its Swedish name
      expect(param(validate(BCP47, 'sv-SE', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Svenska (Sverige)');
    });

    it('a registry Description folded over several lines is one display (RFC 5646 §3.1.1: continuation lines are unfolded)', () => {
      // in the IANA file: "Description: Interlingua (International Auxiliary Language" + "  Association)"
      expect(param(validate(BCP47, 'ia'), 'display')).toBe('Interlingua (International Auxiliary Language Association)');
      expect(param(validate(BCP47, 'ia', [{ name: 'display', valueString: 'Interlingua (International Auxiliary Language' }]), 'result')).toBe(false);
    });

    it('the FHIR languages value set validates and expands with Swedish displays', () => {
      const url = 'http://hl7.org/fhir/ValueSet/languages';
      expect(param(inValueSet(url, BCP47, 'sv-SE'), 'result')).toBe(true);
      expect(param(inValueSet(url, BCP47, 'sv-FI'), 'result')).toBe(false);
      const vs = expand([{ name: 'url', valueUri: url }, { name: 'displayLanguage', valueCode: 'sv' }]);
      const byCode = new Map(vs.expansion!.contains!.map((c) => [c.code, c.display]));
      expect(byCode.get('sv-SE')).toBe('Svenska (Sverige)');
      expect(byCode.get('en-GB')).toBe('Brittisk engelska');
      expect(vs.expansion!.total).toBe(vs.expansion!.contains!.length);
      expect(param(inValueSet(url, BCP47, 'sv-SE', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Svenska (Sverige)');
    });

    it('all-languages validates any tag and expands to the languages of ISO 639-2, unclosed', () => {
      const url = 'http://hl7.org/fhir/ValueSet/all-languages';
      expect(param(inValueSet(url, BCP47, 'se-NO'), 'result')).toBe(true);
      expect(param(inValueSet(url, BCP47, 'sv-XY'), 'result')).toBe(true); // XA-XZ: private use regions
      expect(param(inValueSet(url, BCP47, 'sv-SEE'), 'result')).toBe(false);
      const vs = expand([{ name: 'url', valueUri: url }]);
      const codes = vs.expansion!.contains!.map((c) => c.code);
      // ISO 639-1 codes where they exist, else the ISO 639-2 code; withdrawn or deprecated codes are left out
      expect(codes).toEqual(expect.arrayContaining(['sv', 'fi', 'se', 'smj', 'sma', 'rom', 'fiu']));
      expect(codes).not.toContain('swe');
      expect(codes).not.toContain('iw');
      expect(codes).not.toContain('bh');
      expect(vs.expansion!.total).toBeUndefined();
      expect(vs.expansion!.extension?.find((e) => e.url.endsWith('valueset-unclosed-reason'))?.valueString).toContain('http://terminology.hl7.org/ValueSet/Languages');
    });

    it('filters on the parts of a tag (region exists = false: languages without a region)', () => {
      const noRegion: ValueSet = { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: BCP47, filter: [{ property: 'region', op: 'exists', value: 'false' }] }] } };
      const check = (code: string) => param(engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: noRegion }, { name: 'system', valueUri: BCP47 }, { name: 'code', valueCode: code }], txResources: [] }), 'result');
      expect(check('sv')).toBe(true);
      expect(check('sv-SE')).toBe(false);
    });

    it('fixes a part of a tag with = (language = sv, region = SE, script = Latn), without regard to case, and says why a tag is outside', () => {
      const vs = (...filter: ValueSetComposeIncludeFilter[]): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:langs', status: 'active', compose: { include: [{ system: BCP47, filter }] } });
      const check = (v: ValueSet, code: string) => engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: v }, { name: 'system', valueUri: BCP47 }, { name: 'code', valueCode: code }], txResources: [] });
      const swedish = vs({ property: 'language', op: '=', value: 'sv' });
      expect(['sv', 'sv-SE', 'sv-FI', 'sv-Latn-SE', 'en', 'se'].map((c) => [c, param(check(swedish, c), 'result')])).toEqual([
        ['sv', true],
        ['sv-SE', true],
        ['sv-FI', true],
        ['sv-Latn-SE', true],
        ['en', false],
        ['se', false],
      ]);
      expect(param(check(swedish, 'en'), 'message')).toMatch(/^The language code en does not have a language of 'sv'; /);
      const inSweden = vs({ property: 'region', op: '=', value: 'se' });
      expect([param(check(inSweden, 'fi-SE'), 'result'), param(check(inSweden, 'fi'), 'result')]).toEqual([true, false]);
      const latin = vs({ property: 'script', op: '=', value: 'Latn' });
      expect([param(check(latin, 'sr-Latn'), 'result'), param(check(latin, 'sr-Cyrl'), 'result')]).toEqual([true, false]);
      // both: the other parts are free
      expect(param(check(vs({ property: 'language', op: '=', value: 'sv' }, { property: 'region', op: '=', value: 'FI' }), 'sv-Latn-FI'), 'result')).toBe(true);
    });

    it('expands a fixed language as the language and the language in each region of the registry (unclosed: the grammar allows more); an unknown subtag selects nothing', () => {
      const expandVs = (...filter: ValueSetComposeIncludeFilter[]) =>
        expand([{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: BCP47, filter }] } } }]).expansion!;
      const sv = expandVs({ property: 'language', op: '=', value: 'SV' });
      const codes = sv.contains!.map((c) => c.code!);
      expect(codes.slice(0, 1)).toEqual(['sv']);
      expect(codes).toEqual(expect.arrayContaining(['sv-SE', 'sv-FI', 'sv-AX']));
      expect(codes.every((c) => c === 'sv' || /^sv-([A-Z]{2}|[0-9]{3})$/.test(c))).toBe(true);
      expect(sv.contains!.find((c) => c.code === 'sv-FI')?.display).toBe('Swedish (Finland)');
      expect(sv.extension?.map((e) => e.url)).toContain('http://hl7.org/fhir/StructureDefinition/valueset-unclosed');
      expect(expandVs({ property: 'language', op: '=', value: 'xq' }).contains ?? []).toEqual([]);
    });

    it('a fixed language lists the tag and one tag per registered region, in registry order, deprecated and private-use ones too; language and region fixed list the scripts', () => {
      const expandVs = (count: number | undefined, ...filter: ValueSetComposeIncludeFilter[]) =>
        expand([{ name: 'valueSet', resource: { resourceType: 'ValueSet', url: 'urn:example:langs', status: 'active', compose: { include: [{ system: BCP47, filter }] } } }, ...(count ? [{ name: 'count', valueInteger: count }] : [])]).expansion!;
      const en = expandVs(5, { property: 'language', op: '=', value: 'en' });
      // the registry lists AA (private use), AC, AD, AE, ... then the UN M.49 areas
      expect(en.contains!.map((c) => c.code)).toEqual(['en', 'en-AA', 'en-AC', 'en-AD', 'en-AE']);
      expect(en.contains![1].display).toBe('English (Private use)');
      const all = expandVs(undefined, { property: 'language', op: '=', value: 'en' }).contains!.map((c) => c.code);
      expect(all).toEqual(expect.arrayContaining(['en-BU', 'en-QM', 'en-QZ', 'en-XA', 'en-XZ', 'en-001', 'en-419'])); // BU: deprecated, still valid
      expect(en.total).toBe(all.length);
      const enUS = expandVs(5, { property: 'language', op: '=', value: 'en' }, { property: 'region', op: '=', value: 'US' });
      expect(enUS.contains!.map((c) => c.code)).toEqual(['en-US', 'en-Adlm-US', 'en-Afak-US', 'en-Aghb-US', 'en-Ahom-US']);
      expect(enUS.contains![1].display).toBe('English (Script=Adlam, Region=United States)');
      const scripts = expandVs(undefined, { property: 'language', op: '=', value: 'en' }, { property: 'region', op: '=', value: 'US' }).contains!.map((c) => c.code);
      expect(scripts).toEqual(expect.arrayContaining(['en-Latn-US', 'en-Qaaa-US', 'en-Qabx-US'])); // Qaaa..Qabx: private use
      expect(expandVs(undefined, { property: 'language', op: '=', value: 'sv' }, { property: 'region', op: '=', value: 'FI' }, { property: 'script', op: '=', value: 'Latn' }).contains!.map((c) => c.code)).toEqual(['sv-Latn-FI']);
      // the other filters still apply
      expect(expandVs(undefined, { property: 'language', op: '=', value: 'sv' }, { property: 'region', op: 'exists', value: 'false' }).contains!.map((c) => c.code)).toEqual(['sv']);
    });

    it('a script without a language cannot be listed: not-supported', () => {
      const latin: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:latin', status: 'active', compose: { include: [{ system: BCP47, filter: [{ property: 'script', op: '=', value: 'Latn' }] }] } };
      let error: any;
      try {
        expand([{ name: 'valueSet', resource: latin }]);
      } catch (e) {
        error = e;
      }
      expect(error?.httpStatus).toBe(400);
      expect(error?.issues?.[0]).toMatchObject({ code: 'not-supported', messageId: 'CODESYSTEM_NOT_ENUMERABLE', text: 'This filter on urn:ietf:bcp:47 cannot be expanded' });
      // nor can a part without a language: the basis lists bare languages, an empty list would be wrong
      const withRegion: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:regional', status: 'active', compose: { include: [{ system: BCP47, filter: [{ property: 'region', op: 'exists', value: 'true' }] }] } };
      expect(() => expand([{ name: 'valueSet', resource: withRegion }])).toThrow('This filter on urn:ietf:bcp:47 cannot be expanded');
      // it still validates codes
      const check = (code: string) => param(engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: latin }, { name: 'system', valueUri: BCP47 }, { name: 'code', valueCode: code }], txResources: [] }), 'result');
      expect([check('fr-Latn'), check('fr-Cyrl')]).toEqual([true, false]);
    });

    it('says which subtag makes a tag invalid, as information beside the unknown code', () => {
      const reasons = (code: string) => issueTexts(validate(BCP47, code)).filter((t) => t.startsWith('information: '));
      expect(reasons('zz')).toEqual(["information: The language 'zz' in the code 'zz' is not valid"]);
      expect(reasons('en-AB')).toEqual(["information: The region 'AB' in the code 'en-AB' is not valid"]);
      expect(reasons('en-Abcd')).toEqual(["information: The script 'Abcd' in the code 'en-Abcd' is not valid"]);
      // a subtag in another case is no fault (tags are case-insensitive); the one at fault is named
      expect(reasons('EN-ab')).toEqual(["information: The region 'AB' in the code 'en-AB' is not valid"]);
      expect(param(validate(BCP47, 'en-AB'), 'message')).toBe("Unknown code 'en-AB' in the CodeSystem 'urn:ietf:bcp:47'");
    });

    it('an extlang or a variant with a Prefix in the registry follows that prefix (RFC 5646 §2.2.2, §2.2.5)', () => {
      const reasons = (code: string) => issueTexts(validate(BCP47, code)).filter((t) => t.startsWith('information: '));
      expect(reasons('en-cmn')).toEqual(["information: The extLanguage 'cmn' in the code 'en-cmn' may only be used with 'zh', not with 'en'"]);
      expect(reasons('en-1901')).toEqual(["information: The variant '1901' in the code 'en-1901' may only be used with 'de', not with 'en'"]);
      // the prefix's subtags in their places, with other subtags between (de-CH-1901), variants counting (sl-rozaj-biske)
      for (const tag of ['zh-cmn', 'de-1901', 'de-CH-1901', 'de-Latn-AT-1901', 'sl-rozaj-biske', 'en-fonipa']) expect([tag, param(validate(BCP47, tag), 'result')]).toEqual([tag, true]);
      // a region that happens to spell the prefix is not the prefix
      for (const tag of ['en-DE-1901', 'sl-biske']) expect([tag, param(validate(BCP47, tag), 'result')]).toEqual([tag, false]);
    });

    it('a grandfathered tag has no parts to name: it is displayed as itself, its registry description is another display', () => {
      expect(param(validate(BCP47, 'i-klingon'), 'display')).toBe('i-klingon');
      expect(param(validate(BCP47, 'i-klingon', [{ name: 'display', valueString: 'Klingon' }]), 'result')).toBe(true);
      expect(param(validate(BCP47, 'en-GB-oed'), 'display')).toBe('en-GB-oed');
    });

    it('a tag subsumes the tags that add subtags to it (RFC 4647 extended filtering); a grandfathered tag only itself', () => {
      const outcome = (codeA: string, codeB: string) =>
        param(engine.subsumes({ parameters: [{ name: 'system', valueUri: BCP47 }, { name: 'codeA', valueCode: codeA }, { name: 'codeB', valueCode: codeB }], txResources: [] }), 'outcome');
      expect(
        [
          ['en', 'en-US'],
          ['en-US', 'en'],
          ['en-US', 'en-US'],
          ['zh', 'zh-Hans-CN'],
          ['en-US', 'en-Latn-US'],
          ['de', 'de-1901'],
          ['en-US', 'en-GB'],
          ['zh-Hant', 'zh-Hans-CN'],
          ['en-Latn', 'en-US'],
          ['en', 'fr'],
          ['zh', 'zh-min-nan'],
          ['en', 'en-US-u-ca-gregory'],
          ['en-x-a', 'en-x-b'],
        ].map(([a, b]) => `${a} ${outcome(a, b)} ${b}`),
      ).toEqual([
        'en subsumes en-US',
        'en-US subsumed-by en',
        'en-US equivalent en-US',
        'zh subsumes zh-Hans-CN',
        'en-US subsumes en-Latn-US',
        'de subsumes de-1901',
        'en-US not-subsumed en-GB',
        'zh-Hant not-subsumed zh-Hans-CN',
        'en-Latn not-subsumed en-US',
        'en not-subsumed fr',
        'zh not-subsumed zh-min-nan',
        'en subsumes en-US-u-ca-gregory',
        'en-x-a not-subsumed en-x-b',
      ]);
    });
  });

  describe('ISO 3166 countries', () => {
    it('knows alpha-2, alpha-3 and numeric codes, with English and Swedish names', () => {
      for (const code of ['SE', 'SWE', '752']) {
        expect(param(validate(ISO3166, code), 'display')).toBe('Sweden');
        expect(param(validate(ISO3166, code, [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Sverige');
      }
      expect(param(validate(ISO3166, 'SQ'), 'result')).toBe(false);
    });

    it('compares codes without regard to case (HL7: written in upper case, compared case-insensitively), with a hint', () => {
      for (const [code, correct, display] of [
        ['se', 'SE', 'Sweden'],
        ['swe', 'SWE', 'Sweden'],
        ['xy', 'XY', 'User-assigned'],
        ['xyz', 'XYZ', 'User-assigned'],
      ]) {
        const out = validate(ISO3166, code);
        expect([code, param(out, 'result'), param(out, 'display'), param(out, 'normalized-code')]).toEqual([code, true, display, correct]);
        expect(issueTexts(out)).toEqual([
          `information: The code '${code}' differs from the correct code '${correct}' by case. Although the code system '${ISO3166}' is case insensitive, implementers are strongly encouraged to use the correct case anyway`,
        ]);
      }
      // a letter that upper-cases to two is no case of a code: 'xß' is not XSS
      expect(param(validate(ISO3166, 'xß'), 'result')).toBe(false);
      expect(param(validate('urn:iso:std:iso:3166:-2', 'se-ab'), 'normalized-code')).toBe('SE-AB');
      expect(param(inValueSet('http://hl7.org/fhir/ValueSet/iso3166-1-3', ISO3166, 'swe'), 'result')).toBe(true);
    });

    it("displays ISO's English short name, not a colloquial one, in each code form", () => {
      for (const [codes, name] of [
        [['KR', 'KOR', '410'], 'Korea, Republic of'],
        [['CI', 'CIV', '384'], "Côte d'Ivoire"],
        [['VN', 'VNM', '704'], 'Viet Nam'],
        [['GB', 'GBR', '826'], 'United Kingdom of Great Britain and Northern Ireland'],
        [['BO', 'BOL', '068'], 'Bolivia, Plurinational State of'],
      ] as const) {
        for (const code of codes) expect([code, param(validate(ISO3166, code), 'display')]).toEqual([code, name]);
      }
      expect(param(validate(ISO3166, 'KR', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Sydkorea');
      const colloquial = validate(ISO3166, 'KR', [{ name: 'display', valueString: 'South Korea' }]);
      expect(param(colloquial, 'result')).toBe(false);
      expect(issueTexts(colloquial)[0]).toMatch(/^error: Wrong Display Name 'South Korea' for urn:iso:std:iso:3166#KR/);
      // merely reserved codes (EU, UK) are not code elements of ISO 3166-1
      expect(['EU', 'UK'].map((c) => param(validate(ISO3166, c), 'result'))).toEqual([false, false]);
      // no edition is named: the list follows ISO's changes, not one edition's text
      expect(param(validate(ISO3166, 'SE'), 'version')).toBeUndefined();
    });

    it('user-assigned codes are valid, with no name of their own', () => {
      for (const code of ['XY', 'AA', 'ZZ', 'XYZ', '999']) expect([code, param(validate(ISO3166, code), 'display')]).toEqual([code, 'User-assigned']);
    });

    it('any display of a user-assigned code is accepted with a hint; a language pack naming it removes the hint; a country still needs its name', () => {
      const weird = [{ name: 'display', valueString: 'Weird Country' }];
      for (const code of ['XY', 'XYZ']) {
        const out = validate(ISO3166, code, weird);
        expect(param(out, 'result')).toBe(true);
        expect(issueTexts(out)).toEqual([
          `information: The display name 'Weird Country' is not a known display name for ${ISO3166}#${code}. Known displays are 'User-assigned' (en) or 'Användartilldelad' (sv) (for the language(s) '--'). Use a supplement to define displays for user assigned codes`,
        ]);
        // the validator bundle's key for this hint travels as the issue's message-id
        const ids = (param(out, 'issues')?.issue ?? []).map((i: any) => i.extension?.find((e: any) => e.url.endsWith('operationoutcome-message-id'))?.valueString);
        expect(ids).toEqual(['Display_Name_Not_Fixed_use_Supplement']);
      }
      const pack: CodeSystem = {
        resourceType: 'CodeSystem',
        extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/codesystem-supplement-type', valueCode: 'lang-pack' }],
        url: 'urn:example:iso3166-names',
        version: '1',
        status: 'active',
        content: 'supplement',
        supplements: ISO3166,
        concept: [{ code: 'XY', display: 'Weird Country' }],
      };
      const named = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: ISO3166 }, { name: 'code', valueCode: 'XY' }, ...weird], txResources: [pack] });
      expect(param(named, 'result')).toBe(true);
      expect(issueTexts(named)).toEqual([]);
      // a user-assigned code valid without being listed (alpha-3, numeric) is named by a pack too
      const packFor = (concept: CodeSystem['concept'], language?: string): CodeSystem => ({ ...pack, url: `urn:example:iso3166-names-${language ?? 'any'}`, language, concept });
      const xyz = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: ISO3166 }, { name: 'code', valueCode: 'XYZ' }, ...weird], txResources: [packFor([{ code: 'XYZ', display: 'Weird Country' }])] });
      expect([param(xyz, 'result'), issueTexts(xyz)]).toEqual([true, []]);
      // a Swedish pack's name is the Swedish display of the code, in place of "Användartilldelad"
      for (const code of ['XY', 'XYZ']) {
        const sv = engine.validateCodeSystemCode({
          parameters: [{ name: 'url', valueUri: ISO3166 }, { name: 'code', valueCode: code }, { name: 'displayLanguage', valueCode: 'sv' }],
          txResources: [packFor([{ code, display: 'Konstigt land' }], 'sv')],
        });
        expect([code, param(sv, 'display')]).toEqual([code, 'Konstigt land']);
      }
      expect(param(validate(ISO3166, 'XY', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Användartilldelad');
      const sweden = validate(ISO3166, 'SE', weird);
      expect(param(sweden, 'result')).toBe(false);
      expect(issueTexts(sweden)[0]).toMatch(/^error: Wrong Display Name 'Weird Country'/);
    });

    it('the FHIR value sets of one code form expand to that form', () => {
      const alpha3 = expand([{ name: 'url', valueUri: 'http://hl7.org/fhir/ValueSet/iso3166-1-3' }]).expansion!.contains!.map((c) => c.code);
      expect(alpha3).toContain('SWE');
      expect(alpha3).not.toContain('SE');
      expect(param(inValueSet('http://hl7.org/fhir/ValueSet/iso3166-1-N', ISO3166, '752'), 'result')).toBe(true);
      expect(param(inValueSet('http://hl7.org/fhir/ValueSet/iso3166-1-2', ISO3166, 'SE'), 'result')).toBe(true);
      // the whole system: 249 countries in three forms, and the user-assigned alpha-2 codes
      const all = expand([{ name: 'valueSet', resource: wholeSystem(ISO3166) }]);
      expect(all.expansion!.total).toBeGreaterThanOrEqual(249 * 3);
    });
  });

  describe('ISO 3166-2 country subdivisions', () => {
    const ISO3166_2 = 'urn:iso:std:iso:3166:-2';

    it("knows the subdivisions by ISO's code, named in the country's language; a country code is not a subdivision", () => {
      const stockholm = validate(ISO3166_2, 'SE-AB');
      expect([param(stockholm, 'result'), param(stockholm, 'display'), param(stockholm, 'version')]).toEqual([true, 'Stockholms län', undefined]);
      expect(param(validate(ISO3166_2, 'US-CA'), 'display')).toBe('California');
      expect(['SE', 'SE-XX'].map((c) => param(validate(ISO3166_2, c), 'result'))).toEqual([false, false]);
      const country = lookup(ISO3166_2, 'SE-AB').find((p) => p.name === 'property' && p.part?.some((x) => x.valueCode === 'country'));
      expect(country?.part?.find((x) => x.name === 'value')?.valueCode).toBe('SE');
    });

    it("selects a country's subdivisions (country = SE) and follows ISO's nesting of subdivisions", () => {
      const vs = (filter: ValueSetComposeIncludeFilter): ValueSet => ({ resourceType: 'ValueSet', status: 'active', url: 'urn:example:subdivisions', compose: { include: [{ system: ISO3166_2, filter: [filter] }] } });
      const swedish = expand([{ name: 'valueSet', resource: vs({ property: 'country', op: '=', value: 'SE' }) }]).expansion!;
      expect(swedish.total).toBe(21);
      expect(swedish.contains!.every((c) => c.code!.startsWith('SE-'))).toBe(true);
      const nakhchivan = expand([{ name: 'valueSet', resource: vs({ property: 'concept', op: 'descendent-of', value: 'AZ-NX' }) }]).expansion!;
      expect(nakhchivan.contains!.map((c) => c.code)).toContain('AZ-BAB');
      expect(nakhchivan.contains!.map((c) => c.code)).not.toContain('AZ-NX');
    });
  });

  describe('ISO 4217 currencies', () => {
    it('knows the current currencies, with English and Swedish names and their decimals', () => {
      const out = validate(ISO4217, 'SEK');
      expect(param(out, 'result')).toBe(true);
      expect(param(out, 'display')).toBe('Swedish Krona');
      expect(param(validate(ISO4217, 'SEK', [{ name: 'displayLanguage', valueCode: 'sv' }]), 'display')).toBe('Svensk krona');
      expect(param(validate(ISO4217, 'sek'), 'result')).toBe(false);
      expect(param(validate(ISO4217, 'SKR'), 'result')).toBe(false);
      const decimals = lookup(ISO4217, 'JPY').find((p) => p.name === 'property' && p.part?.some((x) => x.valueCode === 'decimals'));
      expect(decimals?.part?.find((x) => x.name === 'value')?.valueInteger).toBe(0);
      expect(param(inValueSet('http://hl7.org/fhir/ValueSet/currencies', ISO4217, 'EUR'), 'result')).toBe(true);
      const threeDecimals: ValueSet = { resourceType: 'ValueSet', status: 'active', url: 'urn:example:three-decimals', compose: { include: [{ system: ISO4217, filter: [{ property: 'decimals', op: '=', value: '3' }] }] } };
      const codes = expand([{ name: 'valueSet', resource: threeDecimals }]).expansion!.contains!.map((c) => c.code);
      expect(codes).toContain('KWD');
      expect(codes).not.toContain('SEK');
    });
  });

  describe('MIME types', () => {
    it('knows registered media types, without regard to case, with parameters', () => {
      expect(param(validate(MIME, 'application/fhir+json'), 'result')).toBe(true);
      expect(param(validate(MIME, 'text/plain; charset=UTF-8'), 'result')).toBe(true);
      expect(param(validate(MIME, 'Application/PDF'), 'result')).toBe(true);
      expect(param(validate(MIME, 'application/no-such-type'), 'result')).toBe(false);
      // the unregistered tree (x. and the older x-) is never in a list, and valid all the same
      expect(['application/x-kodverk-test', 'text/x.kodverk; charset=utf-8', 'nonsense/x-kodverk'].map((c) => param(validate(MIME, c), 'result'))).toEqual([true, true, false]);
      expect(param(validate(MIME, 'text/plain; charset'), 'result')).toBe(false);
      expect(param(inValueSet('http://hl7.org/fhir/ValueSet/mimetypes', MIME, 'image/png'), 'result')).toBe(true);
    });

    it('filters on the base (a type, or type/subtype, parameters aside) and on IANA registration', () => {
      const vs = (...filter: ValueSetComposeIncludeFilter[]): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:mime', status: 'active', compose: { include: [{ system: MIME, filter }] } });
      const check = (v: ValueSet, code: string) => engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: v }, { name: 'system', valueUri: MIME }, { name: 'code', valueCode: code }], txResources: [] });
      const text = vs({ property: 'base', op: '=', value: 'text' });
      expect(['text/plain', 'text/html; charset=utf-8', 'application/json'].map((c) => param(check(text, c), 'result'))).toEqual([true, true, false]);
      const plain = vs({ property: 'base', op: '=', value: 'text/plain' });
      expect(['text/plain; charset=utf-8', 'text/html'].map((c) => param(check(plain, c), 'result'))).toEqual([true, false]);
      expect(param(check(plain, 'text/html'), 'message')).toMatch(/^The media type text\/html does not have the base text\/plain; /);
      const iana = vs({ property: 'registered', op: '=', value: 'true' });
      // application/json is IANA's; application/x-sh only web servers' (mime-db source 'apache')
      expect(['application/json', 'application/x-sh'].map((c) => param(check(iana, c), 'result'))).toEqual([true, false]);
      expect(param(check(vs({ property: 'registered', op: '=', value: 'false' }), 'application/x-sh'), 'result')).toBe(true);
      expect(param(check(vs({ property: 'registered', op: '=', value: 'false' }), 'application/x-kodverk-test'), 'result')).toBe(true);
      expect(param(check(iana, 'application/x-kodverk-test'), 'result')).toBe(false);
      const narrow = expand([{ name: 'valueSet', resource: vs({ property: 'registered', op: '=', value: 'true' }, { property: 'base', op: '=', value: 'text/plain' }) }]).expansion!;
      expect(narrow.contains!.map((c) => c.code)).toEqual(['text/plain']);
      // a base is a type or type/subtype: a wildcard (Accept syntax) or parameters are not understood, not a filter selecting nothing
      for (const value of ['text/*', 'text/plain; charset=utf-8', 'text/plain/x']) {
        expect(() => check(vs({ property: 'base', op: '=', value }), 'text/plain')).toThrow(`The filter "base = ${value}" is not understood or supported`);
      }
    });

    it('a media type with parameters has a normal form: lower case but for values that keep it, parameters by name, each after "; "', () => {
      const normal = (code: string) => {
        const out = validate(MIME, code);
        return [param(out, 'result'), param(out, 'normalized-code'), param(out, 'display'), issueTexts(out)];
      };
      expect(normal('text/plain; charset=utf-8')).toEqual([true, undefined, 'text/plain; charset=utf-8', []]);
      expect(normal('Text/Plain; CharSet=UTF-8')).toEqual([
        true,
        'text/plain; charset=utf-8',
        'text/plain; charset=utf-8',
        ["information: The code 'Text/Plain; CharSet=UTF-8' differs from the correct code 'text/plain; charset=utf-8' by case. Although the code system 'urn:ietf:bcp:13' is case insensitive, implementers are strongly encouraged to use the correct case anyway"],
      ]);
      expect(normal('text/plain;format=flowed;charset=utf-8')).toEqual([
        true,
        'text/plain; charset=utf-8; format=flowed',
        'text/plain; charset=utf-8; format=flowed',
        ["information: The code 'text/plain;format=flowed;charset=utf-8' is valid, but it is not the normal form for the code system 'urn:ietf:bcp:13'; the normal form is 'text/plain; charset=utf-8; format=flowed'"],
      ]);
      // a value whose definition does not fold it keeps its case; quoting is kept
      expect(normal('text/vcard; version=4.0A')[1]).toBeUndefined();
      expect(normal('multipart/mixed; boundary="AbC"')[1]).toBeUndefined();
      // and a value set naming one writing of it holds the others
      const listed: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:mime-listed', status: 'active', compose: { include: [{ system: MIME, concept: [{ code: 'text/plain; charset=utf-8' }] }] } };
      const check = (code: string) => param(engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: listed }, { name: 'system', valueUri: MIME }, { name: 'code', valueCode: code }], txResources: [] }), 'result');
      expect(['text/plain;charset=UTF-8', 'TEXT/plain; charset=utf-8', 'text/plain; charset=utf-16'].map(check)).toEqual([true, true, false]);
    });

    it('expands only what can be listed: codes named, or registered = true (IANA is a finite list), marked unclosed', () => {
      const vs = (include: any): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:mime-x', status: 'active', compose: { include: [{ system: MIME, ...include }] } });
      const refusal = (v: ValueSet) => {
        try {
          expand([{ name: 'valueSet', resource: v }]);
        } catch (e: any) {
          return { status: e.httpStatus, code: e.issues[0].code, txType: e.issues[0].txType, messageId: e.issues[0].messageId, text: e.issues[0].text };
        }
        throw new Error('expanded');
      };
      const notEnumerable = {
        status: 422,
        code: 'not-supported',
        txType: 'not-supported',
        messageId: 'CODESYSTEM_NOT_ENUMERABLE',
        text: "The code system 'urn:ietf:bcp:13' cannot be expanded because its codes cannot be iterated or enumerated in any meaningful sense",
      };
      // the whole system, a base (every parameterisation of a type) and registered = false are infinite
      expect(refusal(vs({}))).toEqual(notEnumerable);
      expect(refusal(vs({ filter: [{ property: 'base', op: '=', value: 'text' }] }))).toEqual(notEnumerable);
      expect(refusal(vs({ filter: [{ property: 'registered', op: '=', value: 'false' }] }))).toEqual(notEnumerable);
      // registered = true narrowed by a base lists, open (every type has parameterised forms) but with no reason given
      const narrow = expand([{ name: 'valueSet', resource: vs({ filter: [{ property: 'registered', op: '=', value: 'true' }, { property: 'base', op: '=', value: 'text/plain' }] }) }]).expansion!;
      expect(narrow.contains!.map((c) => c.code)).toEqual(['text/plain']);
      expect(narrow.extension).toEqual([{ url: 'http://hl7.org/fhir/StructureDefinition/valueset-unclosed', valueBoolean: true }]);
      // whichever order the filters come in
      expect(expand([{ name: 'valueSet', resource: vs({ filter: [{ property: 'base', op: '=', value: 'text/plain' }, { property: 'registered', op: '=', value: 'true' }] }) }]).expansion!.contains!.map((c) => c.code)).toEqual(['text/plain']);
      // codes named: closed, as written
      const named = expand([{ name: 'valueSet', resource: vs({ concept: [{ code: 'text/plain' }, { code: 'text/plain; charset=utf-8' }] }) }]).expansion!;
      expect(named.contains!.map((c) => c.code)).toEqual(['text/plain', 'text/plain; charset=utf-8']);
      expect(named.extension).toBeUndefined();
    });

    describe('subsumption: by parameters within one type/subtype', () => {
      const subsumes = (a: string, b: string) => param(engine.subsumes({ parameters: [{ name: 'system', valueUri: MIME }, { name: 'codeA', valueCode: a }, { name: 'codeB', valueCode: b }], txResources: [] }), 'outcome');
      const refused = (a: string, b: string) => {
        try {
          subsumes(a, b);
        } catch (e: any) {
          return { status: e.httpStatus, code: e.issues[0].code, txType: e.issues[0].txType, text: e.issues[0].text as string };
        }
        throw new Error(`no error for ${a} / ${b}`);
      };

      it('a parameter with no default narrows: the bare form subsumes, and the mirror is subsumed-by', () => {
        expect(subsumes('application/xml', 'application/xml; charset=utf-8')).toBe('subsumes');
        expect(subsumes('application/xml; charset=utf-8', 'application/xml')).toBe('subsumed-by');
        // text/vcard: charset defaults (UTF-8, so equal on both), version does not and narrows
        expect(subsumes('text/vcard; charset=utf-8', 'text/vcard; charset=utf-8; version=4.0')).toBe('subsumes');
      });

      it('different types, a structured syntax suffix, two values of one parameter, crossed parameters: not subsumed', () => {
        expect(subsumes('text/plain', 'application/json')).toBe('not-subsumed');
        expect(subsumes('application/xml', 'application/fhir+xml')).toBe('not-subsumed');
        expect(subsumes('text/plain; charset=utf-8', 'text/plain; charset=utf-16')).toBe('not-subsumed');
        expect(subsumes('text/plain; charset=utf-8', 'text/plain; format=flowed')).toBe('not-subsumed');
      });

      it('a registered default is carried by the bare form: text/plain is charset=us-ascii and format=fixed', () => {
        expect(subsumes('text/plain', 'text/plain; charset=us-ascii')).toBe('equivalent');
        expect(subsumes('text/plain', 'text/plain; charset=utf-8')).toBe('not-subsumed');
        expect(subsumes('text/plain', 'text/plain; format=flowed')).toBe('not-subsumed');
        expect(subsumes('text/plain', 'text/plain; format=Fixed')).toBe('equivalent');
      });

      it('type, subtype, parameter names and charset values without regard to case; parameter order and quotes aside', () => {
        expect(subsumes('Text/Plain; CharSet=UTF-8', 'text/plain; charset=utf-8')).toBe('equivalent');
        expect(subsumes('text/plain', 'text/plain')).toBe('equivalent');
        expect(subsumes('text/plain; charset="utf-8"; format=flowed', 'text/plain; format=flowed; charset=utf-8')).toBe('equivalent');
        // version is not a case-insensitive value
        expect(subsumes('text/vcard; version=4.0a', 'text/vcard; version=4.0A')).toBe('not-subsumed');
      });

      it('cannot tell where an unknown parameter decides, or a charset on a text/* type of unknown default', () => {
        const unknown = refused('text/plain', 'text/plain; foo=bar');
        expect(unknown).toMatchObject({ status: 422, code: 'not-supported', txType: 'cannot-determine' });
        expect(unknown.text).toContain("'text/plain'");
        expect(unknown.text).toContain("'foo'");
        expect(refused('text/plain; foo=bar', 'text/plain; foo=baz').text).toContain("'foo'");
        const csv = refused('text/csv', 'text/csv; charset=utf-8');
        expect(csv).toMatchObject({ status: 422, code: 'not-supported', txType: 'cannot-determine' });
        expect(csv.text).toContain("'text/csv'");
        expect(csv.text).toContain('charset');
        // a text/* type that says charset has no default narrows as usual; two explicit charsets are two values
        expect(subsumes('text/html', 'text/html; charset=utf-8')).toBe('subsumes');
        expect(subsumes('text/csv; charset=utf-8', 'text/csv; charset=utf-16')).toBe('not-subsumed');
        // an unknown parameter carried identically by both does not stop the judgement
        expect(subsumes('application/xml; foo=bar', 'application/xml; charset=utf-8; foo=bar')).toBe('subsumes');
        // nor does it make two types related
        expect(subsumes('text/plain; foo=bar', 'text/html; foo=baz')).toBe('not-subsumed');
      });
    });
  });

  it('knows the systems by their OIDs too (urn:oid:2.16.840.1.113883.6.8 is UCUM)', () => {
    const out = validate('urn:oid:2.16.840.1.113883.6.8', 'h/wk');
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'system')).toBe(UCUM);
    expect(param(validate('urn:oid:1.0.3166.1.2.2', 'SE'), 'result')).toBe(true);
  });

  it('acceptance: the five codes of issue 11', () => {
    expect(param(validate(BCP47, 'sv-SE'), 'result')).toBe(true);
    expect(param(validate(ISO4217, 'SEK'), 'result')).toBe(true);
    expect(param(validate(ISO3166, 'SE'), 'result')).toBe(true);
    expect(param(validate(UCUM, 'h/wk'), 'result')).toBe(true);
    const hrs = validate(UCUM, 'hrs');
    expect(param(hrs, 'result')).toBe(false);
    expect(issueTexts(hrs).length).toBeGreaterThan(0);
  });
});
