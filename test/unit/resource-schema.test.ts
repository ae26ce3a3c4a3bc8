import { SchemaValidator } from '../../src/terminology/resource-schema';

/**
 * The official FHIR R4 JSON schema as the server applies it: an element is an object (the schema
 * leaves "type": "object" out, so null, numbers and strings passed where an element was due), and
 * null is still the placeholder FHIR JSON allows in the `_name` array of a repeating primitive.
 */
describe('the FHIR R4 schema check', () => {
  const schema = new SchemaValidator();
  const parameters = (parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });

  it('refuses null, a number or a string where an element is due', () => {
    for (const item of [null, 1, 'x', [null]]) expect(() => schema.check(parameters([item]))).toThrow();
    expect(() => schema.check({ resourceType: 'ValueSet', status: 'active', compose: { include: [null] } })).toThrow();
    expect(() => schema.check({ resourceType: 'CodeSystem', status: 'active', content: 'complete', concept: [{ code: 'a' }, 1] })).toThrow();
  });

  it('takes null as the placeholder in a primitive array\'s extensions ("_given": [null, {...}])', () => {
    const name = { given: ['A', 'B'], _given: [null, { id: 'second' }] };
    expect(() => schema.check(parameters([{ name: 'n', valueHumanName: name }]))).not.toThrow();
    // but not where the primitives themselves are
    expect(() => schema.check(parameters([{ name: 'n', valueHumanName: { given: [null, 'B'] } }]))).toThrow();
  });
});
