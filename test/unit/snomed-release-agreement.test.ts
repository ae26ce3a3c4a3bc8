/**
 * The Snomed CT engine agrees with its release, read here independently of the importer: for every
 * concept of the HL7 test subontology, what $lookup, $validate-code, $subsumes and the implicit
 * value sets say follows from the RF2 files and the rules of the SNOMED CT FHIR guidance:
 * - the display is the preferred synonym of the en-US language reference set; en-GB (or the
 *   reference set's private-use tag) picks the en-GB one, and falls back to the en-US one for a
 *   concept the en-GB set does not cover; the fully specified name only when no synonym is preferred;
 * - every active description is a designation, with its type (FSN or synonym) as its use;
 * - parents are the active inferred IS-A relationships; subsumption is their transitive closure;
 *   `fhir_vs=isa/X` and `ecl/<< X` hold X and its descendants, `ecl/< X` only the descendants;
 * - ECL (SNOMED CT Expression Constraint Language 2.x) means what its specification says, on
 *   generated constraints: the eight hierarchy operators, AND/OR/MINUS, attribute refinements
 *   with value constraints, wildcards and cardinality, reverse and dotted attributes, member-of;
 * - any active description of an active concept is a valid display, with no issue; a term found
 *   only among inactive descriptions is valid with an INACTIVE_DISPLAY_FOUND warning; an inactive
 *   concept validates with `inactive` and the INACTIVE_CONCEPT_FOUND warning.
 * These are checked on every concept, not on the few codes the suite's tests happen to use.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ParametersParameter } from 'fhir/r4';
import { ResourceStore } from '../../src/store/resource-store';
import { StoreResourceSource } from '../../src/terminology/store-source';
import { TerminologyEngine } from '../../src/terminology/engine';
import { runImport } from '../../src/importers/run-import';
import { rf2Importer } from '../../src/importers/rf2';
import { SHARED_DATA } from '../helpers/server';
import { openTempDatabase, removeTempStores, tempDir } from '../helpers/temp-store';

const SUBSET = path.join(SHARED_DATA, 'snomed-tx-subset/snomed');
const SUBSET_URI = 'http://snomed.info/xsct/31000003106/version/20250909';
const SCT = 'http://snomed.info/sct';
const IS_A = '116680003';
const INFERRED = '900000000000011006';
const FSN = '900000000000003001';
const SYNONYM = '900000000000013009';
const US = '900000000000509007';
const GB = '900000000000508004';
const PREFERRED = '900000000000548007';

const present = fs.existsSync(SUBSET);
if (!present) console.warn(`Skipping the Snomed CT release-agreement test: ${SUBSET} is missing`);

/** Data rows of the release's files whose name matches, split into fields (RF2 lines end in CRLF). */
function rows(pattern: RegExp): string[][] {
  const out: string[][] = [];
  for (const f of fs.readdirSync(SUBSET, { recursive: true }) as string[]) {
    if (!pattern.test(path.basename(f))) continue;
    out.push(...fs.readFileSync(path.join(SUBSET, f), 'utf8').split(/\r?\n/).slice(1).filter(Boolean).map((l) => l.split('\t')));
  }
  return out;
}

/** The release as its files state it. */
function readRelease() {
  const active = new Map(rows(/^sct2_Concept_Snapshot/).map((r) => [r[0], r[2] === '1']));
  const descriptions = rows(/^sct2_Description_Snapshot/).map((r) => ({ id: r[0], active: r[2] === '1', concept: r[4], language: r[5], type: r[6], term: r[7] }));
  const acceptability = new Map<string, Record<string, string>>();
  for (const r of rows(/^der2_cRefset_LanguageSnapshot/)) {
    if (r[2] !== '1') continue;
    acceptability.set(r[5], { ...acceptability.get(r[5]), [r[4]]: r[6] });
  }
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  const attributes: { source: string; type: string; target: string }[] = [];
  for (const r of rows(/^sct2_Relationship_Snapshot/)) {
    if (r[2] !== '1' || r[8] !== INFERRED) continue;
    if (r[7] !== IS_A) {
      attributes.push({ source: r[4], type: r[7], target: r[5] });
      continue;
    }
    parents.set(r[4], [...(parents.get(r[4]) ?? []), r[5]]);
    children.set(r[5], [...(children.get(r[5]) ?? []), r[4]]);
  }
  const members = new Map<string, Set<string>>();
  for (const r of rows(/^der2_cRefset_AssociationSnapshot/)) if (r[2] === '1') members.set(r[4], (members.get(r[4]) ?? new Set()).add(r[5]));
  const closure = (links: Map<string, string[]>, code: string, seen = new Set<string>()): Set<string> => {
    for (const next of links.get(code) ?? []) if (!seen.has(next)) closure(links, next, seen.add(next));
    return seen;
  };
  const preferredSynonym = (code: string, refset: string) =>
    descriptions.find((d) => d.concept === code && d.active && d.type !== FSN && acceptability.get(d.id)?.[refset] === PREFERRED)?.term;
  // a concept the dialect's reference set does not cover (the subontology's own module concept is
  // only in en-US) shows the language's default term, not its fully specified name
  const preferredTerm = (code: string, refset: string) =>
    preferredSynonym(code, refset) ?? preferredSynonym(code, US) ?? descriptions.find((d) => d.concept === code && d.active && d.type === FSN)?.term;
  return { active, descriptions, parents, children, attributes, members, ancestors: (c: string) => closure(parents, c), descendants: (c: string) => closure(children, c), preferredTerm };
}

