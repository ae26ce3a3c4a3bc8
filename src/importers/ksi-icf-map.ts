/**
 * The ConceptMap KSI → ICF, built from the ICF column of KSI (Inriktning "ICF-kod", Aktiviteter
 * "ICF_kod"; the flat export's "Relaterad ICF-kod").
 *
 * KSI writes its ICF references as a code (`d155`, `b1528C`), a range (`d110-d199`, the ICF
 * chapter or block an inriktning is taken from) or, in other releases, a list (`b410, b440`).
 * Single codes map directly. A range maps to the ICF block with exactly that code when ICF has
 * one, else to the ICF codes it covers at the level of its end points (`d110-d199` → d110, d115,
 * …, d199) when ICF is in the store; without ICF it maps to the range's first and last code as
 * `relatedto`, with a comment saying so.
 *
 * Equivalence: an inriktning is taken from ICF, so an inriktning with a single ICF code is
 * `equivalent` to it and the members of its range are `narrower`. An aktivitet is an action
 * directed at the ICF category, never the category itself, so its targets are `relatedto`.
 *
 * Used by the KSI importer, and meant for the ICF importer too: after ICF is imported, call
 * `ksiIcfConceptMapsFromStore(store, icf)` to rebuild the maps of every stored KSI version with
 * the ranges resolved, and load the result.
 */
import type { CodeSystem, CodeSystemConcept, ConceptMap, ConceptMapGroupElement, ConceptMapGroupElementTarget } from 'fhir/r4';
import type { ResourceStore } from '../store/resource-store';
import { conceptsOf } from './loader';
import { SOCIALSTYRELSEN, resourceId } from './xlsx';
import { compareVersions } from '../terminology/versions';

export const KSI_URL = 'https://kodverk.se/fhir/CodeSystem/ksi';
export const ICF_URL = 'https://kodverk.se/fhir/CodeSystem/icf';
/** Socialstyrelsen's OID for ICF codes and code texts (the OID series, 2025-10-17) */
export const ICF_OID = '1.2.752.116.1.1.3';
export const KSI_ICF_MAP_URL = 'https://kodverk.se/fhir/ConceptMap/ksi-icf';

/** KSI concept properties the map reads (declared by the KSI importer). */
export const ICF_PROPERTY = 'icf';
export const TYP_PROPERTY = 'typ';

/** The ICF codes a map may point at: one ICF version, from the store or from the ICF importer. */
export interface IcfKoder {
  version?: string;
  concepts: Iterable<{ code: string; display?: string }>;
}

/** One ICF reference as KSI writes it: a code, or a range from `first` to `last`. */
export type IcfReferens = { kind: 'kod'; code: string } | { kind: 'intervall'; text: string; first: string; last: string };

const KOD = /^[a-zA-Z]\d+[a-zA-Z]*$/;
const INTERVALL = /^([a-zA-Z]\d+[a-zA-Z]*)\s*[-–]\s*([a-zA-Z]\d+[a-zA-Z]*)$/;

/** The references in an ICF cell; parts that are neither a code nor a range are returned apart. */
export function parseIcfReferenser(text: string): { referenser: IcfReferens[]; oläsliga: string[] } {
  const referenser: IcfReferens[] = [];
  const oläsliga: string[] = [];
  for (const part of text.split(/[,;]/).map((p) => p.trim()).filter(Boolean)) {
    const range = INTERVALL.exec(part);
    if (range) referenser.push({ kind: 'intervall', text: `${range[1]}-${range[2]}`, first: range[1], last: range[2] });
    else if (KOD.test(part)) referenser.push({ kind: 'kod', code: part });
    else oläsliga.push(part);
  }
  return { referenser, oläsliga };
}

/** `e145xx`: KSI marks "and the national codes below" with a trailing xx; the code itself is e145. */
function utanXx(code: string): string {
  return code.replace(/xx$/i, '');
}

/**
 * The span of ICF codes a reference covers, as a lower-case [low, high] text interval: a code
 * covers itself and every code below it (d640 covers d6400), a range from its first code to
 * everything below its last one.
 */
