/**
 * Benchmarks of the terminology engine on a real SQLite file (numbers printed, nothing asserted).
 *   npm run bench                       # 100,000 concepts
 *   npm run bench -- --concepts 350000  # Snomed CT scale
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CodeSystem, CodeSystemConcept } from 'fhir/r4';
import { Command } from 'commander';
import { openDatabase } from '../src/store/database';
import { ResourceStore } from '../src/store/resource-store';
import { ResourceLoader } from '../src/importers/loader';
import { StoreResourceSource } from '../src/terminology/store-source';
import { TerminologyEngine } from '../src/terminology/engine';

const opts = new Command().option('--concepts <n>', 'concepts in the synthetic code system', '100000').option('--seconds <s>', 'time per measurement', '2').parse().opts();
const N = Number(opts.concepts);
const SECONDS = Number(opts.seconds);
const WORDS = ['bedömning', 'lärande', 'färdighetsträning', 'hemtjänst', 'boende', 'stöd', 'kontakt', 'ekonomi', 'hälsa', 'förflyttning', 'omsorg', 'samtal'];

/** A synthetic code system: a tree with 8 children per node, Swedish-looking displays, a property. */
function syntheticCodeSystem(n: number): CodeSystem {
  const byIndex: CodeSystemConcept[] = [];
  const roots: CodeSystemConcept[] = [];
  for (let i = 0; i < n; i++) {
    const c: CodeSystemConcept = {
      code: `C${i}`,
      display: `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${i}`,
      designation: [{ language: 'en', value: `Concept ${i}` }],
      property: [{ code: 'axis', valueCode: `A${i % 19}` }],
    };
    byIndex.push(c);
    if (i === 0) roots.push(c);
    else {
      const parent = byIndex[Math.floor((i - 1) / 8)];
      (parent.concept ??= []).push(c);
    }
  }
  return {
    resourceType: 'CodeSystem',
    id: 'bench',
    url: 'https://kodverk.se/fhir/CodeSystem/bench',
    version: '1',
    status: 'active',
    content: 'complete',
    caseSensitive: true,
    hierarchyMeaning: 'is-a',
    language: 'sv',
    property: [{ code: 'axis', type: 'code' }],
    concept: roots,
  };
}

function measure(label: string, fn: (i: number) => void): void {
  const until = Date.now() + SECONDS * 1000;
  let i = 0;
  const t0 = process.hrtime.bigint();
  while (Date.now() < until) fn(i++);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`${label.padEnd(52)} ${String(Math.round((i / ms) * 1000)).padStart(8)} ops/s  ${(ms / i).toFixed(3).padStart(9)} ms/op`);
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-bench-'));
  const db = openDatabase(path.join(dir, 'bench.db'));
  const store = new ResourceStore(db);
  const cs = syntheticCodeSystem(N);
  console.log(`Kodverk engine benchmark: ${N.toLocaleString('sv-SE')} concepts, node ${process.version}, ${os.cpus().length} cpus`);
  let t = Date.now();
  new ResourceLoader(db, store).load([cs]);
  const loadMs = Date.now() - t;
  console.log(`${'load + index (concepts, closure, text)'.padEnd(52)} ${String(Math.round(N / (loadMs / 1000))).padStart(8)} concepts/s  (${(loadMs / 1000).toFixed(1)} s, db ${(fs.statSync(path.join(dir, 'bench.db')).size / 1e6).toFixed(0)} MB)`);

  const engine = new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes: 10000 });
  const sys = cs.url!;
  const code = (i: number) => `C${(i * 7919) % N}`;
  const vsAll = { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: sys }] } };
  const vsIsA = (c: string) => ({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: sys, filter: [{ property: 'concept', op: 'is-a', value: c }] }] } });
  t = Date.now();
  engine.lookup({ parameters: [{ name: 'system', valueUri: sys }, { name: 'code', valueCode: 'C1' }], txResources: [] });
  console.log(`${'first call (provider set-up)'.padEnd(52)} ${String(Date.now() - t).padStart(8)} ms`);

  measure('$lookup', (i) => engine.lookup({ parameters: [{ name: 'system', valueUri: sys }, { name: 'code', valueCode: code(i) }], txResources: [] }));
  measure('CodeSystem/$validate-code', (i) =>
    engine.validateCodeSystemCode({ parameters: [{ name: 'url', valueUri: sys }, { name: 'code', valueCode: code(i) }, { name: 'display', valueString: 'x' }], txResources: [] }),
  );
  measure('ValueSet/$validate-code (is-a filter)', (i) =>
    engine.validateValueSetCode({ parameters: [{ name: 'valueSet', resource: vsIsA('C3') as any }, { name: 'system', valueUri: sys }, { name: 'code', valueCode: code(i) }], txResources: [] }),
  );
  measure('$subsumes', (i) => engine.subsumes({ parameters: [{ name: 'system', valueUri: sys }, { name: 'codeA', valueCode: 'C2' }, { name: 'codeB', valueCode: code(i) }], txResources: [] }));
  measure('$expand whole system, count=20 offset=1000', () =>
    engine.expand({ parameters: [{ name: 'valueSet', resource: vsAll as any }, { name: 'count', valueInteger: 20 }, { name: 'offset', valueInteger: 1000 }], txResources: [] }),
  );
  measure('$expand is-a C100 (subtree), count=100', () =>
    engine.expand({ parameters: [{ name: 'valueSet', resource: vsIsA('C100') as any }, { name: 'count', valueInteger: 100 }], txResources: [] }),
  );
  measure('$expand text filter "hemtjänst ekon", count=20', () =>
    engine.expand({ parameters: [{ name: 'valueSet', resource: vsAll as any }, { name: 'filter', valueString: 'hemtjänst ekon' }, { name: 'count', valueInteger: 20 }], txResources: [] }),
  );
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}

main();
