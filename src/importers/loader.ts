import type { CodeSystem } from 'fhir/r4';
import type { Db } from '../store/database';
import type { ResourceStore, StoredResource } from '../store/resource-store';
import { ConceptInput, ConceptStore } from '../store/concept-store';
import { FhirCodeSystemProvider } from '../terminology/providers/fhir-codesystem';
import { ImportLog } from '../store/import-log';
import { LOCAL, Origin, heldElsewhere, isOwn, mayReplace } from '../store/resource-origin';
import { ImportError, NO_PROGRESS, Progress, StreamedCodeSystem } from './importer';

export interface LoadSummary {
  created: number;
  updated: number;
  unchanged: number;
  /** store rows of the resources written (created or updated) */
  changedPks: number[];
  /** concepts written to the concept tables */
  concepts: number;
  /** placeholders of the content pack removed because a published version of their URL arrived */
  superseded: number;
  /** every canonical written or removed (what releases binding it must be refreshed for) */
  changed: ChangedCanonical[];
}

/** A canonical resource that was written or removed. */
export interface ChangedCanonical {
  resourceType: string;
  url: string;
  version?: string;
}

export function emptySummary(): LoadSummary {
  return { created: 0, updated: 0, unchanged: 0, changedPks: [], concepts: 0, superseded: 0, changed: [] };
}

/**
 * The mark (meta.tag) of a content-pack resource that stands in for one a publisher's import
 * defines (e.g. the KSI selection ksi-aoh before KSI is imported). A URL means one thing: when a
 * version of the same URL without this mark is stored, the placeholder is removed, so a value set
 * never has a placeholder and a published version side by side.
 */
export const PLACEHOLDER_TAG = { system: 'https://kodverk.se/fhir/CodeSystem/kodverk-innehall', code: 'platshallare', display: 'Platshållare tills källan importeras' } as const;

