import type { CodeSystem, ConceptMap, NamingSystem, ValueSet } from 'fhir/r4';

/** Small resources for the integration tests; `over` replaces top-level elements. */

export const COLOURS = 'http://example.org/fhir/CodeSystem/colours';
export const SHAPES = 'http://example.org/fhir/CodeSystem/shapes';

/** The metadata every fixture starts from. */
const common = { version: '1.0.0', status: 'active' as const, publisher: 'Acme Terminology' };

export function codeSystem(over: Partial<CodeSystem> = {}): CodeSystem {
  return {
    resourceType: 'CodeSystem',
    ...common,
    url: COLOURS,
    name: 'Colours',
    title: 'Colour codes',
    content: 'complete',
    concept: [
      { code: 'red', display: 'Red' },
      { code: 'green', display: 'Green' },
    ],
    ...over,
  };
}

export function valueSet(over: Partial<ValueSet> = {}): ValueSet {
  return {
    resourceType: 'ValueSet',
    ...common,
    url: 'http://example.org/fhir/ValueSet/colours',
    name: 'AllColours',
    title: 'All colours',
    compose: { include: [{ system: COLOURS }] },
    ...over,
  };
}

export function conceptMap(over: Partial<ConceptMap> = {}): ConceptMap {
  return {
    resourceType: 'ConceptMap',
    ...common,
    url: 'http://example.org/fhir/ConceptMap/colours-to-shapes',
    name: 'ColoursToShapes',
    title: 'Colours to shapes',
    group: [
      {
        source: COLOURS,
        target: SHAPES,
        element: [{ code: 'red', target: [{ code: 'circle', equivalence: 'equivalent' }] }],
      },
    ],
    ...over,
  };
}

export function namingSystem(over: Partial<NamingSystem> = {}): NamingSystem {
  return {
    resourceType: 'NamingSystem',
    status: common.status,
    publisher: common.publisher,
    name: 'ColoursNamingSystem',
    kind: 'codesystem',
    date: '2024-01-01',
    uniqueId: [
      { type: 'oid', value: '1.2.3.4.99', preferred: false },
      { type: 'uri', value: COLOURS, preferred: true },
    ],
    ...over,
  };
}
