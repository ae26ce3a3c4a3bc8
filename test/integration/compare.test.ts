import type { OperationOutcome, Parameters } from 'fhir/r4';
import { COLOURS, codeSystem, valueSet } from './support/fixtures';
import { Kodverk, startKodverk, uniqueUrl } from './support/server';
import { jsonOf } from '../helpers/json';

/** ValueSet/$compare (and its first name, $related) over HTTP, and the sentence on the compare page. */
describe('comparing value sets', () => {
  let server: Kodverk;
  const url = uniqueUrl('ValueSet');

  beforeAll(async () => {
    server = await startKodverk();
    const concept = ['red', 'green', 'blue', 'yellow'].map((code) => ({ code, display: code }));
    await server.kit.update({ resourceType: 'CodeSystem', id: 'colours', body: codeSystem({ id: 'colours', concept }) });
    // the 2025 selection has two colours, the 2026 selection adds two more
    await server.kit.update({ resourceType: 'ValueSet', id: 'sel-2025', body: valueSet({ id: 'sel-2025', url, version: '2025', compose: { include: [{ system: COLOURS, concept: [{ code: 'red' }, { code: 'green' }] }] } }) });
    await server.kit.update({ resourceType: 'ValueSet', id: 'sel-2026', body: valueSet({ id: 'sel-2026', url, version: '2026', compose: { include: [{ system: COLOURS }] } }) });
  });
  afterAll(() => server?.close());

  const value = (p: Parameters, name: string) => {
    const x = p.parameter?.find((e) => e.name === name);
    return x && Object.entries(x).find(([k]) => k.startsWith('value'))?.[1];
  };

  it.each(['compare', 'related'])('answers $%s with the relation and how it was decided', async (name) => {
    const out = (await server.kit.operation({
      name,
      resourceType: 'ValueSet',
      input: { resourceType: 'Parameters', parameter: [{ name: 'thisUrl', valueUri: `${url}|2026` }, { name: 'otherUrl', valueUri: `${url}|2025` }] },
    })) as Parameters;
    expect(value(out, 'result')).toBe('superset');
    expect(value(out, 'performed-expansion')).toBe(false);
  });

  it('says on the compare page how the newer version relates to the older', async () => {
    const res = await fetch(`${server.fhirBase.replace(/\/fhir$/, '')}/jamfor?vad=${encodeURIComponent(`ValueSet|${url}`)}&fran=2025&till=2026`, { headers: { cookie: 'kodverk-sprak=en' } });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain('Version 2026 is a superset of version 2025: 2 codes added.');
  });

  it('refuses a call without the other value set (400 OperationOutcome)', async () => {
    const res = await fetch(`${server.fhirBase}/ValueSet/$compare?thisUrl=${encodeURIComponent(url)}`);
    expect(res.status).toBe(400);
    expect((await jsonOf<OperationOutcome>(res)).resourceType).toBe('OperationOutcome');
  });
});
