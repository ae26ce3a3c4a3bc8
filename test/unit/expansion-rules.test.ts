import type { CodeSystem, ParametersParameter, ValueSet } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';

/**
 * Expansion and validation rules of the FHIR terminology module and the ecosystem IG, each on a
 * small made-up code system: fragments, supplements, not-selectable concepts, inactive
 * designations, and value-set version rules through imports.
 */
const FRAG = 'urn:example:fragment';
const fragment: CodeSystem = {
  resourceType: 'CodeSystem',
  url: FRAG,
  version: '1',
  status: 'active',
  content: 'fragment',
  concept: [{ code: 'a', display: 'A', concept: [{ code: 'a1', display: 'A1' }] }, { code: 'b', display: 'B' }],
};

const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
const expand = (vs: ValueSet, extra: ParametersParameter[] = [], tx: any[] = []) => engine.expand({ parameters: [{ name: 'valueSet', resource: vs }, ...extra], txResources: tx });
const all = (system: string, version?: string): ValueSet => ({ resourceType: 'ValueSet', url: `urn:example:vs:${system}`, status: 'active', compose: { include: [{ system, ...(version ? { version } : {}) }] } });

describe('expansions of code-system fragments', () => {
  it('say they draw on a fragment (used-fragment right after used-codesystem, unclosed with the reason) and keep their total and hierarchy', () => {
    const exp = expand(all(FRAG), [], [fragment]).expansion!;
    expect(exp.parameter?.filter((p) => p.name.startsWith('used-') || p.name === 'fragment')).toEqual([
      { name: 'used-codesystem', valueUri: `${FRAG}|1` },
      { name: 'used-fragment', valueUri: `${FRAG}|1` },
    ]);
    const ext = Object.fromEntries((exp.extension ?? []).map((e) => [e.url.split('/').pop(), e.valueBoolean ?? e.valueString]));
    expect(ext['valueset-unclosed']).toBe(true);
    expect(ext['valueset-unclosed-reason']).toContain(FRAG);
    expect(exp.total).toBe(3);
    expect(exp.contains?.map((c) => [c.code, c.contains?.map((x) => x.code)])).toEqual([
      ['a', ['a1']],
      ['b', undefined],
    ]);
  });
});

describe('value-set version rules through imports', () => {
  const CS: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:cs', version: '1', status: 'active', content: 'complete', concept: ['c1', 'c2', 'c3'].map((code) => ({ code })) };
  const CHILD = 'urn:example:vs:child';
  const child = (version: string, codes: string[]): ValueSet => ({ resourceType: 'ValueSet', url: CHILD, version, status: 'active', compose: { include: [{ system: CS.url, concept: codes.map((code) => ({ code })) }] } });
  const importing = (url: string, ref: string): ValueSet => ({ resourceType: 'ValueSet', url, version: '1', status: 'active', compose: { include: [{ valueSet: [ref] }] } });
  const unpinned = importing('urn:example:vs:unpinned', CHILD);
  const pinned = importing('urn:example:vs:pinned', `${CHILD}|1`);
  const outer = importing('urn:example:vs:outer', unpinned.url!);
  const tx = [CS, child('1', ['c1']), child('2', ['c2']), unpinned, pinned, outer];
  const run = (url: string, rule: string, version: string) => engine.expand({ parameters: [{ name: 'url', valueUri: url }, { name: rule, valueUri: `${CHILD}|${version}` }], txResources: tx }).expansion!;
  const codes = (e: NonNullable<ValueSet['expansion']>) => e.contains?.map((c) => c.code);

  it('default-valueset-version fills in an unversioned import at any depth, leaves a pinned one alone, and is echoed when it applied', () => {
    expect(codes(run(unpinned.url!, 'default-valueset-version', '1'))).toEqual(['c1']);
    expect(codes(run(outer.url!, 'default-valueset-version', '1'))).toEqual(['c1']);
    const e = run(pinned.url!, 'default-valueset-version', '2');
    expect(codes(e)).toEqual(['c1']);
    expect(e.parameter?.some((p) => p.name === 'default-valueset-version')).toBe(false);
    expect(run(unpinned.url!, 'default-valueset-version', '1').parameter).toEqual(expect.arrayContaining([{ name: 'default-valueset-version', valueUri: `${CHILD}|1` }]));
  });

  it('force-valueset-version overrides even a pinned import; the value set a request names obeys it too', () => {
    expect(codes(run(pinned.url!, 'force-valueset-version', '2'))).toEqual(['c2']);
    expect(codes(run(CHILD, 'force-valueset-version', '1'))).toEqual(['c1']);
  });

  it('check-valueset-version refuses an import of another version, in expansion and validation', () => {
    expect(() => run(pinned.url!, 'check-valueset-version', '2')).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ messageId: 'VALUESET_VERSION_CHECK' })] }));
    expect(codes(run(unpinned.url!, 'check-valueset-version', '1'))).toEqual(['c1']);
    const validate = () =>
      engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: pinned.url }, { name: 'system', valueUri: CS.url }, { name: 'code', valueCode: 'c1' }, { name: 'check-valueset-version', valueUri: `${CHILD}|2` }], txResources: tx });
    expect(validate).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ messageId: 'VALUESET_VERSION_CHECK' })] }));
  });
});

