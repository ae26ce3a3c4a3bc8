import type { CodeSystem, ParametersParameter, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { refusal } from '../helpers/refusal';

/**
 * Rules of the FHIR R4 terminology module and the ecosystem IG (requirements.md: $expand
 * parameters, Inactive Codes), each on a small made-up code system, beyond what the visible
 * conformance tests show: the too-costly refusal and paging, concept status in CodeSystem
 * resources, and the code-system version parameters through nested value-set imports.
 */

const source = () => new StoreResourceSource(new ResourceStore(openDatabase(':memory:')));
const vs = (url: string, include: ValueSetComposeInclude[], more: Partial<ValueSet> = {}): ValueSet => ({ resourceType: 'ValueSet', url, status: 'active', compose: { include }, ...more });
const param = (out: ParametersParameter[], name: string): any => {
  const p = out.find((x) => x.name === name);
  return p && (Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] ?? p.resource);
};

describe('too-costly: what the server will not return unpaged', () => {
  // the server returns at most 10 codes unpaged; the code system has 25
  const engine = new TerminologyEngine(source(), { maxExpansionCodes: 10 });
  const BIG: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:big', version: '1', status: 'active', content: 'complete', concept: Array.from({ length: 25 }, (_, i) => ({ code: `c${i}`, display: `C ${i}` })) };
  const WHOLE = vs('urn:example:vs:whole', [{ system: BIG.url }]);
  const OUTER = vs('urn:example:vs:outer', [{ valueSet: [WHOLE.url!] }]);
  const tx = [BIG, WHOLE, OUTER];
  const expand = (v: ValueSet, extra: ParametersParameter[] = []) => engine.expand({ parameters: [{ name: 'valueSet', resource: v }, ...extra], txResources: tx }).expansion!;

  it('refuses an unpaged expansion larger than the limit: 422, too-costly, naming the value set and the limit', () => {
    const e = refusal(() => expand(WHOLE));
    expect(e.httpStatus).toBe(422);
    expect(e.issues[0]).toMatchObject({ severity: 'error', code: 'too-costly', messageId: 'VALUESET_TOO_COSTLY', text: "The value set 'urn:example:vs:whole' expansion has too many codes to produce (>10)" });
  });

  it('the refusal names a value set listing a whole code system with its version (url|version), one listing a filter or a concept list by its url alone', () => {
    const text = (name: string) => `The value set '${name}' expansion has too many codes to produce (>10)`;
    const whole = vs('urn:example:vs:whole-v', [{ system: BIG.url }], { version: '2.0' });
    expect(refusal(() => expand(whole)).issues[0].text).toBe(text('urn:example:vs:whole-v|2.0'));
    // the same, found while listing rather than by the code system's size up front (an import keeps the pre-check away)
    const wholeAndImport = vs('urn:example:vs:whole-import', [{ system: BIG.url, valueSet: [WHOLE.url!] }], { version: '3' });
    expect(refusal(() => expand(wholeAndImport)).issues[0].text).toBe(text('urn:example:vs:whole-import|3'));
    const filtered = vs('urn:example:vs:filtered-v', [{ system: BIG.url, filter: [{ property: 'code', op: 'regex', value: 'c1.*' }] }], { version: '2.0' });
    expect(refusal(() => expand(filtered)).issues[0].text).toBe(text('urn:example:vs:filtered-v'));
    const listed = vs('urn:example:vs:listed-v', [{ system: BIG.url, concept: Array.from({ length: 11 }, (_, i) => ({ code: `c${i}` })) }], { version: '2.0' });
    expect(refusal(() => expand(listed)).issues[0].text).toBe(text('urn:example:vs:listed-v'));
  });

  it('the limit is on what the expansion holds: a filter selecting more is refused, one selecting fewer is not; an import counts', () => {
    const regex = (value: string) => vs('urn:example:vs:regex', [{ system: BIG.url, filter: [{ property: 'code', op: 'regex', value }] }]);
    expect(refusal(() => expand(regex('c1.*'))).issues[0].code).toBe('too-costly'); // c1, c10..c19: 11 codes
    expect(expand(regex('c2.*')).contains?.map((c) => c.code)).toEqual(['c2', 'c20', 'c21', 'c22', 'c23', 'c24']);
    expect(refusal(() => expand(OUTER)).issues[0].code).toBe('too-costly');
  });

  it('a page from the start within the limit is served, and count=0 answers the total alone', () => {
    expect(expand(WHOLE, [{ name: 'count', valueInteger: 5 }]).contains?.map((c) => c.code)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(expand(OUTER, [{ name: 'count', valueInteger: 3 }]).contains?.map((c) => c.code)).toEqual(['c0', 'c1', 'c2']);
    const counted = expand(WHOLE, [{ name: 'count', valueInteger: 0 }]);
    expect(counted.total).toBe(25);
    expect(counted.contains).toBeUndefined();
  });

  it("a client may lower the limit (tx.fhir.org's `limit` parameter, as the X-TOO-COSTLY-THRESHOLD header does), never raise it; a page is still served", () => {
    const small = vs('urn:example:vs:small', [{ system: BIG.url, filter: [{ property: 'code', op: 'regex', value: 'c2.*' }] }]);
    expect(refusal(() => expand(small, [{ name: 'limit', valueInteger: 5 }])).issues[0].text).toBe("The value set 'urn:example:vs:small' expansion has too many codes to produce (>5)");
    expect(expand(small, [{ name: 'limit', valueInteger: 6 }]).contains).toHaveLength(6);
    expect(refusal(() => expand(WHOLE, [{ name: 'limit', valueInteger: 1000 }])).issues[0].text).toMatch(/\(>10\)$/);
    expect(expand(WHOLE, [{ name: 'limit', valueInteger: 8 }, { name: 'count', valueInteger: 3 }]).contains).toHaveLength(3);
    expect(refusal(() => expand(small, [{ name: 'limit', valueInteger: 0 }])).httpStatus).toBe(400);
    // not an expansion parameter to echo
    expect(expand(small, [{ name: 'limit', valueInteger: 6 }]).parameter?.map((p) => p.name)).not.toContain('limit');
  });

  it('two limits: what one answer returns unpaged, and how far pages reach and a total is counted', () => {
    // at most 10 codes unpaged, but a page may reach code 20 and a total is counted to 20
    const paged = new TerminologyEngine(engine.source, { maxExpansionCodes: 10, maxAssembledCodes: 20 });
    const run = (v: ValueSet, extra: ParametersParameter[] = []) => paged.expand({ parameters: [{ name: 'valueSet', resource: v }, ...extra], txResources: tx }).expansion!;
    const twenty = vs('urn:example:vs:twenty', [{ system: BIG.url, filter: [{ property: 'code', op: 'regex', value: 'c(1?[0-9])' }] }]);
    expect(refusal(() => run(twenty)).issues[0].text).toBe("The value set 'urn:example:vs:twenty' expansion has too many codes to produce (>10)");
    // a value set sent without a url is named '??', as tx.fhir.org names it
    const { url: _, ...nameless } = twenty;
    expect(refusal(() => run(nameless as ValueSet)).issues[0].text).toBe("The value set '??' expansion has too many codes to produce (>10)");
    const page = run(twenty, [{ name: 'offset', valueInteger: 15 }, { name: 'count', valueInteger: 5 }]);
    expect(page.total).toBe(20);
    expect(page.contains?.map((c) => c.code)).toEqual(['c15', 'c16', 'c17', 'c18', 'c19']);
    // a page past the second limit: the whole code system has 25 codes
    expect(refusal(() => run(WHOLE, [{ name: 'offset', valueInteger: 20 }, { name: 'count', valueInteger: 5 }])).issues[0].text).toMatch(/\(>20\)$/);
    // a comparison returns no codes: it may expand as far as a page reaches
    const ten = vs('urn:example:vs:ten', [{ system: BIG.url, filter: [{ property: 'code', op: 'regex', value: 'c[0-9]' }] }]);
    const cmp = paged.compare({ parameters: [{ name: 'thisValueSet', resource: twenty }, { name: 'otherValueSet', resource: ten }], txResources: tx });
    expect(param(cmp, 'result')).toBe('superset');
    expect(param(cmp, 'performed-expansion')).toBe(true);
    // the unpaged limit never exceeds the reach: a reach set lower than it is raised to it
    const low = new TerminologyEngine(engine.source, { maxExpansionCodes: 10, maxAssembledCodes: 5 });
    expect(low.expand({ parameters: [{ name: 'valueSet', resource: twenty }, { name: 'offset', valueInteger: 5 }, { name: 'count', valueInteger: 5 }], txResources: tx }).expansion!.contains).toHaveLength(5);
  });

  it('membership does not need the expansion: a code of a value set too large to expand still validates', () => {
    const check = (url: string, code: string) =>
      param(engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: url }, { name: 'system', valueUri: BIG.url }, { name: 'code', valueCode: code }], txResources: tx }), 'result');
    expect(check(WHOLE.url!, 'c24')).toBe(true);
    expect(check(OUTER.url!, 'c24')).toBe(true);
    expect(check(OUTER.url!, 'c99')).toBe(false);
  });
});

