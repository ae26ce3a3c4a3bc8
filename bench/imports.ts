/**
 * Import time and peak memory of Socialstyrelsen's KSI, KVÅ, OID-series, ICF and urval releases,
 * each into a fresh store (numbers printed, nothing asserted). Every file is imported in a process
 * of its own, so the peak memory of one does not carry over to the next.
 *   npm run build && node dist/bench/imports.js
 * Reads ../shared/data/socialstyrelsen next to the repository; says so and exits when it is absent.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/config';
import type { ImportSummary } from '../src/importers/run-import';

const DATA = path.resolve(projectRoot(), '../shared/data/socialstyrelsen');
const FILES: [format: string, file: string][] = [
  ['ksi', 'ksi-2025.xlsx'],
  ['ksi', 'ksi.tsv'],
  ['kva', 'kva-inkl-beskrivningstexter-2026.xlsx'],
  ['oid', 'socialstyrelsens-oid-serie-2025-10-17.xlsx'],
  ['icf', 'icf-2025-inkl-core-sets.xlsx'],
  ['icf', 'icf.tsv'],
  ['urval', 'urval-informationsutbyte.xlsx'],
  ['urval', 'urval-icf-kva-kommunal-halso-och-sjukvard-2026.xlsx'],
  ['urval', 'urval-icf-kva-nutrition-och-undernaring.xlsx'],
];

/** In the child: import one file into a fresh store and send the summary to the parent. */
async function importOne(format: string, file: string): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-bench-import-'));
  // the store `kodverk import` writes to: the KSI importer looks for ICF there
  process.env.KODVERK_DB = path.join(dir, 'kodverk.db');
  const [{ openDatabase }, { ResourceStore }, { importerFor }, { runImport }] = await Promise.all([
    import('../src/store/database'),
    import('../src/store/resource-store'),
    import('../src/importers'),
    import('../src/importers/run-import'),
  ]);
  const db = openDatabase(process.env.KODVERK_DB);
  try {
    const summary = await runImport(db, new ResourceStore(db), importerFor(format)!, file);
    process.send!(summary);
  } finally {
    db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function inChild(format: string, file: string): Promise<ImportSummary> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--one', format, file], { stdio: 'inherit' });
    child.on('message', (m) => resolve(m as ImportSummary));
    child.on('error', reject);
    child.on('exit', (code) => code !== 0 && reject(new Error(`import of ${file} exited with ${code}`)));
  });
}

async function main(): Promise<void> {
  if (!fs.existsSync(DATA)) {
    console.log(`Import benchmark skipped: ${DATA} is missing`);
    return;
  }
  console.log('file                                           format  seconds  peak RSS MB  concepts  resources');
  for (const [format, name] of FILES) {
    const file = path.join(DATA, name);
    if (!fs.existsSync(file)) {
      console.log(`${name.padEnd(46)} ${format.padEnd(6)}  (missing)`);
      continue;
    }
    const s = await inChild(format, file);
    console.log(`${name.padEnd(46)} ${format.padEnd(6)} ${s.seconds.toFixed(2).padStart(8)} ${String(s.peakRssMb).padStart(12)} ${String(s.concepts).padStart(9)} ${String(s.created).padStart(10)}`);
  }
}

const [mode, format, file] = process.argv.slice(2);
(mode === '--one' ? importOne(format, file) : main()).catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
