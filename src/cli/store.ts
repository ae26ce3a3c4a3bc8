import Database from 'better-sqlite3';
import { Command } from 'commander';
import { loadConfig } from '../config';
import { StoreCheck, backupStore, checkStore, restoreStore } from '../store/backup';

/**
 * `kodverk backup | restore | check`: the store named by KODVERK_DB. A backup may be taken while
 * the server runs; a restore needs it stopped; a check reads any store file (a backup, too).
 */

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

function describeCheck(file: string, c: StoreCheck): string[] {
  const lines = [`${file}: ${c.ok ? 'ok' : 'PROBLEMS'}`];
  lines.push(`  integrity: ${c.integrity.length === 1 ? c.integrity[0] : `${c.integrity.length} problems`}; foreign keys: ${c.foreignKeyViolations ? `${c.foreignKeyViolations} violations` : 'ok'}`);
  lines.push(`  schema version ${c.schemaVersion} (this software: ${c.expectedSchemaVersion})`);
  lines.push(`  full-text indexes: ${c.fts.map((f) => `${f.table} ${f.ok ? 'ok' : 'BROKEN'}`).join(', ') || 'none'}`);
  lines.push(...Object.entries(c.counts).map(([k, n]) => `  ${k}: ${n}`));
  lines.push(...c.problems.map((p) => `  problem: ${p}`));
  return lines;
}

export function storeCommands(): Command[] {
  const backup = new Command('backup')
    .description('copy the store (KODVERK_DB) to <file>: consistent, while the server runs (SQLite online backup); the copy is checked. The syndication artefacts go to <file>.artefacts')
    .argument('<file>', 'the backup file to write (refused if it exists)')
    .option('--force', 'overwrite <file> if it exists')
    .action(async (file: string, opts: { force?: boolean }) => {
      const config = loadConfig();
      const r = await backupStore(config.dbPath, file, { overwrite: !!opts.force, artefactDir: config.syndication.artefactDir });
      console.log(`backup of ${config.dbPath} written to ${r.file}`);
      console.log(`  ${mb(r.bytes)} (${r.pages} pages) in ${r.seconds.toFixed(1)} s; quick check: ${r.check}`);
      if (r.artefacts) console.log(`  syndication artefacts in ${r.artefacts.dir}: ${r.artefacts.files} copied (${mb(r.artefacts.bytes)})`);
    });

  const restore = new Command('restore')
    .description('replace the store (KODVERK_DB) by a backup; the server must be stopped. The backup is checked (integrity, schema version, full-text indexes) before anything is replaced')
    .argument('<file>', 'the backup file')
    .option('--keep-previous', 'keep the replaced store as <KODVERK_DB>.pre-restore')
    .action((file: string, opts: { keepPrevious?: boolean }) => {
      const config = loadConfig();
      const r = restoreStore(file, config.dbPath, { keepPrevious: !!opts.keepPrevious, artefactDir: config.syndication.artefactDir });
      console.log(`restored ${r.store} from ${r.from} in ${r.seconds.toFixed(1)} s${r.migrated ? ` (${r.migrated} migrations applied)` : ''}`);
      if (r.artefacts) console.log(`  syndication artefacts copied into ${r.artefacts.dir}: ${r.artefacts.files} (${mb(r.artefacts.bytes)})`);
      if (r.previous) console.log(`  the previous store is kept as ${r.previous}`);
      console.log(describeCheck(r.from, r.check).slice(1).join('\n'));
    });

  const check = new Command('check')
    .description('check a store (KODVERK_DB, or [file]): SQLite integrity and foreign keys, schema version, full-text indexes; prints counts. Exit 1 on problems')
    .argument('[file]', 'a store or backup file (default: KODVERK_DB)')
    .option('--quick', 'quick_check instead of the full integrity check (skips index contents)')
    .option('--json', 'print the result as JSON')
    .action((file: string | undefined, opts: { quick?: boolean; json?: boolean }) => {
      const path = file ?? loadConfig().dbPath;
      const db = new Database(path, { fileMustExist: true });
      let result: StoreCheck;
      try {
        // the full-text check takes the write lock for a moment: wait for an import to finish
        db.pragma('busy_timeout = 60000');
        result = checkStore(db, { quick: !!opts.quick });
      } finally {
        db.close();
      }
      console.log(opts.json ? JSON.stringify(result, null, 2) : describeCheck(path, result).join('\n'));
      if (!result.ok) process.exitCode = 1;
    });

  return [backup, restore, check];
}