describe('concept status in a CodeSystem resource (IG: Inactive Codes)', () => {
  const engine = new TerminologyEngine(source());
  const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';
  const CS: CodeSystem = {
    resourceType: 'CodeSystem',
    url: 'urn:example:status',
    version: '1',
    status: 'active',
    content: 'complete',
    property: [{ code: 'status', uri: 'http://hl7.org/fhir/concept-properties#status', type: 'code' }],
    concept: [
      { code: 'current', display: 'Current' },
      { code: 'retired', display: 'Retired', property: [{ code: 'status', valueCode: 'retired' }] },
      { code: 'deprecated', display: 'Deprecated', property: [{ code: 'status', valueCode: 'deprecated' }] },
      { code: 'withdrawn', display: 'Withdrawn', extension: [{ url: STANDARDS_STATUS, valueCode: 'withdrawn' }] },
    ],
  };
  const ALL = vs('urn:example:vs:status', [{ system: CS.url }]);
  const expand = (extra: ParametersParameter[] = [], v: ValueSet = ALL) => engine.expand({ parameters: [{ name: 'valueSet', resource: v }, ...extra], txResources: [CS] }).expansion!.contains!;
  const statusOf = (c: any) => c.extension?.find((e: any) => e.url.endsWith('expansion.contains.property'))?.extension?.find((x: any) => x.url === 'value')?.valueCode;

  it('a retired or withdrawn concept is inactive in an expansion, with the status saying why', () => {
    const byCode = Object.fromEntries(expand().map((c) => [c.code, c]));
    expect(byCode.retired.inactive).toBe(true);
    expect(statusOf(byCode.retired)).toBe('retired');
    expect(byCode.withdrawn.inactive).toBe(true);
    expect(statusOf(byCode.withdrawn)).toBe('withdrawn');
    expect(byCode.current.inactive).toBeUndefined();
  });

  it('a deprecated concept is still active (FHIR concept status: discouraged, not withdrawn), flagged deprecated', () => {
    const dep = expand().find((c) => c.code === 'deprecated')!;
    expect(dep.inactive).toBeUndefined();
    expect(statusOf(dep)).toBe('deprecated');
    expect(expand([{ name: 'activeOnly', valueBoolean: true }]).map((c) => c.code)).toEqual(['current', 'deprecated']);
  });

  it('activeOnly and compose.inactive = false leave inactive concepts out', () => {
    expect(expand([{ name: 'activeOnly', valueBoolean: true }]).map((c) => c.code)).not.toContain('retired');
    expect(expand([], { ...ALL, compose: { inactive: false, include: [{ system: CS.url }] } }).map((c) => c.code)).toEqual(['current', 'deprecated']);
  });

  describe('an inactive concept outside the value set: not a member, and still reported inactive', () => {
    // the code system knows the code, so it knows its status: inactive, the status and the
    // INACTIVE_CONCEPT_FOUND warning come beside the not-in-value-set error, whichever way the
    // value set leaves the code out (a concept list, an is-a filter)
    const HIER: CodeSystem = {
      ...CS, url: 'urn:example:status-tree', hierarchyMeaning: 'is-a',
      concept: [
        { code: 'top', display: 'Top', concept: [{ code: 'current', display: 'Current' }] },
        { code: 'other', display: 'Other', concept: [{ code: 'retired', display: 'Retired', property: [{ code: 'status', valueCode: 'retired' }] }, { code: 'deprecated', display: 'Deprecated', property: [{ code: 'status', valueCode: 'deprecated' }] }] },
      ],
    };
    const LISTED = vs('urn:example:vs:current', [{ system: HIER.url, concept: [{ code: 'current' }] }]);
    const UNDER_TOP = vs('urn:example:vs:under-top', [{ system: HIER.url, filter: [{ property: 'concept', op: 'is-a', value: 'top' }] }]);
    const validate = (v: ValueSet, coded: ParametersParameter) => engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: v }, coded], txResources: [HIER] });
    const issueList = (out: ParametersParameter[]) => param(out, 'issues').issue.map((i: any) => [i.severity, i.details.coding[0].code, i.details.text, i.expression]);

    it.each([['listed concepts', LISTED], ['an is-a filter', UNDER_TOP]])('left out by %s: result false, inactive, status, the warning after the error', (_, v) => {
      const out = validate(v, { name: 'coding', valueCoding: { system: HIER.url, code: 'retired' } });
      expect(param(out, 'result')).toBe(false);
      expect(param(out, 'inactive')).toBe(true);
      expect(param(out, 'status')).toBe('retired');
      const notIn = `The provided code '${HIER.url}#retired' was not found in the value set '${v.url}'`;
      const warning = "The concept 'retired' has a status of retired and inactive and its use should be reviewed";
      expect(issueList(out)).toEqual([
        ['error', 'not-in-vs', notIn, ['Coding.code']],
        ['warning', 'code-comment', warning, ['Coding']],
      ]);
      // the summary message holds both, in text order (the warning's "The concept" first)
      expect(param(out, 'message')).toBe(`${warning}; ${notIn}`);
    });

    it('a deprecated concept (still active) outside the value set gets no status and no warning', () => {
      const out = validate(UNDER_TOP, { name: 'coding', valueCoding: { system: HIER.url, code: 'deprecated' } });
      expect(param(out, 'result')).toBe(false);
      expect(param(out, 'inactive')).toBeUndefined();
      expect(param(out, 'status')).toBeUndefined();
      expect(issueList(out).map((i: any[]) => i[1])).toEqual(['not-in-vs']);
    });

    it('in a CodeableConcept the inactive coding gets its warning; inactive and status are not claimed for a code not returned', () => {
      const out = validate(UNDER_TOP, { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: HIER.url, code: 'retired' }] } });
      expect(param(out, 'result')).toBe(false);
      expect(param(out, 'inactive')).toBeUndefined();
      expect(issueList(out).map((i: any[]) => [i[0], i[1], i[3]])).toEqual([
        ['information', 'this-code-not-in-vs', ['CodeableConcept.coding[0].code']],
        ['error', 'not-in-vs', undefined],
        ['warning', 'code-comment', ['CodeableConcept.coding[0]']],
      ]);
      // beside a coding that is in the value set: valid, and the other coding's status still warned of
      const both = validate(UNDER_TOP, { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: HIER.url, code: 'current' }, { system: HIER.url, code: 'retired' }] } });
      expect(param(both, 'result')).toBe(true);
      expect(param(both, 'code')).toBe('current');
      expect(param(both, 'inactive')).toBeUndefined();
      expect(issueList(both).map((i: any[]) => [i[0], i[1]])).toContainEqual(['warning', 'code-comment']);
    });

    it('membershipOnly: only membership is reported', () => {
      const out = engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: LISTED }, { name: 'coding', valueCoding: { system: HIER.url, code: 'retired' } }, { name: 'valueset-membership-only', valueBoolean: true }], txResources: [HIER] });
      expect(param(out, 'result')).toBe(false);
      expect(param(out, 'inactive')).toBeUndefined();
    });
  });

  it('$validate-code of an inactive concept: valid, with inactive and status returned and a warning', () => {
    const out = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: CS.url }, { name: 'code', valueCode: 'retired' }], txResources: [CS] });
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'inactive')).toBe(true);
    expect(param(out, 'status')).toBe('retired');
    expect(param(out, 'issues').issue.map((i: any) => i.severity)).toEqual(['warning']);
  });

  it('$validate-code of a deprecated concept: valid and not inactive, with its status and a warning to review its use', () => {
    const out = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: CS.url }, { name: 'code', valueCode: 'deprecated' }], txResources: [CS] });
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'inactive')).toBeUndefined();
    expect(param(out, 'status')).toBe('deprecated');
    expect(param(out, 'issues').issue.map((i: any) => [i.severity, i.details.coding[0].code])).toEqual([['warning', 'code-comment']]);
  });

  it('against a value set of active codes only, an inactive concept is not a member, and the reason says it is inactive', () => {
    const active = vs('urn:example:vs:active', [{ system: CS.url }], { compose: { inactive: false, include: [{ system: CS.url }] } });
    const out = engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: active.url }, { name: 'system', valueUri: CS.url }, { name: 'code', valueCode: 'retired' }], txResources: [CS, active] });
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'inactive')).toBe(true);
    expect(param(out, 'message')).toContain('is valid but is not active');
  });

  it('an inactive designation included in an expansion says so (standards-status withdrawn)', () => {
    const WITHDRAWN = { url: STANDARDS_STATUS, valueCode: 'withdrawn' };
    const withTerms: CodeSystem = { ...CS, url: 'urn:example:terms', concept: [{ code: 'x', display: 'Ex', designation: [{ language: 'sv', value: 'Iks' }, { language: 'en', value: 'Old ex', extension: [WITHDRAWN] }] }] };
    const e = engine.expand({ parameters: [{ name: 'valueSet', resource: vs('urn:example:vs:terms', [{ system: withTerms.url }]) }, { name: 'includeDesignations', valueBoolean: true }], txResources: [withTerms] });
    expect(e.expansion!.contains![0].designation).toEqual([
      { language: 'sv', value: 'Iks' },
      { language: 'en', value: 'Old ex', extension: [WITHDRAWN] },
    ]);
  });

  it('$lookup reports the inactive property', () => {
    const inactive = (code: string) =>
      engine.lookup({ parameters: [{ name: 'system', valueUri: CS.url }, { name: 'code', valueCode: code }], txResources: [CS] }).find((p) => p.name === 'property' && p.part?.some((x) => x.valueCode === 'inactive'))?.part?.find((x) => x.name === 'value')?.valueBoolean;
    expect(inactive('retired')).toBe(true);
    expect(inactive('withdrawn')).toBe(true);
    expect(inactive('deprecated')).toBe(false);
    expect(inactive('current')).toBe(false);
  });
});

