import type { CodeSystem, ParametersParameter, ValueSet, ValueSetComposeInclude, ValueSetComposeIncludeFilter } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { conceptsOf } from '../../src/importers/loader';

/**
 * Rules of value-set filters, expansion and validation on small made-up code systems, each one
 * the rule a family of the HL7 conformance tests illustrates, checked on variants of them.
 */

const vs = (url: string, include: ValueSetComposeInclude[]): ValueSet => ({ resourceType: 'ValueSet', url, status: 'active', compose: { include } });
const param = (out: ParametersParameter[], name: string): any => {
  const p = out.find((x) => x.name === name);
  return p && (Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] ?? p.resource);
};

describe("the 'inactive' concept property in filters is the concept's state, false by default", () => {
  // c2 is inactive by its status, c4 by an inactive property; c1 and c3 say nothing (so active)
  const CS: CodeSystem = {
    resourceType: 'CodeSystem', id: 'states', url: 'urn:example:states', version: '1', status: 'active', content: 'complete',
    property: [{ code: 'status', uri: 'http://hl7.org/fhir/concept-properties#status', type: 'code' }, { code: 'inactive', uri: 'http://hl7.org/fhir/concept-properties#inactive', type: 'boolean' }],
    concept: [
      { code: 'c1', display: 'One' },
      { code: 'c2', display: 'Two', property: [{ code: 'status', valueCode: 'retired' }] },
      { code: 'c3', display: 'Three', property: [{ code: 'inactive', valueBoolean: false }] },
      { code: 'c4', display: 'Four', property: [{ code: 'inactive', valueBoolean: true }] },
    ],
  };
  const filtered = (op: ValueSetComposeIncludeFilter['op'], value: string) => vs('urn:example:vs:inactive', [{ system: CS.url, filter: [{ property: 'inactive', op, value }] }]);

  const engines: [string, () => { engine: TerminologyEngine; tx: CodeSystem[] }][] = [
    ['sent with the request', () => ({ engine: new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:')))), tx: [CS] })],
    ['held by the server', () => {
      const store = new ResourceStore(openDatabase(':memory:'));
      const { stored } = store.put(CS);
      store.conceptStore().write(stored.pk, conceptsOf(CS));
      return { engine: new TerminologyEngine(new StoreResourceSource(store)), tx: [] };
    }],
  ];

  describe.each(engines)('a code system %s', (_, make) => {
    const { engine, tx } = make();
    const codes = (v: ValueSet, extra: ParametersParameter[] = []) => engine.expand({ parameters: [{ name: 'valueSet', resource: v }, ...extra], txResources: tx }).expansion!.contains?.map((c) => c.code) ?? [];

    it('inactive = true selects the inactive concepts, whether a status or the property says so', () => {
      expect(codes(filtered('=', 'true'))).toEqual(['c2', 'c4']);
      // a page of the expansion is the same selection
      expect(codes(filtered('=', 'true'), [{ name: 'count', valueInteger: 1 }])).toEqual(['c2']);
      expect(codes(filtered('=', 'false'), [{ name: 'offset', valueInteger: 1 }, { name: 'count', valueInteger: 5 }])).toEqual(['c3']);
    });

    it('inactive = false selects the active ones, with or without the property', () => {
      expect(codes(filtered('=', 'false'))).toEqual(['c1', 'c3']);
      expect(codes(filtered('in', 'false'))).toEqual(['c1', 'c3']);
      expect(codes(filtered('not-in', 'true'))).toEqual(['c1', 'c3']);
    });

    it('$validate-code reads the filter the same way', () => {
      const check = (code: string) => param(engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: filtered('=', 'false') }, { name: 'coding', valueCoding: { system: CS.url, code } }], txResources: tx }), 'result');
      expect(check('c1')).toBe(true);
      expect(check('c2')).toBe(false);
    });
  });
});

