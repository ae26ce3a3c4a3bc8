import type { Coding } from 'fhir/r4';
import type { Db } from '../store/database';
import { AuditAction, AuditEntity, AuditTrail } from '../security/audit-trail';
import { OPERATOR } from '../security/identity';
import { TerminologyError } from '../terminology/issues';
import { ImportError } from '../importers/importer';

/** What a CLI command changes, for the audit trail. */
export interface OperatorAction<T> {
  subtype: Coding;
  action: AuditAction;
  /** the entity, from the command's result (or from its arguments when it failed) */
  entity?: (result: T | undefined) => AuditEntity | undefined;
}

/**
 * Runs a CLI command that writes to the store and records it in the audit trail as an operator
 * action (the CLI works on the store file directly, outside any identity or role): outcome 0 when
 * it succeeded, 4 when it was refused (bad input), 8 when it failed otherwise. The error is
 * rethrown; its text is not recorded (it may quote the input).
 */
export async function asOperator<T>(db: Db, what: OperatorAction<T>, fn: () => T | Promise<T>): Promise<T> {
  const trail = new AuditTrail(db);
  let result: T | undefined;
  try {
    result = await fn();
  } catch (e) {
    const refused = e instanceof TerminologyError || e instanceof ImportError;
    trail.record({ via: 'operator', subtype: what.subtype, action: what.action, outcome: refused ? '4' : '8', outcomeDesc: refused ? 'refused' : 'failed', agent: OPERATOR, entity: what.entity?.(undefined) });
    throw e;
  }
  trail.record({ via: 'operator', subtype: what.subtype, action: what.action, outcome: '0', agent: OPERATOR, entity: what.entity?.(result) });
  return result;
}
