import type { ResourceStore } from '../store/resource-store';

/** One mapping of a code, seen from that code. */
export interface MappingRef {
  mapId: string;
  mapTitle: string;
  /** the code on the other side */
  system?: string;
  version?: string;
  code: string;
  display?: string;
  equivalence?: string;
  comment?: string;
  /** the version of the looked-up side the map's group names (any version when absent) */
  hereVersion?: string;
}

const key = (system: string | undefined, code: string) => `${system ?? ''}|${code}`;

/**
 * Every ConceptMap element by its source code (mappings out) and by its target codes (mappings
 * in), rebuilt when the store changes. Concept maps are few and small beside the concepts, so one
 * pass over them answers every concept page with two map lookups.
 */
export class MappingIndex {
  private cache?: { key: string; out: Map<string, MappingRef[]>; in: Map<string, MappingRef[]> };

  constructor(private readonly store: ResourceStore) {}

  private build(): NonNullable<MappingIndex['cache']> {
    const changed = this.store.changeCounter;
    if (this.cache?.key === changed) return this.cache;
    const out = new Map<string, MappingRef[]>();
    const inn = new Map<string, MappingRef[]>();
    const add = (m: Map<string, MappingRef[]>, k: string, r: MappingRef) => (m.get(k) ?? m.set(k, []).get(k)!).push(r);
    for (const s of this.store.summaries('ConceptMap')) {
      const cm = this.store.read('ConceptMap', s.id)?.resource;
      if (!cm) continue;
      const title = cm.title ?? cm.name ?? cm.id;
      for (const g of cm.group ?? []) {
        for (const e of g.element ?? []) {
          if (typeof e.code !== 'string') continue;
          for (const t of e.target ?? []) {
            const base = { mapId: cm.id, mapTitle: title, equivalence: t.equivalence, comment: t.comment };
            if (typeof t.code !== 'string') continue;
            add(out, key(g.source, e.code), { ...base, system: g.target, version: g.targetVersion, code: t.code, display: t.display, hereVersion: g.sourceVersion });
            add(inn, key(g.target, t.code), { ...base, system: g.source, version: g.sourceVersion, code: e.code, display: e.display, hereVersion: g.targetVersion });
          }
        }
      }
    }
    this.cache = { key: changed, out, in: inn };
    return this.cache;
  }

  /** Mappings from a code (of this version of its code system, when the map names versions). */
  from(system: string | undefined, code: string, version?: string): MappingRef[] {
    return forVersion(this.build().out.get(key(system, code)), version);
  }

  to(system: string | undefined, code: string, version?: string): MappingRef[] {
    return forVersion(this.build().in.get(key(system, code)), version);
  }
}

function forVersion(refs: MappingRef[] | undefined, version: string | undefined): MappingRef[] {
  return (refs ?? []).filter((r) => !r.hereVersion || !version || r.hereVersion === version);
}
