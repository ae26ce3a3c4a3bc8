import type { CodeSystem } from 'fhir/r4';
import type { Db } from '../store/database';
import type { ResourceStore, StoredResource } from '../store/resource-store';
import { ConceptInput, ConceptStore } from '../store/concept-store';
import { FhirCodeSystemProvider } from '../terminology/providers/fhir-codesystem';

export interface LoadSummary {
  created: number;
  updated: number;
  unchanged: number;
}

const WITHOUT_META = (r: any) => {
  const { meta: _m, ...rest } = r;
  return JSON.stringify(rest);
};

/** The concepts of a FHIR CodeSystem as rows for the concept tables (hierarchy and status resolved). */
export function conceptsOf(cs: CodeSystem): ConceptInput[] {
  const provider = new FhirCodeSystemProvider(cs);
  const out: ConceptInput[] = [];
  for (const c of provider.all()) {
    const st = provider.status(c);
    out.push({
      code: c.code,
      display: c.display,
      definition: c.definition,
      inactive: st.inactive,
      abstract: st.abstract,
      status: st.status,
      extra: c.extensions.length ? { extension: c.extensions } : undefined,
      parents: c.parents.map((p) => p.code),
      designations: c.designations.map((d) => ({ language: d.language, use: d.use, value: d.value, extra: d.extension })),
      properties: c.properties.map((p) => ({ code: p.code, valueKey: p.valueKey, value: p.value })),
    });
  }
  return out;
}

/**
 * The one way resources enter the store: a batch in one transaction (all or nothing). A resource
 * identical to the stored one is left alone, so loading twice changes nothing. The concepts of
 * code systems are indexed (hierarchy closure, text index) as they are written.
 */
export class ResourceLoader {
  private readonly concepts: ConceptStore;

  constructor(
    private readonly db: Db,
    private readonly store: ResourceStore,
  ) {
    this.concepts = new ConceptStore(db);
  }

  load(resources: any[]): LoadSummary {
    const summary: LoadSummary = { created: 0, updated: 0, unchanged: 0 };
    this.db.transaction(() => {
      for (const r of resources) {
        const { outcome } = this.saveOne(r);
        summary[outcome]++;
      }
    })();
    return summary;
  }

  /** Creates or replaces one resource (in its own transaction). */
  save(resource: any): { stored: StoredResource; created: boolean } {
    return this.db.transaction(() => {
      const { stored, outcome } = this.saveOne(resource);
      return { stored, created: outcome === 'created' };
    })();
  }

  private saveOne(r: any): { stored: StoredResource; outcome: keyof LoadSummary } {
    if (!r || typeof r.resourceType !== 'string' || typeof r.id !== 'string') {
      throw new Error(`Every resource needs a resourceType and an id (got ${JSON.stringify(r).slice(0, 80)})`);
    }
    const existing = this.store.read(r.resourceType, r.id);
    if (existing && WITHOUT_META(existing.resource) === WITHOUT_META(r)) return { stored: existing, outcome: 'unchanged' };
    const { stored, created } = this.store.put(r);
    if (r.resourceType === 'CodeSystem') {
      if (r.content !== 'supplement' && Array.isArray(r.concept) && r.concept.length) this.concepts.write(stored.pk, conceptsOf(r));
      else if (existing) this.concepts.clear(stored.pk);
    }
    return { stored, outcome: created ? 'created' : 'updated' };
  }
}