describe('code-system version parameters through nested imports', () => {
  const engine = new TerminologyEngine(source());
  const version = (v: string, codes: string[]): CodeSystem => ({ resourceType: 'CodeSystem', url: 'urn:example:versioned', version: v, status: 'active', content: 'complete', concept: codes.map((code) => ({ code, display: `${code} (v${v})` })) });
  const V1 = version('1', ['a', 'b']);
  const V2 = version('2', ['a', 'b', 'c']);
  const INNER = vs('urn:example:vs:inner', [{ system: V1.url }]);
  const PINNED = vs('urn:example:vs:pinned', [{ system: V1.url, version: '2' }]);
  const outer = (inner: ValueSet) => vs(`urn:example:vs:outer-${inner.url!.split(':').pop()}`, [{ valueSet: [inner.url!] }]);
  const tx = [V1, V2, INNER, PINNED, outer(INNER), outer(PINNED)];
  const expand = (v: ValueSet, rule?: string, value?: string) =>
    engine.expand({ parameters: [{ name: 'valueSet', resource: v }, ...(rule ? [{ name: rule, valueUri: `${V1.url}|${value}` }] : [])], txResources: tx }).expansion!;
  const summary = (e: NonNullable<ValueSet['expansion']>) => ({ codes: e.contains?.map((c) => c.code), used: e.parameter?.filter((p) => p.name === 'used-codesystem').map((p) => p.valueUri) });

  it('without a rule an unversioned include means the latest version, at any depth', () => {
    expect(summary(expand(outer(INNER)))).toEqual({ codes: ['a', 'b', 'c'], used: [`${V1.url}|2`] });
  });

  it('system-version is a default: it fills an unversioned include at any depth and leaves a pinned one alone', () => {
    expect(summary(expand(outer(INNER), 'system-version', '1'))).toEqual({ codes: ['a', 'b'], used: [`${V1.url}|1`] });
    expect(summary(expand(outer(PINNED), 'system-version', '1'))).toEqual({ codes: ['a', 'b', 'c'], used: [`${V1.url}|2`] });
  });

  it('force-system-version overrides a pinned include, however deep', () => {
    expect(summary(expand(outer(PINNED), 'force-system-version', '1'))).toEqual({ codes: ['a', 'b'], used: [`${V1.url}|1`] });
  });

  it('check-system-version refuses an include pinned to another version, however deep, and passes a matching one', () => {
    const e = refusal(() => expand(outer(PINNED), 'check-system-version', '1'));
    expect(e.issues[0].severity).toBe('error');
    expect(e.issues[0].text).toBe(`The version '2' is not allowed for system '${V1.url}': required to be '1' by a version-check parameter`);
    expect(summary(expand(outer(PINNED), 'check-system-version', '2'))).toEqual({ codes: ['a', 'b', 'c'], used: [`${V1.url}|2`] });
  });

  it('a pinned and an unpinned include of one system: the unpinned one is the version it resolves to, and validation picks as between two pins', () => {
    // v1 and v2 both have a and b, with different displays; MIXED pins v1 and leaves the other include to the latest (v2)
    const BOTH = vs('urn:example:vs:both', [{ system: V1.url, version: '1' }, { system: V1.url, version: '2' }]);
    const MIXED = vs('urn:example:vs:mixed', [{ system: V1.url, version: '1' }, { system: V1.url }]);
    const check = (v: ValueSet, code: string, display?: string, rule?: [string, string]) => {
      const out = engine.validateValueSetCode({
        parameters: [{ name: 'valueSet', resource: v }, { name: 'coding', valueCoding: { system: V1.url, code, display } }, ...(rule ? [{ name: rule[0], valueUri: `${V1.url}|${rule[1]}` }] : [])],
        txResources: tx,
      });
      return { result: param(out, 'result'), version: param(out, 'version'), display: param(out, 'display') };
    };
    for (const v of [BOTH, MIXED]) {
      // no display: the latest version that has the code
      expect([v.url, check(v, 'a')]).toEqual([v.url, { result: true, version: '2', display: 'a (v2)' }]);
      // a display of one version: that version, valid
      expect([v.url, check(v, 'b', 'b (v1)')]).toEqual([v.url, { result: true, version: '1', display: 'b (v1)' }]);
      expect([v.url, check(v, 'b', 'b (v2)')]).toEqual([v.url, { result: true, version: '2', display: 'b (v2)' }]);
      expect([v.url, check(v, 'c')]).toEqual([v.url, { result: true, version: '2', display: 'c (v2)' }]);
    }
    // system-version makes the unpinned include v1: both includes are v1, so c is not in MIXED
    expect(check(MIXED, 'c', undefined, ['system-version', '1']).result).toBe(false);
    expect(check(MIXED, 'a', undefined, ['system-version', '1'])).toEqual({ result: true, version: '1', display: 'a (v1)' });
  });

  it('a code not found still reports the version of the code system searched (not for a CodeableConcept)', () => {
    const version = (parameters: ParametersParameter[]) => param(engine.validateValueSetCode({ parameters, txResources: tx }), 'version');
    expect(version([{ name: 'valueSet', resource: INNER }, { name: 'coding', valueCoding: { system: V1.url, code: 'zz' } }])).toBe('2');
    expect(version([{ name: 'valueSet', resource: PINNED }, { name: 'system', valueUri: V1.url }, { name: 'code', valueCode: 'zz' }])).toBe('2');
    expect(param(engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: V1.url }, { name: 'version', valueString: '1' }, { name: 'code', valueCode: 'c' }], txResources: tx }), 'version')).toBe('1');
    expect(version([{ name: 'valueSet', resource: INNER }, { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: V1.url, code: 'zz' }] } }])).toBeUndefined();
  });

  it('the rules reach $validate-code through imports too', () => {
    const check = (code: string, rule: string, value: string) =>
      param(engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: outer(INNER).url }, { name: 'system', valueUri: V1.url }, { name: 'code', valueCode: code }, { name: rule, valueUri: `${V1.url}|${value}` }], txResources: tx }), 'result');
    expect(check('c', 'system-version', '2')).toBe(true);
    expect(check('c', 'system-version', '1')).toBe(false);
    expect(check('c', 'force-system-version', '1')).toBe(false);
  });

  describe('CodeSystem/$validate-code: the rules choose the code system version as they do for a value set include', () => {
    const csCheck = (code: string, version?: string, rule?: [string, string]) => {
      const out = engine.validateCodeSystemCode({
        parameters: [
          { name: 'url', valueUri: V1.url },
          { name: 'code', valueCode: code },
          ...(version ? [{ name: 'version', valueString: version }] : []),
          ...(rule ? [{ name: rule[0], valueUri: `${V1.url}|${rule[1]}` }] : []),
        ],
        txResources: tx,
      });
      const issues = (param(out, 'issues')?.issue ?? []).map((i: any) => i.details?.text);
      return { result: param(out, 'result'), version: param(out, 'version'), display: param(out, 'display'), issues };
    };

    it('system-version fills in a missing version, and leaves a stated one alone', () => {
      expect(csCheck('a', undefined, ['system-version', '1'])).toEqual({ result: true, version: '1', display: 'a (v1)', issues: [] });
      expect(csCheck('c', undefined, ['system-version', '1']).result).toBe(false);
      expect(csCheck('a', '2', ['system-version', '1'])).toEqual({ result: true, version: '2', display: 'a (v2)', issues: [] });
    });

    it('check-system-version fills in a missing version too (no refusal then), and refuses a stated version it does not allow', () => {
      expect(csCheck('a', undefined, ['check-system-version', '1'])).toEqual({ result: true, version: '1', display: 'a (v1)', issues: [] });
      const refused = csCheck('a', '2', ['check-system-version', '1']);
      expect(refused.result).toBe(false);
      expect(refused.issues).toEqual([`The version '2' is not allowed for system '${V1.url}': required to be '1' by a version-check parameter`]);
    });

    it('force-system-version overrides: a missing version becomes the forced one; a different stated one is reported against it', () => {
      expect(csCheck('a', undefined, ['force-system-version', '1'])).toEqual({ result: true, version: '1', display: 'a (v1)', issues: [] });
      const forced = csCheck('a', '2', ['force-system-version', '1']);
      expect(forced.result).toBe(false);
      expect(forced.version).toBe('1');
      expect(forced.issues).toEqual([`The code system '${V1.url}' version '1' in the ValueSet include is different to the one in the value ('2')`]);
    });

    it('a default naming a version that does not exist: unknown code system version', () => {
      const out = csCheck('a', undefined, ['system-version', '7']);
      expect(out.result).toBe(false);
      expect(out.issues).toEqual([`A definition for CodeSystem '${V1.url}' version '7' could not be found, so the code cannot be validated. Valid versions: 1 or 2`]);
    });
  });
});

