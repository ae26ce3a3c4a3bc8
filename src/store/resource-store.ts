import type { Db } from './database';
import type { Statement } from 'better-sqlite3';
import { ConceptStore } from './concept-store';
import { LOCAL, Origin, SHIPPED } from './resource-origin';

/** The canonical resource types the store holds. */
export const CANONICAL_TYPES = ['CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem'] as const;
export type CanonicalType = (typeof CANONICAL_TYPES)[number];

export interface StoredResource {
  pk: number;
  resourceType: string;
  id: string;
  url?: string;
  version?: string;
  versionId: number;
  lastUpdated: string;
  resource: any;
  /** where it comes from (resource-origin.ts): null when this instance's operator put it here */
  origin: Origin;
}

/** A FHIR string search: case-insensitive "starts with" (plain), `:exact` or `:contains`. */
export interface TextMatch {
  value: string;
  match: 'starts' | 'exact' | 'contains';
}

/** One value, or any of several. */
export type OneOrMore = string | readonly string[];

export interface ResourceQuery {
  /** a list means any of them (a search's comma-separated values), also for id, status, content, supplements */
  url?: OneOrMore;
  version?: OneOrMore;
  /**
   * identifier token: `value`, `system|value`, `|value` (no system) or `system|` (any value). A
   * bare OID and its `urn:oid:` form find each other.
   */
  identifier?: string;
  name?: TextMatch;
  title?: TextMatch;
  status?: OneOrMore;
  publisher?: TextMatch;
  id?: OneOrMore;
  /** extra exact-match columns (e.g. content, supplements). */
  content?: OneOrMore;
  supplements?: OneOrMore;
}

export interface Page {
  count: number;
  offset: number;
}

interface Row {
  pk: number;
  resource_type: string;
  id: string;
  url: string | null;
  version: string | null;
  version_id: number;
  last_updated: string;
  json: string;
  origin: string | null;
}

function fromRow(r: Row): StoredResource {
  return {
    pk: r.pk,
    resourceType: r.resource_type,
    id: r.id,
    url: r.url ?? undefined,
    version: r.version ?? undefined,
    versionId: r.version_id,
    lastUpdated: r.last_updated,
    resource: JSON.parse(r.json),
    origin: r.origin ?? LOCAL,
  };
}

/** Identifiers a canonical resource is known by: Resource.identifier and NamingSystem.uniqueId. */
function identifiersOf(resource: any): { system?: string; value: string }[] {
  const out: { system?: string; value: string }[] = [];
  const ids = Array.isArray(resource.identifier) ? resource.identifier : resource.identifier ? [resource.identifier] : [];
  for (const i of ids) if (i && typeof i.value === 'string') out.push({ system: i.system, value: i.value });
  if (resource.resourceType === 'NamingSystem') {
    for (const u of resource.uniqueId ?? []) {
      if (typeof u.value !== 'string') continue;
      out.push({ system: u.type === 'oid' ? 'urn:ietf:rfc:3986' : undefined, value: u.type === 'oid' && !u.value.startsWith('urn:oid:') ? 'urn:oid:' + u.value : u.value });
    }
  }
  return out;
}

/** Lower case beyond ASCII, as FHIR string search wants (accents are kept: å is not a). */
function fold(s: string): string {
  return s.normalize('NFC').toLocaleLowerCase('sv');
}

