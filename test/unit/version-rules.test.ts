/**
 * The version rules of a request (system-version, force-system-version, check-system-version and
 * their value-set counterparts) hold through imports, however deep, and $expand and $validate-code
 * apply them alike. The rules, from the FHIR $expand and $validate-code definitions and the tx
 * ecosystem IG:
 * - the version of a code system an include uses: force-system-version, else the version the
 *   include states, else system-version, else check-system-version, else the latest held;
 * - check-system-version refuses the request when the version so chosen is another one;
 * - an imported value set likewise: force-valueset-version, else the version the import pins,
 *   else default-valueset-version, else check-valueset-version, else the latest; checked alike.
 * Random definitions and rules (fast-check, fixed seed), judged against these rules.
 */
import fc from 'fast-check';
import type { ParametersParameter, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { versionedCodeSystem } from '../helpers/versioned-code-system';

const SYSTEM = 'urn:example:versioned-system';
const LEAF = 'urn:example:vs:leaf';
const MIDDLE = 'urn:example:vs:middle';
const TOP = 'urn:example:vs:top';

const codeSystem = (version: string, tree: [string, string[]?][]) => versionedCodeSystem(SYSTEM, version, tree);
const CONTENT: Record<string, string[]> = { '1.0.0': ['c1', 'c1a', 'c2', 'c3'], '2.0.0': ['c1', 'c1b', 'c2', 'c4'] };
const CHILD_OF_C1: Record<string, string> = { '1.0.0': 'c1a', '2.0.0': 'c1b' };
const SYSTEMS = [codeSystem('1.0.0', [['c1', ['c1a']], ['c2'], ['c3']]), codeSystem('2.0.0', [['c1', ['c1b']], ['c2'], ['c4']])];
const CODES = ['c1', 'c1a', 'c1b', 'c2', 'c3', 'c4'];
const LATEST_SYSTEM = '2.0.0';
const LATEST_LEAF = '2';

const valueSet = (url: string, version: string, include: ValueSetComposeInclude[]): ValueSet => ({ resourceType: 'ValueSet', url, version, status: 'active', compose: { include } });
const ofSystem = (stated: string | undefined, more: Partial<ValueSetComposeInclude> = {}): ValueSetComposeInclude => ({ system: SYSTEM, ...(stated ? { version: stated } : {}), ...more });

type Mode = 'default' | 'force' | 'check';
interface Case {
  /** the code-system version each leaf version states (leaf 1: all codes; leaf 2: c1 and what is under it) */
  leafStates: [string | undefined, string | undefined];
  /** the top includes the code system itself, imports the leaf, or imports a value set that imports it */
  shape: 'direct' | 'import' | 'nested';
  /** the version the direct include states, or the import pins */
  stated?: string;
  pin?: string;
  /** at most one rule of each mode, for the code system and for the leaf value set */
  systemRules: Rule[];
  valueSetRules: Rule[];
}
interface Rule {
  mode: Mode;
  version: string;
}

/** What the rules say: the versions chosen and the codes, or that the request is refused. */
function expected(c: Case): { refused: true } | { refused: false; system: string; codes: string[] } {
  const choose = (stated: string | undefined, rules: Rule[], latest: string) => {
    const of = (mode: Mode) => rules.find((r) => r.mode === mode)?.version;
    const chosen = of('force') ?? stated ?? of('default') ?? of('check') ?? latest;
    return { chosen, refused: of('check') !== undefined && chosen !== of('check') };
  };
  let leaf: string | undefined;
  let stated = c.stated;
  if (c.shape !== 'direct') {
    const v = choose(c.pin, c.valueSetRules, LATEST_LEAF);
    if (v.refused) return { refused: true };
    leaf = v.chosen;
    stated = c.leafStates[Number(leaf) - 1];
  }
  const s = choose(stated, c.systemRules, LATEST_SYSTEM);
  if (s.refused) return { refused: true };
  const codes = leaf === '2' ? ['c1', CHILD_OF_C1[s.chosen]] : CONTENT[s.chosen];
  return { refused: false, system: s.chosen, codes: [...codes].sort() };
}

function resources(c: Case): ValueSet[] {
  const leaves = [valueSet(LEAF, '1', [ofSystem(c.leafStates[0])]), valueSet(LEAF, '2', [ofSystem(c.leafStates[1], { filter: [{ property: 'concept', op: 'is-a', value: 'c1' }] })])];
  const importLeaf = { valueSet: [c.pin ? `${LEAF}|${c.pin}` : LEAF] };
  const middle = valueSet(MIDDLE, '1', [importLeaf]);
  const top = valueSet(TOP, '1', [c.shape === 'direct' ? ofSystem(c.stated) : c.shape === 'import' ? importLeaf : { valueSet: [MIDDLE] }]);
  return [...leaves, middle, top];
}

function rules(c: Case): ParametersParameter[] {
  const name = (mode: Mode, what: 'system' | 'valueset') => (mode === 'default' ? (what === 'system' ? 'system-version' : 'default-valueset-version') : `${mode}-${what}-version`);
  return [
    ...c.systemRules.map((r) => ({ name: name(r.mode, 'system'), valueCanonical: `${SYSTEM}|${r.version}` })),
    ...c.valueSetRules.map((r) => ({ name: name(r.mode, 'valueset'), valueCanonical: `${LEAF}|${r.version}` })),
  ];
}

const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));

