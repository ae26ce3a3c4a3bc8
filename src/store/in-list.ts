import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

/** Most values bound in one `IN (...)` list. */
const CHUNK = 512;

/**
 * Queries over a list of values (`... IN (#)`), in chunks, with their statements kept: a list
 * is padded with NULLs (which match nothing) to the next power of two, so a query has at most ten
 * prepared forms instead of being compiled again on every call ($lookup and every expansion page
 * ran several such queries, each prepared anew).
 */
export class InListQueries {
  private readonly prepared = new Map<string, Statement>();

  constructor(private readonly db: Db) {}

  /** Runs `sql` (its `#` standing for the list) over `values`, calling `row` for each row. */
  each<T>(sql: string, values: readonly unknown[], row: (r: T) => void): void {
    for (let i = 0; i < values.length; i += CHUNK) {
      const chunk = values.slice(i, i + CHUNK);
      let size = 1;
      while (size < chunk.length) size *= 2;
      const key = `${size} ${sql}`;
      let st = this.prepared.get(key);
      if (!st) this.prepared.set(key, (st = this.db.prepare(sql.replace('#', new Array(size).fill('?').join(',')))));
      while (chunk.length < size) chunk.push(null);
      for (const r of st.all(...chunk) as T[]) row(r);
    }
  }
}
