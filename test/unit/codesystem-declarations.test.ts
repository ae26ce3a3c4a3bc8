import type { CodeSystem, ParametersParameter, ValueSet } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { refusal } from '../helpers/refusal';

/**
 * What a CodeSystem resource declares about itself and $validate-code must honour (tx-ecosystem
 * requirements.md, "Code system Functionality"): versionNeeded ("the $validate-code operation SHALL
 * check that version is populated, and return an error if it's not") and compositional ("Servers
 * that do not know the grammar for a CodeSystem that is marked as compositional SHALL note this in
 * validation errors for the CodeSystem").
 */

const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
const param = (out: ParametersParameter[], name: string): any => {
  const p = out.find((x) => x.name === name);
  return p && (Object.entries(p).find(([k]) => k.startsWith('value'))?.[1] ?? p.resource);
};
const cs = (more: Partial<CodeSystem>): CodeSystem => ({
  resourceType: 'CodeSystem',
  url: 'urn:example:cs',
  version: '2',
  status: 'active',
  content: 'complete',
  concept: [{ code: 'a', display: 'A' }, { code: 'b', display: 'B' }],
  ...more,
});
const VS: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:vs', status: 'active', compose: { include: [{ system: 'urn:example:cs' }] } };
const issues = (out: ParametersParameter[]) => (param(out, 'issues')?.issue ?? []) as any[];

describe('CodeSystem.versionNeeded', () => {
  const tx = [cs({ versionNeeded: true }), VS];
  const inValueSet = (coding: object, extra: ParametersParameter[] = []) =>
    engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: VS.url }, { name: 'coding', valueCoding: coding }, ...extra], txResources: tx });
  const inCodeSystem = (extra: ParametersParameter[]) =>
    engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: 'urn:example:cs' }, { name: 'code', valueCode: 'a' }, ...extra], txResources: tx });

  it('a coding without a version is an error, at the coding’s version', () => {
    const out = inValueSet({ system: 'urn:example:cs', code: 'a' });
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'message')).toBe("The CodeSystem 'urn:example:cs' requires a version (versionNeeded), but none was given for the code 'a'");
    expect(issues(out)).toEqual([
      expect.objectContaining({ severity: 'error', code: 'required', details: expect.objectContaining({ coding: [expect.objectContaining({ code: 'invalid-data' })] }), expression: ['Coding.version'] }),
    ]);
  });

  it('a coding with its version, or a request version rule for the system, is valid', () => {
    expect(param(inValueSet({ system: 'urn:example:cs', code: 'a', version: '2' }), 'result')).toBe(true);
    expect(param(inValueSet({ system: 'urn:example:cs', code: 'a' }, [{ name: 'system-version', valueCanonical: 'urn:example:cs|2' }]), 'result')).toBe(true);
  });

  it('CodeSystem/$validate-code: the version parameter states it', () => {
    expect(param(inCodeSystem([]), 'result')).toBe(false);
    expect(issues(inCodeSystem([])).map((i) => i.expression)).toEqual([['version']]);
    expect(param(inCodeSystem([{ name: 'version', valueString: '2' }]), 'result')).toBe(true);
  });

  it('a code system without versionNeeded needs no version', () => {
    const out = engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: VS.url }, { name: 'coding', valueCoding: { system: 'urn:example:cs', code: 'a' } }], txResources: [cs({}), VS] });
    expect(param(out, 'result')).toBe(true);
    expect(issues(out)).toEqual([]);
  });
});

describe('CodeSystem.compositional', () => {
  const validate = (c: CodeSystem, code: string) =>
    engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: 'urn:example:cs' }, { name: 'code', valueCode: code }], txResources: [c] });

  it('an unknown code of a compositional code system whose grammar is unknown: the error says so', () => {
    const out = validate(cs({ compositional: true }), 'a:b');
    expect(param(out, 'result')).toBe(false);
    const text = "Unknown code 'a:b' in the CodeSystem 'urn:example:cs' version '2' (the CodeSystem is compositional, but this server does not know its grammar, so an expression in it cannot be validated)";
    expect(param(out, 'message')).toBe(text);
    expect(issues(out)[0]).toMatchObject({ severity: 'error', code: 'code-invalid', details: { text }, expression: ['code'] });
    // through a value set too
    const inVs = engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: VS.url }, { name: 'coding', valueCoding: { system: 'urn:example:cs', code: 'a:b' } }], txResources: [cs({ compositional: true }), VS] });
    expect(param(inVs, 'message')).toContain('does not know its grammar');
  });

  it('a code system not marked compositional takes no expression, and its error says nothing of a grammar', () => {
    const out = validate(cs({}), 'a:b');
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'message')).toBe("Unknown code 'a:b' in the CodeSystem 'urn:example:cs' version '2'");
  });

  it('a known code of a compositional code system is valid as usual', () => {
    expect(param(validate(cs({ compositional: true }), 'a'), 'result')).toBe(true);
  });
});

