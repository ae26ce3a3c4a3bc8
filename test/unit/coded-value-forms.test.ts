/**
 * $validate-code takes a coded value in three forms: `code` with `system`, `systemVersion` and
 * `display`; a `coding`; or a `codeableConcept`. The first two say the same thing, so they must get
 * the same answer: the same result, message, display, version and issues, with each issue's path
 * naming the parameter as it was sent (`code`, `display`, `version` for the code form; `Coding.code`
 * and so on for a coding). ValueSet/$validate-code also takes `version`, the STU3 name of
 * `systemVersion` that clients still send. Checked with fast-check (fixed seed) over value sets that
 * name one code system in two versions, pinned or not, with good, wrong and unknown codes, versions
 * and displays.
 */
import fc from 'fast-check';
import type { ParametersParameter, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { versionedCodeSystem } from '../helpers/versioned-code-system';

const SYSTEM = 'urn:example:coded-value-forms';
// c1 and c2 in both versions; c3 only in 1.0.0; c4 only in 2.0.0
const tx = [versionedCodeSystem(SYSTEM, '1.0.0', [['c1'], ['c2'], ['c3']]), versionedCodeSystem(SYSTEM, '2.0.0', [['c1'], ['c2'], ['c4']])];
const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));

const include = (version?: string, codes?: string[]): ValueSetComposeInclude => ({
  system: SYSTEM,
  ...(version ? { version } : {}),
  ...(codes ? { concept: codes.map((code) => ({ code })) } : {}),
});
const VALUE_SETS: ValueSet[] = [
  [include()],
  [include('1.0.0')],
  [include('2.0.0', ['c1', 'c4'])],
  [include('1.0.0', ['c2']), include('2.0.0', ['c4'])],
].map((inc, i) => ({ resourceType: 'ValueSet', url: `urn:example:vs:forms-${i}`, version: '1', status: 'active', compose: { include: inc } }));

interface Coded {
  code: string;
  version?: string;
  display?: string;
}
const coded = fc.record(
  {
    code: fc.constantFrom('c1', 'c2', 'c3', 'c4', 'c9'),
    version: fc.constantFrom('1.0.0', '2.0.0', '3.0.0'),
    display: fc.constantFrom('right', 'other version', 'wrong'),
  },
  { requiredKeys: ['code'] },
).map(({ code, version, display }): Coded => ({
  code,
  ...(version ? { version } : {}),
  // a display as version 1.0.0 or 2.0.0 shows it, or one no version has
  ...(display ? { display: display === 'wrong' ? 'Not a display' : `${code} (${(display === 'right') === (version === '1.0.0') ? '1.0.0' : '2.0.0'})` } : {}),
}));

const codeForm = (c: Coded, versionName: string): ParametersParameter[] => [
  { name: 'system', valueUri: SYSTEM },
  { name: 'code', valueCode: c.code },
  ...(c.version ? [{ name: versionName, valueString: c.version }] : []),
  ...(c.display ? [{ name: 'display', valueString: c.display }] : []),
];
const codingForm = (c: Coded): ParametersParameter[] => [{ name: 'coding', valueCoding: { system: SYSTEM, ...c } }];

/** The answer with each issue's path as the code form names it. */
function asCodeForm(out: ParametersParameter[]): ParametersParameter[] {
  const copy = structuredClone(out);
  for (const p of copy) {
    if (p.name !== 'issues' || p.resource?.resourceType !== 'OperationOutcome') continue;
    for (const issue of p.resource.issue) issue.expression = issue.expression?.map((e) => (/^Coding\.(code|system|version|display)$/.test(e) ? e.slice('Coding.'.length) : e));
  }
  return copy;
}

describe('the code and coding forms of a coded value', () => {
  it('get the same answer from ValueSet/$validate-code, whether the version is sent as systemVersion or version', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALUE_SETS), coded, (vs, c) => {
        const ask = (parameters: ParametersParameter[]) => engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: vs }, ...parameters], txResources: tx });
        const byCode = ask(codeForm(c, 'systemVersion'));
        expect(ask(codeForm(c, 'version'))).toEqual(byCode);
        expect(asCodeForm(ask(codingForm(c)))).toEqual(byCode);
      }),
      { seed: 35, numRuns: 300 },
    );
  });

  it('get the same answer from CodeSystem/$validate-code', () => {
    fc.assert(
      fc.property(coded, (c) => {
        const ask = (parameters: ParametersParameter[]) => engine.validateCodeSystemCode({ parameters, txResources: tx });
        const byCode = ask([{ name: 'url', valueUri: SYSTEM }, ...codeForm(c, 'version').filter((p) => p.name !== 'system')]);
        expect(asCodeForm(ask(codingForm(c)))).toEqual(byCode);
      }),
      { seed: 35, numRuns: 200 },
    );
  });

  it('a version sent under both names is taken from systemVersion', () => {
    const vs = VALUE_SETS[0];
    const out = engine.validateValueSetCode({
      parameters: [{ name: 'valueSet', resource: vs }, ...codeForm({ code: 'c3', version: '1.0.0' }, 'systemVersion'), { name: 'version', valueString: '2.0.0' }],
      txResources: tx,
    });
    expect(out.find((p) => p.name === 'result')?.valueBoolean).toBe(true);
    expect(out.find((p) => p.name === 'version')?.valueString).toBe('1.0.0');
  });
});
