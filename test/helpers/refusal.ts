import { TerminologyError } from '../../src/terminology/issues';

/** The TerminologyError a call refuses with (fails the test when it does not refuse). */
export function refusal(fn: () => unknown): TerminologyError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TerminologyError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}
