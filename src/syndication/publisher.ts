import crypto from 'node:crypto';
import type { Db } from '../store/database';
import type { ResourceStore, StoredResource } from '../store/resource-store';
import { ArtefactStore } from '../store/artefact-store';
import { ItemArtefact, SyndicationItem, SyndicationStore } from '../store/syndication-store';
import type { Nim } from '../nim';
import type { NimReleaseRow } from '../store/nim-store';
import { PACKAGE_NAME as NIM_PACKAGE, buildPackage } from '../nim/release-package';
import type { ReleaseSnapshot } from '../nim/release-snapshot';
import { fhirCoreResources } from '../importers/fhir-core';
import { PLACEHOLDER_TAG, isPlaceholder } from '../importers/loader';
import { FHIR_VERSION } from '../version';
import { MEDIA_TYPES, NIM_STATUS_SCHEME, isRetraction, retractionTerm } from './asf';
import { ResourceIdentity, publishedForm, resourceIdentity, resourcePackage } from './packages';

/** What may be published, and to whom (README "Scale out"). */
export interface PublishRules {
  /** FHIR R4 core terminology, which every Kodverk loads itself, is left out unless this is set */
  includeFhirCore: boolean;
  /** a content item whose identifier starts with `prefix` needs the permission `code` */
  permissions: { prefix: string; code: string }[];
  /** content items whose identifier starts with one of these are never published */
  exclude: string[];
}

export interface RefreshSummary {
  built: number;
  unchanged: number;
  retracted: number;
  removed: number;
  /** resources left out because they have no version (url and version identify a content item) */
  unversioned: number;
}

/** A content-pack placeholder (loader.ts) says so in the feed, as it does in the store. */
const PLACEHOLDER_CATEGORY = { scheme: PLACEHOLDER_TAG.system, term: PLACEHOLDER_TAG.code, label: PLACEHOLDER_TAG.display };

const TYPES = ['CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem'];
const SNOMED = 'http://snomed.info/sct';
/** A NIM release package's content item identifier (releases are npm packages of the name). */
export const NIM_RELEASE_IDENTIFIER = NIM_PACKAGE;

