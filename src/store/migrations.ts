import fs from 'node:fs';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { projectRoot } from '../config';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const FILE_PATTERN = /^(\d{3})_([a-z0-9_]+)\.sql$/;

/** Reads migrations/NNN_name.sql in version order; a gap or duplicate number is an error. */
export function readMigrations(dir = path.join(projectRoot(), 'migrations')): Migration[] {
  const found = fs
    .readdirSync(dir)
    .map((f) => ({ f, m: FILE_PATTERN.exec(f) }))
    .filter((x) => x.m)
    .map(({ f, m }) => ({ version: Number(m![1]), name: m![2], sql: fs.readFileSync(path.join(dir, f), 'utf8') }))
    .sort((a, b) => a.version - b.version);
  found.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations must be numbered 001, 002, ... without gaps; found ${m.version} at position ${i + 1}`);
  });
  return found;
}

/** Applies every migration newer than the recorded schema version, each in its own transaction. */
export function applyMigrations(db: Database, dir?: string): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const current = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
  const pending = readMigrations(dir).filter((m) => m.version > current);
  const record = db.prepare('INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of pending) {
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, new Date().toISOString());
    })();
  }
  return pending.length;
}

export function schemaVersion(db: Database): number {
  return (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
}
