import type { CodeSystem, Coding, ParametersParameter } from 'fhir/r4';
import type { TerminologyContext } from './context';
import { namesOnly, type CodeSystemProvider } from './providers/provider';
import { TerminologyError, txIssue } from './issues';
import type { TxParameters } from './params';
import { missingSupplements, noteSupplements, resolveCodeSystemVersion } from './resolution';
import { lookupConcept } from './providers/concept-lookup';

export interface LookupInput {
  coding: Coding;
  /** a CodeSystem given inline or by instance id */
  codeSystem?: CodeSystem;
}

function notFound(text: string, status = 404, txType = 'not-found'): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'not-found', txType, text }, status);
}

/**
 * CodeSystem/$lookup: what a code means. Returns name, version, display, definition,
 * designations (the display among them), abstract, and properties (inactive, parent, child and
 * those of the code system; all of them unless `property` asks for some).
 */
export function lookupCode(ctx: TerminologyContext, params: TxParameters, input: LookupInput): ParametersParameter[] {
  const { coding } = input;
  if (!coding.code) throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'No code to look up: give code and system, or coding' }, 400);
  let cs: CodeSystemProvider | undefined;
  if (input.codeSystem) {
    // a supplement is no code system of its own: its codes are looked up in the one it supplements
    if (input.codeSystem.content === 'supplement') {
      throw TerminologyError.of(txIssue('error', 'invalid', 'invalid-data', 'CODESYSTEM_CS_NO_SUPPLEMENT', [input.codeSystem.url ?? '']), 400);
    }
    cs = ctx.instanceCodeSystem(input.codeSystem, params.useSupplements);
  } else {
    if (!coding.system) throw TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text: 'Coding parameter must include a system' }, 400);
    // the request's version rules choose the version as they do for $expand and $validate-code:
    // force-system-version wins, system-version (or check-system-version) fills in a missing one
    const resolved = resolveCodeSystemVersion(params, coding.system, coding.version);
    const version = resolved.version;
    cs = ctx.findCodeSystem(coding.system, version, params.useSupplements);
    if (!cs) {
      if (ctx.findSupplement(coding.system, version)) {
        throw TerminologyError.of(txIssue('error', 'invalid', 'invalid-data', 'CODESYSTEM_CS_NO_SUPPLEMENT', [coding.system]), 400);
      }
      throw notFound(
        version
          ? `A definition for CodeSystem '${coding.system}' version '${version}' could not be found`
          : `A definition for CodeSystem '${coding.system}' could not be found`,
      );
    }
    resolved.check(cs.info.version);
  }
  const used = new Set<string>();
  noteSupplements(used, cs.info.supplements);
  const missing = missingSupplements(params.useSupplements, used, 400);
  if (missing) throw missing;
  // a definition that only names its code system (an instance such as FHIR core's Snomed CT stub)
  if (namesOnly(cs)) throw notFound(`The CodeSystem ${cs.info.url} is held here only by name (content = not-present): its codes are not known, so '${coding.code}' cannot be looked up`);
  const located = cs.locate(coding.code);
  const concept = located.concept;
  if (!concept) {
    // what the provider found out about the code (why an expression is invalid), not the release it searched
    const why = located.detail ?? located.message;
    const reason = why ? ` (${why})` : '';
    throw notFound(`Unable to find code '${coding.code}' in ${cs.info.url} version ${cs.info.version ?? 'unknown'}${reason}`, 404, 'invalid-code');
  }
  return cs.lookup?.(concept, params) ?? lookupConcept(cs, concept, params);
}
