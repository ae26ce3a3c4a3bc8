import type { OperationDefinition } from '../operation';
import { SHARED_PARAMETERS, engineAnswer } from './common';

/** ConceptMap/$translate, forward and reverse; R4 and R5 parameter names are both accepted. */
export const translateOperation: OperationDefinition = {
  name: 'translate',
  definition: 'http://hl7.org/fhir/OperationDefinition/ConceptMap-translate',
  resourceTypes: ['ConceptMap'],
  type: true,
  instance: true,
  idempotent: true,
  parameters: [
    { name: 'url', type: 'uri' },
    { name: 'conceptMap', type: 'ConceptMap' },
    { name: 'conceptMapVersion', type: 'string' },
    { name: 'code', type: 'code' },
    { name: 'system', type: 'uri' },
    { name: 'version', type: 'string' },
    { name: 'source', type: 'uri' },
    { name: 'coding', type: 'Coding' },
    { name: 'codeableConcept', type: 'CodeableConcept' },
    { name: 'target', type: 'uri' },
    { name: 'targetsystem', type: 'uri' },
    { name: 'reverse', type: 'boolean' },
    { name: 'sourceCode', type: 'code' },
    { name: 'sourceSystem', type: 'uri' },
    { name: 'sourceCoding', type: 'Coding' },
    { name: 'targetCode', type: 'code' },
    { name: 'targetCoding', type: 'Coding' },
    { name: 'targetSystem', type: 'uri' },
    { name: 'dependency', max: '*' },
    ...SHARED_PARAMETERS,
  ],
  async handle(ctx) {
    return engineAnswer(ctx, 'translate', 'ConceptMap', true);
  },
};