describe('$lookup: a property list names what is returned, definition and designations included', () => {
  const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
  const CS: CodeSystem = {
    resourceType: 'CodeSystem', url: 'urn:example:paint', version: '2', status: 'active', content: 'complete',
    property: [{ code: 'colour', type: 'code' }],
    concept: [{ code: 'p1', display: 'Paint one', definition: 'The first paint', designation: [{ language: 'de', value: 'Farbe eins' }], property: [{ code: 'colour', valueCode: 'red' }] }],
  };
  const SUPP: CodeSystem = {
    resourceType: 'CodeSystem', url: 'urn:example:paint-extra', version: '1', status: 'active', content: 'supplement', supplements: CS.url,
    property: [{ code: 'gloss', type: 'string' }],
    concept: [{ code: 'p1', property: [{ code: 'gloss', valueString: 'matt' }] }],
  };
  const lookup = (...extra: ParametersParameter[]) =>
    engine.lookup({ parameters: [{ name: 'system', valueUri: CS.url }, { name: 'code', valueCode: 'p1' }, ...extra], txResources: [CS, SUPP] });
  const names = (out: ParametersParameter[]) => out.map((p) => (p.name === 'property' ? `property:${p.part![0].valueCode}` : p.name));

  it('without a property list, everything: definition, abstract, designations, properties', () => {
    expect(names(lookup())).toEqual(['name', 'system', 'version', 'code', 'display', 'definition', 'abstract', 'designation', 'designation', 'property:inactive', 'property:colour']);
  });

  it("with a list, only what it names besides the code's identity and display", () => {
    expect(names(lookup({ name: 'property', valueCode: 'colour' }))).toEqual(['name', 'system', 'version', 'code', 'display', 'property:colour']);
    expect(names(lookup({ name: 'property', valueCode: 'definition' }, { name: 'property', valueCode: 'designation' }))).toEqual(['name', 'system', 'version', 'code', 'display', 'definition', 'designation', 'designation']);
    expect(names(lookup({ name: 'property', valueCode: '*' }))).toEqual(names(lookup()));
  });

  it('a supplement the request uses is reported as used, whatever it adds to the code', () => {
    const out = lookup({ name: 'useSupplement', valueCanonical: SUPP.url! }, { name: 'property', valueCode: 'gloss' });
    expect(names(out)).toEqual(['name', 'system', 'version', 'code', 'display', 'property:gloss', 'used-supplement']);
    expect(param(out, 'used-supplement')).toBe('urn:example:paint-extra|1');
    expect(names(lookup())).not.toContain('used-supplement');
  });
});

describe('compose.exclude of a value set is a membership question: one that does not take the code out leaves no trace', () => {
  // two versions of one code system; the newer one adds c3
  const V1: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:grow', version: '1.0.0', status: 'active', content: 'complete', concept: [{ code: 'c1', display: 'One (1)' }, { code: 'c2', display: 'Two (1)' }] };
  const V2: CodeSystem = { ...V1, version: '2.0.0', concept: [{ code: 'c1', display: 'One (2)' }, { code: 'c2', display: 'Two (2)' }, { code: 'c3', display: 'Three (2)' }] };
  const OLD: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:vs:grow-old', version: '1', status: 'active', compose: { include: [{ system: V1.url, version: '1.0.0' }] } };
  // the latest version, less what the old value set held: only c3
  const NEW_ONLY: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:vs:grow-new', version: '1', status: 'active', compose: { include: [{ system: V1.url }], exclude: [{ valueSet: [`${OLD.url}|1`] }] } };
  const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
  const tx = [V1, V2, OLD, NEW_ONLY];
  const validate = (code: string) => engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: NEW_ONLY.url }, { name: 'coding', valueCoding: { system: V1.url, code } }], txResources: tx });

  it('the expansion holds only the code the old version lacked', () => {
    const exp = engine.expand({ parameters: [{ name: 'url', valueUri: NEW_ONLY.url }], txResources: tx });
    expect(exp.expansion!.contains?.map((c) => c.code)).toEqual(['c3']);
  });

  it('an expansion less an imported value set reports no total (as the reference servers); an exclusion by code keeps it', () => {
    expect(engine.expand({ parameters: [{ name: 'url', valueUri: NEW_ONLY.url }], txResources: tx }).expansion!.total).toBeUndefined();
    expect(engine.expand({ parameters: [{ name: 'url', valueUri: NEW_ONLY.url }, { name: 'count', valueInteger: 0 }], txResources: tx }).expansion!.total).toBeUndefined();
    const BY_CODE: ValueSet = { ...NEW_ONLY, url: 'urn:example:vs:grow-less-c1', compose: { include: [{ system: V1.url }], exclude: [{ system: V1.url, concept: [{ code: 'c1' }] }] } };
    const exp = engine.expand({ parameters: [{ name: 'valueSet', resource: BY_CODE }], txResources: tx }).expansion!;
    expect(exp.total).toBe(2);
    expect(exp.contains?.map((c) => c.code)).toEqual(['c2', 'c3']);
  });

  it('$validate-code agrees: c3 is a member of the latest version, with no error from the excluded version that does not know it', () => {
    const out = validate('c3');
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'version')).toBe('2.0.0');
    expect(param(out, 'display')).toBe('Three (2)');
    expect(param(out, 'message')).toBeUndefined();
    expect(param(out, 'issues')).toBeUndefined();
  });

  it('a code the exclusion takes out is still refused', () => {
    const out = validate('c1');
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'message')).toContain('was not found in the value set');
  });
});

