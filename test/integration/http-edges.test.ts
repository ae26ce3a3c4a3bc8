import http from 'node:http';
import net from 'node:net';
import type { CapabilityStatement, OperationOutcome } from 'fhir/r4';
import type { RunningServer } from '../../src/server';
import { startTestServer } from '../helpers/server';
import { jsonOf } from '../helpers/json';

/**
 * What happens below the routers: timeouts, requests Node's parser refuses, oversize URLs and
 * headers, CORS, Host and proxy headers. Raw sockets, since fetch would not send these requests.
 */

const REQUEST_TIMEOUT_MS = 1500;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** ms from the first byte sent to the end of the answer */
  ms: number;
}

/** Sends bytes on a new connection and reads until the server closes it (or `untilMs`). */
function rawExchange(port: number, parts: (string | Buffer)[], untilMs = 20_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const started = Date.now();
    const timer = setTimeout(() => socket.destroy(), untilMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (!m) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const headers = Object.fromEntries(
        head
          .split('\r\n')
          .slice(1)
          .map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(m[1]), headers, body: rest.join('\r\n\r\n'), ms: Date.now() - started });
    });
    socket.on('connect', () => {
      for (const p of parts) socket.write(p);
    });
  });
}

/** A small FHIR OperationOutcome with one error issue. */
function expectOutcome(a: RawAnswer, status: number): void {
  expect(a.status).toBe(status);
  expect(a.headers['content-type']).toMatch(/^application\/fhir\+json/);
  const outcome = JSON.parse(a.body);
  expect(outcome.resourceType).toBe('OperationOutcome');
  expect(outcome.issue[0].severity).toBe('error');
  expect(outcome.issue[0].details.coding[0].code).toBe('invalid-data');
}

