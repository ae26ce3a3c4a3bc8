import type { OperationContext } from '../operation';
import type { OperationParameterDefinition } from '../parameters';
import type { OperationRequest } from '../../terminology/engine';
import { TerminologyError } from '../../terminology/issues';
import type { EngineMethod } from '../../terminology/service';
import { JsonText } from '../../http/fhir-answers';

/** The engine's view of a call: its parameters, inline resources and language. */
export function operationRequest(ctx: OperationContext): OperationRequest {
  const threshold = Number(ctx.req.get('x-too-costly-threshold'));
  return {
    parameters: ctx.input.entries,
    txResources: ctx.input.resources('tx-resource'),
    heldResources: ctx.heldResources,
    acceptLanguage: ctx.req.get('accept-language') ?? undefined,
    maxCodes: Number.isInteger(threshold) && threshold > 0 ? threshold : undefined,
    webViews: ctx.webViews,
  };
}

/** Reads the resource an instance-level call names, or fails with 404. */
export function instanceResource(ctx: OperationContext, resourceType: string): any {
  if (!ctx.id) return undefined;
  const stored = ctx.store.read(resourceType, ctx.id);
  if (!stored) {
    throw TerminologyError.of({ severity: 'error', code: 'not-found', txType: 'not-found', text: `${resourceType}/${ctx.id} not found` }, 404);
  }
  return stored.resource;
}

/**
 * Runs an engine call for an operation (on the instance the path names, if any) and answers with
 * its result as JSON text, serialised in the worker thread that made it; `parameters`: the result
 * is a list of parameters, answered as a Parameters resource.
 */
export async function engineAnswer(ctx: OperationContext, method: EngineMethod, instanceType: string, parameters: boolean, request = operationRequest(ctx)): Promise<JsonText> {
  const { json, tag } = await ctx.terminology.callJson(method, request, instanceResource(ctx, instanceType));
  // a parameter list's tag stands for its Parameters resource too (the wrapper is always the same)
  return new JsonText(parameters ? `{"resourceType":"Parameters","parameter":${json}}` : json, tag);
}

/** Parameters every terminology operation shares: version rules, supplements, inline resources. */
export const SHARED_PARAMETERS: OperationParameterDefinition[] = [
  { name: 'displayLanguage', type: 'code' },
  { name: 'system-version', type: 'canonical', max: '*' },
  { name: 'check-system-version', type: 'canonical', max: '*' },
  { name: 'force-system-version', type: 'canonical', max: '*' },
  { name: 'default-valueset-version', type: 'canonical', max: '*' },
  { name: 'check-valueset-version', type: 'canonical', max: '*' },
  { name: 'force-valueset-version', type: 'canonical', max: '*' },
  { name: 'useSupplement', type: 'canonical', max: '*' },
  { name: 'tx-resource', type: 'Resource', max: '*' },
];
