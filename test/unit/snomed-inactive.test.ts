import path from 'node:path';
import type { ParametersParameter, ValueSet } from 'fhir/r4';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { GB_TERM, ID, INACTIVE_TERM, writeFixtureRelease } from './snomed-fixture';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

/**
 * Snomed CT inactive content, from the rules (FHIR terminology ecosystem requirements, "Inactive
 * Codes"; Using SNOMED CT with FHIR): an inactive concept is still a code, flagged inactive with a
 * warning; an inactive description is no longer a correct display but still a valid one (a
 * warning); expansions show the fully specified name and the preferred term of each language,
 * current terms only; a selection by expression constraint states membership by itself.
 */
const SCT = 'http://snomed.info/sct';
const VERSION = 'http://snomed.info/sct/45991000052106/version/20250930';

afterAll(removeTempStores);

describe('Snomed CT inactive concepts and descriptions', () => {
  let engine: TerminologyEngine;
  beforeAll(async () => {
    const dir = tempDir('kodverk-sct-inactive-');
    const db = openTempDatabase(path.join(dir, 'store.db'));
    const store = new ResourceStore(db);
    await runImport(db, store, rf2Importer, writeFixtureRelease(), { uri: VERSION });
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const get = (out: ParametersParameter[], name: string) => out.find((p) => p.name === name);
  const value = (out: ParametersParameter[], name: string) => {
    const p = get(out, name);
    return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
  };
  const issues = (out: ParametersParameter[]) => ((get(out, 'issues')?.resource as any)?.issue ?? []).map((i: any) => [i.severity, i.details.coding?.[0]?.code, i.extension?.[0]?.valueString]);
  const enumerated = (...codes: string[]): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:sct-enumerated', status: 'active', compose: { include: [{ system: SCT, concept: codes.map((code) => ({ code })) }] } });
  const constraint = (ecl: string): ValueSet => ({ resourceType: 'ValueSet', url: 'urn:example:sct-ecl', status: 'active', compose: { include: [{ system: SCT, filter: [{ property: 'constraint', op: '=', value: ecl }] }] } });
  const validate = (vs: ValueSet, code: string, display?: string) =>
    engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: vs }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: code }, ...(display ? [{ name: 'display', valueString: display }] : [])], txResources: [] });

  it('$lookup lists every description, inactive ones too, and never shows an inactive one as the display', () => {
    const out = engine.lookup({ parameters: [{ name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.hepatitis }], txResources: [] });
    expect(value(out, 'display')).toBe('Hepatitis');
    const terms = out.filter((p) => p.name === 'designation').map((d) => d.part!.find((x) => x.name === 'value')!.valueString);
    expect(terms).toContain(INACTIVE_TERM);
  });

  it('$validate-code: a display that is an inactive description is valid, with a display-comment warning', () => {
    const out = validate(enumerated(ID.hepatitis), ID.hepatitis, INACTIVE_TERM);
    expect(value(out, 'result')).toBe(true);
    expect(value(out, 'display')).toBe('Hepatitis');
    expect(issues(out)).toEqual([['warning', 'display-comment', 'INACTIVE_DISPLAY_FOUND']]);
    // a term that never was one of the concept's is an error
    expect(issues(validate(enumerated(ID.hepatitis), ID.hepatitis, 'Hepatitis of unknown kind'))).toEqual([['error', 'invalid-display', 'Display_Name_for__should_be_one_of__instead_of']]);
  });

  it('$validate-code with lenient-display-validation=false: a display that is no longer current is an error', () => {
    const strict = (lenient: boolean) =>
      engine.validateValueSetCode({
        parameters: [{ name: 'valueSet', resource: enumerated(ID.hepatitis) }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.hepatitis }, { name: 'display', valueString: INACTIVE_TERM }, { name: 'lenient-display-validation', valueBoolean: lenient }],
        txResources: [],
      });
    const out = strict(false);
    expect(value(out, 'result')).toBe(false);
    expect(issues(out)).toEqual([['error', 'display-comment', 'INACTIVE_DISPLAY_FOUND']]);
    expect(String(value(out, 'message'))).toContain('is no longer considered a correct display');
    // lenient, or not said: still valid, with the warning
    expect(value(strict(true), 'result')).toBe(true);
    expect(issues(strict(true))).toEqual([['warning', 'display-comment', 'INACTIVE_DISPLAY_FOUND']]);
  });

  it('$validate-code: an inactive concept a value set lists is valid, flagged inactive with a warning', () => {
    const out = validate(enumerated(ID.retired), ID.retired);
    expect(value(out, 'result')).toBe(true);
    expect(value(out, 'inactive')).toBe(true);
    expect(issues(out)).toEqual([['warning', 'code-comment', 'INACTIVE_CONCEPT_FOUND']]);
  });

  it('an expression constraint states membership by itself: validation reports no status, the expansion still marks it', () => {
    const vs = constraint(`^ ${ID.replacedBy}`);
    const out = validate(vs, ID.retired);
    expect(value(out, 'result')).toBe(true);
    expect(get(out, 'inactive')).toBeUndefined();
    expect(get(out, 'issues')).toBeUndefined();
    const exp = engine.expand({ parameters: [{ name: 'valueSet', resource: vs }], txResources: [] });
    expect(exp.expansion?.contains?.map((c) => [c.code, c.inactive])).toEqual([[ID.retired, true]]);
  });

  it('$expand shows the fully specified name and the preferred term of each language, FSN first; acceptable and inactive terms stay out', () => {
    const exp = engine.expand({ parameters: [{ name: 'valueSet', resource: enumerated(ID.hepatitis) }, { name: 'includeDesignations', valueBoolean: true }], txResources: [] });
    const c = exp.expansion!.contains![0];
    expect(c.display).toBe('Hepatitis');
    expect(c.designation?.map((d) => [d.language, d.use?.code, d.value])).toEqual([
      ['en', ID.fsn, 'Hepatitis (fixture)'],
      ['en', ID.synonym, 'Hepatitis'],
      ['sv', ID.synonym, 'Hepatit'],
    ]);
    const sv = engine.expand({ parameters: [{ name: 'valueSet', resource: enumerated(ID.hepatitis) }, { name: 'displayLanguage', valueCode: 'sv' }], txResources: [] });
    expect(sv.expansion!.contains![0].display).toBe('Hepatit');
  });

  it('text search does not find a concept by a term that is no longer current', () => {
    const all: ValueSet = { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SCT }] } };
    const found = (text: string) => engine.expand({ parameters: [{ name: 'valueSet', resource: all }, { name: 'filter', valueString: text }], txResources: [] }).expansion?.contains?.map((c) => c.code) ?? [];
    expect(found('Hepatitis')).toContain(ID.hepatitis);
    expect(found('NOS')).toEqual([]);
  });
});

