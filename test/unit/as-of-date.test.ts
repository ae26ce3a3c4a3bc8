/**
 * `date` in $expand, $validate-code and $lookup (FHIR R4: "the server should use the value set /
 * code system definitions as they were on the given date, or return an error if this is not
 * possible"): a reference without a version means the latest version published on or before that
 * day; a version named explicitly is used as named; a resource with no version published by then
 * is an error that says so; an undated version is taken as in force on any day.
 */
import type { CodeSystem, ParametersParameter, ValueSet } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { publishedBy } from '../../src/terminology/context';

const SYSTEM = 'urn:example:insatser';
const edition = (version: string, date: string | undefined, codes: string[]): CodeSystem => ({
  resourceType: 'CodeSystem',
  url: SYSTEM,
  version,
  ...(date ? { date } : {}),
  status: 'active',
  content: 'complete',
  concept: codes.map((code) => ({ code, display: `${code} ${version}` })),
});
const SYSTEMS = [edition('2024', '2024-01-15', ['a', 'b']), edition('2025', '2025-01-15', ['a', 'b', 'c']), edition('2026', '2026-01-15', ['a', 'c', 'd'])];
const VS: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:vs:insatser', version: '1', status: 'active', compose: { include: [{ system: SYSTEM }] } };
const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));

const expand = (extra: ParametersParameter[], tx: (CodeSystem | ValueSet)[] = [...SYSTEMS, VS]) => engine.expand({ parameters: [{ name: 'url', valueUri: VS.url }, ...extra], txResources: tx }).expansion!;
const codes = (e: NonNullable<ValueSet['expansion']>) => (e.contains ?? []).map((c) => c.code).join(',');
const used = (e: NonNullable<ValueSet['expansion']>) => e.parameter?.find((p) => p.name === 'used-codesystem')?.valueUri;
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof TerminologyError ? { status: e.httpStatus, code: e.issues[0].code, text: e.issues[0].text } : e;
  }
  return 'answered';
};

describe("'date': the definitions as they were on a day", () => {
  it('without a date, the latest version', () => {
    expect(used(expand([]))).toBe(`${SYSTEM}|2026`);
  });

  it.each([
    ['2025-06-30', '2025', 'a,b,c'],
    ['2025-01-15', '2025', 'a,b,c'],
    ['2025-01-14', '2024', 'a,b'],
    ['2025', '2025', 'a,b,c'],
    ['2025-01', '2025', 'a,b,c'],
    ['2024-12', '2024', 'a,b'],
    ['2025-02-01T10:00:00+01:00', '2025', 'a,b,c'],
    ['2030-01-01', '2026', 'a,c,d'],
  ])('on %s: version %s (%s), echoed', (date, version, listed) => {
    const e = expand([{ name: 'date', valueDateTime: date }]);
    expect([used(e), codes(e)]).toEqual([`${SYSTEM}|${version}`, listed]);
    expect(e.parameter).toContainEqual({ name: 'date', valueDateTime: date.slice(0, 10) });
  });

  it('a version named explicitly is used as named, whatever the date', () => {
    const e = expand([{ name: 'date', valueDateTime: '2024-06-01' }, { name: 'system-version', valueCanonical: `${SYSTEM}|2026` }]);
    expect(used(e)).toBe(`${SYSTEM}|2026`);
  });

  it('before any version was published: an error naming the earliest, not an unknown code system', () => {
    expect(refusal(() => expand([{ name: 'date', valueDateTime: '2023-12-31' }]))).toEqual({
      status: 422,
      code: 'not-found',
      text: `No version of the CodeSystem '${SYSTEM}' was published on or before 2023-12-31 (the earliest held, 2024, is dated 2024-01-15)`,
    });
  });

  it('an undated version is taken as in force on any day', () => {
    const undated = [edition('2024', '2024-01-15', ['a']), edition('9', undefined, ['z'])];
    expect(used(expand([{ name: 'date', valueDateTime: '2020-01-01' }], [...undated, VS]))).toBe(`${SYSTEM}|9`);
  });

  it('applies to the value set too, and to $validate-code and $lookup', () => {
    const vs2026 = { ...VS, version: '2', date: '2026-01-15', compose: { include: [{ system: SYSTEM, concept: [{ code: 'd' }] }] } };
    const tx = [...SYSTEMS, { ...VS, date: '2024-01-01' }, vs2026];
    expect(codes(expand([{ name: 'date', valueDateTime: '2025-06-30' }], tx))).toBe('a,b,c');
    const valid = (date: string, code: string) =>
      engine
        .validateValueSetCode({ parameters: [{ name: 'url', valueUri: VS.url }, { name: 'system', valueUri: SYSTEM }, { name: 'code', valueCode: code }, { name: 'date', valueDateTime: date }], txResources: tx })
        .find((p) => p.name === 'result')?.valueBoolean;
    expect([valid('2025-06-30', 'c'), valid('2025-06-30', 'd'), valid('2026-06-30', 'd'), valid('2026-06-30', 'c')]).toEqual([true, false, true, false]);
    const display = (date: string) =>
      engine.lookup({ parameters: [{ name: 'system', valueUri: SYSTEM }, { name: 'code', valueCode: 'a' }, { name: 'date', valueDateTime: date }], txResources: tx }).find((p) => p.name === 'display')?.valueString;
    expect([display('2024-06-01'), display('2025-06-01')]).toEqual(['a 2024', 'a 2025']);
  });

  it('refuses a date that is not a FHIR date or dateTime', () => {
    for (const bad of ['yesterday', '2025-13-01', '2025-01-01T10:00', '2025T10:00:00Z']) {
      expect(refusal(() => expand([{ name: 'date', valueString: bad }]))).toMatchObject({ status: 400, code: 'invalid' });
    }
  });

  it('compares by day, at the coarser precision', () => {
    expect([publishedBy('2025', '2025-01-15'), publishedBy('2025-03', '2025-01-15'), publishedBy('2025-01-15T23:00:00Z', '2025-01-15'), publishedBy('2025-01-16', '2025-01')]).toEqual([true, false, true, true]);
  });
});
