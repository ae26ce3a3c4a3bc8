import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tar from 'tar';
import { ImportError, Importer } from './importer';
import { PackageRefused, isPackageFile, scanTgz } from './npm-package';

const TYPES = new Set(['CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem']);

/** The terminology resources in a JSON document (a resource or a Bundle). */
function terminologyIn(json: any, file: string): any[] {
  if (!json || typeof json !== 'object' || typeof json.resourceType !== 'string') throw new ImportError('not a FHIR resource', { file });
  if (json.resourceType === 'Bundle') return (json.entry ?? []).map((e: any) => e.resource).filter((r: any) => r && TYPES.has(r.resourceType));
  return TYPES.has(json.resourceType) ? [json] : [];
}

function readFolder(dir: string, rel = ''): any[] {
  const out: any[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const st = fs.lstatSync(p);
    // a link is never content: followed, it could reach any file on this machine
    if (st.isSymbolicLink()) continue;
    if (st.isDirectory()) {
      // FHIR packages keep examples apart; they are not content to host
      if (name !== 'example' && name !== 'other') out.push(...readFolder(p, path.join(rel, name)));
    } else if (name.endsWith('.json') && name !== 'package.json' && !name.startsWith('.')) {
      let json: any;
      try {
        json = JSON.parse(fs.readFileSync(p, 'utf8'));
      } catch (e) {
        throw new ImportError(`not valid JSON (${(e as Error).message})`, { file: path.join(rel, name) });
      }
      out.push(...terminologyIn(json, path.join(rel, name)));
    }
  }
  return out;
}

/**
 * FHIR packages and JSON: a folder of CodeSystem/ValueSet/ConceptMap/NamingSystem JSON (or
 * Bundles of them), or an NPM FHIR package `.tgz` (its package/ folder).
 */
export const fhirImporter: Importer = {
  format: 'fhir',
  description: 'a folder of FHIR JSON, or a FHIR NPM package (.tgz)',
  async read(input) {
    if (!fs.existsSync(input)) throw new ImportError(`${input} does not exist`);
    let resources: any[];
    let version: string | undefined;
    if (fs.statSync(input).isDirectory()) {
      resources = readFolder(input);
    } else if (/\.(tgz|tar\.gz)$/.test(input)) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-package-'));
      try {
        // within the limits first (a small .tgz can inflate to gigabytes), then regular files and
        // folders only: a chain of links, each one level up, reaches out of the folder
        await scanTgz(fs.createReadStream(input), () => undefined).catch((e) => {
          throw new ImportError(e instanceof PackageRefused ? e.message : `not a .tgz package (${(e as Error).message})`, { file: input });
        });
        await tar.x({ file: input, cwd: dir, filter: (_path, entry) => 'type' in entry && (isPackageFile(entry.type) || entry.type === 'Directory') });
        const root = fs.existsSync(path.join(dir, 'package')) ? path.join(dir, 'package') : dir;
        const manifest = path.join(root, 'package.json');
        if (fs.existsSync(manifest)) version = `${JSON.parse(fs.readFileSync(manifest, 'utf8')).name}#${JSON.parse(fs.readFileSync(manifest, 'utf8')).version}`;
        resources = readFolder(root);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    } else if (input.endsWith('.json')) {
      resources = terminologyIn(JSON.parse(fs.readFileSync(input, 'utf8')), path.basename(input));
    } else {
      throw new ImportError('expected a folder, a .json file or a .tgz FHIR package', { file: input });
    }
    for (const r of resources) if (!r.id) throw new ImportError(`a ${r.resourceType} without an id (${r.url ?? 'no url'})`, { file: input });
    const count = (t: string) => resources.filter((r) => r.resourceType === t).length;
    return {
      resources,
      publisherVersion: version,
      notes: [`${count('CodeSystem')} code systems, ${count('ValueSet')} value sets, ${count('ConceptMap')} concept maps, ${count('NamingSystem')} naming systems`],
    };
  },
};
