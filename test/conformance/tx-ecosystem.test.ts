import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, SHARED_DATA, sharedDataPresent } from '../helpers/server';

const RUNNER = path.resolve(SHARED_DATA, '../tools/tx-runner/run.mjs');
const SUITE = path.join(SHARED_DATA, 'tx-ecosystem');
const floor = JSON.parse(fs.readFileSync(path.join(__dirname, 'floor.json'), 'utf8'));

const present = sharedDataPresent('tx-ecosystem') && fs.existsSync(RUNNER);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the HL7 conformance test: ${SUITE} or ${RUNNER} is missing`);
}

(present ? describe : describe.skip)('HL7 terminology-ecosystem suite (general mode)', () => {
  jest.setTimeout(30 * 60 * 1000);

  it(`passes at least the recorded floor (${floor.general})`, async () => {
    const server = await startTestServer();
    try {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [RUNNER, '--server', server.fhirBase, '--tests', SUITE, '--modes', 'general'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.on('data', (d) => (text += d));
        child.stderr.on('data', (d) => (text += d));
        child.on('error', reject);
        child.on('close', () => resolve(text));
      });
      const m = /(\d+) passed, (\d+) failed\s*$/.exec(out.trim());
      if (!m) throw new Error('The runner did not report a result:\n' + out.slice(-2000));
      const passed = Number(m[1]);
      // eslint-disable-next-line no-console
      console.log(`HL7 tx-ecosystem general mode: ${m[0]}`);
      expect(passed).toBeGreaterThanOrEqual(floor.general);
    } finally {
      await server.close();
    }
  });
});
