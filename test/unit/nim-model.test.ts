import YAML from 'yaml';
import { NimDefinition, checkDefinition, fromStructureDefinition, toStructureDefinition } from '../../src/nim/nim-model';
import { diffReleases } from '../../src/nim/release-diff';
import { ReleaseSnapshot, SNAPSHOT_FORMAT, announcedClass, bump, contentHash } from '../../src/nim/release-snapshot';
import { addMonths, checkLeadTime } from '../../src/nim/lead-time';
import { isDay } from '../../src/nim/nim-releases';
import { ReleaseIndex, ReleaseIndexCache } from '../../src/nim/validation/release-index';
import type { NimReleaseRow } from '../../src/store/nim-store';
import { buildPackage, packageFiles, readPackage } from '../../src/nim/release-package';
import { shortDisplay } from '../../src/nim/release-exports';
import { refusePersonalData } from '../../src/nim/errors';
import type { ResolvedValueSet } from '../../src/nim/binding-resolver';
import { SchemaValidator } from '../../src/terminology/resource-schema';

/** NimModel, ReleaseDiff, lead time and ReleasePackage on small hand-made content. */

const SAKOMRADE = 'https://kodverk.se/fhir/CodeSystem/sakomrade';
const VS = 'https://kodverk.se/fhir/ValueSet/beslut-utfall';

function definition(over: Partial<NimDefinition> = {}): NimDefinition {
  return checkDefinition({
    name: 'beslut',
    title: 'Beslut',
    description: 'Ett beslut.',
    legalBasis: [{ kind: 'foreskrift', citation: 'SOSFS 2014:5' }],
    attributes: [
      { id: 'sakomrade', name: 'Sakområde', definition: 'Sakområdet.', type: 'Coding', min: 1, binding: { strength: 'required', valueSet: 'https://kodverk.se/fhir/ValueSet/sakomrade', purpose: ['dokumentation'] } },
      {
        id: 'utfall',
        name: 'Utfall',
        definition: 'Beslutets utfall.',
        type: 'Coding',
        registerRelevant: true,
        registerItem: 'Insats (beviljad / avslag)',
        binding: {
          strength: 'extensible',
          valueSet: `${VS}|2026.1`,
          purpose: ['dokumentation', 'registerrapportering'],
          normativeStatus: 'foreskrift',
          effective: { start: '2027-01-01' },
          contexts: [{ purpose: 'required', valueSet: 'https://kodverk.se/fhir/ValueSet/utfall-ekb', documentation: 'Vid ekonomiskt bistånd.', when: [{ attribute: 'sakomrade', system: SAKOMRADE, code: 'ekonomiskt-bistand' }] }],
        },
      },
      { id: 'alder', name: 'Ålder', definition: 'Ålder.', type: 'integer', derived: { from: ['sakomrade'], rule: 'Exempel.' } },
      { id: 'belopp', name: 'Belopp', definition: 'Belopp.', type: 'Money' },
    ],
    ...over,
  });
}

const META = { version: '1.0.0', lifecycle: 'faststalld' as const, effective: { start: '2027-01-01' }, date: '2026-06-01', publisher: 'Kodverk' };

function resolved(requested: string, codes: [string, string][], state: ResolvedValueSet['state'] = 'expanded'): ResolvedValueSet {
  const [url, version] = requested.split('|');
  return { requested, url, pinned: !!version, version: version ?? '1', key: `${url}|${version ?? '1'}`, state, codeSystems: [], total: codes.length, codes: codes.map(([code, display]) => ({ system: 'urn:test', code, display })) };
}

function snapshot(version: string, def: NimDefinition, utfall: [string, string][], nimVersion = '1.0.0'): ReleaseSnapshot {
  return {
    format: SNAPSHOT_FORMAT,
    version,
    title: `Release ${version}`,
    status: 'faststalld',
    date: '2026-06-01',
    changeClass: 'none',
    nims: [{ url: 'https://kodverk.se/fhir/StructureDefinition/nim-beslut', name: 'beslut', version: nimVersion, title: def.title, status: 'faststalld', resource: toStructureDefinition(def, { ...META, version: nimVersion }) }],
    valueSets: [resolved(`${VS}|2026.1`, utfall), resolved('https://kodverk.se/fhir/ValueSet/sakomrade', [['ekonomiskt-bistand', 'Ekonomiskt bistånd']]), resolved('https://kodverk.se/fhir/ValueSet/utfall-ekb', [], 'no-codes-yet')],
    codeSystems: [],
    bindings: [],
    definitions: [],
  };
}