describe('a circle of value-set imports is refused, naming the pathway already entered', () => {
  // A includes the code system and imports B; B excludes A: A -> B -> A
  const engine = new TerminologyEngine(source());
  const CS: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:shapes', version: '1', status: 'active', content: 'complete', concept: ['round', 'square'].map((code) => ({ code, display: code })) };
  const A = vs('urn:example:vs:circle-a', [{ system: CS.url }, { valueSet: ['urn:example:vs:circle-b'] }], { version: '2' });
  const B: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:vs:circle-b', version: '3', status: 'active', compose: { include: [{ system: CS.url }], exclude: [{ valueSet: [A.url!] }] } };
  const tx = [CS, A, B];
  // as tx.fhir.org words it: the repeated value set, then the value sets entered before it (not repeated at the end)
  const A_TEXT = 'Found a circularity pointing to urn:example:vs:circle-a|2 processing ValueSet with pathway [urn:example:vs:circle-a|2, urn:example:vs:circle-b|3]';

  it('$expand: 400, VALUESET_CIRCULAR_REFERENCE, pathway [A, B] when B leads back to A', () => {
    const e = refusal(() => engine.expand({ parameters: [{ name: 'url', valueUri: A.url }], txResources: tx }));
    expect(e.httpStatus).toBe(400);
    expect(e.issues[0]).toMatchObject({ severity: 'error', code: 'processing', messageId: 'VALUESET_CIRCULAR_REFERENCE', text: A_TEXT });
    const fromB = refusal(() => engine.expand({ parameters: [{ name: 'url', valueUri: B.url }], txResources: tx }));
    expect(fromB.issues[0].text).toBe('Found a circularity pointing to urn:example:vs:circle-b|3 processing ValueSet with pathway [urn:example:vs:circle-b|3, urn:example:vs:circle-a|2]');
  });

  it('$validate-code: the same refusal and wording', () => {
    const e = refusal(() => engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: A.url }, { name: 'coding', valueCoding: { system: CS.url, code: 'round' } }], txResources: tx }));
    expect(e.httpStatus).toBe(400);
    expect(e.issues[0]).toMatchObject({ messageId: 'VALUESET_CIRCULAR_REFERENCE', text: A_TEXT });
  });
});

