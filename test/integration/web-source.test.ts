import type { Bundle, CodeSystem, ValueSet } from 'fhir/r4';
import { codeSystem, valueSet } from './support/fixtures';
import { Kodverk, seed, startKodverk } from './support/server';

/**
 * The terminology ecosystem IG: a server whose human views are not at the FHIR endpoint names them
 * in the web-source extension "when the CodeSystem and ValueSet are read, and also in any $expand of
 * the value set (just for the root value set)". Only what the server holds has a page.
 */
const WEB_SOURCE = 'http://hl7.org/fhir/StructureDefinition/web-source';
const webSource = (r: { extension?: { url: string; valueUrl?: string }[] }) => r.extension?.filter((e) => e.url === WEB_SOURCE).map((e) => e.valueUrl);

let server: Kodverk;
let root: string;

beforeAll(async () => {
  server = await startKodverk();
  root = server.fhirBase.replace(/\/fhir$/, '');
  await seed(server, [codeSystem({ id: 'colours' }), valueSet({ id: 'colour-set' })]);
});
afterAll(() => server?.close());

describe('web-source names the page of a stored resource', () => {
  it('on read, pointing at a page that answers with HTML; the stored resource is unchanged', async () => {
    const cs = (await server.kit.read({ resourceType: 'CodeSystem', id: 'colours' })) as CodeSystem;
    const vs = (await server.kit.read({ resourceType: 'ValueSet', id: 'colour-set' })) as ValueSet;
    expect(webSource(cs)).toEqual([`${root}/kodsystem/colours`]);
    expect(webSource(vs)).toEqual([`${root}/vardemangd/colour-set`]);
    for (const url of [...webSource(cs)!, ...webSource(vs)!]) {
      const page = await fetch(url!);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    }
    // read twice: the extension is not added again
    expect(webSource((await server.kit.read({ resourceType: 'CodeSystem', id: 'colours' })) as CodeSystem)).toHaveLength(1);
  });

  it('in search results', async () => {
    const b = (await server.kit.search({ resourceType: 'CodeSystem', searchParams: { url: 'http://example.org/fhir/CodeSystem/colours' } })) as Bundle;
    expect(b.entry!.map((e) => webSource(e.resource as CodeSystem))).toEqual([[`${root}/kodsystem/colours`]]);
  });

  it('on the root of an expansion of the stored value set (by url or instance), not of one sent with the request', async () => {
    const byUrl = (await server.kit.operation({ name: 'expand', resourceType: 'ValueSet', method: 'get', input: { url: 'http://example.org/fhir/ValueSet/colours' } })) as ValueSet;
    expect(webSource(byUrl)).toEqual([`${root}/vardemangd/colour-set`]);
    const byId = (await server.kit.operation({ name: 'expand', resourceType: 'ValueSet', id: 'colour-set', method: 'get' })) as ValueSet;
    expect(webSource(byId)).toEqual([`${root}/vardemangd/colour-set`]);

    const sent = valueSet({ id: 'colour-set', title: 'Sent along' });
    const asParameter = (await server.kit.operation({ name: 'expand', resourceType: 'ValueSet', input: { resourceType: 'Parameters', parameter: [{ name: 'valueSet', resource: sent }] } })) as ValueSet;
    expect(webSource(asParameter)).toBeUndefined();
    const asTxResource = (await server.kit.operation({
      name: 'expand',
      resourceType: 'ValueSet',
      input: { resourceType: 'Parameters', parameter: [{ name: 'url', valueUri: 'http://example.org/fhir/ValueSet/colours' }, { name: 'tx-resource', resource: sent }] },
    })) as ValueSet;
    expect(asTxResource.title).toBe('Sent along');
    expect(webSource(asTxResource)).toBeUndefined();
  });

  it('with the configured public base URL, not the host the request came to', async () => {
    const behindProxy = await startKodverk({ publicBaseUrl: 'https://terminologi.example.se/fhir' });
    try {
      await seed(behindProxy, [codeSystem({ id: 'colours' })]);
      const cs = (await behindProxy.kit.read({ resourceType: 'CodeSystem', id: 'colours' })) as CodeSystem;
      expect(webSource(cs)).toEqual(['https://terminologi.example.se/kodsystem/colours']);
    } finally {
      await behindProxy.close();
    }
  });
});
