/**
 * $validate-code and $expand agree on what a value set holds: a code is valid against a value set
 * exactly when the value set's expansion lists it, and `count=0` reports the total the full
 * expansion has. Checked on value sets that name one code system in two versions, with includes and
 * exclusions of whole versions, of listed codes and of is-a filters (fast-check, fixed seed).
 */
import fc from 'fast-check';
import type { ParametersParameter, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { versionedCodeSystem } from '../helpers/versioned-code-system';

const SYSTEM = 'urn:example:two-versions';
const codeSystem = (version: string, tree: [string, string[]?][]) => versionedCodeSystem(SYSTEM, version, tree);
// c1 and c2 in both versions; c1a and c3 only in 1.0.0; c1b and c4 only in 2.0.0
const V1 = codeSystem('1.0.0', [['c1', ['c1a']], ['c2'], ['c3']]);
const V2 = codeSystem('2.0.0', [['c1', ['c1b']], ['c2'], ['c4']]);
const CODES = ['c1', 'c1a', 'c1b', 'c2', 'c3', 'c4', 'c9'];
const VERSIONS = [undefined, '1.0.0', '2.0.0'];

const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
const tx = [V1, V2];
const valueSet = (include: ValueSetComposeInclude[], exclude: ValueSetComposeInclude[] = []): ValueSet => ({
  resourceType: 'ValueSet',
  url: 'urn:example:vs:membership',
  version: '1',
  status: 'active',
  compose: { include, ...(exclude.length ? { exclude } : {}) },
});
const entry = (version?: string, more: Partial<ValueSetComposeInclude> = {}): ValueSetComposeInclude => ({ system: SYSTEM, ...(version ? { version } : {}), ...more });

function expansion(vs: ValueSet, extra: ParametersParameter[] = []) {
  return engine.expand({ parameters: [{ name: 'valueSet', resource: vs }, ...extra], txResources: tx }).expansion!;
}
function members(vs: ValueSet): { code: string; version?: string }[] {
  const exp = expansion(vs);
  // an entry without a version is of the one version the expansion used
  const used = (exp.parameter ?? []).filter((p) => p.name === 'used-codesystem').map((p) => p.valueUri!.split('|')[1]);
  const out: { code: string; version?: string }[] = [];
  const walk = (list: NonNullable<typeof exp.contains> = []) => {
    for (const c of list) {
      out.push({ code: c.code!, version: c.version ?? (used.length === 1 ? used[0] : undefined) });
      walk(c.contains);
    }
  };
  walk(exp.contains);
  return out;
}
function valid(vs: ValueSet, code: string, version?: string): boolean {
  const out = engine.validateValueSetCode({
    parameters: [{ name: 'valueSet', resource: vs }, { name: 'system', valueUri: SYSTEM }, { name: 'code', valueCode: code }, ...(version ? [{ name: 'systemVersion', valueString: version }] : [])],
    txResources: tx,
  });
  return out.find((p) => p.name === 'result')?.valueBoolean === true;
}

describe('a value set naming one code system in several versions', () => {
  it('an exclusion of a listed code in one version leaves the code of the other version in, in both operations', () => {
    const vs = valueSet([entry('1.0.0'), entry('2.0.0')], [entry('1.0.0', { concept: [{ code: 'c2' }] })]);
    expect(members(vs).filter((m) => m.code === 'c2')).toEqual([{ code: 'c2', version: '2.0.0' }]);
    expect(valid(vs, 'c2', '2.0.0')).toBe(true);
    expect(valid(vs, 'c2', '1.0.0')).toBe(false);
    expect(valid(vs, 'c2')).toBe(true);
  });

  it('a coding of the version an unversioned include resolves to is valid, though another include pins an older one', () => {
    const vs = valueSet([entry('1.0.0'), entry()]);
    expect(members(vs)).toContainEqual({ code: 'c1', version: '2.0.0' });
    expect(valid(vs, 'c1', '2.0.0')).toBe(true);
    expect(valid(vs, 'c4', '2.0.0')).toBe(true);
    expect(valid(vs, 'c4')).toBe(true);
    expect(valid(vs, 'c4', '1.0.0')).toBe(false);
  });

  it('"all of 2.0.0 except what 1.0.0 had" matches by code, whatever the version', () => {
    const vs = valueSet([entry('2.0.0')], [entry('1.0.0')]);
    expect(members(vs).map((m) => m.code).sort()).toEqual(['c1b', 'c4']);
    expect(valid(vs, 'c1')).toBe(false);
    expect(valid(vs, 'c4')).toBe(true);
  });

  const arbEntry = fc.record({
    version: fc.constantFrom(...VERSIONS),
    select: fc.oneof(
      fc.constant<{ kind: 'all' }>({ kind: 'all' }),
      fc.record({ kind: fc.constant<'concept'>('concept'), codes: fc.subarray(CODES.slice(0, 6), { minLength: 1 }) }),
      fc.record({ kind: fc.constant<'is-a'>('is-a'), code: fc.constantFrom('c1', 'c2') }),
    ),
  });
  type Arb = { version?: string; select: { kind: 'all' } | { kind: 'concept'; codes: string[] } | { kind: 'is-a'; code: string } };
  const toEntry = (e: Arb): ValueSetComposeInclude =>
    entry(e.version, e.select.kind === 'concept' ? { concept: e.select.codes.map((code) => ({ code })) } : e.select.kind === 'is-a' ? { filter: [{ property: 'concept', op: 'is-a', value: e.select.code }] } : {});

  it('validation agrees with the expansion for every code and version, and count=0 gives the expansion’s total (random definitions)', () => {
    fc.assert(
      fc.property(fc.array(arbEntry, { minLength: 1, maxLength: 3 }), fc.array(arbEntry, { maxLength: 2 }), (include, exclude) => {
        const vs = valueSet(include.map(toEntry), exclude.map(toEntry));
        let listed: { code: string; version?: string }[];
        try {
          listed = members(vs);
        } catch (e) {
          if (e instanceof TerminologyError) return; // a definition the server refuses (e.g. a listed code unknown)
          throw e;
        }
        expect(expansion(vs, [{ name: 'count', valueInteger: 0 }]).total).toBe(listed.length);
        const allPinned = [...include, ...exclude].every((e) => e.version);
        for (const code of CODES) {
          for (const version of VERSIONS) {
            const listedHere = listed.some((m) => m.code === code && (!version || !m.version || m.version === version));
            const ok = valid(vs, code, version);
            const what = `${JSON.stringify(vs.compose)} ${code}|${version ?? ''}`;
            // without a version: valid exactly when listed
            if (!version) expect({ what, ok }).toEqual({ what, ok: listedHere });
            // with a version: listed in that version means valid
            else if (listedHere) expect({ what, ok }).toEqual({ what, ok: true });
            // and where every entry pins its version, valid means listed (an unversioned include
            // checks a coding against the version the coding names)
            else if (allPinned) expect({ what, ok }).toEqual({ what, ok: false });
          }
        }
      }),
      { numRuns: 300, seed: 20261206 },
    );
  });
});

describe('count=0 (the total only)', () => {
  it('counts what exclusions, inactive rules and repeated includes leave, not the whole code system', () => {
    const excluded = valueSet([entry('2.0.0')], [entry('2.0.0', { concept: [{ code: 'c4' }] })]);
    expect(expansion(excluded, [{ name: 'count', valueInteger: 0 }]).total).toBe(3);
    const twice = valueSet([entry('2.0.0'), entry('2.0.0')]);
    expect(expansion(twice, [{ name: 'count', valueInteger: 0 }]).total).toBe(4);
    const plain = valueSet([entry('2.0.0')]);
    expect(expansion(plain, [{ name: 'count', valueInteger: 0 }]).total).toBe(4);
  });
});
