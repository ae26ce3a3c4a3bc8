import type express from 'express';
import type { CatalogueSource } from '../catalogue';
import type { NimUsesOf } from './concept';
import type { StartSection } from './start';
import type { PinnedBy } from './valueset';
import type { Site } from '../site';

/** Pages that other parts of the server add (NIMs, releases, diffs), mounted on the same router. */
export interface WebExtension {
  catalogue?: CatalogueSource;
  nimUses?: NimUsesOf;
  pinnedBy?: PinnedBy;
  routes?: (router: express.Router, site: Site) => void;
  /** a section of the start page (the NIMs and their utgåvor) */
  start?: StartSection;
}
