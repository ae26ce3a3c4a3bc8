import fc from 'fast-check';
import { JsonScan, countParameters, scanJson } from '../../src/http/limits';
import { TerminologyError } from '../../src/terminology/issues';

/**
 * The request-body scan (JsonScan) is fed the body in the pieces the network delivers, so a piece
 * may end anywhere: inside a string, right after a backslash, inside a multi-byte character, in
 * the middle of the "parameter" key. Whatever the cuts, it must count exactly what one pass over
 * the whole text counts, and stop at the same limit. Seeded, so CI sees the same cases each run.
 */

const seed = Number(process.env.FUZZ_SEED ?? 20261205);
const runs = (n: number) => ({ seed, numRuns: Math.round(n * Number(process.env.FUZZ_RUNS_FACTOR ?? 1)) });

/** Strings full of what a scan must not take for structure: quotes, backslashes, brackets, "parameter". */
const tricky = fc.oneof(
  fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', ':', 'a', 'ä', '€', '𝄞', ' ', '\n', 'parameter', 'part'), maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constant('parameter'),
  fc.constant('part'),
);
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tricky,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('v'), { maxKeys: 4 }),
  ),
})).v;
const otherKey = tricky.filter((k) => k !== 'parameter' && k !== 'resourceType');
/** A Parameters body (the top-level "parameter" array, among other keys and strings that look like it). */
const parametersBody = fc
  .record({
    before: fc.dictionary(otherKey, value, { maxKeys: 3 }),
    parameter: fc.array(fc.oneof(fc.dictionary(tricky, value, { maxKeys: 3 }), fc.array(value, { maxLength: 3 })), { maxLength: 40 }),
    after: fc.dictionary(otherKey, value, { maxKeys: 3 }),
  })
  .map(({ before, parameter, after }) => JSON.stringify({ resourceType: 'Parameters', ...before, parameter, ...after }));
const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom('"', '\\', '[', ']', '{', '}', ',', 'parameter', ':', 'x'), maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
);
const anyText = fc.oneof(parametersBody, value.map((v) => JSON.stringify(v) ?? 'null'), hostile);

/** The text's bytes cut at the given points (anywhere, a multi-byte character or an escape too). */
function cut(bytes: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const p of [...at, bytes.length]) {
    pieces.push(bytes.subarray(from, p));
    from = p;
  }
  return pieces;
}

function scanPieces(pieces: Buffer[], maxDepth = Infinity, maxParameters = Infinity): { depth: number; parameters: number; passed: boolean; refusal?: string } {
  const scan = new JsonScan(maxDepth, maxParameters);
  let passed = false;
  for (const piece of pieces) {
    if (!scan.write(piece)) {
      passed = true;
      break;
    }
  }
  return { depth: scan.depth, parameters: scan.parameters, passed, refusal: scan.refusal()?.message };
}

