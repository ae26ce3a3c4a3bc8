/** Answers serialised once where they are made, with an entity tag of their content alone. */
import fc from 'fast-check';
import { answerText } from '../../src/terminology/answer-text';

const expansion = (identifier: string | undefined, timestamp: string | undefined, rest: Record<string, unknown>) => ({
  resourceType: 'ValueSet',
  url: 'https://kodverk.se/vs',
  expansion: { ...(timestamp !== undefined ? { timestamp } : {}), ...rest, ...(identifier !== undefined ? { identifier } : {}) },
});

describe('answerText', () => {
  it('writes the answer as it is (same JSON value) and tags equal content equally, whatever the identifier and timestamp', () => {
    const rest = fc.dictionary(fc.constantFrom('total', 'offset', 'contains', 'parameter', 'extension'), fc.jsonValue());
    fc.assert(
      fc.property(fc.option(fc.uuid()), fc.option(fc.uuid()), fc.option(fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), rest, (id1, id2, ts, r) => {
        const a = expansion(id1 === null ? undefined : `urn:uuid:${id1}`, ts ?? undefined, r);
        const b = expansion(id2 === null ? undefined : `urn:uuid:${id2}`, '2030-01-01T00:00:00.000Z', r);
        const ta = answerText(a);
        expect(JSON.parse(ta.json)).toEqual(JSON.parse(JSON.stringify(a)));
        if ((id1 === null) === (id2 === null)) expect(ta.tag).toBe(answerText(b).tag);
      }),
      { numRuns: 300 },
    );
  });

  it('tags different content differently, and any other answer by its whole text', () => {
    const a = answerText(expansion('urn:uuid:1', 't', { total: 1 }));
    expect(answerText(expansion('urn:uuid:2', 'u', { total: 2 })).tag).not.toBe(a.tag);
    expect(answerText([{ name: 'result', valueBoolean: true }]).tag).not.toBe(answerText([{ name: 'result', valueBoolean: false }]).tag);
    expect(answerText([{ name: 'display', valueString: '"expansion":{' }]).json).toBe('[{"name":"display","valueString":"\\"expansion\\":{"}]');
    expect(answerText(expansion('urn:uuid:1', 't', {})).tag).toBe(answerText(expansion('urn:uuid:9', 'x', {})).tag);
  });
});
