import type { OperationDefinition } from '../operation';
import { SHARED_PARAMETERS, engineAnswer } from './common';

/** CodeSystem/$subsumes: how two codes relate in the is-a hierarchy. */
export const subsumesOperation: OperationDefinition = {
  name: 'subsumes',
  definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-subsumes',
  resourceTypes: ['CodeSystem'],
  type: true,
  instance: true,
  idempotent: true,
  parameters: [
    { name: 'codeA', type: 'code' },
    { name: 'codeB', type: 'code' },
    { name: 'system', type: 'uri' },
    { name: 'version', type: 'string' },
    { name: 'codingA', type: 'Coding' },
    { name: 'codingB', type: 'Coding' },
    ...SHARED_PARAMETERS,
  ],
  async handle(ctx) {
    return engineAnswer(ctx, 'subsumes', 'CodeSystem', true);
  },
};
