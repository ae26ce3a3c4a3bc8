import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, SHARED_DATA, sharedDataPresent } from '../helpers/server';
import { RUNNER, SUITE, failures, runTxSuite } from '../helpers/tx-runner';
import { deriveSuite } from '../helpers/derived-suite';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';

const SUBSET = path.join(SHARED_DATA, 'snomed-tx-subset/snomed');
/** the URI the subset's readme prescribes (unpublished test release of module 31000003106) */
const URI = 'http://snomed.info/xsct/31000003106/version/20250909';
const floor = JSON.parse(fs.readFileSync(path.join(__dirname, 'floor.json'), 'utf8'));

const present = sharedDataPresent('tx-ecosystem') && fs.existsSync(SUBSET) && fs.existsSync(RUNNER);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the HL7 Snomed CT conformance test: ${SUITE}, ${SUBSET} or ${RUNNER} is missing`);
}

const runSuite = (base: string, suite: string) => runTxSuite(base, ['--modes', 'snomed', '--suite', suite]);

(present ? describe : describe.skip)('HL7 terminology-ecosystem suite, Snomed CT (snomed and sct-ecl suites)', () => {
  jest.setTimeout(10 * 60 * 1000);

  it(`passes at least the recorded floor (${floor.snomed})`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-sct-'));
    const dbPath = path.join(dir, 'kodverk.db');
    const db = openDatabase(dbPath);
    try {
      const summary = await runImport(db, new ResourceStore(db), rf2Importer, SUBSET, { uri: URI });
      expect(summary.concepts).toBeGreaterThan(0);
    } finally {
      db.close();
    }
    const server = await startTestServer({ dbPath });
    try {
      const results = [await runSuite(server.fhirBase, 'snomed'), await runSuite(server.fhirBase, 'sct-ecl')];
      const passed = results.reduce((n, r) => n + r.passed, 0);
      const failed = results.reduce((n, r) => n + r.failed, 0);
      const failing = results.flatMap(failures);
      // eslint-disable-next-line no-console
      console.log(`HL7 tx-ecosystem snomed + sct-ecl: ${passed} passed, ${failed} failed${failing.length ? '\n' + failing.join('\n') : ''}`);
      expect(passed).toBeGreaterThanOrEqual(floor.snomed);
      // as the Java runner does when the server offers $cache-control: the setup in a client cache
      const cached = await runTxSuite(server.fhirBase, ['--modes', 'snomed', '--suite', 'snomed', '--cache-control']);
      // eslint-disable-next-line no-console
      console.log(`HL7 tx-ecosystem snomed through a client cache: ${cached.passed} passed, ${cached.failed} failed${failures(cached).length ? '\n' + failures(cached).join('\n') : ''}`);
      expect(cached.out).toMatch(/setup loaded into server cache/);
      expect(cached.passed).toBe(results[0].passed);
      // the suites' rules on requests they do not send (derived-suite.ts): the same value as a
      // coding or a CodeableConcept, the value set inline
      const derived = deriveSuite();
      try {
        const made = derived.total('snomed');
        const d = await runTxSuite(server.fhirBase, ['--modes', 'snomed', '--cache-control', '--only-list', derived.onlyList('snomed')], derived.dir);
        // eslint-disable-next-line no-console
        console.log(`derived Snomed CT cases (${JSON.stringify(derived.counts.snomed)}): ${d.passed} passed, ${d.failed} failed${d.failed ? '\n' + failures(d).join('\n') : ''}`);
        expect(failures(d)).toEqual([]);
        expect(d.passed).toBe(made);
      } finally {
        derived.cleanup();
      }
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
