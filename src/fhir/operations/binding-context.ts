import type { ParametersParameter } from 'fhir/r4';
import type { OperationContext } from '../operation';
import type { OperationRequest } from '../../terminology/engine';
import { TerminologyError } from '../../terminology/issues';
import { operationRequest } from './common';

/**
 * A $expand or $validate-code whose value set is named by `context` (where it is bound: a NIM
 * attribute) becomes, for the engine, a call naming that value set by url and the version the
 * release in force on the day binds — the day of `date`, else today. `context` stays among the
 * parameters, so an expansion records it with the others that controlled it.
 */

function refused(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text, expression: ['context'] }, 400);
}

const named = (entries: ParametersParameter[], name: string) => entries.some((e) => e.name === name);

/** The day `date` names (its first ten characters), else today (UTC, as releases are dated). */
function dayOf(entries: ParametersParameter[]): string {
  const date = entries.find((e) => e.name === 'date');
  if (!date) return new Date().toISOString().slice(0, 10);
  const text = date.valueDateTime ?? date.valueDate ?? date.valueString ?? '';
  const day = /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?:T|$)/.exec(text)?.[1];
  if (!day) throw refused("With 'context', 'date' names the day whose release in force decides the binding: a full date (YYYY-MM-DD) or a dateTime");
  return day;
}

export function contextRequest(ctx: OperationContext): OperationRequest {
  const request = operationRequest(ctx);
  const entries = ctx.input.entries;
  const context = entries.find((e) => e.name === 'context');
  if (!context || !ctx.bindingAt) return request;
  const uri = context.valueUri ?? context.valueString;
  if (typeof uri !== 'string' || !uri) throw refused("The parameter 'context' must be a URI: [StructureDefinition URL]#[attribute]");
  if (ctx.id || named(entries, 'url') || named(entries, 'valueSet')) {
    throw refused("Name the value set once: by 'context' (where it is bound), or by 'url', 'valueSet' or the instance");
  }
  if (named(entries, 'valueSetVersion')) throw refused("With 'context', the release in force decides the value set's version: leave out 'valueSetVersion' (or name the value set by 'url')");
  const bound = ctx.bindingAt(uri, dayOf(entries));
  const valueSet: ParametersParameter[] = [{ name: 'url', valueUri: bound.url }];
  if (bound.version) valueSet.push({ name: 'valueSetVersion', valueString: bound.version });
  return { ...request, parameters: [...request.parameters, ...valueSet] };
}