describe('NimModel', () => {
  it('is a valid FHIR R4 logical model that converts back to the same definition', () => {
    const def = definition();
    const sd = toStructureDefinition(def, META);
    // the official R4 JSON schema's fhirVersion list stops at 4.0.0 (the technical correction 4.0.1 is missing)
    expect(() => new SchemaValidator().check({ ...sd, fhirVersion: '4.0.0' })).not.toThrow();
    expect(sd).toMatchObject({ id: 'nim-beslut-1.0.0', url: 'https://kodverk.se/fhir/StructureDefinition/nim-beslut', kind: 'logical', derivation: 'specialization', status: 'active' });
    expect(sd.differential.element[2].binding.valueSet).toBe(`${VS}|2026.1`);
    expect(fromStructureDefinition(sd)).toEqual(def);
  });

  it('refuses malformed definitions with the element at fault', () => {
    const attempt = (over: object) => () => checkDefinition({ ...definition(), ...over });
    expect(attempt({ name: 'Beslut' })).toThrow(/name must be lower-case/);
    expect(attempt({ attributes: [{ id: 'x', name: 'X', definition: 'X', type: 'string', binding: { strength: 'required', valueSet: VS } }] })).toThrow(/not coded/);
    expect(attempt({ attributes: [{ id: 'x', name: 'X', definition: 'X', type: 'Text' }] })).toThrow(/attributes\[0\]\.type must be one of/);
    expect(attempt({ attributes: [{ id: 'x', name: 'X', definition: 'X', type: 'Coding', binding: { strength: 'required', valueSet: VS, contexts: [{ valueSet: VS, when: [{ attribute: 'saknas', system: SAKOMRADE, code: 'a' }] }] } }] })).toThrow(/names no attribute/);
  });

  it('refuses a derived rule with keys other than from and rule (an unquoted comma in a YAML flow mapping)', () => {
    // what `derived: { from: [x], rule: Udda man, jämn kvinna. }` parses to: a cut rule and a stray key
    const derived = YAML.parse('{ from: [x], rule: Udda man, jämn kvinna. }');
    expect(derived).toEqual({ from: ['x'], rule: 'Udda man', 'jämn kvinna.': null });
    const attempt = () => checkDefinition({ ...definition(), attributes: [{ id: 'x', name: 'X', definition: 'X', type: 'string' }, { id: 'y', name: 'Y', definition: 'Y', type: 'string', derived }] });
    expect(attempt).toThrow(/attributes\[1\]\.derived has unknown keys \(jämn kvinna\.\)/);
  });
});

describe('ReleaseDiff', () => {
  const base = snapshot('1.0.0', definition(), [['beviljad', 'Beviljad'], ['avslag', 'Avslag']]);
  const changed = (def: NimDefinition, codes: [string, string][] = [['beviljad', 'Beviljad'], ['avslag', 'Avslag']]) => diffReleases(base, snapshot('2.0.0', def, codes, '2.0.0'));

  it('classifies a removed attribute, a narrowed value set and a stricter binding as major', () => {
    const d = definition();
    expect(changed({ ...d, attributes: d.attributes.filter((a) => a.id !== 'belopp') }).changeClass).toBe('major');
    expect(changed(d, [['beviljad', 'Beviljad']]).valueSets[0]).toMatchObject({ removed: [{ code: 'avslag' }], added: [] });
    expect(changed(d, [['beviljad', 'Beviljad']]).changeClass).toBe('major');
    const stricter = definition();
    stricter.attributes[1].binding!.strength = 'required';
    const diff = changed(stricter);
    expect(diff.changeClass).toBe('major');
    expect(diff.nims.changed[0].bindings[0].changes).toEqual([{ field: 'strength', from: 'extensible', to: 'required', class: 'major' }]);
  });

  it('classifies an added optional attribute and added codes as minor, texts and renamed codes as patch', () => {
    const d = definition();
    expect(changed({ ...d, attributes: [...d.attributes, { id: 'ny', name: 'Ny', definition: 'Ny.', type: 'string', min: 0, max: '1', registerRelevant: false, legalBasis: [] }] }).changeClass).toBe('minor');
    expect(changed({ ...d, attributes: [...d.attributes, { id: 'ny', name: 'Ny', definition: 'Ny.', type: 'string', min: 1, max: '1', registerRelevant: false, legalBasis: [] }] }).changeClass).toBe('major');
    const more = changed(d, [['beviljad', 'Beviljad'], ['avslag', 'Avslag'], ['delvis-beviljad', 'Delvis beviljad']]);
    expect(more.changeClass).toBe('minor');
    const renamed = changed(d, [['beviljad', 'Beviljat'], ['avslag', 'Avslag']]);
    expect(renamed.changeClass).toBe('patch');
    expect(renamed.valueSets[0].renamed).toEqual([{ system: 'urn:test', code: 'beviljad', from: 'Beviljad', to: 'Beviljat' }]);
    expect(changed({ ...d, description: 'Ett annat beslut.' }).changeClass).toBe('patch');
    expect(diffReleases(base, { ...base, version: '1.0.1' }).changeClass).toBe('none');
  });

  it('gives the version each class needs', () => {
    expect([bump('1.4.2', 'major'), bump('1.4.2', 'minor'), bump('1.4.2', 'patch'), bump('1.4.2', 'none'), bump(undefined, 'minor')]).toEqual(['2.0.0', '1.5.0', '1.4.3', '1.4.3', '1.0.0']);
    expect(announcedClass('1.4.2', '1.5.0')).toBe('minor');
  });
});

