import zlib from 'node:zlib';
import * as tar from 'tar';
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
 * The package is a pure function of the snapshot and byte-identical on every build: entries in
 * sorted order, fixed modes and owners, every mtime the release's date, and gzip without a
 * timestamp. The tar is written here (plain ustar) rather than through node-tar's Pack, which
 * reads files from disk with their own modes and times; node-tar reads packages back.
 */

export const PACKAGE_NAME = 'se.kodverk.nim';
const FILE_NAME = /^[A-Za-z0-9._-]+$/;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value, null, 2) + '\n', 'utf8');
}

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
    ['package/package.json', json(manifest)],
    ['package/.index.json', json(index)],
    ...res.map(({ file, resource }): [string, Buffer] => [`package/${file}`, json(resource)]),
    ['package/other/release.json', Buffer.from(canonicalJson(snapshot), 'utf8')],
    ['package/other/valuesets.csv', Buffer.from(valueSetsCsv(snapshot), 'utf8')],
  ];
}

// ---- a deterministic ustar writer ----

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(path: string, size: number, mtime: number): Buffer {
  const h = Buffer.alloc(512);
  let name = path;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf('/', 155);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`path too long for a tar entry: ${path}`);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(0o644, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(mtime, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** The release as a .tgz FHIR package: the same bytes for the same snapshot, always. */
export function buildPackage(snapshot: ReleaseSnapshot): Buffer {
  const mtime = Math.floor(Date.parse(`${snapshot.date}T00:00:00Z`) / 1000);
  const blocks: Buffer[] = [];
  for (const [path, data] of packageFiles(snapshot)) {
    blocks.push(tarHeader(path, data.length, mtime), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return zlib.gzipSync(Buffer.concat(blocks), { level: 9 });
}

/** The snapshot in a package, checked against the content hash the package announces. */
export async function readPackage(tgz: Buffer): Promise<ReleaseSnapshot> {
  const files = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    const parser = new tar.Parser({
      onReadEntry: (entry) => {
        const chunks: Buffer[] = [];
        entry.on('data', (c: Buffer) => chunks.push(c));
        entry.on('end', () => files.set(entry.path.replace(/^\.\//, ''), Buffer.concat(chunks)));
      },
    });
    parser.on('error', reject);
    parser.on('close', () => resolve());
    parser.on('end', () => resolve());
    parser.end(tgz);
  }).catch((e) => {
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