describe('the request-body scan, fed in pieces', () => {
  it('counts what one pass over the whole text counts, wherever the pieces end', () => {
    fc.assert(
      fc.property(anyText, fc.array(fc.nat(), { maxLength: 12 }), (text, points) => {
        const bytes = Buffer.from(text);
        expect(scanPieces(cut(bytes, points))).toEqual({ ...scanJson(bytes), passed: false });
      }),
      runs(3000),
    );
  });

  it('one byte at a time too', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const bytes = Buffer.from(text);
        expect(scanPieces([...bytes].map((b) => Buffer.from([b])))).toEqual({ ...scanJson(bytes), passed: false });
      }),
      runs(500),
    );
  });

  it('stops at the same limit, with the same refusal, wherever the pieces end', () => {
    fc.assert(
      fc.property(anyText, fc.array(fc.nat(), { maxLength: 12 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 20 }), (text, points, maxDepth, maxParameters) => {
        const bytes = Buffer.from(text);
        const whole = scanPieces([bytes], maxDepth, maxParameters);
        expect(scanPieces(cut(bytes, points), maxDepth, maxParameters)).toEqual(whole);
        expect(whole.passed).toBe(whole.depth > maxDepth || whole.parameters > maxParameters);
        expect(whole.passed).toBe(whole.refusal !== undefined);
      }),
      runs(2000),
    );
  });

  it('counts a Parameters body exactly, whatever its strings hold', () => {
    fc.assert(
      fc.property(parametersBody, fc.array(fc.nat(), { maxLength: 8 }), (text, points) => {
        expect(scanPieces(cut(Buffer.from(text), points)).parameters).toBe(countParameters(JSON.parse(text)));
      }),
      runs(1000),
    );
  });

  it('an escaped quote split from its backslash is still inside the string', () => {
    const scan = new JsonScan();
    for (const piece of ['{"resourceType":"Parameters","x":"a\\', '"[[[{{', '","parameter":[{}', ',{"name":"\\\\"}', ',[]]}']) scan.write(Buffer.from(piece));
    expect([scan.depth, scan.parameters]).toEqual([3, 3]);
  });

  it('a key "parameter" split across pieces is still the parameter array; one at another depth too', () => {
    const pieces = (...texts: string[]) => scanPieces(texts.map((t) => Buffer.from(t)));
    expect(pieces('{"resourceType":"Parameters","para', 'meter":[{},', '{}]}').parameters).toBe(2);
    expect(pieces('{"x":{"parameter":[{},{}]}}').parameters).toBe(2);
    expect(pieces('{"parameters":[{},{}],"parameter":"x","x":["parameter",["part"]]}').parameters).toBe(0);
    // every element counts, whatever it is
    expect(pieces('{"parameter":[null, 1 ,"x",[],{}]}').parameters).toBe(5);
    expect(pieces('{"parameter":[ ]}').parameters).toBe(0);
  });

  // README: parameters are limited and every parameter is read in linear time: a parameter's parts
  // are parameters too, so 200,000 parts under one parameter are refused as early as 200,000 parameters
  it('counts the parts of parameters at every depth against the same limit', () => {
    const pieces = (...texts: string[]) => scanPieces(texts.map((t) => Buffer.from(t)));
    expect(pieces('{"parameter":[{"name":"x","part":[{"name":"a"},{"name":"b","pa', 'rt":[{},{}]}]}]}').parameters).toBe(5);
    const parts = Buffer.from(JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'code', valueCode: 'male' }, { name: 'x', part: Array.from({ length: 200_000 }, () => ({ name: 'property', valueCode: 'display' })) }] }));
    const scan = new JsonScan(100, 1000);
    expect(scan.write(parts.subarray(0, 64 * 1024))).toBe(false);
    expect(scan.parameters).toBe(1001);
  });

  // JSON.parse reads "param\u0065ter" as "parameter": so must the scan, or the escape is a way past it
  it('reads a key with escapes as JSON.parse does, even split inside the escape', () => {
    const pieces = (...texts: string[]) => scanPieces(texts.map((t) => Buffer.from(t)));
    for (const key of ['param\\u0065ter', '\\u0070\\u0061\\u0072\\u0074', 'par\\u0074', 'parameter']) {
      const text = `{"${key}":[{},{},{}]}`;
      expect([key, countParameters(JSON.parse(text))]).toEqual([key, 3]);
      expect([key, pieces(text).parameters]).toEqual([key, 3]);
      for (let at = 1; at < text.length; at++) expect([key, at, pieces(text.slice(0, at), text.slice(at)).parameters]).toEqual([key, at, 3]);
    }
    for (const key of ['param\\u0045ter', 'param\\nter', 'parameter\\u0000', 'p\\u00e4rt']) expect([key, pieces(`{"${key}":[{},{}]}`).parameters]).toEqual([key, 0]);
    const escaped = Buffer.from('{"resourceType":"Parameters","param\\u0065ter":[' + Array.from({ length: 5000 }, () => '{"name":"p"}').join(',') + ']}');
    const scan = new JsonScan(100, 10);
    expect(scan.write(escaped)).toBe(false);
    expect(scan.parameters).toBe(11);
  });

  it('stops as soon as a limit is passed: the refusals name the setting', () => {
    const many = Buffer.from(JSON.stringify({ resourceType: 'Parameters', parameter: Array.from({ length: 5000 }, () => ({ name: 'property', valueCode: 'x' })) }));
    const scan = new JsonScan(100, 10);
    expect(scan.write(many.subarray(0, 1000))).toBe(false);
    expect(scan.parameters).toBe(11);
    expect(scan.write(many.subarray(1000))).toBe(false);
    expect(scan.parameters).toBe(11);
    const refusal = scan.refusal()!;
    expect(refusal).toBeInstanceOf(TerminologyError);
    expect([refusal.httpStatus, refusal.issues[0].code, refusal.message]).toEqual([400, 'too-costly', 'The request has more than 10 parameters; this server takes at most 10 (KODVERK_MAX_PARAMETERS)']);
    const deep = new JsonScan(100);
    expect(deep.write(Buffer.from('['.repeat(50_000)))).toBe(false);
    expect(deep.depth).toBe(101);
    expect([deep.refusal()!.issues[0].code, deep.refusal()!.message]).toEqual(['too-long', 'The JSON is nested deeper than 100 levels (KODVERK_MAX_JSON_DEPTH)']);
  });
});
