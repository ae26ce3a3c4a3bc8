import path from 'node:path';
import type { ParametersParameter } from 'fhir/r4';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { ID, writeFixtureRelease } from './snomed-fixture';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

/**
 * Editions and versions, from "Using SNOMED CT with FHIR": a version is an edition/version URI;
 * an edition URI without a date means that edition's latest release; implicit value sets carry
 * the edition (and release) before `?fhir_vs`; an edition or release the server does not hold is
 * an unknown code-system version, never silently another edition.
 */
const SCT = 'http://snomed.info/sct';
const EDITION = 'http://snomed.info/sct/45991000052106';
const OLD = `${EDITION}/version/20250930`;
const NEW = `${EDITION}/version/20260331`;

afterAll(removeTempStores);

describe('Snomed CT editions and versions', () => {
  let engine: TerminologyEngine;
  beforeAll(async () => {
    const db = openTempDatabase(path.join(tempDir('kodverk-sct-editions-'), 'store.db'));
    const store = new ResourceStore(db);
    const release = writeFixtureRelease();
    await runImport(db, store, rf2Importer, release, { uri: OLD });
    await runImport(db, store, rf2Importer, release, { uri: NEW });
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });

  const value = (out: ParametersParameter[], name: string) => {
    const p = out.find((x) => x.name === name);
    return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
  };
  const validate = (url: string, code: string) => engine.validateValueSetCode({ parameters: [{ name: 'url', valueUri: url }, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: code }], txResources: [] });

  it('an implicit value set names its release, or its edition (the latest release of it), before ?fhir_vs', () => {
    expect(value(validate(`${OLD}?fhir_vs=isa/${ID.disease}`, ID.hepatitis), 'version')).toBe(OLD);
    expect(value(validate(`${EDITION}?fhir_vs=isa/${ID.disease}`, ID.hepatitis), 'version')).toBe(NEW);
    expect(value(validate(`${SCT}?fhir_vs=isa/${ID.disease}`, ID.hepatitis), 'version')).toBe(NEW);
  });

  it('an edition or release the server does not hold is an unknown version, not another edition', () => {
    for (const url of [`${SCT}/900000000000207008?fhir_vs`, `${EDITION}/version/20990101?fhir_vs`, `http://snomed.info/xsct/45991000052106?fhir_vs`]) {
      const out = validate(url, ID.hepatitis);
      expect(value(out, 'result')).toBe(false);
      expect(out.find((p) => p.name === 'x-caused-by-unknown-system')).toBeDefined();
    }
  });

  it('$lookup and $validate-code take an edition URI as the version: its latest release', () => {
    const lookup = engine.lookup({ parameters: [{ name: 'system', valueUri: SCT }, { name: 'version', valueString: EDITION }, { name: 'code', valueCode: ID.hepatitis }], txResources: [] });
    expect(value(lookup, 'version')).toBe(NEW);
    const cs = engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: SCT }, { name: 'version', valueString: OLD }, { name: 'code', valueCode: ID.hepatitis }], txResources: [] });
    expect(value(cs, 'version')).toBe(OLD);
  });
});
