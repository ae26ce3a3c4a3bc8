import type { ServerDeps } from '../http/dependencies';
import type { ConceptStore } from '../store/concept-store';
import { ImportLog } from '../store/import-log';
import type { ResourceStore, StoredResource } from '../store/resource-store';
import type { TerminologyService } from '../terminology/service';
import { compareVersions } from '../terminology/versions';
import { Catalogue, CatalogueSource, codePageOf, pageOf } from './catalogue';
import { MappingIndex } from './mappings';
import { ResourceHead, WebQueries } from '../store/browse-queries';

/** Everything the pages read from: the stores, the engine, and the page-side indexes. */
export class Site {
  readonly store: ResourceStore;
  readonly concepts: ConceptStore;
  readonly terminology: TerminologyService;
  readonly queries: WebQueries;
  readonly catalogue: Catalogue;
  readonly mappings: MappingIndex;
  readonly imports: ImportLog;

  constructor(deps: Pick<ServerDeps, 'store' | 'terminology'>, extraCatalogue: CatalogueSource[] = []) {
    this.store = deps.store;
    this.concepts = deps.store.conceptStore();
    this.terminology = deps.terminology;
    this.queries = new WebQueries(deps.store.database, deps.store);
    this.catalogue = new Catalogue(this.queries, () => deps.store.changeCounter, extraCatalogue);
    this.mappings = new MappingIndex(deps.store);
    this.imports = new ImportLog(deps.store.database);
  }

  /** Every stored version of a canonical URL, oldest first. */
  versionsOf(resourceType: string, url: string | undefined): ResourceHead[] {
    if (!url) return [];
    return this.queries
      .heads()
      .all.filter((h) => h.resourceType === resourceType && h.url === url)
      .sort((a, b) => compareVersions(a.version, b.version));
  }

  /** The stored version of a canonical (the latest when no version is given or none matches). */
  head(resourceType: string, url: string | undefined, version?: string): ResourceHead | undefined {
    const all = this.versionsOf(resourceType, url);
    return (version ? all.find((h) => h.version === version) : undefined) ?? all[all.length - 1];
  }

  read(resourceType: string, id: string): StoredResource | undefined {
    return this.store.read(resourceType, id);
  }

  /**
   * The page of a concept, when its code system is stored with that concept: never a link to a
   * page that is not there (a code a stub such as FHIR core's Snomed CT only names, a code the
   * stored version lacks).
   */
  conceptHref(system: string | undefined, code: string, version?: string): string | undefined {
    const cs = this.head('CodeSystem', system, version);
    if (!cs || cs.content === 'not-present') return undefined;
    return this.concepts.byCode(cs.pk, code, true) ? codePageOf(cs.id, code) : undefined;
  }

  /** The page of a canonical resource (url or url|version), when it is stored. */
  canonicalHref(resourceType: string, canonical: string | undefined): string | undefined {
    if (!canonical) return undefined;
    const [url, version] = canonical.split('|');
    const h = this.head(resourceType, url, version);
    return h ? pageOf(h) : undefined;
  }

  /** CodeSystem.valueSet (the value set of all its codes) when it names one that is stored. */
  allCodesValueSet(system: string, version?: string): string | undefined {
    const cs = this.head('CodeSystem', system, version);
    const vs = cs ? this.read('CodeSystem', cs.id)?.resource.valueSet : undefined;
    return typeof vs === 'string' && this.canonicalHref('ValueSet', vs) ? vs : undefined;
  }

  /** Code systems a value set's definition names (include and exclude), cached with the store. */
  valueSetSystems(pk: number): Set<string> {
    const key = this.store.changeCounter;
    if (this.vsSystems?.key !== key) this.vsSystems = { key, byPk: new Map() };
    let systems = this.vsSystems.byPk.get(pk);
    if (!systems) {
      const vs = this.store.readByPk(pk)?.resource;
      systems = new Set<string>();
      for (const part of [...(vs?.compose?.include ?? []), ...(vs?.compose?.exclude ?? [])]) if (typeof part.system === 'string') systems.add(part.system);
      this.vsSystems.byPk.set(pk, systems);
    }
    return systems;
  }
  private vsSystems?: { key: string; byPk: Map<number, Set<string>> };

  /** A short name for a code system URL (its title when stored). */
  systemTitle(system: string | undefined): string {
    if (!system) return '';
    const h = this.head('CodeSystem', system);
    return h?.title ?? h?.name ?? system;
  }
}