describe('CodeSystem.content = example', () => {
  // processed (as the reference does), with a warning that the code could not be properly validated
  const validate = (extra: ParametersParameter[]) =>
    engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: 'urn:example:cs' }, { name: 'code', valueCode: 'a' }, ...extra], txResources: [cs({ content: 'example' })] });

  it('the warning quotes the display given, or nothing (never "undefined")', () => {
    expect(param(validate([]), 'message')).toBe('The system urn:example:cs was found but did not contain enough information to properly validate the code "a" ("") (mode = example)');
    expect(param(validate([{ name: 'display', valueString: 'A' }]), 'message')).toBe('The system urn:example:cs was found but did not contain enough information to properly validate the code "a" ("A") (mode = example)');
    expect(param(validate([]), 'result')).toBe(true);
  });
});

// tx-ecosystem requirements: "Servers SHALL not process $expand or $validate-code requests on
// CodeSystems that have content = not-present", and "SHALL return a x-caused-by-unknown-system
// parameter for each code system it did not support"
describe('CodeSystem.content = not-present (a definition that only names its code system)', () => {
  const STUB: CodeSystem = { resourceType: 'CodeSystem', url: 'urn:example:cs', status: 'active', content: 'not-present' };
  const unknown = "A definition for CodeSystem 'urn:example:cs' could not be found, so the code cannot be validated";

  it('$validate-code on the code system: no code is taken on trust, the system is reported as not supported', () => {
    const out = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: 'urn:example:cs' }, { name: 'code', valueCode: 'anything' }, { name: 'display', valueString: 'Whatever' }], txResources: [STUB] });
    expect(param(out, 'result')).toBe(false);
    expect(param(out, 'message')).toBe(unknown);
    expect(param(out, 'x-caused-by-unknown-system')).toBe('urn:example:cs');
    expect(issues(out)).toEqual([expect.objectContaining({ severity: 'error', code: 'not-found', details: expect.objectContaining({ text: unknown }) })]);
  });

  it('$validate-code in a value set that takes the system: not a member by default, the unknown system named', () => {
    const out = engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: VS.url }, { name: 'coding', valueCoding: { system: 'urn:example:cs', code: 'anything' } }], txResources: [STUB, VS] });
    expect(param(out, 'result')).toBe(false);
    expect(out.filter((p) => p.name.endsWith('unknown-system')).map((p) => (p as any).valueCanonical)).toEqual(['urn:example:cs']);
    expect(issues(out).map((i) => i.details.text)).toContain(unknown);
  });

  it('$expand and $lookup refuse it', () => {
    expect(refusal(() => engine.expand({ parameters: [{ name: 'url', valueUri: VS.url }], txResources: [STUB, VS] })).issues[0].text).toBe('The code system definition for urn:example:cs has no content, so this expansion cannot be performed');
    expect(refusal(() => engine.lookup({ parameters: [{ name: 'system', valueUri: 'urn:example:cs' }, { name: 'code', valueCode: 'a' }], txResources: [STUB] })).httpStatus).toBe(404);
  });

  it('as the instance of CodeSystem/[id]/$lookup: held only by name, its codes cannot be looked up', () => {
    const e = refusal(() => engine.lookup({ parameters: [{ name: 'code', valueCode: 'a' }], txResources: [] }, STUB));
    expect([e.httpStatus, e.issues[0].text]).toEqual([404, "The CodeSystem urn:example:cs is held here only by name (content = not-present): its codes are not known, so 'a' cannot be looked up"]);
  });

  it('beside a definition with content, the content is what is served', () => {
    const out = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: 'urn:example:cs' }, { name: 'code', valueCode: 'a' }], txResources: [{ ...STUB, version: '3' }, cs({})] });
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'version')).toBe('2');
    expect(param(engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: 'urn:example:cs' }, { name: 'code', valueCode: 'zz' }], txResources: [{ ...STUB, version: '3' }, cs({})] }), 'result')).toBe(false);
  });
});

