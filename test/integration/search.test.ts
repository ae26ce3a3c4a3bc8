import type { Bundle, CodeSystem, OperationOutcome, Parameters } from 'fhir/r4';
import { failure, httpOf } from './support/kit';
import { COLOURS, SHAPES, codeSystem, conceptMap, namingSystem, valueSet } from './support/fixtures';
import { Kodverk, ids, param, raw, seed, startKodverk, txTypes } from './support/server';

let server: Kodverk;

beforeAll(async () => {
  server = await startKodverk();
  const resources = [
    codeSystem({ id: 'colours-1', version: '1.0.0', identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.3.4.5' }] }),
    codeSystem({
      id: 'colours-2',
      version: '2.0.0',
      identifier: [{ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.3.4.5' }],
      concept: [
        { code: 'red', display: 'Red (v2)' },
        { code: 'green', display: 'Green' },
        { code: 'blue', display: 'Blue' },
      ],
    }),
    codeSystem({
      id: 'shapes',
      url: SHAPES,
      version: '1.0',
      name: 'Shapes',
      title: 'Geometric shapes',
      status: 'draft',
      publisher: 'Other Org',
      identifier: [{ system: 'http://example.org/ids', value: 'shapes-1' }],
      concept: [{ code: 'circle' }, { code: 'square' }],
    }),
    valueSet({ id: 'colours-vs' }),
    valueSet({ id: 'enum-vs', url: 'http://example.org/fhir/ValueSet/enum', name: 'Enum', title: 'Enumerated', publisher: 'Summary Org', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Red</div>' }, compose: { include: [{ system: COLOURS, concept: [{ code: 'red' }] }] } }),
    valueSet({ id: 'atgarder', url: 'http://example.org/fhir/ValueSet/atgarder', name: 'Atgarder', title: 'Åtgärder inom socialtjänsten', publisher: 'Socialstyrelsen' }),
    conceptMap({ id: 'colours-to-shapes' }),
    namingSystem({ id: 'colours-ns' }),
    ...Array.from({ length: 7 }, (_, i) =>
      codeSystem({ id: `paged-${i}`, url: `http://example.org/fhir/CodeSystem/paged-${i}`, name: `Paged${i}`, publisher: 'Paging Org', concept: [{ code: 'x' }] }),
    ),
  ];
  await seed(server, resources);
});

afterAll(() => server?.close());

const search = (resourceType: string, searchParams: Record<string, string | number>): Promise<Bundle> => server.kit.search({ resourceType, searchParams });

describe('read', () => {
  it('returns the resource as application/fhir+json with ETag and meta', async () => {
    const cs = (await server.kit.read({ resourceType: 'CodeSystem', id: 'colours-1' })) as CodeSystem;
    expect(cs).toMatchObject({ resourceType: 'CodeSystem', id: 'colours-1', url: COLOURS, version: '1.0.0', meta: { versionId: '1' } });
    const http = httpOf(cs);
    expect(http.status).toBe(200);
    expect(http.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(http.headers.etag).toBe('W/"1"');
    expect(http.headers['last-modified']).toBeDefined();
  });

  it('reads every supported type', async () => {
    for (const [resourceType, id] of [['ValueSet', 'colours-vs'], ['ConceptMap', 'colours-to-shapes'], ['NamingSystem', 'colours-ns']]) {
      expect(await server.kit.read({ resourceType, id })).toMatchObject({ resourceType, id });
    }
  });

  it('reads the current version by its version id (the Location of a write)', async () => {
    expect(await server.kit.vread({ resourceType: 'CodeSystem', id: 'colours-1', version: '1' })).toMatchObject({ id: 'colours-1', meta: { versionId: '1' } });
    expect((await failure(server.kit.vread({ resourceType: 'CodeSystem', id: 'colours-1', version: '2' }))).status).toBe(404);
  });

  it('answers 404 with an OperationOutcome for an unknown id', async () => {
    const f = await failure(server.kit.read({ resourceType: 'CodeSystem', id: 'no-such-id' }));
    expect(f.status).toBe(404);
    expect(f.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(txTypes(f.data)).toEqual(['not-found']);
  });

  it('answers a conditional read with a matching ETag with 304', async () => {
    const options = (etag: string) => ({ headers: { 'if-none-match': etag } });
    expect((await failure(server.kit.read({ resourceType: 'CodeSystem', id: 'colours-1', options: options('W/"1"') }))).status).toBe(304);
    expect((await failure(server.kit.read({ resourceType: 'CodeSystem', id: 'colours-1', options: options('"1"') }))).status).toBe(304);
    expect((await failure(server.kit.read({ resourceType: 'CodeSystem', id: 'colours-1', options: options('W/"7", W/"1"') }))).status).toBe(304);
    expect((await failure(server.kit.read({ resourceType: 'CodeSystem', id: 'colours-1', options: options('*') }))).status).toBe(304);
    const changed = await server.kit.read({ resourceType: 'CodeSystem', id: 'colours-1', options: options('W/"2"') });
    expect(httpOf(changed).status).toBe(200);
  });
});

describe('search', () => {
  it('returns a searchset Bundle with total, self link, fullUrl and search.mode', async () => {
    const b = await search('CodeSystem', { url: COLOURS });
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: 2 });
    expect(httpOf(b).headers['content-type']).toMatch(/^application\/fhir\+json/);
    const self = b.link!.find((l) => l.relation === 'self')!;
    expect(self.url).toContain(`${server.fhirBase}/CodeSystem?`);
    expect(new URL(self.url).searchParams.get('url')).toBe(COLOURS);
    for (const e of b.entry!) {
      expect(e.fullUrl).toBe(`${server.fhirBase}/CodeSystem/${e.resource!.id}`);
      expect(e.search).toEqual({ mode: 'match' });
    }
    expect(ids(b)).toEqual(['colours-1', 'colours-2']);
  });

  it('finds one version by url and version, and by version alone', async () => {
    expect(ids(await search('CodeSystem', { url: COLOURS, version: '2.0.0' }))).toEqual(['colours-2']);
    expect(ids(await search('CodeSystem', { url: `${COLOURS}|1.0.0` }))).toEqual(['colours-1']);
    expect(ids(await search('CodeSystem', { version: '1.0' }))).toEqual(['shapes']);
    expect((await search('CodeSystem', { url: COLOURS, version: '3.0.0' })).total).toBe(0);
  });

  it('finds by identifier: an urn:oid: value, a system|value token, |value and system|', async () => {
    expect(ids(await search('CodeSystem', { identifier: 'urn:oid:1.2.3.4.5' }))).toEqual(['colours-1', 'colours-2']);
    expect(ids(await search('CodeSystem', { identifier: 'urn:ietf:rfc:3986|urn:oid:1.2.3.4.5' }))).toEqual(['colours-1', 'colours-2']);
    expect(ids(await search('CodeSystem', { identifier: 'http://example.org/ids|shapes-1' }))).toEqual(['shapes']);
    expect(ids(await search('CodeSystem', { identifier: 'shapes-1' }))).toEqual(['shapes']);
    expect(ids(await search('CodeSystem', { identifier: 'http://example.org/ids|' }))).toEqual(['shapes']);
    expect((await search('CodeSystem', { identifier: '|shapes-1' })).total).toBe(0);
    expect((await search('CodeSystem', { identifier: 'http://example.org/other|shapes-1' })).total).toBe(0);
  });

  it('finds by name: starts-with ignoring case, :exact and :contains', async () => {
    expect(ids(await search('CodeSystem', { name: 'colo' }))).toEqual(['colours-1', 'colours-2']);
    expect(ids(await search('CodeSystem', { 'name:exact': 'Colours' }))).toEqual(['colours-1', 'colours-2']);
    expect((await search('CodeSystem', { 'name:exact': 'colours' })).total).toBe(0);
    expect((await search('CodeSystem', { 'name:exact': 'Colour' })).total).toBe(0);
    expect(ids(await search('CodeSystem', { 'name:contains': 'HAPE' }))).toEqual(['shapes']);
  });

  it('finds by title, with :contains', async () => {
    expect(ids(await search('CodeSystem', { title: 'geometric' }))).toEqual(['shapes']);
    expect((await search('CodeSystem', { title: 'shapes' })).total).toBe(0);
    expect(ids(await search('CodeSystem', { 'title:contains': 'shapes' }))).toEqual(['shapes']);
    expect(ids(await search('ValueSet', { 'title:contains': 'colour' }))).toEqual(['colours-vs']);
    // case-insensitive for Swedish letters too, but å is not a
    expect(ids(await search('ValueSet', { title: 'ÅTGÄRDER' }))).toEqual(['atgarder']);
    expect(ids(await search('ValueSet', { 'title:contains': 'SOCIALTJÄNST' }))).toEqual(['atgarder']);
    expect((await search('ValueSet', { title: 'atgarder' })).total).toBe(0);
    expect(ids(await search('ValueSet', { 'title:exact': 'Åtgärder inom socialtjänsten' }))).toEqual(['atgarder']);
    expect(ids(await search('ConceptMap', { 'title:contains': 'to shapes' }))).toEqual(['colours-to-shapes']);
  });

  it('finds by status and publisher', async () => {
    expect(ids(await search('CodeSystem', { status: 'draft' }))).toEqual(['shapes']);
    expect(ids(await search('CodeSystem', { publisher: 'acme' }))).toEqual(['colours-1', 'colours-2']);
    expect(ids(await search('CodeSystem', { 'publisher:contains': 'org' })).length).toBe(8);
    expect(ids(await search('ValueSet', { status: 'active', publisher: 'Acme Terminology' }))).toEqual(['colours-vs']);
    expect(ids(await search('ValueSet', { 'publisher:exact': 'Socialstyrelsen' }))).toEqual(['atgarder']);
    expect(ids(await search('NamingSystem', { status: 'active', name: 'colours' }))).toEqual(['colours-ns']);
  });

  it('finds ValueSets and ConceptMaps by url', async () => {
    expect(ids(await search('ValueSet', { url: 'http://example.org/fhir/ValueSet/colours' }))).toEqual(['colours-vs']);
    expect(ids(await search('ConceptMap', { url: 'http://example.org/fhir/ConceptMap/colours-to-shapes', version: '1.0.0' }))).toEqual(['colours-to-shapes']);
  });

  it("takes any of several values separated by commas (FHIR search: 'status=active,draft' is OR)", async () => {
    const all = ids(await search('CodeSystem', { _count: 100 }));
    expect(ids(await search('CodeSystem', { status: 'draft,active' })).sort()).toEqual(
      [...new Set([...ids(await search('CodeSystem', { status: 'draft', _count: 100 })), ...ids(await search('CodeSystem', { status: 'active', _count: 100 }))])].sort(),
    );
    expect(ids(await search('CodeSystem', { _id: 'colours-1,shapes' }))).toEqual(expect.arrayContaining(['colours-1', 'shapes']));
    expect(ids(await search('CodeSystem', { _id: 'colours-1,shapes' })).length).toBe(2);
    expect(ids(await search('CodeSystem', { version: '1.0.0,2.0.0', publisher: 'acme' }))).toEqual(['colours-1', 'colours-2']);
    expect(all.length).toBeGreaterThan(2);
    // '\,' is a comma within a value
    expect((await search('CodeSystem', { _id: 'colours-1\\,shapes' })).total).toBe(0);
  });

  it('refuses a repeated parameter (AND of two values no element here can meet) and OR where it is not taken, never silently keeping one', async () => {
    for (const query of ['url=http://example.org/a&url=http://example.org/b', '_count=1&_count=3', 'status=active&status=draft', 'name=a,b']) {
      const res = await fetch(`${server.fhirBase}/CodeSystem?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expect(((await res.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    }
  });

  it('combines parameters (AND)', async () => {
    expect(ids(await search('CodeSystem', { publisher: 'Acme', version: '2.0.0' }))).toEqual(['colours-2']);
    expect((await search('CodeSystem', { publisher: 'Other', status: 'active' })).total).toBe(0);
  });

  it('pages with _count and _offset, with next and previous links', async () => {
    const seen: string[] = [];
    let page: Bundle = await search('CodeSystem', { publisher: 'Paging Org', _count: 3 });
    const sizes: number[] = [];
    for (;;) {
      expect(page.total).toBe(7);
      sizes.push(page.entry?.length ?? 0);
      seen.push(...ids(page));
      if (!page.link?.some((l) => l.relation === 'next')) break;
      page = await server.kit.nextPage({ bundle: page });
    }
    expect(sizes).toEqual([3, 3, 1]);
    expect(new Set(seen).size).toBe(7);
    const previous = await server.kit.prevPage({ bundle: page });
    expect(previous.entry).toHaveLength(3);
    const first = await server.kit.prevPage({ bundle: previous });
    expect(first.link.some((l: { relation: string }) => l.relation === 'previous')).toBe(false);

    const offset = await search('CodeSystem', { publisher: 'Paging Org', _count: 2, _offset: 5 });
    expect(offset.entry).toHaveLength(2);
    expect(offset.link!.map((l) => l.relation).sort()).toEqual(['previous', 'self']);
  });

  it('answers _summary=count and _count=0 with the total only', async () => {
    for (const p of [{ _summary: 'count' }, { _count: 0 }] as Record<string, string | number>[]) {
      const b = await search('CodeSystem', { publisher: 'Paging Org', ...p });
      expect(b.total).toBe(7);
      expect(b.entry).toBeUndefined();
      expect(b.link!.map((l) => l.relation)).toEqual(['self']);
    }
  });

  // tx-ecosystem requirements: "The server SHALL support the _summary search parameter" (ValueSet)
  it('answers _summary=true with the summary elements only, tagged SUBSETTED', async () => {
    const subsetted = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' };
    const [cs] = (await search('CodeSystem', { url: COLOURS, version: '2.0.0', _summary: 'true' })).entry!.map((e) => e.resource as CodeSystem);
    expect(cs).toMatchObject({ id: 'colours-2', url: COLOURS, version: '2.0.0', status: 'active', content: 'complete' });
    expect(cs.concept).toBeUndefined();
    expect(cs.text).toBeUndefined();
    expect(cs.meta!.tag).toEqual([expect.objectContaining(subsetted)]);
    // ValueSet.compose is no summary element, but its include's system, version, filter and valueSet are
    const [vs] = (await search('ValueSet', { _id: 'enum-vs', _summary: 'true' })).entry!.map((e) => e.resource as any);
    expect(vs).toMatchObject({ url: 'http://example.org/fhir/ValueSet/enum', status: 'active', compose: { include: [{ system: COLOURS }] } });
    expect(vs.compose.include[0].concept).toBeUndefined();
    expect(vs.meta.tag).toEqual([expect.objectContaining(subsetted)]);
  });

  it('answers _summary=text, data and false with the elements each names', async () => {
    const one = async (summary: string) => (await search('CodeSystem', { url: COLOURS, version: '2.0.0', _summary: summary })).entry![0].resource as CodeSystem;
    const full = await one('false');
    expect(full.concept!.length).toBe(3);
    expect(full.meta!.tag).toBeUndefined();
    // data: all but the narrative (a resource without one is whole, so not tagged)
    expect((await one('data')).concept!.length).toBe(3);
    expect((await one('data')).meta!.tag).toBeUndefined();
    const vs = async (summary: string) => (await search('ValueSet', { _id: 'enum-vs', _summary: summary })).entry![0].resource as any;
    const data = await vs('data');
    expect(data.compose.include[0].concept).toEqual([{ code: 'red' }]);
    expect(data.text).toBeUndefined();
    expect(data.meta.tag).toEqual([expect.objectContaining({ code: 'SUBSETTED' })]);
    // text: narrative, id, meta and the mandatory elements (ValueSet: status; CodeSystem: status, content)
    expect(Object.keys(await vs('text')).sort()).toEqual(['id', 'meta', 'resourceType', 'status', 'text']);
    expect(Object.keys(await one('text')).sort()).toEqual(['content', 'id', 'meta', 'resourceType', 'status']);
    // the paging links keep the choice
    const b = await search('CodeSystem', { publisher: 'Paging Org', _summary: 'true', _count: 2 });
    expect(b.link!.find((l) => l.relation === 'next')!.url).toContain('_summary=true');
  });

  it('searches with POST to _search (form encoded)', async () => {
    const b = await server.kit.search({ resourceType: 'CodeSystem', searchParams: { url: COLOURS, version: '1.0.0' }, options: { postSearch: true } });
    expect(ids(b)).toEqual(['colours-1']);
  });

  it('refuses unknown search parameters, modifiers and bad paging values with 400', async () => {
    const cases: [string, Record<string, string>][] = [
      ['CodeSystem', { colour: 'red' }],
      ['CodeSystem', { 'url:below': COLOURS }],
      ['CodeSystem', { 'name:missing': 'true' }],
      ['CodeSystem', { _count: 'many' }],
      ['CodeSystem', { _offset: '-1' }],
      // past 2^53 the number reached the store as a float: a 500 quoting SQLite ("datatype mismatch")
      ['CodeSystem', { _offset: '99999999999999999999999' }],
      ['CodeSystem', { _count: '99999999999999999999999' }],
      ['CodeSystem', { _summary: 'maybe' }],
      ['CodeSystem', { _sort: 'name' }],
      ['ValueSet', { 'content-mode': 'complete' }],
      ['ConceptMap', { supplements: COLOURS }],
    ];
    for (const [resourceType, searchParams] of cases) {
      const f = await failure(server.kit.search({ resourceType, searchParams }));
      expect([resourceType, searchParams, f.status]).toEqual([resourceType, searchParams, 400]);
      expect(txTypes(f.data as OperationOutcome)).toEqual(['invalid-data']);
    }
    const nested = await failure(server.kit.request('CodeSystem?colour[x]=red'));
    expect(nested.status).toBe(400);
    // names of Object.prototype members are no search parameters either
    for (const resourceType of ['CodeSystem', 'StructureDefinition']) {
      for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__', '__defineGetter__']) {
        // StructureDefinition is searched with GET only (FHIR allows a 405 for one of the two); a form
        // body's __proto__ is dropped by the body parser (qs), leaving a search without parameters
        for (const postSearch of resourceType === 'StructureDefinition' || name === '__proto__' ? [false] : [false, true]) {
          const f = await failure(server.kit.search({ resourceType, searchParams: { [name]: 'x' }, options: { postSearch } }));
          expect([resourceType, name, postSearch, f.status]).toEqual([resourceType, name, postSearch, 400]);
        }
      }
    }
  });

  it('supports CodeSystem-only parameters on CodeSystem', async () => {
    expect((await search('CodeSystem', { 'content-mode': 'complete', url: SHAPES })).total).toBe(1);
  });
});

describe('several versions of one canonical URL', () => {
  const lookup = (version?: string) =>
    server.kit.operation({
      resourceType: 'CodeSystem',
      name: '$lookup',
      method: 'GET',
      input: { system: COLOURS, code: 'red', ...(version ? { version } : {}) },
    }) as Promise<Parameters>;
  
  it('resolves a request without version to the latest version', async () => {
    const latest = await lookup();
    expect(param(latest, 'version')?.valueString).toBe('2.0.0');
    expect(param(latest, 'display')?.valueString).toBe('Red (v2)');
  });

  it('resolves a request with a version to that version', async () => {
    const v1 = await lookup('1.0.0');
    expect(param(v1, 'version')?.valueString).toBe('1.0.0');
    expect(param(v1, 'display')?.valueString).toBe('Red');
  });

  it('validates against the latest version unless told otherwise', async () => {
    const validate = (input: Record<string, string>) =>
      server.kit.operation({ resourceType: 'CodeSystem', name: '$validate-code', method: 'GET', input: { url: COLOURS, code: 'blue', ...input } }) as Promise<Parameters>;
    expect(param(await validate({}), 'result')?.valueBoolean).toBe(true);
    expect(param(await validate({ version: '1.0.0' }), 'result')?.valueBoolean).toBe(false);
  });
});

// tx-ecosystem requirements (Metadata): "It SHALL populate the CapabilityStatement.fhirVersion and
// CapabilityStatement.rest[mode = server].security.service properties" and instantiate terminology-server
describe('metadata', () => {
  it('states fhirVersion, the security service and that it is a terminology server', async () => {
    const cs = (await raw(server, 'metadata')).json;
    expect(cs.fhirVersion).toBe('4.0.1');
    expect(cs.instantiates).toContain('http://hl7.org/fhir/CapabilityStatement/terminology-server');
    const rest = cs.rest.find((r: any) => r.mode === 'server');
    expect(rest.security.service[0].coding).toEqual([expect.objectContaining({ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' })]);
  });
});
