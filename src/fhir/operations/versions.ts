import type { OperationDefinition } from '../operation';
import { FHIR_VERSION } from '../../version';

/** $versions: the FHIR versions this server speaks (one: R4). */
export const versionsOperation: OperationDefinition = {
  name: 'versions',
  definition: 'http://hl7.org/fhir/OperationDefinition/CapabilityStatement-versions',
  resourceTypes: [],
  system: true,
  type: false,
  instance: false,
  idempotent: true,
  parameters: [],
  handle() {
    return {
      resourceType: 'Parameters',
      parameter: [
        { name: 'version', valueCode: FHIR_VERSION.split('.').slice(0, 2).join('.') },
        { name: 'default', valueCode: FHIR_VERSION.split('.').slice(0, 2).join('.') },
      ],
    };
  },
};
