import type { CodeSystem, Coding, Extension, ParametersParameter, ValueSetComposeInclude } from 'fhir/r4';
import type { TxParameters } from '../params';
import type { Db } from '../../store/database';

/** A designation of a concept: a term in a language, for a use. */
export interface Designation {
  language?: string;
  use?: Coding;
  value: string;
  extension?: Extension[];
  /** Where it came from: the code system itself, a supplement, or a value set. */
  origin?: 'codesystem' | 'supplement' | 'valueset';
  /** the supplement (url|version) it came from */
  source?: string;
  /** a display in its language (a supplement's concept.display), not just a designation */
  isDisplay?: boolean;
  /** why the term is no longer current: 'inactive' (a Snomed CT description), 'withdrawn', 'deprecated'; absent when current */
  status?: string;
  /**
   * Language tags with a region (dialects) in which this is the preferred term, when the code
   * system says so apart from the term's own language (Snomed CT language reference sets: the
   * US English refset makes a term preferred for en-US, the GB English one for en-GB; and every
   * refset by its private-use tag, en-x-sctlang-90000000-00005090-07).
   */
  preferredFor?: string[];
}

/** A concept property value, as in CodeSystem.concept.property (value[x] kept as in FHIR). */
export interface PropertyValue {
  code: string;
  /** FHIR value[x] key, e.g. 'valueCode', 'valueCoding', 'valueString', 'valueBoolean'. */
  valueKey: string;
  value: unknown;
  extension?: Extension[];
}

export interface Concept {
  code: string;
  display?: string;
  definition?: string;
  designations: Designation[];
  properties: PropertyValue[];
  extensions: Extension[];
  parents: Concept[];
  children: Concept[];
  /**
   * A code that refines another (an ICF category with qualifiers, d4500.2 of d4500): it belongs
   * to a value set wherever the refined concept is listed.
   */
  refines?: Concept;
  /**
   * A code the code system reserves for its users to give a meaning (ISO 3166's user-assigned
   * codes): it has no display of its own, so any display is accepted, with a hint.
   */
  userAssigned?: boolean;
}

/** What $lookup, $validate-code and $expand need to know of a concept beyond its data. */
export interface ConceptStatus {
  inactive: boolean;
  /** active, retired, deprecated, withdrawn, inactive, ... (undefined = not stated) */
  status?: string;
  abstract: boolean;
}

export interface LocateResult {
  concept?: Concept;
  /** Why the code was not found, when there is more to say than "unknown". */
  message?: string;
  /** A further finding about a code that was not found, reported as an information issue (e.g. why an expression is invalid). */
  detail?: string;
  /** How the unknown-code message of $validate-code names the release searched (Snomed CT: its edition). */
  release?: string;
}

/** A filter from ValueSet.compose.include.filter, prepared against one code system. */
export interface ConceptFilter {
  /** Does the concept pass the filter? */
  includes(concept: Concept): boolean;
  /** Every concept passing the filter, in code-system order (may be large). */
  concepts(): Iterable<Concept>;
  /** Estimated number of matches, for choosing which filter to enumerate. */
  readonly estimate: number;
  /**
   * The selection states membership by itself (a Snomed CT expression constraint, e.g. the
   * members of a historical-association reference set, which are inactive concepts by design):
   * validating a code it selects reports that membership, not the concept's status.
   */
  readonly membershipOnly?: boolean;
  /** Why a concept does not pass, when there is more to say than "not in the value set" (e.g. a unit's dimension). */
  reason?(concept: Concept): string | undefined;
}

/**
 * The value set whose members stand for a code system that cannot be enumerated (UCUM's common
 * units, BCP-47's languages of ISO 639-2): what an expansion of the whole system lists, marked
 * incomplete. Its status decides the expansion's warning-* parameter like any imported value set.
 */
export interface EnumerationBasis {
  url: string;
  version?: string;
  status?: string;
  experimental?: boolean;
  extension?: Extension[];
}

/** Metadata of the code system a provider serves. */
export interface CodeSystemInfo {
  url: string;
  version?: string;
  name?: string;
  title?: string;
  status?: string;
  experimental?: boolean;
  /** the structuredefinition-standards-status extension, if any */
  standardsStatus?: string;
  content: string;
  caseSensitive: boolean;
  /** language of the displays (CodeSystem.language) */
  language?: string;
  hierarchyMeaning?: string;
  valueSet?: string;
  versionNeeded?: boolean;
  compositional?: boolean;
  /** canonical of each supplement applied (url|version) */
  supplements: string[];
  /** CodeSystem.property declarations, code -> { uri, type } */
  propertyDefinitions: Map<string, { uri?: string; type?: string; description?: string }>;
}

/**
 * One interface for every kind of code system (generic FHIR CodeSystem, KSI, ICF, Snomed CT):
 * the expander, validator and lookup only ever talk to this, never to the kind behind it.
 */
export interface CodeSystemProvider {
  readonly info: CodeSystemInfo;
  /** The CodeSystem resource behind it (without concepts for very large systems). */
  readonly resource?: CodeSystem;

