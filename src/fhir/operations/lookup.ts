import type { OperationDefinition } from '../operation';
import { instanceResource, operationRequest, parametersOf } from './common';

/** CodeSystem/$lookup: what a code means. */
export const lookupOperation: OperationDefinition = {
  name: 'lookup',
  definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-lookup',
  resourceTypes: ['CodeSystem'],
  type: true,
  instance: true,
  idempotent: true,
  parameters: [
    { name: 'code', type: 'code' },
    { name: 'system', type: 'uri' },
    { name: 'version', type: 'string' },
    { name: 'coding', type: 'Coding' },
    { name: 'date', type: 'dateTime' },
    { name: 'displayLanguage', type: 'code' },
    { name: 'property', type: 'code', max: '*' },
    { name: 'useSupplement', type: 'canonical', max: '*' },
    { name: 'tx-resource', type: 'Resource', max: '*' },
  ],
  async handle(ctx) {
    return parametersOf(await ctx.terminology.call('lookup', operationRequest(ctx), instanceResource(ctx, 'CodeSystem')));
  },
};
