/**
 * Snomed CT at scale: generates a synthetic RF2 release (the shared synth-rf2 generator), imports
 * it into a fresh SQLite file and measures $lookup, $validate-code, $subsumes and ECL $expand on
 * the generator's request pools (whose known answers are checked on the way). Numbers printed,
 * nothing asserted.
 *   npm run build && node dist/bench/snomed.js                    # 350,000 concepts
 *   node dist/bench/snomed.js --concepts 20000 --seconds 1        # a quick check
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ParametersParameter } from 'fhir/r4';
import { Command } from 'commander';
import { openDatabase } from '../src/store/database';
import { ResourceStore } from '../src/store/resource-store';
import { SnomedStore } from '../src/store/snomed-store';
import { runImport } from '../src/importers/run-import';
import { rf2Importer } from '../src/importers/rf2';
import { StoreResourceSource } from '../src/terminology/store-source';
import { TerminologyEngine } from '../src/terminology/engine';
import { EclEvaluator } from '../src/terminology/snomed/ecl-evaluator';
import { parseEcl } from '../src/terminology/snomed/ecl-parser';

const opts = new Command()
  .option('--concepts <n>', 'concepts in the synthetic release', '350000')
  .option('--seconds <s>', 'time per measurement', '3')
  .option('--generator <file>', 'the synth-rf2 generator', path.resolve(__dirname, '../../../shared/tools/synth-rf2/generate.mjs'))
  .option('--keep', 'keep the release and the database in the temp folder')
  .parse()
  .opts();
const SECONDS = Number(opts.seconds);
const SCT = 'http://snomed.info/sct';

interface Pools {
  concepts: string[];
  codeDisplay: { code: string; display: string; displaySv?: string }[];
  subsumes: { codeA: string; codeB: string; outcome: string }[];
  isa: { valueSetUrl: string; code: string; descendants: number }[];
  ecl: { ecl: string; kind: string; expected: number }[];
}

function readPools(dir: string): Pools {
  const read = (f: string) => JSON.parse(fs.readFileSync(path.join(dir, 'pools', f), 'utf8'));
  return { concepts: read('concepts.json'), codeDisplay: read('code-display.json'), subsumes: read('subsumes.json'), isa: read('isa.json'), ecl: read('ecl.json') };
}

/** Runs `op` over the pool for SECONDS and prints throughput and latency percentiles. */
function bench<T>(label: string, pool: T[], op: (item: T) => void): void {
  const times: number[] = [];
  const until = Date.now() + SECONDS * 1000;
  for (let i = 0; Date.now() < until || i < pool.length; i++) {
    const t = process.hrtime.bigint();
    op(pool[i % pool.length]);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (i >= pool.length * 50) break;
  }
  const total = times.reduce((a, b) => a + b, 0);
  times.sort((a, b) => a - b);
  const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
  console.log(`${label.padEnd(44)} ${String(Math.round((times.length / total) * 1000)).padStart(7)} ops/s   p50 ${p(0.5).padStart(7)} ms   p95 ${p(0.95).padStart(7)} ms   (${times.length} calls)`);
}

