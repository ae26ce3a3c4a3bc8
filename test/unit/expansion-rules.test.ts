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
  it('say they draw on a fragment (used-fragment, unclosed with the reason) and keep their total and hierarchy', () => {
    const exp = expand(all(FRAG), [], [fragment]).expansion!;
    expect(exp.parameter).toEqual(expect.arrayContaining([{ name: 'used-fragment', valueUri: `${FRAG}|1` }]));
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
