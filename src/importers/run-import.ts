import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Db, sortingOnDisk } from '../store/database';
import type { ResourceStore } from '../store/resource-store';
import { ImportLog, ImportOutcome } from '../store/import-log';
import { ChangedCanonical, ResourceLoader, emptySummary } from './loader';
import { LOCAL, Origin } from '../store/resource-origin';
import { ImportError, ImportOptions, Importer, NO_PROGRESS, Progress } from './importer';
import { QualityFinding, countByKind, qualityLines, qualityReport } from './quality';

export interface ImportSummary {
  format: string;
  input: string;
  sha256: string;
  publisherVersion?: string;
  /** the same content was imported before and nothing changed */
  noChange: boolean;
  previousImport?: string;
  created: number;
  updated: number;
  unchanged: number;
  /** placeholders of the content pack this import's versions replaced */
  superseded: number;
  concepts: number;
  seconds: number;
  peakRssMb: number;
  notes: string[];
  /** the quality report: what the release holds that an expert would notice (nothing is changed) */
  quality: QualityFinding[];
}

/** sha256 of a file, or of a folder (every file's relative path and content, in order). */
export function sourceHash(input: string): string {
  const hash = crypto.createHash('sha256');
  const add = (p: string, rel: string) => {
    if (fs.statSync(p).isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) add(path.join(p, name), path.join(rel, name));
    } else {
      hash.update(rel + '\0');
      hash.update(fs.readFileSync(p));
    }
  };
  if (!fs.existsSync(input)) throw new ImportError(`${input} does not exist`);
  add(input, '');
  return hash.digest('hex');
}

/** What the layers above do when an import has written (the NIM releases follow their content). */
export interface ImportHooks {
  /**
   * Called once the source's sha256 is known, before it is read: work that can go alongside the
   * import starts here (the CLI zips an RF2 release for the syndication feed meanwhile).
   */
  hashed?: (sha256: string) => void;
  /**
   * Called inside the import's transaction with every canonical written or removed (so a failure
   * there undoes the import); returns lines for the summary.
   */
  afterLoad?: (changes: ChangedCanonical[], run: { format: string; fileName: string }) => string[];
}

/**
 * Imports one release file (or folder) with one importer: read and check it, then write every
 * resource in one transaction, so a failure leaves the store exactly as before. Importing the
 * same content again changes nothing and says so. Records provenance (file, sha256, date,
 * publisher version). What it writes is held as coming from `origin` (a followed feed, or this
 * instance), and may not replace what another source put here.
 */
export async function runImport(
  db: Db,
  store: ResourceStore,
  importer: Importer,
  input: string,
  options: ImportOptions = {},
  progress: Progress = NO_PROGRESS,
  hooks: ImportHooks = {},
  origin: Origin = LOCAL,
): Promise<ImportSummary> {
  const started = Date.now();
  let peak = process.memoryUsage().rss;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  let outcome: ImportOutcome = 'failed';
  try {
    const sha256 = sourceHash(input);
    hooks.hashed?.(sha256);
    const result = await importer.read(input, options, progress, store);
    progress.start('checking the content');
    const quality = qualityReport(result.resources, store);
    const loader = new ResourceLoader(db, store, undefined, origin);
    const log = new ImportLog(db);
    const previous = log.latest(importer.format, sha256);
    const summary = emptySummary();
    const after: string[] = [];
    const inTransaction = db.transaction(() => {
      loader.loadInTransaction(result.resources, summary);
      for (const s of result.streamed ?? []) loader.saveStreamed(s, sha256, summary, progress);
      if (summary.changedPks.length) {
        const run = log.record(
          {
            format: importer.format,
            fileName: path.basename(input),
            sha256,
            publisherVersion: result.publisherVersion,
            importedAt: new Date().toISOString(),
            summary: { created: summary.created, updated: summary.updated, unchanged: summary.unchanged, concepts: summary.concepts, quality: countByKind(quality) },
          },
          summary.changedPks,
        );
        log.recordFindings(run, quality);
      }
      if (summary.changed.length && hooks.afterLoad) after.push(...hooks.afterLoad(summary.changed, { format: importer.format, fileName: path.basename(input) }));
    });
    // a streamed code system's indexes are built after its rows (ConceptStore.withIndexesDeferred)
    if (result.streamed?.length) sortingOnDisk(db, inTransaction);
    else inTransaction();
    store.touch();
    peak = Math.max(peak, process.memoryUsage().rss);
    outcome = summary.changedPks.length === 0 ? 'unchanged' : 'changed';
    return {
      format: importer.format,
      input,
      sha256,
      publisherVersion: result.publisherVersion,
      noChange: summary.changedPks.length === 0,
      previousImport: previous?.importedAt,
      created: summary.created,
      updated: summary.updated,
      unchanged: summary.unchanged,
      superseded: summary.superseded,
      concepts: summary.concepts,
      seconds: (Date.now() - started) / 1000,
      peakRssMb: Math.round(peak / 1e6),
      notes: [...(result.notes ?? []), ...qualityLines(quality), ...after],
      quality,
    };
  } catch (e) {
    if (e instanceof ImportError) outcome = 'refused';
    throw e;
  } finally {
    clearInterval(sample);
    progress.stop();
    recordAttempt(db, { format: importer.format, startedAt: new Date(started).toISOString(), seconds: (Date.now() - started) / 1000, outcome });
  }
}

/** Counts the attempt for the server's metrics; a store that cannot take it loses only the count. */
function recordAttempt(db: Db, attempt: Parameters<ImportLog['recordAttempt']>[0]): void {
  try {
    new ImportLog(db).recordAttempt(attempt);
  } catch {
    // the import's own outcome (and error) is what the caller needs to see
  }
}

/** The summary as lines for a terminal. */
export function describeSummary(s: ImportSummary): string[] {
  const lines = [`${s.format} import of ${s.input}${s.publisherVersion ? ` (release ${s.publisherVersion})` : ''}`];
  lines.push(...s.notes.map((n) => `  ${n}`));
  if (s.noChange) lines.push(`  nothing changed: this content${s.previousImport ? ` was already imported on ${s.previousImport}` : ' is already in the store'}`);
  else lines.push(`  resources: ${s.created} created, ${s.updated} updated, ${s.unchanged} unchanged${s.superseded ? `, ${s.superseded} placeholders replaced` : ''}; ${s.concepts} concepts written`);
  lines.push(`  sha256 ${s.sha256}`);
  lines.push(`  ${s.seconds.toFixed(1)} s, peak memory ${s.peakRssMb} MB`);
  return lines;
}
