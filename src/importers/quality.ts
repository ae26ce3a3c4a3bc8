import type { CodeSystem, CodeSystemConcept, CodeSystemConceptProperty, ValueSet } from 'fhir/r4';
import type { ResourceStore, StoredResource } from '../store/resource-store';
import type { ConceptRow } from '../store/concept-store';
import type { ImportFindingRow } from '../store/import-log';
import { compareVersions } from '../terminology/versions';
import { ICF_URL, KSI_URL, icfOmfattar } from './ksi-icf-map';
import { KVA_URL } from './kva';

/**
 * The import quality report: what an expert would notice in a publisher's release, reported and
 * stored with the import's provenance, never corrected (Kodverk serves the content as published).
 *
 *   - inclusion-elsewhere: an inclusion (Innefattar) names a code of another inriktning (KSI) or
 *     chapter (ICF) than the concept's own (KSI 2025: SA1.AA.ZZ lists SFA.AA.ZZ … SFK.AA.ZZ);
 *   - inclusion-other-agerande: a KSI inclusion names an aktivitet with another agerande;
 *   - unknown-reference: an inclusion, exclusion or note names a code its code system does not
 *     have, or a selection (urval, core set) lists one;
 *   - self-reference: an inclusion or exclusion names the concept itself;
 *   - duplicate-display: two active concepts with the same title;
 *   - text-changed: the wording of a title, description, inclusion or exclusion differs from the
 *     previous version of the same code system (with whether the release's change columns say
 *     so); differences of case, punctuation and typography alone are not changes of wording.
 *
 * Exclusions naming codes elsewhere are what exclusions are for ("classify it there"), so only
 * inclusions are checked for where their codes belong.
 */

export type QualityKind = 'inclusion-elsewhere' | 'inclusion-other-agerande' | 'unknown-reference' | 'self-reference' | 'duplicate-display' | 'text-changed';
export const QUALITY_KINDS: readonly QualityKind[] = ['inclusion-elsewhere', 'inclusion-other-agerande', 'unknown-reference', 'self-reference', 'duplicate-display', 'text-changed'];

/** One finding: what it is about (a concept, or a code a value set selects), where, which codes. */
export interface QualityFinding extends ImportFindingRow {
  kind: QualityKind;
  resourceType: 'CodeSystem' | 'ValueSet';
}

/** How one code system's texts name its codes, and where a code belongs. */
interface Profile {
  /** a code of this code system in running text */
  pattern: RegExp;
  /** text properties whose codes are checked */
  fields: string[];
  inclusion?: string;
  /**
   * The group a concept belongs to (KSI: its inriktning; ICF: its chapter), for inclusions, and
   * whether a code it includes is within it (another group may be part of this one).
   */
  group?: {
    name: 'inriktning' | 'kapitel';
    of: (c: FlatConcept, all: FlatCodeSystem) => string | undefined;
    within?: (c: FlatConcept, included: FlatConcept, all: FlatCodeSystem) => boolean;
  };
  /** KSI: an aktivitet's agerande */
  agerande?: (c: FlatConcept) => string | undefined;
  /** properties naming codes of another code system, checked when that one is in the store */
  crossReferences?: { property: string; system: string; pattern: RegExp }[];
  /** text fields compared with the previous version, and the change properties that declare a change */
  texts: { field: string; declaredBy?: string[] }[];
}

/** single ICF codes (a range such as d110-d199 names a span by convention, not two codes) */
const ICF_SINGLE = /(?<![A-Za-z0-9-])[bsde]\d{1,5}[A-Z]?(?![A-Za-z0-9-])/g;

