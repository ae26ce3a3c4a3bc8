import type { CodeSystem, Coding, ParametersParameter } from 'fhir/r4';
import type { TerminologyContext } from './context';
import type { CodeSystemProvider, Concept } from './providers/provider';
import { TerminologyError, txIssue } from './issues';
import type { TxParameters } from './params';
import { DISPLAY_USE, DesignationSet } from './designations';
import { canonicalOf, splitCanonical } from './versions';
import { missingSupplements, noteSupplements, resolveCodeSystemVersion } from './resolution';
import { propertyText } from './providers/fhir-codesystem';

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
    cs = ctx.providerFor(input.codeSystem, []);
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

function wants(params: TxParameters, code: string, uri?: string): boolean {
  const p = params.properties;
  return p.length === 0 || p.includes('*') || p.includes(code) || (!!uri && p.includes(uri));
}

export function lookupConcept(cs: CodeSystemProvider, c: Concept, params: TxParameters): ParametersParameter[] {
  const info = cs.info;
  const out: ParametersParameter[] = [];
  out.push({ name: 'name', valueString: info.name ?? info.title ?? info.url });
  out.push({ name: 'system', valueUri: info.url });
  if (info.version) out.push({ name: 'version', valueString: info.version });
  out.push({ name: 'code', valueCode: c.code });

  const set = new DesignationSet().addConcept(c, info.language);
  const display = set.preferred(params.workingLanguages())?.value ?? c.display;
  if (display !== undefined) out.push({ name: 'display', valueString: display });
  // definition, abstract and the designations are properties too: a `property` list names those it wants
  const CP = 'http://hl7.org/fhir/concept-properties#';
  if (c.definition !== undefined && wants(params, 'definition', CP + 'definition')) out.push({ name: 'definition', valueString: c.definition });
  const st = cs.status(c);
  if (wants(params, 'abstract', CP + 'notSelectable')) out.push({ name: 'abstract', valueBoolean: st.abstract });

  const supplements = new Set<string>();
  if (wants(params, 'designation')) {
    if (c.display !== undefined) {
      const part: ParametersParameter[] = [];
      if (info.language) part.push({ name: 'language', valueCode: info.language });
      part.push({ name: 'use', valueCoding: DISPLAY_USE });
      part.push({ name: 'value', valueString: c.display });
      out.push({ name: 'designation', part });
    }
    for (const d of c.designations) {
      const part: ParametersParameter[] = [];
      if (d.language) part.push({ name: 'language', valueCode: d.language });
      if (d.use) part.push({ name: 'use', valueCoding: d.use });
      part.push({ name: 'value', valueString: d.value });
      if (d.source) {
        part.push({ name: 'source', valueCanonical: d.source });
        supplements.add(d.source);
      }
      out.push({ name: 'designation', part });
    }
  }

  const prop = (code: string, value: ParametersParameter, description?: string) => {
    const part: ParametersParameter[] = [{ name: 'code', valueCode: code }, { ...value, name: 'value' }];
    if (description) part.push({ name: 'description', valueString: description });
    out.push({ name: 'property', part });
  };
  const defs = info.propertyDefinitions;
  if (wants(params, 'inactive', CP + 'inactive')) prop('inactive', { name: 'value', valueBoolean: st.inactive });
  if (wants(params, 'parent', CP + 'parent')) for (const p of c.parents) prop('parent', { name: 'value', valueCode: p.code }, p.display);
  if (wants(params, 'child', CP + 'child')) for (const ch of c.children) prop('child', { name: 'value', valueCode: ch.code }, ch.display);
  for (const p of c.properties) {
    if (['parent', 'child', 'inactive'].includes(p.code)) continue;
    if (!wants(params, p.code, defs.get(p.code)?.uri)) continue;
    const description = p.valueKey === 'valueCode' ? cs.locate(propertyText(p) ?? '').concept?.display : undefined;
    prop(p.code, { name: 'value', [p.valueKey]: p.value } as ParametersParameter, description);
  }
  // a supplement the request asked for and that applies is used, whatever it adds to this code
  for (const s of info.supplements) if (params.useSupplements.some((r) => splitCanonical(r).url === splitCanonical(s).url)) supplements.add(s);
  for (const s of supplements) out.push({ name: 'used-supplement', valueCanonical: s });
  return out;
}

export function canonical(cs: CodeSystemProvider): string {
  return canonicalOf(cs.info.url, cs.info.version);
}
