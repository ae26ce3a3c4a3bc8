import http from 'node:http';
import zlib from 'node:zlib';
import type { OperationOutcome } from 'fhir/r4';
import { jsonOf } from '../helpers/json';
import { codeSystem } from './support/fixtures';
import { Kodverk, RawAnswer, raw, startKodverk } from './support/server';

/**
 * The hostile requests of issue 9 against the real server: each is answered or refused with a
 * clear 4xx OperationOutcome (or error page), and the server keeps answering ordinary requests.
 * Timings are measured by bench/hostile-requests.ts, not asserted here.
 */

const json = { 'content-type': 'application/fhir+json' };
const SYSTEM = codeSystem().url!;
let server: Kodverk;

beforeAll(async () => {
  // URLs up to 64 KB here, so the parameter limit (not the URL length, 414) is what refuses
  server = await startKodverk({ workers: 2, maxUrlBytes: 65536, maxHeaderBytes: 81920, security: { rateLimit: 0 } });
  await server.kit.update({ resourceType: 'CodeSystem', id: 'colours', body: codeSystem({ id: 'colours' }) });
});
afterAll(() => server?.close());

function expectRefused(a: RawAnswer, status: number, code: string, text: RegExp): void {
  expect(a.status).toBe(status);
  expect(a.contentType).toMatch(/^application\/fhir\+json/);
  expect(a.json.resourceType).toBe('OperationOutcome');
  expect(a.json.issue[0].code).toBe(code);
  expect(a.json.issue[0].details.text).toMatch(text);
}

/** An ordinary $lookup still answers. */
async function expectServing(): Promise<void> {
  const a = await raw(server, `CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=red`);
  expect(a.status).toBe(200);
}

const lookupBody = (extra: unknown[]) => JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'system', valueUri: SYSTEM }, { name: 'code', valueCode: 'red' }, ...extra] });