const PROFILES: Record<string, Profile> = {
  [KSI_URL]: {
    pattern: /(?<![A-Z0-9.])[A-Z0-9]{3}\.[A-Z0-9]{2}\.[A-Z0-9]{2}(?![A-Z0-9.])/g,
    fields: ['innefattar', 'utesluter'],
    inclusion: 'innefattar',
    group: {
      name: 'inriktning',
      of: (c) => c.value('inriktning'),
      // an inriktning below the concept's own (SA1 holds SA2), by the hierarchy or by the ICF
      // range it maps to (d110-d199 covers d110-d129); the flat export has no inriktning levels
      // and not every ICF code, so without an ICF code the chapter decides
      within: (c, x, all) => {
        const [own, theirs] = [c.value('inriktning')!, x.value('inriktning')!];
        if (all.ancestors(theirs).includes(own)) return true;
        const [a, b] = [c.value('icf'), x.value('icf')];
        if (a && b) return icfOmfattar(a, b);
        const chapter = (code: string) => all.ancestors(code).find((p) => all.get(p)?.value('typ') === 'kapitel');
        return chapter(own) !== undefined && chapter(own) === chapter(theirs);
      },
    },
    agerande: (c) => c.value('agerande'),
    crossReferences: [{ property: 'icf', system: ICF_URL, pattern: ICF_SINGLE }],
    texts: [
      { field: 'display', declaredBy: ['ändrad-text', 'ny-kod'] },
      { field: 'definition', declaredBy: ['ändrad-beskrivning', 'ny-kod'] },
      { field: 'innefattar', declaredBy: ['ny-innefattar', 'ändrad-innefattar', 'ny-kod'] },
      { field: 'utesluter', declaredBy: ['ny-utesluter', 'ny-kod'] },
    ],
  },
  [ICF_URL]: {
    pattern: ICF_SINGLE,
    fields: ['innefattar', 'utesluter', 'anmarkning'],
    inclusion: 'innefattar',
    group: { name: 'kapitel', of: (c, all) => all.ancestors(c.code).find((a) => all.get(a)?.value('kodniva') === 'kapitel') },
    texts: [{ field: 'display' }, { field: 'definition' }, { field: 'innefattar' }, { field: 'utesluter' }],
  },
  [KVA_URL]: {
    pattern: /(?<![A-Za-zÅÄÖåäö0-9])(?:[A-ZÅÄÖ]{3}\d{2}|[A-ZÅÄÖ]{2}\d{3})(?![A-Za-zÅÄÖåäö0-9])/g,
    fields: ['innefattar', 'utesluter', 'kodningsinformation', 'anmärkning'],
    crossReferences: [{ property: 'icf', system: ICF_URL, pattern: ICF_SINGLE }],
    texts: [{ field: 'display' }, { field: 'definition' }, { field: 'innefattar' }, { field: 'utesluter' }],
  },
};

// ---- a code system's concepts, flat ---------------------------------------------------------

function propertyText(p: CodeSystemConceptProperty): string | undefined {
  const v = p.valueCode ?? p.valueString ?? p.valueCoding?.code ?? p.valueInteger ?? p.valueBoolean ?? p.valueDecimal ?? p.valueDateTime;
  return v === undefined ? undefined : String(v);
}

class FlatConcept {
  constructor(
    readonly code: string,
    readonly display: string | undefined,
    readonly definition: string | undefined,
    readonly inactive: boolean,
    readonly properties: Map<string, string[]>,
  ) {}

  value(property: string): string | undefined {
    return this.properties.get(property)?.[0];
  }

  /** A text field: display, definition or a property's values (joined). */
  text(field: string): string | undefined {
    if (field === 'display') return this.display;
    if (field === 'definition') return this.definition;
    const values = this.properties.get(field);
    return values?.length ? values.join('\n') : undefined;
  }
}

class FlatCodeSystem {
  readonly concepts = new Map<string, FlatConcept>();
  private readonly parents = new Map<string, string[]>();

  add(c: FlatConcept, parents: string[]): void {
    this.concepts.set(c.code, c);
    this.parents.set(c.code, parents);
  }

  get(code: string): FlatConcept | undefined {
    return this.concepts.get(code);
  }

  has(code: string): boolean {
    return this.concepts.has(code);
  }

  /** Every ancestor, nearest first. */
  ancestors(code: string): string[] {
    const out: string[] = [];
    const queue = [...(this.parents.get(code) ?? [])];
    while (queue.length) {
      const p = queue.shift()!;
      if (out.includes(p)) continue;
      out.push(p);
      queue.push(...(this.parents.get(p) ?? []));
    }
    return out;
  }

