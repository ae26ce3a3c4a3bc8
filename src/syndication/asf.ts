/**
 * The Terminology Syndication Feed (AEHRC's IG `aehrc.syndication`, the NCTS Atom Syndication
 * Format profile 1.0.0): namespaces, the category scheme and its terms, and the few names Kodverk
 * adds in its own namespace.
 */

export const ATOM_NS = 'http://www.w3.org/2005/Atom';
export const NCTS_NS = 'http://ns.electronichealth.net.au/ncts/syndication/asf/extensions/1.0.0';
export const SCT_NS = 'http://snomed.info/syndication/sct-extension/1.0.0';
export const ONTO_NS = 'http://ontoserver.csiro.au/syndication/';
/** Kodverk's own entry elements (supersedes, dependencies): consumers that do not know them ignore them. */
export const KODVERK_NS = 'https://kodverk.se/ns/syndication/1.0';

/** The ASF profile a feed declares (ncts:atomSyndicationFormatProfile). */
export const ASF_PROFILE = 'http://ns.electronichealth.net.au/ncts/syndication/asf/profile/1.0.0';
/** The NCTS ASF category scheme (the IG's SyndicationContentType code system). */
export const ASF_SCHEME = 'http://ns.electronichealth.net.au/ncts/syndication/asf/scheme/1.0.0';
/** Kodverk's scheme for a NIM release's lifecycle state (utkast is never published). */
export const NIM_STATUS_SCHEME = 'https://kodverk.se/ns/syndication/nim-release-status';

/** The terms of the NCTS ASF scheme and their labels. */
export const ASF_TERMS: Record<string, string> = {
  SCT_RF2_ALL: 'SNOMED CT RF2 All',
  SCT_RF2_FULL: 'SNOMED CT RF2 Full',
  SCT_RF2_SNAPSHOT: 'SNOMED CT RF2 Snapshot',
  SCT_RF2_DELTA: 'SNOMED CT RF2 Delta',
  FHIR_CodeSystem: 'FHIR CodeSystem',
  FHIR_ValueSet: 'FHIR ValueSet',
  FHIR_ConceptMap: 'FHIR ConceptMap',
  FHIR_StructureDefinition: 'FHIR StructureDefinition',
  FHIR_Bundle: 'FHIR Bundle',
  FHIR_Package: 'FHIR Package',
  LOINC: 'LOINC',
  BINARY_RETRACT: 'Binary Index Retract',
  LOINC_RETRACT: 'LOINC Retract',
  FHIR_CodeSystem_RETRACT: 'FHIR CodeSystem Retract',
  FHIR_ValueSet_RETRACT: 'FHIR ValueSet Retract',
  FHIR_ConceptMap_RETRACT: 'FHIR ConceptMap Retract',
  FHIR_StructureDefinition_RETRACT: 'FHIR StructureDefinition Retract',
};

export const isRetraction = (term: string): boolean => term.endsWith('_RETRACT');
export const isFhirTerm = (term: string): boolean => term.startsWith('FHIR_');

/** The retraction term for a FHIR resource type (a deleted code system, value set or concept map). */
export function retractionTerm(resourceType: string): string | undefined {
  const term = `FHIR_${resourceType}_RETRACT`;
  return term in ASF_TERMS ? term : undefined;
}

export const MEDIA_TYPES = {
  tgz: 'application/gzip',
  zip: 'application/zip',
  fhirJson: 'application/fhir+json',
  atom: 'application/atom+xml',
} as const;