describe("contained value sets: a '#' reference inside a contained value set names a sibling (FHIR does not nest contained resources)", () => {
  const engine = new TerminologyEngine(source());
  const CS: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:colours', version: '1', status: 'active', content: 'complete', concept: ['red', 'green', 'blue'].map((code) => ({ code, display: code })) };
  const contained = (id: string, include: ValueSetComposeInclude[]): any => ({ resourceType: 'ValueSet', id, status: 'active', compose: { include } });
  const outer = (...inner: any[]): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:vs:outer', status: 'active', compose: { include: [{ valueSet: ['#a'] }] }, contained: inner });
  const expand = (vs: ValueSet) => engine.expand({ parameters: [{ name: 'valueSet', resource: vs }], txResources: [CS] }).expansion!;
  const validate = (vs: ValueSet, code: string) =>
    param(engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: vs }, { name: 'coding', valueCoding: { system: CS.url, code } }], txResources: [CS] }), 'result');

  it('follows #a -> #b among the container’s contained value sets, in $expand and $validate-code', () => {
    const vs = outer(contained('a', [{ valueSet: ['#b'] }]), contained('b', [{ system: CS.url, concept: [{ code: 'red' }, { code: 'blue' }] }]));
    expect(expand(vs).contains?.map((c) => c.code)).toEqual(['red', 'blue']);
    expect(validate(vs, 'blue')).toBe(true);
    expect(validate(vs, 'green')).toBe(false);
  });

  it('a circle of contained value sets is refused as circular, not followed forever', () => {
    const vs = outer(contained('a', [{ valueSet: ['#b'] }]), contained('b', [{ system: CS.url, concept: [{ code: 'red' }] }, { valueSet: ['#a'] }]));
    const e = refusal(() => expand(vs));
    expect(e.issues[0]).toMatchObject({ code: 'processing', messageId: 'VALUESET_CIRCULAR_REFERENCE' });
    expect(e.issues[0].text).toContain('#a');
    expect(refusal(() => validate(vs, 'red')).issues[0].messageId).toBe('VALUESET_CIRCULAR_REFERENCE');
  });

  it('the same id in two containers is two value sets, not a circle', () => {
    const other: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:vs:other', status: 'active', compose: { include: [{ valueSet: ['#a'] }] }, contained: [contained('a', [{ system: CS.url, concept: [{ code: 'green' }] }])] };
    const vs = outer(contained('a', [{ valueSet: [other.url!] }]));
    expect(engine.expand({ parameters: [{ name: 'valueSet', resource: vs }], txResources: [CS, other] }).expansion!.contains?.map((c) => c.code)).toEqual(['green']);
  });
});

