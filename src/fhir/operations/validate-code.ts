import type { OperationDefinition } from '../operation';
import type { OperationParameterDefinition } from '../parameters';
import { SHARED_PARAMETERS, engineAnswer } from './common';
import { contextRequest } from './binding-context';

const common: OperationParameterDefinition[] = [
  { name: 'code', type: 'code' },
  { name: 'display', type: 'string' },
  { name: 'coding', type: 'Coding' },
  { name: 'codeableConcept', type: 'CodeableConcept' },
  { name: 'abstract', type: 'boolean' },
  { name: 'activeOnly', type: 'boolean' },
  { name: 'lenient-display-validation', type: 'boolean' },
  { name: 'valueset-membership-only', type: 'boolean' },
  // ALL_CHECKS | CHECK_MEMBERSHIP_ONLY | NO_MEMBERSHIP_CHECK (the FHIR validator's ValueSetMode)
  { name: 'valueSetMode', type: 'code' },
  // the same, by the other name the tx-ecosystem IG gives it ("mode/valueSetMode")
  { name: 'mode', type: 'code' },
  // the definitions as they were on a day (context.ts)
  { name: 'date', type: 'dateTime' },
  ...SHARED_PARAMETERS,
];

/** ValueSet/$validate-code: is the code in the value set? */
export const valueSetValidateCodeOperation: OperationDefinition = {
  name: 'validate-code',
  definition: 'http://hl7.org/fhir/OperationDefinition/ValueSet-validate-code',
  resourceTypes: ['ValueSet'],
  type: true,
  instance: true,
  idempotent: true,
  parameters: [
    { name: 'url', type: 'uri' },
    { name: 'valueSet', type: 'ValueSet' },
    { name: 'valueSetVersion', type: 'string' },
    // the value set by where it is bound: a NIM attribute (binding-context.ts)
    { name: 'context', type: 'uri' },
    { name: 'system', type: 'uri' },
    { name: 'systemVersion', type: 'string' },
    // the STU3 name of systemVersion (engine.rawCodedValue)
    { name: 'version', type: 'string' },
    { name: 'inferSystem', type: 'boolean' },
    ...common,
  ],
  async handle(ctx) {
    return engineAnswer(ctx, 'validateValueSetCode', 'ValueSet', true, contextRequest(ctx));
  },
};

/** CodeSystem/$validate-code: is the code defined by the code system? */
export const codeSystemValidateCodeOperation: OperationDefinition = {
  name: 'validate-code',
  definition: 'http://hl7.org/fhir/OperationDefinition/CodeSystem-validate-code',
  resourceTypes: ['CodeSystem'],
  type: true,
  instance: true,
  idempotent: true,
  parameters: [{ name: 'url', type: 'uri' }, { name: 'codeSystem', type: 'CodeSystem' }, { name: 'version', type: 'string' }, ...common],
  async handle(ctx) {
    return engineAnswer(ctx, 'validateCodeSystemCode', 'CodeSystem', true);
  },
};
