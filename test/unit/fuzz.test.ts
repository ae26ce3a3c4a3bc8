import path from 'node:path';
import fc from 'fast-check';
import type { CodeSystem, ParametersParameter } from 'fhir/r4';
import { OperationInput } from '../../src/fhir/parameters';
import { lookupOperation } from '../../src/fhir/operations/lookup';
import { jsonDepth, queryParser, scanJson } from '../../src/http/limits';
import { ResourceStore } from '../../src/store/resource-store';
import { ResourceLoader } from '../../src/importers/loader';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { TxParameters } from '../../src/terminology/params';
import { ICF_URL } from '../../src/terminology/providers/icf';
import { EclSyntaxError, parseEcl } from '../../src/terminology/snomed/ecl-parser';
import { ExpressionSyntaxError, parseExpression, renderExpression } from '../../src/terminology/snomed/expression';
import { MAX_NESTING } from '../../src/terminology/snomed/scanner';
import { compareVersions, latestVersion } from '../../src/terminology/versions';
import { SubmissionFormatError, SubmissionReader } from '../../src/nim/validation/submission-reader';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

afterAll(removeTempStores);

/**
 * Property-based tests (fast-check) of everything that reads what a client sends: the operation
 * parameter reader, Parameters bodies through the engine, the ECL and expression parsers, ICF
 * qualifier syntax, the submission reader and version comparison. Each must answer or refuse
 * with its own error type, never fail otherwise or overflow its stack. The seed is fixed so CI
 * sees the same cases every run; FUZZ_SEED and FUZZ_RUNS explore others.
 */

const seed = Number(process.env.FUZZ_SEED ?? 20261205);
const runs = (n: number) => ({ seed, numRuns: Math.round(n * Number(process.env.FUZZ_RUNS_FACTOR ?? 1)) });

/** Runs fn; an error of one of the expected classes is a refusal, anything else fails the test. */
function answersOrRefuses<T, E extends Error>(fn: () => T, ...refusals: (new (...args: any[]) => E)[]): T | E {
  try {
    return fn();
  } catch (e) {
    if (refusals.some((r) => e instanceof r)) return e as E;
    throw e;
  }
}

/** Text a client might send: any unicode, escapes, brackets and separators in odd places. */
const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('%', 'E', '0', 'A', '4', '&', '=', '+', '[', ']', '{', '}', '(', ')', '"', '\\', ';', '\n', '|', ':', '.', '<', '>', '^', ' '), maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
);

describe('the query-string parser', () => {
  it('parses any text flat and linearly, refusing only too many parameters', () => {
    const parse = queryParser(50);
    fc.assert(
      fc.property(hostileText, (q) => {
        const out = answersOrRefuses(() => parse(q), TerminologyError);
        const count = [...new URLSearchParams(q)].length;
        if (out instanceof Error) return expect(count).toBeGreaterThan(50);
        const values = Object.values(out).reduce((n, v) => n + (Array.isArray(v) ? v.length : 1), 0);
        expect(values).toBe(count);
        for (const v of Object.values(out)) for (const x of [v].flat()) expect(typeof x).toBe('string');
      }),
      runs(2000),
    );
  });

  it('keeps every value of a repeated name, in order, however often it repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 200 }), (values) => {
        const q = values.map((v) => `property=${encodeURIComponent(v)}`).join('&');
        expect(queryParser(1000)(q).property).toEqual(values);
      }),
      runs(300),
    );
  });

  it('gives prototype names no special meaning', () => {
    const out = queryParser(10)('__proto__=x&constructor=y&hasOwnProperty=z');
    expect(Object.keys(out).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty']);
    expect(({} as any).x).toBeUndefined();
  });
});

describe('the JSON depth check', () => {
  const depthOf = (v: unknown): number => (v !== null && typeof v === 'object' ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);

  it('counts the nesting of any JSON exactly, strings with brackets and escapes being no nesting', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), (v) => {
        expect(jsonDepth(JSON.stringify(v))).toBe(depthOf(v));
      }),
      runs(2000),
    );
  });

  it('counts the parameters (objects) of a Parameters body exactly, whatever else it holds', () => {
    const body = fc.record({ resourceType: fc.constant('Parameters'), id: fc.string(), meta: fc.jsonValue({ maxDepth: 3 }), parameter: fc.array(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 })), { maxLength: 30 }) });
    fc.assert(fc.property(body, (b) => void expect(scanJson(JSON.stringify(b)).parameters).toBe(b.parameter.length)), runs(1000));
  });

  it('never fails on text that is not JSON', () => {
    fc.assert(fc.property(hostileText, (t) => void expect(jsonDepth(t)).toBeGreaterThanOrEqual(0)), runs(1000));
  });
});