describe('a code without a system', () => {
  const engine = new TerminologyEngine(source());
  const CS: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:plain', version: '1', status: 'active', content: 'complete', concept: [{ code: 'a', display: 'A' }] };
  const VS = vs('urn:example:vs:plain', [{ system: CS.url }]);
  const issues = (out: ParametersParameter[]) => (param(out, 'issues')?.issue ?? []).map((i: any) => [i.severity, i.details.coding?.[0]?.code, i.extension?.[0]?.valueString]);

  it('against a value set is a warning, as in a code system, beside the not-in-value-set error that makes the result false', () => {
    const out = engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: VS }, { name: 'coding', valueCoding: { code: 'a' } }], txResources: [CS] });
    expect(param(out, 'result')).toBe(false);
    expect(issues(out)).toEqual(
      expect.arrayContaining([
        ['warning', 'invalid-data', 'Coding_has_no_system__cannot_validate'],
        ['error', 'not-in-vs', 'None_of_the_provided_codes_are_in_the_value_set_one'],
      ]),
    );
  });

  describe('a coding without a code cannot be validated: a warning (never an error), and the result is false', () => {
    const validate = (coded: ParametersParameter) => engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: VS }, coded], txResources: [CS] });
    const full = (out: ParametersParameter[]) => (param(out, 'issues')?.issue ?? []).map((i: any) => [i.severity, i.code, i.details.coding?.[0]?.code, i.details.text, i.expression]);

    it('a Coding with a system and no code: the one warning, which is also the message; no not-in-value-set error', () => {
      const out = validate({ name: 'coding', valueCoding: { system: CS.url } });
      const m = `Coding has no code for system ${CS.url} and cannot be validated`;
      expect(param(out, 'result')).toBe(false);
      expect(full(out)).toEqual([['warning', 'invalid', 'invalid-data', m, ['Coding']]]);
      expect(param(out, 'message')).toBe(m);
    });

    it('a Coding with neither system nor code (a display alone): one warning about the pair, with its message id', () => {
      const out = validate({ name: 'coding', valueCoding: { display: 'A' } });
      const m = 'Coding has neither a system nor a code, so it cannot be validated. A system and a code should be provided';
      expect(param(out, 'result')).toBe(false);
      expect(full(out)).toEqual([['warning', 'invalid', 'invalid-data', m, ['Coding']]]);
      expect(issues(out)[0][2]).toBe('Coding_has_no_system_or_code__cannot_validate');
      expect(param(out, 'message')).toBe(m);
    });

    it('in a CodeableConcept the coding gets the warning; the concept as a whole still fails with the not-in-value-set error', () => {
      const out = validate({ name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: CS.url }] } });
      expect(param(out, 'result')).toBe(false);
      expect(full(out).map((i: any[]) => [i[0], i[2], i[4]])).toEqual(
        expect.arrayContaining([
          ['warning', 'invalid-data', ['CodeableConcept.coding[0]']],
          ['error', 'not-in-vs', undefined],
        ]),
      );
      expect(full(out).filter((i: any[]) => i[0] === 'error')).toHaveLength(1);
    });
  });

  it("in a code system's $validate-code with nothing naming the system, a warning: there is nothing to check it against", () => {
    const out = engine.validateCodeSystemCode({ parameters: [{ name: 'coding', valueCoding: { code: 'a' } }], txResources: [CS] });
    expect(param(out, 'result')).toBe(false);
    expect(issues(out)).toEqual([['warning', 'invalid-data', 'Coding_has_no_system__cannot_validate']]);
  });

  it("in a code system's $validate-code a bare `code` with neither `url` nor `system` is an incomplete request: 400, as with no code at all", () => {
    const bare = () => engine.validateCodeSystemCode({ parameters: [{ name: 'code', valueCode: 'a' }], txResources: [CS] });
    const e = refusal(bare);
    expect(e.httpStatus).toBe(400);
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({ severity: 'error', code: 'invalid', txType: 'invalid-data' });
    expect(e.issues[0].text).toBe(refusal(() => engine.validateCodeSystemCode({ parameters: [], txResources: [CS] })).issues[0].text);
  });

  it("in a code system's $validate-code the code system named by url, system, the instance or an inline codeSystem is a bare code's system", () => {
    const ok = (out: ParametersParameter[]) => [param(out, 'result'), param(out, 'system'), param(out, 'display'), param(out, 'issues')];
    const valid = [true, CS.url, 'A', undefined];
    for (const named of [{ name: 'url', valueUri: CS.url }, { name: 'system', valueUri: CS.url }, { name: 'codeSystem', resource: CS }] as ParametersParameter[]) {
      expect(ok(engine.validateCodeSystemCode({ parameters: [{ name: 'code', valueCode: 'a' }, named], txResources: [CS] }))).toEqual(valid);
    }
    expect(ok(engine.validateCodeSystemCode({ parameters: [{ name: 'code', valueCode: 'a' }], txResources: [] }, CS))).toEqual(valid);
    // and a code the instance does not define is an unknown code in it, not a code without a system
    const unknown = engine.validateCodeSystemCode({ parameters: [{ name: 'code', valueCode: 'zz' }], txResources: [] }, CS);
    expect(param(unknown, 'result')).toBe(false);
    expect(issues(unknown).map((i: string[]) => i[1])).toEqual(['invalid-code']);
  });
});

