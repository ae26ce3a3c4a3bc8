import type { ParametersParameter, ValueSet } from 'fhir/r4';
import { TerminologyEngine } from '../../src/terminology/engine';
import { ID, INACTIVE_TERM, fixtureEngine } from './snomed-fixture';
import { removeTempStores } from '../helpers/temp-store';

/**
 * Snomed CT rules beyond the visible conformance tests, from the ecosystem IG (Inactive Codes,
 * $validate-code return parameters) and Using SNOMED CT with FHIR: inactive concepts in every
 * operation, post-coordinated expressions (what is valid, which release they are judged by),
 * editions named as versions.
 */
const SCT = 'http://snomed.info/sct';
const EDITION = 'http://snomed.info/sct/45991000052106';
const VERSION = `${EDITION}/version/20250930`;

afterAll(removeTempStores);

describe('Snomed CT rules', () => {
  let engine: TerminologyEngine;
  beforeAll(async () => {
    engine = await fixtureEngine('kodverk-sct-rules-', VERSION);
  });

  const value = (out: ParametersParameter[], name: string): any => {
    const p = out.find((x) => x.name === name);
    return p && (Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] ?? p.resource);
  };
  const issues = (out: ParametersParameter[]) => (value(out, 'issues')?.issue ?? []).map((i: any) => [i.severity, i.details.coding?.[0]?.code, i.extension?.[0]?.valueString]);
  const validate = (code: string, more: ParametersParameter[] = []) => engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: SCT }, { name: 'code', valueCode: code }, ...more], txResources: [] });
  const enumerated = (...codes: string[]): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:sct-list', status: 'active', compose: { include: [{ system: SCT, concept: codes.map((code) => ({ code })) }] } });

  describe('inactive concepts', () => {
    it('$validate-code: an inactive concept is still a valid code, returned with inactive = true and a warning', () => {
      const out = validate(ID.retired, [{ name: 'display', valueString: 'Old hepatitis' }]);
      expect(value(out, 'result')).toBe(true);
      expect(value(out, 'inactive')).toBe(true);
      expect(issues(out)).toEqual([['warning', 'code-comment', 'INACTIVE_CONCEPT_FOUND']]);
    });

    it('$validate-code: a wrong display of an inactive concept is invalid, and the concept is still flagged inactive', () => {
      const out = validate(ID.retired, [{ name: 'display', valueString: 'Something else' }]);
      expect(value(out, 'result')).toBe(false);
      expect(value(out, 'inactive')).toBe(true);
      expect(issues(out)).toEqual([
        ['error', 'invalid-display', 'Display_Name_for__should_be_one_of__instead_of'],
        ['warning', 'code-comment', 'INACTIVE_CONCEPT_FOUND'],
      ]);
    });

    it('$lookup: an inactive concept keeps its preferred term as display and says inactive = true', () => {
      const out = engine.lookup({ parameters: [{ name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.retired }], txResources: [] });
      expect(value(out, 'display')).toBe('Old hepatitis');
      const inactive = out.find((p) => p.name === 'property' && p.part?.some((x) => x.valueCode === 'inactive'));
      expect(inactive?.part?.find((x) => x.name === 'value')?.valueBoolean).toBe(true);
    });

    it('$expand: a listed inactive concept is marked inactive with its status; activeOnly leaves it out', () => {
      const all = engine.expand({ parameters: [{ name: 'valueSet', resource: enumerated(ID.retired, ID.hepatitis) }], txResources: [] }).expansion!.contains!;
      const retired = all.find((c) => c.code === ID.retired)!;
      expect(retired.inactive).toBe(true);
      expect(JSON.stringify(retired.extension)).toContain('"valueCode":"inactive"');
      expect(all.find((c) => c.code === ID.hepatitis)!.inactive).toBeUndefined();
      const active = engine.expand({ parameters: [{ name: 'valueSet', resource: enumerated(ID.retired, ID.hepatitis) }, { name: 'activeOnly', valueBoolean: true }], txResources: [] }).expansion!;
      expect(active.contains!.map((c) => c.code)).toEqual([ID.hepatitis]);
      expect(active.total).toBe(1);
    });
  });

  describe('membership by a filter', () => {
    const byFilter = (value: string, code: string) =>
      engine.validateValueSetCode({
        parameters: [{ name: 'valueSet', resource: { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SCT, filter: [{ property: 'inactive', op: '=', value }] }] } } }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: code }],
        txResources: [],
      });

    it('an inactive concept a filter selects is a member, reported without its status (no inactive, no warning)', () => {
      const out = byFilter('true', ID.retired);
      expect(value(out, 'result')).toBe(true);
      expect(value(out, 'inactive')).toBeUndefined();
      expect(issues(out)).toEqual([]);
    });

    it('an inactive concept a filter leaves out is not in the value set, and that is all that is said', () => {
      const out = byFilter('false', ID.retired);
      expect(value(out, 'result')).toBe(false);
      expect(value(out, 'inactive')).toBeUndefined();
      expect(issues(out)).toEqual([['error', 'not-in-vs', 'None_of_the_provided_codes_are_in_the_value_set_one']]);
      // listed in the value set, the concept's status is reported as ever
      expect(value(engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: enumerated(ID.retired) }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.retired }], txResources: [] }), 'inactive')).toBe(true);
    });
  });

  describe('displays in several languages', () => {
    it('a Swedish term is a right display when no language is asked for or Swedish is; with English asked for it is wrong', () => {
      const check = (lang?: string) => value(validate(ID.hepatitis, [{ name: 'display', valueString: 'Hepatit' }, ...(lang ? [{ name: 'displayLanguage', valueCode: lang }] : [])]), 'result');
      expect(check()).toBe(true);
      expect(check('sv')).toBe(true);
      expect(check('en')).toBe(false);
    });
  });

  /**
   * Every description of a concept (the fully specified name and each synonym, in its own language)
   * is a valid display, so a wrong display names them all, with their languages, as the choices (as
   * for any code system: "one of N choices: 'a' (en) or 'b' (de)"). The concept's display is one of
   * those descriptions, not a further choice without a language: when a language is asked for in
   * which the concept has no term, a display in the default language is valid with a note.
   */
  describe('valid displays are the descriptions', () => {
    const text = (out: ParametersParameter[]) => (value(out, 'issues')?.issue ?? []).map((i: any) => i.details.text as string).join('\n');
    const check = (code: string, display: string, lang?: string) => validate(code, [{ name: 'display', valueString: display }, ...(lang ? [{ name: 'displayLanguage', valueCode: lang }] : [])]);

    it('a wrong display names every description (FSN and synonyms) with its language as the valid choices', () => {
      const out = check(ID.liverLobeDisorder, 'Something else');
      expect(value(out, 'result')).toBe(false);
      expect(issues(out)).toEqual([['error', 'invalid-display', 'Display_Name_for__should_be_one_of__instead_of']]);
      expect(text(out)).toContain('Valid display is one of 3 choices: ');
      for (const t of ['Liver lobe disorder', 'Liver lobe disorder (fixture)', 'Liver lobe disorder synonym']) expect(text(out)).toContain(`'${t}' (en)`);
      // the fully specified name is accepted, as the message says
      expect(value(check(ID.liverLobeDisorder, 'Liver lobe disorder (fixture)'), 'result')).toBe(true);
    });

    it('an inactive description as display: the correct displays named are the active descriptions', () => {
      const out = check(ID.hepatitis, INACTIVE_TERM);
      expect(value(out, 'result')).toBe(true);
      expect(issues(out)).toEqual([['warning', 'display-comment', 'INACTIVE_DISPLAY_FOUND']]);
      // comma-separated and unquoted, as the reference lists them
      const named = text(out).split('The correct display is one of ')[1].split(',');
      for (const t of ['Hepatitis', 'Hepatitis (fixture)', 'Hepatitis synonym']) expect(named).toContain(t);
      expect(named).not.toContain(INACTIVE_TERM);
    });

    it('a language with no terms: the default-language display is valid with a note, a wrong display is an error', () => {
      const right = check(ID.liverLobeDisorder, 'Liver lobe disorder', 'de');
      expect(value(right, 'result')).toBe(true);
      expect(issues(right)).toEqual([['information', 'invalid-display', 'NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK']]);
      const wrong = check(ID.liverLobeDisorder, 'Something else', 'de');
      expect(value(wrong, 'result')).toBe(false);
      expect(issues(wrong)).toEqual([['error', 'invalid-display', 'NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR']]);
      expect(text(wrong)).toContain("Default display is 'Liver lobe disorder'");
    });
  });

  describe('too-costly', () => {
    it('the whole of Snomed CT unpaged is refused when larger than the limit; a page of it is served', () => {
      const small = new TerminologyEngine(engine.source, { maxExpansionCodes: 5 });
      const implicit = (more: ParametersParameter[] = []) => small.expand({ parameters: [{ name: 'url', valueUri: `${SCT}?fhir_vs` }, ...more], txResources: [] });
      expect(implicit).toThrow(expect.objectContaining({ httpStatus: 422, issues: [expect.objectContaining({ code: 'too-costly', messageId: 'VALUESET_TOO_COSTLY' })] }));
      expect(implicit([{ name: 'count', valueInteger: 3 }]).expansion!.contains).toHaveLength(3);
    });
  });

  describe('post-coordinated expressions', () => {
    const refined = `${ID.disease}:${ID.findingSite}=${ID.liver}`;

    it('a valid expression is a code of the release it was checked against: that release is the version returned', () => {
      const out = validate(refined);
      expect(value(out, 'result')).toBe(true);
      expect(value(out, 'version')).toBe(VERSION);
      expect(value(out, 'display')).toBe(`${ID.disease}|Disease|:${ID.findingSite}|Finding site|=${ID.liver}|Liver structure|`);
      // named by its edition, the expression is judged by that edition's latest release
      expect(value(validate(refined, [{ name: 'version', valueString: EDITION }]), 'version')).toBe(VERSION);
    });

    it('an expression naming a concept the release does not hold is not a code: unknown code, with the reason as information', () => {
      const out = validate(`${ID.disease}:${ID.findingSite}=1234567001`);
      expect(value(out, 'result')).toBe(false);
      expect(issues(out).map((i: any[]) => i[0])).toEqual(['error', 'information']);
      expect(value(out, 'issues').issue[1].details.text).toBe('Not a valid expression: Concept 1234567001 not found');
    });

    it('$lookup of a code the release does not hold: not found, naming the release; for an expression, why it is invalid', () => {
      const lookup = (code: string) => () => engine.lookup({ parameters: [{ name: 'system', valueUri: SCT }, { name: 'code', valueCode: code }], txResources: [] });
      // the edition name belongs to $validate-code's unknown-code message, not to $lookup's
      expect(lookup('1234567001')).toThrow(new RegExp(`^Unable to find code '1234567001' in ${SCT} version ${VERSION}$`));
      const bad = `${ID.disease}:${ID.findingSite}=1234567001`;
      expect(lookup(bad)).toThrow(`Unable to find code '${bad}' in ${SCT} version ${VERSION} (Not a valid expression: Concept 1234567001 not found)`);
      expect(validate('1234567001').find((p) => p.name === 'message')?.valueString).toMatch(/version '[^']+' \(.+\)$/);
    });

    it('an expression naming an inactive concept is valid but inactive, with the warning an inactive concept gets', () => {
      const out = validate(`${ID.retired}:${ID.findingSite}=${ID.liver}`);
      expect(value(out, 'result')).toBe(true);
      expect(value(out, 'inactive')).toBe(true);
      // the note that the concept model was not checked, and the inactive warning
      expect(issues(out)).toEqual([
        ['information', 'process-note', undefined],
        ['warning', 'code-comment', 'INACTIVE_CONCEPT_FOUND'],
      ]);
      // also when the inactive concept is an attribute value, nested
      expect(value(validate(`${ID.disease}:${ID.findingSite}=(${ID.liver}:${ID.findingSite}=${ID.retired})`), 'inactive')).toBe(true);
      // an expression of active concepts only is not flagged
      expect(value(validate(refined), 'inactive')).toBeUndefined();
    });

    it('an expression naming an edition the server does not hold is an unknown version, not another edition', () => {
      const out = validate(refined, [{ name: 'version', valueString: 'http://snomed.info/sct/900000000000207008' }]);
      expect(value(out, 'result')).toBe(false);
      expect(issues(out)).toEqual([['error', 'not-found', 'UNKNOWN_CODESYSTEM_VERSION']]);
      expect(value(out, 'x-caused-by-unknown-system')).toBe('http://snomed.info/sct|http://snomed.info/sct/900000000000207008');
    });
  });
  describe('implicit concept maps (?fhir_cm=<association refset>)', () => {
    const translate = (params: ParametersParameter[]) => engine.translate({ parameters: params, txResources: [] });
    const MAP = `${SCT}?fhir_cm=${ID.replacedBy}`;
    const concepts = (out: ParametersParameter[], part = 'concept') => out.filter((p) => p.name === 'match').map((m) => m.part!.find((x) => x.name === part)?.valueCoding?.code);

    it('translate an inactive concept to what replaces it, naming the release in the map', () => {
      const out = translate([{ name: 'url', valueUri: MAP }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.retired }, { name: 'targetSystem', valueUri: SCT }]);
      expect(value(out, 'result')).toBe(true);
      expect(concepts(out)).toEqual([ID.hepatitis]);
      const m = out.find((p) => p.name === 'match')!.part!;
      expect(m.find((x) => x.name === 'equivalence')?.valueCode).toBe('equivalent');
      expect(m.find((x) => x.name === 'originMap')?.valueCanonical).toBe(`${MAP}|${VERSION}`);
      expect(m.find((x) => x.name === 'concept')?.valueCoding).toMatchObject({ system: SCT, version: VERSION, code: ID.hepatitis });
    });

    it('translate in reverse: which inactive concepts a concept replaced; an edition in the map url picks the release', () => {
      const out = translate([{ name: 'url', valueUri: `${EDITION}?fhir_cm=${ID.replacedBy}` }, { name: 'targetSystem', valueUri: SCT }, { name: 'targetCode', valueCode: ID.hepatitis }]);
      expect(concepts(out, 'source')).toEqual([ID.retired]);
      expect(value(translate([{ name: 'url', valueUri: MAP }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.liver }]), 'result')).toBe(false);
    });

    it('a reference set that pairs no concepts, or an edition not loaded, is not a map (404)', () => {
      const status = (url: string) => {
        try {
          translate([{ name: 'url', valueUri: url }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.retired }]);
          return 200;
        } catch (e: any) {
          return e.httpStatus;
        }
      };
      expect(status(`${SCT}?fhir_cm=${ID.careRefset}`)).toBe(404);
      expect(status(`${SCT}/900000000000207008?fhir_cm=${ID.replacedBy}`)).toBe(404);
    });
  });
});