describe('$lookup follows the version rules of the request, as $expand and $validate-code do', () => {
  const V1: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:lookup-versions', version: '1.0.0', status: 'active', content: 'complete', concept: [{ code: 'a', display: 'A (1)' }] };
  const V2: CodeSystem = { ...V1, version: '1.2.0', concept: [{ code: 'a', display: 'A (2)' }, { code: 'b', display: 'B (2)' }] };
  const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
  const lookup = (...extra: ParametersParameter[]) =>
    engine.lookup({ parameters: [{ name: 'system', valueUri: V1.url }, { name: 'code', valueCode: 'a' }, ...extra], txResources: [V1, V2] });

  it('without a rule, the latest version', () => {
    expect(param(lookup(), 'version')).toBe('1.2.0');
  });

  it('system-version fills in a missing version; a stated version wins over it', () => {
    expect(param(lookup({ name: 'system-version', valueCanonical: `${V1.url}|1.0.0` }), 'display')).toBe('A (1)');
    expect(param(lookup({ name: 'system-version', valueCanonical: `${V1.url}|1.0.0` }, { name: 'version', valueString: '1.2.0' }), 'version')).toBe('1.2.0');
  });

  it('force-system-version wins over a stated version, wildcards included', () => {
    expect(param(lookup({ name: 'force-system-version', valueCanonical: `${V1.url}|1.0.0` }, { name: 'version', valueString: '1.2.0' }), 'version')).toBe('1.0.0');
    expect(param(lookup({ name: 'force-system-version', valueCanonical: `${V1.url}|1.0.x` }), 'display')).toBe('A (1)');
  });

  it('a version the rules name that is not held is not found; a check the version breaks is refused', () => {
    expect(() => lookup({ name: 'force-system-version', valueCanonical: `${V1.url}|9.9.9` })).toThrow(/version '9.9.9' could not be found/);
    expect(() => lookup({ name: 'check-system-version', valueCanonical: `${V1.url}|1.0.x` }, { name: 'version', valueString: '1.2.0' })).toThrow(/not allowed/);
  });
});

describe('a version rule names a system and a version: either missing is refused', () => {
  const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
  const CS: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:rule-shape', version: '1', status: 'active', content: 'complete', concept: [{ code: 'a' }] };
  const expand = (p: ParametersParameter) => engine.expand({ parameters: [{ name: 'valueSet', resource: vs('urn:example:vs:rule-shape', [{ system: CS.url }]) }, p], txResources: [CS] });

  it.each(['system-version', 'check-system-version', 'force-system-version', 'default-valueset-version'])('%s without a system or without a version', (name) => {
    expect(() => expand({ name, valueCanonical: '|1' })).toThrow(/expected system\|version/);
    expect(() => expand({ name, valueCanonical: `${CS.url}|` })).toThrow(/expected system\|version/);
    expect(expand({ name, valueCanonical: `${CS.url}|1` }).expansion?.total).toBe(1);
  });
});

