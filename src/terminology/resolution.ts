import type { TerminologyContext } from './context';
import type { TxParameters, VersionRule } from './params';
import { TerminologyError, txIssue } from './issues';
import { versionMatches, versionIsMoreDetailed } from './versions';

const STANDARDS_STATUS = 'http://hl7.org/fhir/StructureDefinition/structuredefinition-standards-status';

export interface ResolvedVersion {
  /** the version to look for (undefined: the latest) */
  version?: string;
  /** the version rules that decided it, for echoing */
  applied: VersionRule[];
  /** throws VALUESET_VERSION_CHECK when the version found breaks a check-system-version rule */
  check(actual: string | undefined): void;
}

/**
 * Decides which version of a code system an include (or a coding) means, applying the request's
 * version rules: force-system-version wins over everything, system-version fills in a missing
 * version, check-system-version fills in a missing version and must hold for the one found.
 */
export function resolveCodeSystemVersion(ctx: TerminologyContext, params: TxParameters, system: string, stated?: string): ResolvedVersion {
  let version = stated || undefined;
  const applied: VersionRule[] = [];
  const force = params.rulesFor(system, 'override')[0];
  if (force) {
    version = force.version;
    applied.push(force);
  }
  if (!version) {
    const def = params.rulesFor(system, 'default')[0];
    if (def) {
      version = def.version;
      applied.push(def);
    }
  }
  const checks = params.rulesFor(system, 'check');
  if (!version && checks[0]) {
    version = checks[0].version;
    applied.push(checks[0]);
  }
  return {
    version,
    applied,
    check(actual: string | undefined) {
      for (const c of checks) {
        if (actual !== undefined && actual !== c.version && !versionMatches(c.version, actual) && !versionIsMoreDetailed(c.version, actual)) {
          throw TerminologyError.of(txIssue('error', 'exception', 'version-error', 'VALUESET_VERSION_CHECK', [system, actual, c.version]), 400);
        }
      }
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
  if (resource === source) return undefined;
  const ss = standardsStatus(resource);
  const sourceSs = standardsStatus(source);
  if (ss === 'deprecated') return sourceSs === 'deprecated' ? undefined : 'warning-deprecated';
  if (ss === 'withdrawn') return sourceSs === 'withdrawn' ? undefined : 'warning-withdrawn';
  if (resource.status === 'retired') return source.status === 'retired' ? undefined : 'warning-retired';
  if (resource.experimental && !source.experimental) return 'warning-experimental';
  if ((resource.status === 'draft' || ss === 'draft') && !(source.status === 'draft' || sourceSs === 'draft')) return 'warning-draft';
  return undefined;
}
