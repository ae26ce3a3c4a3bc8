import type { NimReleaseRow } from '../../store/nim-store';
import type { CodesState, ResolvedValueSet } from '../binding-resolver';
import type { AdditionalPurpose } from '../extensions';
import { ContextCondition, Datatype, EffectivePeriod, Strength, fromStructureDefinition } from '../nim-model';
import type { ReleaseSnapshot, ResolvedBinding } from '../release-snapshot';
import { elementRoot, labelKey } from './labels';

/**
 * ReleaseIndex: a release's snapshot compiled once for validation. Each bound value set becomes
 * in-memory sets of its codes as the release published them, so checking a code is a hash
 * lookup (microseconds) and gives the same answer whatever was imported since. The index is
 * immutable; ReleaseIndexCache keeps the recent ones by version and content hash (a release on
 * påseende that is snapshotted again gets a new hash, so a stale index is never used).
 */

/** The key of system|code in the membership sets (NUL cannot occur in either). */
export const memberKey = (system: string, code: string): string => `${system}\u0000${code}`;

export interface IndexedValueSet {
  /** url|version as resolved at publication */
  key: string;
  url: string;
  version?: string;
  /** bound as url|version (a floating binding resolved to the latest at publication) */
  pinned: boolean;
  title?: string;
  state: CodesState;
  reason?: string;
  members: Set<string>;
  inactive: Set<string>;
  /** code → the systems it has in this value set (to infer the system of a bare code) */
  systemsOf: Map<string, string[]>;
  /** each code system the value set draws on → its version at publication (if known) */
  systems: Map<string, string | undefined>;
}

export interface IndexedBinding {
  strength: Strength;
  /** the canonical as bound (url or url|version) */
  canonical: string;
  vs: IndexedValueSet;
  effective?: EffectivePeriod;
}

export interface IndexedContext {
  purpose: AdditionalPurpose;
  canonical: string;
  vs: IndexedValueSet;
  when: ContextCondition[];
  effective?: EffectivePeriod;
}

export interface IndexedAttribute {
  id: string;
  name: string;
  type: Datatype;
  min: number;
  max: number;
  /** FHIRPath-like path: Insats.typ */
  element: string;
  binding?: IndexedBinding;
  contexts: IndexedContext[];
}

export interface IndexedNim {
  url: string;
  name: string;
  version: string;
  title: string;
  root: string;
  attributes: IndexedAttribute[];
  /** attribute by id and by labelKey of its id and Swedish name */
  byLabel: Map<string, IndexedAttribute>;
}

function indexValueSet(vs: ResolvedValueSet): IndexedValueSet {
  const members = new Set<string>();
  const inactive = new Set<string>();
  const systemsOf = new Map<string, string[]>();
  const systems = new Map<string, string | undefined>();
  for (const c of vs.codeSystems) {
    const bar = c.indexOf('|');
    systems.set(bar < 0 ? c : c.slice(0, bar), bar < 0 ? undefined : c.slice(bar + 1));
  }
  for (const c of vs.codes) {
    const key = memberKey(c.system, c.code);
    members.add(key);
    if (c.inactive) inactive.add(key);
    const list = systemsOf.get(c.code);
    if (!list) systemsOf.set(c.code, [c.system]);
    else if (!list.includes(c.system)) list.push(c.system);
    if (!systems.has(c.system)) systems.set(c.system, c.version);
  }
  // without codes, the systems come from the definition (what the value set would draw on)
  for (const inc of vs.definition?.compose?.include ?? []) if (inc.system && !systems.has(inc.system)) systems.set(inc.system, inc.version);
  const out: IndexedValueSet = { key: vs.key, url: vs.url, pinned: vs.pinned, state: vs.state, members, inactive, systemsOf, systems };
  if (vs.version) out.version = vs.version;
  if (vs.title) out.title = vs.title;
  if (vs.reason) out.reason = vs.reason;
  return out;
}

