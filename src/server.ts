import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import fs from 'node:fs';
import { KodverkConfig, loadConfig } from './config';
import { createLogger } from './logger';
import { Db, openDatabase } from './store/database';
import { ResourceStore } from './store/resource-store';
import { TerminologyEngine } from './terminology/engine';
import { StoreResourceSource } from './terminology/store-source';
import { createApp } from './fhir/app';
import { SchemaValidator } from './fhir/schema-validation';
import { ResourceLoader } from './importers/loader';
import { readFhirFolder } from './importers/fhir-json';

export interface RunningServer {
  url: string;
  fhirBase: string;
  port: number;
  db: Db;
  store: ResourceStore;
  close(): Promise<void>;
}

const CONTENT_PACK_KEY = 'content-pack-loaded';

/** Loads the content pack from terminology/ into a store that has never had it. */
export function loadContentPackIfNew(db: Db, store: ResourceStore, dir: string): number {
  if (store.getMeta(CONTENT_PACK_KEY) || !fs.existsSync(dir)) return 0;
  const resources = readFhirFolder(dir);
  const summary = new ResourceLoader(db, store).load(resources);
  store.setMeta(CONTENT_PACK_KEY, new Date().toISOString());
  return summary.created + summary.updated;
}

/** Opens the store, loads the content pack on first start and listens for HTTP. */
export async function startServer(overrides: Partial<KodverkConfig> = {}): Promise<RunningServer> {
  const config = loadConfig(overrides);
  const logger = createLogger(config.logLevel);
  const db = openDatabase(config.dbPath);
  const store = new ResourceStore(db);
  const loaded = loadContentPackIfNew(db, store, config.contentPackDir);
  if (loaded) logger.info({ resources: loaded, from: config.contentPackDir }, 'content pack loaded');
  const engine = new TerminologyEngine(new StoreResourceSource(store), { maxExpansionCodes: config.expansionLimit });
  const schema = new SchemaValidator();
  schema.warmUp();
  const app = createApp({ config, logger, store, engine, schema });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  server.keepAliveTimeout = 5000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url: `${url}/fhir`, db: config.dbPath }, 'Kodverk listening');
  return {
    url,
    fhirBase: `${url}/fhir`,
    port,
    db,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          db.close();
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
