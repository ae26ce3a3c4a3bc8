import { openDatabase } from '../store/database';
import { ResourceStore } from '../store/resource-store';
import { importerFor } from '../importers';
import { ImportError } from '../importers/importer';
import { ImportSummary, runImport } from '../importers/run-import';

/**
 * A follower's imports run here, in a worker thread with its own connection to the store: an
 * import is one long SQLite transaction (a Snomed CT release takes minutes), and on the HTTP thread
 * it would stop every read meanwhile. Readers see the result when it commits.
 */
export interface ImportTask {
  dbPath: string;
  format: string;
  input: string;
  options: Record<string, string>;
  /** the followed feed the content comes from (resource-origin.ts) */
  origin: string;
}

export type ImportOutcome = { ok: true; summary: ImportSummary } | { ok: false; message: string; refused: boolean };

export default async function run(task: ImportTask): Promise<ImportOutcome> {
  const importer = importerFor(task.format);
  if (!importer) return { ok: false, message: `no importer for ${task.format}`, refused: true };
  const db = openDatabase(task.dbPath);
  try {
    return { ok: true, summary: await runImport(db, new ResourceStore(db), importer, task.input, task.options, undefined, undefined, task.origin) };
  } catch (e) {
    return { ok: false, message: e instanceof Error ? e.message : String(e), refused: e instanceof ImportError };
  } finally {
    db.close();
  }
}
