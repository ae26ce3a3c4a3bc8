import { parseCorsOrigins, parseTrustProxy } from '../../src/config';
import { isValidHost } from '../../src/http/proxy';
import { requestIdOf } from '../../src/http/request-id';
import { refusalFor } from '../../src/http/client-errors';
import { cacheCounter, cacheCounts, takeCacheCounts, addCacheCounts } from '../../src/terminology/cache-stats';

describe('configuration of the HTTP plumbing', () => {
  it('KODVERK_CORS_ORIGINS: any, none, or a list of origins', () => {
    expect(parseCorsOrigins(undefined)).toBe('*');
    expect(parseCorsOrigins(' * ')).toBe('*');
    expect(parseCorsOrigins('none')).toBe(false);
    expect(parseCorsOrigins('https://a.example.se, https://b.example.se:8443/')).toEqual(['https://a.example.se', 'https://b.example.se:8443']);
    for (const bad of ['a.example.se', 'https://a.example.se/path', 'ftp://a.example.se', 'https://a.example.se?x=1']) expect(() => parseCorsOrigins(bad)).toThrow(/not an origin/);
  });

  it('KODVERK_TRUST_PROXY: off, on, hops, or addresses', () => {
    expect(parseTrustProxy(undefined)).toBe(false);
    expect(parseTrustProxy('false')).toBe(false);
    expect(parseTrustProxy('TRUE')).toBe(true);
    expect(parseTrustProxy('2')).toBe(2);
    expect(parseTrustProxy('loopback, 10.0.0.0/8')).toEqual(['loopback', '10.0.0.0/8']);
  });
});

describe('Host values that may go into links', () => {
  it.each(['localhost', 'localhost:8080', 'tx.kodverk.se', 'TX.Kodverk.SE.', '127.0.0.1:3000', '[::1]:8080', '[2001:db8::1]', 'a-b.example', 'localhost:65535'])('%s is valid', (h) => {
    expect(isValidHost(h)).toBe(true);
  });
  it.each(['', 'evil.example/path', 'a b', 'javascript:alert(1)', 'x"y', '-a.example', 'a-.example', 'host:', 'host:port', '[::1', 'user@host', 'evil.example:99999', 'localhost:65536', '[:::::]', '[1::2::3]', `${'a'.repeat(64)}.example`])('%s is refused', (h) => {
    expect(isValidHost(h)).toBe(false);
  });
});

describe('request ids', () => {
  it('keeps an acceptable id and replaces anything else with a UUID', () => {
    expect(requestIdOf('f3a9-0042')).toBe('f3a9-0042');
    expect(requestIdOf(['first', 'second'])).toBe('first');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'id\nforged-log-line', '-x', 'ä']) expect(requestIdOf(bad)).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('low-level refusals', () => {
  const limits = { requestTimeoutMs: 30_000, headersTimeoutMs: 10_000, maxHeaderBytes: 16_384 };
  const err = (code: string, rawPacket?: string) => Object.assign(new Error(code), { code, rawPacket: rawPacket === undefined ? undefined : Buffer.from(rawPacket, 'latin1') });
  it('maps Node parser and timer errors to statuses', () => {
    expect(refusalFor(err('ERR_HTTP_REQUEST_TIMEOUT'), limits)).toMatchObject({ status: 408, text: expect.stringMatching(/30 s/) });
    // the same code when the headers did not come in time: the answer names that limit (it said 30 s)
    expect(refusalFor(err('ERR_HTTP_REQUEST_TIMEOUT'), limits, false)).toMatchObject({ status: 408, text: 'The request headers were not received within 10 s' });
    expect(refusalFor(err('ERR_HTTP_REQUEST_TIMEOUT'), { ...limits, requestTimeoutMs: 4000 }, false).text).toMatch(/within 4 s/);
    expect(refusalFor(err('HPE_HEADER_OVERFLOW', 'GET /fhir/metadata HTTP/1.1\r\nX-Big: aaaa'), limits).status).toBe(431);
    expect(refusalFor(err('HPE_HEADER_OVERFLOW', `GET /fhir/ValueSet/$expand?${'a=1&'.repeat(5000)}`), limits).status).toBe(414);
    expect(refusalFor(err('HPE_INVALID_URL'), limits).status).toBe(400);
    expect(refusalFor(err('HPE_INVALID_METHOD'), limits).status).toBe(400);
    expect(refusalFor(err('HPE_SOMETHING_NEW'), limits).status).toBe(400);
  });
});

describe('engine cache counts across threads', () => {
  it('a worker hands on what it counted since last time; the HTTP thread adds it up', () => {
    const c = cacheCounter('unit-test-cache');
    c.hit();
    c.hit();
    c.miss();
    expect(takeCacheCounts()?.['unit-test-cache']).toEqual({ hits: 2, misses: 1 });
    expect(takeCacheCounts()?.['unit-test-cache']).toBeUndefined();
    addCacheCounts({ 'unit-test-cache': { hits: 5, misses: 4 } });
    expect(cacheCounts()['unit-test-cache']).toEqual({ hits: 7, misses: 5 });
  });
});
