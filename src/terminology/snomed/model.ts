import type { CodeSystemFilter, CodeSystemProperty, Coding } from 'fhir/r4';
import { SCT, SCT_URI } from './sctid';

/**
 * How Snomed CT shows up in FHIR (the "Using SNOMED CT with FHIR" page): designation uses,
 * the properties and filters a Snomed CodeSystem declares.
 */

/** Carries the edition's name ("International Edition", "Swedish Edition") on the CodeSystem. */
export const SNOMED_EDITION_EXT = 'https://kodverk.se/fhir/StructureDefinition/snomed-edition-name';

const USE_DISPLAYS: Record<string, string> = {
  [SCT.fsn]: 'Fully specified name',
  [SCT.synonym]: 'Synonym',
  [SCT.definition]: 'Definition',
};

/** The designation use of a description type (FSN, synonym, text definition). */
export function designationUse(typeId: string): Coding {
  const display = USE_DISPLAYS[typeId];
  return display ? { system: SCT_URI, code: typeId, display } : { system: SCT_URI, code: typeId };
}

const CP = 'http://hl7.org/fhir/concept-properties#';

export const SNOMED_PROPERTIES: CodeSystemProperty[] = [
  { code: 'inactive', uri: `${CP}inactive`, type: 'boolean', description: 'Whether the concept is inactive' },
  { code: 'sufficientlyDefined', uri: `${SCT_URI}#sufficientlyDefined`, type: 'boolean', description: 'True if the concept is sufficiently defined (its definition status is not primitive)' },
  { code: 'moduleId', uri: `${SCT_URI}#moduleId`, type: 'code', description: 'The module the concept belongs to' },
  { code: 'effectiveTime', uri: `${SCT_URI}#effectiveTime`, type: 'dateTime', description: 'When the concept was last changed' },
  { code: 'normalForm', uri: `${SCT_URI}#normalForm`, type: 'string', description: 'The (necessary) normal form of the concept, with terms' },
  { code: 'normalFormTerse', uri: `${SCT_URI}#normalFormTerse`, type: 'string', description: 'The (necessary) normal form of the concept, without terms' },
  { code: 'parent', uri: `${CP}parent`, type: 'code', description: 'A direct parent (inferred is-a)' },
  { code: 'child', uri: `${CP}child`, type: 'code', description: 'A direct child (inferred is-a)' },
];

export const SNOMED_FILTERS: CodeSystemFilter[] = [
  { code: 'concept', operator: ['is-a', 'descendent-of', '=', 'in', 'generalizes', 'is-not-a'], value: 'A Snomed CT concept id (for in: a reference set id)' },
  { code: 'constraint', operator: ['='], value: 'An ECL expression constraint' },
  { code: 'expression', operator: ['='], value: 'An ECL expression constraint' },
  { code: 'expressions', operator: ['='], value: 'true or false: whether post-coordinated expressions are in the value set' },
  { code: 'inactive', operator: ['='], value: 'true or false' },
  { code: 'moduleId', operator: ['='], value: 'A module concept id' },
  { code: 'definitionStatus', operator: ['='], value: 'primitive or defined (or the definition status concept id)' },
];
