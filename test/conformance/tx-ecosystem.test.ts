import fs from 'node:fs';
import path from 'node:path';
import { startTestServer, sharedDataPresent } from '../helpers/server';
import { RUNNER, SUITE, SuiteResult, failures, runTxSuite as runSuite } from '../helpers/tx-runner';
import { deriveSuite } from '../helpers/derived-suite';

const floor = JSON.parse(fs.readFileSync(path.join(__dirname, 'floor.json'), 'utf8'));
/** Suites of the tx.fhir.org mode this server is judged on, each with its own floor (floor.json "tx.fhir.org"). */
const TX_FHIR_ORG_SUITES: Record<string, number> = floor['tx.fhir.org'] ?? {};

const present = sharedDataPresent('tx-ecosystem') && fs.existsSync(RUNNER);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the HL7 conformance test: ${SUITE} or ${RUNNER} is missing`);
}

function report(label: string, r: SuiteResult): void {
  const failed = failures(r);
  // eslint-disable-next-line no-console
  console.log(`HL7 tx-ecosystem ${label}: ${r.passed} passed, ${r.failed} failed${failed.length ? '\n' + failed.join('\n') : ''}`);
}

(present ? describe : describe.skip)('HL7 terminology-ecosystem suite (general mode, and tx.fhir.org-mode suites)', () => {
  jest.setTimeout(30 * 60 * 1000);
  let server: Awaited<ReturnType<typeof startTestServer>>;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it(`passes at least the recorded floor in general mode (${floor.general})`, async () => {
    const r = await runSuite(server.fhirBase, ['--modes', 'general']);
    report('general mode', r);
    expect(r.passed).toBeGreaterThanOrEqual(floor.general);
  });

  // the Java runner loads each suite's setup into a client cache when the server offers
  // $cache-control, and names it with X-Cache-Id instead of sending the resources every time
  it(`passes the same floor in general mode through a client cache ($cache-control, X-Cache-Id)`, async () => {
    const r = await runSuite(server.fhirBase, ['--modes', 'general', '--cache-control']);
    report('general mode, through a client cache', r);
    expect(r.out).toMatch(/setup loaded into server cache/);
    expect(r.passed).toBeGreaterThanOrEqual(floor.general);
  });

  // the suite's rules on requests it does not send (derived-suite.ts): the same coded value in
  // another form, the value set inline or its version written the other way, the display language
  // by header, the parameters in another order. Every derived case must pass: a failure is a place
  // where the answer depends on how a client phrased the same question. Through a client cache,
  // which sends each suite's setup once rather than with every one of the many cases.
  it('gives every case derived from the suite the answer its rule gives', async () => {
    const derived = deriveSuite();
    try {
      const made = derived.total('general');
      const r = await runSuite(server.fhirBase, ['--modes', 'general', '--cache-control', '--only-list', derived.onlyList('general')], derived.dir);
      report(`derived cases ${JSON.stringify(derived.counts.general)}`, r);
      expect(made).toBeGreaterThan(1000);
      expect(failures(r)).toEqual([]);
      expect(r.passed).toBe(made);
    } finally {
      derived.cleanup();
    }
  });

  it.each(Object.entries(TX_FHIR_ORG_SUITES))('passes at least the recorded floor of the %s suite (%d)', async (suite, min) => {
    const r = await runSuite(server.fhirBase, ['--modes', 'tx.fhir.org', '--suite', suite]);
    report(`${suite} (tx.fhir.org mode)`, r);
    expect(r.passed).toBeGreaterThanOrEqual(min);
  });
});