describe('limits: refused with a 4xx before anything goes deep or slow', () => {
  afterEach(expectServing);

  it('a Parameters body nested 50,000 [ deep: 400 (KODVERK_MAX_JSON_DEPTH), no stack overflow', async () => {
    const body = '['.repeat(50_000) + ']'.repeat(50_000);
    expectRefused(await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: json, body }), 400, 'too-long', /nested deeper than 100 levels/);
    // on every router that reads JSON
    expectRefused(await raw(server, 'CodeSystem', { method: 'POST', headers: { ...json, authorization: `Bearer ${server.token}` }, body }), 400, 'too-long', /nested deeper/);
    const root = server.fhirBase.replace(/\/fhir$/, '');
    for (const path of ['/validate/record', '/nim/models']) {
      const res = await fetch(root + path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` }, body });
      expect([path, res.status]).toEqual([path, 400]);
      expect((await jsonOf<OperationOutcome>(res)).resourceType).toBe('OperationOutcome');
    }
  });

  it('3,000 nested parts: 400, no stack overflow', async () => {
    const body = '{"resourceType":"Parameters","parameter":[' + '{"name":"p","part":['.repeat(3000) + '{"name":"x","valueString":"y"}' + ']}'.repeat(3000) + ']}';
    expectRefused(await raw(server, 'ValueSet/$batch-validate-code', { method: 'POST', headers: json, body }), 400, 'too-long', /nested deeper/);
  });

  it('strings full of brackets and escaped quotes are no nesting', async () => {
    const tricky = '[[[{{{\\"]]]'.repeat(1000);
    const body = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: SYSTEM }, { name: 'code', valueCode: 'red' }, { name: 'display', valueString: tricky }] });
    const a = await raw(server, 'CodeSystem/$validate-code', { method: 'POST', headers: json, body });
    expect(a.status).toBe(200);
    expect(a.json.parameter.find((p: any) => p.name === 'result').valueBoolean).toBe(false);
  });

  it('200,000 property parameters (8 MB): refused, 400 (KODVERK_MAX_PARAMETERS)', async () => {
    const props = Array.from({ length: 200_000 }, (_, i) => ({ name: 'property', valueCode: `p${i}` }));
    expectRefused(await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: json, body: lookupBody(props) }), 400, 'too-costly', /more than 1000 parameters; this server takes at most 1000/);
  });

  it('too many parameters in the query string or a form: 400, never some silently dropped', async () => {
    const query = Array.from({ length: 1001 }, (_, i) => `property=p${i}`).join('&');
    expectRefused(await raw(server, `CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=red&${query}`), 400, 'too-costly', /at most 1000/);
    const form = await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `system=${encodeURIComponent(SYSTEM)}&code=red&${query}` });
    expectRefused(form, 400, 'too-costly', /more parameters than this server takes/);
  });

  it('repeated single-valued parameters (code=A&code=B): 400 instead of taking the first', async () => {
    const twice = await raw(server, `CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=red&code=blue`);
    expectRefused(twice, 400, 'invalid', /'code' is given 2 times/);
    expect(twice.json.issue[0].expression).toEqual(['code']);
    // in the body, and split between query and body
    expectRefused(await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: json, body: lookupBody([{ name: 'code', valueCode: 'blue' }]) }), 400, 'invalid', /'code' is given 2 times/);
    expectRefused(await raw(server, 'CodeSystem/$lookup?code=blue', { method: 'POST', headers: json, body: lookupBody([]) }), 400, 'invalid', /'code' is given 2 times/);
    expectRefused(await raw(server, `ValueSet/$expand?url=a&url=b`), 400, 'invalid', /'url' is given 2 times/);
  });

  it('repeating parameters (max *) may repeat, more than 20 times too', async () => {
    const props = Array.from({ length: 30 }, (_, i) => `property=p${i}`).join('&');
    const a = await raw(server, `CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=red&${props}&property=display`);
    expect(a.status).toBe(200);
  });

  it('a page address that does not decode is a 400 page, never a 500', async () => {
    const root = server.fhirBase.replace(/\/fhir$/, '');
    for (const path of ['/kodsystem/%E0%A4%A', '/vardemangd/%C0%AF', '/kodsystem/x/kod/%FF']) {
      const res = await fetch(root + path);
      expect([path, res.status]).toEqual([path, 400]);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await res.text()).toContain('Felaktig begäran');
    }
    const fhir = await raw(server, 'CodeSystem/%E0%A4%A');
    expect(fhir.status).toBe(400);
    expect(fhir.json.resourceType).toBe('OperationOutcome');
  });
});

/** A request whose body the test sends piece by piece, and its answer as soon as it comes. */
function sending(url: string, headers: Record<string, string | number>, agent?: http.Agent): { req: http.ClientRequest; answer: Promise<RawAnswer & { whileSending: boolean }> } {
  const req = http.request(url, { method: 'POST', headers, agent });
  const answer = new Promise<RawAnswer & { whileSending: boolean }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      // the answer came before the client had ended its body
      const whileSending = !req.writableEnded;
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.once('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'] ?? null, headers: new Headers(res.headers as Record<string, string>), text, json: JSON.parse(text), whileSending }));
    });
  });
  return { req, answer };
}

const props = (n: number) => Array.from({ length: n }, (_, i) => ({ name: 'property', valueCode: `p${i}` }));

describe('the body is read as it arrives: refused as soon as a limit is passed', () => {
  afterEach(expectServing);
  const url = () => `${server.fhirBase}/CodeSystem/$lookup`;

  it('200,000 parameters: 400 before the client has finished sending; the rest is dropped and the connection stays usable', async () => {
    const body = Buffer.from(lookupBody(props(200_000)));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const { req, answer } = sending(url(), { 'content-type': 'application/fhir+json', 'content-length': body.length }, agent);
      // 256 KB of 8 MB: far more than 1,000 parameters, and nothing more until the answer is in
      req.write(body.subarray(0, 256 * 1024));
      const a = await answer;
      expect(a.whileSending).toBe(true);
      expectRefused(a, 400, 'too-costly', /more than 1000 parameters; this server takes at most 1000 \(KODVERK_MAX_PARAMETERS\)/);
      // the client sends the rest of what it announced; the same connection then answers again
      await new Promise<void>((resolve) => req.end(body.subarray(256 * 1024), resolve));
      const again = http.get(`${url()}?system=${encodeURIComponent(SYSTEM)}&code=red`, { agent });
      const [status, reused] = await new Promise<[number, boolean]>((resolve, reject) =>
        again.once('error', reject).once('response', (res) => {
          res.resume();
          resolve([res.statusCode!, again.reusedSocket]);
        }),
      );
      expect([status, reused]).toEqual([200, true]);
    } finally {
      agent.destroy();
    }
  });

  // README: parameters are limited and every parameter is read in linear time; a parameter's parts
  // are parameters, and a key spelt with escapes is the key JSON.parse reads
  it('200,000 parts under one parameter, or parameters under an escaped key: 400 before the client has finished sending', async () => {
    const parts = lookupBody([{ name: 'x', part: props(200_000) }]);
    const escaped = parts.replace('"parameter"', '"param\\u0065ter"');
    expect(JSON.parse(escaped).parameter).toHaveLength(3);
    for (const body of [parts, escaped, lookupBody(props(200_000)).replace('"parameter"', '"\\u0070arameter"')].map((b) => Buffer.from(b))) {
      const { req, answer } = sending(url(), { 'content-type': 'application/fhir+json', 'content-length': body.length });
      req.write(body.subarray(0, 256 * 1024));
      const a = await answer;
      expect(a.whileSending).toBe(true);
      expectRefused(a, 400, 'too-costly', /more than 1000 parameters; this server takes at most 1000 \(KODVERK_MAX_PARAMETERS\)/);
      req.destroy();
    }
  });

  it('the query and the body parameters with their parts count together', async () => {
    const query = props(600).map((p) => `property=${p.valueCode}`).join('&');
    const body = lookupBody([{ name: 'x', part: props(500) }]);
    expectRefused(await raw(server, `CodeSystem/$lookup?${query}`, { method: 'POST', headers: json, body }), 400, 'too-costly', /The request has 1103 parameters; this server takes at most 1000/);
  });

  it('JSON nested too deep: 400 from the first piece that proves it', async () => {
    const { req, answer } = sending(url(), { 'content-type': 'application/fhir+json', 'transfer-encoding': 'chunked' });
    req.write('{"resourceType":"Parameters","parameter":[' + '{"name":"p","part":['.repeat(200));
    const a = await answer;
    req.destroy();
    expect(a.whileSending).toBe(true);
    expectRefused(a, 400, 'too-long', /nested deeper than 100 levels \(KODVERK_MAX_JSON_DEPTH\)/);
  });

  it('a Content-Length over the body limit: 413 before a byte of the body is sent', async () => {
    const { req, answer } = sending(url(), { 'content-type': 'application/fhir+json', 'content-length': 10 * 1024 ** 3 });
    req.flushHeaders();
    const a = await answer;
    req.destroy();
    expect(a.whileSending).toBe(true);
    expectRefused(a, 413, 'too-long', /larger than this server accepts/);
  });

  it('a body without a length that grows past the limit: 413 once it has', async () => {
    const small = await startKodverk({ maxBodyBytes: 64 * 1024, security: { rateLimit: 0 } });
    try {
      const { req, answer } = sending(`${small.fhirBase}/CodeSystem/$lookup`, { 'content-type': 'application/fhir+json', 'transfer-encoding': 'chunked' });
      req.write(`{"resourceType":"Parameters","id":"${'x'.repeat(100 * 1024)}`);
      const a = await answer;
      req.destroy();
      expect(a.whileSending).toBe(true);
      expectRefused(a, 413, 'too-long', /larger than this server accepts/);
    } finally {
      await small.close();
    }
  });

  it('a compressed body is scanned as it decompresses: read when within the limits, refused when not, 400 when it does not decompress', async () => {
    const gzip = { ...json, 'content-encoding': 'gzip' };
    // made first: brotli's default quality takes many seconds for 8 MB, longer than a kept-alive connection waits
    const manyBody = zlib.brotliCompressSync(lookupBody(props(200_000)), { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } });
    const ok = await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: gzip, body: zlib.gzipSync(lookupBody([])) });
    expect(ok.status).toBe(200);
    const many = await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: { ...json, 'content-encoding': 'br' }, body: manyBody });
    expectRefused(many, 400, 'too-costly', /more than 1000 parameters/);
    const broken = await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: gzip, body: Buffer.from('not gzip at all') });
    expect([broken.status, broken.json.resourceType]).toEqual([400, 'OperationOutcome']);
    const unknown = await raw(server, 'CodeSystem/$lookup', { method: 'POST', headers: { ...json, 'content-encoding': 'compress' }, body: lookupBody([]) });
    expect([unknown.status, unknown.json.resourceType]).toEqual([415, 'OperationOutcome']);
  });
});

