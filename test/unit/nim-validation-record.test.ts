import type { ValueSet } from 'fhir/r4';
import { NimValidation } from '../../src/nim/validation';
import type { ValidationIssue } from '../../src/nim/validation/issues';
import { CodeChecker } from '../../src/nim/validation/code-checker';
import { IndexedValueSet, memberKey } from '../../src/nim/validation/release-index';
import { ICF_URL } from '../../src/terminology/providers/icf';
import { FixtureStore, OVERRIDE, UTFALL_2027, adoptReleases, codeSystem, fixtureStore } from './nim-validation-fixture';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { openNim } from '../../src/nim';
import { refusal } from '../helpers/refusal';

/**
 * Record validation against NIM releases on a real SQLite store (content pack, NIM seed and the
 * tx-free fixtures): release by version and by event date, cardinality, datatypes, binding
 * strengths, context bindings, binding periods, value sets checked by the engine, ICF qualifiers,
 * and nothing personal in what comes back.
 */

const KV = 'https://kodverk.se/fhir';
const NIM = (name: string) => `${KV}/StructureDefinition/nim-${name}`;
const PNR = '19121212-1212';

/** A NIM with every datatype and binding strength, bound to the content pack's value sets. */
const PROVNING = {
  name: 'provning',
  title: 'Provning',
  description: 'En NIM för att pröva valideringen.',
  attributes: [
    { id: 'datum', name: 'Datum', definition: 'Händelsedatum.', type: 'date', min: 1 },
    { id: 'kon', name: 'Kön', definition: 'Juridiskt kön.', type: 'Coding', binding: { strength: 'required', valueSet: `${KV}/ValueSet/juridiskt-kon`, purpose: ['dokumentation'] } },
    { id: 'sakomrade', name: 'Sakområde', definition: 'Sakområde.', type: 'Coding', binding: { strength: 'extensible', valueSet: `${KV}/ValueSet/sakomrade`, purpose: ['dokumentation'] } },
    { id: 'avslutsorsak', name: 'Avslutsorsak', definition: 'Orsak.', type: 'Coding', binding: { strength: 'preferred', valueSet: `${KV}/ValueSet/avslutsorsak`, purpose: ['dokumentation'] } },
    { id: 'kontaktsatt', name: 'Kontaktsätt', definition: 'Kontakt.', type: 'CodeableConcept', max: '*', binding: { strength: 'example', valueSet: `${KV}/ValueSet/kontaktsatt`, purpose: ['dokumentation'] } },
    {
      id: 'verkstallighet',
      name: 'Verkställighet',
      definition: 'Gäller 2027.',
      type: 'Coding',
      binding: { strength: 'required', valueSet: `${KV}/ValueSet/verkstallighetsstatus`, purpose: ['registerrapportering'], effective: { start: '2027-01-01', end: '2027-12-31' } },
    },
    { id: 'antal', name: 'Antal', definition: 'Ett heltal.', type: 'integer' },
    { id: 'andel', name: 'Andel', definition: 'Ett decimaltal.', type: 'decimal' },
    { id: 'flagga', name: 'Flagga', definition: 'Sant eller falskt.', type: 'boolean' },
    { id: 'tidpunkt', name: 'Tidpunkt', definition: 'Datum och tid.', type: 'dateTime' },
    { id: 'period', name: 'Period', definition: 'En period.', type: 'Period' },
    { id: 'belopp', name: 'Belopp', definition: 'Ett belopp.', type: 'Money' },
    { id: 'mangd', name: 'Mängd', definition: 'En mängd.', type: 'Quantity' },
    { id: 'personId', name: 'Person-id', definition: 'Identitet.', type: 'Identifier' },
    { id: 'anteckning', name: 'Anteckning', definition: 'Fri text.', type: 'string', max: '*' },
  ],
};

let f: FixtureStore;
let v: NimValidation;

beforeAll(() => {
  f = fixtureStore();
  adoptReleases(f);
  f.nim.models.create(PROVNING);
  f.nim.releases.create({ version: '2.0.0', title: 'Provning', nims: ['provning'] });
  f.nim.releases.transition('2.0.0', 'paseende');
  v = new NimValidation(f.nim, f.store);
});