  static of(cs: CodeSystem): FlatCodeSystem {
    const flat = new FlatCodeSystem();
    const visit = (list: CodeSystemConcept[] | undefined, parent?: string) => {
      for (const c of list ?? []) {
        const props = new Map<string, string[]>();
        const parents = parent ? [parent] : [];
        for (const p of c.property ?? []) {
          const v = propertyText(p);
          if (v === undefined) continue;
          if (p.code === 'parent') parents.push(v);
          props.set(p.code, [...(props.get(p.code) ?? []), v]);
        }
        const inactive = ['retired', 'inactive', 'deprecated'].includes(props.get('status')?.[0] ?? '') || props.get('inactive')?.[0] === 'true';
        flat.add(new FlatConcept(c.code, c.display, c.definition, inactive, props), parents);
        visit(c.concept, c.code);
      }
    };
    visit(cs.concept);
    return flat;
  }

  /** A stored version, from the concept tables (the previous version of a code system). */
  static stored(store: ResourceStore, r: StoredResource): FlatCodeSystem {
    const flat = new FlatCodeSystem();
    const concepts = store.conceptStore();
    let batch: ConceptRow[] = [];
    const flush = () => {
      const props = concepts.propertiesFor(batch.map((c) => c.pk));
      for (const c of batch) {
        const map = new Map<string, string[]>();
        for (const p of props.get(c.pk) ?? []) if (p.value_text !== null) map.set(p.code, [...(map.get(p.code) ?? []), p.value_text]);
        flat.add(new FlatConcept(c.code, c.display ?? undefined, c.definition ?? undefined, c.inactive === 1, map), []);
      }
      batch = [];
    };
    for (const c of concepts.iterate(r.pk)) {
      batch.push(c);
      if (batch.length === 1000) flush();
    }
    flush();
    return flat;
  }
}

// ---- the checks -----------------------------------------------------------------------------

const unique = (list: string[]) => [...new Set(list)];
const codesIn = (text: string | undefined, pattern: RegExp) => unique(text?.match(pattern) ?? []);

/** The codes of a stored code system (the version named, else the latest), or undefined when it is not stored. */
function storedCodes(store: ResourceStore, url: string, version: string | undefined, cache: Map<string, FlatCodeSystem | null>): FlatCodeSystem | undefined {
  const key = `${url}|${version ?? ''}`;
  if (!cache.has(key)) {
    const versions = store.byUrl('CodeSystem', url).sort((a, b) => compareVersions(a.version, b.version));
    const r = version ? versions.find((v) => v.version === version) : versions[versions.length - 1];
    cache.set(key, r ? FlatCodeSystem.stored(store, r) : null);
  }
  return cache.get(key) ?? undefined;
}

function referenceFindings(cs: CodeSystem, flat: FlatCodeSystem, profile: Profile, store: ResourceStore, cache: Map<string, FlatCodeSystem | null>): QualityFinding[] {
  const out: QualityFinding[] = [];
  const at = (c: FlatConcept, kind: QualityKind, field: string, refs: string[], detail?: Record<string, unknown>): QualityFinding => ({
    kind,
    resourceType: 'CodeSystem',
    url: cs.url!,
    ...(cs.version ? { version: cs.version } : {}),
    code: c.code,
    field,
    refs,
    ...(detail ? { detail } : {}),
  });
  for (const c of flat.concepts.values()) {
    for (const field of profile.fields) {
      const refs = codesIn(c.text(field), profile.pattern);
      if (refs.length === 0) continue;
      if (refs.includes(c.code)) out.push(at(c, 'self-reference', field, [c.code]));
      const unknown = refs.filter((r) => !flat.has(r));
      if (unknown.length) out.push(at(c, 'unknown-reference', field, unknown, { in: `${cs.url}${cs.version ? `|${cs.version}` : ''}` }));
      if (field !== profile.inclusion) continue;
      const known = refs.filter((r) => r !== c.code && flat.has(r));
      const group = profile.group;
      const own = group?.of(c, flat);
      if (group && own) {
        // within the concept's own group, or a group that is part of it (SA1 includes SA2.AA.ZZ)
        const elsewhere = known.filter((r) => {
          const theirs = group.of(flat.get(r)!, flat);
          return theirs !== undefined && theirs !== own && !(group.within?.(c, flat.get(r)!, flat) ?? false);
        });
        if (elsewhere.length) out.push(at(c, 'inclusion-elsewhere', field, elsewhere, { group: group.name, own, others: unique(elsewhere.map((r) => group.of(flat.get(r)!, flat)!)) }));
      }
      const agerande = profile.agerande?.(c);
      if (agerande) {
        const other = known.filter((r) => {
          const theirs = profile.agerande!(flat.get(r)!);
          return theirs !== undefined && theirs !== agerande;
        });
        if (other.length) out.push(at(c, 'inclusion-other-agerande', field, other, { own: agerande, others: unique(other.map((r) => profile.agerande!(flat.get(r)!)!)) }));
      }
    }
    for (const x of profile.crossReferences ?? []) {
      const target = storedCodes(store, x.system, undefined, cache);
      if (!target) continue;
      const unknown = codesIn(c.text(x.property), x.pattern).filter((r) => !target.has(r));
      if (unknown.length) out.push(at(c, 'unknown-reference', x.property, unknown, { in: x.system }));
    }
  }
  return out;
}

