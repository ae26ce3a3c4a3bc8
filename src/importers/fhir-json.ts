import fs from 'node:fs';
import path from 'node:path';

/** The FHIR resources in a folder (recursively): JSON files holding a resource or a Bundle. */
export function readFhirFolder(dir: string): any[] {
  const out: any[] = [];
  const walk = (d: string) => {
    for (const name of fs.readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(...resourcesIn(JSON.parse(fs.readFileSync(p, 'utf8')), p));
    }
  };
  walk(dir);
  return out;
}

function resourcesIn(json: any, file: string): any[] {
  if (!json || typeof json.resourceType !== 'string') throw new Error(`${file}: not a FHIR resource`);
  if (json.resourceType === 'Bundle') return (json.entry ?? []).map((e: any) => e.resource).filter(Boolean);
  return [json];
}
