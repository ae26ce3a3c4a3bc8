import type { Severity, TxIssue } from '../../terminology/issues';
import type { AdditionalPurpose } from '../extensions';
import type { Strength } from '../nim-model';

/**
 * What record and submission validation find. Every finding has a stable `type` (what vendors
 * count and act on; also the OperationOutcome message id), a FHIR issue code and, for
 * terminology findings, a tx-issue-type code. Texts never quote a value from the data except a
 * code that was found in a code system: a cell may hold a personal identity number or a name,
 * and what the server answers (or logs) must never carry it.
 */

export type IssueType =
  // structure and datatypes
  | 'required-missing'
  | 'too-many'
  | 'invalid-value'
  | 'unknown-attribute'
  | 'malformed-row'
  // terminology bindings
  | 'unknown-code'
  | 'not-in-value-set'
  | 'not-in-context-value-set'
  | 'ambiguous-code'
  | 'inactive-code'
  | 'no-code'
  // which release judges the data
  | 'no-release'
  | 'nim-not-in-release'
  // notes: about what could not be checked rather than about the data
  | 'not-checked'
  | 'binding-not-in-force'
  | 'not-reported'
  | 'no-event-date'
  | 'release-used';

/** Types that describe the check rather than the data; a submission report counts them once per kind, not per row. */
export const NOTE_TYPES: ReadonlySet<IssueType> = new Set<IssueType>(['not-checked', 'binding-not-in-force', 'not-reported', 'no-event-date', 'release-used']);

export interface ValidationIssue extends TxIssue {
  type: IssueType;
  /** FHIRPath-like element, e.g. Insats.typ or Myndighetsbeslut.lagrum[1] */
  element?: string;
  /** the release that judged the value */
  release?: string;
  /** the bound value set (url|version) a terminology finding is about */
  valueSet?: string;
  /** the submission file's column (1-based) the value came from */
  column?: number;
}

/** The FHIR issue code and tx-issue-type code of each type. */
const SHAPE: Record<IssueType, { code: string; txType?: string }> = {
  'required-missing': { code: 'required', txType: 'invalid-data' },
  'too-many': { code: 'structure', txType: 'invalid-data' },
  'invalid-value': { code: 'value', txType: 'invalid-data' },
  'unknown-attribute': { code: 'structure', txType: 'invalid-data' },
  'malformed-row': { code: 'structure', txType: 'invalid-data' },
  'unknown-code': { code: 'code-invalid', txType: 'invalid-code' },
  'not-in-value-set': { code: 'code-invalid', txType: 'not-in-vs' },
  'not-in-context-value-set': { code: 'code-invalid', txType: 'not-in-vs' },
  'ambiguous-code': { code: 'code-invalid', txType: 'cannot-infer' },
  'inactive-code': { code: 'business-rule', txType: 'code-comment' },
  'no-code': { code: 'code-invalid', txType: 'not-in-vs' },
  'no-release': { code: 'not-found', txType: 'not-found' },
  'nim-not-in-release': { code: 'not-found', txType: 'not-found' },
  'not-checked': { code: 'informational', txType: 'not-found' },
  'binding-not-in-force': { code: 'informational', txType: 'process-note' },
  'not-reported': { code: 'incomplete', txType: 'invalid-data' },
  'no-event-date': { code: 'informational', txType: 'process-note' },
  'release-used': { code: 'informational', txType: 'process-note' },
};

export function issue(type: IssueType, severity: Severity, text: string, where: { element?: string; release?: string; valueSet?: string } = {}): ValidationIssue {
  const shape = SHAPE[type];
  const out: ValidationIssue = { type, severity, code: shape.code, txType: shape.txType, text, messageId: type };
  if (where.element) {
    out.element = where.element;
    out.expression = [where.element];
  }
  if (where.release) out.release = where.release;
  if (where.valueSet) out.valueSet = where.valueSet;
  return out;
}

/**
 * How much a value outside a binding matters: required (and R5 maximum) bindings make it an
 * error, extensible a warning, preferred, example and the other R5 purposes information.
 */
export function severityOf(strength: Strength | AdditionalPurpose): Severity {
  if (strength === 'required' || strength === 'maximum') return 'error';
  if (strength === 'extensible') return 'warning';
  return 'information';
}
