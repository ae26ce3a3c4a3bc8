import path from 'node:path';
import type { ParametersParameter } from 'fhir/r4';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { ExpressionSyntaxError, parseExpression, renderExpression, isSimple } from '../../src/terminology/snomed/expression';
import { snomedImplicitValueSet } from '../../src/terminology/snomed/kind';
import { ID, INACTIVE_TERM, writeFixtureRelease } from './snomed-fixture';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

const SCT = 'http://snomed.info/sct';
const VERSION = 'http://snomed.info/sct/45991000052106/version/20250930';

afterAll(removeTempStores);

describe('Snomed CT compositional grammar', () => {
  it('parses focus concepts, refinements, groups, nested expressions, concrete values and terms', () => {
    const e = parseExpression('=== 64572001 |Disease| + 404684003 : 246075003 = 112283007, { 363698007 |Finding site| = 10200004, 116676008 = (49755003 : 272741003 = 24028007) }, { 411116001 = #2.5 }');
    expect(e.definitionStatus).toBe('===');
    expect(e.focus.map((f) => [f.id, f.term])).toEqual([
      ['64572001', 'Disease'],
      ['404684003', undefined],
    ]);
    expect(e.attributes).toHaveLength(1);
    expect(e.groups.map((g) => g.length)).toEqual([2, 1]);
    expect(e.groups[0][1].value).toMatchObject({ kind: 'expression', expression: { focus: [{ id: '49755003' }], attributes: [{ name: { id: '272741003' } }] } });
    expect(e.groups[1][0].value).toEqual({ kind: 'concrete', text: '#2.5', number: 2.5 });
    expect(isSimple(parseExpression(' 10200004 |Liver structure| '))).toBe(true);
  });

  it('renders compactly, with or without terms', () => {
    const e = parseExpression('128241005 : { 363698007 = 181268008 }');
    expect(renderExpression(e)).toBe('128241005:{363698007=181268008}');
    const names: Record<string, string> = { '128241005': 'Inflammatory disease of liver', '363698007': 'Finding site', '181268008': 'Entire liver' };
    expect(renderExpression(e, (c) => names[c.id])).toBe('128241005|Inflammatory disease of liver|:{363698007|Finding site|=181268008|Entire liver|}');
    expect(renderExpression(parseExpression('1 234567 : 116676008 = (49755003 : 272741003 = 24028007)'.replace('1 ', '')))).toBe('234567:116676008=(49755003:272741003=24028007)');
  });

  it('says where an expression is malformed', () => {
    expect(() => parseExpression('64572001 : 363698007')).toThrow(/Syntax error at character 21: expected '='/);
    expect(() => parseExpression('64572001 |Disease')).toThrow(/no closing '\|'/);
    expect(() => parseExpression('64572001 : { 363698007 = 10200004 }, 116676008 = 23583003')).toThrow(/ungrouped attributes must come before/);
    // where a concept id is missing, the reference servers' wording (the suite's bugs/validate-sct-parse)
    expect(() => parseExpression('freetext')).toThrow(new ExpressionSyntaxError('Concept not found (next char = "f", in "freetext") at character 1'));
    expect(() => parseExpression('64572001 : x = 1')).toThrow(new ExpressionSyntaxError('Concept not found (next char = "x", in "64572001 : x = 1") at character 12'));
    expect(() => parseExpression('64572001 +')).toThrow(new ExpressionSyntaxError('Concept not found (next char = "[n/a: overrun]", in "64572001 +") at character 11'));
  });
});

