/**
 * The streamed (paged in SQL) and the general expansion paths give the same expansions: on a
 * synthetic Snomed CT release and a stored FHIR code system with random definitions (fast-check),
 * and on every value set of the HL7 terminology-ecosystem suite loaded into a store.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import type { CodeSystem, CodeSystemConcept, ParametersParameter, ValueSet, ValueSetComposeIncludeFilter } from 'fhir/r4';
import { openDatabase, Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { ResourceLoader } from '../../src/importers/loader';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { TerminologyError } from '../../src/terminology/issues';
import { PagedExpansion } from '../../src/terminology/paged-expansion';
import { ConceptSet, ExpansionQueries, TextMatch } from '../../src/store/expansion-queries';
import { TextFilter } from '../../src/terminology/text-filter';
import { SHARED_DATA } from '../helpers/server';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

const SCT = 'http://snomed.info/sct';
const FIX = 'https://kodverk.se/fhir/CodeSystem/paging-fixture';
const GENERATOR = path.resolve(SHARED_DATA, '../tools/synth-rf2/generate.mjs');
const SUITE = path.join(SHARED_DATA, 'tx-ecosystem');
/**
 * The hierarchy filters the definitions draw on: R5's child-of too, which the server takes in an R4
 * filter's op as written (R4's type, ValueSetComposeIncludeFilter, does not list it).
 */
const HIERARCHY_OPS = ['is-a', 'descendent-of', 'child-of', '='] as ValueSetComposeIncludeFilter['op'][];
const WORDS = ['bedömning', 'lärande', 'färdighetsträning', 'hemtjänst', 'boende', 'stöd', 'öga', 'ärr', 'åtgärd', 'hälsa', 'Ärr', 'samtal'];

/** A stored FHIR code system: nested hierarchy, properties, inactive and abstract concepts, Swedish terms. */
function fixtureCodeSystem(): CodeSystem {
  const all: CodeSystemConcept[] = [];
  const roots: CodeSystemConcept[] = [];
  for (let i = 0; i < 240; i++) {
    const c: CodeSystemConcept = {
      code: i % 17 === 0 ? `K${i}.x` : `K${i}`,
      display: i === 5 ? 'Ärr' : `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${i % 5 === 0 ? 'K' + (i + 1) : ''}`.trim(),
      designation: i % 3 === 0 ? [{ language: 'en', value: `Concept ${i} care` }] : undefined,
      property: [
        { code: 'axis', valueCode: `A${i % 4}` },
        ...(i % 11 === 0 ? [{ code: 'status', valueCode: 'retired' }] : []),
        ...(i % 13 === 0 ? [{ code: 'notSelectable', valueBoolean: true }] : []),
      ],
    };
    all.push(c);
    if (i < 3) roots.push(c);
    else (all[Math.floor((i - 3) / 4)].concept ??= []).push(c);
  }
  return {
    resourceType: 'CodeSystem',
    id: 'paging-fixture',
    url: FIX,
    version: '1',
    status: 'active',
    content: 'complete',
    caseSensitive: true,
    hierarchyMeaning: 'is-a',
    property: ['axis', 'status', 'notSelectable'].map((code) => ({ code, type: code === 'notSelectable' ? 'boolean' : 'code', uri: code === 'axis' ? undefined : `http://hl7.org/fhir/concept-properties#${code}` })),
    concept: roots,
  };
}

const strip = (vs: ValueSet): ValueSet => {
  const { identifier: _i, timestamp: _t, ...expansion } = vs.expansion!;
  return { ...vs, expansion: expansion as ValueSet['expansion'] };
};

function outcome(engine: TerminologyEngine, parameters: ParametersParameter[], vs?: ValueSet): unknown {
  try {
    return strip(engine.expand({ parameters, txResources: [] }, vs));
  } catch (e) {
    if (e instanceof TerminologyError) return { error: e.httpStatus, issues: e.issues.map((i) => i.text) };
    throw e;
  }
}

/** Both paths give the same expansion; so do both with a small expansion limit, where the general path manages it. */
function sameBothWays(all: ReturnType<typeof engines>, small: ReturnType<typeof engines>, ps: ParametersParameter[]): void {
  expect(outcome(all.paged, ps)).toEqual(outcome(all.general, ps));
  const limited = outcome(small.general, ps) as { error?: number };
  if (!limited.error) expect(outcome(small.paged, ps)).toEqual(limited);
}

