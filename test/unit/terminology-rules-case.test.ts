import type { CodeSystem, ParametersParameter, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';

/**
 * A code system that is not case-sensitive (CodeSystem.caseSensitive = false) finds a code
 * whatever its case, however a value set selects it: the whole system, a concept list or a
 * filter. The code is in the value set, with an information issue naming the right case.
 */

const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
const cs = (url: string, caseSensitive: boolean): CodeSystem => ({
  resourceType: 'CodeSystem',
  url,
  version: '1',
  status: 'active',
  content: 'complete',
  caseSensitive,
  concept: [{ code: 'alpha', display: 'Alpha', concept: [{ code: 'beta', display: 'Beta' }] }, { code: 'gamma', display: 'Gamma' }],
});
const INSENSITIVE = cs('urn:example:cs:any-case', false);
const SENSITIVE = cs('urn:example:cs:exact-case', true);
const vs = (include: ValueSetComposeInclude): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:vs:case', status: 'active', compose: { include: [include] } });
const param = (out: ParametersParameter[], name: string): any => {
  const p = out.find((x) => x.name === name);
  return p && (Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] ?? p.resource);
};
const validate = (v: ValueSet, system: string, code: string) =>
  engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: v }, { name: 'coding', valueCoding: { system, code } }], txResources: [INSENSITIVE, SENSITIVE] });

describe('case: a value set over a code system that is not case-sensitive', () => {
  const selections: [string, (system: string) => ValueSetComposeInclude][] = [
    ['the whole system', (system) => ({ system })],
    ['a concept list', (system) => ({ system, concept: [{ code: 'beta' }] })],
    ['a filter', (system) => ({ system, filter: [{ property: 'concept', op: 'is-a', value: 'alpha' }] })],
  ];

  it.each(selections)('%s: a code in another case is in the value set, with the normal form and CODE_CASE_DIFFERENCE', (_, include) => {
    const out = validate(vs(include(INSENSITIVE.url!)), INSENSITIVE.url!, 'BETA');
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'normalized-code')).toBe('beta');
    expect(param(out, 'display')).toBe('Beta');
    const issues = param(out, 'issues').issue;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: 'information', code: 'business-rule', details: { coding: [{ code: 'code-rule' }] } });
    expect(issues[0].extension[0].valueString).toBe('CODE_CASE_DIFFERENCE');
  });

  it.each(selections)('%s: a case-sensitive system does not find the code in another case', (_, include) => {
    expect(param(validate(vs(include(SENSITIVE.url!)), SENSITIVE.url!, 'BETA'), 'result')).toBe(false);
  });

  it('a concept list still holds only its own codes, whatever the case', () => {
    expect(param(validate(vs({ system: INSENSITIVE.url, concept: [{ code: 'beta' }] }), INSENSITIVE.url!, 'GAMMA'), 'result')).toBe(false);
  });

  it('inferSystem finds the system of a listed code given in another case', () => {
    const out = engine.validateValueSetCode({
      parameters: [{ name: 'valueSet', resource: vs({ system: INSENSITIVE.url, concept: [{ code: 'beta' }] }) }, { name: 'code', valueCode: 'Beta' }, { name: 'inferSystem', valueBoolean: true }],
      txResources: [INSENSITIVE],
    });
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'system')).toBe(INSENSITIVE.url);
  });

  it('a concept list that writes the code in another case still names the concept', () => {
    expect(param(validate(vs({ system: INSENSITIVE.url, concept: [{ code: 'BETA' }] }), INSENSITIVE.url!, 'beta'), 'result')).toBe(true);
    expect(param(validate(vs({ system: SENSITIVE.url, concept: [{ code: 'BETA' }] }), SENSITIVE.url!, 'beta'), 'result')).toBe(false);
  });
});
