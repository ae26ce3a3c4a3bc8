import { Kodverk, raw, startKodverk } from './support/server';

function param(p: any, name: string): any {
  const x = p.parameter?.find((e: any) => e.name === name);
  return x && (Object.entries(x).find(([k]) => k.startsWith('value'))?.[1] ?? x.resource);
}

/**
 * The code systems every FHIR terminology server knows, over HTTP on a fresh server: listed in
 * TerminologyCapabilities, validated by $validate-code (the acceptance codes of issue 11), and the
 * FHIR languages value set expanded in Swedish for a Swedish client.
 */
describe('UCUM, BCP-47, ISO 3166, ISO 4217 and MIME types over HTTP', () => {
  let server: Kodverk;

  beforeAll(async () => {
    server = await startKodverk({ loadFhirCore: true });
  });
  afterAll(() => server.close());

  const validate = async (system: string, code: string) => (await raw(server, `CodeSystem/$validate-code?url=${encodeURIComponent(system)}&code=${encodeURIComponent(code)}`)).json;

  it('lists them in TerminologyCapabilities, with their filters', async () => {
    const caps = (await raw(server, 'metadata?mode=terminology')).json;
    const byUri = new Map(caps.codeSystem.map((c: any) => [c.uri, c]));
    for (const uri of ['http://unitsofmeasure.org', 'urn:ietf:bcp:47', 'urn:iso:std:iso:3166', 'urn:iso:std:iso:4217', 'urn:ietf:bcp:13']) expect(byUri.has(uri)).toBe(true);
    expect((byUri.get('http://unitsofmeasure.org') as any).version[0]).toEqual({ code: '2.2', filter: [{ code: 'canonical', op: ['='] }] });
    // the filters the providers serve, declared: code regex (FHIR's value sets of one ISO 3166 code form), decimals of a currency, a country's subdivisions
    expect((byUri.get('urn:iso:std:iso:3166') as any).version[0].filter).toEqual([{ code: 'code', op: ['regex'] }]);
    expect((byUri.get('urn:iso:std:iso:4217') as any).version[0].filter).toEqual([{ code: 'decimals', op: ['='] }]);
    expect((byUri.get('urn:iso:std:iso:3166:-2') as any).version[0].filter).toContainEqual({ code: 'country', op: ['='] });
    // a content = not-present stub (FHIR core's Snomed CT, no release imported) is held, not supported
    // (tx-ecosystem requirements: TerminologyCapabilities lists the supported code systems)
    expect(byUri.has('http://snomed.info/sct')).toBe(false);
    expect(byUri.has('http://hl7.org/fhir/administrative-gender')).toBe(true);
  });

  it('validates sv-SE, SEK, SE and h/wk, and refuses hrs with a reason', async () => {
    for (const [system, code] of [
      ['urn:ietf:bcp:47', 'sv-SE'],
      ['urn:iso:std:iso:4217', 'SEK'],
      ['urn:iso:std:iso:3166', 'SE'],
      ['http://unitsofmeasure.org', 'h/wk'],
    ]) {
      expect([code, param(await validate(system, code), 'result')]).toEqual([code, true]);
    }
    const hrs = await validate('http://unitsofmeasure.org', 'hrs');
    expect(param(hrs, 'result')).toBe(false);
    expect(param(hrs, 'message')).toBe("Unknown code 'hrs' in the CodeSystem 'http://unitsofmeasure.org' version '2.2'");
    const reasons = param(hrs, 'issues').issue.map((i: any) => i.details.text);
    expect(reasons).toContain("Error processing unit 'hrs': The unit 'hrs' is unknown at character 1 (did you mean h, hour?)");
  });

  it('expands the languages value set with Swedish displays for a Swedish client', async () => {
    const vs = (await raw(server, 'ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/languages', { headers: { 'Accept-Language': 'sv' } })).json;
    const byCode = new Map(vs.expansion.contains.map((c: any) => [c.code, c.display]));
    expect(byCode.get('sv')).toBe('Svenska');
    expect(byCode.get('sv-SE')).toBe('Svenska (Sverige)');
    expect(byCode.get('fr')).toBe('Franska');
    // English for everyone else
    const en = (await raw(server, 'ValueSet/$expand?url=http://hl7.org/fhir/ValueSet/languages')).json;
    expect(en.expansion.contains.find((c: any) => c.code === 'sv-SE').display).toBe('Swedish (Sweden)');
  });
});
