import type { OperationDefinition } from '../operation';
import { SHARED_PARAMETERS, engineAnswer } from './common';

/** ValueSet/$batch-validate-code: many $validate-code calls in one request. */
export const batchValidateCodeOperation: OperationDefinition = {
  name: 'batch-validate-code',
  definition: 'http://hl7.org/fhir/uv/tx-ecosystem/OperationDefinition/ValueSet-batch-validate-code',
  resourceTypes: ['ValueSet'],
  type: true,
  instance: true,
  idempotent: false,
  parameters: [
    { name: 'url', type: 'uri' },
    { name: 'valueSet', type: 'ValueSet' },
    { name: 'valueSetVersion', type: 'string' },
    { name: 'validation', type: 'Parameters', max: '*' },
    ...SHARED_PARAMETERS,
  ],
  async handle(ctx) {
    return engineAnswer(ctx, 'batchValidate', 'ValueSet', true);
  },
};
