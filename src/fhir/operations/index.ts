import type { OperationDefinition } from '../operation';
import { expandOperation } from './expand';
import { codeSystemValidateCodeOperation, valueSetValidateCodeOperation } from './validate-code';
import { lookupOperation } from './lookup';
import { subsumesOperation } from './subsumes';
import { translateOperation } from './translate';
import { batchValidateCodeOperation } from './batch-validate-code';
import { versionsOperation } from './versions';
import { compareOperation } from './compare';
import { relatedOperation } from './related';
import { cacheControlOperation } from './cache-control';

/** Every operation the server offers; the CapabilityStatement is built from this list. */
export const OPERATIONS: OperationDefinition[] = [
  expandOperation,
  valueSetValidateCodeOperation,
  codeSystemValidateCodeOperation,
  lookupOperation,
  subsumesOperation,
  translateOperation,
  batchValidateCodeOperation,
  versionsOperation,
  compareOperation,
  relatedOperation,
  cacheControlOperation,
];