function duplicateFindings(cs: CodeSystem, flat: FlatCodeSystem): QualityFinding[] {
  const byTitle = new Map<string, string[]>();
  for (const c of flat.concepts.values()) {
    if (c.inactive || !c.display) continue;
    const key = c.display.trim().toLocaleLowerCase('sv');
    byTitle.set(key, [...(byTitle.get(key) ?? []), c.code]);
  }
  const out: QualityFinding[] = [];
  for (const all of byTitle.values()) {
    // a block and its own category may share a title (ICF b440-b449 and b440): that is no duplicate
    const codes = all.filter((code) => all.some((o) => o !== code && !flat.ancestors(code).includes(o) && !flat.ancestors(o).includes(code)));
    if (codes.length < 2) continue;
    for (const code of codes) {
      out.push({ kind: 'duplicate-display', resourceType: 'CodeSystem', url: cs.url!, ...(cs.version ? { version: cs.version } : {}), code, field: 'display', refs: codes.filter((x) => x !== code), detail: { display: flat.get(code)!.display } });
    }
  }
  return out;
}

/**
 * Texts that differ only in how they are typed say the same: letter case (a list's first word
 * capitalised or not), dashes and quotation marks (- or –, " or ”), punctuation and spaces around
 * it, and the concept's own code in parentheses (ICF 2025's block titles end with their range).
 * Reporting those would bury the changes of wording an expert looks for (KSI 2025 against ksi.tsv:
 * 98 of 202 differences were of this kind; ICF 2025 against icf.tsv: 65 of 142).
 */
export function sameWording(a: string, b: string, ownCode: string): boolean {
  const words = (t: string) =>
    t
      .split(`(${ownCode})`)
      .join(' ')
      .toLocaleLowerCase('sv')
      .replace(/[\s\p{P}]+/gu, ' ')
      .trim();
  return words(a) === words(b);
}

/** The stored version sorting right before this one (the "previous version"), if any. */
function previousVersion(store: ResourceStore, cs: CodeSystem): StoredResource | undefined {
  const older = store
    .byUrl('CodeSystem', cs.url!)
    .filter((r) => r.version !== cs.version && compareVersions(r.version, cs.version) < 0)
    .sort((a, b) => compareVersions(a.version, b.version));
  return older[older.length - 1];
}

function textFindings(cs: CodeSystem, flat: FlatCodeSystem, profile: Profile | undefined, store: ResourceStore): QualityFinding[] {
  const previous = previousVersion(store, cs);
  if (!previous) return [];
  const before = FlatCodeSystem.stored(store, previous);
  const fields = profile?.texts ?? [{ field: 'display' }, { field: 'definition' }];
  const norm = (t: string | undefined) => (t ?? '').replace(/\s+/g, ' ').trim();
  const out: QualityFinding[] = [];
  for (const c of flat.concepts.values()) {
    const old = before.get(c.code);
    if (!old) continue;
    for (const f of fields) {
      const [a, b] = [norm(old.text(f.field)), norm(c.text(f.field))];
      if (sameWording(a, b, c.code)) continue;
      const declared = f.declaredBy ? f.declaredBy.some((p) => (c.properties.get(p) ?? []).some((v) => v === cs.version)) : undefined;
      out.push({
        kind: 'text-changed',
        resourceType: 'CodeSystem',
        url: cs.url!,
        ...(cs.version ? { version: cs.version } : {}),
        code: c.code,
        field: f.field,
        detail: { previous: previous.version, before: a, after: b, ...(declared !== undefined ? { declared } : {}) },
      });
    }
  }
  return out;
}

