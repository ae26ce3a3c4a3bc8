import { codeSystem } from './support/fixtures';
import { Kodverk, raw, startKodverk } from './support/server';

/**
 * Point calls arriving together are handed to the worker threads in batches (call-batch.ts):
 * each request still gets its own answer, a refusal in a batch stays that request's own, and
 * the answers equal those of the same calls made one at a time.
 */
const SYSTEM = 'http://example.org/fhir/CodeSystem/batched';
const concepts = Array.from({ length: 40 }, (_, i) => ({ code: `c${i}`, display: `Concept ${i}` }));
let server: Kodverk;

beforeAll(async () => {
  server = await startKodverk({ workers: 2, security: { rateLimit: 0 } });
  await server.kit.update({ resourceType: 'CodeSystem', id: 'batched', body: codeSystem({ id: 'batched', url: SYSTEM, concept: concepts }) });
});
afterAll(() => server?.close());

const lookup = (code: string) => raw(server, `CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=${code}`);
const validate = (code: string, display: string) => raw(server, `CodeSystem/$validate-code?url=${encodeURIComponent(SYSTEM)}&code=${code}&display=${encodeURIComponent(display)}`);
const param = (answer: any, name: string) => answer.parameter.find((p: any) => p.name === name);

describe('point calls handed to the workers in batches', () => {
  it('requests made at once each get their own answer, identical to the one made alone', async () => {
    const alone = await lookup('c7');
    const codes = [...concepts.map((c) => c.code), 'missing', 'c7'];
    const answers = await Promise.all(codes.map((code) => lookup(code)));
    answers.forEach((a, i) => {
      if (codes[i] === 'missing') {
        expect(a.status).toBe(404);
        expect(a.json.resourceType).toBe('OperationOutcome');
      } else {
        expect(a.status).toBe(200);
        expect(param(a.json, 'display').valueString).toBe(`Concept ${codes[i].slice(1)}`);
      }
    });
    expect(answers[answers.length - 1].text).toBe(alone.text);
    expect(answers[answers.length - 1].headers.get('etag')).toBe(alone.headers.get('etag'));
  });

  it('$lookup and $validate-code mixed in one turn answer each their own question', async () => {
    const answers = await Promise.all(concepts.slice(0, 20).map((c, i) => (i % 2 ? lookup(c.code) : validate(c.code, i % 4 ? c.display : 'Wrong'))));
    answers.forEach((a, i) => {
      expect(a.status).toBe(200);
      if (i % 2) expect(param(a.json, 'display').valueString).toBe(concepts[i].display);
      else expect(param(a.json, 'result').valueBoolean).toBe(i % 4 !== 0);
    });
  });
});

describe('other calls handed to the workers a few at a time', () => {
  const VALUE_SET = 'http://example.org/fhir/ValueSet/batched';
  beforeAll(async () => {
    await server.kit.update({ resourceType: 'ValueSet', id: 'batched', body: { resourceType: 'ValueSet', id: 'batched', url: VALUE_SET, status: 'active', compose: { include: [{ system: SYSTEM }] } } });
  });
  const expand = (query: string) => raw(server, `ValueSet/$expand?url=${encodeURIComponent(VALUE_SET)}&${query}`);
  it('expansions made at once each get their own answer, identical to the one made alone; a refusal stays its own', async () => {
    const queries = [...Array.from({ length: 12 }, (_, i) => `count=3&offset=${i * 3}`), 'filter=Concept%201&count=5', 'count=-1', 'count=3&offset=9'];
    const alone = await Promise.all([queries[3], queries[12]].map((q) => expand(q)));
    const answers = await Promise.all(queries.map((q) => expand(q)));
    answers.forEach((a, i) => {
      if (queries[i] === 'count=-1') {
        expect(a.status).toBe(400);
        expect(a.json.resourceType).toBe('OperationOutcome');
        return;
      }
      expect(a.status).toBe(200);
      const offset = Number(/offset=(\d+)/.exec(queries[i])?.[1] ?? 0);
      if (!queries[i].startsWith('filter')) expect(a.json.expansion.contains.map((c: any) => c.code)).toEqual(concepts.slice(offset, offset + 3).map((c) => c.code));
    });
    expect(answers[3].json.expansion.contains).toEqual(alone[0].json.expansion.contains);
    expect(answers[12].json.expansion.contains).toEqual(alone[1].json.expansion.contains);
    expect(answers[14].json.expansion.contains).toEqual(answers[3].json.expansion.contains);
  });
});
