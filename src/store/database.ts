import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { applyMigrations } from './migrations';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the SQLite store in WAL mode and brings its schema up to date.
 * WAL lets the CLI import while the server keeps reading.
 */
export function openDatabase(file: string, migrationsDir?: string, options: { readonly?: boolean } = {}): Db {
  if (options.readonly) {
    // readers (worker threads) share the file; the writer has already migrated it
    const ro = new Database(file, { readonly: true });
    ro.pragma('busy_timeout = 10000');
    // 32 MB of pages per reader (one per worker thread): the operating system's file cache holds the rest
    ro.pragma('cache_size = -32768');
    return ro;
  }
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 10000');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  applyMigrations(db, migrationsDir);
  return db;
}

/** Runs fn in one transaction: all of it is written, or nothing. */
export function inTransaction<T>(db: Db, fn: () => T): T {
  return db.transaction(fn)();
}

/**
 * Runs fn reading the store as it was when fn began (one read transaction): each statement outside
 * a transaction takes and drops the reader's lock of the write-ahead log again, ~10 % of a short
 * call's time on a worker thread. Only for short reads: while it lasts, the log cannot be folded
 * back into the file past its start (a writer is never held up: WAL readers do not block it).
 */
export function readingOnce<T>(db: Db, fn: () => T): T {
  return db.inTransaction ? fn() : db.transaction(fn).deferred();
}

/**
 * Runs `work` (a transaction: SQLite refuses the change inside one) with temporary storage on
 * disk, then back in memory. An import that builds indexes over millions of rows sorts their keys
 * in temporary storage: in memory, the sorted runs of the largest table would all stay in the
 * process (at 350,000 Snomed CT concepts the import's peak was ~20 MB higher that way).
 */
export function sortingOnDisk<T>(db: Db, work: () => T): T {
  const before = Number(db.pragma('temp_store', { simple: true }));
  db.pragma('temp_store = FILE');
  try {
    return work();
  } finally {
    db.pragma(`temp_store = ${before}`);
  }
}