/** A name-based UUID (RFC 4122 version 5 over SHA-1): the same name always gives the same id. */
export function nameUuid(name: string): string {
  const h = crypto.createHash('sha1').update('kodverk-syndication\0').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `urn:uuid:${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A FHIR date or dateTime as an RFC 3339 date-time (Atom's dates). */
export function rfc3339(date: unknown): string | undefined {
  if (typeof date !== 'string') return undefined;
  const m = /^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$/.exec(date);
  if (m) return `${m[1]}-${m[2] ?? '01'}-${m[3] ?? '01'}T00:00:00Z`;
  return Number.isFinite(Date.parse(date)) && /T\d{2}:\d{2}/.test(date) ? date : undefined;
}

const short = (text: unknown, max = 400): string | undefined => {
  if (typeof text !== 'string' || !text.trim()) return undefined;
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? t.slice(0, max - 1).replace(/\s+\S*$/, '') + ' …' : t;
};

/** The canonicals a value set or concept map needs (code systems, imported value sets). */
function referencesOf(r: any): string[] {
  const out: string[] = [];
  const withVersion = (url: unknown, version: unknown) => (typeof url === 'string' ? (typeof version === 'string' && version ? `${url}|${version}` : url) : undefined);
  if (r.resourceType === 'ValueSet') {
    for (const part of [...(r.compose?.include ?? []), ...(r.compose?.exclude ?? [])]) {
      const s = withVersion(part.system, part.version);
      if (s) out.push(s);
      for (const vs of part.valueSet ?? []) if (typeof vs === 'string') out.push(vs);
    }
  } else if (r.resourceType === 'ConceptMap') {
    for (const g of r.group ?? []) {
      const s = withVersion(g.source, g.sourceVersion);
      const t = withVersion(g.target, g.targetVersion);
      if (s) out.push(s);
      if (t) out.push(t);
    }
  } else if (r.resourceType === 'CodeSystem' && typeof r.supplements === 'string') {
    out.push(r.supplements);
  }
  return out;
}

/**
 * The syndication publisher: keeps the catalogue (table syndication_item) in step with what the
 * store holds — a FHIR NPM package for every code-system, value-set, concept-map and naming-system
 * version, every NIM release package from påseende on, the RF2 archives recorded at import — and
 * builds each artefact once, stored under its sha256. What disappeared from the store is
 * announced as a retraction. A follower publishes what it took in instead (`mirrorOnly`).
 */
export class SyndicationPublisher {
  readonly items: SyndicationStore;
  private lastSignature?: string;
  private core?: Map<string, string>;

  constructor(
    private readonly db: Db,
    private readonly store: ResourceStore,
    private readonly nim: Nim,
    readonly artefacts: ArtefactStore,
    private readonly rules: PublishRules,
    private readonly options: { mirrorOnly?: boolean; now?: () => string } = {},
  ) {
    this.items = new SyndicationStore(db);
  }

  private now(): string {
    return this.options.now?.() ?? new Date().toISOString();
  }

  /** The permission codes an item with this identifier needs under the configured rules. */
  permissionsFor(identifier: string, own: string[] = []): string[] {
    const codes = new Set(own);
    for (const rule of this.rules.permissions) if (identifier.startsWith(rule.prefix)) codes.add(rule.code);
    return [...codes].sort();
  }

  excluded(identifier: string): boolean {
    return this.rules.exclude.some((p) => identifier.startsWith(p));
  }

  /** Brings the catalogue up to date when the store changed since the last time; cheap otherwise. */
  refreshIfChanged(): RefreshSummary | undefined {
    const signature = this.items.sourceSignature();
    if (signature === this.lastSignature) return undefined;
    const summary = this.refresh();
    this.lastSignature = signature;
    return summary;
  }

  /** Brings the catalogue up to date with the store (one transaction). */
  refresh(): RefreshSummary {
    const summary: RefreshSummary = { built: 0, unchanged: 0, retracted: 0, removed: 0, unversioned: 0 };
    this.db.transaction(() => {
      const existing = new Map(this.items.all().map((i) => [i.contentItemVersion, i]));
      const seen = new Set<string>();
      if (!this.options.mirrorOnly) {
        this.refreshResources(existing, seen, summary);
        this.refreshReleases(existing, seen, summary);
        this.refreshRf2(existing, seen, summary);
      }
      this.refreshPermissions(seen);
      this.linkDependencies();
    })();
    return summary;
  }

  // ---- resources ----

  /** The FHIR core resources as shipped (type|url|version → JSON), to leave out unchanged ones. */
  private coreResources(): Map<string, string> {
    return (this.core ??= new Map(fhirCoreResources().map((r) => [`${r.resourceType}|${r.url}|${r.version}`, JSON.stringify(publishedForm(r))])));
  }

  private isCore(r: StoredResource): boolean {
    const shipped = this.coreResources().get(`${r.resourceType}|${r.url}|${r.version}`);
    return shipped !== undefined && shipped === JSON.stringify(publishedForm(r.resource));
  }

  private refreshResources(existing: Map<string, SyndicationItem>, seen: Set<string>, summary: RefreshSummary): void {
    const byKey = new Map([...existing.values()].filter((i) => i.origin === 'resource' && !isRetraction(i.category)).map((i) => [i.originKey, i]));
    // content item versions the store holds but does not publish (core, excluded): never retracted
    const heldQuietly = new Set<string>();
    for (const head of this.items.resourceHeads(TYPES)) {
      const key = `${head.resourceType}/${head.id}/${head.versionId}`;
      // Snomed CT is published as the RF2 release it was imported from, never as a FHIR stub
      if (head.resourceType === 'CodeSystem' && head.url === SNOMED) continue;
      const known = byKey.get(key);
      if (known && this.artefacts.has(known.artefact?.sha256 ?? '') && !this.excluded(known.contentItemIdentifier)) {
        seen.add(known.contentItemVersion);
        summary.unchanged++;
        continue;
      }
      const stored = this.store.read(head.resourceType, head.id);
      const identity = stored && resourceIdentity(stored.resource);
      if (!stored || !identity) {
        summary.unversioned += stored ? 1 : 0;
        continue;
      }
      if (this.excluded(identity.identifier) || (!this.rules.includeFhirCore && this.isCore(stored)) || seen.has(identity.contentItemVersion)) {
        heldQuietly.add(identity.contentItemVersion);
        continue;
      }
      seen.add(identity.contentItemVersion);
      this.items.put(this.resourceItem(stored, identity, key, existing.get(identity.contentItemVersion)));
      summary.built++;
    }
    for (const item of existing.values()) {
      if (item.origin !== 'resource' || seen.has(item.contentItemVersion)) continue;
      if (isRetraction(item.category)) {
        seen.add(item.contentItemVersion);
        continue;
      }
      const term = retractionTerm(item.originKey?.split('/')[0] ?? '');
      if (heldQuietly.has(item.contentItemVersion) || !term) {
        // still held, just no longer published (the rules changed): left out, not withdrawn
        this.items.remove(item.contentItemVersion);
        summary.removed++;
        continue;
      }
      // gone from the store: a retraction, so followers remove it too
      seen.add(item.contentItemVersion);
      this.items.put({ ...item, category: term, artefact: undefined, updated: this.now(), dependencies: [], references: [], extraCategories: [] });
      summary.retracted++;
    }
  }

  private resourceItem(stored: StoredResource, identity: ResourceIdentity, key: string, previous: SyndicationItem | undefined): SyndicationItem {
    const built = resourcePackage(stored.resource, identity);
    const ref = this.artefacts.putBuffer(built.bytes);
    const r = stored.resource;
    return {
      contentItemVersion: identity.contentItemVersion,
      contentItemIdentifier: identity.identifier,
      category: 'FHIR_Package',
      entryId: nameUuid(identity.contentItemVersion),
      title: r.title ?? r.name ?? identity.contentItemVersion,
      summary: short(r.description) ?? `${r.resourceType} ${identity.contentItemVersion}`,
      rights: short(r.copyright, 2000),
      author: typeof r.publisher === 'string' ? r.publisher : undefined,
      published: rfc3339(r.date),
      // the entry changes when its artefact does (a rebuild of the same content keeps the date)
      updated: previous?.artefact?.sha256 === ref.sha256 && !isRetraction(previous.category) ? previous.updated : this.now(),
      fhirVersion: FHIR_VERSION,
      artefact: { mediaType: MEDIA_TYPES.tgz, fileName: built.fileName, ...ref },
      permissions: [],
      dependencies: [],
      references: referencesOf(r),
      extraCategories: isPlaceholder(r) ? [PLACEHOLDER_CATEGORY] : [],
      origin: 'resource',
      originKey: key,
    };
  }

  // ---- NIM releases ----

  private refreshReleases(existing: Map<string, SyndicationItem>, seen: Set<string>, summary: RefreshSummary): void {
    const events = this.nim.store.events(10_000);
    for (const release of this.nim.releases.list()) {
      if (release.status === 'utkast' || !release.snapshot) continue;
      const civ = `${NIM_RELEASE_IDENTIFIER}#${release.version}`;
      if (this.excluded(NIM_RELEASE_IDENTIFIER)) continue;
      seen.add(civ);
      const key = `${release.version}/${release.contentHash ?? ''}/${release.status}`;
      const previous = existing.get(civ);
      if (previous?.originKey === key && this.artefacts.has(previous.artefact?.sha256 ?? '')) {
        summary.unchanged++;
        continue;
      }
      const snapshot = JSON.parse(release.snapshot) as ReleaseSnapshot;
      const ref = this.artefacts.putBuffer(buildPackage(snapshot));
      const lastEvent = events.find((e) => e.release === release.version);
      this.items.put(this.releaseItem(release, snapshot, civ, key, { mediaType: MEDIA_TYPES.tgz, fileName: `${NIM_PACKAGE}-${release.version}.tgz`, ...ref }, lastEvent?.at ?? release.updatedAt));
      summary.built++;
    }
    for (const item of existing.values()) {
      if (item.origin === 'nim-release' && !seen.has(item.contentItemVersion)) {
        this.items.remove(item.contentItemVersion);
        summary.removed++;
      }
    }
  }

  private releaseItem(release: NimReleaseRow, snapshot: ReleaseSnapshot, civ: string, key: string, artefact: ItemArtefact, updated: string): SyndicationItem {
    const deps = [...snapshot.valueSets.map((v) => v.key), ...snapshot.codeSystems.map((c) => (c.version ? `${c.url}|${c.version}` : c.url))];
    return {
      contentItemVersion: civ,
      contentItemIdentifier: NIM_RELEASE_IDENTIFIER,
      category: 'FHIR_Package',
      entryId: nameUuid(civ),
      title: `${release.title} ${release.version}`,
      summary: `NIM-release ${release.version} (${release.status})${release.effectiveFrom ? `, gäller från ${release.effectiveFrom}` : ''}: ${snapshot.nims.length} informationsmängder, ${snapshot.valueSets.length} bundna värdemängder; innehåll ${release.contentHash ?? ''}`,
      author: 'Kodverk',
      published: rfc3339(snapshot.date),
      updated,
      fhirVersion: FHIR_VERSION,
      artefact,
      permissions: [],
      dependencies: [],
      references: [...new Set(deps)],
      extraCategories: [{ scheme: NIM_STATUS_SCHEME, term: release.status }],
      origin: 'nim-release',
      originKey: key,
    };
  }

  // ---- Snomed CT releases (recorded by the RF2 import) ----

  private refreshRf2(existing: Map<string, SyndicationItem>, seen: Set<string>, summary: RefreshSummary): void {
    const held = new Set(this.store.byUrl('CodeSystem', SNOMED).map((r) => r.version));
    for (const item of existing.values()) {
      if (item.origin !== 'rf2') continue;
      if (held.has(item.contentItemVersion) && !this.excluded(item.contentItemIdentifier)) {
        seen.add(item.contentItemVersion);
        summary.unchanged++;
      } else {
        this.items.remove(item.contentItemVersion);
        summary.removed++;
      }
    }
  }

  // ---- across items ----

  private refreshPermissions(seen: Set<string>): void {
    for (const item of this.items.all()) {
      if (!seen.has(item.contentItemVersion) && item.origin !== 'mirror') continue;
      const own = item.origin === 'mirror' ? (item.source ? item.permissions : []) : [];
      const wanted = this.permissionsFor(item.contentItemIdentifier, own);
      if (wanted.join(' ') !== item.permissions.join(' ')) this.items.put({ ...item, permissions: wanted });
    }
  }

  /** Dependencies as contentItemVersions of this catalogue: a bare url means every version held. */
  private linkDependencies(): void {
    const all = this.items.all().filter((i) => !isRetraction(i.category));
    const byVersion = new Set(all.map((i) => i.contentItemVersion));
    const byIdentifier = new Map<string, string[]>();
    for (const i of all) byIdentifier.set(i.contentItemIdentifier, [...(byIdentifier.get(i.contentItemIdentifier) ?? []), i.contentItemVersion]);
    for (const item of all) {
      if (item.origin === 'mirror') continue;
      const linked = new Set<string>();
      for (const d of item.references ?? []) {
        if (byVersion.has(d)) linked.add(d);
        else for (const v of byIdentifier.get(d.split('|')[0]) ?? []) if (!d.includes('|')) linked.add(v);
      }
      linked.delete(item.contentItemVersion);
      const deps = [...linked].sort();
      if (deps.join(' ') !== item.dependencies.join(' ')) this.items.put({ ...item, dependencies: deps });
    }
  }
}
