import type { CodeSystem } from 'fhir/r4';
import type { ResourceStore } from '../store/resource-store';
import { ConceptStore } from '../store/concept-store';
import { StoredCodeSystemProvider } from './providers/stored-codesystem';
import { providerKindFor } from './providers/registry';
import './code-system-kinds';
import type { ResourceSource } from './context';
import type { CodeSystemProvider } from './providers/provider';
import { FhirCodeSystemProvider } from './providers/fhir-codesystem';
import { canonicalOf } from './versions';
import { cacheCounter } from './cache-stats';

const RESOURCES = cacheCounter('resources');
const PROVIDERS = cacheCounter('providers');

/**
 * The stored resources as the engine sees them, with parsed resources and built providers kept
 * between requests until the store changes (here or in another process).
 */
export class StoreResourceSource implements ResourceSource {
  private seenChange = '';
  private readonly byUrlCache = new Map<string, any[]>();
  private readonly providers = new Map<string, CodeSystemProvider>();
  /**
   * Store row of each resource object handed out (to find its concept rows). Kept across a clear:
   * a request that read a code system just before another connection wrote still needs its rows,
   * and a row's key outlives its updates (entries go with the objects).
   */
  private readonly pkOf = new WeakMap<object, number>();
  private readonly concepts: ConceptStore;

  constructor(private readonly store: ResourceStore) {
    this.concepts = store.conceptStore();
  }

  /** Within `during`: the store's change counter was read at the call's start. */
  private pinned = false;

  /**
   * Runs one engine call seeing the store as it was when the call began: the change counter (a
   * query) is read once, not again for every resource and provider the call looks up (a worker
   * thread's read-only connection changes nothing meanwhile; another process's import shows from
   * the next call on).
   */
  during<T>(call: () => T): T {
    if (this.pinned) return call();
    this.fresh();
    this.pinned = true;
    try {
      return call();
    } finally {
      this.pinned = false;
    }
  }

  private fresh(): void {
    if (this.pinned) return;
    const now = this.store.changeCounter;
    if (now !== this.seenChange) {
      this.seenChange = now;
      this.clear();
    }
  }

  /** Forgets every parsed resource and built provider (they are rebuilt on demand). */
  clear(): void {
    this.byUrlCache.clear();
    this.providers.clear();
  }

  byUrl(resourceType: string, url: string): any[] {
    this.fresh();
    const key = `${resourceType} ${url}`;
    let list = this.byUrlCache.get(key);
    if (list) RESOURCES.hit();
    else {
      RESOURCES.miss();
      list = this.store.byUrl(resourceType, url).map((r) => {
        this.pkOf.set(r.resource, r.pk);
        return r.resource;
      });
      this.byUrlCache.set(key, list);
    }
    return list;
  }

  supplementsOf(url: string): CodeSystem[] {
    this.fresh();
    const key = `supplements ${url}`;
    let list = this.byUrlCache.get(key);
    if (!list) {
      list = this.store.supplementsOf(url).map((r) => r.resource);
      this.byUrlCache.set(key, list);
    }
    return list;
  }

  allConceptMaps(): any[] {
    this.fresh();
    let list = this.byUrlCache.get('all ConceptMap');
    if (!list) {
      list = this.store.search('ConceptMap', {}, { count: 100000, offset: 0 }).map((r) => r.resource);
      this.byUrlCache.set('all ConceptMap', list);
    }
    return list;
  }

  urlsByIdentifier(value: string): { resourceType: string; url: string }[] {
    return this.store.urlsByIdentifier(value);
  }

  providerFor(cs: CodeSystem, supplements: CodeSystem[]): CodeSystemProvider {
    this.fresh();
    const key = [cs, ...supplements].map((r) => `${canonicalOf(r.url ?? '', r.version)}@${r.meta?.versionId ?? ''}`).join(',');
    let p = this.providers.get(key);
    if (p) PROVIDERS.hit();
    else {
      PROVIDERS.miss();
      const pk = this.pkOf.get(cs);
      const kind = providerKindFor(cs);
      if (pk !== undefined && this.concepts.hasConcepts(pk)) {
        p = kind?.stored
          ? kind.stored({ db: this.store.database, concepts: this.concepts, csPk: pk, resource: cs, supplements })
          : new StoredCodeSystemProvider(this.concepts, pk, cs, supplements);
      } else {
        p = kind?.inMemory ? kind.inMemory(cs, supplements) : new FhirCodeSystemProvider(cs, supplements);
      }
      this.providers.set(key, p);
    }
    return p;
  }
}
