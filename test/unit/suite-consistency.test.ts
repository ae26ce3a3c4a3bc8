/**
 * The operations agree with each other on every value set the HL7 terminology-ecosystem suites
 * set up, whatever request a test sends: each code an expansion lists is valid against the value
 * set (with the display the expansion gave, which $validate-code also returns); pages put together
 * are the whole expansion; count=0 gives its total; activeOnly lists a subset without inactive
 * codes; excludeNotForUI lists exactly the codes that are not abstract; a text filter by a word of
 * a display lists a subset that holds that code; excludeNested lists the same codes flat; and a CodeableConcept of one coding is judged
 * as the coding alone. These are the rules behind many suite tests, checked beyond the codes and
 * parameters the visible tests happen to use.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ParametersParameter, ValueSet, ValueSetExpansionContains } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { SHARED_DATA } from '../helpers/server';

const SUITE = path.join(SHARED_DATA, 'tx-ecosystem');
const present = fs.existsSync(path.join(SUITE, 'test-cases.json'));
if (!present) console.warn(`Skipping the suite-consistency test: ${SUITE} is missing`);

type Entry = ValueSetExpansionContains;
const flat = (list: Entry[] = [], out: Entry[] = []): Entry[] => {
  for (const c of list) {
    out.push(c);
    flat(c.contains, out);
  }
  return out;
};
const value = (out: ParametersParameter[], name: string) => out.find((p) => p.name === name);

(present ? describe : describe.skip)('the operations agree on every value set of the HL7 suites', () => {
  const engine = new TerminologyEngine(new StoreResourceSource(new ResourceStore(openDatabase(':memory:'))));
  const manifest = JSON.parse(fs.readFileSync(path.join(SUITE, 'test-cases.json'), 'utf8'));
  const suites = (manifest.suites as { name: string; mode?: string; setup?: string[] }[]).filter((s) => s.mode !== 'snomed' && (s.setup ?? []).length > 0);

  it.each(suites.map((s) => [s.name, s] as const))('%s', (_name, suite) => {
    const tx = (suite.setup ?? []).filter((f) => fs.existsSync(path.join(SUITE, f))).map((f) => JSON.parse(fs.readFileSync(path.join(SUITE, f), 'utf8')));
    const problems: string[] = [];
    let expanded = 0;
    let refused = 0;
    for (const vs of tx.filter((r): r is ValueSet => r.resourceType === 'ValueSet')) {
      const ref: ParametersParameter[] = [{ name: 'url', valueUri: vs.url }, ...(vs.version ? [{ name: 'valueSetVersion', valueString: vs.version }] : [])];
      const expand = (extra: ParametersParameter[] = []) => engine.expand({ parameters: [...ref, ...extra], txResources: tx }).expansion!;
      let whole: NonNullable<ValueSet['expansion']>;
      try {
        whole = expand();
      } catch (e) {
        if (e instanceof TerminologyError) {
          refused++; // a value set the suite expects to be refused
          continue;
        }
        throw e;
      }
      expanded++;
      const all = flat(whole.contains);
      const key = (c: Entry) => `${c.system}|${c.version ?? ''}#${c.code}`;
      const at = `${vs.url}|${vs.version ?? ''}`;
      if (whole.total !== undefined && whole.total !== all.length) problems.push(`${at}: total ${whole.total}, listed ${all.length}`);
      if (whole.total !== undefined && expand([{ name: 'count', valueInteger: 0 }]).total !== whole.total) problems.push(`${at}: count=0 total differs`);
      if (all.length > 2 && !all.some((c) => c.contains) && all.length <= 200) {
        const pages: Entry[] = [];
        for (let offset = 0; offset < all.length; offset += 3) pages.push(...flat(expand([{ name: 'offset', valueInteger: offset }, { name: 'count', valueInteger: 3 }]).contains));
        if (pages.map(key).join() !== all.map(key).join()) problems.push(`${at}: pages of 3 differ from the whole`);
      }
      const active = flat(expand([{ name: 'activeOnly', valueBoolean: true }]).contains);
      const listed = new Set(all.map(key));
      if (active.some((c) => c.inactive || !listed.has(key(c)))) problems.push(`${at}: activeOnly lists an inactive code or one the whole does not`);
      if (all.some((c) => !c.inactive && c.code && !active.some((a) => key(a) === key(c)))) problems.push(`${at}: activeOnly leaves out an active code`);
      const forUi = flat(expand([{ name: 'excludeNotForUI', valueBoolean: true }]).contains);
      if (forUi.some((c) => c.abstract || !listed.has(key(c)))) problems.push(`${at}: excludeNotForUI lists an abstract code or one the whole does not`);
      if (all.some((c) => !c.abstract && c.code && !forUi.some((a) => key(a) === key(c)))) problems.push(`${at}: excludeNotForUI leaves out a selectable code`);
      const named = all.find((c) => c.code && c.display && /\w{3}/.test(c.display));
      if (named) {
        const word = named.display!.match(/\w{3,}/)![0];
        const found = flat(expand([{ name: 'filter', valueString: word }]).contains);
        if (found.some((c) => !listed.has(key(c)))) problems.push(`${at}: filter '${word}' lists a code the whole does not`);
        if (!found.some((c) => key(c) === key(named))) problems.push(`${at}: filter '${word}' misses ${key(named)} '${named.display}'`);
      }
      const nested = expand([{ name: 'excludeNested', valueBoolean: true }]).contains ?? [];
      if (nested.some((c) => c.contains) || nested.map(key).sort().join() !== all.map(key).sort().join()) problems.push(`${at}: excludeNested lists other codes`);

      for (const c of all.slice(0, 60)) {
        if (!c.code || !c.system || c.abstract || c.inactive) continue;
        const coding = [{ name: 'system', valueUri: c.system }, ...(c.version ? [{ name: 'systemVersion', valueString: c.version }] : []), { name: 'code', valueCode: c.code }];
        const out = engine.validateValueSetCode({ parameters: [...ref, ...coding, ...(c.display ? [{ name: 'display', valueString: c.display }] : [])], txResources: tx });
        if (value(out, 'result')?.valueBoolean !== true) problems.push(`${at} ${key(c)} '${c.display}': ${value(out, 'message')?.valueString}`);
        const shown = value(out, 'display')?.valueString;
        if (c.display && shown !== undefined && shown !== c.display) problems.push(`${at} ${key(c)}: expanded as '${c.display}', validated as '${shown}'`);
        const alone = engine.validateValueSetCode({ parameters: [...ref, ...coding], txResources: tx });
        const cc = engine.validateValueSetCode({ parameters: [...ref, { name: 'codeableConcept', valueCodeableConcept: { coding: [{ system: c.system, code: c.code, ...(c.version ? { version: c.version } : {}) }] } }], txResources: tx });
        if (value(cc, 'result')?.valueBoolean !== value(alone, 'result')?.valueBoolean) problems.push(`${at} ${key(c)}: a CodeableConcept of it is judged otherwise`);
      }
    }
    counts.push(`${suite.name}: ${expanded} expanded, ${refused} refused`);
    expect(problems).toEqual([]);
  });

  const counts: string[] = [];
  afterAll(() => console.log(counts.join('\n')));
});
