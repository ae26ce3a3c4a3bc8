import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase, Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';

/**
 * Temporary folders and SQLite stores for one test file (jest gives each file its own copy of this
 * module); call removeTempStores in the file's afterAll. A store left open is closed only when the
 * jest worker exits, and each close folds the store's write-ahead log back into its file: a worker
 * holding dozens of them takes longer to exit than jest waits (it then kills the worker and warns).
 */
const dirs: string[] = [];
const dbs: Db[] = [];

/** A new temporary folder, removed by removeTempStores. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Opens (and migrates) the store at file, to be closed by removeTempStores if the test does not close it. */
export function openTempDatabase(file: string, migrationsDir?: string, options?: { readonly?: boolean }): Db {
  const db = openDatabase(file, migrationsDir, options);
  dbs.push(db);
  return db;
}

/** A fresh store in a new temporary folder. */
export function freshTempStore(prefix: string): { db: Db; store: ResourceStore; dir: string } {
  const dir = tempDir(prefix);
  const db = openTempDatabase(path.join(dir, 'store.db'));
  return { db, store: new ResourceStore(db), dir };
}

/** Closes every store opened here and removes every folder made here. */
export function removeTempStores(): void {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}
