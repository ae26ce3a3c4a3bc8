import type { Statement } from 'better-sqlite3';
import type { Db } from './database';
import { LOCAL, Origin } from './resource-origin';

/** Every SQL statement about NIM versions, releases, their codes, comments and events. */

export type NimStatus = 'utkast' | 'paseende' | 'faststalld' | 'upphavd';

export interface NimModelRow {
  pk: number;
  name: string;
  version: string;
  url: string;
  resourceId: string;
  title: string;
  status: NimStatus;
  effectiveFrom?: string;
  effectiveTo?: string;
  versionId: number;
  updatedAt: string;
  /** the StructureDefinition */
  resource: any;
}

export interface NimReleaseRow {
  pk: number;
  version: string;
  title: string;
  status: NimStatus;
  effectiveFrom?: string;
  effectiveTo?: string;
  contentHash?: string;
  /** canonical JSON of the release's content (from paseende on) */
  snapshot?: string;
  createdAt: string;
  updatedAt: string;
  /** where it comes from (resource-origin.ts): null when made here, a feed's when mirrored */
  origin: Origin;
}

export interface ReleaseCodeRow {
  valueSet: string;
  system: string;
  code: string;
  display?: string;
  inactive: boolean;
}

export interface NimCommentRow {
  pk: number;
  nim?: string;
  attribute?: string;
  organisation?: string;
  text: string;
  createdAt: string;
}

/** What an event of a release records: a lifecycle step, or a refresh of its content on påseende. */
export type NimEventKind = NimStatus | 'uppdaterad';

export interface NimEventRow {
  pk: number;
  release: string;
  at: string;
  status: NimEventKind;
  note?: any;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

function modelFrom(r: any): NimModelRow {
  return {
    pk: r.pk,
    name: r.name,
    version: r.version,
    url: r.url,
    resourceId: r.resource_id,
    title: r.title,
    status: r.status,
    effectiveFrom: opt(r.effective_from),
    effectiveTo: opt(r.effective_to),
    versionId: r.version_id,
    updatedAt: r.updated_at,
    resource: JSON.parse(r.json),
  };
}

function releaseFrom(r: any): NimReleaseRow {
  return {
    pk: r.pk,
    version: r.version,
    title: r.title,
    status: r.status,
    effectiveFrom: opt(r.effective_from),
    effectiveTo: opt(r.effective_to),
    contentHash: opt(r.content_hash),
    snapshot: opt(r.snapshot),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    origin: r.origin ?? LOCAL,
  };
}

export class NimStore {
  constructor(private readonly db: Db) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- NIM versions ----

  /** Writes a NIM version (insert, or replace the row with the same name and version). */
  saveModel(m: Omit<NimModelRow, 'pk' | 'versionId' | 'updatedAt'>, previousVersion?: string): NimModelRow {
    const now = new Date().toISOString();
    const existing = this.db.prepare('SELECT pk, version_id FROM nim_model WHERE name = ? AND version = ?').get(m.name, previousVersion ?? m.version) as { pk: number; version_id: number } | undefined;
    const cols = [m.name, m.version, m.url, m.resourceId, m.title, m.status, m.effectiveFrom ?? null, m.effectiveTo ?? null, now, JSON.stringify(m.resource)];
    if (existing) {
      this.db
        .prepare('UPDATE nim_model SET name=?, version=?, url=?, resource_id=?, title=?, status=?, effective_from=?, effective_to=?, updated_at=?, json=?, version_id=version_id+1 WHERE pk=?')
        .run(...cols, existing.pk);
      return this.modelByPk(existing.pk)!;
    }
    const pk = Number(
      this.db.prepare('INSERT INTO nim_model (name, version, url, resource_id, title, status, effective_from, effective_to, updated_at, json) VALUES (?,?,?,?,?,?,?,?,?,?)').run(...cols).lastInsertRowid,
    );
    return this.modelByPk(pk)!;
  }

  modelByPk(pk: number): NimModelRow | undefined {
    const r = this.db.prepare('SELECT * FROM nim_model WHERE pk = ?').get(pk);
    return r ? modelFrom(r) : undefined;
  }

  model(name: string, version: string): NimModelRow | undefined {
    const r = this.db.prepare('SELECT * FROM nim_model WHERE name = ? AND version = ?').get(name, version);
    return r ? modelFrom(r) : undefined;
  }

