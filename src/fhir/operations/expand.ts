import type { OperationDefinition } from '../operation';
import { SHARED_PARAMETERS, engineAnswer } from './common';
import { contextRequest } from './binding-context';

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
    // tx.fhir.org's: the most codes the client takes unpaged (it only lowers the server's limit)
    { name: 'limit', type: 'integer' },
    { name: 'includeDesignations', type: 'boolean' },
    { name: 'designation', type: 'string', max: '*' },
    { name: 'includeDefinition', type: 'boolean' },
    { name: 'activeOnly', type: 'boolean' },
    { name: 'excludeNested', type: 'boolean' },
    { name: 'excludeNotForUI', type: 'boolean' },
    { name: 'excludePostCoordinated', type: 'boolean' },
    // code systems (url or url|version) whose codes the expansion leaves out
    { name: 'exclude-system', type: 'canonical', max: '*' },
    { name: 'property', type: 'string', max: '*' },
    // the definitions as they were on a day (context.ts)
    { name: 'date', type: 'dateTime' },
    // the value set by where it is bound: a NIM attribute (binding-context.ts)
    { name: 'context', type: 'uri' },
    // incoming or outgoing: for a NIM attribute both name the one value set it is bound to
    { name: 'contextDirection', type: 'code' },
    ...SHARED_PARAMETERS,
  ],
  async handle(ctx) {
    return engineAnswer(ctx, 'expand', 'ValueSet', false, contextRequest(ctx));
  },
};