afterAll(() => f.close());

/** The findings other than the note saying which release judged the record. */
const findings = (issues: ValidationIssue[]) => issues.filter((i) => i.type !== 'release-used');
const brief = (issues: ValidationIssue[]) => findings(issues).map((i) => [i.severity, i.type, i.element]);
const usedRelease = (issues: ValidationIssue[]) => issues.find((i) => i.type === 'release-used')?.release;
const provning = (record: Record<string, unknown>) => v.validateRecord({ nim: NIM('provning'), release: '2.0.0', record: { datum: '2026-06-01', ...record } });

describe('which release judges a record', () => {
  const beslut = (datum: string, extra: Record<string, unknown> = {}) => ({ nim: NIM('myndighetsbeslut'), record: { datum, utfall: 'avvisad', lagrum: 'SoL2025-12:1' }, ...extra });

  it('takes the release in force on the event date: a code valid from 1.2.0 is unknown in 1.1.0', () => {
    const before = v.validateRecord(beslut('2026-08-01'));
    expect(usedRelease(before)).toBe('1.1.0');
    expect(brief(before)).toEqual([['error', 'unknown-code', 'Myndighetsbeslut.utfall']]);
    const after = v.validateRecord(beslut('2027-08-01'));
    expect(usedRelease(after)).toBe('1.2.0');
    expect(brief(after)).toEqual([]);
    expect(after[0].text).toBe('Validated against NIM Myndighetsbeslut 1.1.0 in release 1.2.0 (faststalld, in force 2027-07-01)');
  });

  it('reads the event date as the value is read: surrounding spaces trimmed', () => {
    const padded = v.validateRecord(beslut(' 2027-08-01 '));
    expect(usedRelease(padded)).toBe('1.2.0');
    expect(padded.map((i) => i.type)).not.toContain('no-event-date');
  });

  it('takes the release named by version, or in force on the date given, whatever the record says', () => {
    expect(brief(v.validateRecord(beslut('2027-08-01', { release: '1.1.0' })))).toEqual([['error', 'unknown-code', 'Myndighetsbeslut.utfall']]);
    expect(brief(v.validateRecord(beslut('2026-08-01', { release: '1.2.0' })))).toEqual([]);
    expect(usedRelease(v.validateRecord(beslut('2026-08-01', { date: '2027-08-01' })))).toBe('1.2.0');
  });

  it('says when no release is in force, or the one in force lacks the NIM', () => {
    expect(brief(v.validateRecord(beslut('2025-01-01')))).toEqual([['warning', 'no-release', undefined]]);
    const early = v.validateRecord(beslut('2026-01-01'));
    expect(brief(early)).toEqual([['warning', 'nim-not-in-release', undefined]]);
    expect(early[0].text).toMatch(/Release 1\.0\.0 does not hold this NIM/);
  });

  it('uses the release in force today for a record without a date, and says so', () => {
    const out = v.validateRecord({ nim: 'brukare', record: { personId: 'x', kon: 'man' } }, '2026-09-01');
    expect(out.map((i) => i.type)).toEqual(['release-used', 'no-event-date']);
    expect(usedRelease(out)).toBe('1.1.0');
  });

  it('refuses malformed requests (400), unknown NIMs and releases (404) and an utkast (409)', () => {
    expect(refusal(() => v.validateRecord({ record: {} })).httpStatus).toBe(400);
    expect(refusal(() => v.validateRecord({ nim: `${NIM('insats')}|1.0.0`, record: {} })).message).toMatch(/without a version/);
    expect(refusal(() => v.validateRecord({ nim: 'insats', date: '2026-02-30', record: {} })).message).toMatch(/date must be a date/);
    expect(refusal(() => v.validateRecord({ nim: 'insats', record: [] })).httpStatus).toBe(400);
    expect(refusal(() => v.validateRecord({ nim: NIM('finns-inte'), record: {} })).httpStatus).toBe(404);
    expect(refusal(() => v.validateRecord({ nim: 'insats', release: '9.9.9', record: {} })).httpStatus).toBe(404);
    f.nim.releases.create({ version: '2.1.0', title: 'Utkast', nims: ['provning'] });
    expect(refusal(() => v.validateRecord({ nim: 'provning', release: '2.1.0', record: {} })).httpStatus).toBe(409);
    f.nim.releases.delete('2.1.0');
  });
});