describe('display validation: inactive terms and several languages', () => {
  const WITHDRAWN = { url: 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status', valueCode: 'withdrawn' };
  const CS: CodeSystem = {
    resourceType: 'CodeSystem',
    url: 'urn:example:langs',
    version: '1',
    language: 'en',
    status: 'active',
    content: 'complete',
    concept: [
      { code: 'x', display: 'Ex', designation: [{ language: 'sv', value: 'Iks' }, { language: 'en', value: 'Old ex', extension: [WITHDRAWN] }] },
      { code: 'gone', display: 'Gone', property: [{ code: 'status', valueCode: 'retired' }] },
    ],
  };
  const validate = (code: string, display: string, lang?: string) => {
    const out = engine.validateCodeSystemCode({
      parameters: [{ name: 'url', valueUri: CS.url }, { name: 'code', valueCode: code }, { name: 'display', valueString: display }, ...(lang ? [{ name: 'displayLanguage', valueCode: lang }] : [])],
      txResources: [CS],
    });
    const result = out.find((p) => p.name === 'result')?.valueBoolean;
    const issues = ((out.find((p) => p.name === 'issues')?.resource as any)?.issue ?? []).map((i: any) => [i.severity, i.details.coding?.[0]?.code]);
    return { result, issues };
  };

  it('a display that is a term no longer current is valid, with a display-comment warning', () => {
    expect(validate('x', 'Old ex')).toEqual({ result: true, issues: [['warning', 'display-comment']] });
  });

  it('a display in any of the concept’s languages is right when no language is asked for; with one asked for, only that language counts', () => {
    expect(validate('x', 'Iks')).toEqual({ result: true, issues: [] });
    expect(validate('x', 'Iks', 'sv')).toEqual({ result: true, issues: [] });
    expect(validate('x', 'Iks', 'en')).toEqual({ result: false, issues: [['error', 'invalid-display']] });
  });

  it('an inactive concept with its right display is valid and flagged; with a wrong display it is invalid and still flagged', () => {
    expect(validate('gone', 'Gone')).toEqual({ result: true, issues: [['warning', 'code-comment']] });
    expect(validate('gone', 'Went')).toEqual({ result: false, issues: [['error', 'invalid-display'], ['warning', 'code-comment']] });
  });
});

describe('language packs (supplements of type lang-pack)', () => {
  const CS: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:packed', version: '1', status: 'active', content: 'complete', concept: [{ code: 'c1', display: 'Thing' }] };
  const supplement = (type: string | undefined, url: string): CodeSystem => ({
    resourceType: 'CodeSystem',
    ...(type ? { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/codesystem-supplement-type', valueCode: type }] } : {}),
    url,
    version: '1',
    status: 'active',
    content: 'supplement',
    supplements: CS.url,
    concept: [{ code: 'c1', designation: [{ language: 'de', value: type ? 'Ding' : 'Sache' }] }],
  });
  const pack = supplement('lang-pack', 'urn:example:packed-de');
  const other = supplement(undefined, 'urn:example:packed-other');
  const result = (out: ParametersParameter[], name: string) => out.find((p) => p.name === name);
  const check = (display: string, tx: CodeSystem[]) =>
    result(engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: CS.url }, { name: 'code', valueCode: 'c1' }, { name: 'display', valueString: display }, { name: 'displayLanguage', valueCode: 'de' }], txResources: [CS, ...tx] }), 'result')?.valueBoolean;

  it('apply without being asked for: their translations display and validate', () => {
    const lookup = engine.lookup({ parameters: [{ name: 'system', valueUri: CS.url }, { name: 'code', valueCode: 'c1' }, { name: 'displayLanguage', valueCode: 'de' }], txResources: [CS, pack] });
    expect(result(lookup, 'display')?.valueString).toBe('Ding');
    expect(check('Ding', [pack])).toBe(true);
    const exp = expand(all(CS.url!), [{ name: 'displayLanguage', valueCode: 'de' }], [CS, pack]).expansion!;
    expect(exp.contains?.[0].display).toBe('Ding');
  });

  it('a supplement of another kind applies only when the request or value set asks for it', () => {
    expect(check('Sache', [other])).toBe(false);
    const asked = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: CS.url }, { name: 'code', valueCode: 'c1' }, { name: 'display', valueString: 'Sache' }, { name: 'displayLanguage', valueCode: 'de' }, { name: 'useSupplement', valueCanonical: other.url }], txResources: [CS, other] });
    expect(result(asked, 'result')?.valueBoolean).toBe(true);
  });
});

