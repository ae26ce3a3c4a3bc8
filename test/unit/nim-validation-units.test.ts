import { NimValidation } from '../../src/nim/validation';
import type { ValidationIssue } from '../../src/nim/validation/issues';
import { SubmissionValidator } from '../../src/nim/validation/submission-validator';
import { fhirCoreResources } from '../../src/importers/fhir-core';
import { FixtureStore, HEADER, adoptReleases, findingsOf, fixtureStore, row } from './nim-validation-fixture';

/**
 * NIM validation of the values whose codes come from the code systems every server knows, end
 * to end through the terminology engine: Money (ISO 4217 currency), Quantity (UCUM unit), and
 * Codings bound to FHIR's value sets of ISO 3166 countries (Brukare födelseland) and BCP-47
 * languages (Kommunikationssätt talat språk) — in a record and in a register submission.
 */

const KV = 'https://kodverk.se/fhir';
const NIM = (name: string) => `${KV}/StructureDefinition/nim-${name}`;
const ISO3166 = 'urn:iso:std:iso:3166';
const BCP47 = 'urn:ietf:bcp:47';

/** A NIM with a Money and a Quantity, for the datatype rules. */
const attribute = (id: string, type: string, more: Record<string, unknown> = { max: '*' }) => ({ id, name: id[0].toUpperCase() + id.slice(1), definition: `${type}.`, type, ...more });
const MATT = { name: 'matt', title: 'Mått', description: 'Belopp och mängder.', attributes: [attribute('datum', 'date', { min: 1 }), attribute('belopp', 'Money'), attribute('omfattning', 'Quantity')] };

let f: FixtureStore;
let v: NimValidation;

beforeAll(() => {
  // FHIR's value sets the seed binds to (a server loads them with FHIR core on its first start)
  const core = ['http://hl7.org/fhir/ValueSet/iso3166-1-2', 'http://hl7.org/fhir/ValueSet/languages'];
  f = fixtureStore(fhirCoreResources().filter((r) => core.includes(r.url)));
  adoptReleases(f);
  f.nim.models.create(MATT);
  f.nim.releases.create({ version: '2.0.0', title: 'Mått', nims: ['matt'] });
  f.nim.releases.transition('2.0.0', 'paseende');
  v = new NimValidation(f.nim, f.store);
});

afterAll(() => f.close());

const brief = (issues: ValidationIssue[]) => issues.filter((i) => i.type !== 'release-used' && i.type !== 'no-event-date').map((i) => [i.severity, i.type, i.element]);
const matt = (record: Record<string, unknown>) => brief(v.validateRecord({ nim: NIM('matt'), release: '2.0.0', record: { datum: '2026-06-01', ...record } }));

describe('Money: the currency is an ISO 4217 code', () => {
  it('accepts current currencies, as JSON or as cell text', () => {
    expect(matt({ belopp: [{ value: 8500, currency: 'SEK' }, { value: '12.50', currency: 'EUR' }, '8500.50 SEK', '100 NOK', '250'] })).toEqual([]);
  });

  it('refuses a three-letter code that is no currency, without quoting it', () => {
    const out = v.validateRecord({ nim: NIM('matt'), release: '2.0.0', record: { datum: '2026-06-01', belopp: [{ value: 1, currency: 'SKR' }, '5 KRO'] } });
    expect(brief(out)).toEqual([
      ['error', 'invalid-value', 'Matt.belopp[0]'],
      ['error', 'invalid-value', 'Matt.belopp[1]'],
    ]);
    const texts = out.map((i) => i.text).join('\n');
    expect(texts).toContain('has a currency that is not an ISO 4217 currency code');
    expect(texts).not.toMatch(/SKR|KRO/);
  });

  it("refuses more decimals than the currency's minor unit (öre: two; yen: none)", () => {
    expect(matt({ belopp: ['8500.505 SEK', { value: 12.5, currency: 'JPY' }, { value: 100, currency: 'JPY' }, '0.05 SEK'] })).toEqual([
      ['error', 'invalid-value', 'Matt.belopp[0]'],
      ['error', 'invalid-value', 'Matt.belopp[1]'],
    ]);
  });
});