describe('ValueSet.compose.property (R5; R4: its cross-version extension) names the properties $expand returns', () => {
  const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
  const COMPOSE_PROPERTY = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.compose.property';
  const EXP_PROPERTY = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.property';
  const CONTAINS_PROPERTY = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ValueSet.expansion.contains.property';
  const CS: CodeSystem = {
    resourceType: 'CodeSystem', url: 'urn:example:props', version: '1', status: 'active', content: 'complete',
    property: [
      { code: 'colour', uri: 'http://example.org/props#colour', type: 'code' },
      { code: 'size', type: 'integer' },
    ],
    concept: [
      { code: 'a', display: 'A', property: [{ code: 'colour', valueCode: 'red' }] },
      { code: 'b', display: 'B', property: [{ code: 'size', valueInteger: 3 }, { code: 'colour', valueCode: 'blue' }] },
      { code: 'c', display: 'C' },
    ],
  };
  const withExtension = (...props: string[]): ValueSet => ({ ...vs('urn:example:vs:props', [{ system: CS.url }]), compose: { include: [{ system: CS.url }], extension: props.map((p) => ({ url: COMPOSE_PROPERTY, valueCode: p })) } });
  const expand = (v: ValueSet, extra: ParametersParameter[] = []) => engine.expand({ parameters: [{ name: 'valueSet', resource: v }, ...extra], txResources: [CS] }).expansion!;
  const declared = (e: any) => (e.extension ?? []).filter((x: any) => x.url === EXP_PROPERTY).map((x: any) => Object.fromEntries(x.extension.map((s: any) => [s.url, s.valueCode ?? s.valueUri])));
  const props = (e: any) => Object.fromEntries((e.contains ?? []).map((c: any) => [c.code, (c.extension ?? []).filter((x: any) => x.url === CONTAINS_PROPERTY).map((x: any) => {
    const v = x.extension.find((s: any) => s.url === 'value');
    return [x.extension.find((s: any) => s.url === 'code').valueCode, v.valueCode ?? v.valueInteger];
  })]));

  it("'*' returns every property each code has, declared once with the code system's uri where it gives one", () => {
    const e = expand(withExtension('*'));
    expect(props(e)).toEqual({ a: [['colour', 'red']], b: [['size', 3], ['colour', 'blue']], c: [] });
    expect(declared(e)).toEqual(expect.arrayContaining([{ code: 'colour', uri: 'http://example.org/props#colour' }, { code: 'size' }]));
    expect(declared(e)).toHaveLength(2);
  });

  it('named properties (by code or by uri) return only those; the R5 element works as the extension does', () => {
    expect(props(expand(withExtension('size')))).toEqual({ a: [], b: [['size', 3]], c: [] });
    expect(props(expand(withExtension('http://example.org/props#colour')))).toEqual({ a: [['colour', 'red']], b: [['colour', 'blue']], c: [] });
    const r5 = { ...vs('urn:example:vs:props-r5', [{ system: CS.url }]), compose: { include: [{ system: CS.url }], property: ['size'] } } as ValueSet;
    expect(props(expand(r5))).toEqual({ a: [], b: [['size', 3]], c: [] });
    expect(declared(expand(r5))).toEqual([{ code: 'size' }]);
  });

  it("they apply when the client names no property: the request's property parameter wins; none at all returns none", () => {
    expect(props(expand(withExtension('size'), [{ name: 'property', valueString: 'colour' }]))).toEqual({ a: [['colour', 'red']], b: [['colour', 'blue']], c: [] });
    const plain = expand(vs('urn:example:vs:plain-props', [{ system: CS.url }]));
    expect(props(plain)).toEqual({ a: [], b: [], c: [] });
    expect(declared(plain)).toEqual([]);
    // not echoed as an expansion parameter: the client did not send it
    expect((expand(withExtension('*')).parameter ?? []).map((p) => p.name)).not.toContain('property');
  });
});
