import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Db, openDatabase } from './database';
import { readMigrations, schemaVersion } from './migrations';

/**
 * Backup, restore and checks of the SQLite store. A backup is a consistent copy taken while the
 * server runs (SQLite's online backup API, which reads one snapshot while writers go on in WAL
 * mode); a restore replaces a stopped server's store with a backup only after checking it.
 */

export interface StoreCheck {
  /** PRAGMA integrity_check: 'ok' or the problems found */
  integrity: string[];
  foreignKeyViolations: number;
  schemaVersion: number;
  /** the schema version this software's migrations make */
  expectedSchemaVersion: number;
  /** FTS5 tables and whether their index matches their content */
  fts: { table: string; ok: boolean; error?: string }[];
  counts: Record<string, number>;
  ok: boolean;
  problems: string[];
}

/** Tables counted in a check, with what they hold. */
const COUNTED: [string, string][] = [
  ['resources', 'SELECT count(*) FROM resource'],
  ['code systems', "SELECT count(*) FROM resource WHERE resource_type = 'CodeSystem'"],
  ['value sets', "SELECT count(*) FROM resource WHERE resource_type = 'ValueSet'"],
  ['concept maps', "SELECT count(*) FROM resource WHERE resource_type = 'ConceptMap'"],
  ['concepts', 'SELECT count(*) FROM concept'],
  ['designations', 'SELECT count(*) FROM concept_designation'],
  ['Snomed CT concepts', 'SELECT count(*) FROM sct_concept'],
  ['Snomed CT relationships', 'SELECT count(*) FROM sct_relationship'],
  ['NIM versions', 'SELECT count(*) FROM nim_model'],
  ['NIM releases', 'SELECT count(*) FROM nim_release'],
  ['imports', 'SELECT count(*) FROM import_run'],
];

function ftsTables(db: Db): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'").all() as { name: string }[]).map((r) => r.name);
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Integrity of a store: SQLite's integrity and foreign-key checks, the schema version, every
 * FTS5 index against its content, and counts of what it holds. `quick` runs quick_check (no
 * index contents) instead of the full integrity check.
 */
export function checkStore(db: Db, options: { quick?: boolean } = {}): StoreCheck {
  const problems: string[] = [];
  const integrity = (db.pragma(options.quick ? 'quick_check' : 'integrity_check') as Record<string, string>[]).map((r) => Object.values(r)[0]);
  if (!(integrity.length === 1 && integrity[0] === 'ok')) problems.push(`integrity: ${integrity.slice(0, 5).join('; ')}`);
  const foreignKeyViolations = (db.pragma('foreign_key_check') as unknown[]).length;
  if (foreignKeyViolations) problems.push(`${foreignKeyViolations} rows break a foreign key`);

  const hasSchema = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
  const version = hasSchema ? schemaVersion(db) : 0;
  const expected = readMigrations().length;
  if (!hasSchema) problems.push('not a Kodverk store (no schema_version table)');
  else if (version > expected) problems.push(`schema version ${version} is newer than this software knows (${expected})`);

  const fts = ftsTables(db).map((table) => {
    try {
      // 'integrity-check' reads and compares; it writes nothing, but needs a writable connection
      db.prepare(`INSERT INTO ${quoteIdent(table)}(${quoteIdent(table)}) VALUES ('integrity-check')`).run();
      return { table, ok: true };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      problems.push(`full-text index ${table}: ${error}`);
      return { table, ok: false, error };
    }
  });

  const counts: Record<string, number> = {};
  if (hasSchema) {
    for (const [name, sql] of COUNTED) {
      try {
        counts[name] = (db.prepare(sql).pluck().get() as number) ?? 0;
      } catch {
        // a table a newer or older schema does not have
      }
    }
  }
  return { integrity, foreignKeyViolations, schemaVersion: version, expectedSchemaVersion: expected, fts, counts, ok: problems.length === 0, problems };
}

export interface BackupReport {
  file: string;
  bytes: number;
  pages: number;
  seconds: number;
  /** quick_check of the copy */
  check: string;
  /** the syndication artefacts copied beside the backup (`<file>.artefacts`), when there are any */
  artefacts?: { dir: string; files: number; bytes: number };
}

/** The folder of artefacts kept beside a backup file. */
export function artefactsBeside(backupFile: string): string {
  return `${path.resolve(backupFile)}.artefacts`;
}

/**
 * Copies the files of an artefact folder (content-addressed, never changed once written) into
 * another, leaving files already there; returns what was copied. Files are written under a
 * temporary name and renamed, so a copy cut short leaves no half file under a real name.
 */
function copyArtefacts(from: string, to: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(from, rel), { withFileTypes: true })) {
      const r = path.join(rel, entry.name);
      if (entry.isDirectory()) walk(r);
      else if (entry.isFile() && !entry.name.startsWith('.')) {
        const target = path.join(to, r);
        if (fs.existsSync(target)) continue;
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.copyFileSync(path.join(from, r), `${target}.partial`);
        fs.renameSync(`${target}.partial`, target);
        files++;
        bytes += fs.statSync(target).size;
      }
    }
  };
  if (fs.existsSync(from)) walk('');
  return { files, bytes };
}

/**
 * Copies the store at `storePath` into `file` while other processes go on reading and writing it.
 * The copy is made in one step of the online backup API, so it is one consistent snapshot even
 * while a server writes (a stepwise copy would restart at every write); readers and writers are
 * not blocked in WAL mode. The copy is written beside `file` and renamed when complete, switched
 * to a single self-contained file (no WAL), and quick-checked.
 */