function engines(store: ResourceStore, maxExpansionCodes = 100000): { paged: TerminologyEngine; general: TerminologyEngine } {
  return {
    paged: new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes }),
    general: new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes, pagedExpansion: false }),
  };
}

const generatorPresent = fs.existsSync(GENERATOR);
if (!generatorPresent) console.warn(`Skipping the Snomed CT part of the paged-expansion test: ${GENERATOR} is missing`);

describe('paged and general expansions agree', () => {
  let db: Db;
  let store: ResourceStore;
  let pools: { isa: { ancestor: string; code: string }[]; filters: { filter: string }[]; ecl: { ecl: string; kind: string; focus?: string; attribute?: string; value?: string }[]; refsets: string[] };
  let sctCodes: string[] = [];
  const fixCodes = fixtureCodeSystem()
    .concept!.flatMap(function flat(c): CodeSystemConcept[] {
      return [c, ...(c.concept ?? []).flatMap(flat)];
    })
    .map((c) => c.code);

  beforeAll(async () => {
    const dir = tempDir('kodverk-paged-');
    db = openTempDatabase(path.join(dir, 'kodverk.db'));
    store = new ResourceStore(db);
    new ResourceLoader(db, store).load([fixtureCodeSystem()]);
    if (generatorPresent) {
      const release = path.join(dir, 'release');
      execFileSync(process.execPath, [GENERATOR, '--out', release, '--concepts', '1500', '--quiet'], { stdio: 'ignore' });
      await runImport(db, store, rf2Importer, path.join(release, 'Snapshot'));
      const read = (f: string) => JSON.parse(fs.readFileSync(path.join(release, 'pools', f), 'utf8'));
      const manifest = read('manifest.json');
      pools = { isa: read('isa.json'), filters: read('filters.json'), ecl: read('ecl.json'), refsets: (manifest.refsets ?? []).map((r: { refsetId: string }) => r.refsetId) };
      sctCodes = read('concepts.json');
    }
  }, 120_000);

  afterAll(() => {
    db?.close();
    removeTempStores();
  });

  const paging = fc.record({
    count: fc.integer({ min: 1, max: 25 }),
    offset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 60 })),
    activeOnly: fc.boolean(),
    excludeNotForUI: fc.boolean(),
  });

  function params(vs: ValueSet, p: { count: number; offset: number; activeOnly: boolean; excludeNotForUI: boolean }, filter?: string): ParametersParameter[] {
    const out: ParametersParameter[] = [
      { name: 'valueSet', resource: vs },
      { name: 'count', valueInteger: p.count },
      { name: 'offset', valueInteger: p.offset },
    ];
    if (p.activeOnly) out.push({ name: 'activeOnly', valueBoolean: true });
    if (p.excludeNotForUI) out.push({ name: 'excludeNotForUI', valueBoolean: true });
    if (filter !== undefined) out.push({ name: 'filter', valueString: filter });
    return out;
  }

  it('on random definitions over a stored FHIR code system', () => {
    const all = engines(store);
    const small = engines(store, 30);
    const before = PagedExpansion.served;
    const code = fc.constantFrom(...fixCodes, 'nope');
    const filter: fc.Arbitrary<ValueSetComposeIncludeFilter | undefined> = fc.oneof(
      fc.constant(undefined),
      fc.record({ property: fc.constant('concept'), op: fc.constantFrom(...HIERARCHY_OPS), value: code }),
      fc.record({ property: fc.constant('axis'), op: fc.constant('='), value: fc.constantFrom('A0', 'A1', 'A3', 'A9') }),
    );
    const text = fc.oneof(fc.constant(undefined), fc.constantFrom('bed', 'ärr', 'Ärr', 'ä', 'hälsa stöd', 'K5', 'k17.x', 'concept 3', 'care', 'x', 'öga lär'));
    fc.assert(
      fc.property(filter, text, paging, fc.boolean(), (f, t, p, inactiveFalse) => {
        const vs: ValueSet = { resourceType: 'ValueSet', status: 'active', url: 'https://kodverk.se/test/vs', compose: { include: [f ? { system: FIX, filter: [f] } : { system: FIX }] } };
        if (inactiveFalse) vs.compose!.inactive = false;
        sameBothWays(all, small, params(vs, p, t));
      }),
      { numRuns: 300, seed: 12 },
    );
    expect(PagedExpansion.served - before).toBeGreaterThan(100);
  });

  (generatorPresent ? it : it.skip)('on random definitions over a synthetic Snomed CT release', () => {
    const all = engines(store);
    const small = engines(store, 40);
    const before = PagedExpansion.served;
    const concept = fc.constantFrom(...pools.isa.map((x) => x.ancestor), ...sctCodes.slice(0, 40));
    const refinements = pools.ecl.filter((e) => e.kind === 'refinement');
    const filter: fc.Arbitrary<ValueSetComposeIncludeFilter> = fc.oneof(
      fc.record({ property: fc.constant('concept'), op: fc.constantFrom(...HIERARCHY_OPS), value: concept }),
      fc.record({ property: fc.constant('constraint'), op: fc.constant('='), value: fc.constantFrom(...pools.ecl.map((e) => e.ecl), '*', '< 404684003 MINUS << 64572001') }),
      fc.constantFrom(...refinements.map((e) => ({ property: e.attribute!, op: '=' as const, value: e.value! }))),
      fc.record({ property: fc.constant('inactive'), op: fc.constant('='), value: fc.constantFrom('true', 'false') }),
      fc.record({ property: fc.constant('concept'), op: fc.constant('in'), value: fc.constantFrom(...pools.refsets, pools.refsets.slice(0, 2).join(',')) }),
      fc.record({ property: fc.constant('constraint'), op: fc.constant('='), value: fc.constantFrom(...pools.refsets.map((r) => `^ ${r}`)) }),
    );
    const text = fc.oneof(fc.constant(undefined), fc.constantFrom(...pools.filters.slice(0, 40).map((f) => f.filter), ...sctCodes.slice(0, 5)));
    fc.assert(
      fc.property(fc.array(filter, { minLength: 0, maxLength: 2 }), text, paging, (filters, t, p) => {
        const vs: ValueSet = { resourceType: 'ValueSet', status: 'active', url: 'https://kodverk.se/test/vs', compose: { include: [filters.length ? { system: SCT, filter: filters } : { system: SCT }] } };
        sameBothWays(all, small, params(vs, p, t));
      }),
      { numRuns: 200, seed: 7 },
    );
    expect(PagedExpansion.served - before).toBeGreaterThan(100);
  });

  (generatorPresent ? it : it.skip)('pages read through keyset anchors and kept listings are the pages read from the start', () => {
    const csPk = (db.prepare('SELECT cs_pk FROM concept WHERE code = ?').get(pools.isa[0].ancestor) as { cs_pk: number }).cs_pk;
    const passes = (text: string, words: string) => new TextFilter(words).passes([text]);
    const pkOf = (code: string) => (db.prepare('SELECT pk FROM concept WHERE cs_pk = ? AND code = ?').get(csPk, code) as { pk: number }).pk;
    const textOf = (words: string): TextMatch => {
      const f = new TextFilter(words);
      return { match: f.words.map((w) => `"${w}"*`).join(' AND '), phrase: `^"${f.words.join(' ')}"`, words: f.words, passes: (t) => f.passes([t]) };
    };
    // one instance remembers (anchors only, small whole listings, the default); the reference reads every page afresh
    const remembering = [0, 16, undefined].map((whole) => new ExpansionQueries(db, csPk, passes, whole));
    const roots = [...new Set(pools.isa.map((x) => x.ancestor))].slice(0, 6);
    const set: fc.Arbitrary<ConceptSet> = fc.oneof(
      fc.constant<ConceptSet>({ kind: 'all' }),
      fc.record({ kind: fc.constant<'descendants'>('descendants'), pk: fc.constantFrom(...roots).map(pkOf), self: fc.boolean() }),
      fc.record({ kind: fc.constant<'and'>('and'), sets: fc.tuple(fc.constantFrom(...roots).map((c): ConceptSet => ({ kind: 'descendants', pk: pkOf(c), self: true })), fc.constant<ConceptSet>({ kind: 'inactive', value: false })) }),
    );
    const text = fc.oneof(fc.constant(undefined), fc.constantFrom(...pools.filters.slice(0, 10).map((f) => f.filter)));
    fc.assert(
      fc.property(
        fc.array(fc.record({ set, text, activeOnly: fc.boolean(), offset: fc.integer({ min: 0, max: 400 }), count: fc.integer({ min: 1, max: 30 }) }), { minLength: 1, maxLength: 12 }),
        (requests) => {
          for (const r of requests) {
            const rows = { activeOnly: r.activeOnly, selectableOnly: false };
            const t = r.text === undefined ? undefined : textOf(r.text);
            const expected = new ExpansionQueries(db, csPk, passes).page(r.set, rows, r.offset, r.count, { text: t });
            for (const q of remembering) expect(q.page(r.set, rows, r.offset, r.count, { text: t })).toEqual(expected);
          }
        },
      ),
      { numRuns: 150, seed: 3 },
    );
  });

  (generatorPresent ? it : it.skip)('on the implicit Snomed CT value sets with text filters, deep pages included', () => {
    const { paged, general } = engines(store);
    const urls = [`${SCT}?fhir_vs`, ...pools.isa.slice(0, 8).map((x) => `${SCT}?fhir_vs=isa/${x.ancestor}`), ...pools.ecl.slice(0, 8).map((e) => `${SCT}?fhir_vs=ecl/${encodeURIComponent(e.ecl)}`)];
    for (const url of urls) {
      for (const f of [undefined, ...pools.filters.slice(0, 5).map((x) => x.filter)]) {
        for (const [count, offset] of [
          [10, 0],
          [7, 13],
          [20, 150],
        ]) {
          const ps: ParametersParameter[] = [
            { name: 'url', valueUri: url },
            { name: 'count', valueInteger: count },
            { name: 'offset', valueInteger: offset },
          ];
          if (f) ps.push({ name: 'filter', valueString: f });
          expect([url, f, count, offset, outcome(paged, ps)]).toEqual([url, f, count, offset, outcome(general, ps)]);
        }
      }
    }
  });
});

