import { TerminologyError } from '../terminology/issues';

/** The NIM workflows' errors, rendered by the HTTP layer as OperationOutcomes with these statuses. */

/** The resource is in a state that does not allow this (an adopted release, a NIM on påseende). */
export function conflict(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'conflict', txType: 'business-rule', text }, 409);
}

export function notFound(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'not-found', txType: 'not-found', text }, 404);
}

/** The request is well formed but breaks a rule (a version too low, a lead time too short). */
export function ruleBroken(text: string, expression?: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'business-rule', txType: 'business-rule', text, expression: expression ? [expression] : undefined }, 422);
}

/** A query string that cannot be read (a missing or malformed date, an unknown status): 400. */
export function badQuery(text: string, expression?: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, expression: expression ? [expression] : undefined }, 400);
}

/** The input is malformed. */
export function invalid(text: string, expression?: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, expression: expression ? [expression] : undefined }, 422);
}

/**
 * Free text (comments, override reasons) must not carry personal data: a Swedish personal or
 * coordination number (ÅÅMMDD-NNNN, ÅÅÅÅMMDDNNNN) is refused rather than stored.
 */
export function refusePersonalData(text: string, where: string): void {
  if (/(?<!\d)(\d{2})?\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01]|[6-9]\d)[-+]?\d{4}(?!\d)/.test(text)) {
    throw invalid(`${where} looks like it holds a personal identity number; personal data is never stored`, where);
  }
}
