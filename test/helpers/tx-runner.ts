import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DATA } from './server';

/** The HL7 runner and the suite it runs (both beside the project in ../shared). */
export const RUNNER = path.resolve(SHARED_DATA, '../tools/tx-runner/run.mjs');
export const SUITE = path.join(SHARED_DATA, 'tx-ecosystem');
/**
 * The reference server's own message texts, by response file. With it the runner holds each message
 * the expected files leave open ($external$) to tx.fhir.org's exact wording, not to a few fragments.
 */
const EXTERNALS = path.join(SUITE, 'messages-tx.fhir.org.json');

export interface SuiteResult {
  passed: number;
  failed: number;
  out: string;
}

/**
 * Runs the HL7 runner against a server with the given arguments; resolves with its final counts.
 * `tests` is the suite's folder (another one holds cases derived from it, derived-suite.ts).
 */
export function runTxSuite(base: string, args: string[], tests = SUITE): Promise<SuiteResult> {
  return new Promise((resolve, reject) => {
    const messages = tests === SUITE ? EXTERNALS : path.join(tests, path.basename(EXTERNALS));
    const externals = fs.existsSync(messages) ? ['--externals', messages] : [];
    const child = spawn(process.execPath, [RUNNER, '--server', base, '--tests', tests, ...externals, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.stderr.on('data', (d) => (text += d));
    child.on('error', reject);
    child.on('close', () => {
      const m = /(\d+) passed, (\d+) failed\s*$/.exec(text.trim());
      if (!m) reject(new Error(`The runner did not report a result (${args.join(' ')}):\n${text.slice(-2000)}`));
      else resolve({ passed: Number(m[1]), failed: Number(m[2]), out: text });
    });
  });
}

/** The failing tests of a run, one line each, for the test log. */
export function failures(r: SuiteResult): string[] {
  return r.out.split('\n').filter((l) => l.startsWith('FAIL '));
}