export async function backupStore(storePath: string, file: string, options: { overwrite?: boolean; artefactDir?: string } = {}): Promise<BackupReport> {
  if (!fs.existsSync(storePath)) throw new Error(`There is no store at ${storePath}`);
  const target = path.resolve(file);
  if (target === path.resolve(storePath)) throw new Error('The backup cannot be the store itself');
  if (fs.existsSync(target) && !options.overwrite) throw new Error(`${file} exists; choose another name (or --force)`);
  const partial = `${target}.partial`;
  fs.rmSync(partial, { force: true });
  const started = Date.now();
  const source = openDatabase(storePath, undefined, { readonly: true });
  let pages = 0;
  try {
    const result = await source.backup(partial, { progress: () => 0x7fffffff });
    pages = result.totalPages;
  } catch (e) {
    fs.rmSync(partial, { force: true });
    throw e;
  } finally {
    source.close();
  }
  let check: string;
  const copy = new Database(partial);
  try {
    copy.pragma('journal_mode = DELETE');
    check = (copy.pragma('quick_check', { simple: true }) as string) ?? 'no answer';
  } finally {
    copy.close();
  }
  if (check !== 'ok') {
    fs.rmSync(partial, { force: true });
    throw new Error(`The copy failed its check (${check}); no backup was written`);
  }
  fs.renameSync(partial, target);
  // the syndication artefacts (RF2 archives cannot be rebuilt from the store): copied after the
  // snapshot, so every artefact it names, written before it was named, is there
  let artefacts: BackupReport['artefacts'];
  if (options.artefactDir && fs.existsSync(options.artefactDir)) {
    const dir = artefactsBeside(target);
    artefacts = { dir, ...copyArtefacts(options.artefactDir, dir) };
  }
  return { file: target, bytes: fs.statSync(target).size, pages, seconds: (Date.now() - started) / 1000, check, artefacts };
}

/** Throws when another process (a running server, an import) has the store open. */
export function assertStoreNotInUse(storePath: string): void {
  if (!fs.existsSync(storePath)) return;
  const db = new Database(storePath);
  try {
    db.pragma('busy_timeout = 0');
    // leaving WAL mode needs the only connection to the file: it fails while anyone else has it open
    let mode: unknown;
    try {
      mode = db.pragma('journal_mode = DELETE', { simple: true });
    } catch {
      mode = 'busy';
    }
    if (mode !== 'delete') throw new Error(`The store ${storePath} is in use by another process (a running server or an import): stop it first`);
  } finally {
    db.close();
  }
}

export interface RestoreReport {
  store: string;
  from: string;
  check: StoreCheck;
  /** migrations applied to bring an older backup up to date */
  migrated: number;
  /** where the replaced store was kept, when it was */
  previous?: string;
  /** artefacts copied from beside the backup into the artefact folder */
  artefacts?: { dir: string; files: number; bytes: number };
  seconds: number;
}

/**
 * Replaces the store with a backup. The server must be stopped. The backup is copied beside the
 * store and checked there (integrity, foreign keys, schema version not newer than this software,
 * FTS indexes); older schemas are migrated. Only then is the old store moved aside and the copy
 * put in its place; the old store is removed once the new one opens, unless `keepPrevious`. On
 * any failure the store is as it was.
 */
export function restoreStore(backupFile: string, storePath: string, options: { keepPrevious?: boolean; artefactDir?: string } = {}): RestoreReport {
  const started = Date.now();
  if (!fs.existsSync(backupFile)) throw new Error(`There is no backup at ${backupFile}`);
  const store = path.resolve(storePath);
  fs.mkdirSync(path.dirname(store), { recursive: true });
  assertStoreNotInUse(store);

  const incoming = `${store}.restoring`;
  fs.rmSync(incoming, { force: true });
  fs.copyFileSync(backupFile, incoming);
  let check: StoreCheck;
  let migrated: number;
  try {
    try {
      const probe = new Database(incoming);
      try {
        check = checkStore(probe);
        migrated = check.ok ? Math.max(0, check.expectedSchemaVersion - check.schemaVersion) : 0;
      } finally {
        probe.close();
      }
    } catch (e) {
      // not a database at all, or too damaged to read
      throw new Error(`The backup ${backupFile} failed its checks, the store was not touched: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!check.ok) throw new Error(`The backup ${backupFile} failed its checks, the store was not touched: ${check.problems.join('; ')}`);
    // bring an older backup's schema up to date (and into WAL mode), then close it cleanly
    openDatabase(incoming).close();
  } catch (e) {
    fs.rmSync(incoming, { force: true });
    for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(incoming + suffix, { force: true });
    throw e;
  }

  const previous = `${store}.pre-restore`;
  const hadStore = fs.existsSync(store);
  if (hadStore) {
    fs.rmSync(previous, { force: true });
    fs.renameSync(store, previous);
  }
  try {
    fs.renameSync(incoming, store);
    openDatabase(store).close();
  } catch (e) {
    if (hadStore) fs.renameSync(previous, store);
    throw e;
  }
  if (hadStore && !options.keepPrevious) fs.rmSync(previous, { force: true });
  const kept = artefactsBeside(backupFile);
  const artefacts = options.artefactDir && fs.existsSync(kept) ? { dir: options.artefactDir, ...copyArtefacts(kept, options.artefactDir) } : undefined;
  return {
    store,
    from: path.resolve(backupFile),
    check: check!,
    migrated: migrated!,
    previous: hadStore && options.keepPrevious ? previous : undefined,
    artefacts,
    seconds: (Date.now() - started) / 1000,
  };
}
