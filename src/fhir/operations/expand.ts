import type { OperationDefinition } from '../operation';
import { instanceResource, operationRequest } from './common';

/** ValueSet/$expand (type and instance level). */
export const expandOperation: OperationDefinition = {
  name: 'expand',
  definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-expand',
  resourceTypes: ['ValueSet'],
  type: true,
  instance: true,
  idempotent: true,
  parameters: [
    { name: 'url', type: 'uri' },
    { name: 'valueSet', type: 'ValueSet' },
    { name: 'valueSetVersion', type: 'string' },
    { name: 'filter', type: 'string' },
    { name: 'count', type: 'integer' },
    { name: 'offset', type: 'integer' },
    { name: 'includeDesignations', type: 'boolean' },
    { name: 'designation', type: 'string', max: '*' },
    { name: 'includeDefinition', type: 'boolean' },
    { name: 'activeOnly', type: 'boolean' },
    { name: 'excludeNested', type: 'boolean' },
    { name: 'excludeNotForUI', type: 'boolean' },
    { name: 'excludePostCoordinated', type: 'boolean' },
    { name: 'displayLanguage', type: 'code' },
    { name: 'property', type: 'string', max: '*' },
    { name: 'system-version', type: 'canonical', max: '*' },
    { name: 'check-system-version', type: 'canonical', max: '*' },
    { name: 'force-system-version', type: 'canonical', max: '*' },
    { name: 'useSupplement', type: 'canonical', max: '*' },
    { name: 'tx-resource', type: 'Resource', max: '*' },
  ],
  async handle(ctx) {
    return await ctx.terminology.call('expand', operationRequest(ctx), instanceResource(ctx, 'ValueSet'));
  },
};
