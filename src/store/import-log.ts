import type { Db } from './database';

export interface ImportRun {
  pk: number;
  format: string;
  fileName: string;
  sha256: string;
  publisherVersion?: string;
  importedAt: string;
  summary: unknown;
}

export type ImportOutcome = 'changed' | 'unchanged' | 'refused' | 'failed';

export interface ImportAttempt {
  format: string;
  startedAt: string;
  seconds: number;
  outcome: ImportOutcome;
}

/** One stored finding of an import's quality report (see src/importers/quality.ts). */
export interface ImportFindingRow {
  kind: string;
  /** what it is about: a concept of a code system, or a code a value set selects */
  resourceType: string;
  url: string;
  version?: string;
  code?: string;
  /** where: a property (innefattar, utesluter, …), display, definition, or compose */
  field?: string;
  /** the codes named */
  refs?: string[];
  detail?: Record<string, unknown>;
}

/** Provenance of imports: every SQL statement about import_run, import_resource and import_finding. */
export class ImportLog {
  constructor(private readonly db: Db) {}

  record(run: Omit<ImportRun, 'pk'>, resourcePks: number[]): number {
    const pk = Number(
      this.db
        .prepare('INSERT INTO import_run (format, file_name, sha256, publisher_version, imported_at, summary) VALUES (?, ?, ?, ?, ?, ?)')
        .run(run.format, run.fileName, run.sha256, run.publisherVersion ?? null, run.importedAt, JSON.stringify(run.summary)).lastInsertRowid,
    );
    const link = this.db.prepare('INSERT OR IGNORE INTO import_resource (import_pk, resource_pk) VALUES (?, ?)');
    for (const r of resourcePks) link.run(pk, r);
    return pk;
  }

  /** Stores an import's quality report with its provenance. */
  recordFindings(importPk: number, findings: readonly ImportFindingRow[]): void {
    const add = this.db.prepare('INSERT INTO import_finding (import_pk, kind, resource_type, url, version, code, field, refs, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    for (const f of findings) {
      add.run(importPk, f.kind, f.resourceType, f.url, f.version ?? null, f.code ?? null, f.field ?? null, f.refs ? JSON.stringify(f.refs) : null, f.detail ? JSON.stringify(f.detail) : null);
    }
  }

  /** An import's findings about one resource (url and version), or one of its codes. */
  findings(importPk: number, url: string, version: string | undefined, code?: string): ImportFindingRow[] {
    const rows = this.db
      .prepare('SELECT * FROM import_finding WHERE import_pk = ? AND url = ? AND version IS ? AND (? IS NULL OR code = ?) ORDER BY pk')
      .all(importPk, url, version ?? null, code ?? null, code ?? null) as any[];
    return rows.map((r) => ({
      kind: r.kind,
      resourceType: r.resource_type,
      url: r.url,
      version: r.version ?? undefined,
      code: r.code ?? undefined,
      field: r.field ?? undefined,
      refs: r.refs ? JSON.parse(r.refs) : undefined,
      detail: r.detail ? JSON.parse(r.detail) : undefined,
    }));
  }

  /** The latest import of this exact file content by this importer, if any. */
  latest(format: string, sha256: string): ImportRun | undefined {
    const row = this.db.prepare('SELECT * FROM import_run WHERE format = ? AND sha256 = ? ORDER BY pk DESC LIMIT 1').get(format, sha256) as any;
    return row ? fromRow(row) : undefined;
  }

  /** Imports that produced a resource, newest first. */
  forResource(resourcePk: number): ImportRun[] {
    return (
      this.db
        .prepare('SELECT r.* FROM import_run r JOIN import_resource x ON x.import_pk = r.pk WHERE x.resource_pk = ? ORDER BY r.pk DESC')
        .all(resourcePk) as any[]
    ).map(fromRow);
  }

  all(): ImportRun[] {
    return (this.db.prepare('SELECT * FROM import_run ORDER BY pk').all() as any[]).map(fromRow);
  }

  /** Records an attempt, successful or not, outside any import transaction. */
  recordAttempt(a: ImportAttempt): void {
    this.db.prepare('INSERT INTO import_attempt (format, started_at, seconds, outcome) VALUES (?, ?, ?, ?)').run(a.format, a.startedAt, a.seconds, a.outcome);
  }

  /** The newest attempt's key (0 when none): a cheap test of whether attempts were added. */
  lastAttemptKey(): number {
    return (this.db.prepare('SELECT coalesce(max(pk), 0) AS pk FROM import_attempt').get() as { pk: number }).pk;
  }

  attempts(): ImportAttempt[] {
    return (this.db.prepare('SELECT format, started_at, seconds, outcome FROM import_attempt ORDER BY pk').all() as any[]).map((r) => ({
      format: r.format,
      startedAt: r.started_at,
      seconds: r.seconds,
      outcome: r.outcome,
    }));
  }

  conceptsSource(resourcePk: number): string | undefined {
    return (this.db.prepare('SELECT concepts_source AS s FROM resource WHERE pk = ?').get(resourcePk) as { s: string | null } | undefined)?.s ?? undefined;
  }

  setConceptsSource(resourcePk: number, source: string | null): void {
    this.db.prepare('UPDATE resource SET concepts_source = ? WHERE pk = ?').run(source, resourcePk);
  }
}

function fromRow(r: any): ImportRun {
  return {
    pk: r.pk,
    format: r.format,
    fileName: r.file_name,
    sha256: r.sha256,
    publisherVersion: r.publisher_version ?? undefined,
    importedAt: r.imported_at,
    summary: JSON.parse(r.summary),
  };
}
