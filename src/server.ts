import type { AddressInfo } from 'node:net';
import { IncomingMessage, RequestListener, Server, ServerResponse, createServer } from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigOverrides, KodverkConfig, loadConfig } from './config';
import { createLogger } from './logger';
import type { DestinationStream } from 'pino';
import { Db, openDatabase } from './store/database';
import { ResourceStore } from './store/resource-store';
import { SHIPPED } from './store/resource-origin';
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
import { ArtefactStore } from './store/artefact-store';
import { SyndicationPublisher } from './syndication/publisher';
import { Follower } from './syndication/follower';
import { ServerLifecycle } from './http/lifecycle';
import { answerClientErrors } from './http/client-errors';
import { ApiKeys } from './security/api-keys';
import { AuditTrail } from './security/audit-trail';
import { Authenticator } from './security/authenticator';
import { ClientCaches } from './terminology/client-caches';
import { OidcVerifier } from './security/oidc';

export interface RunningServer {
  url: string;
  fhirBase: string;
  port: number;
  db: Db;
  store: ResourceStore;
  lifecycle: ServerLifecycle;
  /**
   * Graceful stop: readiness turns 503 at once, the listener stops accepting, requests in flight
   * complete (cut off after the grace period), then the workers and the store close.
   */
  shutdown(graceMs?: number): Promise<ShutdownReport>;
  /** Immediate stop (tests): open connections are cut. */
  close(): Promise<void>;
}

export interface ShutdownReport {
  /** time from the start of the shutdown until the last request in flight ended */
  drainMs: number;
  /** requests in flight when the shutdown began */
  inFlightAtStart: number;
  /** requests still running when the grace period ended (their connections were cut) */
  cutOff: number;
  /** time for the whole shutdown, store closed */
  totalMs: number;
}

const CONTENT_PACK_KEY = 'content-pack-loaded';
const FHIR_CORE_KEY = 'fhir-core-loaded';
const FHIR_CORE_ORIGIN_KEY = 'fhir-core-origin';

/**
 * First start: loads the FHIR R4 core terminology (when enabled) and the content pack from
 * terminology/ into a store that has never had them. Each is loaded once, in one transaction.
 */
export function loadInitialContent(db: Db, store: ResourceStore, config: KodverkConfig): { core: number; pack: number } {
  const loader = new ResourceLoader(db, store);
  let core = 0;
  let pack = 0;
  if (config.loadFhirCore && !store.getMeta(FHIR_CORE_KEY)) {
    const s = new ResourceLoader(db, store, undefined, SHIPPED).load(fhirCoreResources());
    store.setMeta(FHIR_CORE_KEY, new Date().toISOString());
    store.setMeta(FHIR_CORE_ORIGIN_KEY, 'marked');
    core = s.created + s.updated;
  } else if (store.getMeta(FHIR_CORE_KEY) && !store.getMeta(FHIR_CORE_ORIGIN_KEY)) {
    // a store from before origins were recorded: its copy of the core is what Kodverk shipped
    store.markShipped(fhirCoreResources());
    store.setMeta(FHIR_CORE_ORIGIN_KEY, 'marked');
  }
  // a follower's content, the content pack included, comes from the primary's feed
  if (!config.follow && !store.getMeta(CONTENT_PACK_KEY) && fs.existsSync(config.contentPackDir)) {
    const s = loader.load(readFhirFolder(config.contentPackDir));
    store.setMeta(CONTENT_PACK_KEY, new Date().toISOString());
    pack = s.created + s.updated;
  }
  return { core, pack };
}

