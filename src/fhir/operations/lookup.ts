import type { OperationDefinition } from '../operation';
import { SHARED_PARAMETERS, engineAnswer } from './common';

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
    { name: 'property', type: 'code', max: '*' },
    ...SHARED_PARAMETERS,
  ],
  async handle(ctx) {
    return engineAnswer(ctx, 'lookup', 'CodeSystem', true);
  },
};
