import type { Bundle } from 'fhir/r4';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { Kodverk, raw, startKodverk } from './support/server';
import { addMonths } from '../../src/nim/lead-time';

/**
 * NIMs and releases through the real server (ephemeral port, real SQLite file, the real content
 * pack and NIM seed): the vendor contract, the whole lifecycle, immutability, lead time, the
 * package (byte-identical, round trip into a fresh instance), feed and conditional requests.
 */

const PACK = path.resolve(__dirname, '../../terminology');
const today = new Date().toISOString().slice(0, 10);
let server: Kodverk;

/** A request to the server root (the NIM API is beside /fhir, not under it). */
async function call(method: string, relative: string, body?: unknown, headers: Record<string, string> = {}, authorised = true) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (authorised && server.token) (init.headers as Record<string, string>).Authorization = `Bearer ${server.token}`;
  if (body !== undefined) {
    if (Buffer.isBuffer(body)) init.body = new Uint8Array(body);
    else {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
    }
  }
  return raw(server, `../${relative.replace(/^\//, '')}`, init);
}

async function bytes(relative: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(`${server.fhirBase.replace(/\/fhir$/, '')}/${relative}`, { headers });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

function outcomeText(json: any): string {
  expect(json.resourceType).toBe('OperationOutcome');
  return json.issue.map((i: any) => i.details?.text).join(' ');
}

beforeAll(async () => {
  server = await startKodverk({ contentPackDir: PACK });
});

afterAll(async () => {
  await server.close();
});

describe('vendor contract on a fresh server', () => {
  it('finds the seed NIMs with a FHIR search on StructureDefinition (kind=logical)', async () => {
    const bundle = await server.kit.search({ resourceType: 'StructureDefinition', searchParams: { kind: 'logical', _count: '100' } });
    expect(bundle.total).toBe(11);
    const urls = bundle.entry.map((e: any) => e.resource.url);
    expect(urls).toContain('https://kodverk.se/fhir/StructureDefinition/nim-brukare');
    expect(urls).toContain('https://kodverk.se/fhir/StructureDefinition/nim-aktualisera-arende');
    const titled = await server.kit.search({ resourceType: 'StructureDefinition', searchParams: { 'title:contains': 'ärende' } });
    expect(titled.entry.map((e: any) => e.resource.id)).toEqual(['nim-aktualisera-arende-1.0.0']);
    const extensions = await server.kit.search({ resourceType: 'StructureDefinition', searchParams: { kind: 'complex-type' } });
    expect(extensions.entry.map((e: any) => e.resource.url)).toContain('https://kodverk.se/fhir/StructureDefinition/nim-register-relevant');
  });

  it('searches StructureDefinitions as FHIR search does: a comma is OR, a repeated parameter AND', async () => {
    const total = async (query: string) => ((await (await fetch(`${server.fhirBase}/StructureDefinition?${query}`)).json()) as Bundle).total;
    const logical = await total('kind=logical');
    const complex = await total('kind=complex-type');
    expect(logical).toBe(11);
    expect(complex).toBeGreaterThan(0);
    expect(await total('kind=logical,complex-type')).toBe(logical! + complex!);
    expect(await total('kind=logical&kind=complex-type')).toBe(0);
    expect(await total('_id=nim-brukare-1.0.0,nim-aktualisera-arende-1.0.0')).toBe(2);
    expect((await fetch(`${server.fhirBase}/StructureDefinition?_count=1&_count=2`)).status).toBe(400);
  });

  it('reads a NIM as a logical model with its extensions and bindings', async () => {
    const sd = await server.kit.read({ resourceType: 'StructureDefinition', id: 'nim-aktualisera-arende-1.0.0' });
    expect(sd).toMatchObject({ kind: 'logical', derivation: 'specialization', status: 'draft', version: '1.0.0' });
    expect(sd.extension[0]).toEqual({ url: 'https://kodverk.se/fhir/StructureDefinition/nim-lifecycle', valueCode: 'paseende' });
    const typ = sd.differential.element.find((e: any) => e.id.endsWith('.typ'));
    expect(typ.binding.valueSet).toBe('https://kodverk.se/fhir/ValueSet/aktualiseringstyp|2026.1');
    const orsak = sd.differential.element.find((e: any) => e.id.endsWith('.orsak'));
    const additional = orsak.binding.extension.filter((e: any) => e.url === 'http://hl7.org/fhir/5.0/StructureDefinition/extension-ElementDefinition.binding.additional');
    expect(additional).toHaveLength(2);
    expect(additional[0].extension.map((e: any) => e.url)).toEqual(['purpose', 'valueSet', 'documentation', 'usage', 'usage']);
    const unknown = await raw(server, 'StructureDefinition/nim-finns-inte-1.0.0');
    expect(unknown.status).toBe(404);
    const write = await raw(server, 'StructureDefinition/nim-brukare-1.0.0', { method: 'DELETE', headers: { Authorization: `Bearer ${server.token}` } });
    expect(write.status).toBe(405);
  });

  it('lists the adopted and the påseende release, and shows bindings without codes yet', async () => {
    const list = await call('GET', 'releases');
    expect(list.json.releases.map((r: any) => [r.version, r.status])).toEqual([
      ['1.1.0', 'paseende'],
      ['1.0.0', 'faststalld'],
    ]);
    const m = (await call('GET', 'releases/1.1.0')).json;
    expect(m.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(m.changeClass).toBe('minor');
    expect(m.nims).toHaveLength(11);
    const icf = m.valueSets.find((v: any) => v.url === 'https://kodverk.se/fhir/ValueSet/icf-orsak');
    expect(icf).toMatchObject({ state: 'no-codes-yet', total: 0 });
    expect(icf.reason).toMatch(/CodeSystem\/icf is not imported/);
    const typ = m.valueSets.find((v: any) => v.requested === 'https://kodverk.se/fhir/ValueSet/aktualiseringstyp|2026.1');
    expect(typ).toMatchObject({ state: 'expanded', pinned: true, version: '2026.1', total: 3, codeSystems: ['https://kodverk.se/fhir/CodeSystem/aktualiseringstyp|2026.1'] });
    const adopted = (await call('GET', 'releases/1.0.0')).json;
    expect(adopted.leadTime.override.reason).toMatch(/Socialstyrelsen/);
    const draftView = (await call('GET', 'nim/models/insats')).json;
    expect(draftView.current.bindings.find((b: any) => b.attribute === 'ksiKod' && b.context === 0)).toMatchObject({ state: 'no-codes-yet' });
  });

  it('describes the contract in OpenAPI', async () => {
    const spec = (await call('GET', 'openapi.json')).json;
    expect(spec.openapi).toMatch(/^3\./);
    for (const p of ['/fhir/StructureDefinition', '/releases', '/releases/feed.atom', '/releases/{version}', '/releases/{version}/package.tgz', '/releases/{from}/diff/{to}']) expect(spec.paths[p]).toBeDefined();
  });
});

describe('a release on påseende follows its content', () => {
  const UTFALL = 'https://kodverk.se/fhir/ValueSet/beslut-utfall';
  const newVersion = {
    resourceType: 'ValueSet',
    id: 'beslut-utfall-2027',
    url: UTFALL,
    version: '2027.1',
    status: 'active',
    compose: { include: [{ system: 'https://kodverk.se/fhir/CodeSystem/beslut-utfall', concept: [{ code: 'beviljad' }, { code: 'avslag' }] }] },
  };
  const refreshes = async () => (await call('GET', 'releases/1.1.0')).json.history.filter((e: any) => e.event === 'uppdaterad');

  it('a new version of a bound value set written through the API refreshes 1.1.0: one event with the diff, in the feed', async () => {
    expect(await refreshes()).toEqual([]);
    const put = await raw(server, 'ValueSet/beslut-utfall-2027', { method: 'PUT', headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/fhir+json' }, body: JSON.stringify(newVersion) });
    expect(put.status).toBe(201);
    const manifest = (await call('GET', 'releases/1.1.0')).json;
    expect(manifest.valueSets.find((v: any) => v.url === UTFALL)).toMatchObject({ version: '2027.1', total: 2 });
    const [event] = await refreshes();
    expect(event.note).toMatchObject({ trigger: { kind: 'api' }, contentHash: manifest.contentHash });
    expect(event.note.valueSets).toEqual([expect.objectContaining({ url: UTFALL, from: expect.objectContaining({ version: '2026.1', total: 3 }), to: expect.objectContaining({ version: '2027.1', total: 2 }), removed: 1 })]);
    const detail = (await call('GET', `releases/1.1.0/events/${event.id}`)).json;
    expect(detail.diff.valueSets[0].removed).toEqual([{ system: 'https://kodverk.se/fhir/CodeSystem/beslut-utfall', code: 'delvis-beviljad', display: 'Delvis beviljad' }]);
    const feed = (await call('GET', 'releases/feed.json')).json;
    expect(feed.items[0]._kodverk).toMatchObject({ version: '1.1.0', status: 'uppdaterad', contentHash: manifest.contentHash });
    expect(feed.items[0].content_text).toMatch(/Beslut utfall \(alla koder\): 2026\.1 → 2027\.1, 1 kod borttagen/);
    // removing it again through the API takes the release back to what it was
    const del = await raw(server, 'ValueSet/beslut-utfall-2027', { method: 'DELETE', headers: { Authorization: `Bearer ${server.token}` } });
    expect(del.status).toBe(204);
    expect(await refreshes()).toHaveLength(2);
    expect((await call('GET', 'releases/1.1.0')).json.valueSets.find((v: any) => v.url === UTFALL).version).toBe('2026.1');
  });

  it('refreshes on the publisher\'s request (API token), never an adopted release', async () => {
    expect((await call('POST', 'releases/1.1.0/refresh', undefined, {}, false)).status).toBe(401);
    const asked = await call('POST', 'releases/1.1.0/refresh');
    expect(asked.status).toBe(200);
    expect(asked.json.refresh).toEqual({ version: '1.1.0', status: 'paseende', refreshed: false, reason: 'unchanged' });
    expect(asked.json.release.version).toBe('1.1.0');
    const adopted = await call('POST', 'releases/1.0.0/refresh');
    expect(adopted.status).toBe(409);
    expect(outcomeText(adopted.json)).toMatch(/never changes/);
    expect((await call('POST', 'releases/9.9.9/refresh')).status).toBe(404);
  });
});

describe('lifecycle through the API', () => {
  let firstPackage: Buffer;

  it('refuses an adoption that leaves vendors too little lead time, then adopts in time', async () => {
    const soon = await call('POST', 'releases/1.1.0/status', { status: 'faststalld', effectiveFrom: addMonths(today, 2) });
    expect(soon.status).toBe(422);
    expect(outcomeText(soon.json)).toMatch(/6 months/);
    const anonymous = await call('POST', 'releases/1.1.0/status', { status: 'faststalld', effectiveFrom: addMonths(today, 7) }, {}, false);
    expect(anonymous.status).toBe(401);
    const ok = await call('POST', 'releases/1.1.0/status', { status: 'faststalld', effectiveFrom: addMonths(today, 7) });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ status: 'faststalld', effectiveFrom: addMonths(today, 7), leadTime: { changeClass: 'minor', requiredMonths: 6, satisfied: true } });
    const sd = await server.kit.read({ resourceType: 'StructureDefinition', id: 'nim-insats-1.0.0' });
    expect(sd.status).toBe('active');
  });

  it('never changes an adopted release (409) and serves its package byte-identical, immutable and conditional', async () => {
    for (const [method, relative, body] of [
      ['PATCH', 'releases/1.1.0', { title: 'Ny titel' }],
      ['DELETE', 'releases/1.1.0', undefined],
      ['POST', 'releases/1.1.0/status', { status: 'utkast' }],
      ['POST', 'releases/1.1.0/comments', { text: 'För sent' }],
    ] as const) {
      const answer = await call(method, relative, body);
      expect(answer.status).toBe(409);
      expect(answer.json.resourceType).toBe('OperationOutcome');
    }
    const a = await bytes('releases/1.1.0/package.tgz');
    const b = await bytes('releases/1.1.0/package.tgz');
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toMatch(/application\/gzip/);
    expect(a.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Buffer.compare(a.body, b.body)).toBe(0);
    expect(a.headers.get('etag')).toBe(b.headers.get('etag'));
    const again = await bytes('releases/1.1.0/package.tgz', { 'If-None-Match': a.headers.get('etag')! });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    firstPackage = a.body;
  });

  it('exports every bound value set as CSV and XLSX, with short displays and the no-codes-yet state', async () => {
    const csv = await call('GET', 'releases/1.1.0/valuesets.csv?shortDisplayLimit=20');
    expect(csv.status).toBe(200);
    const lines = csv.text.trim().split('\r\n');
    expect(lines[0]).toBe('value_set,value_set_version,state,system,code,display,short_display,short_display_source,note');
    const assistans = lines.find((l) => l.includes(',lss-personlig-assistans,'))!;
    expect(assistans).toContain('Personlig assistans (LSS),');
    expect(lines.find((l) => l.includes(',lss-radgivning-personligt-stod,'))).toMatch(/Rådgivning och…,truncated/);
    expect(lines.some((l) => l.startsWith('https://kodverk.se/fhir/ValueSet/icf-orsak,0.1.0,no-codes-yet,') && l.includes('Inga koder ännu'))).toBe(true);
    const xlsx = await bytes('releases/1.1.0/valuesets.xlsx');
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as any);
    expect(wb.worksheets[0].name).toBe('Översikt');
    expect(wb.worksheets.length).toBeGreaterThan(10);
  });

  it('takes a new NIM version through utkast, påseende (with comments) and adoption with a recorded override', async () => {
    const started = await call('POST', 'nim/models/brukare/versions', {});
    expect(started.status).toBe(201);
    expect(started.json).toMatchObject({ version: '1.1.0', status: 'utkast' });
    const def = started.json.definition;
    def.attributes = def.attributes.filter((a: any) => a.id !== 'sekretessmarkering');
    // removing an attribute is a major change: the NIM version is renumbered accordingly
    const edited = await call('PUT', 'nim/models/brukare/1.1.0?newVersion=2.0.0', def);
    expect(edited.status).toBe(200);
    expect(edited.json.version).toBe('2.0.0');
    const created = await call('POST', 'releases', { title: 'Brukare utan sekretessmarkering' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ version: '2.0.0', status: 'utkast', preview: true, changeClass: 'major' });
    expect((await call('POST', 'releases/2.0.0/comments', { text: 'För tidigt' })).status).toBe(409);
    expect((await call('PATCH', 'releases/2.0.0', { effectiveFrom: addMonths(today, 7) })).status).toBe(200);
    const review = await call('POST', 'releases/2.0.0/status', { status: 'paseende' });
    expect(review.status).toBe(200);
    expect(review.json.contentHash).toMatch(/^sha256:/);
    const comment = await call('POST', 'releases/2.0.0/comments', { text: 'Sekretessmarkering behövs i vår verksamhet.', organisation: 'Exempelkommun', nim: 'brukare', attribute: 'sekretessmarkering' });
    expect(comment.status).toBe(201);
    const personal = await call('POST', 'releases/2.0.0/comments', { text: 'Gäller 19121212-1212' });
    expect(personal.status).toBe(422);
    expect((await call('GET', 'releases/2.0.0/comments')).json.comments).toHaveLength(1);
    const refused = await call('POST', 'releases/2.0.0/status', { status: 'faststalld' });
    expect(refused.status).toBe(422);
    expect(outcomeText(refused.json)).toMatch(/major change: vendors need 12 months/);
    const adopted = await call('POST', 'releases/2.0.0/status', { status: 'faststalld', overrideLeadTime: 'Ändringen är ett krav i ny föreskrift.' });
    expect(adopted.status).toBe(200);
    expect(adopted.json.leadTime).toMatchObject({ changeClass: 'major', requiredMonths: 12, satisfied: false, override: { reason: 'Ändringen är ett krav i ny föreskrift.' } });
    const previous = await server.kit.read({ resourceType: 'StructureDefinition', id: 'nim-brukare-1.0.0' });
    const period = previous.extension.find((e: any) => e.url.endsWith('nim-effective-period')).valuePeriod;
    expect(period.end < addMonths(today, 7)).toBe(true);
  });

  it('diffs two releases: change class, attributes, bindings and codes', async () => {
    const diff = (await call('GET', 'releases/1.1.0/diff/2.0.0')).json;
    expect(diff.changeClass).toBe('major');
    const brukare = diff.nims.changed.find((n: any) => n.url.endsWith('nim-brukare'));
    expect(brukare).toMatchObject({ fromVersion: '1.0.0', toVersion: '2.0.0', changeClass: 'major' });
    expect(brukare.attributes.removed.map((a: any) => a.id)).toEqual(['sekretessmarkering']);
    expect(diff.reasons[0]).toEqual({ class: 'major', text: 'Brukare: attribute Sekretessmarkering removed' });
    const seedDiff = (await call('GET', 'releases/1.0.0/diff/1.1.0')).json;
    expect(seedDiff.changeClass).toBe('minor');
    expect(seedDiff.nims.added).toHaveLength(7);
    expect(seedDiff.valueSets.find((v: any) => v.url.endsWith('/beslut-utfall')).added.map((c: any) => c.code)).toEqual(['beviljad', 'delvis-beviljad', 'avslag']);
  });

  it('answers what takes effect between two dates, and which release is in force', async () => {
    const window = (await call('GET', `releases/effective?from=${today}&to=${addMonths(today, 8)}`)).json;
    expect(window.releases.map((r: any) => [r.version, r.event])).toEqual([
      ['1.1.0', 'takes-effect'],
      ['2.0.0', 'takes-effect'],
    ]);
    expect((await call('GET', 'releases/in-force?date=2026-01-15')).json.release.version).toBe('1.0.0');
    // a query string that cannot be read is a bad request (400, as the API's Error response says), not a broken rule
    for (const [path, text] of [
      ['releases/effective?from=2026-02-01', 'to must be a date (YYYY-MM-DD), and is required'],
      ['releases/effective?from=yesterday&to=2026-03-01', 'from must be a date (YYYY-MM-DD), and is required'],
      ['releases/in-force?date=not-a-date', 'date must be a date (YYYY-MM-DD)'],
      ['releases?status=bogus', 'status is one of utkast, paseende, faststalld, upphavd'],
      ['releases/1.1.0/valuesets.csv?shortDisplayLimit=abc', 'shortDisplayLimit must be a number of characters from 5 to 500'],
    ]) {
      const a = await call('GET', path);
      expect([path, a.status, a.json.resourceType, a.json.issue[0].details.text]).toEqual([path, 400, 'OperationOutcome', text]);
    }
  });

  it('announces påseende and adoption in the Atom and JSON feeds, with ETag and 304', async () => {
    const atom = await call('GET', 'releases/feed.atom');
    expect(atom.status).toBe(200);
    expect(atom.contentType).toMatch(/application\/atom\+xml/);
    expect(atom.text).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(atom.text).toContain('Utgåva 2.0.0 är fastställd.');
    expect(atom.text).toContain('Ledtidskravet (12 månader) åsidosattes: Ändringen är ett krav i ny föreskrift.');
    const etag = atom.headers.get('etag')!;
    expect((await call('GET', 'releases/feed.atom', undefined, { 'If-None-Match': etag })).status).toBe(304);
    const feed = (await call('GET', 'releases/feed.json')).json;
    expect(feed.items[0]._kodverk).toMatchObject({ version: '2.0.0', status: 'faststalld', changeClass: 'major' });
    expect(feed.items.some((i: any) => i._kodverk.version === '1.1.0' && i._kodverk.status === 'paseende')).toBe(true);
    // a change makes the feed new
    expect((await call('POST', 'releases/1.0.0/status', { status: 'upphavd', effectiveTo: addMonths(today, 7) })).status).toBe(200);
    expect((await call('GET', 'releases/feed.atom', undefined, { 'If-None-Match': etag })).status).toBe(200);
  });

  it('imports a release package into a fresh instance and reproduces it exactly', async () => {
    const fresh = await startKodverk();
    try {
      const importTo = (tgz: Buffer) =>
        fetch(`${fresh.fhirBase.replace(/\/fhir$/, '')}/releases/import`, { method: 'POST', headers: { Authorization: `Bearer ${fresh.token}`, 'Content-Type': 'application/gzip' }, body: new Uint8Array(tgz) });
      const first = await importTo(firstPackage);
      expect(first.status).toBe(201);
      const there = await ((await fetch(`${fresh.fhirBase.replace(/\/fhir$/, '')}/releases/1.1.0`)).json() as Promise<any>);
      const here = (await call('GET', 'releases/1.1.0')).json;
      for (const key of ['version', 'status', 'effectiveFrom', 'contentHash', 'changeClass', 'nims', 'valueSets', 'codeSystems', 'bindings', 'leadTime']) expect(there[key]).toEqual(here[key]);
      const again = Buffer.from(await (await fetch(`${fresh.fhirBase.replace(/\/fhir$/, '')}/releases/1.1.0/package.tgz`)).arrayBuffer());
      expect(Buffer.compare(again, firstPackage)).toBe(0);
      expect((await importTo(firstPackage)).status).toBe(200);
      const sd = await fresh.kit.read({ resourceType: 'StructureDefinition', id: 'nim-brukare-1.0.0' });
      expect(sd.url).toBe('https://kodverk.se/fhir/StructureDefinition/nim-brukare');
      const tampered = Buffer.from(firstPackage);
      tampered[tampered.length - 20] ^= 0xff;
      expect((await importTo(tampered)).status).toBe(422);
    } finally {
      await fresh.close();
    }
  });
});
