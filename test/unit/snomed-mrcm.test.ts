import fs from 'node:fs';
import path from 'node:path';
import type { ParametersParameter } from 'fhir/r4';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { ID, sctid, writeFixtureRelease } from './snomed-fixture';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

/**
 * The MRCM attribute domain grouping rules: a release with the MRCM attribute domain reference set
 * (723561005) says which attributes go in a relationship group in which domain. One the model never
 * groups, written in a group, makes an expression invalid; one it groups, written outside a group,
 * is the close-to-user form: a valid code, but not the classifiable form $subsumes needs.
 */

const SCT = 'http://snomed.info/sct';
const VERSION = 'http://snomed.info/sct/45991000052106/version/20250930';
const MRCM_DOMAIN = '723561005';
const ALL_CONTENT = '723596005';
const PRECOORDINATED_ONLY = '723593002';
const MANDATORY = '723597001';
const OPTIONAL = '723598006';
const MRCM_RANGE = '723562003';
// concepts the MRCM tests add to the fixture release
const LATERALITY = '272741003';
const SIDE = '182353008';
const RIGHT = '24028007';
const COUNT = '1142139005';
const STRENGTH = '1142135004';
const LATERALIZABLE = '723264001';

const uuidOf = (n: number) => `00000000-0000-4000-9000-${String(n).padStart(12, '0')}`;

afterAll(removeTempStores);

