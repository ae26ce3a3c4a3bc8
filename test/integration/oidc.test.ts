import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { JWK, KeyLike, SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { AuditEvent, Bundle, OperationOutcome } from 'fhir/r4';
import { startTestServer } from '../helpers/server';
import { jsonOf } from '../helpers/json';
import type { RunningServer } from '../../src/server';

/**
 * OIDC bearer tokens against a real JWKS: an identity provider served on an ephemeral loopback
 * port with keys generated here (no network). Signature, iss, aud, exp, nbf and the clock skew
 * are checked; the keys are fetched once, cached, and fetched again when the issuer rotates them.
 */

interface Idp {
  issuer: string;
  keys: { kid: string; privateKey: KeyLike; jwk: JWK }[];
  jwksFetches: number;
  discoveryFetches: number;
  close(): Promise<void>;
}

async function signingKey(kid: string, alg = 'RS256') {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

async function startIdp(): Promise<Idp> {
  const idp = { keys: [await signingKey('k1')], jwksFetches: 0, discoveryFetches: 0 } as Idp;
  const server = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    if (req.url === '/.well-known/openid-configuration') {
      idp.discoveryFetches++;
      return res.end(JSON.stringify({ issuer: idp.issuer, jwks_uri: `${idp.issuer}/jwks` }));
    }
    if (req.url === '/jwks') {
      idp.jwksFetches++;
      return res.end(JSON.stringify({ keys: idp.keys.map((k) => k.jwk) }));
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  idp.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  idp.close = () => new Promise((resolve) => server.close(() => resolve()));
  return idp;
}

const AUDIENCE = 'kodverk-api';
let idp: Idp;
let server: RunningServer & { dir: string };
let content: string;

interface TokenOptions {
  sub?: string;
  roles?: unknown;
  iss?: string;
  aud?: string;
  /** seconds from now */
  exp?: number;
  nbf?: number;
  kid?: string;
  claims?: Record<string, unknown>;
}

async function token(o: TokenOptions = {}): Promise<string> {
  const key = idp.keys.find((k) => k.kid === (o.kid ?? idp.keys[0].kid))!;
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(o.roles !== undefined ? { roles: o.roles } : {}), ...o.claims, name: 'Anna Andersson', email: 'anna@example.se' })
    .setProtectedHeader({ alg: 'RS256', kid: key.kid })
    .setSubject(o.sub ?? 'user-1234')
    .setIssuer(o.iss ?? idp.issuer)
    .setAudience(o.aud ?? AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(now + (o.exp ?? 300));
  if (o.nbf !== undefined) jwt.setNotBefore(now + o.nbf);
  return jwt.sign(key.privateKey);
}

const cs = { resourceType: 'CodeSystem', url: 'http://example.org/oidc', status: 'draft', content: 'complete', concept: [{ code: 'a' }] };

async function write(bearer?: string): Promise<Response> {
  return fetch(`${server.url}/fhir/CodeSystem`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/fhir+json', ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ ...cs, url: `http://example.org/oidc/${Math.random()}` }),
  });
}

beforeAll(async () => {
  idp = await startIdp();
  content = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-oidc-'));
  server = await startTestServer({
    loadFhirCore: false,
    contentPackDir: content,
    security: { rateLimit: 0, oidc: { issuer: idp.issuer, audience: AUDIENCE, rolesClaim: 'roles', clockSkewSeconds: 30, jwksCooldownSeconds: 0 } },
  });
});
afterAll(async () => {
  await server?.close();
  await idp?.close();
  fs.rmSync(content, { recursive: true, force: true });
});

describe('OIDC bearer tokens', () => {
  it('accepts a valid token with the role, fetching the JWKS once and caching it', async () => {
    for (let i = 0; i < 3; i++) expect((await write(await token({ roles: ['author'] }))).status).toBe(201);
    expect(idp.discoveryFetches).toBe(1);
    expect(idp.jwksFetches).toBe(1);
  });

  it('refuses a valid token without the role (403) and one with no roles claim (403)', async () => {
    expect((await write(await token({ roles: ['reader'] }))).status).toBe(403);
    expect((await write(await token({}))).status).toBe(403);
    // roles as a space-separated text, case-insensitive
    expect((await write(await token({ roles: 'reader Author' }))).status).toBe(201);
  });

  it.each<[string, TokenOptions, RegExp]>([
    ['expired', { roles: ['admin'], exp: -120 }, /expired/],
    ['expired just within the allowed clock skew is accepted', { roles: ['admin'], exp: -10 }, /^$/],
    ['not yet valid (nbf)', { roles: ['admin'], nbf: 120 }, /nbf/],
    ['for another audience', { roles: ['admin'], aud: 'another-api' }, /aud/],
    ['from another issuer', { roles: ['admin'], iss: 'https://idp.example.org' }, /iss/],
  ])('%s', async (_label, o, reason) => {
    const res = await write(await token(o));
    if (reason.source === '^$') return expect(res.status).toBe(201);
    expect(res.status).toBe(401);
    const header = res.headers.get('www-authenticate')!;
    expect(header).toMatch(/^Bearer realm="kodverk", error="invalid_token", error_description="/);
    expect(header).toMatch(reason);
    expect((await jsonOf<OperationOutcome>(res)).resourceType).toBe('OperationOutcome');
  });

  it('refuses a token signed by another key, an unsigned token and an HMAC token', async () => {
    const stranger = await signingKey('k1');
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('x').setIssuer(idp.issuer).setAudience(AUDIENCE).setExpirationTime(now + 60).sign(stranger.privateKey);
    expect((await write(forged)).status).toBe(401);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: 'x', iss: idp.issuer, aud: AUDIENCE, exp: now + 60, roles: ['admin'] };
    expect((await write(`${b64({ alg: 'none' })}.${b64(claims)}.`)).status).toBe(401);
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a shared secret of some length'));
    expect((await write(hmac)).status).toBe(401);
  });

  it('follows a key rotation: a token with a new kid fetches the JWKS again', async () => {
    const before = idp.jwksFetches;
    idp.keys.push(await signingKey('k2'));
    expect((await write(await token({ roles: ['author'], kid: 'k2' }))).status).toBe(201);
    expect(idp.jwksFetches).toBe(before + 1);
    expect((await write(await token({ roles: ['author'], kid: 'k1' }))).status).toBe(201);
    expect(idp.jwksFetches).toBe(before + 1);
  });

  it('records the subject and role in the audit trail, never names or e-mail addresses', async () => {
    const admin = await token({ sub: 'admin-77', roles: ['admin'] });
    const res = await fetch(`${server.url}/fhir/AuditEvent?agent=user-1234&outcome=0`, { headers: { Authorization: `Bearer ${admin}` } });
    expect(res.status).toBe(200);
    const bundle = await jsonOf<Bundle<AuditEvent>>(res);
    expect(bundle.total).toBeGreaterThan(0);
    const agent = bundle.entry![0].resource!.agent[0];
    expect(agent.who).toEqual({ identifier: { system: idp.issuer, value: 'user-1234' }, display: 'subject user-1234' });
    expect(agent.role![0].coding![0].code).toBe('author');
    const all = JSON.stringify(bundle);
    expect(all).not.toContain('Anna');
    expect(all).not.toContain('anna@example.se');
  });

  it('reads a roles claim inside an object (realm_access.roles)', async () => {
    const nested = await startTestServer({
      loadFhirCore: false,
      contentPackDir: content,
      security: { rateLimit: 0, oidc: { issuer: idp.issuer, audience: AUDIENCE, rolesClaim: 'realm_access.roles', clockSkewSeconds: 0 } },
    });
    try {
      const t = await token({ claims: { realm_access: { roles: ['publisher', 'offline_access'] } } });
      const res = await fetch(`${nested.url}/releases/9.9.9/status`, { method: 'POST', headers: { Authorization: `Bearer ${t}`, 'Content-Type': 'application/json' }, body: '{"status":"paseende"}' });
      expect(res.status).toBe(404); // past the role check: the release does not exist
      // no clock skew allowed here: expired ten seconds ago is expired
      expect((await fetch(`${nested.url}/fhir/CodeSystem`, { headers: { Authorization: `Bearer ${await token({ exp: -10 })}` } })).status).toBe(401);
    } finally {
      await nested.close();
    }
  });

  it('answers 503 (not 401) while the identity provider cannot be reached, and never lets the token through', async () => {
    const gone = await startIdp();
    const issuer = gone.issuer;
    await gone.close();
    const orphan = await startTestServer({ loadFhirCore: false, contentPackDir: content, security: { rateLimit: 0, oidc: { issuer, audience: AUDIENCE, rolesClaim: 'roles', clockSkewSeconds: 0 } } });
    try {
      const res = await fetch(`${orphan.url}/fhir/CodeSystem`, { headers: { Authorization: `Bearer ${await token({ iss: issuer, roles: ['admin'] })}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      expect((await jsonOf<OperationOutcome>(res)).resourceType).toBe('OperationOutcome');
    } finally {
      await orphan.close();
    }
  });
  it('reads the discovery document once for requests that wait together, and not again for a while after it failed', async () => {
    let fetches = 0;
    const failing = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
    const issuer = `http://127.0.0.1:${(failing.address() as AddressInfo).port}`;
    const orphan = await startTestServer({ loadFhirCore: false, contentPackDir: content, security: { rateLimit: 0, authFailureLimit: 0, oidc: { issuer, audience: AUDIENCE, rolesClaim: 'roles', clockSkewSeconds: 0 } } });
    try {
      const bearer = { Authorization: `Bearer ${await token({ iss: issuer, roles: ['reader'] })}` };
      const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(`${orphan.url}/fhir/metadata`, { headers: bearer }).then((r) => r.status)));
      for (let i = 0; i < 20; i++) statuses.push((await fetch(`${orphan.url}/fhir/metadata`, { headers: bearer })).status);
      expect(new Set(statuses)).toEqual(new Set([503]));
      expect(fetches).toBe(1);
    } finally {
      await orphan.close();
      failing.close();
    }
  });
});