describe('the operation parameter reader', () => {
  const declared = lookupOperation.parameters;
  const names = fc.constantFrom(...declared.map((d) => d.name), 'activeOnly', 'count', 'offset', 'filter', 'abstract', 'exclude-system', 'x', '_format', 'constructor');
  const query = fc.dictionary(names, fc.oneof(hostileText, fc.array(hostileText, { maxLength: 30 })), { maxKeys: 12 });

  it('types any query or refuses it with a 400, and refuses a single-valued name given twice', () => {
    fc.assert(
      fc.property(query, (q) => {
        const read = answersOrRefuses(() => OperationInput.fromQuery(q, declared).requireSingleValues(declared), TerminologyError);
        const single = new Set(declared.filter((d) => d.max !== '*').map((d) => d.name));
        const repeated = Object.entries(q).some(([n, v]) => single.has(n) && Array.isArray(v) && v.length > 1);
        if (read instanceof TerminologyError) return expect(read.httpStatus).toBe(400);
        expect(repeated).toBe(false);
        answersOrRefuses(() => new TxParameters(false).readAll(read.entries), TerminologyError);
      }),
      runs(2000),
    );
  });
});

/** The code systems every server knows (providers of their own, fed the same hostile codes). */
const BUILT_IN_SYSTEMS = ['http://unitsofmeasure.org', 'urn:ietf:bcp:47', 'urn:iso:std:iso:3166', 'urn:iso:std:iso:4217', 'urn:ietf:bcp:13'];

/** A Parameters parameter of any shape: value[x] of several types, parts nested a few levels. */
const parameter: fc.Arbitrary<ParametersParameter> = fc.letrec<{ p: ParametersParameter }>((tie) => ({
  p: fc.record(
    {
      name: fc.constantFrom('url', 'system', 'code', 'version', 'coding', 'codeableConcept', 'display', 'property', 'designation', 'displayLanguage', 'activeOnly', 'count', 'offset', 'filter', 'system-version', 'force-system-version', 'tx-resource', 'valueSet', 'x'),
      valueString: hostileText,
      valueCode: fc.oneof(fc.constantFrom('red', 'green', 'b1300.2', 'd4500.23', '', '*', 'mg/dL', 'sv-SE', 'SE', 'SEK', 'text/plain'), hostileText),
      valueUri: fc.constantFrom('http://example.org/colours', ICF_URL, 'http://example.org/colours|1.0.0', 'urn:oid:1.2.3', '', ...BUILT_IN_SYSTEMS),
      valueBoolean: fc.boolean(),
      valueInteger: fc.integer({ min: -5, max: 100000 }),
      valueCoding: fc.record({ system: fc.constantFrom('http://example.org/colours', ICF_URL, 'x', ...BUILT_IN_SYSTEMS), code: fc.oneof(fc.constantFrom('red', 'b1300.8', ''), hostileText) }, { requiredKeys: [] }),
      part: fc.array(tie('p'), { maxLength: 3 }),
      resource: fc.constantFrom({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'http://example.org/colours' }] } }, { resourceType: 'CodeSystem', status: 'active', content: 'complete' }),
    },
    { requiredKeys: ['name'] },
  ) as fc.Arbitrary<ParametersParameter>,
})).p;

const colours: CodeSystem = {
  resourceType: 'CodeSystem',
  id: 'colours',
  url: 'http://example.org/colours',
  version: '1.0.0',
  status: 'active',
  content: 'complete',
  concept: [
    { code: 'red', display: 'Red' },
    { code: 'green', display: 'Green', concept: [{ code: 'lime', display: 'Lime' }] },
  ],
};