describe('the worker time budget and the expansion limit', () => {
  let slow: Kodverk;
  const many = Array.from({ length: 20_000 }, (_, i) => ({ code: `c${i}`, display: `Concept ${i}` }));
  // forty regular-expression filters over 20,000 concepts: seconds of work on one worker
  const costly = JSON.stringify({
    resourceType: 'ValueSet',
    status: 'active',
    compose: { include: Array.from({ length: 40 }, (_, i) => ({ system: 'http://example.org/many', filter: [{ property: 'display', op: 'regex', value: `.*${i % 10}.*${(i * 7) % 10}.*` }] })) },
  });
  beforeAll(async () => {
    slow = await startKodverk({ workers: 1, expansionLimit: 1_000_000, security: { rateLimit: 0, taskTimeLimitMs: 500 } });
    await slow.kit.update({ resourceType: 'CodeSystem', id: 'many', body: codeSystem({ id: 'many', url: 'http://example.org/many', concept: many }) });
    await slow.kit.update({ resourceType: 'CodeSystem', id: 'colours', body: codeSystem({ id: 'colours' }) });
  });
  afterAll(() => slow?.close());

  it('a task past its budget is abandoned (422 too-costly) and the worker is free again', async () => {
    const a = await raw(slow, 'ValueSet/$expand', { method: 'POST', headers: json, body: costly });
    expectRefused(a, 422, 'too-costly', /did not finish within the time .*\(500 ms, KODVERK_TASK_TIME_LIMIT_MS\) and was abandoned/);
    // the pool's one worker was ended and replaced: ordinary tasks answer again
    for (let i = 0; i < 3; i++) {
      const ok = await raw(slow, `CodeSystem/$lookup?system=${encodeURIComponent(SYSTEM)}&code=red`);
      expect(ok.status).toBe(200);
    }
  });

  it('a task waiting on the thread that is ended runs again elsewhere: only the costly one is refused', async () => {
    // one worker takes two expansions at once: the small one waits behind the costly one on that thread
    const small = JSON.stringify({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SYSTEM }] } });
    const [a, ok] = await Promise.all([
      raw(slow, 'ValueSet/$expand', { method: 'POST', headers: json, body: costly }),
      new Promise((r) => setTimeout(r, 50)).then(() => raw(slow, 'ValueSet/$expand', { method: 'POST', headers: json, body: small })),
    ]);
    expectRefused(a, 422, 'too-costly', /was abandoned/);
    expect(ok.status).toBe(200);
    expect(ok.json.expansion.contains.length).toBeGreaterThan(0);
  });

  it('expansions sent at once with a costly one (in one batch or not): only the costly one is refused', async () => {
    const small = JSON.stringify({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SYSTEM }] } });
    const [a, ...ok] = await Promise.all([costly, small, small, small].map((body) => raw(slow, 'ValueSet/$expand', { method: 'POST', headers: json, body })));
    expectRefused(a, 422, 'too-costly', /was abandoned/);
    for (const o of ok) {
      expect(o.status).toBe(200);
      expect(o.json.expansion.contains.length).toBeGreaterThan(0);
    }
  });

  it('an unpaged expansion larger than the limit is refused too-costly; paged it answers', async () => {
    const limited = await startKodverk({ expansionLimit: 1, security: { rateLimit: 0 } });
    try {
      await limited.kit.update({ resourceType: 'CodeSystem', id: 'colours', body: codeSystem({ id: 'colours' }) });
      const vs = JSON.stringify({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SYSTEM }] } });
      expectRefused(await raw(limited, 'ValueSet/$expand', { method: 'POST', headers: json, body: vs }), 422, 'too-costly', /./);
      const paged = await raw(limited, 'ValueSet/$expand?count=1', { method: 'POST', headers: json, body: vs });
      expect(paged.status).toBe(200);
      expect(paged.json.expansion.contains).toHaveLength(1);
    } finally {
      await limited.close();
    }
  });
});
