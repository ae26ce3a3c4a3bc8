/**
 * The message table: every text the engine puts in an OperationOutcome issue or a `message`
 * parameter is made here from a key and arguments. The keys and English wording are those of
 * the HL7 terminology ecosystem (FHIR validator message bundle), so that clients and the HL7
 * conformance suite recognise them; the key travels with the issue as its message-id.
 */
export const MESSAGES: Record<string, string> = {
  None_of_the_provided_codes_are_in_the_value_set_one: "The provided code {2} was not found in the value set '{1}'",
  None_of_the_provided_codes_are_in_the_value_set_other: "None of the provided codes [{2}] are in the value set '{1}'",
  Unknown_Code_in_Version: "Unknown code '{0}' in the CodeSystem '{1}' version '{2}'",
  Unknown_Code_in: "Unknown code '{0}' in the CodeSystem '{1}'",
  Unknown_Code_in_Version_SCT: "Unknown code '{0}' in the CodeSystem '{1}' version '{2}' ({3})",
  UNKNOWN_CODESYSTEM_VERSION: "A definition for CodeSystem '{0}' version '{1}' could not be found, so the code cannot be validated. Valid versions: {2}",
  UNKNOWN_CODESYSTEM_VERSION_NONE: "A definition for CodeSystem '{0}' version '{1}' could not be found, so the code cannot be validated. No versions of this code system are known",
  UNKNOWN_CODESYSTEM: "A definition for CodeSystem '{0}' could not be found, so the code cannot be validated",
  UNKNOWN_CODESYSTEM_EXP: "A definition for CodeSystem '{0}' could not be found, so the value set cannot be expanded",
  UNKNOWN_CODESYSTEM_VERSION_EXP: "A definition for CodeSystem '{0}' version '{1}' could not be found, so the value set cannot be expanded. Valid versions: {2}",
  UNKNOWN_CODESYSTEM_VERSION_EXP_NONE: "A definition for CodeSystem '{0}' version '{1}' could not be found, so the value set cannot be expanded. No versions of this code system are known",
  VALUESET_VALUE_MISMATCH: "The code system '{0}' version '{1}' in the ValueSet include is different to the one in the value ('{2}')",
  VALUESET_VALUE_MISMATCH_CHANGED: "The code system '{0}' version '{1}' resulting from the version '{2}' in the ValueSet include is different to the one in the value ('{3}')",
  VALUESET_VALUE_MISMATCH_DEFAULT: "The code system '{0}' version '{1}' for the versionless include in the ValueSet include is different to the one in the value ('{3}')",
  Unable_to_resolve_value_Set_: "A definition for the value Set '{0}' could not be found",
  Display_Name_for__should_be_one_of__instead_of_one: "Wrong Display Name '{4}' for {1}#{2}. Valid display is {3} (for the language(s) '{5}')",
  Display_Name_for__should_be_one_of__instead_of_other: "Wrong Display Name '{4}' for {1}#{2}. Valid display is one of {0} choices: {3} (for the language(s) '{5}')",
  Display_Name_WS_for__should_be_one_of__instead_of_one: "Wrong whitespace in Display Name '{4}' for {1}#{2}. Valid display is {3} (for the language(s) '{5}')",
  Display_Name_WS_for__should_be_one_of__instead_of_other: "Wrong whitespace in Display Name '{4}' for {1}#{2}. Valid display is one of {0} choices: {3} (for the language(s) '{5}')",
  Display_Name_Not_Fixed_use_Supplement_one: "The display name '{4}' is not a known display name for {1}#{2}. Known display is {3} (for the language(s) '{5}'). Use a supplement to define displays for user assigned codes",
  Display_Name_Not_Fixed_use_Supplement_other: "The display name '{4}' is not a known display name for {1}#{2}. Known displays are {3} (for the language(s) '{5}'). Use a supplement to define displays for user assigned codes",
  TX_GENERAL_CC_ERROR_MESSAGE: "No valid coding was found for the value set '{0}'",
  VALUESET_VERSION_CHECK: "The version '{1}' is not allowed for system '{0}': required to be '{2}' by a version-check parameter",
  INACTIVE_CONCEPT_FOUND: "The concept '{1}' has a status of {0} and its use should be reviewed",
  INACTIVE_CONCEPT_FOUND_ADD: "The concept '{1}' has a status of {0} and {2} and its use should be reviewed",
  DEPRECATED_CONCEPT_FOUND: "The concept '{1}' is deprecated and its use should be reviewed",
  VALUESET_SUPPLEMENT_MISSING_one: "Required supplement not found: {1}",
  VALUESET_SUPPLEMENT_MISSING_other: "Required supplements not found: {1}",
  VALUESET_TOO_COSTLY: "The value set '{0}' expansion has too many codes to produce ({1})",
  VALUESET_TOO_COSTLY_TIME: "The value set '{0}' {2} took too long to process (>{1}sec)",
  UNABLE_TO_HANDLE_SYSTEM_FILTER_WITH_NO_VALUE: "The system {0} filter with property = {1}, op = {2} has no value",
  NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_ERR: "Wrong Display Name '{0}' for {1}#{2}. There are no valid display names found for language(s) '{3}'. Default display is '{4}'",
  NO_VALID_DISPLAY_FOUND_NONE_FOR_LANG_OK: "There are no valid display names found for the code {1}#{2} for language(s) '{3}'. The display is '{0}' which is a valid display for the default language",
  NO_VALID_DISPLAY_FOUND_LANG_SOME_one: "'{5}' is the default display; no valid Display Names found for {1}#{2} in the language {4}",
  NO_VALID_DISPLAY_FOUND_LANG_SOME_other: "'{5}' is the default display; no valid Display Names found for {1}#{2} in the language {4}",
  NO_VALID_DISPLAY_FOUND_LANG_NONE_one: "'{5}' is the default display; the code system {1} has no Display Names for the language {4}",
  NO_VALID_DISPLAY_FOUND_LANG_NONE_other: "'{5}' is the default display; the code system {1} has no Display Names found for the language {4}",
  NO_VALID_DISPLAY_AT_ALL: "Cannot validate display '{0}' for {1}#{2} in language {3}: No displays are known",
  STATUS_CODE_WARNING_CODE: "The concept '{1}' is valid but is {0}",
  INVALID_ECL: "Invalid ECL expression: '{0}': ({1})",
  CONCEPT_DEPRECATED_IN_VALUESET: "The presence of the concept '{1}' in the system '{0}' in the value set {3} is marked with a status of {2} and its use should be reviewed",
  UNKNOWN_CODE_IN_FRAGMENT: "Unknown Code '{0}' in the CodeSystem '{1}' version '{2}' - note that the code system is labeled as a fragment, so the code may be valid in some other fragment",
  MSG_WITHDRAWN: "Reference to withdrawn {2} {0}",
  MSG_DEPRECATED: "Reference to deprecated {2} {0}",
  MSG_RETIRED: "Reference to retired {2} {0}",
  MSG_EXPERIMENTAL: "Reference to experimental {2} {0}",
  MSG_DRAFT: "Reference to draft {2} {0}",
  MSG_DRAFT_SRC_STATUS: "Reference to draft {2} {0} from {3} {4} {1}",
  VS_EXP_IMPORT_UNK_PINNED: "Unable to find included value set '{0}' version '{1}'",
  VS_EXP_IMPORT_UNK: "Unable to find included value set '{0}'",
  VS_EXP_IMPORT_CS_PINNED: "Cannot include value set '{0}' version '{1}' because it's actually a code system",
  VS_EXP_IMPORT_CS: "Cannot include value set '{0}' because it's actually a code system",
  VALUESET_CIRCULAR_REFERENCE: "Found a circularity pointing to {0} processing ValueSet with pathway {1}",
  Unable_to_resolve_system__value_set_has_multiple_matches: "The System URI could not be determined for the code '{0}' in the ValueSet '{1}': value set expansion has multiple matches: {2}",
  UNABLE_TO_INFER_CODESYSTEM: "The System URI could not be determined for the code '{0}' in the ValueSet '{1}'",
  Terminology_TX_System_ValueSet2: "The Coding references a value set, not a code system ('{0}')",
  Terminology_TX_System_Relative: "Coding.system must be an absolute reference, not a local reference",
  INVALID_DISPLAY_NAME: "Invalid displayLanguage: '{0}'",
  Coding_has_no_system__cannot_validate: "Coding has no system. A code with no system has no defined meaning, and it cannot be validated. A system should be provided",
  Coding_has_no_system_or_code__cannot_validate: "Coding has neither a system nor a code, so it cannot be validated. A system and a code should be provided",
  SCT_EXPRESSION_NOT_CHECKED_MRCM: 'The expression is grammatically correct and the concepts are valid, but the expression has not been checked against the SNOMED CT concept model (MRCM)',
  CODE_CASE_DIFFERENCE: "The code '{0}' differs from the correct code '{1}' by case. Although the code system '{2}' is case insensitive, implementers are strongly encouraged to use the correct case anyway",
  CODE_NOT_IN_NORMAL_FORM: "The code '{0}' is valid, but it is not the normal form for the code system '{2}'; the normal form is '{1}'",
  CODESYSTEM_NOT_ENUMERABLE: "The code system '{0}' cannot be expanded because its codes cannot be iterated or enumerated in any meaningful sense",
  CODESYSTEM_CS_NO_SUPPLEMENT: "CodeSystem {0} is a supplement, so can't be used as a value in Coding.system",
  ABSTRACT_CODE_NOT_ALLOWED: "Code '{0}#{1}' is abstract, and not allowed in this context",
  FILTER_NOT_UNDERSTOOD: "The filter \"{0} {1} {2}\" is not understood or supported",
  INACTIVE_DISPLAY_FOUND_one: "'{1}' is no longer considered a correct display for code '{2}' (status = {4}). The correct display is '{3}'",
  INACTIVE_DISPLAY_FOUND_other: "'{1}' is no longer considered a correct display for code '{2}' (status = {4}). The correct display is one of {3}",
  UNKNOWN_CODESYSTEM_CODING_NOT_CHECKED: "A definition for the code system '{0}' could not be found, so this coding was not checked. The CodeableConcept is still valid: another coding is in the value set",
  VS_EXP_FILTER_UNK: "ValueSet '{0}' Filter by property '{1}' and op '{2}' is not supported (yet?)",
  SUBSUMPTION_NO_SYSTEM: "No code system is provided for {0}, so subsumption cannot be tested",
  SUBSUMPTION_SYSTEM_MISMATCH: "Subsumption can only be tested between two codes in the same code system, but the code systems are '{0}' and '{1}'",
  VALUESET_UNCLOSED_FRAGMENT: 'This extension is based on a fragment of the code system {0}',
  COMPARE_SAME: 'The value sets {0} and {1} contain the same codes',
  COMPARE_SUBSET: 'The valueSet {0} is a sub-set of the valueSet {1}',
  COMPARE_SUPERSET: 'The valueSet {0} is a super-set of the valueSet {1}',
  COMPARE_OVERLAPPING: "Both value sets {0} and {1} contain the codes the other doesn't, but there is some overlap",
  COMPARE_DISJOINT: 'No shared codes between the value sets {0} and {1}',
  COMPARE_EMPTY: 'Both the value sets {0} and {1} are empty',
  COMPARE_INDETERMINATE: 'Unable to compare {0} and {1}: {2}',
  COMPARE_EXPANSION_FAILED: 'This expansion failed: {0}',
  COMPARE_UNCLOSED: 'The expansion of {0} is not closed (the code system has a grammar or only a fragment is known), so its codes cannot all be listed',
  COMPARE_NO_VALUE_SET: 'Must provide either a {0}ValueSet resource or a {0}Url parameter',
  // no counterpart in the FHIR validator's bundle: the ecosystem's requirements (CodeSystem.versionNeeded,
  // CodeSystem.compositional) say what must be reported, not in which words
  CODESYSTEM_VERSION_NEEDED: "The CodeSystem '{0}' requires a version (versionNeeded), but none was given for the code '{1}'",
  CODESYSTEM_GRAMMAR_UNKNOWN: 'the CodeSystem is compositional, but this server does not know its grammar, so an expression in it cannot be validated',
  Wrong_type_for_resource_expected: "Wrong type for resource. Expected {0} but found {1} ",
};