describe('structure and datatypes', () => {
  it('accepts a record that is right in every datatype, from JSON or as cell text', () => {
    const json = provning({
      kon: { system: `${KV}/CodeSystem/juridiskt-kon`, code: 'kvinna' },
      kontaktsatt: [{ coding: [{ system: `${KV}/CodeSystem/kontaktsatt`, code: 'polis' }] }, { text: 'granne' }],
      antal: 3,
      andel: 0.25,
      flagga: true,
      tidpunkt: '2026-06-01T10:15:00+02:00',
      period: { start: '2026-06-01', end: '2026-12-31' },
      belopp: { value: 8500, currency: 'SEK' },
      mangd: { value: 4, unit: 'h' },
      personId: { system: 'urn:oid:1.2.752.129.2.1.3.1', value: PNR },
      anteckning: ['en', 'två'],
    });
    expect(brief(json)).toEqual([]);
    const cells = provning({ kon: 'kvinna', kontaktsatt: 'polis,skola', antal: '3', andel: '0.25', flagga: 'false', tidpunkt: '2026-06', period: '2026-06-01/', belopp: '8500.50 SEK', mangd: '4 h', personId: PNR });
    expect(brief(cells)).toEqual([]);
  });

  it('reports missing, repeated, malformed and unknown attributes at their element', () => {
    const out = v.validateRecord({
      nim: NIM('provning'),
      release: '2.0.0',
      record: { kon: 'kvinna,man', antal: '1.5', andel: '8500,50', flagga: 'ja', tidpunkt: '2026-06-01T10:00', period: '2026-09-01/2026-08-01', belopp: '8500 kronor', mangd: 'fyra', okand: 1, Kön: 'man' },
    });
    expect(brief(out)).toEqual([
      ['error', 'unknown-attribute', 'Provning.okand'],
      ['error', 'too-many', 'Provning.kon'],
      ['error', 'required-missing', 'Provning.datum'],
      ['error', 'too-many', 'Provning.kon'],
      ['error', 'invalid-value', 'Provning.antal'],
      ['error', 'invalid-value', 'Provning.andel'],
      ['error', 'invalid-value', 'Provning.flagga'],
      ['error', 'invalid-value', 'Provning.tidpunkt'],
      ['error', 'invalid-value', 'Provning.period'],
      ['error', 'invalid-value', 'Provning.belopp'],
      ['error', 'invalid-value', 'Provning.mangd'],
    ]);
    const text = findings(out).map((i) => i.text);
    expect(text).toContain('Provning.andel (Andel, decimal) is not a decimal number (use a point, not a comma, before the decimals)');
    expect(text).toContain('Provning.tidpunkt (Tidpunkt, dateTime) is a date and time without a time zone (add Z or +01:00)');
    expect(text).toContain('Provning.period (Period, Period) is a period that ends before it starts');
    for (const i of findings(out)) expect(i.txType).toBe('invalid-data');
  });

  it('FHIR Period: "start SHALL have a lower value than end" — times on one day compared as instants, their zones applied', () => {
    const period = (p: unknown) => brief(provning({ period: p }));
    const wrong = [['error', 'invalid-value', 'Provning.period']];
    expect(period({ start: '2026-01-01T10:00:00Z', end: '2026-01-01T09:30:00Z' })).toEqual(wrong);
    expect(period('2026-01-01T10:00:00Z/2026-01-01T09:30:00Z')).toEqual(wrong);
    expect(period({ start: '2026-01-01T10:00:00+01:00', end: '2026-01-01T09:30:00Z' })).toEqual([]); // 09:00Z to 09:30Z
    expect(period({ start: '2026-01-01T10:00:00Z', end: '2026-01-01T10:30:00+01:00' })).toEqual(wrong); // ends 09:30Z
    expect(period({ start: '2026-01-02T00:30:00+02:00', end: '2026-01-01T23:00:00Z' })).toEqual([]); // starts 2026-01-01T22:30Z
    expect(period({ start: '2026-01-01T10:00:00Z', end: '2026-01-01T10:00:00Z' })).toEqual([]);
    expect(period({ start: '2026-01-01T10:00:00Z', end: '2026-01-01' })).toEqual([]);
    expect(period({ start: '2026-01-02', end: '2026-01-01T23:00:00Z' })).toEqual(wrong);
  });

  it('knows the calendar: 2026-02-29 is no date, 2028-02-29 is', () => {
    expect(brief(provning({ datum: '2026-02-29' }))).toEqual([['error', 'invalid-value', 'Provning.datum']]);
    expect(brief(provning({ datum: '2028-02-29' }))).toEqual([]);
  });
});