describe('Snomed CT provider (synthetic release)', () => {
  let engine: TerminologyEngine;

  beforeAll(async () => {
    const dir = tempDir('kodverk-sct-provider-');
    const db = openTempDatabase(path.join(dir, 'store.db'));
    const store = new ResourceStore(db);
    await runImport(db, store, rf2Importer, writeFixtureRelease(), { uri: VERSION });
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const params = (p: Record<string, string>): ParametersParameter[] => Object.entries(p).map(([name, v]) => ({ name, valueString: v }));
  const get = (out: ParametersParameter[], name: string) => out.filter((p) => p.name === name);
  const value = (p: ParametersParameter | undefined) => p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
  const properties = (out: ParametersParameter[]) => get(out, 'property').map((p) => Object.fromEntries((p.part ?? []).map((x) => [x.name, value(x)])));

  it('$lookup: designations with Snomed uses, preferred term first, Swedish on request; parents, children, attributes, module', () => {
    const out = engine.lookup({ parameters: params({ system: SCT, code: ID.hepatitis }), txResources: [] });
    expect(value(get(out, 'display')[0])).toBe('Hepatitis');
    expect(value(get(out, 'name')[0])).toBe(`${SCT}|${VERSION}`);
    expect(get(out, 'designation').map((d) => [value(d.part!.find((x) => x.name === 'language')), (value(d.part!.find((x) => x.name === 'use')) as any).code, value(d.part!.find((x) => x.name === 'value'))])).toEqual([
      ['en', ID.synonym, 'Hepatitis'],
      ['sv', ID.synonym, 'Hepatit'],
      ['en', ID.fsn, 'Hepatitis (fixture)'],
      ['en', ID.synonym, 'Hepatitis synonym'],
      ['en', ID.synonym, INACTIVE_TERM],
    ]);
    const props = properties(out);
    expect(props).toEqual(
      expect.arrayContaining([
        { code: 'parent', value: ID.disease, description: 'Disease' },
        { code: 'child', value: ID.chronicHepatitis, description: 'Chronic hepatitis' },
        { code: ID.findingSite, 'code-display': 'Finding site', description: 'Liver structure', value: ID.liver },
        { code: 'inactive', value: false },
        { code: 'module', value: ID.core, description: 'SNOMED CT core' },
        { code: 'effectiveTime', value: '2025-09-30' },
      ]),
    );
    expect(props.some((p) => p.code === 'sufficientlyDefined')).toBe(false);
    const sv = engine.lookup({ parameters: params({ system: SCT, code: ID.hepatitis, displayLanguage: 'sv' }), txResources: [] });
    expect(value(get(sv, 'display')[0])).toBe('Hepatit');
    // a concept without a Swedish term falls back to English
    expect(value(get(engine.lookup({ parameters: params({ system: SCT, code: ID.chronicHepatitis, displayLanguage: 'sv' }), txResources: [] }), 'display')[0])).toBe('Chronic hepatitis');
  });

  it('$lookup: the properties asked for, incl. sufficientlyDefined and the normal form', () => {
    const out = engine.lookup({ parameters: [...params({ system: SCT, code: ID.hepatitis }), ...['sufficientlyDefined', 'normalFormTerse', 'normalForm'].map((p) => ({ name: 'property', valueString: p }))], txResources: [] });
    expect(properties(out)).toEqual([
      { code: 'sufficientlyDefined', value: true },
      { code: 'normalForm', value: `${ID.disease}|Disease|:{${ID.findingSite}|Finding site|=${ID.liver}|Liver structure|,${ID.morphology}|Associated morphology|=${ID.inflammation}|Inflammation|}` },
      { code: 'normalFormTerse', value: `${ID.disease}:{${ID.findingSite}=${ID.liver},${ID.morphology}=${ID.inflammation}}` },
    ]);
  });

  it('$lookup: a property list names what is reported, abstract and the designations too', () => {
    const asking = (...props: string[]) => engine.lookup({ parameters: [...params({ system: SCT, code: ID.hepatitis }), ...props.map((p) => ({ name: 'property', valueString: p }))], txResources: [] });
    const parentsOnly = asking('parent');
    expect(parentsOnly.map((p) => p.name)).toEqual(['name', 'system', 'version', 'code', 'display', 'property']);
    expect(properties(parentsOnly)).toEqual([{ code: 'parent', value: ID.disease, description: 'Disease' }]);
    const named = asking('designation', 'abstract');
    expect(value(get(named, 'abstract')[0])).toBe(false);
    expect(get(named, 'designation')).toHaveLength(5);
    expect(get(named, 'property')).toEqual([]);
    // '*' is everything
    expect(get(asking('*'), 'designation')).toHaveLength(5);
    // an expression: the same rule
    const expr = engine.lookup({ parameters: [...params({ system: SCT, code: `${ID.disease}:${ID.findingSite}=${ID.liverPart}` }), { name: 'property', valueString: 'parent' }], txResources: [] });
    expect(get(expr, 'designation')).toEqual([]);
    expect(get(expr, 'abstract')).toEqual([]);
  });

  it('$validate-code: an expression is a code; an invalid one is explained', () => {
    const ok = engine.validateCodeSystemCode({ parameters: params({ url: SCT, code: `${ID.disease}:${ID.findingSite}=${ID.liverPart}` }), txResources: [] });
    expect(value(get(ok, 'result')[0])).toBe(true);
    expect(value(get(ok, 'display')[0])).toBe(`${ID.disease}|Disease|:${ID.findingSite}|Finding site|=${ID.liverPart}|Liver part|`);
    // what was not checked is said (IG requirements: a process note when an expression is not checked against the MRCM)
    expect((get(ok, 'issues')[0].resource as any).issue).toEqual([
      {
        severity: 'information',
        code: 'informational',
        details: {
          text: 'The expression is grammatically correct and the concepts are valid, but the expression has not been checked against the SNOMED CT concept model (MRCM)',
          coding: [{ system: 'http://hl7.org/fhir/tools/CodeSystem/tx-issue-type', code: 'process-note' }],
        },
        expression: ['code'],
      },
    ]);
    // a plain concept was checked whole; a value set that takes the whole system leaves the
    // expression to the code system, so it says the same; one that judges it by a filter does not
    expect(get(engine.validateCodeSystemCode({ parameters: params({ url: SCT, code: ID.disease }), txResources: [] }), 'issues')).toEqual([]);
    const inVs = (url: string) => engine.validateValueSetCode({ parameters: params({ url, system: SCT, code: `${ID.disease}:${ID.findingSite}=${ID.liverPart}` }), txResources: [] });
    expect(value(get(inVs(`${SCT}?fhir_vs`), 'result')[0])).toBe(true);
    expect((get(inVs(`${SCT}?fhir_vs`), 'issues')[0].resource as any).issue).toEqual((get(ok, 'issues')[0].resource as any).issue);
    expect(value(get(inVs(`${SCT}?fhir_vs=isa/${ID.disease}`), 'result')[0])).toBe(true);
    expect(get(inVs(`${SCT}?fhir_vs=isa/${ID.disease}`), 'issues')).toEqual([]);
    const bad = engine.validateCodeSystemCode({ parameters: params({ url: SCT, code: `${ID.disease}:${ID.liver}=${ID.liverPart}` }), txResources: [] });
    expect(value(get(bad, 'result')[0])).toBe(false);
    const issues = (get(bad, 'issues')[0].resource as any).issue.map((i: any) => [i.severity, i.details.text]);
    expect(issues).toEqual([
      ['error', `Unknown code '${ID.disease}:${ID.liver}=${ID.liverPart}' in the CodeSystem '${SCT}' version '${VERSION}' (Swedish Edition)`],
      ['information', `Not a valid expression: Concept ${ID.liver} is not valid in this context (must be a descendent of one of 410662002,106237007)`],
    ]);
    expect((get(bad, 'issues')[0].resource as any).issue[0].location).toBeUndefined();
    const term = engine.validateCodeSystemCode({ parameters: params({ url: SCT, code: `${ID.disease} |Sickness| : ${ID.findingSite} = ${ID.liver}` }), txResources: [] });
    expect((get(term, 'issues')[0].resource as any).issue[1].details.text).toMatch(/^Not a valid expression: Term "Sickness" doesn't match a defined term at position 1 \(valid terms would be from this list: "Disease", "Sjukdom"/);
  });

  it('$validate-code: an expression written other than in its normal form (beyond terms and whitespace) is valid, with its normal form', () => {
    const check = (code: string) => engine.validateCodeSystemCode({ parameters: params({ url: SCT, code }), txResources: [] });
    // a group after an attribute without the comma between them
    const written = `${ID.disease}:${ID.morphology}=${ID.inflammation}{${ID.findingSite}=${ID.liver}}`;
    const normal = `${ID.disease}:${ID.morphology}=${ID.inflammation},{${ID.findingSite}=${ID.liver}}`;
    const out = check(written);
    expect(value(get(out, 'result')[0])).toBe(true);
    expect(value(get(out, 'code')[0])).toBe(written);
    expect(value(get(out, 'normalized-code')[0])).toBe(normal);
    const issue = (get(out, 'issues')[0].resource as any).issue.find((i: any) => i.code === 'business-rule');
    expect(issue).toMatchObject({ severity: 'information', details: { coding: [{ code: 'code-rule' }] } });
    expect(issue.details.text).toBe(`The code '${written}' is valid, but it is not the normal form for the code system '${SCT}|${VERSION}'; the normal form is '${normal}'`);
    // the normal form itself, or with terms and spacing, is in normal form
    for (const code of [normal, `${ID.disease} |Disease| : ${ID.morphology} = ${ID.inflammation} , { ${ID.findingSite} |Finding site| = ${ID.liver} }`]) {
      const ok = check(code);
      expect(value(get(ok, 'result')[0])).toBe(true);
      expect(get(ok, 'normalized-code')).toEqual([]);
    }
  });

  it('$validate-code against an ECL value set and an implicit one', () => {
    const url = `${SCT}?fhir_vs=ecl/${encodeURIComponent(`< ${ID.disease} : ${ID.findingSite} = << ${ID.liver}`)}`;
    const v = (code: string) => value(get(engine.validateValueSetCode({ parameters: params({ url, system: SCT, code }), txResources: [] }), 'result')[0]);
    expect(v(ID.chronicHepatitis)).toBe(true);
    expect(v(ID.handDisorder)).toBe(false);
    expect(v(`${ID.disease}:${ID.findingSite}=${ID.liverPart}`)).toBe(true);
    expect(v(`${ID.disease}:${ID.findingSite}=${ID.hand}`)).toBe(false);
    const isa = (code: string) => value(get(engine.validateValueSetCode({ parameters: params({ url: `${SCT}?fhir_vs=isa/${ID.hepatitis}`, system: SCT, code }), txResources: [] }), 'result')[0]);
    expect(isa(ID.chronicHepatitis)).toBe(true);
    expect(isa(ID.disease)).toBe(false);
  });

  it('$expand: ECL filters are open to expressions (unclosed, flat, with total); bad ECL is INVALID_ECL', () => {
    const vs = (value: string) => ({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SCT, filter: [{ property: 'constraint', op: '=', value }] }] } });
    const exp = engine.expand({ parameters: [{ name: 'valueSet', resource: vs(`<< ${ID.disease}`) as any }, { name: 'displayLanguage', valueCode: 'sv' }], txResources: [] });
    expect(exp.expansion!.total).toBe(5);
    expect(exp.expansion!.extension).toEqual([{ url: 'http://hl7.org/fhir/StructureDefinition/valueset-unclosed', valueBoolean: true }]);
    expect(exp.expansion!.contains!.every((c) => !c.contains)).toBe(true);
    expect(exp.expansion!.contains!.find((c) => c.code === ID.hepatitis)!.display).toBe('Hepatit');
    let error: unknown;
    try {
      engine.expand({ parameters: [{ name: 'valueSet', resource: vs(`<< ${ID.disease} OR < ${ID.liver} AND < ${ID.body}`) as any }], txResources: [] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TerminologyError);
    expect((error as TerminologyError).issues[0]).toMatchObject({ messageId: 'INVALID_ECL', txType: 'vs-invalid' });
  });

  it('$subsumes between concepts and expressions', () => {
    const s = (a: string, b: string) => value(engine.subsumes({ parameters: params({ system: SCT, codeA: a, codeB: b }), txResources: [] })[0]);
    expect(s(ID.disease, ID.chronicHepatitis)).toBe('subsumes');
    expect(s(ID.chronicHepatitis, ID.disease)).toBe('subsumed-by');
    expect(s(ID.disease, `${ID.hepatitis}:${ID.findingSite}=${ID.liverPart}`)).toBe('subsumes');
    expect(s(`${ID.disease}:${ID.findingSite}=${ID.liver}`, ID.chronicHepatitis)).toBe('subsumes');
    // two concepts: the closure settles it; an expression related to nothing by its normal form: cannot be determined (422)
    expect(s(ID.liverLobeDisorder, ID.handDisorder)).toBe('not-subsumed');
    const undetermined = (a: string, b: string) => {
      try {
        s(a, b);
      } catch (e) {
        const err = e as TerminologyError;
        return { status: err.httpStatus, ...err.issues[0] };
      }
      throw new Error('no error');
    };
    const liverDisease = `${ID.disease}:${ID.findingSite}=${ID.liver}`;
    expect(undetermined(liverDisease, ID.handDisorder)).toMatchObject({ status: 422, severity: 'error', code: 'not-supported', txType: 'cannot-determine' });
    expect(undetermined(liverDisease, `${ID.disease}:${ID.findingSite}=${ID.hand}`).text).toMatch(
      `between '${liverDisease}' and '${ID.disease}:${ID.findingSite}=${ID.hand}'`,
    );
    expect(undetermined(`${ID.disease}:{${ID.findingSite}=${ID.liver}}`, `${ID.disease}:{${ID.morphology}=${ID.inflammation}}`).code).toBe('not-supported');
    expect(s(`${ID.disease}:${ID.findingSite}=${ID.liver}`, `${ID.disease}:${ID.findingSite}=${ID.liver}`)).toBe('equivalent');
    // one expression written two ways (spacing, terms, attribute order) subsumes itself both ways: equivalent
    const twoAttributes = `${ID.disease}:${ID.findingSite}=${ID.liver},${ID.morphology}=${ID.inflammation}`;
    expect(s(twoAttributes, `${ID.disease} |Disease| : ${ID.morphology} = ${ID.inflammation}, ${ID.findingSite} = ${ID.liver}`)).toBe('equivalent');
    expect(s(`${ID.disease}:${ID.findingSite}=${ID.liver}`, twoAttributes)).toBe('subsumes');
    expect(s(twoAttributes, `${ID.disease}:${ID.findingSite}=${ID.liver}`)).toBe('subsumed-by');
    // expressions compare by their normal forms: a fully defined concept is its proximal primitive supertypes and its definition
    const hepatitisDefinition = `${ID.disease}:{${ID.findingSite}=${ID.liver},${ID.morphology}=${ID.inflammation}}`;
    expect(s(ID.hepatitis, hepatitisDefinition)).toBe('equivalent');
    expect(s(hepatitisDefinition, ID.hepatitis)).toBe('equivalent');
    // a refinement that restates what the concept's definition says adds nothing
    expect(s(ID.hepatitis, `${ID.hepatitis}:{${ID.findingSite}=${ID.liver}}`)).toBe('equivalent');
    expect(s(`${ID.chronicHepatitis}:${ID.morphology}=${ID.inflammation}`, ID.chronicHepatitis)).toBe('equivalent');
    // ... one that says more is below it; a more specific value in the group refines the defining one
    expect(s(ID.hepatitis, `${ID.hepatitis}:{${ID.findingSite}=${ID.liverPart}}`)).toBe('subsumes');
    expect(s(`${ID.disease}:{${ID.findingSite}=${ID.liverPart},${ID.morphology}=${ID.inflammation}}`, ID.hepatitis)).toBe('subsumed-by');
    // a conjunction with the concept's own supertype is the concept
    expect(s(`${ID.chronicHepatitis}+${ID.disease}`, ID.chronicHepatitis)).toBe('equivalent');
    expect(s(`${ID.hepatitis}+${ID.disease}`, hepatitisDefinition)).toBe('equivalent');
    // stated as a subtype (<<<), an expression is below what it says, not the same
    expect(s(`<<< ${hepatitisDefinition}`, ID.hepatitis)).toBe('subsumed-by');
    expect(s(`=== ${hepatitisDefinition}`, ID.hepatitis)).toBe('equivalent');
    expect(s(`<<< ${hepatitisDefinition}`, `<<<${hepatitisDefinition.replace(',', ' , ')}`)).toBe('equivalent');
    // a primitive concept is not its attributes: the definition of hepatitis subsumes chronic hepatitis, not the reverse
    expect(s(hepatitisDefinition, ID.chronicHepatitis)).toBe('subsumes');
    // a release the server does not hold is named in the error
    const other = `${SCT}/45991000052106/version/20990101`;
    expect(() => engine.subsumes({ parameters: params({ system: SCT, version: other, codeA: ID.disease, codeB: ID.disease }), txResources: [] })).toThrow(
      `A definition for CodeSystem '${SCT}' version '${other}' could not be found`,
    );
  });

  it('$validate-code: an expression a value set lists is found however it is written (spacing, terms, attribute order)', () => {
    const listed = `${ID.disease}:${ID.findingSite}=${ID.liver},${ID.morphology}=${ID.inflammation}`;
    const vs = { resourceType: 'ValueSet', url: 'urn:example:sct-listed', status: 'active', compose: { include: [{ system: SCT, concept: [{ code: ID.liver }, { code: listed }] }] } };
    const check = (code: string) => value(get(engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: vs as any }, ...params({ system: SCT, code })], txResources: [] }), 'result')[0]);
    expect(check(listed)).toBe(true);
    expect(check(`${ID.disease} |Disease| : ${ID.morphology} |Associated morphology| = ${ID.inflammation}, ${ID.findingSite} = ${ID.liver}`)).toBe(true);
    expect(check(`=== ${ID.disease}:${ID.morphology}=${ID.inflammation},${ID.findingSite}=${ID.liver}`)).toBe(true);
    // another refinement, or the same attributes grouped, is another expression
    expect(check(`${ID.disease}:${ID.findingSite}=${ID.liverPart},${ID.morphology}=${ID.inflammation}`)).toBe(false);
    expect(check(`${ID.disease}:{${ID.findingSite}=${ID.liver},${ID.morphology}=${ID.inflammation}}`)).toBe(false);
    // a listed concept is named by its id with a term too
    expect(check(`${ID.liver} |Liver structure|`)).toBe(true);
  });

  it('implicit value sets by URL', () => {
    expect(snomedImplicitValueSet(`${SCT}?fhir_vs`)?.compose?.include).toEqual([{ system: SCT }]);
    expect(snomedImplicitValueSet(`${SCT}/45991000052106/version/20250930?fhir_vs=refset/${ID.careRefset}`)?.compose?.include).toEqual([
      { system: SCT, version: VERSION, filter: [{ property: 'concept', op: 'in', value: ID.careRefset }] },
    ]);
    expect(snomedImplicitValueSet(`${SCT}?fhir_vs=isa/4106070063`)).toBeUndefined();
    expect(snomedImplicitValueSet('http://example.org/vs')).toBeUndefined();
  });

  it('?fhir_vs=refset lists the release\'s reference sets, those with members: each one a refset/<id> value set names', () => {
    const expand = (url: string) => engine.expand({ parameters: params({ url }), txResources: [] });
    const list = expand(`${SCT}?fhir_vs=refset`);
    expect(list.title).toBe('SNOMED CT Reference Set List');
    const codes = list.expansion!.contains!.map((c) => c.code!);
    expect(codes).toEqual(expect.arrayContaining([ID.careRefset, ID.replacedBy]));
    for (const code of codes) expect(expand(`${SCT}?fhir_vs=refset/${code}`).expansion!.total).toBeGreaterThan(0);
  });

  it('an implicit value set naming a concept the release does not hold, or (refset/) one that is not a reference set, is not found', () => {
    const failure = (url: string) => {
      try {
        engine.validateValueSetCode({ parameters: params({ url, system: SCT, code: ID.hepatitis }), txResources: [] });
      } catch (e) {
        return (e as TerminologyError).issues[0];
      }
      return undefined;
    };
    // well-formed concept ids, as a bad one (visible test validate-code-implied-1b) already is
    const unknown = '22298006';
    for (const url of [`${SCT}?fhir_vs=isa/${unknown}`, `${SCT}?fhir_vs=refset/${unknown}`, `${SCT}?fhir_vs=refset/${ID.hepatitis}`]) {
      expect(failure(url)).toMatchObject({ messageId: 'Unable_to_resolve_value_Set_', code: 'not-found', text: `A definition for the value Set '${url}' could not be found` });
    }
    expect(failure(`${SCT}?fhir_vs=refset/${ID.careRefset}`)).toBeUndefined();
    expect(failure(`${SCT}?fhir_vs=isa/${ID.retired}`)).toBeUndefined();
  });
});