/** Opens the store, loads the content pack on first start and listens for HTTP. */
export async function startServer(overrides: ConfigOverrides = {}, options: { logDestination?: DestinationStream } = {}): Promise<RunningServer> {
  const config = loadConfig(overrides);
  const logger = createLogger(config.logLevel, options.logDestination);
  logger.info({ db: config.dbPath }, 'Kodverk starting');
  const db = openDatabase(config.dbPath);
  const store = new ResourceStore(db);
  const loaded = loadInitialContent(db, store, config);
  if (loaded.core) logger.info({ resources: loaded.core }, 'FHIR R4 core terminology loaded');
  if (loaded.pack) logger.info({ resources: loaded.pack, from: config.contentPackDir }, 'content pack loaded');
  const nim = openNim(db, store);
  if (!config.follow) {
    // NIMs and their seed releases (terminology/nim/*.yaml), once, after the terminology they bind to
    const nims = loadNimSeed(db, store, path.join(config.contentPackDir, 'nim'));
    if (nims.nims) logger.info(nims, 'NIM seed loaded');
    // releases on påseende follow the store as it is now (a migration, imports by an older version)
    for (const line of refreshLines(nim.releases.refresh({ trigger: { kind: 'start' } }))) logger.info(line);
  }
  const engineOptions = { maxExpansionCodes: config.expansionLimit, maxAssembledCodes: config.pagedExpansionLimit };
  const useWorkers = config.workers > 0 && config.dbPath !== ':memory:' && WorkerPoolService.available();
  const terminology: TerminologyService = useWorkers
    ? new WorkerPoolService(config.dbPath, config.workers, engineOptions, config.security.taskTimeLimitMs)
    : new InProcessService(new TerminologyEngine(new StoreResourceSource(store), engineOptions));
  const schema = new SchemaValidator();
  schema.warmUp();
  const loader = new ResourceLoader(db, store, (changes) => void followContent(nim, { kind: 'api' }, changes));
  const artefacts = new ArtefactStore(config.syndication.artefactDir);
  // staging files of writers killed mid-write (downloads, an import's zip) are never adopted
  const swept = artefacts.sweepStaging();
  if (swept) logger.info({ swept }, 'removed abandoned artefact staging files');
  const syndication = new SyndicationPublisher(db, store, nim, artefacts, config.syndication, { mirrorOnly: !!config.follow });
  // a follower (read replica) takes its content from the feeds it follows
  const follower = config.follow ? new Follower({ dbPath: config.dbPath, db, store, nim, publisher: syndication, config: config.follow, logger }) : undefined;
  const lifecycle = new ServerLifecycle();
  const oidc = config.security.oidc ? new OidcVerifier(config.security.oidc) : undefined;
  const authenticator = new Authenticator(new ApiKeys(db), oidc, config.apiToken);
  const clientCaches = new ClientCaches(config.clientCaches);
  const app = createApp({ config, logger, store, terminology, schema, loader, nim, syndication, follower, lifecycle, authenticator, audit: new AuditTrail(db), clientCaches });
  const server = createHttpServer(app, config);
  answerClientErrors(server, logger, config);
  const inFlight = trackRequests(server, lifecycle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = `http://${host}:${port}`;
  logger.info({ url: `${url}/fhir`, db: config.dbPath, workers: useWorkers ? config.workers : 0, follows: config.follow?.feeds }, 'Kodverk listening');
  follower?.start();

  let stopping: Promise<ShutdownReport> | undefined;
  const shutdown = (graceMs = config.shutdownGraceMs): Promise<ShutdownReport> =>
    (stopping ??= (async () => {
      const started = Date.now();
      lifecycle.beginDrain();
      const atStart = inFlight.count();
      logger.info({ inFlight: atStart, graceMs }, 'shutting down: readiness 503, no new connections, waiting for requests in flight');
      inFlight.closeConnectionsAfterAnswers();
      server.close();
      server.closeIdleConnections();
      const drained = await inFlight.drained(graceMs);
      const drainMs = Date.now() - started;
      const cutOff = drained ? 0 : inFlight.count();
      if (cutOff) logger.warn({ cutOff, graceMs }, 'requests still running at the end of the grace period were cut off');
      server.closeAllConnections();
      await Promise.all([terminology.close(), follower?.stop()]);
      db.close();
      const report = { drainMs, inFlightAtStart: atStart, cutOff, totalMs: Date.now() - started };
      logger.info(report, 'shut down');
      return report;
    })());

  return {
    url,
    fhirBase: `${url}/fhir`,
    port,
    db,
    store,
    lifecycle,
    shutdown,
    close: async () => {
      await shutdown(0);
    },
  };
}

/** Node's HTTP server with this server's timeouts (Node's own defaults wait minutes). */
function createHttpServer(app: RequestListener, config: KodverkConfig): Server {
  const requestTimeout = config.requestTimeoutMs;
  const headersTimeout = requestTimeout > 0 ? Math.min(config.headersTimeoutMs, requestTimeout) : config.headersTimeoutMs;
  const server = createServer(
    {
      requestTimeout,
      headersTimeout,
      // how often Node looks for requests past their timeouts (its default, 30 s, would let a
      // stalled upload hold a connection for up to 30 s beyond the request timeout)
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(Math.min(requestTimeout || 60_000, headersTimeout || 60_000) / 4))),
      maxHeaderSize: config.maxHeaderBytes,
      // a missing Host is refused by the application, with an OperationOutcome (src/http/proxy.ts)
      requireHostHeader: false,
    },
    app,
  );
  server.keepAliveTimeout = config.keepAliveTimeoutMs;
  return server;
}

/** Counts requests in flight; while draining, answers close their connections. */
function trackRequests(server: Server, lifecycle: ServerLifecycle) {
  const active = new Set<ServerResponse>();
  const waiting = new Set<() => void>();
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  server.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    active.add(res);
    if (lifecycle.draining) closeAfter(res);
    res.once('close', () => {
      active.delete(res);
      if (lifecycle.draining) server.closeIdleConnections();
      if (active.size === 0) for (const w of waiting) w();
    });
  });
  return {
    count: () => active.size,
    /** Answers still to be sent end their connections (keep-alive clients reconnect elsewhere). */
    closeConnectionsAfterAnswers(): void {
      for (const res of active) closeAfter(res);
    },
    /** Resolves true when no request is in flight, false when graceMs passed first. */
    drained(graceMs: number): Promise<boolean> {
      if (active.size === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ok: boolean) => {
          clearTimeout(timer);
          waiting.delete(onEmpty);
          resolve(ok);
        };
        const onEmpty = () => done(true);
        const timer = setTimeout(() => done(false), graceMs);
        waiting.add(onEmpty);
      });
    },
  };
}