describe('bindings', () => {
  const cs = (name: string, code: string) => `${KV}/CodeSystem/${name}|${code}`;

  it('weighs a code outside the value set by the binding strength', () => {
    const out = provning({ kon: cs('sakomrade', 'aldreomsorg'), sakomrade: cs('juridiskt-kon', 'man'), avslutsorsak: cs('juridiskt-kon', 'man'), kontaktsatt: cs('juridiskt-kon', 'man') });
    expect(brief(out)).toEqual([
      ['error', 'not-in-value-set', 'Provning.kon'],
      ['warning', 'not-in-value-set', 'Provning.sakomrade'],
      ['information', 'not-in-value-set', 'Provning.avslutsorsak'],
      ['information', 'not-in-value-set', 'Provning.kontaktsatt[0]'],
    ]);
    const kon = findings(out)[0];
    expect(kon).toMatchObject({ code: 'code-invalid', txType: 'not-in-vs', valueSet: `${KV}/ValueSet/juridiskt-kon|2026.1` });
    expect(kon.text).toBe(`Provning.kon: ${KV}/CodeSystem/sakomrade|aldreomsorg is not in value set ${KV}/ValueSet/juridiskt-kon|2026.1`);
  });

  it('tells an unknown code from a code outside the value set, and a code system it does not know', () => {
    const out = provning({ kon: cs('juridiskt-kon', 'okand'), sakomrade: 'http://example.org/cs|x', avslutsorsak: 'okand' });
    expect(brief(out)).toEqual([
      ['error', 'unknown-code', 'Provning.kon'],
      ['warning', 'not-in-value-set', 'Provning.sakomrade'],
      ['error', 'unknown-code', 'Provning.avslutsorsak'],
    ]);
    expect(findings(out)[0]).toMatchObject({ txType: 'invalid-code', text: `Provning.kon: the code is not a code of ${KV}/CodeSystem/juridiskt-kon` });
    expect(findings(out)[1].text).toMatch(/its code system is not known to this server/);
  });

  it('accepts a CodeableConcept when one of its codings is in the value set', () => {
    expect(brief(provning({ kontaktsatt: { coding: [{ system: 'http://example.org/lokal', code: 'granne' }, { system: `${KV}/CodeSystem/kontaktsatt`, code: 'skola' }] } }))).toEqual([]);
  });

  it('applies a context binding when its conditions hold, instead of the primary binding', () => {
    const arende = (typ: string, sakomrade: string, orsak: unknown) => v.validateRecord({ nim: 'aktualisera-arende', release: '1.1.0', record: { typ, sakomrade, orsak, datum: '2026-10-01' } });
    expect(brief(arende('anmalan', 'barn-och-unga', 'oro-for-barn'))).toEqual([]);
    const wrong = arende('anmalan', 'barn-och-unga', ['oro-for-barn', 'ekonomiskt-behov']);
    expect(brief(wrong)).toEqual([['error', 'not-in-context-value-set', 'AktualiseraArende.orsak[1]']]);
    expect(findings(wrong)[0].text).toBe(
      `AktualiseraArende.orsak[1]: ${KV}/CodeSystem/aktualiseringsorsak|ekonomiskt-behov is not in value set ${KV}/ValueSet/aktualiseringsorsak-barn-och-unga-anmalan|0.9.0, which applies when typ = anmalan and sakomrade = barn-och-unga`,
    );
    expect(brief(arende('ansokan', 'ekonomiskt-bistand', 'ekonomiskt-behov'))).toEqual([]);
    // no context holds: the primary binding (ICF, not imported here) applies and cannot be checked
    expect(brief(arende('information-pa-annat-satt', 'barn-och-unga', 'oro-for-barn'))).toEqual([['information', 'not-checked', 'AktualiseraArende.orsak[0]']]);
  });

  it('binds KSI by sakområde', () => {
    const insats = (sakomrade: string, ksiKod: string) => v.validateRecord({ nim: 'insats', release: '1.1.0', record: { typ: 'hemtjanst', sakomrade, ksiKod, status: '30' } });
    expect(brief(insats('aldreomsorg', 'YAA.05.00'))).toEqual([]);
    expect(brief(insats('aldreomsorg', 'YAB.10.ZZ'))).toEqual([['error', 'not-in-context-value-set', 'Insats.ksiKod']]);
    expect(brief(insats('funktionsnedsattning', 'YAB.10.ZZ'))).toEqual([]);
    expect(brief(insats('funktionsnedsattning', 'XXX.00.00'))).toEqual([['error', 'unknown-code', 'Insats.ksiKod']]);
  });

  it('applies a binding only within its own effective period', () => {
    const outside = provning({ verkstallighet: 'okand' });
    expect(brief(outside)).toEqual([['information', 'binding-not-in-force', 'Provning.verkstallighet']]);
    expect(findings(outside)[0].text).toMatch(/is in force 2027-01-01 – 2027-12-31, not on the event date/);
    expect(brief(provning({ datum: '2027-06-01', verkstallighet: 'okand' }))).toEqual([['error', 'unknown-code', 'Provning.verkstallighet']]);
    expect(brief(provning({ datum: '2027-06-01', verkstallighet: 'avslutat-utan-verkstallighet' }))).toEqual([]);
  });

  it('warns about an inactive code', () => {
    const out = v.validateRecord({ nim: 'insats', release: '1.1.0', record: { typ: 'hemtjanst', sakomrade: 'aldreomsorg', status: '05' } });
    expect(brief(out)).toEqual([['warning', 'inactive-code', 'Insats.status']]);
    expect(findings(out)[0].txType).toBe('code-comment');
  });

  it('checks a value set that had no codes at publication against the store as it is now', () => {
    const personal = (befattning: string) => v.validateRecord({ nim: 'personal', release: '1.1.0', record: { personalId: 'hsa-1', befattning } });
    expect(brief(personal('handlaggare'))).toEqual([['information', 'not-checked', 'Personal.befattning']]);
    const befattning = codeSystem('befattning', '1', [{ code: 'handlaggare' }, { code: 'enhetschef' }]);
    const vs: ValueSet = { resourceType: 'ValueSet', id: 'test-befattning', url: `${KV}/ValueSet/befattning`, version: '1', status: 'draft', compose: { include: [{ system: befattning.url, concept: [{ code: 'handlaggare' }] }] } };
    f.loader.load([befattning, vs]);
    expect(brief(personal('handlaggare'))).toEqual([]);
    expect(brief(personal('enhetschef'))).toEqual([['warning', 'not-in-value-set', 'Personal.befattning']]);
    expect(brief(personal(`${befattning.url}|chef`))).toEqual([['error', 'unknown-code', 'Personal.befattning']]);
  });
});

