/**
 * Submission validation throughput (numbers printed, nothing asserted): a generated register
 * file of --rows rows (Brukare, Insats and Myndighetsbeslut in each row, about one row in fifty
 * with an error) validated directly by SubmissionValidator and through POST /validate/submission
 * on the real server, on a real SQLite store with the content pack, the NIM seed and release
 * 1.1.0 adopted. Target: at least 10,000 rows per second.
 *   npm run build && node dist/bench/submission.js [--rows 100000]
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { CodeSystem } from 'fhir/r4';
import { loadConfig, projectRoot } from '../src/config';
import { loadInitialContent, startServer } from '../src/server';
import { openDatabase } from '../src/store/database';
import { ResourceStore } from '../src/store/resource-store';
import { ResourceLoader } from '../src/importers/loader';
import { loadNimSeed } from '../src/nim/seed';
import { openNim } from '../src/nim';
import { NimValidation } from '../src/nim/validation';
import { SubmissionValidator } from '../src/nim/validation/submission-validator';

const opts = new Command().option('--rows <n>', 'rows in the generated file', '100000').parse().opts();
const ROWS = Number(opts.rows);
const PACK = path.join(projectRoot(), 'terminology');

/** KSI aktivitetsstatus (Insats.status is bound to it) until Socialstyrelsen's KSI is imported. */
const AKTIVITETSSTATUS: CodeSystem = {
  resourceType: 'CodeSystem',
  id: 'bench-ksi-aktivitetsstatus',
  url: 'https://kodverk.se/fhir/CodeSystem/ksi-aktivitetsstatus',
  version: '2025',
  status: 'active',
  content: 'complete',
  concept: ['10', '15', '20', '25', '30', '35', '40'].map((code) => ({ code })),
};

const KON = ['kvinna', 'man'];
const TYP = ['hemtjanst', 'boendestod', 'lss-daglig-verksamhet', 'kontaktfamilj', 'forsorjningsstod', 'hvb'];
const SAKOMRADE = ['aldreomsorg', 'funktionsnedsattning', 'barn-och-unga', 'ekonomiskt-bistand'];
const STATUS = ['10', '30', '40'];
const UTFALL = ['beviljad', 'delvis-beviljad', 'avslag'];
const LAGRUM = ['SoL2025-12:1', 'SoL2025-26:1:6', 'LSS-9:2', 'LSS-9:10'];