/** A small seeded generator, so that a failure names a case that can be run again. */
function seeded(seed: number) {
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  return { next, pick: <T>(xs: T[]): T => xs[Math.floor(next() * xs.length)] };
}

const value = (out: ParametersParameter[], name: string) => out.find((p) => p.name === name);
const part = (p: ParametersParameter, name: string) => p.part?.find((x) => x.name === name);
const propertyValues = (out: ParametersParameter[], code: string) => out.filter((p) => p.name === 'property' && part(p, 'code')?.valueCode === code).map((p) => part(p, 'value')!);

(present ? describe : describe.skip)('the Snomed CT engine agrees with the RF2 release it imported (every concept of the test subontology)', () => {
  jest.setTimeout(5 * 60 * 1000);
  const release = present ? readRelease() : undefined!;
  let engine: TerminologyEngine;
  const codes = () => [...release.active.keys()];
  const activeCodes = () => codes().filter((c) => release.active.get(c));

  beforeAll(async () => {
    const db = openTempDatabase(path.join(tempDir('kodverk-sct-agreement-'), 'store.db'));
    const store = new ResourceStore(db);
    await runImport(db, store, rf2Importer, SUBSET, { uri: SUBSET_URI });
    engine = new TerminologyEngine(new StoreResourceSource(store));
  });
  afterAll(removeTempStores);

  const lookup = (code: string, extra: ParametersParameter[] = []) =>
    engine.lookup({ txResources: [], parameters: [{ name: 'system', valueUri: SCT }, { name: 'code', valueCode: code }, ...extra] });
  const validate = (code: string, display: string) =>
    engine.validateCodeSystemCode({ txResources: [], parameters: [{ name: 'url', valueUri: SCT }, { name: 'code', valueCode: code }, { name: 'display', valueString: display }] });
  const total = (url: string) => engine.expand({ txResources: [], parameters: [{ name: 'url', valueUri: url }, { name: 'count', valueInteger: 0 }] }).expansion?.total;
  const messageIds = (out: ParametersParameter[]) =>
    (value(out, 'issues')?.resource as { issue?: { extension?: { valueString?: string }[] }[] } | undefined)?.issue?.map((i) => i.extension?.[0]?.valueString) ?? [];

  it('displays the preferred term of the dialect asked for: en-US by default, en-GB by tag or by reference set', () => {
    const problems: string[] = [];
    let dialectsDiffer = 0;
    for (const code of codes()) {
      const us = release.preferredTerm(code, US);
      const shown = value(lookup(code), 'display')?.valueString;
      if (shown !== us) problems.push(`${code}: displays '${shown}', the en-US preferred term is '${us}'`);
      const gb = release.preferredTerm(code, GB);
      if (gb === us) continue;
      dialectsDiffer++;
      for (const tag of ['en-GB', 'en-x-sctlang-90000000-00005080-04']) {
        const inGb = value(lookup(code, [{ name: 'displayLanguage', valueCode: tag }]), 'display')?.valueString;
        if (inGb !== gb) problems.push(`${code} in ${tag}: displays '${inGb}', the en-GB preferred term is '${gb}'`);
      }
    }
    expect(problems).toEqual([]);
    expect(dialectsDiffer).toBeGreaterThan(10); // the subset does exercise the dialects
  });

  it('lists every active description as a designation with its type as use, its inactivity and its inferred parents', () => {
    const problems: string[] = [];
    for (const code of codes()) {
      const out = lookup(code, ['designation', 'inactive', 'parent'].map((p) => ({ name: 'property', valueCode: p })));
      const designations = out.filter((p) => p.name === 'designation').map((p) => `${part(p, 'use')?.valueCoding?.code}|${part(p, 'language')?.valueCode}|${part(p, 'value')?.valueString}`);
      for (const d of release.descriptions.filter((x) => x.concept === code && x.active)) {
        if (!designations.includes(`${d.type}|${d.language}|${d.term}`)) problems.push(`${code}: no designation '${d.term}' (${d.type === FSN ? 'FSN' : d.type === SYNONYM ? 'synonym' : d.type}, ${d.language})`);
      }
      const inactive = propertyValues(out, 'inactive')[0]?.valueBoolean;
      if (inactive !== !release.active.get(code)) problems.push(`${code}: inactive ${inactive}`);
      if (!release.active.get(code)) continue;
      const parents = propertyValues(out, 'parent').map((v) => v.valueCode).sort();
      const stated = [...(release.parents.get(code) ?? [])].sort();
      if (parents.join() !== stated.join()) problems.push(`${code}: parents ${parents.join()} instead of ${stated.join()}`);
    }
    expect(problems).toEqual([]);
  });

  it('holds every concept with descendants and its descendants in isa/X and << X, only the descendants in < X', () => {
    const problems: string[] = [];
    let checked = 0;
    for (const code of activeCodes()) {
      const below = release.descendants(code).size;
      if (below === 0) continue;
      checked++;
      const isa = total(`${SCT}?fhir_vs=isa/${code}`);
      const orSelf = total(`${SCT}?fhir_vs=ecl/${encodeURIComponent('<< ' + code)}`);
      const strictly = total(`${SCT}?fhir_vs=ecl/${encodeURIComponent('< ' + code)}`);
      if (isa !== below + 1 || orSelf !== below + 1 || strictly !== below) problems.push(`${code}: isa ${isa}, << ${orSelf}, < ${strictly}; the release has ${below} descendants`);
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(100);
  });

  it('evaluates generated ECL constraints as the ECL specification defines them on this release', () => {
    const { next, pick } = seeded(7);
    const all = activeCodes();
    const parents = (c: string) => release.parents.get(c) ?? [];
    const children = (c: string) => release.children.get(c) ?? [];
    const hierarchy: Record<string, (c: string) => string[]> = {
      '<': (c) => [...release.descendants(c)],
      '<<': (c) => [c, ...release.descendants(c)],
      '<!': children,
      '<<!': (c) => [c, ...children(c)],
      '>': (c) => [...release.ancestors(c)],
      '>>': (c) => [c, ...release.ancestors(c)],
      '>!': parents,
      '>>!': (c) => [c, ...parents(c)],
    };
    const withChildren = all.filter((c) => children(c).length > 0);
    const cases: [string, Iterable<string>][] = [];
    for (let i = 0; i < 60; i++) {
      const op = pick(Object.keys(hierarchy));
      const c = next() < 0.7 ? pick(withChildren) : pick(all);
      cases.push([`${op} ${c}`, hierarchy[op](c)]);
    }
    for (let i = 0; i < 40; i++) {
      const [a, b] = [pick(withChildren), pick(withChildren)];
      const [opA, opB] = [pick(['<', '<<']), pick(['<', '<<', '>', '>>'])];
      const A = new Set(hierarchy[opA](a));
      const B = new Set(hierarchy[opB](b));
      cases.push([`${opA} ${a} AND ${opB} ${b}`, [...A].filter((x) => B.has(x))]);
      cases.push([`${opA} ${a} OR ${opB} ${b}`, [...A, ...B]]);
      cases.push([`(${opA} ${a} MINUS ${opB} ${b}) OR ${b}`, [...[...A].filter((x) => !B.has(x)), b]]);
    }
    const types = [...new Set(release.attributes.map((a) => a.type))];
    for (let i = 0; i < 40; i++) {
      const type = pick(types);
      const target = pick(release.attributes.filter((a) => a.type === type)).target;
      const focus = pick(withChildren);
      const within = [focus, ...release.descendants(focus)];
      const values = (c: string) => release.attributes.filter((a) => a.source === c && a.type === type).map((a) => a.target);
      cases.push([`* : ${type} = ${target}`, all.filter((c) => values(c).includes(target))]);
      cases.push([`<< ${focus} : ${type} = << ${target}`, within.filter((c) => values(c).some((v) => v === target || release.ancestors(v).has(target)))]);
      cases.push([`<< ${focus} : [0..0] ${type} = *`, within.filter((c) => values(c).length === 0)]);
      cases.push([`<< ${focus} : [2..*] ${type} = *`, within.filter((c) => values(c).length >= 2)]);
      cases.push([`< ${focus} . ${type}`, [...release.descendants(focus)].flatMap(values)]);
      cases.push([`* : R ${type} = ${target}`, values(target)]);
    }
    for (const [refset, codes] of release.members) cases.push([`^ ${refset}`, [...codes].filter((c) => release.active.has(c))]);

    const problems: string[] = [];
    for (const [ecl, expected] of cases) {
      const want = [...new Set(expected)].sort();
      const got = (engine.expand({ txResources: [], parameters: [{ name: 'url', valueUri: `${SCT}?fhir_vs=ecl/${encodeURIComponent(ecl)}` }, { name: 'count', valueInteger: 5000 }] }).expansion?.contains ?? []).map((c) => c.code!).sort();
      if (got.join() !== want.join()) problems.push(`${ecl}: ${got.length} codes, the release gives ${want.length}`);
    }
    expect(problems).toEqual([]);
    expect(cases.length).toBeGreaterThan(400);
  });

  it('judges a code valid against an ECL value set exactly when the value set expands to it', () => {
    const { pick } = seeded(5);
    const all = codes();
    const withChildren = activeCodes().filter((c) => (release.children.get(c) ?? []).length > 0);
    const types = [...new Set(release.attributes.map((a) => a.type))];
    const problems: string[] = [];
    let checked = 0;
    for (let i = 0; i < 40; i++) {
      const [f, g] = [pick(withChildren), pick(withChildren)];
      const ecl = pick([`<< ${f}`, `< ${f} MINUS << ${g}`, `<< ${f} : ${pick(types)} = *`, `<< ${f} OR << ${g}`, `<! ${f}`, `>> ${f}`]);
      const valueSet = { resourceType: 'ValueSet', url: `urn:test:ecl-${i}`, status: 'active', compose: { include: [{ system: SCT, filter: [{ property: 'constraint', op: '=', value: ecl }] }] } };
      const listed = new Set((engine.expand({ txResources: [], parameters: [{ name: 'valueSet', resource: valueSet } as ParametersParameter, { name: 'count', valueInteger: 5000 }] }).expansion?.contains ?? []).map((c) => c.code));
      for (const code of [...[...listed].slice(0, 5), ...Array.from({ length: 15 }, () => pick(all))]) {
        checked++;
        const out = engine.validateValueSetCode({ txResources: [], parameters: [{ name: 'valueSet', resource: valueSet } as ParametersParameter, { name: 'system', valueUri: SCT }, { name: 'code', valueCode: code }] });
        if (value(out, 'result')?.valueBoolean !== listed.has(code)) problems.push(`${ecl} ${code}: valid ${value(out, 'result')?.valueBoolean}, expanded ${listed.has(code)}`);
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(600);
  });

  it('answers $subsumes as the transitive closure of the inferred IS-A relationships', () => {
    const active = activeCodes();
    const { next, pick } = seeded(20250909);
    const problems: string[] = [];
    for (let i = 0; i < 1500; i++) {
      const a = pick(active);
      const above = [...release.ancestors(a)];
      // half the pairs along a line of descent (either way round), half at random
      const b = next() < 0.5 && above.length ? pick(above) : pick(active);
      const [codeA, codeB] = next() < 0.5 ? [a, b] : [b, a];
      const expected =
        codeA === codeB ? 'equivalent' : release.ancestors(codeB).has(codeA) ? 'subsumes' : release.ancestors(codeA).has(codeB) ? 'subsumed-by' : 'not-subsumed';
      const out = engine.subsumes({ txResources: [], parameters: [{ name: 'system', valueUri: SCT }, { name: 'codeA', valueCode: codeA }, { name: 'codeB', valueCode: codeB }] });
      const outcome = value(out, 'outcome')?.valueCode;
      if (outcome !== expected) problems.push(`${codeA} vs ${codeB}: ${outcome}, the release says ${expected}`);
    }
    expect(problems).toEqual([]);
  });

  it('accepts any active description as display; an inactive-only term with a warning; an inactive concept with its warning', () => {
    const problems: string[] = [];
    let inactiveTerms = 0;
    for (const d of release.descriptions) {
      if (!release.active.has(d.concept)) continue;
      const out = validate(d.concept, d.term);
      const result = value(out, 'result')?.valueBoolean;
      const ids = messageIds(out);
      const conceptActive = release.active.get(d.concept)!;
      const alsoActive = release.descriptions.some((x) => x.concept === d.concept && x.active && x.term.toLowerCase() === d.term.toLowerCase());
      if (result !== true) problems.push(`${d.concept} '${d.term}': result ${result}`);
      if (conceptActive && alsoActive && ids.length) problems.push(`${d.concept} '${d.term}': issues ${ids.join()}`);
      if (!alsoActive) {
        inactiveTerms++;
        if (!ids.includes('INACTIVE_DISPLAY_FOUND')) problems.push(`${d.concept} '${d.term}' (inactive description): issues ${ids.join() || 'none'}`);
      }
      if (!conceptActive && (value(out, 'inactive')?.valueBoolean !== true || !ids.includes('INACTIVE_CONCEPT_FOUND'))) problems.push(`${d.concept} (inactive concept): not reported inactive`);
    }
    expect(problems).toEqual([]);
    expect(inactiveTerms).toBeGreaterThan(100);
  });
});