/** A small ICF (one category per component with a child) in the importer's shape. */
const category = (code: string, display: string, concept?: CodeSystem['concept']) => ({ code, display, property: [{ code: 'kodniva', valueCode: 'kategori' }], concept });
const icf: CodeSystem = {
  resourceType: 'CodeSystem',
  id: 'icf',
  url: ICF_URL,
  version: '2025',
  status: 'active',
  content: 'complete',
  hierarchyMeaning: 'is-a',
  property: [{ code: 'kodniva', type: 'code' }],
  concept: [
    { code: 'b', display: 'Kroppsfunktioner', concept: [{ code: 'b1', display: 'Psykiska funktioner', concept: [category('b130', 'Energi', [category('b1300', 'Energinivå')])] }] },
    { code: 'd', display: 'Aktiviteter', concept: [{ code: 'd4', display: 'Förflyttning', concept: [category('d450', 'Att gå', [category('d4500', 'Kortare sträckor')])] }] },
    { code: 'e', display: 'Omgivningsfaktorer', concept: [{ code: 'e3', display: 'Stöd', concept: [category('e310', 'Närfamilj')] }] },
    { code: 's', display: 'Kroppsstrukturer', concept: [{ code: 's7', display: 'Rörelse', concept: [category('s750', 'Nedre extremitet', [category('s7501', 'Underben')])] }] },
  ],
};

describe('the engine, fed any Parameters', () => {
  let engine: TerminologyEngine;
  beforeAll(() => {
    const db = openTempDatabase(path.join(tempDir('kodverk-fuzz-'), 'store.db'));
    const store = new ResourceStore(db);
    new ResourceLoader(db, store).load([colours, icf]);
    engine = new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes: 1000 });
  });

  it.each(['lookup', 'validateCodeSystemCode', 'validateValueSetCode', 'expand', 'subsumes', 'translate'] as const)('%s answers or refuses with an OperationOutcome error, and writes nothing to the console', (method) => {
    // the server's stdout holds its JSON log lines and nothing a client sent
    const console$ = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m));
    try {
      fc.assert(
        fc.property(fc.array(parameter, { maxLength: 8 }), (parameters) => {
          const txResources = parameters.filter((p) => p.name === 'tx-resource' && p.resource).map((p) => p.resource);
          answersOrRefuses(() => (engine[method] as (r: unknown) => unknown).call(engine, { parameters, txResources }), TerminologyError);
        }),
        runs(300),
      );
      for (const spy of console$) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of console$) spy.mockRestore();
    }
  });

  it.each(BUILT_IN_SYSTEMS)('%s: any code is looked up, validated and checked against a display, and nothing reaches the console', (system) => {
    const console$ = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => jest.spyOn(console, m));
    try {
      fc.assert(
        fc.property(hostileText, fc.option(hostileText, { nil: undefined }), (code, display) => {
          const parameters: ParametersParameter[] = [{ name: 'url', valueUri: system }, { name: 'code', valueCode: code }, ...(display === undefined ? [] : [{ name: 'display', valueString: display }])];
          answersOrRefuses(() => engine.validateCodeSystemCode({ parameters, txResources: [] }), TerminologyError);
          answersOrRefuses(() => engine.lookup({ parameters: [{ name: 'system', valueUri: system }, { name: 'code', valueCode: code }], txResources: [] }), TerminologyError);
        }),
        runs(300),
      );
      for (const spy of console$) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of console$) spy.mockRestore();
    }
  });

  describe('ICF qualifier syntax', () => {
    const validate = (code: string) => {
      const out = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: ICF_URL }, { name: 'code', valueCode: code }], txResources: [] });
      return out.find((p: ParametersParameter) => p.name === 'result')?.valueBoolean;
    };
    /** The rules for the components whose scales are the same at every position. */
    const SCALE: Record<string, Record<string, { max: number; digits: string }>> = {
      b: { '.': { max: 1, digits: '0123489' } },
      d: { '.': { max: 4, digits: '0123489' } },
      e: { '.': { max: 1, digits: '0123489' }, '+': { max: 1, digits: '012348' } },
    };

    it('accepts exactly the qualified codes the rules allow, and answers any other text', () => {
      const code = fc.tuple(fc.constantFrom('b1300', 'd4500', 'e310', 'b130', 'd450'), fc.constantFrom('.', '+'), fc.string({ unit: fc.constantFrom('0', '1', '2', '3', '4', '5', '7', '8', '9', 'x'), maxLength: 6 }));
      fc.assert(
        fc.property(code, ([base, sep, digits]) => {
          const rule = SCALE[base[0]][sep];
          const valid = !!rule && digits.length > 0 && digits.length <= rule.max && [...digits].every((d) => rule.digits.includes(d));
          expect(validate(base + sep + digits)).toBe(valid);
        }),
        runs(1500),
      );
      fc.assert(fc.property(hostileText, (t) => void expect(typeof validate(`s7501${t}`)).toBe('boolean')), runs(500));
    });
  });
});