describe('personal data', () => {
  it('never quotes a value that is not a known code', () => {
    const out = v.validateRecord({
      nim: NIM('provning'),
      release: '2.0.0',
      record: { datum: PNR, kon: PNR, sakomrade: `${PNR}|${PNR}`, antal: PNR, personId: { value: PNR, system: 5 }, [PNR]: 'x', anteckning: PNR, kontaktsatt: { coding: [{ code: PNR }] } },
    });
    expect(findings(out).length).toBeGreaterThanOrEqual(6);
    expect(JSON.stringify(out)).not.toContain('1212');
  });
});


describe('ICF codes with qualifiers', () => {
  it('are in a value set when their category is, and their qualifiers are checked by the ICF rules', () => {
    const own = fixtureStore();
    try {
      const icf = codeSystem('icf', '2025', [{ code: 'd', display: 'AKTIVITETER OCH DELAKTIGHET', concept: [{ code: 'd4', display: 'Förflyttning', concept: [{ code: 'd450', display: 'Att gå', concept: [{ code: 'd4500', display: 'Att gå kortare sträckor' }] }] }] }]);
      expect(icf.url).toBe(ICF_URL);
      own.loader.load([icf]);
      const checker = new CodeChecker(own.store);
      const vs: IndexedValueSet = {
        key: `${KV}/ValueSet/test-icf|1`,
        url: `${KV}/ValueSet/test-icf`,
        pinned: false,
        state: 'expanded',
        members: new Set([memberKey(ICF_URL, 'd4500')]),
        inactive: new Set(),
        systemsOf: new Map([['d4500', [ICF_URL]]]),
        systems: new Map([[ICF_URL, '2025']]),
      };
      expect(checker.check(vs, { system: ICF_URL, code: 'd4500.2' })).toEqual({ kind: 'member', system: ICF_URL, inactive: false });
      expect(checker.check(vs, { code: 'd4500.23' })).toEqual({ kind: 'member', system: ICF_URL, inactive: false });
      expect(checker.check(vs, { system: ICF_URL, code: 'd4500.7' })).toMatchObject({ kind: 'outside', known: 'no' });
      expect(checker.check(vs, { system: ICF_URL, code: 'd450.2' })).toMatchObject({ kind: 'outside', known: 'yes' });
    } finally {
      own.close();
    }
  });
});

