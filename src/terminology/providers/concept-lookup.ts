import type { ParametersParameter } from 'fhir/r4';
import type { CodeSystemProvider, Concept } from './provider';
import type { TxParameters } from '../params';
import { DISPLAY_USE, DesignationSet } from '../designations';
import { splitCanonical } from '../versions';
import { propertyText } from './fhir-codesystem';

function wants(params: TxParameters, code: string, uri?: string): boolean {
  const p = params.properties;
  return p.length === 0 || p.includes('*') || p.includes(code) || (!!uri && p.includes(uri));
}

/**
 * The $lookup answer for a concept a provider found, from what every provider knows of its
 * concepts; a provider with more to say (UCUM, Snomed CT) adds to it or answers itself.
 */
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
