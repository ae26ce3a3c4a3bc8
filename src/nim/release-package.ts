import { jsonFile, readTgz, writeTgz } from '../importers/npm-package';
import { invalid } from './errors';
import { EXT } from './extensions';
import { valueSetsCsv } from './release-exports';
import { ReleaseSnapshot, SNAPSHOT_FORMAT, canonicalJson, contentHash } from './release-snapshot';

/**
 * ReleasePackage: a release as a FHIR NPM package (.tgz) — package/package.json, the NIMs and
 * extension definitions as StructureDefinitions, each bound value set with its expansion at
 * publication, and under package/other/ the release snapshot (release.json, which makes the
 * package importable into another Kodverk) and the codes as CSV.
 *
 * The package is a pure function of the snapshot and byte-identical on every build (entries in
 * sorted order, every mtime the release's date: see npm-package).
 */

export const PACKAGE_NAME = 'se.kodverk.nim';
const FILE_NAME = /^[A-Za-z0-9._-]+$/;

/** The FHIR resources of a release with their package file names (sorted, unique). */
function resources(snapshot: ReleaseSnapshot): { file: string; resource: any }[] {
  const out: { file: string; resource: any }[] = [];
  const used = new Set<string>();
  const add = (resource: any, version?: string) => {
    let file = `${resource.resourceType}-${resource.id}.json`;
    if (used.has(file) && version) file = `${resource.resourceType}-${resource.id}-${version}.json`;
    if (!FILE_NAME.test(file) || used.has(file)) throw new Error(`cannot name package file for ${resource.resourceType}/${resource.id}`);
    used.add(file);
    out.push({ file, resource });
  };
  for (const n of snapshot.nims) add(n.resource);
  for (const d of snapshot.definitions) add(d);
  for (const vs of snapshot.valueSets) {
    if (!vs.definition) continue;
    const resource: any = { ...vs.definition };
    if (vs.state === 'expanded') {
      resource.expansion = {
        identifier: `urn:kodverk:nim-release:${snapshot.version}:${vs.key}`,
        timestamp: snapshot.date,
        total: vs.total,
        parameter: vs.codeSystems.map((c) => ({ name: 'used-codesystem', valueUri: c })),
        contains: vs.codes.map((c) => ({ system: c.system, ...(c.version ? { version: c.version } : {}), code: c.code, ...(c.inactive ? { inactive: true } : {}), ...(c.display ? { display: c.display } : {}) })),
      };
    } else {
      resource.extension = [...(resource.extension ?? []), { url: EXT.codesPending, valueString: vs.reason ?? vs.state }];
    }
    add(resource, vs.version);
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** The package's files (path → bytes), in the order they are written. */
export function packageFiles(snapshot: ReleaseSnapshot): [string, Buffer][] {
  const res = resources(snapshot);
  const manifest = {
    name: PACKAGE_NAME,
    version: snapshot.version,
    title: snapshot.title,
    description: `NIM-release ${snapshot.version} (${snapshot.status}${snapshot.effectiveFrom ? `, gäller från ${snapshot.effectiveFrom}` : ''}); innehåll ${contentHash(snapshot)}`,
    canonical: 'https://kodverk.se/fhir',
    fhirVersions: ['4.0.1'],
    type: 'Conformance',
    author: 'Kodverk',
    date: snapshot.date.replace(/-/g, '') + '000000',
    dependencies: { 'hl7.fhir.r4.core': '4.0.1' },
  };
  const index = {
    'index-version': 1,
    files: res.map(({ file, resource: r }) => ({ filename: file, resourceType: r.resourceType, id: r.id, url: r.url, version: r.version, ...(r.kind ? { kind: r.kind } : {}), ...(r.type ? { type: r.type } : {}) })),
  };
  return [
    ['package/package.json', jsonFile(manifest)],
    ['package/.index.json', jsonFile(index)],
    ...res.map(({ file, resource }): [string, Buffer] => [`package/${file}`, jsonFile(resource)]),
    ['package/other/release.json', Buffer.from(canonicalJson(snapshot), 'utf8')],
    ['package/other/valuesets.csv', Buffer.from(valueSetsCsv(snapshot), 'utf8')],
  ];
}

/** The release as a .tgz FHIR package: the same bytes for the same snapshot, always. */
export function buildPackage(snapshot: ReleaseSnapshot): Buffer {
  return writeTgz(packageFiles(snapshot), Math.floor(Date.parse(`${snapshot.date}T00:00:00Z`) / 1000));
}

/** The snapshot in a package, checked against the content hash the package announces. */
export async function readPackage(tgz: Buffer): Promise<ReleaseSnapshot> {
  const files = await readTgz(tgz).catch((e) => {
    throw invalid(`not a readable .tgz package: ${(e as Error).message}`);
  });
  const release = files.get('package/other/release.json');
  const manifest = files.get('package/package.json');
  if (!release || !manifest) throw invalid('not a Kodverk NIM release package: package/package.json or package/other/release.json is missing');
  let snapshot: ReleaseSnapshot;
  let pkg: any;
  try {
    snapshot = JSON.parse(release.toString('utf8'));
    pkg = JSON.parse(manifest.toString('utf8'));
  } catch (e) {
    throw invalid(`the package's JSON cannot be read: ${(e as Error).message}`);
  }
  if (snapshot.format !== SNAPSHOT_FORMAT) throw invalid(`unknown release format ${String(snapshot.format)} (expected ${SNAPSHOT_FORMAT})`);
  if (pkg.name !== PACKAGE_NAME || pkg.version !== snapshot.version) throw invalid(`package ${pkg.name}#${pkg.version} does not match its release ${snapshot.version}`);
  const announced = /innehåll (sha256:[0-9a-f]{64})/.exec(String(pkg.description))?.[1];
  if (announced !== contentHash(snapshot)) throw invalid('the release content does not match the content hash the package announces');
  return snapshot;
}
