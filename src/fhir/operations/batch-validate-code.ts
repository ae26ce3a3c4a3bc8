import type { OperationDefinition } from '../operation';
import { SHARED_PARAMETERS, engineAnswer } from './common';
import { batchContextRequest, withRefusals } from './binding-context';

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
    // the value set by where it is bound: a NIM attribute (binding-context.ts)
    { name: 'context', type: 'uri' },
    { name: 'validation', type: 'Parameters', max: '*' },
    ...SHARED_PARAMETERS,
  ],
  async handle(ctx) {
    const { request, refusals } = batchContextRequest(ctx);
    const answer = await engineAnswer(ctx, 'batchValidate', 'ValueSet', true, request);
    if (refusals.size === 0) return answer;
    return { resourceType: 'Parameters', parameter: withRefusals(JSON.parse(answer.text).parameter ?? [], refusals) };
  },
};
