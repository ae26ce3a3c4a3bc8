import type { ValueSet } from 'fhir/r4';
import type { TxParameters, VersionRule } from './params';
import { TerminologyError, TxIssue, txIssue } from './issues';
import { canonicalOf, splitCanonical, versionMatches, versionIsMoreDetailed } from './versions';

const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';

export interface ResolvedVersion {
  /** the version to look for (undefined: the latest) */
  version?: string;
  /** the version rules that decided it, for echoing */
  applied: VersionRule[];
  /**
   * A check-system-version rule the version found breaks: thrown as VALUESET_VERSION_CHECK, or
   * (validation) returned as an issue at `path` so the answer can report it.
   */
  check(actual: string | undefined, path?: string): TxIssue | undefined;
}

/**
 * Decides which version of a code system an include (or a coding) means, applying the request's
 * version rules: force-system-version wins over everything, system-version fills in a missing
 * version, check-system-version fills in a missing version and must hold for the one found.
 */
export function resolveCodeSystemVersion(params: TxParameters, system: string, stated?: string, target: 'codesystem' | 'valueset' = 'codesystem'): ResolvedVersion {
  let version = stated || undefined;
  const applied: VersionRule[] = [];
  const force = params.rulesFor(system, 'override', target)[0];
  if (force) {
    version = force.version;
    applied.push(force);
  }
  if (!version) {
    const def = params.rulesFor(system, 'default', target)[0];
    if (def) {
      version = def.version;
      applied.push(def);
    }
  }
  const checks = params.rulesFor(system, 'check', target);
  if (!version && checks[0]) {
    version = checks[0].version;
    applied.push(checks[0]);
  }
  return {
    version,
    applied,
    check(actual: string | undefined, path?: string) {
      for (const c of checks) {
        if (actual !== undefined && actual !== c.version && !versionMatches(c.version, actual) && !versionIsMoreDetailed(c.version, actual)) {
          const issue = txIssue('error', 'exception', 'version-error', 'VALUESET_VERSION_CHECK', [system, actual, c.version], path);
          if (path === undefined) throw TerminologyError.of(issue, 400);
          return issue;
        }
      }
      return undefined;
    },
  };
}

interface StatusBearing {
  status?: string;
  experimental?: boolean;
  extension?: { url: string; valueCode?: string }[];
}

function standardsStatus(r: StatusBearing): string | undefined {
  return r.extension?.find((e) => e.url === STANDARDS_STATUS)?.valueCode;
}

/**
 * The warning a reference to `resource` from `source` deserves, as an expansion parameter name
 * (warning-deprecated, -withdrawn, -retired, -experimental, -draft), or undefined. A resource
 * sharing the referrer's status is not warned about.
 */
export function statusWarning(resource: StatusBearing, source: StatusBearing): string | undefined {
  const ss = standardsStatus(resource);
  if (resource === source) {
    // a value set is told about its own deprecation or withdrawal, not about its other states
    return ss === 'deprecated' || ss === 'withdrawn' ? `warning-${ss}` : undefined;
  }
  const sourceSs = standardsStatus(source);
  if (ss === 'deprecated') return sourceSs === 'deprecated' ? undefined : 'warning-deprecated';
  if (ss === 'withdrawn') return sourceSs === 'withdrawn' ? undefined : 'warning-withdrawn';
  if (resource.status === 'retired') return source.status === 'retired' ? undefined : 'warning-retired';
  if (resource.experimental && !source.experimental) return 'warning-experimental';
  if ((resource.status === 'draft' || ss === 'draft') && !(source.status === 'draft' || sourceSs === 'draft')) return 'warning-draft';
  return undefined;
}

/**
 * The url|version a value-set reference (an include's valueSet, or the value set a request names)
 * means once the value-set version rules apply: force-valueset-version wins, default-valueset-version
 * fills in a missing version, check-valueset-version must hold for the version found (call
 * `check` with it). `applied` lists the rules that decided it, for echoing.
 */
export function pinValueSet(params: TxParameters, reference: string): { url: string; version?: string; applied: VersionRule[]; check(actual: string | undefined): void } {
  const { url, version } = splitCanonical(reference);
  if (url.startsWith('#')) return { url, applied: [], check: () => undefined };
  const resolved = resolveCodeSystemVersion(params, url, version, 'valueset');
  return { url, version: resolved.version, applied: resolved.applied, check: (actual) => void resolved.check(actual) };
}

/**
 * The error for required supplements (useSupplement, valueset-supplement) that were not applied,
 * or undefined when all were. `used` holds url|version and bare urls of applied supplements.
 */
export function missingSupplements(required: string[], used: Set<string>, httpStatus = 422): TerminologyError | undefined {
  const missing = required.filter((s) => !used.has(s) && !used.has(splitCanonical(s).url));
  if (!missing.length) return undefined;
  return TerminologyError.of(
    {
      severity: 'error',
      code: 'not-found',
      txType: 'not-found',
      messageId: 'VALUESET_SUPPLEMENT_MISSING',
      text: missing.length === 1 ? `Required supplement not found: ${missing[0]}` : `Required supplements not found: ${missing.join(',')}`,
    },
    httpStatus,
  );
}

/** Records an applied supplement by url|version and by url, as missingSupplements expects. */
export function noteSupplements(used: Set<string>, canonicals: string[]): void {
  for (const s of canonicals) {
    used.add(s);
    used.add(splitCanonical(s).url);
  }
}

/** For a contained value set taken out of its container: the key of the outermost container. */
const containerKeys = new WeakMap<ValueSet, string>();

/**
 * What identifies a value set in a chain of imports (for circularity): url|version, or for a
 * contained one its container's key and '#id'; '' for an inline value set with neither.
 */
export function valueSetKey(vs: ValueSet): string {
  if (vs.url) return canonicalOf(vs.url, vs.version);
  return vs.id ? `${containerKeys.get(vs) ?? ''}#${vs.id}` : '';
}

/**
 * The refusal of a value set met again while its own imports are being processed. As tx.fhir.org
 * (and every reference server) words it, the pathway lists the value sets already entered, in order,
 * ending before the repeated one: [A, B] when B leads back to A, not [A, B, A].
 */
export function circularReference(key: string, chain: readonly string[]): TerminologyError {
  const pathway = '[' + chain.filter(Boolean).join(', ') + ']';
  return TerminologyError.of(txIssue('error', 'processing', 'vs-invalid', 'VALUESET_CIRCULAR_REFERENCE', [key, pathway]), 400);
}

/**
 * The value set a '#id' reference names among the container's contained resources. FHIR does not
 * nest contained resources: a '#' reference inside a contained value set names a sibling, so the
 * one returned carries the container's contained resources (and its key) along.
 */
export function containedValueSet(container: ValueSet, ref: string): ValueSet | undefined {
  const found = (container.contained ?? []).find((r) => r.resourceType === 'ValueSet' && r.id === ref.slice(1)) as ValueSet | undefined;
  if (!found) return undefined;
  const vs: ValueSet = { ...found, contained: container.contained };
  containerKeys.set(vs, containerKeys.get(container) ?? valueSetKey(container));
  return vs;
}
