import type { Db } from './database';

export type ItemOrigin = 'resource' | 'rf2' | 'nim-release' | 'mirror';

/** The artefact behind an entry: where to download it and how to check it. */
export interface ItemArtefact {
  mediaType: string;
  fileName: string;
  sha256: string;
  length: number;
}

/** The metadata of the feed a mirrored entry was taken from (Atom `source`). */
export interface ItemSource {
  id: string;
  title?: string;
  updated?: string;
  link?: string;
}

/** One content item of the syndication catalogue (a feed entry). */
export interface SyndicationItem {
  contentItemVersion: string;
  contentItemIdentifier: string;
  /** NCTS ASF category term */
  category: string;
  entryId: string;
  title: string;
  summary?: string;
  rights?: string;
  author?: string;
  published?: string;
  updated: string;
  fhirVersion?: string;
  /** absent on a retraction */
  artefact?: ItemArtefact;
  permissions: string[];
  dependencies: string[];
  /** canonicals the content refers to (code systems, value sets), from which dependencies are found */
  references?: string[];
  /** categories of other schemes, e.g. a NIM release's lifecycle state */
  extraCategories: { scheme: string; term: string; label?: string }[];
  origin: ItemOrigin;
  originKey?: string;
  source?: ItemSource;
}

interface Row {
  content_item_version: string;
  content_item_identifier: string;
  category: string;
  entry_id: string;
  title: string;
  summary: string | null;
  rights: string | null;
  author: string | null;
  published: string | null;
  updated: string;
  fhir_version: string | null;
  media_type: string | null;
  file_name: string | null;
  sha256: string | null;
  length: number | null;
  permissions: string | null;
  dependencies: string | null;
  extra: string | null;
  origin: ItemOrigin;
  origin_key: string | null;
  source: string | null;
}

const nonEmpty = (a: unknown[]) => (a.length ? JSON.stringify(a) : null);

/** Optional text fields and their columns. */
const OPTIONAL = { summary: 'summary', rights: 'rights', author: 'author', published: 'published', fhirVersion: 'fhir_version', originKey: 'origin_key' } as const;

function fromRow(r: Row): SyndicationItem {
  const extra = r.extra ? JSON.parse(r.extra) : {};
  const item: SyndicationItem = {
    contentItemVersion: r.content_item_version,
    contentItemIdentifier: r.content_item_identifier,
    category: r.category,
    entryId: r.entry_id,
    title: r.title,
    updated: r.updated,
    artefact: r.sha256 && r.media_type && r.file_name && r.length !== null ? { mediaType: r.media_type, fileName: r.file_name, sha256: r.sha256, length: r.length } : undefined,
    permissions: r.permissions ? JSON.parse(r.permissions) : [],
    dependencies: r.dependencies ? JSON.parse(r.dependencies) : [],
    extraCategories: extra.categories ?? [],
    references: extra.references,
    origin: r.origin,
    source: r.source ? JSON.parse(r.source) : undefined,
  };
  for (const [field, column] of Object.entries(OPTIONAL)) if (r[column] !== null) (item as any)[field] = r[column];
  return item;
}

function toRow(item: SyndicationItem): Row {
  const a = item.artefact;
  const row = {
    content_item_version: item.contentItemVersion,
    content_item_identifier: item.contentItemIdentifier,
    category: item.category,
    entry_id: item.entryId,
    title: item.title,
    updated: item.updated,
    media_type: a?.mediaType ?? null,
    file_name: a?.fileName ?? null,
    sha256: a?.sha256 ?? null,
    length: a?.length ?? null,
    permissions: nonEmpty(item.permissions),
    dependencies: nonEmpty(item.dependencies),
    extra: item.extraCategories.length || item.references?.length ? JSON.stringify({ categories: item.extraCategories, references: item.references }) : null,
    origin: item.origin,
    source: item.source ? JSON.stringify(item.source) : null,
  } as Row;
  for (const [field, column] of Object.entries(OPTIONAL)) (row as any)[column] = (item as any)[field] ?? null;
  return row;
}