  modelByResourceId(id: string): NimModelRow | undefined {
    const r = this.db.prepare('SELECT * FROM nim_model WHERE resource_id = ?').get(id);
    return r ? modelFrom(r) : undefined;
  }

  /** Every version of one NIM (any order). */
  versionsOf(name: string): NimModelRow[] {
    return this.db.prepare('SELECT * FROM nim_model WHERE name = ?').all(name).map(modelFrom);
  }

  /** Every NIM version, by name then pk. */
  allModels(): NimModelRow[] {
    return this.db.prepare('SELECT * FROM nim_model ORDER BY name, pk').all().map(modelFrom);
  }

  deleteModel(pk: number): void {
    this.db.prepare('DELETE FROM nim_model WHERE pk = ?').run(pk);
  }

  // ---- releases ----

  insertRelease(r: { version: string; title: string; effectiveFrom?: string; effectiveTo?: string; origin?: Origin }): NimReleaseRow {
    const now = new Date().toISOString();
    const pk = Number(
      this.db
        .prepare(`INSERT INTO nim_release (version, title, status, effective_from, effective_to, created_at, updated_at, origin) VALUES (?, ?, 'utkast', ?, ?, ?, ?, ?)`)
        .run(r.version, r.title, r.effectiveFrom ?? null, r.effectiveTo ?? null, now, now, r.origin ?? LOCAL).lastInsertRowid,
    );
    return this.releaseByPk(pk)!;
  }

  /** Changes the given columns of a release (undefined leaves a column, null clears it). */
  updateRelease(pk: number, changes: { version?: string; title?: string; status?: NimStatus; effectiveFrom?: string | null; effectiveTo?: string | null; contentHash?: string | null; snapshot?: string | null; origin?: Origin }): NimReleaseRow {
    const columns: Record<string, string> = { version: 'version', title: 'title', status: 'status', effectiveFrom: 'effective_from', effectiveTo: 'effective_to', contentHash: 'content_hash', snapshot: 'snapshot', origin: 'origin' };
    const sets: string[] = [];
    const args: unknown[] = [];
    for (const [k, col] of Object.entries(columns)) {
      const v = (changes as Record<string, unknown>)[k];
      if (v === undefined) continue;
      sets.push(`${col} = ?`);
      args.push(v);
    }
    sets.push('updated_at = ?');
    args.push(new Date().toISOString());
    this.db.prepare(`UPDATE nim_release SET ${sets.join(', ')} WHERE pk = ?`).run(...args, pk);
    return this.releaseByPk(pk)!;
  }

  releaseByPk(pk: number): NimReleaseRow | undefined {
    const r = this.db.prepare('SELECT * FROM nim_release WHERE pk = ?').get(pk);
    return r ? releaseFrom(r) : undefined;
  }

  release(version: string): NimReleaseRow | undefined {
    const r = this.db.prepare('SELECT * FROM nim_release WHERE version = ?').get(version);
    return r ? releaseFrom(r) : undefined;
  }

  /** Every release (any order; callers sort by semantic version). */
  releases(): NimReleaseRow[] {
    return this.db.prepare('SELECT * FROM nim_release').all().map(releaseFrom);
  }

  deleteRelease(pk: number): void {
    this.db.prepare('DELETE FROM nim_release WHERE pk = ?').run(pk);
  }

  members(releasePk: number): NimModelRow[] {
    return this.db
      .prepare('SELECT m.* FROM nim_release_member x JOIN nim_model m ON m.pk = x.model_pk WHERE x.release_pk = ? ORDER BY m.name')
      .all(releasePk)
      .map(modelFrom);
  }

  setMembers(releasePk: number, modelPks: number[]): void {
    this.db.prepare('DELETE FROM nim_release_member WHERE release_pk = ?').run(releasePk);
    const add = this.db.prepare('INSERT OR IGNORE INTO nim_release_member (release_pk, model_pk) VALUES (?, ?)');
    for (const m of modelPks) add.run(releasePk, m);
  }

  /** Releases that include a NIM version. */
  releasesWith(modelPk: number): NimReleaseRow[] {
    return this.db
      .prepare('SELECT r.* FROM nim_release_member x JOIN nim_release r ON r.pk = x.release_pk WHERE x.model_pk = ?')
      .all(modelPk)
      .map(releaseFrom);
  }

  // ---- value-set membership at publication ----

