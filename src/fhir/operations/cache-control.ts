import type { Parameters, ParametersParameter } from 'fhir/r4';
import type { OperationContext, OperationDefinition } from '../operation';
import { TerminologyError } from '../../terminology/issues';
import type { ClientCacheStatus } from '../../terminology/client-caches';

/** The header that names a client cache on the calls that use it (the tools IG's protocol). */
export const CACHE_ID_HEADER = 'x-cache-id';

const MODES = ['start', 'end', 'check'];

function valueOf(ctx: OperationContext, name: string): ParametersParameter | undefined {
  return ctx.input.entries.find((e) => e.name === name);
}

function cacheIdOf(ctx: OperationContext, mode: string): string {
  const id = ctx.req.get(CACHE_ID_HEADER)?.trim();
  if (!id) {
    throw TerminologyError.of({ severity: 'error', code: 'required', txType: 'invalid-data', text: `mode=${mode} needs the X-Cache-Id header: the id mode=start returned` }, 400);
  }
  return id;
}

function statusParameters(s: ClientCacheStatus, withStatistics: boolean): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'cache-id', valueId: s.id },
    { name: 'sealed', valueBoolean: s.sealed },
  ];
  if (withStatistics) {
    parameter.push(
      { name: 'resources', valueInteger: s.resources },
      { name: 'bytes', valueInteger: s.bytes },
      { name: 'created', valueInstant: s.created.toISOString() },
      { name: 'expires', valueInstant: s.expires.toISOString() },
    );
  }
  return { resourceType: 'Parameters', parameter };
}

/**
 * $cache-control (HL7 tools IG): start a client cache (its resources sent with `tx-resource`;
 * sealed unless `sealed=false`), end it, or check it. The calls that use it name it with the
 * X-Cache-Id header (router.ts).
 */
export const cacheControlOperation: OperationDefinition = {
  name: 'cache-control',
  definition: 'http://hl7.org/fhir/tools/OperationDefinition/cache-control',
  resourceTypes: [],
  system: true,
  type: false,
  instance: false,
  idempotent: false,
  parameters: [
    { name: 'mode', type: 'code' },
    { name: 'sealed', type: 'boolean' },
    { name: 'tx-resource', type: 'Resource', max: '*' },
  ],
  handle(ctx) {
    const mode = valueOf(ctx, 'mode');
    const code = mode?.valueCode ?? mode?.valueString;
    if (code === undefined || !MODES.includes(code)) {
      throw TerminologyError.of(
        { severity: 'error', code: 'invalid', txType: 'invalid-data', text: `The parameter mode must be one of ${MODES.join(', ')}${code === undefined ? '' : `, not '${String(code).slice(0, 40)}'`}`, expression: ['mode'] },
        400,
      );
    }
    const caches = ctx.clientCaches;
    if (code === 'start') {
      const sealed = valueOf(ctx, 'sealed')?.valueBoolean ?? true;
      return statusParameters(caches.start(ctx.input.resources('tx-resource'), sealed), false);
    }
    if (code === 'end') {
      caches.end(cacheIdOf(ctx, code));
      return { resourceType: 'Parameters' } satisfies Parameters;
    }
    return statusParameters(caches.check(cacheIdOf(ctx, code)), true);
  },
};