const arbSystemVersion = fc.constantFrom(undefined, '1.0.0', '2.0.0');
const arbRules = (versions: string[]) =>
  fc.subarray<Mode>(['default', 'force', 'check']).chain((modes) => fc.tuple(...modes.map((mode) => fc.constantFrom(...versions).map((version) => ({ mode, version })))));
const arbCase: fc.Arbitrary<Case> = fc.record({
  leafStates: fc.tuple(arbSystemVersion, arbSystemVersion),
  shape: fc.constantFrom<Case['shape']>('direct', 'import', 'nested'),
  stated: arbSystemVersion,
  pin: fc.constantFrom(undefined, '1', '2'),
  systemRules: arbRules(['1.0.0', '2.0.0']),
  valueSetRules: arbRules(['1', '2']),
});

describe('version rules hold through imports, in $expand and $validate-code alike', () => {
  it('chooses, checks and forces code-system and value-set versions as the rules say (random definitions)', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const tx = [...SYSTEMS, ...resources(c)];
        const request = [{ name: 'url', valueUri: TOP }, ...rules(c)];
        const want = expected(c);
        const what = JSON.stringify(c);
        let got: { refused: true } | { refused: false; system: string | undefined; codes: string[] };
        try {
          const expansion = engine.expand({ parameters: request, txResources: tx }).expansion!;
          const used = expansion.parameter?.find((p) => p.name === 'used-codesystem')?.valueUri?.split('|')[1];
          got = { refused: false, system: used, codes: (expansion.contains ?? []).flatMap(function codes(e): string[] { return [e.code!, ...(e.contains ?? []).flatMap(codes)]; }).sort() };
        } catch (e) {
          if (!(e instanceof TerminologyError)) throw e;
          got = { refused: true };
        }
        expect({ what, got }).toEqual({ what, got: want });

        for (const code of CODES) {
          let valid: boolean;
          try {
            const out = engine.validateValueSetCode({ parameters: [...request, { name: 'system', valueUri: SYSTEM }, { name: 'code', valueCode: code }], txResources: tx });
            valid = out.find((p) => p.name === 'result')?.valueBoolean === true;
          } catch (e) {
            if (!(e instanceof TerminologyError)) throw e;
            valid = false;
          }
          const member = !want.refused && want.codes.includes(code);
          expect({ what, code, valid }).toEqual({ what, code, valid: member });
        }
      }),
      { numRuns: 600, seed: 20261207 },
    );
  });
});