const param = (name: string, value: string): ParametersParameter => ({ name, valueString: value });
const valueOf = (out: ParametersParameter[], name: string) => {
  const p = out.find((x) => x.name === name);
  return p && Object.entries(p).find(([k]) => k.startsWith('value'))?.[1];
};

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-bench-sct-'));
  const release = path.join(dir, 'release');
  console.log(`Kodverk Snomed CT benchmark: ${Number(opts.concepts).toLocaleString('sv-SE')} concepts, node ${process.version}, ${os.cpus().length} cpus, in ${dir}`);
  let t = Date.now();
  execFileSync(process.execPath, [opts.generator, '--out', release, '--concepts', String(opts.concepts), '--quiet'], { stdio: 'ignore' });
  console.log(`generate the RF2 release                     ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const db = openDatabase(path.join(dir, 'kodverk.db'));
  const store = new ResourceStore(db);
  const summary = await runImport(db, store, rf2Importer, path.join(release, 'Snapshot'));
  const dbMb = fs.statSync(path.join(dir, 'kodverk.db')).size / 1e6;
  console.log(`import (staging, concepts, closure, text index, relationships, refsets)`);
  console.log(`  ${summary.concepts.toLocaleString('sv-SE')} concepts in ${summary.seconds.toFixed(1)} s (${Math.round(summary.concepts / summary.seconds)} concepts/s), peak RSS ${summary.peakRssMb} MB, database ${dbMb.toFixed(0)} MB`);
  for (const n of summary.notes) console.log(`  ${n}`);
  t = Date.now();
  const again = await runImport(db, store, rf2Importer, path.join(release, 'Snapshot'));
  console.log(`re-import of the same release: ${again.noChange ? 'no change' : 'CHANGED'} in ${((Date.now() - t) / 1000).toFixed(1)} s`);

  const pools = readPools(release);
  const engine = new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes: 10000 });
  const req = (parameters: ParametersParameter[]) => ({ parameters, txResources: [] });

  // answers first: the pools carry them
  const sct = new SnomedStore(db, store.byUrl('CodeSystem', SCT)[0].pk);
  let wrong = 0;
  for (const s of pools.subsumes) if (valueOf(engine.subsumes(req([param('system', SCT), param('codeA', s.codeA), param('codeB', s.codeB)])), 'outcome') !== s.outcome) wrong++;
  for (const e of pools.ecl) {
    const evaluator = new EclEvaluator(sct);
    const active = [...evaluator.members(parseEcl(e.ecl))].filter((pk) => sct.isActive(pk)).length;
    if (active !== e.expected) wrong++;
  }
  for (const c of pools.codeDisplay.slice(0, 100)) if (valueOf(engine.lookup(req([param('system', SCT), param('code', c.code)])), 'display') !== c.display) wrong++;
  console.log(`checked ${pools.subsumes.length} subsumption pairs, ${pools.ecl.length} ECL counts and 100 displays against the pools: ${wrong} wrong`);

  console.log('operations (in process, one thread)');
  bench('$lookup', pools.concepts, (code) => engine.lookup(req([param('system', SCT), param('code', code)])));
  bench('$lookup displayLanguage=sv', pools.concepts, (code) => engine.lookup(req([param('system', SCT), param('code', code), param('displayLanguage', 'sv')])));
  bench('CodeSystem/$validate-code with display', pools.codeDisplay, (c) => engine.validateCodeSystemCode(req([param('url', SCT), param('code', c.code), param('display', c.display)])));
  bench('ValueSet/$validate-code ?fhir_vs=isa/', pools.isa, (c) => engine.validateValueSetCode(req([param('url', c.valueSetUrl), param('system', SCT), param('code', c.code)])));
  bench('$subsumes', pools.subsumes, (s) => engine.subsumes(req([param('system', SCT), param('codeA', s.codeA), param('codeB', s.codeB)])));
  const eclVs = (e: { ecl: string }) => ({ name: 'url', valueUri: `${SCT}?fhir_vs=ecl/${encodeURIComponent(e.ecl)}` }) as ParametersParameter;
  for (const kind of [...new Set(pools.ecl.map((e) => e.kind))]) {
    const items = pools.ecl.filter((e) => e.kind === kind);
    // cold: a new engine per call, so nothing of an earlier evaluation is reused
    bench(`ECL $expand count=100, cold: ${kind}`, items, (e) =>
      new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes: 10000 }).expand(req([eclVs(e), { name: 'count', valueInteger: 100 }])),
    );
  }
  bench('ECL $expand count=100, warm (parsed and cached)', pools.ecl, (e) => engine.expand(req([eclVs(e), { name: 'count', valueInteger: 100 }])));
  bench('ECL $validate-code, refinement, cold', pools.ecl.filter((e) => e.kind === 'refinement'), (e) =>
    new TerminologyEngine(new StoreResourceSource(store)).validateValueSetCode(req([eclVs(e), param('system', SCT), param('code', pools.concepts[e.expected % pools.concepts.length])])),
  );
  db.close();
  if (!opts.keep) fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