describe('the ECL parser', () => {
  const sctid = fc.constantFrom('404684003', '363698007', '39057004', '123037004', '900000000000497000');
  /** ECL from the grammar: hierarchy operators, brackets, AND/OR/MINUS, refinements, groups. */
  const ecl: fc.Arbitrary<string> = fc.letrec<{ c: string; sub: string; ref: string }>((tie) => ({
    sub: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.tuple(fc.constantFrom('', '<', '<<', '>', '>>', '<!', '^ ', 'descendantOf '), sctid).map(([op, id]) => op + id),
      fc.constant('*'),
      tie('c').map((c) => `(${c})`),
    ),
    ref: fc.oneof(
      { depthSize: 'small' },
      fc.tuple(sctid, fc.constantFrom('=', '!='), tie('sub')).map(([a, op, v]) => `${a} ${op} ${v}`),
      fc.tuple(fc.constantFrom('[0..1]', '[1..*]', ''), sctid, sctid).map(([card, a, v]) => `${card} ${a} = ${v}`.trim()),
      tie('ref').map((r) => `{ ${r} }`),
    ),
    c: fc.oneof(
      { depthSize: 'small' },
      tie('sub'),
      fc.tuple(tie('sub'), fc.constantFrom(' AND ', ' OR '), tie('sub'), tie('sub')).map(([a, op, b, c]) => `${a}${op}${b}${op}${c}`),
      fc.tuple(tie('sub'), tie('sub')).map(([a, b]) => `${a} MINUS ${b}`),
      fc.tuple(tie('sub'), tie('ref')).map(([a, r]) => `${a} : ${r}`),
    ),
  })).c;

  it('parses every expression constraint the grammar makes', () => {
    fc.assert(fc.property(ecl, (text) => void expect(parseEcl(text)).toBeDefined()), runs(1500));
  });

  it('answers or refuses any other text with a syntax error, never a stack overflow', () => {
    fc.assert(fc.property(hostileText, (t) => void answersOrRefuses(() => parseEcl(t), EclSyntaxError)), runs(2000));
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('(', '{', '<< (', '404684003 : ('), (n, open) => {
        const text = open.repeat(n) + '404684003' + (open.includes('{') ? '}' : ')').repeat(n);
        const r = answersOrRefuses(() => parseEcl(text), EclSyntaxError);
        if (n > MAX_NESTING + 1) expect(r).toBeInstanceOf(EclSyntaxError);
      }),
      runs(200),
    );
  });
});

describe('the compositional-grammar (expression) parser', () => {
  const sctid = fc.constantFrom('64572001', '363698007', '10200004', '116676008', '272741003');
  const term = fc.option(fc.constantFrom('Disease', 'Finding site', 'Liver structure', 'Laterality'), { nil: undefined });
  const concept = fc.tuple(sctid, term).map(([id, t]) => (t ? `${id} |${t}|` : id));
  const expression: fc.Arbitrary<string> = fc.letrec<{ e: string; attr: string }>((tie) => ({
    attr: fc.oneof(
      { depthSize: 'small' },
      fc.tuple(concept, concept).map(([a, v]) => `${a} = ${v}`),
      fc.tuple(concept, fc.integer({ min: -99, max: 999 })).map(([a, n]) => `${a} = #${n}`),
      fc.tuple(concept, tie('e')).map(([a, e]) => `${a} = (${e})`),
    ),
    e: fc.oneof(
      { depthSize: 'small' },
      concept,
      fc.tuple(fc.array(concept, { minLength: 1, maxLength: 2 }), fc.array(tie('attr'), { minLength: 1, maxLength: 2 }), fc.array(fc.array(tie('attr'), { minLength: 1, maxLength: 2 }), { maxLength: 2 })).map(
        ([focus, attrs, groups]) => `${focus.join(' + ')} : ${[...attrs, ...groups.map((g) => `{ ${g.join(', ')} }`)].join(', ')}`,
      ),
    ),
  })).e;

  it('parses every expression the grammar makes, and renders it back to the same tree', () => {
    const strip = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (k, v) => (k === 'position' || k === 'term' ? undefined : v)));
    fc.assert(
      fc.property(expression, (text) => {
        const tree = parseExpression(text);
        expect(strip(parseExpression(renderExpression(tree)))).toEqual(strip(tree));
      }),
      runs(1500),
    );
  });

  it('answers or refuses any other text with a syntax error, never a stack overflow', () => {
    fc.assert(fc.property(hostileText, (t) => void answersOrRefuses(() => parseExpression(t), ExpressionSyntaxError)), runs(2000));
    const deep = '64572001 : ' + '363698007 = (64572001 : '.repeat(10_000) + '363698007 = 10200004' + ')'.repeat(10_000);
    expect(() => parseExpression(deep)).toThrow(ExpressionSyntaxError);
  });
});