export function isPlaceholder(resource: any): boolean {
  return Array.isArray(resource?.meta?.tag) && resource.meta.tag.some((t: any) => t?.system === PLACEHOLDER_TAG.system && t?.code === PLACEHOLDER_TAG.code);
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

  /**
   * @param onChange told, inside the writing transaction, which canonicals a write or removal
   *   changed (the composition root passes the NIM releases' refresh, so releases on påseende
   *   follow resources written through the API); an import's caller is told by runImport instead.
   * @param origin where what this loader writes comes from (a followed feed, or this instance):
   *   it may replace only what the same source put here (resource-origin.ts)
   */
  constructor(
    private readonly db: Db,
    private readonly store: ResourceStore,
    private readonly onChange?: (changes: ChangedCanonical[]) => void,
    private readonly origin: Origin = LOCAL,
  ) {
    this.concepts = new ConceptStore(db);
  }

  load(resources: any[]): LoadSummary {
    return this.db.transaction(() => {
      const summary = this.loadInTransaction(resources);
      if (summary.changed.length) this.onChange?.(summary.changed);
      return summary;
    })();
  }

  /** As load, for a caller that already holds a transaction (an import writing more). */
  loadInTransaction(resources: any[], summary: LoadSummary = emptySummary()): LoadSummary {
    for (const r of resources) {
      const { stored, outcome, concepts } = this.saveOne(r);
      summary[outcome]++;
      summary.concepts += concepts;
      if (outcome !== 'unchanged') this.noteChange(summary, stored);
      summary.superseded += this.supersedePlaceholders(stored, summary);
    }
    return summary;
  }

  private noteChange(summary: LoadSummary, stored: StoredResource): void {
    summary.changedPks.push(stored.pk);
    if (stored.url) summary.changed.push({ resourceType: stored.resourceType, url: stored.url, version: stored.version });
  }

  /** Removes the placeholders of a URL once a published version of it is stored. */
  private supersedePlaceholders(stored: StoredResource, summary: LoadSummary): number {
    if (!stored.url || isPlaceholder(stored.resource)) return 0;
    let removed = 0;
    for (const other of this.store.byUrl(stored.resourceType, stored.url)) {
      if (other.pk === stored.pk || !isPlaceholder(other.resource) || !mayReplace(this.origin, other.origin)) continue;
      this.store.delete(other.resourceType, other.id);
      summary.changed.push({ resourceType: other.resourceType, url: stored.url, version: other.version });
      removed++;
    }
    return removed;
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
    this.concepts.withIndexesDeferred(() => {
      progress.start(`concepts of ${stream.resource.url}`, typeof stream.resource.count === 'number' ? stream.resource.count : undefined);
      summary.concepts += this.concepts.write(stored.pk, stream.concepts(), (n) => progress.update(n));
      progress.stop();
      stream.writeExtra?.(stored.pk, progress, this.db);
    });
    log.setConceptsSource(stored.pk, sourceSha);
    summary[outcome === 'unchanged' ? 'updated' : outcome]++;
    this.noteChange(summary, stored);
  }

  /** Creates or replaces one resource (in its own transaction). */
  save(resource: any): { stored: StoredResource; created: boolean; summary: LoadSummary } {
    return this.db.transaction(() => {
      const summary = emptySummary();
      const { stored, outcome } = this.saveOne(resource);
      if (outcome !== 'unchanged') this.noteChange(summary, stored);
      summary.superseded += this.supersedePlaceholders(stored, summary);
      if (summary.changed.length) this.onChange?.(summary.changed);
      return { stored, created: outcome === 'created', summary };
    })();
  }

  /** Deletes one resource (and its concepts); false when there is none. */
  remove(resourceType: string, id: string): boolean {
    return this.db.transaction(() => {
      const existing = this.store.read(resourceType, id);
      if (!existing || !this.store.delete(resourceType, id)) return false;
      if (existing.url) this.onChange?.([{ resourceType, url: existing.url, version: existing.version }]);
      return true;
    })();
  }

  /**
   * Refuses (and so undoes the whole load) a write that would replace what another source put here:
   * the same type and id, or another resource with the same url|version (which would stand beside
   * it and be found in its place).
   */
  private mustNotReplaceOthers(r: any, existing: StoredResource | undefined): void {
    if (isOwn(this.origin)) return;
    const held = [existing, ...(typeof r.url === 'string' ? this.store.byUrl(r.resourceType, r.url).filter((o) => o.id !== r.id && (o.version ?? '') === (r.version ?? '')) : [])];
    const other = held.find((h) => h && !mayReplace(this.origin, h.origin));
    if (other) {
      const canonical = other.url ? ` (${other.url}${other.version ? `|${other.version}` : ''})` : '';
      throw new ImportError(heldElsewhere(`${other.resourceType}/${other.id}${canonical}`, other.origin, this.origin));
    }
  }

  private saveOne(r: any): { stored: StoredResource; outcome: 'created' | 'updated' | 'unchanged'; concepts: number } {
    if (!r || typeof r.resourceType !== 'string' || typeof r.id !== 'string') {
      throw new Error(`Every resource needs a resourceType and an id (got ${JSON.stringify(r).slice(0, 80)})`);
    }
    const existing = this.store.read(r.resourceType, r.id);
    if (existing && WITHOUT_META(existing.resource) === WITHOUT_META(r)) return { stored: existing, outcome: 'unchanged', concepts: 0 };
    this.mustNotReplaceOthers(r, existing);
    const { stored, created } = this.store.put(r, this.origin);
    let concepts = 0;
    if (r.resourceType === 'CodeSystem') {
      if (r.content !== 'supplement' && Array.isArray(r.concept) && r.concept.length) concepts = this.concepts.write(stored.pk, conceptsOf(r));
      else if (existing) this.concepts.clear(stored.pk);
    }
    return { stored, outcome: created ? 'created' : 'updated', concepts };
  }
}
