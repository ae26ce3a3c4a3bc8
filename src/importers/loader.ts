import type { CodeSystem } from 'fhir/r4';
import type { Db } from '../store/database';
import type { ResourceStore, StoredResource } from '../store/resource-store';
import { ConceptInput, ConceptStore } from '../store/concept-store';
import { FhirCodeSystemProvider } from '../terminology/providers/fhir-codesystem';
import { ImportLog } from '../store/import-log';
import { NO_PROGRESS, Progress, StreamedCodeSystem } from './importer';

export interface LoadSummary {
  created: number;
  updated: number;
  unchanged: number;
  /** store rows of the resources written (created or updated) */
  changedPks: number[];
  /** concepts written to the concept tables */
  concepts: number;
}

export function emptySummary(): LoadSummary {
  return { created: 0, updated: 0, unchanged: 0, changedPks: [], concepts: 0 };
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
    return this.db.transaction(() => this.loadInTransaction(resources))();
  }

  /** As load, for a caller that already holds a transaction (an import writing more). */
  loadInTransaction(resources: any[], summary: LoadSummary = emptySummary()): LoadSummary {
    for (const r of resources) {
      const { stored, outcome, concepts } = this.saveOne(r);
      summary[outcome]++;
      summary.concepts += concepts;
      if (outcome !== 'unchanged') summary.changedPks.push(stored.pk);
    }
    return summary;
  }

  /**
   * Writes a code system whose concepts are streamed from the source (Snomed CT scale). The
   * concept rows are rewritten only when the source (by its sha256) differs from the one they
   * were written from. Call inside a transaction.
   */
  saveStreamed(stream: StreamedCodeSystem, sourceSha: string, summary: LoadSummary, progress: Progress = NO_PROGRESS): void {
    const { stored, outcome } = this.saveOne({ ...stream.resource, concept: undefined });
    const log = new ImportLog(this.db);
    if (outcome === 'unchanged' && log.conceptsSource(stored.pk) === sourceSha) {
      summary.unchanged++;
      return;
    }
    progress.start(`concepts of ${stream.resource.url}`, typeof stream.resource.count === 'number' ? stream.resource.count : undefined);
    summary.concepts += this.concepts.write(stored.pk, stream.concepts(), (n) => progress.update(n));
    progress.stop();
    stream.writeExtra?.(stored.pk, progress, this.db);
    log.setConceptsSource(stored.pk, sourceSha);
    summary[outcome === 'unchanged' ? 'updated' : outcome]++;
    summary.changedPks.push(stored.pk);
  }

  /** Creates or replaces one resource (in its own transaction). */
  save(resource: any): { stored: StoredResource; created: boolean } {
    return this.db.transaction(() => {
      const { stored, outcome } = this.saveOne(resource);
      return { stored, created: outcome === 'created' };
    })();
  }

  private saveOne(r: any): { stored: StoredResource; outcome: 'created' | 'updated' | 'unchanged'; concepts: number } {
    if (!r || typeof r.resourceType !== 'string' || typeof r.id !== 'string') {
      throw new Error(`Every resource needs a resourceType and an id (got ${JSON.stringify(r).slice(0, 80)})`);
    }
    const existing = this.store.read(r.resourceType, r.id);
    if (existing && WITHOUT_META(existing.resource) === WITHOUT_META(r)) return { stored: existing, outcome: 'unchanged', concepts: 0 };
    const { stored, created } = this.store.put(r);
    let concepts = 0;
    if (r.resourceType === 'CodeSystem') {
      if (r.content !== 'supplement' && Array.isArray(r.concept) && r.concept.length) concepts = this.concepts.write(stored.pk, conceptsOf(r));
      else if (existing) this.concepts.clear(stored.pk);
    }
    return { stored, outcome: created ? 'created' : 'updated', concepts };
  }
}