// system-version "specifies a version to use for a system, if the value set does not specify one";
// a code outside the value set is then judged by that version of its code system, not the latest
describe('a code outside the value set is looked up in the code-system version the request names', () => {
  const engine = new TerminologyEngine(source());
  const URL = 'urn:example:versioned';
  const cs = (version: string, date: string, codes: string[]): CodeSystem => ({ resourceType: 'CodeSystem', url: URL, version, date, status: 'active', content: 'complete', concept: codes.map((code) => ({ code })) });
  const tx = [cs('1', '2020-01-01', ['a', 'b']), cs('2', '2030-01-01', ['a', 'b', 'c']), vs('urn:example:vs:only-a', [{ system: URL, concept: [{ code: 'a' }] }])];
  const validate = (code: string, extra: ParametersParameter[]) =>
    engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: 'urn:example:vs:only-a' }, { name: 'system', valueUri: URL }, { name: 'code', valueCode: code }, ...extra], txResources: tx });

  it('system-version 1: c is no code of version 1, whatever version 2 holds', () => {
    const out = validate('c', [{ name: 'system-version', valueCanonical: `${URL}|1` }]);
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'version')).toBe('1');
    expect(param(out, 'message')).toContain(`Unknown code 'c' in the CodeSystem '${URL}' version '1'`);
    // without the rule: version 2 knows c, so it is only outside the value set
    expect(param(validate('c', []), 'message')).not.toContain('Unknown code');
  });

  it('with a date before any version, the version named is taken, not refused as unpublished (as with context, whose release names it)', () => {
    const out = validate('b', [{ name: 'system-version', valueCanonical: `${URL}|1` }, { name: 'date', valueDate: '2019-06-01' }]);
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'version')).toBe('1');
  });
});
