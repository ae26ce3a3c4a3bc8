import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { loadInitialContent } from '../../src/server';
import { openDatabase, Db } from '../../src/store/database';
import { ResourceStore } from '../../src/store/resource-store';
import { loadNimSeed } from '../../src/nim/seed';
import { Nim, openNim } from '../../src/nim';

export const CONTENT_PACK = path.resolve(__dirname, '../../terminology');

export interface SeededStore {
  dir: string;
  db: Db;
  store: ResourceStore;
  nim: Nim;
  close(): void;
}

/** A real SQLite file in a temp folder as a first start leaves it: the content pack and the NIM seed (no FHIR core). */
export function seededStore(pack = CONTENT_PACK): SeededStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kodverk-seeded-'));
  const db = openDatabase(path.join(dir, 'kodverk.db'));
  const store = new ResourceStore(db);
  loadInitialContent(db, store, loadConfig({ loadFhirCore: false, contentPackDir: pack }));
  loadNimSeed(db, store, path.join(pack, 'nim'));
  return {
    dir,
    db,
    store,
    nim: openNim(db, store),
    close: () => {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
