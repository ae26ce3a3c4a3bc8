/**
 * The HL7 suite's rules on requests it does not send: cases derived from its own tests by rules of
 * the FHIR terminology operations (the same coded value as `code`, `coding` or CodeableConcept; a
 * value set by `url` or inline; the display language by parameter or header — derived-suite.ts),
 * judged by the HL7 runner with its own comparison. Every derived case must pass: a failure is a
 * place where the server's answer depends on how a client phrased the same question.
 */
import fs from 'node:fs';
import { startTestServer, sharedDataPresent } from '../helpers/server';
import { RUNNER, SUITE, failures, runTxSuite } from '../helpers/tx-runner';
import { DerivedSuite, deriveSuite } from '../helpers/derived-suite';

const present = sharedDataPresent('tx-ecosystem') && fs.existsSync(RUNNER);
if (!present) {
  // eslint-disable-next-line no-console
  console.warn(`Skipping the derived HL7 cases: ${SUITE} or ${RUNNER} is missing`);
}

(present ? describe : describe.skip)('cases derived from the HL7 suite (general mode)', () => {
  jest.setTimeout(10 * 60 * 1000);
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let derived: DerivedSuite;
  beforeAll(async () => {
    derived = deriveSuite();
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
    derived?.cleanup();
  });

  it('every derived case gets the answer its rule gives', async () => {
    const made = Object.values(derived.counts.general).reduce((a, b) => a + b, 0);
    const r = await runTxSuite(server.fhirBase, ['--modes', 'general', '--only-list', derived.onlyList('general')], derived.dir);
    // eslint-disable-next-line no-console
    console.log(`derived HL7 cases (${JSON.stringify(derived.counts.general)}): ${r.passed} passed, ${r.failed} failed${r.failed ? '\n' + failures(r).join('\n') : ''}`);
    expect(made).toBeGreaterThan(500);
    expect(failures(r)).toEqual([]);
    expect(r.passed).toBe(made);
  });
});