export class ReleaseIndex {
  readonly version: string;
  readonly status: NimReleaseRow['status'];
  readonly effectiveFrom?: string;
  readonly effectiveTo?: string;
  readonly contentHash: string;
  /** NIMs by name (brukare, aktualisera-arende, …) */
  readonly nims = new Map<string, IndexedNim>();

  constructor(row: NimReleaseRow) {
    if (!row.snapshot || !row.contentHash) throw new Error(`release ${row.version} has no snapshot`);
    this.version = row.version;
    this.status = row.status;
    this.effectiveFrom = row.effectiveFrom;
    this.effectiveTo = row.effectiveTo;
    this.contentHash = row.contentHash;
    const snap = JSON.parse(row.snapshot) as ReleaseSnapshot;
    // by key and pinned-ness: a floating and a pinned binding can resolve to the same url|version,
    // and each keeps its own (a pinned binding never follows an import as a floating one does);
    // the two share the codes
    const sets = new Map<string, IndexedValueSet>();
    const variant = (key: string, pinned: boolean) => `${pinned ? 'pinned' : 'floating'} ${key}`;
    for (const vs of snap.valueSets) if (!sets.has(variant(vs.key, vs.pinned))) sets.set(variant(vs.key, vs.pinned), indexValueSet(vs));
    // a resolved binding by NIM url, attribute and context index ('' for the primary binding)
    const resolved = new Map<string, ResolvedBinding>();
    for (const b of snap.bindings) resolved.set(`${b.nim} ${b.attribute} ${b.context ?? ''}`, b);
    const setOf = (b: ResolvedBinding | undefined) => {
      const pinned = !!b && b.valueSet.includes('|');
      let vs = b && sets.get(variant(b.resolved, pinned));
      const other = b && sets.get(variant(b.resolved, !pinned));
      if (!vs && other) sets.set(variant(other.key, pinned), (vs = { ...other, pinned }));
      if (!vs) throw new Error(`release ${row.version}: a binding's value set is missing from the snapshot`);
      return vs;
    };
    for (const n of snap.nims) {
      const def = fromStructureDefinition(n.resource);
      const root = elementRoot(String(n.resource.name));
      const attributes = def.attributes.map((a): IndexedAttribute => {
        const out: IndexedAttribute = { id: a.id, name: a.name, type: a.type, min: a.min, max: a.max === '*' ? Infinity : Number(a.max), element: `${root}.${a.id}`, contexts: [] };
        if (a.binding) {
          const b = a.binding;
          const primary = resolved.get(`${n.url} ${a.id} `);
          out.binding = { strength: b.strength, canonical: primary?.valueSet ?? b.valueSet, vs: setOf(primary), effective: b.effective };
          out.contexts = b.contexts.map((c, i) => {
            const r = resolved.get(`${n.url} ${a.id} ${i}`);
            return { purpose: c.purpose, canonical: r?.valueSet ?? c.valueSet, vs: setOf(r), when: c.when, effective: b.effective };
          });
        }
        return out;
      });
      const byLabel = new Map<string, IndexedAttribute>();
      for (const a of attributes) {
        byLabel.set(a.id, a);
        for (const k of [labelKey(a.id), labelKey(a.name)]) if (!byLabel.has(k)) byLabel.set(k, a);
      }
      this.nims.set(n.name, { url: n.url, name: n.name, version: n.version, title: n.title, root, attributes, byLabel });
    }
  }
}

/** Recently used release indexes, by version and content hash. */
export class ReleaseIndexCache {
  private readonly entries = new Map<string, ReleaseIndex>();

  constructor(private readonly capacity = 8) {}

  of(row: NimReleaseRow): ReleaseIndex {
    // the lifecycle is part of the key: a repeal changes status and effectiveTo, not the content,
    // and the index reports both in every answer ("in release 1.0.0 (upphavd, …)")
    const key = `${row.version}@${row.contentHash}@${row.status}@${row.effectiveFrom ?? ''}@${row.effectiveTo ?? ''}`;
    let index = this.entries.get(key);
    if (index) {
      // most recently used last, so the oldest is dropped first
      this.entries.delete(key);
    } else {
      index = new ReleaseIndex(row);
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, index);
    return index;
  }
}
