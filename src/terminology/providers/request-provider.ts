import type { CodeSystem } from 'fhir/r4';
import type { CodeSystemProvider } from './provider';
import { FhirCodeSystemProvider } from './fhir-codesystem';
import { providerKindFor } from './registry';

/**
 * A provider for a code system sent with a request (tx-resource), held in memory: its kind's own
 * when the kind has one (a SNOMED CT edition, a grammar), else the FHIR CodeSystem's concepts.
 * The kinds register themselves when `./kinds` is imported (the engine does).
 */
export function requestCodeSystemProvider(cs: CodeSystem, supplements: CodeSystem[]): CodeSystemProvider {
  const kind = providerKindFor(cs);
  return kind?.inMemory ? kind.inMemory(cs, supplements) : new FhirCodeSystemProvider(cs, supplements);
}
