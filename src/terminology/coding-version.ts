import type { CodeSystemProvider } from './providers/provider';
import { IssueList, txIssue } from './issues';
import type { TxParameters } from './params';
import { formatMessage } from './messages';
import { addToPath } from './display-check';
import { versionIsMoreDetailed } from './versions';
import { resolveCodeSystemVersion } from './resolution';
import { presentVersions } from './expander';

/**
 * Which version of a code system a coding is checked against in $validate-code, and what is wrong
 * with the version it names. Kept apart from the membership checks: one rule, read in one place.
 */

/** What the version check needs of the validation it serves. */
export interface VersionScope {
  readonly params: TxParameters;
  /** the versions of a code system the server knows */
  codeSystemVersions(system: string): string[];
  /** a version of a code system (the highest when none is named), with the request's supplements */
  findCodeSystem(system: string, version?: string): CodeSystemProvider | undefined;
}

/** What the check of one coding records: its error texts and the code-system versions not known. */
export interface VersionFindings {
  messages: string[];
  unknownSystems: Set<string>;
}

/**
 * The version a coding is checked against, given the include's version (`versionVS`), the coding's
 * own version and the request's version rules (system-version, check- and force-system-version).
 * A coding that names another version than the value set is reported: an error when the value set
 * pins the version, a warning when the code system's default stood in (unless it needs a version).
 */
export function determineVersion(
  scope: VersionScope,
  path: string,
  system: string,
  versionVS: string | undefined,
  versionCoding: string | undefined,
  op: IssueList,
  found: VersionFindings,
  code: string,
): string | undefined {
  const resolved = resolveCodeSystemVersion(scope.params, system, versionVS);
  const checkVersion = (cs: CodeSystemProvider | undefined) => {
    const issue = cs ? resolved.check(cs.info.version, addToPath(path, 'version')) : undefined;
    if (issue && op.add(issue)) found.messages.push(issue.text);
  };
  let result = resolved.version;
  if (!versionCoding) {
    const cs = scope.findCodeSystem(system, result);
    checkVersion(cs);
    checkVersionNeeded(scope.params, path, cs, code, op, found);
    return result;
  }
  if (result && versionCoding !== result && versionIsMoreDetailed(result, versionCoding)) result = versionCoding;
  if (!result) {
    const vl = scope.codeSystemVersions(system);
    if (vl.some((v) => v === versionCoding || versionIsMoreDetailed(versionCoding, v))) result = versionCoding;
  }
  const cs = scope.findCodeSystem(system, result);
  if (cs && cs.info.version !== versionCoding && !versionIsMoreDetailed(versionCoding, cs.info.version)) {
    let severity: 'error' | 'warning' = 'error';
    let id: string, m: string;
    if (!result) {
      if (!cs.info.versionNeeded) severity = 'warning';
      id = 'VALUESET_VALUE_MISMATCH_DEFAULT';
      m = formatMessage(id, [system, cs.info.version, versionVS, versionCoding]);
    } else if (result !== versionVS) {
      id = 'VALUESET_VALUE_MISMATCH_CHANGED';
      m = formatMessage(id, [system, result, versionVS ?? '', versionCoding]);
    } else {
      id = 'VALUESET_VALUE_MISMATCH';
      m = formatMessage(id, [system, versionVS, versionCoding]);
    }
    op.add({ severity, code: 'invalid', txType: 'vs-invalid', text: m, expression: [addToPath(path, 'version')], messageId: id });
    if (severity === 'error') found.messages.push(m);
    if (!scope.findCodeSystem(system, versionCoding)) {
      const vl = scope.codeSystemVersions(system);
      found.unknownSystems.add(`${system}|${versionCoding}`);
      const um = formatMessage('UNKNOWN_CODESYSTEM_VERSION', [system, versionCoding, presentVersions(vl)]);
      op.add({ severity: 'error', code: 'not-found', txType: 'not-found', text: um, expression: [addToPath(path, 'system')], messageId: 'UNKNOWN_CODESYSTEM_VERSION' });
      found.messages.push(um);
    }
  } else if (!cs && result !== versionCoding) {
    const m = formatMessage('VALUESET_VALUE_MISMATCH', [system, result, versionCoding]);
    op.add({ severity: 'error', code: 'invalid', txType: 'vs-invalid', text: m, expression: [addToPath(path, 'version')], messageId: 'VALUESET_VALUE_MISMATCH' });
    found.messages.push(m);
  }
  checkVersion(cs);
  return result;
}

/**
 * A code system that says versionNeeded: the coding must name its version (tx-ecosystem
 * requirements: "the $validate-code operation SHALL check that version is populated, and return
 * an error if it's not"). A version rule of the request for the system (system-version,
 * force-system-version, check-system-version) names it too.
 */
function checkVersionNeeded(params: TxParameters, path: string, cs: CodeSystemProvider | undefined, code: string, op: IssueList, found: VersionFindings): void {
  if (!cs?.info.versionNeeded) return;
  if (params.versionRules.some((r) => r.target === 'codesystem' && r.system === cs.info.url)) return;
  const issue = txIssue('error', 'required', 'invalid-data', 'CODESYSTEM_VERSION_NEEDED', [cs.info.url, code], addToPath(path, 'version'));
  if (op.add(issue)) found.messages.push(issue.text);
}