describe('supplements and not-selectable concepts in expansions', () => {
  const CS: CodeSystem = {
    resourceType: 'CodeSystem',
    url: 'urn:example:base',
    version: '1',
    status: 'active',
    content: 'complete',
    property: [{ code: 'notSelectable', uri: 'http://hl7.org/fhir/concept-properties#notSelectable', type: 'boolean' }],
    concept: [{ code: 'group', display: 'Group', property: [{ code: 'notSelectable', valueBoolean: true }], concept: [{ code: 'leaf', display: 'Leaf' }] }],
  };
  const SUPP: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:base-sv', version: '1', status: 'active', content: 'supplement', supplements: CS.url, concept: [{ code: 'leaf', designation: [{ language: 'sv', value: 'Löv' }] }] };
  const vs = (extra: Partial<ValueSet> = {}): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:vs:base', status: 'active', compose: { include: [{ system: CS.url }] }, ...extra });
  const supplementExt = { url: 'http://hl7.org/fhir/StructureDefinition/valueset-supplement', valueCanonical: SUPP.url };

  it('a not-selectable concept is abstract in the expansion, and excludeNotForUI leaves it out', () => {
    const e = expand(vs(), [], [CS]).expansion!;
    expect(e.contains?.map((c) => [c.code, c.abstract, c.contains?.map((x) => x.code)])).toEqual([['group', true, ['leaf']]]);
    expect(expand(vs(), [{ name: 'excludeNotForUI', valueBoolean: true }], [CS]).expansion!.contains?.map((c) => c.code)).toEqual(['leaf']);
  });

  it('excludeNotForUI leaves it out however the value set selects it: listed, or by a filter', () => {
    const listed = vs({ compose: { include: [{ system: CS.url, concept: [{ code: 'group' }, { code: 'leaf' }] }] } });
    const filtered = vs({ compose: { include: [{ system: CS.url, filter: [{ property: 'concept', op: 'is-a', value: 'group' }] }] } });
    for (const v of [listed, filtered]) {
      expect(expand(v, [], [CS]).expansion!.contains?.some((c) => c.code === 'group')).toBe(true);
      const e = expand(v, [{ name: 'excludeNotForUI', valueBoolean: true }], [CS]).expansion!;
      expect(e.contains?.map((c) => c.code)).toEqual(['leaf']);
      expect(e.total).toBe(1);
    }
  });

  it('a supplement the value set asks for adds its designations and is named in the expansion; a missing one is an error', () => {
    const e = expand(vs({ extension: [supplementExt] }), [{ name: 'includeDesignations', valueBoolean: true }, { name: 'displayLanguage', valueCode: 'sv' }], [CS, SUPP]).expansion!;
    expect(e.parameter).toEqual(expect.arrayContaining([{ name: 'used-supplement', valueUri: `${SUPP.url}|1` }]));
    const leaf = e.contains![0].contains![0];
    expect(leaf.display).toBe('Löv');
    expect(() => expand(vs({ extension: [supplementExt] }), [], [CS])).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ messageId: 'VALUESET_SUPPLEMENT_MISSING' })] }));
  });
});