/** An identifier value as searched: a bare OID also as urn:oid:, and the other way round. */
function oidForms(value: string): string[] {
  if (/^[0-2](\.(0|[1-9]\d*))+$/.test(value)) return [value, 'urn:oid:' + value];
  if (value.startsWith('urn:oid:')) return [value, value.slice('urn:oid:'.length)];
  return [value];
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/**
 * Every SQL statement about canonical resources. Nothing above the store knows the table names.
 */
export class ResourceStore {
  private readonly insertStmt: Statement;
  private readonly updateStmt: Statement;
  private readonly byIdStmt: Statement;
  private readonly deleteStmt: Statement;
  private readonly insertIdentifier: Statement;
  private readonly deleteIdentifiers: Statement;
  /** Bumped on every write so caches above the store know when to drop what they hold. */
  private generation = 0;

  constructor(private readonly db: Db) {
    db.function('kodverk_fold', { deterministic: true }, (v: unknown) => (typeof v === 'string' ? fold(v) : v));
    this.insertStmt = db.prepare(`INSERT INTO resource
      (resource_type, id, url, version, name, title, status, publisher, date, content, supplements, version_id, last_updated, json, origin)
      VALUES (@resourceType, @id, @url, @version, @name, @title, @status, @publisher, @date, @content, @supplements, @versionId, @lastUpdated, @json, @origin)`);
    this.updateStmt = db.prepare(`UPDATE resource SET url=@url, version=@version, name=@name, title=@title, status=@status,
      publisher=@publisher, date=@date, content=@content, supplements=@supplements, version_id=@versionId,
      last_updated=@lastUpdated, json=@json, origin=@origin WHERE pk=@pk`);
    this.byIdStmt = db.prepare('SELECT * FROM resource WHERE resource_type = ? AND id = ?');
    this.deleteStmt = db.prepare('DELETE FROM resource WHERE pk = ?');
    this.insertIdentifier = db.prepare('INSERT INTO resource_identifier (resource_pk, system, value) VALUES (?, ?, ?)');
    this.deleteIdentifiers = db.prepare('DELETE FROM resource_identifier WHERE resource_pk = ?');
  }

  /**
   * Changes whenever this store, or another connection to the same file (the CLI importing),
   * has written: caches above the store compare it to know when to drop what they hold.
   */
  /** The database itself, for stores of specialised tables (Snomed CT relationships, ...). */
  get database(): Db {
    return this.db;
  }

  /** The concept tables of the same database. */
  conceptStore(): ConceptStore {
    return (this.concepts ??= new ConceptStore(this.db));
  }
  private concepts?: ConceptStore;

  private dataVersion?: Statement;

  /** Read on every engine call: a prepared statement (db.pragma would prepare one each time). */
  get changeCounter(): string {
    this.dataVersion ??= this.db.prepare('PRAGMA data_version').pluck();
    return `${this.generation}:${this.dataVersion.get()}`;
  }

  /** Notes a change made outside this object (another process, e.g. the CLI importing). */
  touch(): void {
    this.generation++;
  }

  read(resourceType: string, id: string): StoredResource | undefined {
    const row = this.byIdStmt.get(resourceType, id) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  readByPk(pk: number): StoredResource | undefined {
    const row = this.db.prepare('SELECT * FROM resource WHERE pk = ?').get(pk) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /**
   * Creates or replaces the resource with this type and id, stamping meta.versionId and
   * meta.lastUpdated, and records where it now comes from (whoever writes it holds it). Returns the
   * stored form and whether it was created.
   */
  put(resource: any, origin: Origin = LOCAL): { stored: StoredResource; created: boolean } {
    const existing = this.byIdStmt.get(resource.resourceType, resource.id) as Row | undefined;
    const lastUpdated = new Date().toISOString();
    const versionId = existing ? existing.version_id + 1 : 1;
    const body = { ...resource, meta: { ...(resource.meta ?? {}), versionId: String(versionId), lastUpdated } };
    const cols = {
      resourceType: body.resourceType,
      id: body.id,
      url: body.url ?? null,
      version: body.version ?? null,
      name: body.name ?? null,
      title: body.title ?? null,
      status: body.status ?? null,
      publisher: body.publisher ?? null,
      date: body.date ?? null,
      content: body.resourceType === 'CodeSystem' ? body.content ?? null : null,
      supplements: body.resourceType === 'CodeSystem' ? body.supplements ?? null : null,
      versionId,
      lastUpdated,
      json: JSON.stringify(body),
      origin,
    };
    let pk: number;
    if (existing) {
      pk = existing.pk;
      this.updateStmt.run({ ...cols, pk });
      this.deleteIdentifiers.run(pk);
    } else {
      pk = Number(this.insertStmt.run(cols).lastInsertRowid);
    }
    for (const i of identifiersOf(body)) this.insertIdentifier.run(pk, i.system ?? null, i.value);
    this.generation++;
    return { stored: this.readByPk(pk)!, created: !existing };
  }

  /** Marks these resources as the shipped FHIR core terminology, where nothing else claims them. */
  markShipped(resources: { resourceType: string; id: string }[]): number {
    const mark = this.db.prepare('UPDATE resource SET origin = ? WHERE resource_type = ? AND id = ? AND origin IS NULL');
    return this.db.transaction(() => resources.reduce((n, r) => n + mark.run(SHIPPED, r.resourceType, r.id).changes, 0))();
  }

  delete(resourceType: string, id: string): boolean {
    const existing = this.byIdStmt.get(resourceType, id) as Row | undefined;
    if (!existing) return false;
    this.db.transaction(() => {
      // the concept rows go with the resource (foreign keys); the closure and text index have none
      this.db.prepare('DELETE FROM concept_text WHERE cs_pk = ?').run(existing.pk);
      this.db.prepare('DELETE FROM concept_closure WHERE descendant_pk IN (SELECT pk FROM concept WHERE cs_pk = ?)').run(existing.pk);
      this.deleteStmt.run(existing.pk);
    })();
    this.generation++;
    return true;
  }

  /** All stored versions of a canonical URL (any order). */
  byUrl(resourceType: string, url: string): StoredResource[] {
    return (this.db.prepare('SELECT * FROM resource WHERE resource_type = ? AND url = ?').all(resourceType, url) as Row[]).map(fromRow);
  }

  /** Code system supplements that declare they supplement this canonical (with or without |version). */
  supplementsOf(url: string): StoredResource[] {
    return (
      this.db
        .prepare(`SELECT * FROM resource WHERE resource_type = 'CodeSystem' AND (supplements = ? OR supplements LIKE ? ESCAPE '\\')`)
        .all(url, escapeLike(url) + '|%') as Row[]
    ).map(fromRow);
  }

  /**
   * Canonical URLs of resources carrying this identifier (e.g. urn:oid:1.2.752...): those that
   * carry it themselves first, then the code systems a NamingSystem (kind codesystem) declares
   * under it, by the NamingSystem's uri uniqueIds (the preferred one first).
   */
  urlsByIdentifier(value: string): { resourceType: string; url: string }[] {
    const rows = this.db
      .prepare(
        `SELECT resourceType, url FROM (
           SELECT DISTINCT 0 AS rank, 0 AS preferred, r.resource_type AS resourceType, r.url AS url FROM resource_identifier i
             JOIN resource r ON r.pk = i.resource_pk WHERE i.value = ? AND r.url IS NOT NULL
           UNION ALL
           SELECT 1, json_extract(u.value, '$.preferred') IS 1, 'CodeSystem', json_extract(u.value, '$.value')
             FROM resource_identifier i JOIN resource r ON r.pk = i.resource_pk, json_each(r.json, '$.uniqueId') u
             WHERE i.value = ? AND r.resource_type = 'NamingSystem' AND json_extract(r.json, '$.kind') = 'codesystem'
               AND json_extract(u.value, '$.type') = 'uri' AND json_type(u.value, '$.value') = 'text')
         ORDER BY rank, preferred DESC`,
      )
      .all(value, value) as { resourceType: string; url: string }[];
    const seen = new Set<string>();
    return rows.filter((r) => !seen.has(`${r.resourceType} ${r.url}`) && !!seen.add(`${r.resourceType} ${r.url}`));
  }

  private where(resourceType: string, q: ResourceQuery): { sql: string; args: unknown[] } {
    const clauses = ['r.resource_type = ?'];
    const args: unknown[] = [resourceType];
    const eq = (col: string, v: OneOrMore | undefined) => {
      if (v === undefined) return;
      const values = typeof v === 'string' ? [v] : v;
      clauses.push(values.length === 1 ? `r.${col} = ?` : `r.${col} IN (${values.map(() => '?').join(', ')})`);
      args.push(...values);
    };
    const text = (col: string, m: TextMatch | undefined) => {
      if (m === undefined) return;
      if (m.match === 'exact') return eq(col, m.value);
      // case-insensitive beyond ASCII (Å, Ä, Ö), through the fold() function of this connection
      clauses.push(`kodverk_fold(r.${col}) LIKE ? ESCAPE '\\'`);
      const v = escapeLike(fold(m.value));
      args.push(m.match === 'contains' ? `%${v}%` : `${v}%`);
    };
    eq('url', q.url);
    eq('version', q.version);
    eq('id', q.id);
    eq('status', q.status);
    eq('content', q.content);
    eq('supplements', q.supplements);
    text('name', q.name);
    text('title', q.title);
    text('publisher', q.publisher);
    if (q.identifier !== undefined) {
      const bar = q.identifier.indexOf('|');
      const system = bar < 0 ? undefined : q.identifier.slice(0, bar);
      const value = bar < 0 ? q.identifier : q.identifier.slice(bar + 1);
      const conds: string[] = [];
      if (value !== '') {
        const values = oidForms(value);
        conds.push(`value IN (${values.map(() => '?').join(', ')})`);
        args.push(...values);
      }
      if (system === '') conds.push('system IS NULL');
      else if (system !== undefined) {
        conds.push('system = ?');
        args.push(system);
      }
      clauses.push(`r.pk IN (SELECT resource_pk FROM resource_identifier WHERE ${conds.join(' AND ') || '1'})`);
    }
    return { sql: clauses.join(' AND '), args };
  }

  count(resourceType: string, q: ResourceQuery): number {
    const w = this.where(resourceType, q);
    return (this.db.prepare(`SELECT count(*) AS n FROM resource r WHERE ${w.sql}`).get(...w.args) as { n: number }).n;
  }

  search(resourceType: string, q: ResourceQuery, page: Page): StoredResource[] {
    const w = this.where(resourceType, q);
    const rows = this.db
      .prepare(`SELECT r.* FROM resource r WHERE ${w.sql} ORDER BY r.url, r.version, r.id LIMIT ? OFFSET ?`)
      .all(...w.args, page.count, page.offset) as Row[];
    return rows.map(fromRow);
  }

  /** Every stored resource of a type, for metadata such as TerminologyCapabilities. */
  summaries(resourceType: string): { id: string; url?: string; version?: string; content?: string; supplements?: string }[] {
    return (
      this.db
        .prepare('SELECT id, url, version, content, supplements FROM resource WHERE resource_type = ? ORDER BY url, version')
        .all(resourceType) as any[]
    ).map((r) => ({ id: r.id, url: r.url ?? undefined, version: r.version ?? undefined, content: r.content ?? undefined, supplements: r.supplements ?? undefined }));
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM store_meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