const COLUMNS = ['content_item_version', 'content_item_identifier', 'category', 'entry_id', 'title', 'summary', 'rights', 'author', 'published', 'updated', 'fhir_version', 'media_type', 'file_name', 'sha256', 'length', 'permissions', 'dependencies', 'extra', 'origin', 'origin_key', 'source'];

/** Every SQL statement about the syndication catalogue (table syndication_item). */
export class SyndicationStore {
  constructor(private readonly db: Db) {}

  all(): SyndicationItem[] {
    return (this.db.prepare('SELECT * FROM syndication_item ORDER BY content_item_identifier, pk').all() as Row[]).map(fromRow);
  }

  get(contentItemVersion: string): SyndicationItem | undefined {
    const row = this.db.prepare('SELECT * FROM syndication_item WHERE content_item_version = ?').get(contentItemVersion) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** The item whose artefact has this sha256 (for downloads). */
  bySha256(sha256: string): SyndicationItem[] {
    return (this.db.prepare('SELECT * FROM syndication_item WHERE sha256 = ?').all(sha256) as Row[]).map(fromRow);
  }

  /** The items made from this origin (an RF2 release's items by the sha256 of the files imported). */
  byOrigin(origin: ItemOrigin, originKey: string): SyndicationItem[] {
    return (this.db.prepare('SELECT * FROM syndication_item WHERE origin = ? AND origin_key = ?').all(origin, originKey) as Row[]).map(fromRow);
  }

  /** Creates or replaces the item of its content item version. */
  put(item: SyndicationItem): void {
    this.db
      .prepare(
        `INSERT INTO syndication_item (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => '@' + c).join(', ')})
         ON CONFLICT (content_item_version) DO UPDATE SET ${COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(', ')}`,
      )
      .run(toRow(item));
  }

  remove(contentItemVersion: string): void {
    this.db.prepare('DELETE FROM syndication_item WHERE content_item_version = ?').run(contentItemVersion);
  }

  /**
   * A cheap token that changes whenever what the catalogue is built from does: the stored
   * resources (written, updated, removed) and the NIM releases (snapshots, lifecycle events).
   */
  sourceSignature(): string {
    const r = this.db.prepare('SELECT count(*) AS n, max(pk) AS p, total(version_id) AS v, max(last_updated) AS u FROM resource').get() as Record<string, unknown>;
    const e = this.db.prepare('SELECT count(*) AS n, max(pk) AS p FROM nim_release_event').get() as Record<string, unknown>;
    const s = this.db.prepare("SELECT group_concat(version || ':' || status || ':' || coalesce(content_hash, ''), ',') AS s FROM nim_release").get() as Record<string, unknown>;
    return JSON.stringify([r, e, s]);
  }

  /** Type, id, url, version and store version of every resource of the types (no JSON read). */
  resourceHeads(types: string[]): { resourceType: string; id: string; url?: string; version?: string; versionId: number }[] {
    const marks = types.map(() => '?').join(', ');
    return (this.db.prepare(`SELECT resource_type, id, url, version, version_id FROM resource WHERE resource_type IN (${marks}) ORDER BY pk`).all(...types) as any[]).map((r) => ({
      resourceType: r.resource_type,
      id: r.id,
      url: r.url ?? undefined,
      version: r.version ?? undefined,
      versionId: r.version_id,
    }));
  }

  /** A cheap token that changes whenever the catalogue does (feed caches compare it). */
  signature(): string {
    const r = this.db.prepare('SELECT count(*) AS n, max(updated) AS u, max(pk) AS p, total(length) AS l FROM syndication_item').get() as { n: number; u: string | null; p: number | null; l: number };
    return `${r.n}:${r.u ?? ''}:${r.p ?? 0}:${r.l}`;
  }
}
