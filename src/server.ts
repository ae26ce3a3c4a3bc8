import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigOverrides, KodverkConfig, loadConfig } from './config';
import { createLogger } from './logger';
import { Db, openDatabase } from './store/database';
import { ResourceStore } from './store/resource-store';
import { TerminologyEngine } from './terminology/engine';
import { InProcessService, TerminologyService, WorkerPoolService } from './terminology/service';
import { StoreResourceSource } from './terminology/store-source';
import { createApp } from './app';
import { followContent, openNim } from './nim';
import { refreshLines } from './nim/release-refresh';
import { SchemaValidator } from './terminology/resource-schema';
import { ResourceLoader } from './importers/loader';
import { readFhirFolder } from './importers/fhir-json';
import { fhirCoreResources } from './importers/fhir-core';
import { loadNimSeed } from './nim/seed';
import { ApiKeys } from './security/api-keys';
import { AuditTrail } from './security/audit-trail';
import { Authenticator } from './security/authenticator';
import { OidcVerifier } from './security/oidc';

export interface RunningServer {
  url: string;
  fhirBase: string;
  port: number;
  db: Db;
  store: ResourceStore;
  close(): Promise<void>;
}

const CONTENT_PACK_KEY = 'content-pack-loaded';
const FHIR_CORE_KEY = 'fhir-core-loaded';

/**
 * First start: loads the FHIR R4 core terminology (when enabled) and the content pack from
 * terminology/ into a store that has never had them. Each is loaded once, in one transaction.
 */
export function loadInitialContent(db: Db, store: ResourceStore, config: KodverkConfig): { core: number; pack: number } {
  const loader = new ResourceLoader(db, store);
  let core = 0;
  let pack = 0;
  if (config.loadFhirCore && !store.getMeta(FHIR_CORE_KEY)) {
    const s = loader.load(fhirCoreResources());
    store.setMeta(FHIR_CORE_KEY, new Date().toISOString());
    core = s.created + s.updated;
  }
  if (!store.getMeta(CONTENT_PACK_KEY) && fs.existsSync(config.contentPackDir)) {
    const s = loader.load(readFhirFolder(config.contentPackDir));
    store.setMeta(CONTENT_PACK_KEY, new Date().toISOString());
    pack = s.created + s.updated;
  }
  return { core, pack };
}

/** Opens the store, loads the content pack on first start and listens for HTTP. */
export async function startServer(overrides: ConfigOverrides = {}): Promise<RunningServer> {
  const config = loadConfig(overrides);
  const logger = createLogger(config.logLevel);
  const db = openDatabase(config.dbPath);
  const store = new ResourceStore(db);
  const loaded = loadInitialContent(db, store, config);
  if (loaded.core) logger.info({ resources: loaded.core }, 'FHIR R4 core terminology loaded');
  if (loaded.pack) logger.info({ resources: loaded.pack, from: config.contentPackDir }, 'content pack loaded');
  // NIMs and their seed releases (terminology/nim/*.yaml), once, after the terminology they bind to
  const nims = loadNimSeed(db, store, path.join(config.contentPackDir, 'nim'));
  if (nims.nims) logger.info(nims, 'NIM seed loaded');
  // releases on påseende follow the store as it is now (a migration, imports by an older version)
  const nim = openNim(db, store);
  for (const line of refreshLines(nim.releases.refresh({ trigger: { kind: 'start' } }))) logger.info(line);
  const engineOptions = { maxExpansionCodes: config.expansionLimit };
  const useWorkers = config.workers > 0 && config.dbPath !== ':memory:' && WorkerPoolService.available();
  const terminology: TerminologyService = useWorkers
    ? new WorkerPoolService(config.dbPath, config.workers, engineOptions, config.security.taskTimeLimitMs)
    : new InProcessService(new TerminologyEngine(new StoreResourceSource(store), engineOptions));
  const schema = new SchemaValidator();
  schema.warmUp();
  const loader = new ResourceLoader(db, store, (changes) => void followContent(nim, { kind: 'api' }, changes));
  const oidc = config.security.oidc ? new OidcVerifier(config.security.oidc) : undefined;
  const authenticator = new Authenticator(new ApiKeys(db), oidc, config.apiToken);
  const app = createApp({ config, logger, store, terminology, schema, loader, nim, authenticator, audit: new AuditTrail(db) });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  server.keepAliveTimeout = 5000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url: `${url}/fhir`, db: config.dbPath, workers: useWorkers ? config.workers : 0 }, 'Kodverk listening');
  return {
    url,
    fhirBase: `${url}/fhir`,
    port,
    db,
    store,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          void terminology.close().then(() => {
            db.close();
            resolve();
          });
        });
        server.closeAllConnections();
      }),
  };
}
