import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startTestServer, SHARED_DATA, sharedDataPresent } from '../helpers/server';
import { openDatabase } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';

const RUNNER = path.resolve(SHARED_DATA, '../tools/tx-runner/run.mjs');
const SUITE = path.join(SHARED_DATA, 'tx-ecosystem');
const SUBSET = path.join(SHARED_DATA, 'snomed-tx-subset/snomed');
/** the URI the subset's readme prescribes (unpublished test release of module 31000003106) */
const URI = 'http://snomed.info/xsct/31000003106/version/20250909';
const floor = JSON.parse(fs.readFileSync(path.join(__dirname, 'floor.json'), 'utf8'));

const present = sharedDataPresent('tx-ecosystem') && fs.existsSync(SUBSET) && fs.existsSync(RUNNER);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the HL7 Snomed CT conformance test: ${SUITE}, ${SUBSET} or ${RUNNER} is missing`);
}

function runSuite(base: string, suite: string): Promise<{ passed: number; failed: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, '--server', base, '--tests', SUITE, '--modes', 'snomed', '--suite', suite], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('close', () => {
      const m = /(\d+) passed, (\d+) failed\s*$/.exec(text.trim());
      if (!m) reject(new Error(`The runner did not report a result for ${suite}:\n${text.slice(-2000)}`));
      else resolve({ passed: Number(m[1]), failed: Number(m[2]), out: text });
    });
  });
}

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
      const failures = results.flatMap((r) => r.out.split('\n').filter((l) => l.startsWith('FAIL ')));
      // eslint-disable-next-line no-console
      console.log(`HL7 tx-ecosystem snomed + sct-ecl: ${passed} passed, ${failed} failed${failures.length ? '\n' + failures.join('\n') : ''}`);
      expect(passed).toBeGreaterThanOrEqual(floor.snomed);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
