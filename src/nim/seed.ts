import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import type { Db } from '../store/database';
import type { ResourceStore } from '../store/resource-store';
import { PLACEHOLDER_TAG, ResourceLoader } from '../importers/loader';
import { openNim } from './index';

/**
 * Loads the NIM seed (terminology/nim/*.yaml) into a store that has not had it: the intensional
 * KSI and ICF value sets the NIMs bind to (unless a value set of the same URL is stored), the
 * NIMs as drafts, then the releases of releases.yaml through the same workflow as the API
 * (påseende, adoption), so a fresh server shows NIMs at each stage.
 */

export const NIM_SEED_KEY = 'nim-seed-loaded';

interface SeedRelease {
  version: string;
  title: string;
  nims?: string[];
  status: 'utkast' | 'paseende' | 'faststalld';
  effectiveFrom?: string;
  overrideLeadTime?: string;
}

function readYaml(file: string): any {
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

/**
 * The intensional value sets of urval.yaml as FHIR ValueSets. Those an import defines
 * (`placeholderFor`) carry the placeholder mark: the import's first version of the URL replaces them.
 */
function seedValueSets(dir: string): any[] {
  const file = path.join(dir, 'urval.yaml');
  if (!fs.existsSync(file)) return [];
  return (readYaml(file).valueSets ?? []).map((v: any) => ({
    resourceType: 'ValueSet',
    id: v.id,
    ...(v.placeholderFor ? { meta: { tag: [PLACEHOLDER_TAG] } } : {}),
    url: `https://kodverk.se/fhir/ValueSet/${v.id}`,
    // below any version an importer gives the same URL
    version: '0.1.0',
    name: v.name ?? v.id.replace(/(^|-)([a-z])/g, (_m: string, _d: string, c: string) => c.toUpperCase()),
    title: v.title,
    status: 'draft',
    publisher: 'Kodverk',
    language: 'sv',
    description: `${v.description}${v.placeholderFor ? ` Platshållare utan koder: importen av källan (kodverk import ${v.placeholderFor}) ger värdemängden dess versioner och ersätter den.` : ''} Källa: terminology/nim/urval.yaml.`,
    compose: { include: v.include },
  }));
}

export function loadNimSeed(db: Db, resources: ResourceStore, dir: string): { nims: number; releases: number; valueSets: number } {
  if (resources.getMeta(NIM_SEED_KEY) || !fs.existsSync(dir)) return { nims: 0, releases: 0, valueSets: 0 };
  const nim = openNim(db, resources);
  const files = fs
    .readdirSync(dir)
    .filter((f) => /^nim-.*\.yaml$/.test(f))
    .sort();
  let valueSets = 0;
  let releases = 0;
  db.transaction(() => {
    const absent = seedValueSets(dir).filter((vs) => resources.byUrl('ValueSet', vs.url).length === 0);
    valueSets = new ResourceLoader(db, resources).loadInTransaction(absent).created;
    for (const f of files) nim.models.create(readYaml(path.join(dir, f)));
    const plan = fs.existsSync(path.join(dir, 'releases.yaml')) ? ((readYaml(path.join(dir, 'releases.yaml')).releases ?? []) as SeedRelease[]) : [];
    for (const r of plan) {
      nim.releases.create({ version: r.version, title: r.title, nims: r.nims });
      if (r.status === 'utkast') continue;
      nim.releases.transition(r.version, 'paseende');
      if (r.status === 'faststalld') nim.releases.transition(r.version, 'faststalld', { effectiveFrom: r.effectiveFrom, overrideLeadTime: r.overrideLeadTime });
      releases++;
    }
    resources.setMeta(NIM_SEED_KEY, new Date().toISOString());
  })();
  resources.touch();
  return { nims: files.length, releases, valueSets };
}