describe('ValueSet.compose.property (R5; R4 carries it as an extension on compose) chooses the properties an expansion returns', () => {
  const PCS: CodeSystem = {
    resourceType: 'CodeSystem',
    url: 'urn:example:props',
    version: '2',
    status: 'active',
    content: 'complete',
    property: [
      { code: 'colour', uri: 'urn:example:property#colour', type: 'code' },
      { code: 'weight', type: 'integer' },
      { code: 'note', type: 'string' },
    ],
    concept: [
      { code: 'p1', display: 'P1', property: [{ code: 'colour', valueCode: 'red' }, { code: 'weight', valueInteger: 3 }] },
      { code: 'p2', display: 'P2', property: [{ code: 'note', valueString: 'light' }] },
      { code: 'p3', display: 'P3' },
    ],
  };
  const EXT = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose.property';
  const withProps = (props: string[], r5 = false): ValueSet => {
    const vs = all(PCS.url!);
    if (r5) (vs.compose as any).property = props;
    else vs.compose!.extension = props.map((p) => ({ url: EXT, valueString: p }));
    return vs;
  };
  const declared = (vs: ValueSet) =>
    (vs.expansion?.extension ?? [])
      .filter((e) => e.url.endsWith('extension-ValueSet.expansion.property'))
      .map((e) => Object.fromEntries((e.extension ?? []).map((x) => [x.url, x.valueCode ?? x.valueUri])));
  const values = (vs: ValueSet) =>
    Object.fromEntries(
      (vs.expansion?.contains ?? []).map((c) => [
        c.code,
        (c.extension ?? [])
          .filter((e) => e.url.endsWith('extension-ValueSet.expansion.contains.property'))
          .map((e) => {
            const v = e.extension?.find((x) => x.url === 'value') as any;
            return `${e.extension?.find((x) => x.url === 'code')?.valueCode}=${v.valueCode ?? v.valueInteger ?? v.valueString}`;
          }),
      ]),
    );

  it("'*' returns every property the codes have, declared with code and (when the code system gives one) uri", () => {
    const out = expand(withProps(['*']), [], [PCS]);
    expect(values(out)).toEqual({ p1: ['colour=red', 'weight=3'], p2: ['note=light'], p3: [] });
    expect(declared(out)).toEqual(
      expect.arrayContaining([{ code: 'colour', uri: 'urn:example:property#colour' }, { code: 'weight' }, { code: 'note' }]),
    );
    expect(declared(out)).toHaveLength(3);
  });

  it('named properties (by code or by uri) return just those', () => {
    const out = expand(withProps(['urn:example:property#colour', 'note']), [], [PCS]);
    expect(values(out)).toEqual({ p1: ['colour=red'], p2: ['note=light'], p3: [] });
    expect(declared(out).map((d) => d.code).sort()).toEqual(['colour', 'note']);
  });

  it('the R5 element is read as well as the R4 extension', () => {
    expect(values(expand(withProps(['weight'], true), [], [PCS]))).toEqual({ p1: ['weight=3'], p2: [], p3: [] });
  });

  it("the request's property parameters win over the value set's choice", () => {
    const out = expand(withProps(['*']), [{ name: 'property', valueString: 'note' }], [PCS]);
    expect(values(out)).toEqual({ p1: [], p2: ['note=light'], p3: [] });
  });

  it('without either, no properties are returned', () => {
    const out = expand(all(PCS.url!), [], [PCS]);
    expect(values(out)).toEqual({ p1: [], p2: [], p3: [] });
    expect(declared(out)).toEqual([]);
  });
});

