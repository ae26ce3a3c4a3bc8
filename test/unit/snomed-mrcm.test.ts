import fs from 'node:fs';
import path from 'node:path';
import type { ParametersParameter } from 'fhir/r4';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { ID, removeTempDirs, tempDir, writeFixtureRelease } from './snomed-fixture';

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

afterAll(removeTempDirs);

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
    ];
    fs.mkdirSync(path.join(release, 'Refset/Metadata'), { recursive: true });
    fs.writeFileSync(path.join(release, 'Refset/Metadata/der2_cissccRefset_MRCMAttributeDomainSnapshot_INT_20250930.txt'), [header, ...rows].join('\r\n') + '\r\n');
    const db = openDatabase(path.join(tempDir('kodverk-sct-mrcm-'), 'store.db'));
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
    expect(texts).toContain(`Not a valid expression: The SNOMED CT concept model does not allow the attribute ${ID.findingSite} |Finding site| to appear in a relationship group`);
  });
});
