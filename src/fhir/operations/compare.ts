import type { OperationDefinition } from '../operation';
import { SHARED_PARAMETERS, engineAnswer } from './common';

/**
 * ValueSet/$compare: how one value set relates to another (same, subset, superset, overlapping,
 * disjoint, empty, indeterminate), by definition where that decides it, else by expansion.
 */
export const compareOperation: OperationDefinition = {
  name: 'compare',
  definition: 'http://hl7.org/fhir/uv/tx-ecosystem/OperationDefinition/ValueSet-compare',
  resourceTypes: ['ValueSet'],
  type: true,
  instance: true,
  idempotent: true,
  parameters: [
    { name: 'thisUrl', type: 'uri' },
    { name: 'thisVersion', type: 'string' },
    { name: 'thisValueSet', type: 'ValueSet' },
    { name: 'otherUrl', type: 'uri' },
    { name: 'otherVersion', type: 'string' },
    { name: 'otherValueSet', type: 'ValueSet' },
    ...SHARED_PARAMETERS,
  ],
  async handle(ctx) {
    return engineAnswer(ctx, 'compare', 'ValueSet', true);
  },
};