describe('timeouts and requests refused below the routers', () => {
  let server: RunningServer & { dir: string };

  beforeAll(async () => {
    server = await startTestServer({ loadFhirCore: false, requestTimeoutMs: REQUEST_TIMEOUT_MS, headersTimeoutMs: REQUEST_TIMEOUT_MS });
  });
  afterAll(async () => {
    await server.close();
  });
  afterEach(async () => {
    // the server keeps serving
    expect((await fetch(`${server.fhirBase}/metadata`)).status).toBe(200);
  });

  it('a body shorter than its Content-Length is refused with 408 within the request timeout', async () => {
    const body = '{"resourceType":"Parameters","parameter":[]}';
    const a = await rawExchange(server.port, [
      `POST /fhir/ValueSet/$expand HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/fhir+json\r\nContent-Length: ${body.length + 100}\r\n\r\n`,
      body,
    ]);
    expectOutcome(a, 408);
    expect(a.headers.connection).toBe('close');
    expect(JSON.parse(a.body).issue[0].code).toBe('timeout');
    expect(a.body).toContain('The request was not received in full within 1.5 s');
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Node's default would have been 300 s (plus up to 30 s until it looked)
    expect(a.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(a.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 10_000);
  });

  it('headers that never end are refused with 408 too', async () => {
    const a = await rawExchange(server.port, ['GET /fhir/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n']);
    expectOutcome(a, 408);
    // the answer names the limit that ran out
    expect(a.body).toContain('The request headers were not received within 1.5 s');
  });

  it('a 30 KB header: 431', async () => {
    const a = await rawExchange(server.port, [`GET /fhir/metadata HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(30_000)}\r\n\r\n`]);
    expectOutcome(a, 431);
    expect(a.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('5,000 query parameters (a URL longer than the whole header limit): 414', async () => {
    const query = Array.from({ length: 5000 }, (_, i) => `p${i}=x`).join('&');
    const a = await rawExchange(server.port, [`GET /fhir/ValueSet/$expand?${query} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`]);
    expectOutcome(a, 414);
  });

  it('a URL over the configured limit but within Node’s: 414 from the application', async () => {
    const res = await fetch(`${server.fhirBase}/ValueSet/$expand?url=${'x'.repeat(9000)}`);
    expect(res.status).toBe(414);
    expect((await jsonOf<OperationOutcome>(res)).issue[0].code).toBe('too-long');
  });

  it('raw UTF-8 in the URL, and a request that is not HTTP: 400', async () => {
    const utf8 = await rawExchange(server.port, [Buffer.concat([Buffer.from('GET /fhir/CodeSystem?title=f'), Buffer.from('ö', 'utf8'), Buffer.from('r HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')])]);
    expectOutcome(utf8, 400);
    const garbage = await rawExchange(server.port, ['HELLO THERE\r\n\r\n']);
    expectOutcome(garbage, 400);
  });
});

/** A request with headers fetch would not let through (Host), answered as text and JSON. */
function request(url: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Every kind of API route: FHIR (system, type, instance, operations), releases, validation, NIM authoring. */
const API_PATHS = [
  '/fhir/metadata',
  '/fhir/$versions',
  '/fhir/CodeSystem',
  '/fhir/CodeSystem/some-id',
  '/fhir/CodeSystem/$lookup',
  '/fhir/ValueSet/$expand',
  '/fhir/ValueSet/some-id/$validate-code',
  '/fhir/ConceptMap/$translate',
  '/fhir/StructureDefinition',
  '/releases',
  '/releases/1.0.0',
  '/releases/1.0.0/package.tgz',
  '/releases/feed.atom',
  '/validate/record',
  '/validate/submission',
  '/nim/models',
  '/openapi.json',
];

/** Servers started in a describe block (small: no FHIR core, no worker threads), closed after it. */
function serversOfBlock(): (overrides: Record<string, unknown>) => Promise<RunningServer> {
  const servers: (RunningServer & { dir: string })[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  return async (overrides) => {
    const s = await startTestServer({ loadFhirCore: false, workers: 0, ...overrides });
    servers.push(s);
    return s;
  };
}

describe('CORS (the cors package)', () => {
  const start = serversOfBlock();

  it('by default any origin may read and run operations: preflight 204 on every API route', async () => {
    const s = await start({});
    for (const p of API_PATHS) {
      const res = await fetch(s.url + p, {
        method: 'OPTIONS',
        headers: { origin: 'https://journal.example.se', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' },
      });
      expect({ p, status: res.status }).toEqual({ p, status: 204 });
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET,HEAD,POST');
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
      expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const get = await fetch(`${s.fhirBase}/metadata`, { headers: { origin: 'https://journal.example.se' } });
    expect(get.headers.get('access-control-allow-origin')).toBe('*');
    expect(get.headers.get('access-control-expose-headers')).toMatch(/ETag.*X-Request-Id/);
    const capabilities = await jsonOf<CapabilityStatement>(get);
    expect(capabilities.rest![0].security!.cors).toBe(true);
    // an OPTIONS that is no preflight is an ordinary request (405 on a FHIR resource)
    expect((await fetch(`${s.fhirBase}/CodeSystem/x`, { method: 'OPTIONS' })).status).toBe(405);
    // the pages are same-origin: no CORS there
    expect((await fetch(`${s.url}/`, { headers: { origin: 'https://journal.example.se' } })).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('KODVERK_CORS_ORIGINS narrows it to the listed origins, which may also write', async () => {
    const s = await start({ corsOrigins: ['https://admin.kodverk.se'] });
    const preflight = (origin: string) =>
      fetch(`${s.fhirBase}/CodeSystem/x`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'PUT' } });
    const listed = await preflight('https://admin.kodverk.se');
    expect(listed.status).toBe(204);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://admin.kodverk.se');
    expect(listed.headers.get('access-control-allow-methods')).toBe('GET,HEAD,POST,PUT,PATCH,DELETE');
    expect(listed.headers.get('vary')).toMatch(/Origin/);
    const other = await preflight('https://elsewhere.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("KODVERK_CORS_ORIGINS=none: no CORS, and the CapabilityStatement says so", async () => {
    const s = await start({ corsOrigins: false });
    const res = await fetch(`${s.fhirBase}/metadata`, { headers: { origin: 'https://journal.example.se' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await jsonOf<CapabilityStatement>(res)).rest![0].security!.cors).toBe(false);
    const preflight = await fetch(`${s.fhirBase}/metadata`, { method: 'OPTIONS', headers: { origin: 'https://journal.example.se', 'access-control-request-method': 'GET' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('links, Host and proxies', () => {
  const start = serversOfBlock();
  /** The link a search Bundle names itself by, and the CapabilityStatement's url. */
  const links = async (s: RunningServer, headers: Record<string, string>) => {
    const search = await request(`${s.fhirBase}/CodeSystem?_count=1`, { headers });
    const metadata = await request(`${s.fhirBase}/metadata`, { headers });
    return { status: [search.status, metadata.status], self: search.json?.link?.find((l: any) => l.relation === 'self')?.url, metadata: metadata.json?.url, search, metadata_: metadata };
  };

  it('a Host that is not a valid host[:port] is refused (400) and never reaches a link', async () => {
    const s = await start({});
    for (const host of ['evil.example/fhir?x=', 'javascript:alert(1)', 'a b', 'x"y', '-bad-.example', '[::1', 'host:port']) {
      const r = await links(s, { host });
      expect({ host, status: r.status }).toEqual({ host, status: [400, 400] });
      expect(r.search.json.resourceType).toBe('OperationOutcome');
    }
    const fine = await links(s, { host: 'tx.kodverk.se:8443' });
    expect(fine.self).toMatch(/^http:\/\/tx\.kodverk\.se:8443\/fhir\/CodeSystem\?/);
    expect(fine.metadata).toBe('http://tx.kodverk.se:8443/fhir/metadata');
  });

  it('without a trusted proxy, X-Forwarded-* is ignored', async () => {
    const s = await start({});
    const r = await links(s, { host: '127.0.0.1', 'x-forwarded-proto': 'javascript', 'x-forwarded-host': 'evil.example' });
    expect(r.status).toEqual([200, 200]);
    expect(r.metadata).toBe('http://127.0.0.1/fhir/metadata');
  });

  it('behind a trusted proxy, X-Forwarded-Proto/-Host make the links; only http/https and valid hosts', async () => {
    const s = await start({ trustProxy: 'loopback' });
    const ok = await links(s, { host: '127.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'tx.kodverk.se' });
    expect(ok.metadata).toBe('https://tx.kodverk.se/fhir/metadata');
    expect(ok.self).toMatch(/^https:\/\/tx\.kodverk\.se\/fhir\/CodeSystem\?/);
    const badScheme = await links(s, { host: '127.0.0.1', 'x-forwarded-proto': 'javascript' });
    expect(badScheme.status).toEqual([400, 400]);
    const badHost = await links(s, { host: '127.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example/x' });
    expect(badHost.status).toEqual([400, 400]);
  });

  it('with KODVERK_BASE_URL, links always use it', async () => {
    const s = await start({ publicBaseUrl: 'https://terminologi.example.se/fhir', trustProxy: true });
    const r = await links(s, { host: 'other.example', 'x-forwarded-proto': 'http', 'x-forwarded-host': 'proxy.example' });
    expect(r.metadata).toBe('https://terminologi.example.se/fhir/metadata');
    expect(r.self).toMatch(/^https:\/\/terminologi\.example\.se\/fhir\/CodeSystem\?/);
  });
});
