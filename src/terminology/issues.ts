import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4';
import { formatMessage } from './messages';

export const TX_ISSUE_TYPE = 'http://hl7.org/fhir/tools/CodeSystem/tx-issue-type';
export const MESSAGE_ID_EXT = 'http://hl7.org/fhir/StructureDefinition/operationoutcome-message-id';

export type Severity = 'fatal' | 'error' | 'warning' | 'information';

/**
 * One finding of the engine: severity and FHIR issue type, the tx-issue-type code that lets
 * validators act on it, the text, where it is, and the message key it was made from.
 */
export interface TxIssue {
  severity: Severity;
  /** OperationOutcome.issue.code (FHIR IssueType). */
  code: string;
  /** http://hl7.org/fhir/tools/CodeSystem/tx-issue-type code. */
  txType?: string;
  text: string;
  /** FHIRPath-like location(s) in the request. */
  expression?: string[];
  messageId?: string;
}

/**
 * An error that ends an operation. It carries its issues and the HTTP status to answer with;
 * the FHIR layer renders it as an OperationOutcome.
 */
export class TerminologyError extends Error {
  constructor(
    readonly issues: TxIssue[],
    readonly httpStatus = 400,
    /** Code systems whose absence caused the error (x-caused-by-unknown-system). */
    readonly unknownSystems: string[] = [],
  ) {
    super(issues.map((i) => i.text).join('; '));
    this.name = 'TerminologyError';
  }

  static of(issue: TxIssue, httpStatus = 400, unknownSystems: string[] = []): TerminologyError {
    return new TerminologyError([issue], httpStatus, unknownSystems);
  }
}

export function issueToFhir(i: TxIssue, withMessageId = true): OperationOutcomeIssue {
  const out: OperationOutcomeIssue = {} as OperationOutcomeIssue;
  if (withMessageId && i.messageId) out.extension = [{ url: MESSAGE_ID_EXT, valueString: i.messageId }];
  out.severity = i.severity;
  out.code = i.code as OperationOutcomeIssue['code'];
  out.details = { text: i.text };
  if (i.txType) out.details.coding = [{ system: TX_ISSUE_TYPE, code: i.txType }];
  // R5 deprecates issue.location and the reference servers no longer send it: expression only
  if (i.expression && i.expression.length) out.expression = [...i.expression];
  return out;
}

export function outcomeOf(issues: TxIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: issues.map((i) => issueToFhir(i)) };
}

/** A list of issues that ignores exact repeats (same severity, location and text). */
export class IssueList {
  readonly items: TxIssue[] = [];

  add(issue: TxIssue): boolean {
    const dup = this.items.some(
      (i) => i.severity === issue.severity && i.text === issue.text && (i.expression ?? []).join() === (issue.expression ?? []).join(),
    );
    if (!dup) this.items.push(issue);
    return !dup;
  }

  hasErrors(): boolean {
    return this.items.some((i) => i.severity === 'error' || i.severity === 'fatal');
  }

  get length(): number {
    return this.items.length;
  }
}

/** An issue whose text comes from the message table. */
export function txIssue(
  severity: Severity,
  code: string,
  txType: string | undefined,
  messageId: string,
  args: readonly unknown[],
  expression?: string | string[],
): TxIssue {
  return {
    severity,
    code,
    txType,
    text: formatMessage(messageId, args),
    messageId,
    expression: expression === undefined || expression === '' ? undefined : Array.isArray(expression) ? expression : [expression],
  };
}
