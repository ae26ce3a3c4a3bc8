import type { Db } from '../store/database';
import type { ResourceStore } from '../store/resource-store';

export interface LoadSummary {
  created: number;
  updated: number;
  unchanged: number;
}

const SKIP_META = (r: any) => {
  const { meta: _m, ...rest } = r;
  return JSON.stringify(rest);
};

/**
 * The one way resources enter the store: a whole batch in one transaction (all or nothing), and a
 * resource identical to the stored one is left alone (so loading twice changes nothing).
 */
export class ResourceLoader {
  constructor(
    private readonly db: Db,
    private readonly store: ResourceStore,
  ) {}

  load(resources: any[]): LoadSummary {
    const summary: LoadSummary = { created: 0, updated: 0, unchanged: 0 };
    this.db.transaction(() => {
      for (const r of resources) {
        if (!r || typeof r.resourceType !== 'string' || typeof r.id !== 'string') {
          throw new Error(`Every resource needs a resourceType and an id (got ${JSON.stringify(r).slice(0, 80)})`);
        }
        const existing = this.store.read(r.resourceType, r.id);
        if (existing && SKIP_META(existing.resource) === SKIP_META(r)) {
          summary.unchanged++;
          continue;
        }
        const { created } = this.store.put(r);
        if (created) summary.created++;
        else summary.updated++;
      }
    })();
    return summary;
  }
}
