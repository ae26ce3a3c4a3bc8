import type { OperationDefinition } from '../operation';
import { compareOperation } from './compare';

/** ValueSet/$related: the name tx.fhir.org first gave $compare; the same operation answers it. */
export const relatedOperation: OperationDefinition = {
  ...compareOperation,
  name: 'related',
  definition: 'http://hl7.org/fhir/uv/tx-ecosystem/OperationDefinition/ValueSet-related',
};
