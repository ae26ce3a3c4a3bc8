import { TerminologyError } from '../terminology/issues';

/**
 * A search's `_count` or `_offset`: a non-negative number of at most nine digits. A larger one is
 * no page of anything, and one past 2^53 reached the store as a float (a 500).
 */
export function pagingNumber(name: string, value: string): number {
  if (!/^\d{1,9}$/.test(value)) {
    throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: `${name} must be a non-negative integer below 1000000000, not '${value.slice(0, 40)}'` }, 400);
  }
  return Number(value);
}
