import { jsonFile, writeTgz } from '../importers/npm-package';
import { FHIR_VERSION } from '../version';

/**
 * One canonical resource (a code-system, value-set or concept-map version, a naming system) as a
 * FHIR NPM package: package/package.json, package/.index.json and the resource. The package is a
 * pure function of the resource, so building it again gives the same bytes and sha256.
 */

/** The identity of a resource as a syndication content item (the IG's FHIR alignment). */
export interface ResourceIdentity {
  /** ncts:contentItemIdentifier: Resource.url (a naming system: its preferred unique id) */
  identifier: string;
  /** the version part: Resource.version (a naming system: its date) */
  version: string;
  /** ncts:contentItemVersion: identifier|version */
  contentItemVersion: string;
}

/** A NamingSystem's identifier: its preferred unique id as a URI (an OID as urn:oid:). */
function namingSystemIdentifier(ns: any): string | undefined {
  const ids: any[] = Array.isArray(ns.uniqueId) ? ns.uniqueId : [];
  const pick = ids.find((u) => u.preferred) ?? ids.find((u) => u.type === 'uri') ?? ids.find((u) => u.type === 'oid') ?? ids[0];
  if (!pick || typeof pick.value !== 'string') return undefined;
  return pick.type === 'oid' && !pick.value.startsWith('urn:oid:') ? `urn:oid:${pick.value}` : pick.value;
}

/**
 * What a resource is known by in the feed, or undefined when it has no version to tell one
 * release from the next (such a resource is not syndicated: a follower could never tell whether
 * it holds the latest).
 */
export function resourceIdentity(resource: any): ResourceIdentity | undefined {
  const identifier = resource.resourceType === 'NamingSystem' ? namingSystemIdentifier(resource) : resource.url;
  const version = resource.resourceType === 'NamingSystem' ? resource.date : resource.version;
  if (typeof identifier !== 'string' || !identifier || typeof version !== 'string' || !version) return undefined;
  return { identifier, version, contentItemVersion: `${identifier}|${version}` };
}

/** The resource as published: without what the server stamps on it (meta.versionId, lastUpdated). */
export function publishedForm(resource: any): any {
  const { meta, ...rest } = resource;
  if (!meta) return rest;
  const { versionId: _v, lastUpdated: _l, ...keep } = meta;
  return Object.keys(keep).length ? { ...rest, meta: keep } : rest;
}

const safe = (s: string) => s.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';

/** The npm name of a resource's package: kodverk.<type>.<id>, lower case. */
export function packageName(resource: any): string {
  return `kodverk.${safe(resource.resourceType)}.${safe(resource.id)}`.slice(0, 214);
}

export interface BuiltPackage {
  name: string;
  version: string;
  fileName: string;
  bytes: Buffer;
}

/** The resource's package; every tar entry dated by the resource's date (0 when it has none). */
export function resourcePackage(stored: any, identity: ResourceIdentity): BuiltPackage {
  const resource = publishedForm(stored);
  const name = packageName(resource);
  const version = identity.version;
  const file = `${resource.resourceType}-${resource.id}.json`;
  const manifest = {
    name,
    version,
    ...(resource.title || resource.name ? { title: resource.title ?? resource.name } : {}),
    description: `${resource.resourceType} ${identity.contentItemVersion}`,
    ...(resource.url ? { canonical: resource.url } : {}),
    fhirVersions: [FHIR_VERSION],
    type: 'Conformance',
    ...(resource.publisher ? { author: resource.publisher } : {}),
    dependencies: { 'hl7.fhir.r4.core': FHIR_VERSION },
  };
  const index = {
    'index-version': 1,
    files: [{ filename: file, resourceType: resource.resourceType, id: resource.id, ...(resource.url ? { url: resource.url } : {}), ...(resource.version ? { version: resource.version } : {}) }],
  };
  const date = Date.parse(typeof resource.date === 'string' ? resource.date : '');
  const mtime = Number.isFinite(date) && date > 0 ? Math.floor(date / 1000) : 0;
  const bytes = writeTgz(
    [
      ['package/package.json', jsonFile(manifest)],
      ['package/.index.json', jsonFile(index)],
      [`package/${file}`, jsonFile(resource)],
    ],
    mtime,
  );
  return { name, version, fileName: `${name}-${safe(version)}.tgz`, bytes };
}