// R4 $expand exclude-system: "Code system, or a particular version of a code system to be excluded
// from the value set expansion. The format is the same as a canonical URL: [system]|[version]"
describe('exclude-system', () => {
  const cs = (url: string, version: string, codes: string[]): CodeSystem => ({ resourceType: 'CodeSystem', url, version, status: 'active', content: 'complete', concept: codes.map((code) => ({ code, display: code.toUpperCase() })) });
  const A = 'urn:example:ex:a';
  const B = 'urn:example:ex:b';
  const tx = [cs(A, '1', ['a1', 'a2']), cs(A, '2', ['a1', 'a2', 'a3']), cs(B, '1', ['b1', 'b2'])];
  const child: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:ex:child', status: 'active', compose: { include: [{ system: A, version: '1' }, { system: B, concept: [{ code: 'b2' }] }] } };
  const mixed: ValueSet = {
    resourceType: 'ValueSet',
    url: 'urn:example:ex:mixed',
    status: 'active',
    compose: { include: [{ system: A, version: '2', filter: [{ property: 'concept', op: 'is-a', value: 'a3' }] }, { system: B, concept: [{ code: 'b1' }] }, { valueSet: [child.url!] }] },
  };
  const excluding = (...systems: string[]) => systems.map((s) => ({ name: 'exclude-system', valueCanonical: s }));
  const codes = (e: ValueSet) => (e.expansion!.contains ?? []).map((c) => `${c.system === A ? 'A' : 'B'}${c.version ? '|' + c.version : ''}#${c.code}`).sort();
  const used = (e: ValueSet) => (e.expansion!.parameter ?? []).filter((p) => p.name === 'used-codesystem').map((p) => p.valueUri);

  it('leaves out every code of the system named, however the value set selects it, imports too; total, used-codesystem and the echo agree', () => {
    expect(codes(expand(mixed, [], [...tx, child]))).toEqual(['A#a1', 'A#a2', 'A#a3', 'B#b1', 'B#b2']);
    const e = expand(mixed, excluding(B), [...tx, child]);
    expect(codes(e)).toEqual(['A#a1', 'A#a2', 'A#a3']);
    expect(e.expansion!.total).toBe(3);
    expect(used(e).some((u) => u?.startsWith(B))).toBe(false);
    expect(e.expansion!.parameter).toContainEqual({ name: 'exclude-system', valueUri: B });
    expect(codes(expand(mixed, excluding(A, B), [...tx, child]))).toEqual([]);
    // a value set given by its expansion alone
    const listed: ValueSet = { resourceType: 'ValueSet', status: 'active', expansion: { timestamp: '2026-01-01', contains: [{ system: A, code: 'a1' }, { system: B, code: 'b1' }] } };
    expect(codes(expand(listed, excluding(B)))).toEqual(['A#a1']);
  });

  it('with a version, leaves out that version alone', () => {
    const e = expand(mixed, excluding(`${A}|1`), [...tx, child]);
    // a1 and a2 came from A version 1 through the import; a3 from version 2 stays
    expect(codes(e)).toEqual(['A#a3', 'B#b1', 'B#b2']);
    expect(e.expansion!.parameter).toContainEqual({ name: 'exclude-system', valueUri: `${A}|1` });
    expect(codes(expand(mixed, excluding(`${A}|9`), [...tx, child]))).toHaveLength(5);
  });

  it('pages what is left: count and offset over the codes of the other systems', () => {
    const page = expand(all(A, '2'), [...excluding(B), { name: 'count', valueInteger: 2 }, { name: 'offset', valueInteger: 1 }], tx);
    expect([page.expansion!.total, codes(page)]).toEqual([3, ['A#a2', 'A#a3']]);
    expect(expand(all(A, '2'), [...excluding(A), { name: 'count', valueInteger: 2 }], tx).expansion!.total).toBe(0);
  });

  it('is refused when it names no system, and by $validate-code, which does not take it', () => {
    const refusal = (fn: () => unknown) => {
      try {
        fn();
      } catch (e: any) {
        return [e.httpStatus, e.issues[0].code];
      }
      return 'answered';
    };
    expect(refusal(() => expand(mixed, excluding('|1'), [...tx, child]))).toEqual([400, 'invalid']);
    expect(refusal(() => engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: mixed }, { name: 'system', valueUri: B }, { name: 'code', valueCode: 'b1' }, ...excluding(B)], txResources: [...tx, child] }))).toEqual([400, 'not-supported']);
  });
});

// R4 $expand designation: "A token that specifies a system+code that is either a use or a language.
// Designations that match by language or use are included in the expansion."
describe('the designation parameter', () => {
  const USE = 'urn:example:use';
  const CS: CodeSystem = {
    resourceType: 'CodeSystem', url: 'urn:example:designated', version: '1', status: 'active', content: 'complete',
    concept: [{ code: 'c', display: 'See', designation: [{ language: 'sv', value: 'Se' }, { language: 'de', value: 'Sieh' }, { language: 'en', use: { system: USE, code: 'short' }, value: 'C' }] }],
  };
  const values = (extra: ParametersParameter[]) => expand(all(CS.url!), extra, [CS]).expansion!.contains![0].designation?.map((d) => d.value) ?? [];
  const designation = (valueString: string) => ({ name: 'designation', valueString });

  it('takes a token: system|code, or a bare code of any system, naming a language or a use', () => {
    const withAll = [{ name: 'includeDesignations', valueBoolean: true }];
    expect(values(withAll)).toEqual(['Se', 'Sieh', 'C']);
    expect(values([...withAll, designation('urn:ietf:bcp:47|sv')])).toEqual(['Se']);
    expect(values([...withAll, designation('sv')])).toEqual(['Se']);
    expect(values([...withAll, designation(`${USE}|short`)])).toEqual(['C']);
    expect(values([...withAll, designation('short')])).toEqual(['C']);
    expect(values([...withAll, designation('urn:example:other|short')])).toEqual([]);
  });

  it('includes the designations it names without includeDesignations; includeDesignations=false still leaves them out', () => {
    expect(values([designation('de')])).toEqual(['Sieh']);
    expect(values([designation('de'), { name: 'includeDesignations', valueBoolean: false }])).toEqual([]);
    expect(values([])).toEqual([]);
  });
});