/** A synthetic register file; every 50th row has an error (unknown code, bad date or missing status). */
function generate(file: string, rows: number): number {
  const out = fs.openSync(file, 'w');
  const lines = ['Brukare.personId;Brukare.kön;Insats.typ;Insats.sakomrade;Insats.status;Insats.datum;Beslut.datum;Beslut.utfall;Beslut.lagrum'];
  const flush = () => {
    fs.writeSync(out, lines.join('\n') + '\n');
    lines.length = 0;
  };
  for (let i = 0; i < rows; i++) {
    const day = `2026-${String(7 + (i % 6)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
    const fault = i % 50 === 49 ? Math.floor(i / 50) % 3 : -1;
    // synthetic identity numbers: never a real person's
    const personId = `19${String(40 + (i % 60)).padStart(2, '0')}${String(1 + (i % 12)).padStart(2, '0')}${String(1 + (i % 28)).padStart(2, '0')}${String(i % 10000).padStart(4, '0')}`;
    lines.push(
      [personId, KON[i % 2], fault === 0 ? 'hemtjanstx' : TYP[i % TYP.length], SAKOMRADE[i % SAKOMRADE.length], fault === 2 ? '' : STATUS[i % STATUS.length], day, fault === 1 ? '2026-02-30' : day, UTFALL[i % 3], LAGRUM[i % LAGRUM.length]].join(';'),
    );
    if (lines.length >= 10_000) flush();
  }
  flush();
  fs.closeSync(out);
  return fs.statSync(file).size;
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Posts a file as a stream and reads the answer; returns its size and status. */
function post(url: string, file: string): Promise<{ status: number; bytes: number; tail: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Length': fs.statSync(file).size } }, (res) => {
      let bytes = 0;
      let tail = '';
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        tail = (tail + chunk.toString('utf8')).slice(-400);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, tail }));
      res.on('error', reject);
    });
    req.on('error', reject);
    fs.createReadStream(file).pipe(req);
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-bench-submission-'));
  const dbPath = path.join(dir, 'kodverk.db');
  const db = openDatabase(dbPath);
  const store = new ResourceStore(db);
  loadInitialContent(db, store, loadConfig({ loadFhirCore: false, contentPackDir: PACK }));
  new ResourceLoader(db, store).load([AKTIVITETSSTATUS]);
  loadNimSeed(db, store, path.join(PACK, 'nim'));
  const nim = openNim(db, store);
  nim.releases.transition('1.1.0', 'faststalld', { effectiveFrom: '2026-07-01', overrideLeadTime: 'benchmark' });

  const file = path.join(dir, 'submission.csv');
  const size = generate(file, ROWS);
  console.log(`Kodverk submission benchmark: ${ROWS.toLocaleString('sv-SE')} rows (${mb(size)}), 9 columns over 3 NIMs, node ${process.version}, ${os.cpus().length} cpus`);

  // directly: the validator reading the file as a stream, the report discarded
  const validator = new SubmissionValidator(new NimValidation(nim, store));
  let reportBytes = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 20);
  const t0 = process.hrtime.bigint();
  const summary = await validator.run(fs.createReadStream(file), { format: 'csv' }, (text) => void (reportBytes += text.length));
  const direct = Number(process.hrtime.bigint() - t0) / 1e9;
  clearInterval(sampler);
  console.log(`${'validator (file stream → report)'.padEnd(40)} ${String(Math.round(ROWS / direct)).padStart(8)} rows/s  ${direct.toFixed(2).padStart(6)} s  report ${mb(reportBytes)}, peak heap ${mb(peakHeap)}`);
  console.log(`${''.padEnd(40)} ${summary.rowsWithErrors} rows with errors, releases ${JSON.stringify(summary.releases)}`);
  db.close();

  // through HTTP: the real server on the same store, the file streamed up and the report down
  const server = await startServer({ port: 0, host: '127.0.0.1', dbPath, contentPackDir: PACK, logLevel: 'silent', workers: 0, maxBodyBytes: Math.max(size + 1, 20 * 1024 * 1024) });
  try {
    await post(`${server.url}/validate/submission`, file); // warm-up: release index and caches
    const t1 = process.hrtime.bigint();
    const answer = await post(`${server.url}/validate/submission`, file);
    const viaHttp = Number(process.hrtime.bigint() - t1) / 1e9;
    console.log(`${'POST /validate/submission'.padEnd(40)} ${String(Math.round(ROWS / viaHttp)).padStart(8)} rows/s  ${viaHttp.toFixed(2).padStart(6)} s  HTTP ${answer.status}, report ${mb(answer.bytes)}, server rss ${mb(process.memoryUsage().rss)}`);
    if (!answer.tail.includes('"complete":true')) console.log('  the report did not complete:', answer.tail);
    // one record at a time, as a vendor's system validates while documenting
    const body = JSON.stringify({ nim: 'https://kodverk.se/fhir/StructureDefinition/nim-myndighetsbeslut', record: { datum: '2026-08-01', utfall: 'beviljad', lagrum: ['SoL2025-12:1'], status: '30' } });
    const records = 2000;
    const t2 = process.hrtime.bigint();
    for (let i = 0; i < records; i++) await fetch(`${server.url}/validate/record`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }).then((r) => r.arrayBuffer());
    const viaRecord = Number(process.hrtime.bigint() - t2) / 1e9;
    console.log(`${'POST /validate/record (sequential)'.padEnd(40)} ${String(Math.round(records / viaRecord)).padStart(8)} req/s   ${((viaRecord / records) * 1000).toFixed(2).padStart(6)} ms each`);
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
