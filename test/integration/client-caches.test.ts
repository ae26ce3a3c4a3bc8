import type { CodeSystem, Parameters, ValueSet } from 'fhir/r4';
import { connectKit, failure, httpOf, Kit } from './support/kit';
import { Kodverk, param, raw, startKodverk, txTypes, uniqueUrl } from './support/server';
import { codeSystem, valueSet } from './support/fixtures';

/**
 * Terminology client caches (HL7 tools IG, $cache-control): a client registers its code systems
 * and value sets once, then names them by url alone on calls that carry the X-Cache-Id header.
 * Driven through fhir-kit-client, as a validator would.
 */

let server: Kodverk;
const kits: Kit[] = [];

beforeAll(async () => {
  server = await startKodverk({ clientCaches: { maxCaches: 50, maxBytes: 8 * 1024 * 1024, idleMs: 60_000 } });
});
afterAll(async () => {
  await Promise.all(kits.map((k) => k.close()));
  await server?.close();
});

/** A client that names a cache on every call. */
function cached(id: string): Kit {
  const kit = connectKit({ baseUrl: server.fhirBase, customHeaders: { 'X-Cache-Id': id } });
  kits.push(kit);
  return kit;
}

/** A code system and a value set of all its codes, under fresh urls. */
function content(codes = ['a', 'b']): { cs: CodeSystem; vs: ValueSet } {
  const csUrl = uniqueUrl('CodeSystem');
  const cs = codeSystem({ url: csUrl, concept: codes.map((code) => ({ code, display: code.toUpperCase() })) });
  return { cs, vs: valueSet({ url: uniqueUrl('ValueSet'), compose: { include: [{ system: csUrl }] } }) };
}

const control = (input: Parameters, kit = server.anonymous) => kit.operation({ name: '$cache-control', method: 'POST', input }) as Promise<Parameters>;

async function start(resources: unknown[], sealed?: boolean): Promise<string> {
  const p = await control({
    resourceType: 'Parameters',
    parameter: [{ name: 'mode', valueCode: 'start' }, ...(sealed === undefined ? [] : [{ name: 'sealed', valueBoolean: sealed }]), ...resources.map((resource: any) => ({ name: 'tx-resource', resource }))],
  });
  expect(param(p, 'sealed')?.valueBoolean).toBe(sealed ?? true);
  return param(p, 'cache-id')!.valueId!;
}

const validate = (kit: Kit, url: string, system: string, code: string) =>
  kit.operation({ resourceType: 'ValueSet', name: '$validate-code', method: 'GET', input: { url, system, code } }) as Promise<Parameters>;
const expand = (kit: Kit, input: Parameters) => kit.operation({ resourceType: 'ValueSet', name: '$expand', method: 'POST', input }) as Promise<ValueSet>;