describe('the release in force, kept between calls', () => {
  it('follows an adoption at once, also one written by another process, and reads a binding as record validation does', () => {
    const own = fixtureStore();
    const other = openDatabase(own.file);
    try {
      const kept = new NimValidation(own.nim, own.store);
      const utfall = () => kept.bindingAt(`${NIM('myndighetsbeslut')}#utfall`, '2026-08-01');
      // 1.0.0 (in force since 2025-12-01) does not hold Myndighetsbeslut: the answer is remembered
      const notHeld = { httpStatus: 422, issues: [expect.objectContaining({ text: expect.stringMatching(/Release 1.0.0, in force on 2026-08-01, does not hold/) })] };
      expect(refusal(utfall)).toMatchObject(notHeld);
      expect(refusal(utfall)).toMatchObject(notHeld);
      // another process adopts 1.1.0 from 2026-07-01
      openNim(other, new ResourceStore(other)).releases.transition('1.1.0', 'faststalld', { effectiveFrom: '2026-07-01', overrideLeadTime: OVERRIDE });
      expect(utfall()).toMatchObject({ url: `${KV}/ValueSet/beslut-utfall`, release: '1.1.0', element: 'Myndighetsbeslut.utfall' });
      expect(kept.validateRecord({ nim: NIM('myndighetsbeslut'), record: { datum: '2026-08-01', utfall: 'beviljad', lagrum: 'SoL2025-12:1' } })[0]).toMatchObject({ release: '1.1.0' });
      // the release drew beslut-utfall 2026.1 (an enumeration) from its code system as it was then
      expect(utfall()).toMatchObject({ version: '2026.1', systemVersions: [`${KV}/CodeSystem/beslut-utfall|2026.1`] });
      // a floating binding whose version is gone (a placeholder an import replaced) means the value set now, as for records
      own.store.delete('ValueSet', 'beslut-utfall');
      own.loader.load([{ ...UTFALL_2027.valueSet, id: 'beslut-utfall-next', version: '2026.2' } as ValueSet]);
      expect(utfall()).toMatchObject({ url: `${KV}/ValueSet/beslut-utfall`, version: undefined, systemVersions: [] });
    } finally {
      other.close();
      own.close();
    }
  });
});