/** Formats a message: {n} placeholders replaced, surrounding whitespace trimmed. */
export function formatMessage(id: string, args: readonly unknown[]): string {
  const template = MESSAGES[id];
  if (template === undefined) return id;
  return substitute(template.trim(), args);
}

/**
 * Formats a message that has _one/_other forms. The count becomes argument {0}, so the
 * caller's arguments start at {1}. Plural templates are not trimmed (as in the ecosystem).
 */
export function formatPlural(count: number, id: string, args: readonly unknown[]): string {
  const key = MESSAGES[id + (count === 1 ? '_one' : '_other')] !== undefined ? id + (count === 1 ? '_one' : '_other') : id;
  const template = MESSAGES[key];
  if (template === undefined) return id;
  return substitute(template, [count, ...args]);
}

function substitute(template: string, args: readonly unknown[]): string {
  return template.replace(/\{(\d+)\}/g, (_m, n) => {
    const v = args[Number(n)];
    return v === undefined || v === null ? '' : String(v);
  });
}

/** "a", "a or b", "a, b and c" — how lists of versions are presented in messages. */
export function presentList(items: readonly string[], last = 'or'): string {
  if (items.length === 0) return '';
  if (items.length === 1) return items[0];
  if (items.length === 2) return `${items[0]} ${last} ${items[1]}`;
  return items.slice(0, -1).join(', ') + ` and ${items[items.length - 1]}`;
}
