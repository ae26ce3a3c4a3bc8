import type { Db } from '../store/database';
import { NimStore } from '../store/nim-store';
import type { ResourceStore } from '../store/resource-store';
import { NimModels } from './nim-models';
import { NimReleases } from './nim-releases';
import { ContentChange, RefreshTrigger, refreshLines } from './release-refresh';
import type { ImportHooks } from '../importers/run-import';

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

/**
 * Releases follow their content: after canonicals were written or removed (an import, the API),
 * the releases on påseende that depend on them are taken again. Returns lines for a summary.
 */
export function followContent(nim: Nim, trigger: RefreshTrigger, changes: readonly ContentChange[]): string[] {
  return refreshLines(nim.releases.refresh({ trigger, changes }));
}

/** What an import does after writing: the releases on påseende that bind what it changed follow it. */
export function releaseImportHooks(nim: Nim): ImportHooks {
  return { afterLoad: (changes, run) => followContent(nim, { kind: 'import', format: run.format, file: run.fileName }, changes) };
}