describe('lead time', () => {
  it('counts calendar months from adoption and needs 6 (minor) or 12 (major) of them', () => {
    expect(addMonths('2026-01-31', 1)).toBe('2026-02-28');
    expect(addMonths('2026-08-15', 6)).toBe('2027-02-15');
    expect(checkLeadTime('minor', '2026-08-15', '2027-02-14')).toMatchObject({ satisfied: false, earliestEffective: '2027-02-15', requiredMonths: 6 });
    expect(checkLeadTime('major', '2026-08-15', '2027-08-15').satisfied).toBe(true);
    expect(checkLeadTime('patch', '2026-08-15', '2026-08-15').satisfied).toBe(true);
  });
});

describe('isDay', () => {
  // nim-releases.ts: "A calendar day, YYYY-MM-DD, that exists." (Date.parse accepts 2027-02-30)
  it('accepts a calendar day that exists, leap days only in leap years', () => {
    expect(['2027-01-31', '2028-02-29', '2000-02-29', '2027-12-31'].every(isDay)).toBe(true);
    expect(['2027-02-29', '2100-02-29', '2027-02-30', '2027-02-31', '2027-04-31', '2027-13-01', '2027-00-10', '2027-01-00'].some(isDay)).toBe(false);
    expect([' 2027-01-01', '2027-1-01', '20270101', 20270101, undefined].some(isDay)).toBe(false);
  });
});

describe('ReleaseIndex', () => {
  // README: a client's pick list and the validation agree — a pinned (föreskrift) binding stays
  // pinned when a floating binding resolved to the same url|version comes first
  it('keeps pinned-ness per binding, not per value set', () => {
    const base = definition();
    const def = definition({ attributes: [{ id: 'forslag', name: 'Förslag', definition: 'Föreslaget utfall.', type: 'Coding', min: 0, max: '1', registerRelevant: false, legalBasis: [], binding: { strength: 'required', valueSet: VS, purpose: [], contexts: [] } }, ...base.attributes] });
    const snap = snapshot('1.0.0', def, [['beviljad', 'Beviljad']]);
    const [pinned, ...rest] = snap.valueSets;
    snap.valueSets = [{ ...pinned, requested: VS, pinned: false }, pinned, ...rest];
    const nim = snap.nims[0].url;
    const bound = (attribute: string, valueSet: string, resolvedAs: string, context?: number) => ({ nim, nimVersion: '1.0.0', attribute, ...(context === undefined ? {} : { context }), purpose: [], valueSet, resolved: resolvedAs, state: 'expanded' as const });
    snap.bindings = [
      bound('forslag', VS, `${VS}|2026.1`),
      bound('sakomrade', 'https://kodverk.se/fhir/ValueSet/sakomrade', 'https://kodverk.se/fhir/ValueSet/sakomrade|1'),
      bound('utfall', `${VS}|2026.1`, `${VS}|2026.1`),
      bound('utfall', 'https://kodverk.se/fhir/ValueSet/utfall-ekb', 'https://kodverk.se/fhir/ValueSet/utfall-ekb|1', 0),
    ];
    const row = { pk: 1, version: '1.0.0', title: 'R', status: 'faststalld', contentHash: 'h', snapshot: JSON.stringify(snap), createdAt: '', updatedAt: '', origin: null } as unknown as NimReleaseRow;
    const vs = (attribute: string) => new ReleaseIndex(row).nims.get('beslut')!.attributes.find((a) => a.id === attribute)!.binding!.vs;
    expect(vs('forslag')).toMatchObject({ key: `${VS}|2026.1`, pinned: false });
    expect(vs('utfall')).toMatchObject({ key: `${VS}|2026.1`, pinned: true });
    expect(vs('utfall').members.size).toBe(1);
    // a snapshot that holds the value set once (as the floating binding resolved it) still pins the pinned one
    snap.valueSets.splice(1, 1);
    row.snapshot = JSON.stringify(snap);
    expect(vs('utfall').pinned).toBe(true);
    expect(vs('forslag').pinned).toBe(false);
  });
});