describe('Quantity: the unit is a UCUM expression', () => {
  it('accepts UCUM units with prefixes, quotients and annotations; a unit text alone is not checked', () => {
    expect(matt({ omfattning: ['12 h/wk', '4 h', { value: 2.5, system: 'http://unitsofmeasure.org', code: 'h/wk' }, { value: 3, code: 'mg/dL' }, { value: 30, code: '{besök}/mo' }, { value: 4, unit: 'timmar i veckan' }] })).toEqual([
      // {besök}: an annotation holds printable ASCII only
      ['error', 'invalid-value', 'Matt.omfattning[4]'],
    ]);
  });

  it('refuses what is not UCUM (hrs is no unit; h is an hour)', () => {
    expect(matt({ omfattning: ['12 hrs', { value: 4, system: 'http://unitsofmeasure.org', code: 'timmar' }, { value: 1, system: 'http://example.org/units', code: 'hrs' }] })).toEqual([
      ['error', 'invalid-value', 'Matt.omfattning[0]'],
      ['error', 'invalid-value', 'Matt.omfattning[1]'],
    ]);
  });
});

describe('Codings of ISO 3166 and BCP-47 in the seed NIMs', () => {
  const brukare = (fodelseland: unknown) => brief(v.validateRecord({ nim: 'brukare', release: '1.1.0', record: { personId: 'x', kon: 'man', fodelseland } }));
  const sprak = (taladSprak: unknown) => brief(v.validateRecord({ nim: 'kommunikationssatt', release: '1.1.0', record: { taladSprak } }));

  it('Födelseland: an alpha-2 country code, with or without its system', () => {
    expect(brukare('SE')).toEqual([]);
    expect(brukare({ system: ISO3166, code: 'FI' })).toEqual([]);
    // SWE is a country code, but not of the alpha-2 value set the binding names (required)
    expect(brukare(`${ISO3166}|SWE`)).toEqual([['error', 'not-in-value-set', 'Brukare.fodelseland']]);
    // SQ is no country code at all
    expect(brukare('SQ')).toEqual([['error', 'unknown-code', 'Brukare.fodelseland']]);
  });

  it('Talat språk: a language of the languages value set (preferred binding)', () => {
    expect(sprak(['sv', 'en-GB'])).toEqual([]);
    // a valid tag outside the value set is noted (preferred), a tag that is no language is wrong
    expect(sprak({ system: BCP47, code: 'se' })).toEqual([['information', 'not-in-value-set', 'Kommunikationssatt.taladSprak[0]']]);
    expect(sprak({ system: BCP47, code: 'sv-AB' })).toEqual([['error', 'unknown-code', 'Kommunikationssatt.taladSprak[0]']]);
    // language tags are case-insensitive: sv-se is the member sv-SE
    expect(sprak({ system: BCP47, code: 'sv-se' })).toEqual([]);
  });
});

describe('a register submission', () => {
  it('checks currencies, units and country codes of every row', async () => {
    const header = `${HEADER};Brukare.födelseland;Insats.belopp`;
    const text = [header, `${row()};SE;8500 SEK`, `${row()};SQ;8500 SKR`, `${row()};FI;120.50 EUR`].join('\r\n') + '\r\n';
    const validator = new SubmissionValidator(v);
    let out = '';
    const file = (async function* () {
      yield Buffer.from(text, 'utf8');
    })();
    await validator.run(file, { format: 'csv', today: '2026-09-01' }, (t) => void (out += t));
    const report = JSON.parse(out);
    expect(findingsOf(report)).toEqual([
      [2, 'error', 'unknown-code', 'Brukare.fodelseland', 13],
      [2, 'error', 'invalid-value', 'Insats.belopp', 14],
    ]);
    expect(out).not.toMatch(/SKR|SQ/);
  });
});