/** A selection (urval, core set) listing codes its code system (version) does not have. */
function selectionFindings(vs: ValueSet, imported: Map<string, FlatCodeSystem>, store: ResourceStore, cache: Map<string, FlatCodeSystem | null>): QualityFinding[] {
  const out: QualityFinding[] = [];
  for (const inc of vs.compose?.include ?? []) {
    if (!inc.system || !inc.concept?.length) continue;
    const codes = imported.get(`${inc.system}|${inc.version ?? ''}`) ?? storedCodes(store, inc.system, inc.version, cache);
    if (!codes) continue;
    for (const c of inc.concept) {
      // a code with ICF qualifiers counts as its category
      const base = c.code.split(/[.+]/)[0];
      if (codes.has(c.code) || codes.has(base)) continue;
      out.push({ kind: 'unknown-reference', resourceType: 'ValueSet', url: vs.url!, ...(vs.version ? { version: vs.version } : {}), code: c.code, field: 'compose', refs: [c.code], detail: { in: `${inc.system}${inc.version ? `|${inc.version}` : ''}` } });
    }
  }
  return out;
}

/**
 * The quality report of what an import is about to write: every check above on each code system
 * with its concepts in the import and each value set that lists codes. Reads the store (previous
 * versions, code systems referred to) and changes nothing.
 */
export function qualityReport(resources: any[], store: ResourceStore): QualityFinding[] {
  const cache = new Map<string, FlatCodeSystem | null>();
  const imported = new Map<string, FlatCodeSystem>();
  const out: QualityFinding[] = [];
  for (const cs of resources.filter((r) => r?.resourceType === 'CodeSystem' && typeof r.url === 'string' && r.concept?.length && r.content !== 'supplement') as CodeSystem[]) {
    const flat = FlatCodeSystem.of(cs);
    imported.set(`${cs.url}|${cs.version ?? ''}`, flat);
    imported.set(`${cs.url}|`, flat);
    const profile = PROFILES[cs.url!];
    if (profile) out.push(...referenceFindings(cs, flat, profile, store, cache));
    out.push(...duplicateFindings(cs, flat), ...textFindings(cs, flat, profile, store));
  }
  for (const vs of resources.filter((r) => r?.resourceType === 'ValueSet' && typeof r.url === 'string') as ValueSet[]) out.push(...selectionFindings(vs, imported, store, cache));
  return out;
}

/** Findings counted by kind (kinds without any left out). */
export function countByKind(findings: readonly QualityFinding[]): Partial<Record<QualityKind, number>> {
  const out: Partial<Record<QualityKind, number>> = {};
  for (const f of findings) out[f.kind] = (out[f.kind] ?? 0) + 1;
  return out;
}

/** The report as summary lines (English, as the import summary is): counts by kind with a few examples. */
export function qualityLines(findings: readonly QualityFinding[]): string[] {
  if (findings.length === 0) return ['quality report: nothing to note'];
  const lines = [`quality report (the data is imported as published): ${findings.length} findings`];
  for (const kind of QUALITY_KINDS) {
    const of = findings.filter((f) => f.kind === kind);
    if (!of.length) continue;
    const examples = of.slice(0, 4).map((f) => `${f.code ?? ''}${f.field && f.field !== 'display' ? ` ${f.field}` : ''}${f.refs?.length ? `: ${f.refs.slice(0, 5).join(', ')}${f.refs.length > 5 ? ', …' : ''}` : ''}`);
    lines.push(`  ${kind}: ${of.length} (${examples.join('; ')}${of.length > 4 ? '; …' : ''})`);
  }
  return lines;
}