describe('Snomed CT language reference sets', () => {
  let engine: TerminologyEngine;
  beforeAll(async () => {
    const db = openTempDatabase(path.join(tempDir('kodverk-sct-dialects-'), 'store.db'));
    const store = new ResourceStore(db);
    await runImport(db, store, rf2Importer, writeFixtureRelease(), { uri: VERSION });
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });
  const display = (lang?: string) =>
    engine.lookup({ parameters: [{ name: 'system', valueUri: SCT }, { name: 'code', valueCode: ID.hand }, ...(lang ? [{ name: 'displayLanguage', valueCode: lang }] : [])], txResources: [] }).find((p) => p.name === 'display')?.valueString;

  it('a dialect asked for shows the term its language reference set prefers; plain English the edition default (US)', () => {
    expect(display('en-GB')).toBe(GB_TERM);
    expect(display('en-US')).toBe('Hand structure');
    expect(display('en')).toBe('Hand structure');
    expect(display()).toBe('Hand structure');
    expect(display('sv')).toBe('Handstruktur');
  });

  it('a language reference set named by its private-use tag (<lang>-x-sctlang-<refset id in groups of 8>) shows the term it prefers', () => {
    // SNOMED CT's FHIR guidance: en-x-sctlang-90000000-00005080-04 is the GB English refset 900000000000508004
    expect(display('en-x-sctlang-90000000-00005080-04')).toBe(GB_TERM);
    expect(display('en-x-sctlang-90000000-00005090-07')).toBe('Hand structure');
    // the Swedish refset 46011000052107 for Swedish terms
    expect(display('sv-x-sctlang-46011000-052107')).toBe('Handstruktur');
    // a refset that prefers no term of the concept: the language's terms as for plain `en`
    expect(display('en-x-sctlang-12345678-9')).toBe('Hand structure');
    // in a preference list, as Accept-Language sends it
    const vs: ValueSet = { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SCT, concept: [{ code: ID.hand }] }] } };
    const exp = engine.expand({ parameters: [{ name: 'valueSet', resource: vs }], txResources: [], acceptLanguage: 'en-x-sctlang-90000000-00005080-04, en;q=0.5' });
    expect(exp.expansion?.contains?.[0].display).toBe(GB_TERM);
  });

  it('an expansion in a dialect shows that dialect’s preferred terms', () => {
    const vs: ValueSet = { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: SCT, concept: [{ code: ID.hand }] }] } };
    const exp = engine.expand({ parameters: [{ name: 'valueSet', resource: vs }], txResources: [], acceptLanguage: 'en-GB' });
    expect(exp.expansion?.contains?.[0].display).toBe(GB_TERM);
    // the designations are descriptions: the edition's default display is not added as a designation of its own
    const withTerms = engine.expand({ parameters: [{ name: 'valueSet', resource: vs }, { name: 'includeDesignations', valueBoolean: true }, { name: 'displayLanguage', valueCode: 'en-GB' }], txResources: [] });
    const c = withTerms.expansion!.contains![0];
    expect(c.display).toBe(GB_TERM);
    expect(c.designation?.map((d) => [d.language, d.use?.code, d.value])).toEqual([
      ['en', ID.fsn, 'Hand structure (fixture)'],
      ['en', ID.synonym, 'Hand structure'],
      ['sv', ID.synonym, 'Handstruktur'],
    ]);
  });
});
