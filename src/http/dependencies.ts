import type { KodverkConfig } from '../config';
import type { Logger } from '../logger';
import type { ResourceStore } from '../store/resource-store';
import type { TerminologyService } from '../terminology/service';
import type { ResourceLoader } from '../importers/loader';
import type { Nim } from '../nim';
import type { SchemaValidator } from '../terminology/resource-schema';
import type { SyndicationPublisher } from '../syndication/publisher';
import type { Follower } from '../syndication/follower';
import type { ServerLifecycle } from './lifecycle';
import type { Authenticator } from '../security/authenticator';
import type { AuditTrail } from '../security/audit-trail';
import type { ClientCaches } from '../terminology/client-caches';

/**
 * What the HTTP routers share. The composition root (src/app.ts) builds it once; each router
 * takes the few members it uses (`Pick<ServerDeps, ...>`), so nothing below the root imports it.
 */
export interface ServerDeps {
  config: KodverkConfig;
  logger: Logger;
  store: ResourceStore;
  terminology: TerminologyService;
  /** the official FHIR R4 JSON schema, for incoming resources and Parameters */
  schema: SchemaValidator;
  /** writes resources (and indexes code-system concepts) */
  loader: ResourceLoader;
  /** NIM versions and releases over the same store */
  nim: Nim;
  /** the syndication catalogue and its artefacts (the feed followers read) */
  syndication: SyndicationPublisher;
  /** set on a follower (read replica): what it follows and how far it has come */
  follower?: Follower;
  /** serving or draining (readiness, shutdown) */
  lifecycle: ServerLifecycle;
  /** who a request's credentials stand for (API token, API keys, OIDC) */
  authenticator: Authenticator;
  /** the audit trail of writes */
  audit: AuditTrail;
  /** the terminology client caches of this process ($cache-control, X-Cache-Id) */
  clientCaches: ClientCaches;
}