describe('Snomed CT MRCM grouping', () => {
  let engine: TerminologyEngine;

  beforeAll(async () => {
    const release = writeFixtureRelease();
    // the fixture release, with the MRCM attribute domain reference set as a concept and its rules
    fs.appendFileSync(path.join(release, 'Terminology/sct2_Concept_Snapshot_INT_20250930.txt'), `${MRCM_DOMAIN}\t20250930\t1\t${ID.core}\t${ID.primitive}\r\n`);
    const header = 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\tdomainId\tgrouped\tattributeCardinality\tattributeInGroupCardinality\truleStrengthId\tcontentTypeId';
    const rule = (n: number, attribute: string, domain: string, grouped: number, content: string) =>
      [`00000000-0000-4000-9000-00000000000${n}`, '20250930', '1', ID.core, MRCM_DOMAIN, attribute, domain, String(grouped), '0..*', '0..1', MANDATORY, content].join('\t');
    const rows = [
      rule(1, ID.findingSite, ID.finding, 1, ALL_CONTENT),
      // a rule for precoordinated content only does not bind an expression
      rule(2, ID.morphology, ID.finding, 1, PRECOORDINATED_ONLY),
      rule(3, ID.findingSite, ID.body, 0, ALL_CONTENT),
      // Laterality: on body structures, and (narrower) on the members of the lateralizable body structure refset, which the release does not ship
      [uuidOf(4), '20250930', '1', ID.core, MRCM_DOMAIN, LATERALITY, ID.body, '0', '0..1', '0..0', MANDATORY, ALL_CONTENT].join('\t'),
      [uuidOf(5), '20250930', '1', ID.core, MRCM_DOMAIN, LATERALITY, LATERALIZABLE, '0', '0..1', '0..0', OPTIONAL, ALL_CONTENT].join('\t'),
      [uuidOf(6), '20250930', '1', ID.core, MRCM_DOMAIN, COUNT, ID.finding, '0', '0..1', '0..0', MANDATORY, ALL_CONTENT].join('\t'),
      [uuidOf(7), '20250930', '1', ID.core, MRCM_DOMAIN, STRENGTH, ID.finding, '1', '0..*', '0..1', MANDATORY, ALL_CONTENT].join('\t'),
      // a domain the release does not hold is not judged (and does not narrow the attribute)
      [uuidOf(8), '20250930', '1', ID.core, MRCM_DOMAIN, COUNT, '540091010000105', '0', '0..1', '0..0', MANDATORY, ALL_CONTENT].join('\t'),
    ];
    fs.mkdirSync(path.join(release, 'Refset/Metadata'), { recursive: true });
    fs.writeFileSync(path.join(release, 'Refset/Metadata/der2_cissccRefset_MRCMAttributeDomainSnapshot_INT_20250930.txt'), [header, ...rows].join('\r\n') + '\r\n');
    // the attribute range refset: concept values by constraint, concrete values by type and range
    const rangeHeader = 'id\teffectiveTime\tactive\tmoduleId\trefsetId\treferencedComponentId\trangeConstraint\tattributeRule\truleStrengthId\tcontentTypeId';
    const range = (n: number, attribute: string, constraint: string) => [uuidOf(n), '20250930', '1', ID.core, MRCM_RANGE, attribute, constraint, '(rule)', MANDATORY, ALL_CONTENT].join('\t');
    fs.writeFileSync(
      path.join(release, 'Refset/Metadata/der2_ssccRefset_MRCMAttributeRangeSnapshot_INT_20250930.txt'),
      [rangeHeader, range(11, ID.findingSite, `<< ${ID.body} |Body structure|`), range(12, LATERALITY, `<< ${SIDE} |Side (qualifier value)|`), range(13, COUNT, 'int(>#0..)'), range(14, STRENGTH, 'dec(>#0..)'), range(15, ID.morphology, '<< 767524001 |Unit of measure (qualifier value)|')].join('\r\n') + '\r\n',
    );
    // the concepts: Laterality, Side, Right, two concrete attributes; the hand says it has a side
    const concepts: [string, string, string][] = [
      [MRCM_RANGE, 'MRCM attribute range', ID.root],
      [LATERALITY, 'Laterality', ID.attribute],
      [SIDE, 'Side', ID.root],
      [RIGHT, 'Right', SIDE],
      [COUNT, 'Count of base of active ingredient', ID.attribute],
      [STRENGTH, 'Has presentation strength numerator value', ID.attribute],
    ];
    let n = 1;
    for (const [id, term, parent] of concepts) {
      fs.appendFileSync(path.join(release, 'Terminology/sct2_Concept_Snapshot_INT_20250930.txt'), `${id}\t20250930\t1\t${ID.core}\t${ID.primitive}\r\n`);
      fs.appendFileSync(
        path.join(release, 'Terminology/sct2_Description_Snapshot-en_INT_20250930.txt'),
        `${sctid(8500000 + n++, '01')}\t20250930\t1\t${ID.core}\t${id}\ten\t${ID.synonym}\t${term}\t900000000000448009\r\n`,
      );
      fs.appendFileSync(
        path.join(release, 'Terminology/sct2_Relationship_Snapshot_INT_20250930.txt'),
        `${sctid(7500000 + n, '02')}\t20250930\t1\t${ID.core}\t${id}\t${parent}\t0\t${ID.isA}\t900000000000011006\t900000000000451002\r\n`,
      );
    }
    fs.appendFileSync(
      path.join(release, 'Terminology/sct2_Relationship_Snapshot_INT_20250930.txt'),
      `${sctid(7600001, '02')}\t20250930\t1\t${ID.core}\t${ID.hand}\t${SIDE}\t0\t${LATERALITY}\t900000000000011006\t900000000000451002\r\n`,
    );
    const db = openTempDatabase(path.join(tempDir('kodverk-sct-mrcm-'), 'store.db'));
    const store = new ResourceStore(db);
    await runImport(db, store, rf2Importer, release, { uri: VERSION });
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const params = (p: Record<string, string>): ParametersParameter[] => Object.entries(p).map(([name, v]) => ({ name, valueString: v }));
  const subsumes = (a: string, b: string) => engine.subsumes({ parameters: params({ system: SCT, codeA: a, codeB: b }), txResources: [] })[0].valueCode;
  const failure = (a: string, b: string) => {
    try {
      subsumes(a, b);
    } catch (e) {
      return { status: (e as TerminologyError).httpStatus, ...(e as TerminologyError).issues[0] };
    }
    throw new Error('no error');
  };

  it('$subsumes: an attribute the concept model groups, written outside a group, is not classifiable: an invalid code', () => {
    const ungrouped = `${ID.disease}:${ID.findingSite}=${ID.liver}`;
    expect(failure(ungrouped, ID.disease)).toMatchObject({ status: 404, code: 'code-invalid', txType: 'invalid-code', expression: ['codeA'] });
    expect(failure(ID.disease, ungrouped).text).toContain(`Unknown code '${ungrouped}'`);
    expect(subsumes(`${ID.disease}:{${ID.findingSite}=${ID.liver}}`, ID.disease)).toBe('subsumed-by');
    // a grouping rule for precoordinated content only is not applied
    expect(subsumes(`${ID.disease}:${ID.morphology}=${ID.inflammation}`, ID.disease)).toBe('subsumed-by');
    // an attribute the model never groups (in that domain) may not be written in a group
    expect(subsumes(`${ID.liver}:${ID.findingSite}=${ID.liverPart}`, ID.liver)).toBe('subsumed-by');
    expect(failure(`${ID.liver}:{${ID.findingSite}=${ID.liverPart}}`, ID.liver).code).toBe('code-invalid');
  });

  it('$validate-code: the close-to-user form is valid; an attribute the model never groups, in a group, is explained', () => {
    const ok = engine.validateCodeSystemCode({ parameters: params({ url: SCT, code: `${ID.disease}:${ID.findingSite}=${ID.liver}` }), txResources: [] });
    expect(ok.find((p) => p.name === 'result')?.valueBoolean).toBe(true);
    const out = engine.validateCodeSystemCode({ parameters: params({ url: SCT, code: `${ID.liver}:{${ID.findingSite}=${ID.liverPart}}` }), txResources: [] });
    expect(out.find((p) => p.name === 'result')?.valueBoolean).toBe(false);
    const texts = JSON.stringify(out);
    expect(texts).toContain(`Not a valid expression: The SNOMED CT concept model does not allow the attribute ${ID.findingSite} |Finding site (fixture)| to appear in a relationship group`);
  });

  // S5: the attribute domain, range and cardinality rules
  const validate = (code: string) => engine.validateCodeSystemCode({ parameters: params({ url: SCT, code }), txResources: [] });
  const invalidBecause = (code: string) => {
    const out = validate(code);
    expect(out.find((p) => p.name === 'result')?.valueBoolean).toBe(false);
    expect(out.find((p) => p.name === 'message')?.valueString).toContain(`Unknown code '${code}'`);
    const issues = (out.find((p) => p.name === 'issues')?.resource as { issue: { severity: string; details: { text: string } }[] }).issue;
    const info = issues.find((i) => i.severity === 'information')!;
    return info.details.text.replace(/^Not a valid expression: /, '');
  };
  const valid = (code: string) => {
    const out = validate(code);
    expect(out.find((p) => p.name === 'result')?.valueBoolean).toBe(true);
    // checked against the concept model: no note that it was not
    expect(out.find((p) => p.name === 'issues')).toBeUndefined();
  };

  it('an attribute outside all its domains makes the expression invalid, naming the domains', () => {
    expect(invalidBecause(`${ID.careRefset}:${ID.findingSite}=${ID.liver}`)).toBe(
      `The SNOMED CT concept model does not allow the attribute ${ID.findingSite} |Finding site (fixture)| on ${ID.careRefset} |Primary care refset (fixture)| ` +
        `(the attribute is only valid in the domain ${ID.finding} |Clinical finding (fixture)|, or in the domain ${ID.body} |Body structure (fixture)|)`,
    );
    valid(`${ID.disease}:{${ID.findingSite}=${ID.liver}}`);
  });

  it('a reference set domain narrows the attribute to the set (not shipped: the concepts that carry the attribute)', () => {
    valid(`${ID.hand}:${LATERALITY}=${RIGHT}`);
    expect(invalidBecause(`${ID.liver}:${LATERALITY}=${RIGHT}`)).toBe(
      `The SNOMED CT concept model does not allow the attribute ${LATERALITY} |Laterality| on ${ID.liver} |Liver structure (fixture)| ` +
        `(the attribute is only valid for concepts in ${LATERALIZABLE} |Lateralizable body structure reference set (foundation metadata concept)|)`,
    );
    // nested values are expressions of their own, checked the same way
    valid(`${ID.disease}:{${ID.findingSite}=(${ID.hand}:${LATERALITY}=${RIGHT})}`);
    expect(invalidBecause(`${ID.disease}:{${ID.findingSite}=(${ID.liver}:${LATERALITY}=${RIGHT})}`)).toContain('only valid for concepts in');
  });

  it('a value outside the range, or a concrete value where a concept is wanted', () => {
    expect(invalidBecause(`${ID.hand}:${LATERALITY}=${ID.liver}`)).toBe(
      `The SNOMED CT concept model does not allow ${ID.liver} |Liver structure (fixture)| as the value of the attribute ${LATERALITY} |Laterality| (the value must satisfy "<< ${SIDE} |Side (qualifier value)|")`,
    );
    expect(invalidBecause(`${ID.hand}:${LATERALITY}=#500`)).toBe(
      `The SNOMED CT concept model does not allow #500 as the value of the attribute ${LATERALITY} |Laterality| (the value must satisfy "<< ${SIDE} |Side (qualifier value)|")`,
    );
    // << includes the constraint's concept itself
    valid(`${ID.hand}:${LATERALITY}=${SIDE}`);
  });

  it('concrete values: type and range, and a concept where a number is wanted', () => {
    valid(`${ID.disease}:${COUNT}=#2,{${STRENGTH}=#500}`);
    valid(`${ID.disease}:{${STRENGTH}=#0.5}`);
    expect(invalidBecause(`${ID.disease}:${COUNT}=#2.5`)).toBe(
      `The SNOMED CT concept model does not allow #2.5 as the value of the attribute ${COUNT} |Count of base of active ingredient| (the value must satisfy "int(>#0..)")`,
    );
    expect(invalidBecause(`${ID.disease}:{${STRENGTH}=#0}`)).toContain('does not allow #0 as the value');
    expect(invalidBecause(`${ID.disease}:{${STRENGTH}=${RIGHT}}`)).toBe(
      `The SNOMED CT concept model does not allow ${RIGHT} |Right| as the value of the attribute ${STRENGTH} |Has presentation strength numerator value| (the value must satisfy "dec(>#0..)")`,
    );
    // the value is judged before where it is written
    expect(invalidBecause(`${ID.disease}:{${COUNT}=#2.5}`)).toContain('does not allow #2.5');
  });

  it('cardinality: an attribute used more often than the model allows on one concept or in one group', () => {
    expect(invalidBecause(`${ID.hand}:${LATERALITY}=${RIGHT},${LATERALITY}=${RIGHT}`)).toBe(
      `The SNOMED CT concept model allows the attribute ${LATERALITY} |Laterality| at most 1 time(s) on one concept, but it is used 2 times`,
    );
    expect(invalidBecause(`${ID.disease}:{${STRENGTH}=#1,${STRENGTH}=#2}`)).toBe(
      `The SNOMED CT concept model allows the attribute ${STRENGTH} |Has presentation strength numerator value| at most 1 time(s) in one relationship group, but it is used 2 times`,
    );
    valid(`${ID.disease}:{${STRENGTH}=#1},{${STRENGTH}=#2}`);
  });

  it('conformance is judged by the code system\'s own $validate-code; $lookup and value set membership take the expression as written', () => {
    const code = `${ID.liver}:${LATERALITY}=${RIGHT}`;
    expect(invalidBecause(code)).toContain('only valid for concepts in');
    const looked = engine.lookup({ parameters: [{ name: 'system', valueUri: SCT }, { name: 'code', valueCode: code }], txResources: [] });
    expect(looked.find((p) => p.name === 'display')?.valueString).toContain('Laterality');
    const vs = { resourceType: 'ValueSet', url: 'http://example.org/vs/body', status: 'active', compose: { include: [{ system: SCT, filter: [{ property: 'concept', op: 'is-a', value: ID.body }] }] } };
    const out = engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: vs } as ParametersParameter, ...params({ system: SCT, code })], txResources: [] });
    expect(out.find((p) => p.name === 'display')?.valueString).toContain('Laterality');
    // so does a value set that takes the whole system
    const whole = { ...vs, url: 'http://example.org/vs/all', compose: { include: [{ system: SCT }] } };
    const all = engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: whole } as ParametersParameter, ...params({ system: SCT, code })], txResources: [] });
    expect(all.find((p) => p.name === 'result')?.valueBoolean).toBe(true);
  });

  it('what the release cannot judge is not judged: a domain or a range of concepts it does not hold', () => {
    // Count's domains: Clinical finding, and one the release does not hold
    valid(`${ID.disease}:${COUNT}=#2`);
    expect(invalidBecause(`${ID.liver}:${COUNT}=#2`)).toContain(`(the attribute is only valid in the domain ${ID.finding} |Clinical finding (fixture)|)`);
    // Associated morphology's range names only a concept the release does not hold (and its domain rule is for precoordinated content)
    valid(`${ID.disease}:{${ID.morphology}=${ID.inflammation}}`);
  });
});
