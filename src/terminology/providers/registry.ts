import type { CodeSystem, ValueSet } from 'fhir/r4';
import type { Db } from '../../store/database';
import type { ConceptStore } from '../../store/concept-store';
import type { CodeSystemProvider } from './provider';

/** What a provider kind gets to build a provider for a stored code system. */
export interface StoredCodeSystemContext {
  db: Db;
  concepts: ConceptStore;
  /** store row of the CodeSystem resource */
  csPk: number;
  resource: CodeSystem;
  supplements: CodeSystem[];
}

/**
 * A kind of code system with behaviour of its own (ICF qualifiers, Snomed CT expressions and
 * ECL, ...). The engine never branches on the code system: it asks the registered kinds, in
 * order, and falls back to the generic providers.
 */
export interface ProviderKind {
  name: string;
  /** Does this kind serve this code system? */
  matches(cs: CodeSystem): boolean;
  /** A provider for a stored code system (its concepts in the concept tables). */
  stored?(ctx: StoredCodeSystemContext): CodeSystemProvider;
  /** A provider for a code system sent with a request (held in memory). */
  inMemory?(cs: CodeSystem, supplements: CodeSystem[]): CodeSystemProvider;
  /**
   * An implicit value set this kind defines for a URL (e.g. Snomed CT's ?fhir_vs=isa/...).
   * `release` gives the provider of the code system release a value set would draw on, when the
   * server holds it: a URL naming what that release does not hold defines no value set.
   */
  implicitValueSet?(url: string, release?: ReleaseLookup): ValueSet | undefined;
  /**
   * A code system this kind serves without stored content (UCUM, BCP-47, ISO 3166, ...): its
   * CodeSystem resource (metadata only; the provider holds the codes). It is a candidate for its
   * URL beside stored and request resources, so a server knows these systems from the start.
   */
  builtIn?(): CodeSystem;
}

const KINDS: ProviderKind[] = [];

/** Registers a kind (at module load of the kind's file; see code-system-kinds.ts). */
export function registerProviderKind(kind: ProviderKind): void {
  if (!KINDS.some((k) => k.name === kind.name)) KINDS.push(kind);
}

export function providerKindFor(cs: CodeSystem): ProviderKind | undefined {
  return KINDS.find((k) => k.matches(cs));
}

/** The built-in CodeSystem resource for a URL, if a kind serves one. */
export function builtInCodeSystem(url: string): CodeSystem | undefined {
  for (const k of KINDS) {
    const cs = k.builtIn?.();
    if (cs?.url === url) return cs;
  }
  return undefined;
}

/** The built-in code system an identifier (urn:oid:2.16.840.1.113883.6.8 for UCUM) names. */
export function builtInCodeSystemByIdentifier(value: string): CodeSystem | undefined {
  return builtInCodeSystems().find((cs) => cs.identifier?.some((i) => i.value === value));
}

/** Every built-in code system (for TerminologyCapabilities). */
export function builtInCodeSystems(): CodeSystem[] {
  return KINDS.map((k) => k.builtIn?.()).filter((cs): cs is CodeSystem => !!cs);
}

/** The provider of a code system release (undefined when the server does not hold it). */
export type ReleaseLookup = (system: string, version?: string) => CodeSystemProvider | undefined;

export function implicitValueSet(url: string, release?: ReleaseLookup): ValueSet | undefined {
  for (const k of KINDS) {
    const vs = k.implicitValueSet?.(url, release);
    if (vs) return vs;
  }
  return undefined;
}