describe('the submission reader (CSV and NDJSON)', () => {
  async function readAll(text: string, format: 'csv' | 'ndjson', chunkSize: number): Promise<unknown[] | Error> {
    const bytes = Buffer.from(text);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += chunkSize) yield bytes.subarray(i, i + chunkSize);
    }
    const reader = new SubmissionReader(chunks(), format);
    try {
      const out: unknown[] = [format === 'csv' ? await reader.header() : await reader.firstObject()];
      for await (const row of reader.rows()) out.push(row);
      return out;
    } catch (e) {
      if (e instanceof SubmissionFormatError) return e;
      throw e;
    }
  }

  const cell = fc.oneof(hostileText, fc.constantFrom('"quoted; with semicolon"', '"a ""quote"" inside"', '"line\nbreak"', 'å;ä;ö', '"never closed'));
  const csv = fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { maxLength: 8 }).map((rows) => rows.map((r) => r.join(';')).join(fc.sample(fc.constantFrom('\n', '\r\n'), 1)[0]));
  const ndjson = fc.array(fc.oneof(fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), hostileText), { maxLength: 8 }).map((lines) => lines.join('\n'));

  it.each([
    ['csv', csv],
    ['ndjson', ndjson],
  ] as const)('reads any %s file the same however it is cut into chunks, or refuses it as a format error', async (format, file) => {
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 1, max: 64 }), async (text, size) => {
        const whole = await readAll(text, format, 1 << 20);
        const cut = await readAll(text, format, size);
        if (whole instanceof Error) expect(cut).toBeInstanceOf(SubmissionFormatError);
        else expect(cut).toEqual(whole);
      }),
      runs(500),
    );
  });
});

describe('version comparison', () => {
  const version = fc.oneof(
    fc.array(fc.nat({ max: 20 }), { minLength: 1, maxLength: 4 }).map((p) => p.join('.')),
    fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.constantFrom('alpha', 'beta.1', 'rc.2', '0', 'x-y')).map(([a, b, c, pre]) => `${a}.${b}.${c}-${pre}`),
    fc.constantFrom('20250909', '20240716', '1.0.x', '1.*', 'v2', '', '2.0.0+build'),
    fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', '+', 'a', 'B'), maxLength: 10 }),
  );

  it('is a total order: reflexive, antisymmetric and transitive', () => {
    fc.assert(
      fc.property(version, version, version, (a, b, c) => {
        expect(compareVersions(a, a)).toBe(0);
        expect(Math.sign(compareVersions(a, b))).toBe(-Math.sign(compareVersions(b, a)) || 0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
      }),
      runs(3000),
    );
  });

  it('takes as latest a version no other exceeds, whatever the order of the list', () => {
    fc.assert(
      fc.property(fc.array(version, { minLength: 1, maxLength: 10 }), (list) => {
        const latest = latestVersion(list);
        for (const v of list) expect(compareVersions(v, latest)).toBeLessThanOrEqual(0);
        expect(compareVersions(latestVersion([...list].reverse()), latest)).toBe(0);
      }),
      runs(1000),
    );
  });
});