// tx-ecosystem requirements ($validate-code parameters): "The server SHALL support the mode/valueSetMode parameter"
describe('$validate-code valueSetMode', () => {
  const ONLY_A: ValueSet = { resourceType: 'ValueSet', url: 'urn:example:vs:a', status: 'active', compose: { include: [{ system: 'urn:example:cs', concept: [{ code: 'a' }] }] } };
  const validate = (coding: object, mode?: string) =>
    engine.validateValueSetCode({
      parameters: [{ name: 'url', valueUri: ONLY_A.url }, { name: 'coding', valueCoding: coding }, ...(mode ? [{ name: 'valueSetMode', valueCode: mode }] : [])],
      txResources: [cs({}), ONLY_A],
    });

  it('NO_MEMBERSHIP_CHECK: a code of the code system is valid though the value set does not hold it', () => {
    expect(param(validate({ system: 'urn:example:cs', code: 'b' }), 'result')).toBe(false);
    const out = validate({ system: 'urn:example:cs', code: 'b' }, 'NO_MEMBERSHIP_CHECK');
    expect(param(out, 'result')).toBe(true);
    expect(param(out, 'display')).toBe('B');
    expect(issues(out)).toEqual([]);
  });

  it('NO_MEMBERSHIP_CHECK still judges the code by its code system: unknown codes and wrong displays are errors', () => {
    const unknown = validate({ system: 'urn:example:cs', code: 'zz' }, 'NO_MEMBERSHIP_CHECK');
    expect(param(unknown, 'result')).toBe(false);
    expect(issues(unknown).map((i) => i.details.coding[0].code)).toEqual(['invalid-code']);
    expect(param(validate({ system: 'urn:example:cs', code: 'b', display: 'Wrong' }, 'NO_MEMBERSHIP_CHECK'), 'result')).toBe(false);
  });

  it('ALL_CHECKS is the default; CHECK_MEMBERSHIP_ONLY (also as the FHIR validator spells it, CHECK_MEMERSHIP_ONLY) still asks membership', () => {
    expect(param(validate({ system: 'urn:example:cs', code: 'b' }, 'ALL_CHECKS'), 'result')).toBe(false);
    for (const mode of ['CHECK_MEMBERSHIP_ONLY', 'CHECK_MEMERSHIP_ONLY']) {
      expect(param(validate({ system: 'urn:example:cs', code: 'a' }, mode), 'result')).toBe(true);
      expect(param(validate({ system: 'urn:example:cs', code: 'b' }, mode), 'result')).toBe(false);
    }
  });

  it('mode is the same parameter (the IG names it mode/valueSetMode)', () => {
    const withMode = (m: string) =>
      engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: ONLY_A.url }, { name: 'coding', valueCoding: { system: 'urn:example:cs', code: 'b' } }, { name: 'mode', valueCode: m }], txResources: [cs({}), ONLY_A] });
    expect(param(withMode('NO_MEMBERSHIP_CHECK'), 'result')).toBe(true);
    expect(param(withMode('ALL_CHECKS'), 'result')).toBe(false);
    expect(refusal(() => withMode('SOMETIMES')).issues[0].text).toBe("The parameter 'mode' must be ALL_CHECKS, CHECK_MEMBERSHIP_ONLY or NO_MEMBERSHIP_CHECK, not 'SOMETIMES'");
  });

  it('another value is refused (400), not ignored', () => {
    const e = refusal(() => validate({ system: 'urn:example:cs', code: 'a' }, 'SOMETIMES'));
    expect(e.httpStatus).toBe(400);
    expect(e.issues[0].text).toBe("The parameter 'valueSetMode' must be ALL_CHECKS, CHECK_MEMBERSHIP_ONLY or NO_MEMBERSHIP_CHECK, not 'SOMETIMES'");
  });
});
