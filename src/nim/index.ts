import type { Db } from '../store/database';
import { NimStore } from '../store/nim-store';
import type { ResourceStore } from '../store/resource-store';
import { NimModels } from './nim-models';
import { NimReleases } from './nim-releases';

/** The NIM workflows over one store: NIM versions and releases. */
export interface Nim {
  store: NimStore;
  models: NimModels;
  releases: NimReleases;
}

export function openNim(db: Db, resources: ResourceStore): Nim {
  const store = new NimStore(db);
  const models = new NimModels(store);
  return { store, models, releases: new NimReleases(store, models, resources) };
}