function spann(ref: IcfReferens): [string, string] {
  if (ref.kind === 'kod') return [utanXx(ref.code).toLowerCase(), utanXx(ref.code).toLowerCase() + '\uffff'];
  return [utanXx(ref.first).toLowerCase(), utanXx(ref.last).toLowerCase() + '\uffff'];
}

/** Does the ICF reference text `outer` cover all of `inner` (e.g. d110-d199 covers d155)? */
export function icfOmfattar(outer: string, inner: string): boolean {
  const o = parseIcfReferenser(outer).referenser.map(spann);
  const i = parseIcfReferenser(inner).referenser.map(spann);
  return i.length > 0 && i.every(([lo, hi]) => o.some(([olo, ohi]) => olo <= lo && hi <= ohi));
}

/** ICF codes by lower-case code, for case-insensitive matching (the releases write D298a for d298A). */
type IcfIndex = Map<string, { code: string; display?: string }>;

function indexOf(icf: IcfKoder): IcfIndex {
  const index: IcfIndex = new Map();
  for (const c of icf.concepts) index.set(c.code.toLowerCase(), { code: c.code, display: c.display });
  return index;
}

/** The ICF codes a range covers at the level of its first code (d110-d199: the three-digit categories). */
function intervallMedlemmar(ref: Extract<IcfReferens, { kind: 'intervall' }>, index: IcfIndex): { code: string; display?: string }[] {
  const [lo, hi] = spann(ref);
  const length = utanXx(ref.first).length;
  return [...index.entries()].filter(([k]) => k.length === length && lo <= k && k <= hi).map(([, c]) => c).sort((a, b) => (a.code < b.code ? -1 : 1));
}

interface Källbegrepp {
  code: string;
  display?: string;
  icf: string;
  inriktning: boolean;
}

function målFörKod(ref: Extract<IcfReferens, { kind: 'kod' }>, k: Källbegrepp, index: IcfIndex | undefined, icfVersion: string | undefined): ConceptMapGroupElementTarget {
  const equivalence = k.inriktning ? 'equivalent' : 'relatedto';
  if (!index) return { code: ref.code, equivalence };
  const hit = index.get(ref.code.toLowerCase());
  if (hit) return { code: hit.code, display: hit.display, equivalence };
  return { code: ref.code, equivalence: 'relatedto', comment: `ICF-koden ${ref.code} finns inte i ICF${icfVersion ? ` ${icfVersion}` : ''}` };
}

function målFörIntervall(ref: Extract<IcfReferens, { kind: 'intervall' }>, k: Källbegrepp, index: IcfIndex | undefined): ConceptMapGroupElementTarget[] {
  const block = index?.get(ref.text.toLowerCase());
  if (block) return [{ code: block.code, display: block.display, equivalence: k.inriktning ? 'equivalent' : 'relatedto' }];
  const members = index ? intervallMedlemmar(ref, index) : [];
  if (members.length) {
    return members.map((m) => ({ code: m.code, display: m.display, equivalence: k.inriktning ? 'narrower' : 'relatedto', comment: `ICF-koden ingår i intervallet ${ref.text}` }));
  }
  const why = index ? 'inga ICF-koder i intervallet hittades' : 'ICF finns inte i servern';
  return [
    { code: ref.first, equivalence: 'relatedto', comment: `Första koden i intervallet ${ref.text} (${why}, så intervallet kunde inte lösas upp)` },
    { code: ref.last, equivalence: 'relatedto', comment: `Sista koden i intervallet ${ref.text} (${why}, så intervallet kunde inte lösas upp)` },
  ];
}

function textProperty(c: CodeSystemConcept, code: string): string | undefined {
  return c.property?.find((p) => p.code === code)?.valueString ?? c.property?.find((p) => p.code === code)?.valueCode;
}

/** Every concept of a KSI CodeSystem that names ICF codes (nested concepts included). */
function källbegrepp(ksi: CodeSystem): Källbegrepp[] {
  const out: Källbegrepp[] = [];
  const walk = (list: CodeSystemConcept[]) => {
    for (const c of list) {
      const icf = textProperty(c, ICF_PROPERTY);
      if (icf) out.push({ code: c.code, display: c.display, icf, inriktning: textProperty(c, TYP_PROPERTY) === 'inriktning' });
      if (c.concept) walk(c.concept);
    }
  };
  walk(ksi.concept ?? []);
  return out;
}

