import type { OperationOutcome, ParametersParameter } from 'fhir/r4';
import type { OperationContext } from '../operation';
import type { OperationRequest } from '../../terminology/engine';
import { TerminologyError, outcomeOf } from '../../terminology/issues';
import { BindingAt, contextInvalid as refused } from '../../nim/validation/binding-context';
import { operationRequest } from './common';

/**
 * A $expand, $validate-code or one validation of a $batch-validate-code whose value set is named
 * by `context` (where it is bound: a NIM attribute) becomes, for the engine, a call naming that
 * value set by url and the version the release in force on the day binds — the day of `date`,
 * else today — and, where the release holds the codes, by the code-system versions it drew them
 * from (`system-version`, echoed as applied): the release's codes, those records are judged by.
 * `context` stays among the parameters, so an expansion records it with the others
 * that controlled it.
 */

const named = (entries: ParametersParameter[], name: string) => entries.some((e) => e.name === name);
const VERSION_RULES = ['system-version', 'check-system-version', 'force-system-version'];

/** The day `date` names (its first ten characters), else today (UTC, as releases are dated). */
function dayOf(entries: ParametersParameter[]): string {
  const date = entries.find((e) => e.name === 'date');
  if (!date) return new Date().toISOString().slice(0, 10);
  const text = date.valueDateTime ?? date.valueDate ?? date.valueString ?? '';
  const day = /^(\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?:T|$)/.exec(text)?.[1];
  if (!day) throw refused("With 'context', 'date' names the day whose release in force decides the binding: a full date (YYYY-MM-DD) or a dateTime");
  return day;
}

/**
 * The parameters that name the value set a call's `context` is bound to (url, valueSetVersion),
 * or none when it has no context. `entries`: the call's parameters as the engine will merge them;
 * `instance`: the call is on a value set's instance.
 */
function resolve(entries: ParametersParameter[], bindingAt: BindingAt, instance: boolean): ParametersParameter[] {
  const context = entries.find((e) => e.name === 'context');
  const direction = entries.find((e) => e.name === 'contextDirection');
  if (direction) {
    // R4 $expand: the codes a client may send (incoming) or may receive (outgoing) where the
    // context is. A NIM attribute is bound once, for records sent and read alike: the same value set
    if (!context) throw refused("'contextDirection' qualifies 'context': give it with a context, or leave it out");
    const d = direction.valueCode ?? direction.valueString;
    if (d !== 'incoming' && d !== 'outgoing') throw refused(`'contextDirection' is incoming or outgoing${typeof d === 'string' && /^[\w-]{1,40}$/.test(d) ? `, not '${d}'` : ''}`);
  }
  if (!context) return [];
  const uri = context.valueUri ?? context.valueString;
  if (typeof uri !== 'string' || !uri) throw refused("The parameter 'context' must be a URI: [StructureDefinition URL]#[attribute]");
  if (instance || named(entries, 'url') || named(entries, 'valueSet')) {
    throw refused("Name the value set once: by 'context' (where it is bound), or by 'url', 'valueSet' or the instance");
  }
  if (named(entries, 'valueSetVersion')) throw refused("With 'context', the release in force decides the value set's version: leave out 'valueSetVersion' (or name the value set by 'url')");
  const bound = bindingAt(uri, dayOf(entries));
  const valueSet: ParametersParameter[] = [{ name: 'url', valueUri: bound.url }];
  if (bound.version) valueSet.push({ name: 'valueSetVersion', valueString: bound.version });
  // the code-system versions the release drew the codes from, unless the call names its own
  const ruled = new Set(entries.filter((e) => VERSION_RULES.includes(e.name)).map((e) => String(e.valueCanonical ?? e.valueUri ?? e.valueString ?? '').split('|')[0]));
  for (const c of bound.systemVersions) if (!ruled.has(c.split('|')[0])) valueSet.push({ name: 'system-version', valueCanonical: c });
  return valueSet;
}

/** $expand and $validate-code: the engine's request, its value set named when `context` named it. */
export function contextRequest(ctx: OperationContext): OperationRequest {
  const request = operationRequest(ctx);
  if (!ctx.bindingAt) return request;
  return { ...request, parameters: [...request.parameters, ...resolve(ctx.input.entries, ctx.bindingAt, !!ctx.id)] };
}

/**
 * $batch-validate-code: a `context` beside the validations names the value set of every one that
 * names none of its own; one inside a validation names that validation's. A validation whose
 * context is refused is left out of the engine's call and answered with the refusal, in its place.
 */
export function batchContextRequest(ctx: OperationContext): { request: OperationRequest; refusals: Map<number, OperationOutcome> } {
  const request = operationRequest(ctx);
  const refusals = new Map<number, OperationOutcome>();
  const bindingAt = ctx.bindingAt;
  if (!bindingAt) return { request, refusals };
  const shared = ctx.input.entries.filter((p) => p.name !== 'validation');
  // a context beside the validations is resolved once; refused, it refuses the whole call
  const sharedNames = resolve(shared, bindingAt, !!ctx.id);
  let index = 0;
  const parameters: ParametersParameter[] = [];
  for (const p of request.parameters) {
    if (p.name !== 'validation') {
      parameters.push(p);
      continue;
    }
    const i = index++;
    const own = ((p.resource as { parameter?: ParametersParameter[] } | undefined)?.parameter ?? []) as ParametersParameter[];
    const withOwn = (names: ParametersParameter[]) => parameters.push({ ...p, resource: { resourceType: 'Parameters', parameter: [...own, ...names] } as never });
    if (!named(own, 'context')) {
      // the shared context names this validation's value set unless it names its own
      if (sharedNames.length && !['url', 'valueSet', 'valueSetVersion'].some((n) => named(own, n))) withOwn(sharedNames);
      else parameters.push(p);
      continue;
    }
    // as the engine merges them: the validation's own parameters over the shared ones
    const ownNames = new Set(own.map((o) => o.name));
    const merged = [...shared.filter((s) => !ownNames.has(s.name)), ...own];
    try {
      withOwn(resolve(merged, bindingAt, !!ctx.id));
    } catch (e) {
      if (!(e instanceof TerminologyError)) throw e;
      refusals.set(i, outcomeOf(e.issues));
    }
  }
  return { request: { ...request, parameters }, refusals };
}

/** The engine's answer to the validations it was given, with the refused ones back in their places. */
export function withRefusals(answered: ParametersParameter[], refusals: Map<number, OperationOutcome>): ParametersParameter[] {
  const out: ParametersParameter[] = [];
  let next = 0;
  for (let i = 0; i < answered.length + refusals.size; i++) {
    const refusal = refusals.get(i);
    out.push(refusal ? { name: 'validation', resource: refusal } : answered[next++]);
  }
  return out;
}