describe('$cache-control and X-Cache-Id', () => {
  it('is advertised as a system-level operation in the CapabilityStatement', async () => {
    const cap = await server.anonymous.capabilityStatement();
    const ops = cap.rest.flatMap((r: any) => r.operation ?? []);
    expect(ops).toContainEqual({ name: 'cache-control', definition: 'http://hl7.org/fhir/tools/OperationDefinition/cache-control' });
  });

  it('serves what was registered at the start to every call naming the cache: $validate-code, $expand, $lookup', async () => {
    const { cs, vs } = content();
    const id = await start([cs, vs]);
    const kit = cached(id);
    expect(param(await validate(kit, vs.url!, cs.url!, 'a'), 'result')?.valueBoolean).toBe(true);
    expect(param(await validate(kit, vs.url!, cs.url!, 'z'), 'result')?.valueBoolean).toBe(false);
    const expansion = await expand(kit, { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: vs.url }] });
    expect(expansion.expansion?.contains?.map((c) => c.code)).toEqual(['a', 'b']);
    const lookup = (await kit.operation({ resourceType: 'CodeSystem', name: '$lookup', method: 'GET', input: { system: cs.url, code: 'b' } })) as Parameters;
    expect(param(lookup, 'display')?.valueString).toBe('B');
    // the answer rests on this client's resources: no shared cache may keep it
    expect(httpOf(lookup).headers['cache-control']).toBe('private, no-store');
    // without the header the server does not know them
    expect(txTypes((await failure(validate(server.anonymous, vs.url!, cs.url!, 'a'))).data)).toContain('not-found');
  });

  it('a sealed cache (the default) takes nothing more; an unsealed one keeps what each call sends', async () => {
    const first = content();
    const later = content(['x']);
    const sealed = cached(await start([first.cs, first.vs]));
    const open = cached(await start([first.cs, first.vs], false));
    const sendLater = { resourceType: 'Parameters' as const, parameter: [{ name: 'url', valueUri: later.vs.url }, { name: 'tx-resource', resource: later.cs }, { name: 'tx-resource', resource: later.vs }] };
    for (const kit of [sealed, open]) expect((await expand(kit, sendLater)).expansion?.contains?.map((c) => c.code)).toEqual(['x']);
    expect(txTypes((await failure(validate(sealed, later.vs.url!, later.cs.url!, 'x'))).data)).toContain('not-found');
    expect(param(await validate(open, later.vs.url!, later.cs.url!, 'x'), 'result')?.valueBoolean).toBe(true);
  });

  it('what a call sends wins over the cached resource of the same url and version', async () => {
    const { cs, vs } = content(['a']);
    const kit = cached(await start([cs, vs]));
    const changed = { ...cs, concept: [{ code: 'c', display: 'C' }] };
    const e = await expand(kit, { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: vs.url }, { name: 'tx-resource', resource: changed }] });
    expect(e.expansion?.contains?.map((c) => c.code)).toEqual(['c']);
  });

  it('a cache the server does not hold is 404 with cache-id-unknown, on any operation', async () => {
    const kit = cached('00000000-0000-4000-8000-000000000000');
    for (const call of [validate(kit, 'http://example.org/vs', 'http://example.org/cs', 'a'), kit.operation({ name: '$versions', method: 'GET' })]) {
      const f = await failure(call);
      expect(f.status).toBe(404);
      expect(txTypes(f.data)).toEqual(['cache-id-unknown']);
    }
  });

  it('check reports a live cache; end releases it (and ending it again is no error)', async () => {
    const { cs, vs } = content();
    const id = await start([cs, vs]);
    const kit = cached(id);
    const check = await control({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'check' }] }, kit);
    expect(param(check, 'cache-id')?.valueId).toBe(id);
    expect(param(check, 'resources')?.valueInteger).toBe(2);
    expect(Date.parse(param(check, 'expires')!.valueInstant!)).toBeGreaterThan(Date.now());
    const metrics = await fetch(server.fhirBase.replace(/\/fhir$/, '/metrics')).then((r) => r.text());
    expect(metrics).toMatch(/^kodverk_client_caches [1-9]/m);
    expect(metrics).not.toContain(id);
    for (let i = 0; i < 2; i++) await control({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'end' }] }, kit);
    const f = await failure(validate(kit, vs.url!, cs.url!, 'a'));
    expect(txTypes(f.data)).toEqual(['cache-id-unknown']);
    expect(f.status).toBe(404);
  });

  it('refuses a wrong mode, end or check without the header, and the older cache-id parameter, with 400', async () => {
    const bad = [
      control({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'begin' }] }),
      control({ resourceType: 'Parameters', parameter: [] }),
      control({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'end' }] }),
      control({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'check' }] }),
      expand(server.anonymous, { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: 'http://example.org/vs' }, { name: 'cache-id', valueId: 'mine' }] }),
    ];
    for (const call of bad) {
      const f = await failure(call);
      expect([f.status, f.data.resourceType]).toEqual([400, 'OperationOutcome']);
    }
  });

  it('is a request a browser may send from another origin (X-Cache-Id allowed by CORS)', async () => {
    const r = await raw(server, '$cache-control', { method: 'OPTIONS', headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-cache-id' } });
    expect(r.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('x-cache-id');
  });
});