/**
 * Builds the ConceptMap KSI → ICF for one KSI version (the CodeSystem as the KSI importer makes
 * it: concepts with an `icf` string property, `typ` telling inriktningar from aktiviteter).
 * With `icf` (one ICF version's codes) ranges resolve to ICF codes; without it they map to their
 * first and last code. Returns undefined when no concept names an ICF code.
 */
export function buildKsiIcfConceptMap(ksi: CodeSystem, icf?: IcfKoder): ConceptMap | undefined {
  const index = icf ? indexOf(icf) : undefined;
  const elements: ConceptMapGroupElement[] = [];
  for (const k of källbegrepp(ksi)) {
    const target = parseIcfReferenser(k.icf).referenser.flatMap((ref) => (ref.kind === 'kod' ? [målFörKod(ref, k, index, icf?.version)] : målFörIntervall(ref, k, index)));
    if (target.length) elements.push({ code: k.code, display: k.display, target: target.map(utanTomma) });
  }
  if (elements.length === 0) return undefined;
  return {
    resourceType: 'ConceptMap',
    id: resourceId('ksi-icf', ksi.version),
    url: KSI_ICF_MAP_URL,
    version: ksi.version,
    name: 'KSI_ICF',
    title: `KSI → ICF (relaterade ICF-koder${ksi.version ? ` i KSI ${ksi.version}` : ''})`,
    status: 'active',
    date: ksi.date,
    publisher: 'Kodverk',
    description:
      `Härledd ur ICF-kolumnerna i Socialstyrelsens KSI${ksi.version ? ` ${ksi.version}` : ''}. Inriktningar med en ICF-kod är ekvivalenta med den; aktiviteter är relaterade till ` +
      `ICF-koden för sin inriktning. Intervall ${icf ? `är upplösta mot ICF${icf.version ? ` ${icf.version}` : ''}` : 'är inte upplösta (ICF fanns inte i servern): första och sista koden anges'}.`,
    jurisdiction: [...SOCIALSTYRELSEN.jurisdiction],
    group: [{ source: ksi.url, sourceVersion: ksi.version, target: ICF_URL, ...(icf?.version ? { targetVersion: icf.version } : {}), element: elements }],
  };
}

function utanTomma(t: ConceptMapGroupElementTarget): ConceptMapGroupElementTarget {
  return Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as ConceptMapGroupElementTarget;
}

/** One ICF version in the store (the latest, or the one asked for), with every code and display. */
export function icfKoderFromStore(store: ResourceStore, version?: string): IcfKoder | undefined {
  const versions = store.byUrl('CodeSystem', ICF_URL).filter((r) => r.resource.content !== 'supplement');
  const chosen = version !== undefined ? versions.find((r) => r.version === version) : versions.sort((a, b) => compareVersions(b.version, a.version))[0];
  if (!chosen) return undefined;
  const concepts = store.conceptStore();
  // read them all now: the caller may close the database before it walks them
  const list = concepts.hasConcepts(chosen.pk)
    ? [...concepts.iterate(chosen.pk)].map((r) => ({ code: r.code, display: r.display ?? undefined }))
    : conceptsOf(chosen.resource).map((c) => ({ code: c.code, display: c.display }));
  return { version: chosen.version, concepts: list };
}

/**
 * The KSI → ICF maps of every KSI version in the store, rebuilt against `icf` (by default the
 * latest ICF in the same store). For the ICF importer: pass the ICF being imported (its version
 * and concepts; it is not in the store yet) and add the maps to its resources.
 */
export function ksiIcfConceptMapsFromStore(store: ResourceStore, icf: IcfKoder | undefined = icfKoderFromStore(store)): ConceptMap[] {
  return store
    .byUrl('CodeSystem', KSI_URL)
    .map((r) => buildKsiIcfConceptMap(r.resource as CodeSystem, icf))
    .filter((m): m is ConceptMap => m !== undefined);
}