describe('ReleasePackage', () => {
  const snap = snapshot('1.0.0', definition(), [['beviljad', 'Beviljad']]);
  snap.valueSets[0].definition = { resourceType: 'ValueSet', id: 'beslut-utfall', url: VS, version: '2026.1', status: 'active' };
  snap.valueSets[2].definition = { resourceType: 'ValueSet', id: 'utfall-ekb', url: 'https://kodverk.se/fhir/ValueSet/utfall-ekb', version: '1', status: 'draft' };

  it('is the same bytes on every build, with sorted entries and the value sets expanded or marked pending', async () => {
    expect(buildPackage(snap).equals(buildPackage(structuredClone(snap)))).toBe(true);
    const files = packageFiles(snap).map(([p]) => p);
    expect(files.slice(0, 2)).toEqual(['package/package.json', 'package/.index.json']);
    expect(files).toContain('package/StructureDefinition-nim-beslut-1.0.0.json');
    const vs = JSON.parse(packageFiles(snap).find(([p]) => p === 'package/ValueSet-beslut-utfall.json')![1].toString());
    expect(vs.expansion.contains).toEqual([{ system: 'urn:test', code: 'beviljad', display: 'Beviljad' }]);
    const pending = JSON.parse(packageFiles(snap).find(([p]) => p === 'package/ValueSet-utfall-ekb.json')![1].toString());
    expect(pending.extension).toEqual([{ url: 'https://kodverk.se/fhir/StructureDefinition/nim-codes-pending', valueString: 'no-codes-yet' }]);
    const back = await readPackage(buildPackage(snap));
    expect(contentHash(back)).toBe(contentHash(snap));
  });
});

describe('exports and personal data', () => {
  it('shortens long displays: a fitting Swedish designation first, else a cut at a word', () => {
    expect(shortDisplay({ system: 's', code: 'c', display: 'Kort' }, 10)).toBeUndefined();
    expect(shortDisplay({ system: 's', code: 'c', display: 'Bistånd som avser boende', designations: ['Boende', 'Bistånd boende'] }, 15)).toEqual({ text: 'Bistånd boende', source: 'designation' });
    expect(shortDisplay({ system: 's', code: 'c', display: 'Bistånd som avser boende' }, 15)).toEqual({ text: 'Bistånd som…', source: 'truncated' });
  });

  it('refuses text with a personal identity number', () => {
    expect(() => refusePersonalData('Gäller 19850101-1234', 'text')).toThrow(/personal/);
    expect(() => refusePersonalData('Gäller 850101+1234', 'text')).toThrow(/personal/);
    expect(() => refusePersonalData('Se SOSFS 2014:5 och 26 kap. 1 § SoL', 'text')).not.toThrow();
  });
});

describe('ReleaseIndexCache', () => {
  // a repeal changes a release's status and end, not its content: the answers that name the
  // release ("in release 1.0.0 (upphavd, …)") must not keep the status from before
  it('gives a new index when the lifecycle changes, the same one while nothing does', () => {
    const snap = snapshot('1.0.0', definition(), [['beviljad', 'Beviljad']]);
    const nim = snap.nims[0].url;
    const bound = (attribute: string, valueSet: string, resolvedAs: string, context?: number) => ({ nim, nimVersion: '1.0.0', attribute, ...(context === undefined ? {} : { context }), purpose: [], valueSet, resolved: resolvedAs, state: 'expanded' as const });
    snap.bindings = [
      bound('sakomrade', 'https://kodverk.se/fhir/ValueSet/sakomrade', 'https://kodverk.se/fhir/ValueSet/sakomrade|1'),
      bound('utfall', `${VS}|2026.1`, `${VS}|2026.1`),
      bound('utfall', 'https://kodverk.se/fhir/ValueSet/utfall-ekb', 'https://kodverk.se/fhir/ValueSet/utfall-ekb|1', 0),
    ];
    const row = { pk: 1, version: '1.0.0', title: 'R', status: 'faststalld', effectiveFrom: '2026-01-01', contentHash: 'h', snapshot: JSON.stringify(snap), createdAt: '', updatedAt: '', origin: null } as unknown as NimReleaseRow;
    const cache = new ReleaseIndexCache();
    const adopted = cache.of(row);
    expect(cache.of({ ...row })).toBe(adopted);
    const repealed = cache.of({ ...row, status: 'upphavd', effectiveTo: '2027-06-07' } as NimReleaseRow);
    expect(repealed).not.toBe(adopted);
    expect({ status: repealed.status, effectiveTo: repealed.effectiveTo }).toEqual({ status: 'upphavd', effectiveTo: '2027-06-07' });
  });
});