  /**
   * Finds a code. `conformance`: the code is judged by the code system alone (its own
   * $validate-code, or a value set that takes the whole system), so it must also conform to the
   * system's content model where the system has one (Snomed CT's MRCM domains, ranges, cardinality).
   */
  locate(code: string, conformance?: boolean): LocateResult;
  /**
   * Does a code, as a value set lists it, name this concept though written differently? For
   * kinds with a grammar (Snomed CT: the same expression with other spacing, terms or attribute
   * order); absent: only the code itself (or its case, in a case-insensitive system) names it.
   */
  namesConcept?(listed: string, concept: Concept): boolean;
  status(concept: Concept): ConceptStatus;
  /** Top-level concepts, in code-system order. */
  roots(): Concept[];
  /** Every concept, in code-system order (depth first). */
  all(): Iterable<Concept>;
  totalCount(): number;
  /** Is `descendant` the same as, or a descendant of, `ancestor`? */
  subsumes(ancestor: Concept, descendant: Concept): boolean;
  /**
   * Does finding neither subsuming the other establish that they are not subsumed? Absent: yes.
   * (Snomed CT: not for a post-coordinated expression, whose relationships are found by comparing
   * normal forms, not by a classifier.)
   */
  notSubsumedIsKnown?(a: Concept, b: Concept): boolean;
  /**
   * For a system whose codes relate by a grammar rather than by a hierarchy (MIME types: by their
   * parameters), the $subsumes outcome of two of its concepts; throws a TerminologyError
   * (not-supported, cannot-determine) when the relationship cannot be told. Absent: subsumes(), both ways.
   */
  subsumption?(a: Concept, b: Concept): 'equivalent' | 'subsumes' | 'subsumed-by' | 'not-subsumed';
  /** Why a code, valid as written, cannot be tested for subsumption as written (Snomed CT: not in the classifiable form). */
  unclassifiable?(concept: Concept): string | undefined;
  /** Prepares a compose filter; throws TerminologyError when the filter is not supported. */
  filter(property: string, op: string, value: string): ConceptFilter;
  /** Does this provider understand the filter (without evaluating it)? */
  supportsFilter(property: string, op: string): boolean;
  /** Concepts matching free text (an index-backed search), when the provider has one. */
  search?(text: string): ConceptFilter;
  /** Is the system one whose codes follow a grammar rather than a list (e.g. expressions)? */
  readonly isClosed?: boolean;
  /**
   * For code systems with a grammar: is what this include selects open-ended (expressions beyond
   * the concepts listed)? Returns the reason to report ('' for none) when it is, undefined when
   * the selection is closed. An open expansion is flat and marked valueset-unclosed.
   */
  openSelection?(include: ValueSetComposeInclude, excludePostCoordinated: boolean): string | undefined;
  /**
   * For code systems with a grammar whose members cannot be iterated: throws a TerminologyError
   * (CODESYSTEM_NOT_ENUMERABLE) when an expansion would have to list what an include selects and
   * cannot (MIME types: the whole system, or filters none of which is a finite list). Absent: every
   * include can be listed.
   */
  assertEnumerable?(include: ValueSetComposeInclude): void;
  /**
   * For code systems with a grammar: the codes an include's filters select together, for an
   * expansion, when their combination (not each filter alone) decides what can be listed (BCP-47:
   * a fixed language and region leave the script to vary). Undefined: enumerate filter by filter.
   * Throws when the combination cannot be listed.
   */
  enumerateFilters?(filters: { property: string; op: string; value: string }[]): ConceptFilter | undefined;
  /**
   * The designations an expansion shows for a concept, for kinds that show fewer than they have
   * (Snomed CT: the fully specified name and the preferred term of each language, current ones
   * only); absent: all of them.
   */
  expansionDesignations?(concept: Concept): Designation[];
  /** For a code system with a grammar: the value set an expansion of the whole system lists instead (unclosed, no total). */
  readonly enumerationBasis?: EnumerationBasis;
  /**
   * For kinds with reference sets of concept-to-concept associations (Snomed CT): the pairs of a
   * reference set whose source (forward) or target (reverse) is the code; 'unknown' when the
   * reference set is not one of concept associations in this code system.
   */
  associations?(refset: string, code: string, reverse: boolean): { source: string; target: string }[] | 'unknown';
  /** $lookup output for kinds that report their own designations and properties; absent: the generic one. */
  lookup?(concept: Concept, params: TxParameters): ParametersParameter[];
  /**
   * What the provider could not check of a valid code, said as a process note by a code-system
   * $validate-code (IG requirements: a Snomed CT expression not checked against the concept
   * model); undefined when the check was complete.
   */
  incompleteValidation?(concept: Concept): string | undefined;
  /**
   * The code system is marked compositional (CodeSystem.compositional) but this provider knows no
   * grammar for it: a code it does not have may be a valid expression it cannot judge, which the
   * unknown-code error says.
   */
  readonly grammarUnknown?: boolean;
}

/**
 * A provider whose concepts live in the concept tables and whose filters mean exactly what the
 * indexes hold (no supplements, no codes beyond the rows): paged expansions may ask SQL for them.
 */
export interface IndexedCodeSystem {
  /** The store rows behind the provider, or undefined when its filters need more than the indexes. */
  indexedRows(): { db: Db; csPk: number; snomed: boolean } | undefined;
  /** Built concepts for rows, in the order given. */
  conceptsByPk(pks: number[]): Concept[];
}

/**
 * A definition with no codes behind it: `content = not-present` and no grammar that makes codes
 * known without a list (as UCUM's, BCP-47's and MIME types' have) — it names its code system only.
 */
export function namesOnly(p: CodeSystemProvider): boolean {
  return p.info.content === 'not-present' && p.isClosed !== false;
}