  replaceCodes(releasePk: number, rows: Iterable<ReleaseCodeRow>): void {
    this.db.prepare('DELETE FROM nim_release_code WHERE release_pk = ?').run(releasePk);
    const add = this.db.prepare('INSERT OR IGNORE INTO nim_release_code (release_pk, value_set, system, code, display, inactive) VALUES (?, ?, ?, ?, ?, ?)');
    for (const r of rows) add.run(releasePk, r.valueSet, r.system, r.code, r.display ?? null, r.inactive ? 1 : 0);
  }

  /** Is system|code in the value set (url|version) as the release published it? One index lookup. */
  releaseCode(releasePk: number, valueSet: string, system: string, code: string): ReleaseCodeRow | undefined {
    const r = this.db
      .prepare('SELECT value_set, system, code, display, inactive FROM nim_release_code WHERE release_pk = ? AND value_set = ? AND system = ? AND code = ?')
      .get(releasePk, valueSet, system, code) as any;
    return r ? { valueSet: r.value_set, system: r.system, code: r.code, display: opt(r.display), inactive: r.inactive === 1 } : undefined;
  }

  // ---- comments and events ----

  addComment(releasePk: number, c: { nim?: string; attribute?: string; organisation?: string; text: string }): NimCommentRow {
    const now = new Date().toISOString();
    const pk = Number(
      this.db
        .prepare('INSERT INTO nim_comment (release_pk, nim, attribute, organisation, text, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(releasePk, c.nim ?? null, c.attribute ?? null, c.organisation ?? null, c.text, now).lastInsertRowid,
    );
    return { pk, ...c, createdAt: now };
  }

  comments(releasePk: number): NimCommentRow[] {
    return (this.db.prepare('SELECT * FROM nim_comment WHERE release_pk = ? ORDER BY pk').all(releasePk) as any[]).map((r) => ({
      pk: r.pk,
      nim: opt(r.nim),
      attribute: opt(r.attribute),
      organisation: opt(r.organisation),
      text: r.text,
      createdAt: r.created_at,
    }));
  }

  /** Records an event; `detail` (e.g. the whole diff of a refresh) is kept apart from the note the feed reads. */
  addEvent(releasePk: number, status: NimEventKind, note?: unknown, at = new Date().toISOString(), detail?: unknown): number {
    return Number(
      this.db
        .prepare('INSERT INTO nim_release_event (release_pk, at, status, note, detail) VALUES (?, ?, ?, ?, ?)')
        .run(releasePk, at, status, note === undefined ? null : JSON.stringify(note), detail === undefined ? null : JSON.stringify(detail)).lastInsertRowid,
    );
  }

  /** The detail an event was recorded with (the diff of a refresh). */
  eventDetail(eventPk: number): unknown {
    const r = this.db.prepare('SELECT detail FROM nim_release_event WHERE pk = ?').get(eventPk) as { detail: string | null } | undefined;
    return r?.detail ? JSON.parse(r.detail) : undefined;
  }

  private adoptedKeyStatement?: Statement;

  /**
   * What decides which release is in force on a day, as one text: each adopted (or repealed)
   * release's key, lifecycle, effective period and content. Equal texts, equal answers; asked on
   * every validation and `context`, so its statement is kept rather than compiled each time.
   */
  adoptedReleasesKey(): string {
    this.adoptedKeyStatement ??= this.db.prepare(
      `SELECT coalesce(group_concat(k, ','), '') AS k FROM (
         SELECT pk || ' ' || status || ' ' || coalesce(effective_from, '') || ' ' || coalesce(effective_to, '') || ' ' || coalesce(content_hash, '') AS k
         FROM nim_release WHERE status IN ('faststalld', 'upphavd') ORDER BY pk)`,
    );
    return (this.adoptedKeyStatement.get() as { k: string }).k;
  }

  /** Lifecycle events, newest first (of one release when releasePk is given). */
  events(limit = 100, releasePk?: number): NimEventRow[] {
    return (
      this.db
        .prepare(
          `SELECT e.pk, r.version AS release, e.at, e.status, e.note FROM nim_release_event e JOIN nim_release r ON r.pk = e.release_pk
           WHERE ? IS NULL OR e.release_pk = ? ORDER BY e.at DESC, e.pk DESC LIMIT ?`,
        )
        .all(releasePk ?? null, releasePk ?? null, limit) as any[]
    ).map((r) => ({ pk: r.pk, release: r.release, at: r.at, status: r.status, note: r.note === null ? undefined : JSON.parse(r.note) }));
  }
}