const suitePresent = fs.existsSync(path.join(SUITE, 'test-cases.json'));
if (!suitePresent) console.warn(`Skipping the suite part of the paged-expansion test: ${SUITE} is missing`);

(suitePresent ? describe : describe.skip)('paged and general expansions agree on every value set of the HL7 suite', () => {
  afterAll(() => removeTempStores());

  it('stored as the suites set them up', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(SUITE, 'test-cases.json'), 'utf8'));
    let compared = 0;
    const before = PagedExpansion.served;
    for (const suite of manifest.suites as { name: string; setup?: string[] }[]) {
      const resources = (suite.setup ?? [])
        .filter((f) => fs.existsSync(path.join(SUITE, f)))
        .map((f) => JSON.parse(fs.readFileSync(path.join(SUITE, f), 'utf8')))
        .filter((r) => r.resourceType === 'CodeSystem' || r.resourceType === 'ValueSet')
        .map((r, i) => ({ ...r, id: r.id ?? `r${i}` }));
      if (!resources.some((r) => r.resourceType === 'ValueSet')) continue;
      const db = openDatabase(':memory:');
      const store = new ResourceStore(db);
      try {
        new ResourceLoader(db, store).load(resources);
      } catch {
        db.close();
        continue; // a suite whose setup the store refuses (its tests send the resources with the request)
      }
      const { paged, general } = engines(store);
      for (const vs of resources.filter((r) => r.resourceType === 'ValueSet' && r.url)) {
        const firstWord = (JSON.stringify(vs).match(/"display":"([^"\s]{3})/) ?? [])[1];
        const variants: ParametersParameter[][] = [
          [{ name: 'count', valueInteger: 3 }],
          [
            { name: 'count', valueInteger: 2 },
            { name: 'offset', valueInteger: 1 },
          ],
          [
            { name: 'count', valueInteger: 4 },
            { name: 'activeOnly', valueBoolean: true },
          ],
          [
            { name: 'count', valueInteger: 2 },
            { name: 'filter', valueString: firstWord ?? 'a' },
          ],
        ];
        for (const v of variants) {
          const ps: ParametersParameter[] = [{ name: 'url', valueUri: vs.url }, ...(vs.version ? [{ name: 'valueSetVersion', valueString: vs.version }] : []), ...v];
          expect([suite.name, vs.url, v, outcome(paged, ps)]).toEqual([suite.name, vs.url, v, outcome(general, ps)]);
          compared++;
        }
      }
      db.close();
    }
    expect(compared).toBeGreaterThan(100);
    expect(PagedExpansion.served - before).toBeGreaterThan(10);
  });
});
