import express from 'express';
import type { ServerDeps } from './http/dependencies';
import { fhirRouter } from './fhir/router';
import { nimRoutes } from './fhir/nim/routes';
import { validateRoutes } from './fhir/nim/validate-routes';
import { webRoutes } from './web/router';
import { WEB_VIEWS } from './web/views';
import { syndicationRoutes } from './fhir/syndication/routes';
import { refuseWrites } from './http/read-replica';
import { requestIds } from './http/request-id';
import { accessLog } from './http/access-log';
import { ServerMetrics } from './http/metrics';
import { healthRoutes } from './http/health';
import { limitUrlLength } from './http/client-errors';
import { requireValidHost } from './http/proxy';
import { CORS_PATHS, corsForApi } from './http/cors';
import { queryParser } from './http/limits';
import { hardening } from './http/hardening';
import { noTagOnErrors, privateAnswers } from './http/answer-headers';
import { securityMiddleware } from './http/auth';
import { apiKeyRoutes } from './http/api-key-routes';
import { errorPage, notFound } from './web/router';
import { outcomeForError, sendResource } from './http/fhir-answers';
import { isApiPath, refuse } from './http/api-paths';
import { NimValidation } from './nim/validation';

/**
 * The composition root: builds the HTTP application from its parts. Only this module knows every
 * router; each router gets the dependencies it uses, and nothing below imports from here.
 */
export function createApp(deps: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // flat, linear, and refusing more than the parameter limit instead of dropping the rest
  app.set('query parser', queryParser(deps.config.security.maxParameters));
  // whether X-Forwarded-Proto/-Host/-For are believed (KODVERK_TRUST_PROXY)
  app.set('trust proxy', deps.config.trustProxy);

  // plumbing first: every request gets an id (in its answer and its log lines), a log line and,
  // unless switched off, its place in the metrics
  app.use(requestIds());
  // README: "Errors carry no caching headers" (Express would tag an error's body too)
  app.use(noTagOnErrors());
  // reads that need an identity are answered for that identity alone: no shared cache keeps them
  if (deps.config.security.readAccess === 'authenticated') app.use(privateAnswers());
  app.use(accessLog(deps.logger));
  const metrics = deps.config.metrics ? new ServerMetrics(deps) : undefined;
  if (metrics) app.use(metrics.measureRequests());

  // liveness, readiness and metrics, before anything that could refuse the request
  app.use(healthRoutes(deps));
  if (metrics) app.use(metrics.routes());

  // requests whose URL is too long, or whose Host or scheme could not be put in a link
  app.use(limitUrlLength(deps.config.maxUrlBytes, errorPage));
  app.use(requireValidHost());
  // browsers may call the API from other origins (preflight OPTIONS answers 204 here)
  const cors = corsForApi(deps.config.corsOrigins);
  if (cors) app.use(CORS_PATHS, cors);
  // a follower (read replica) serves reads only: the one switch between primary and replica
  if (deps.follower) app.use(refuseWrites(deps.config.follow!.primaryUrl));

  // response headers that harden pages and API (CSP, nosniff, no framing, referrer, HSTS)
  app.use(hardening({ hstsMaxAgeSeconds: deps.config.security.hstsMaxAgeSeconds }));
  // who is asking (API token, API keys, OIDC), the rate limits, the role each route needs, and
  // the audit trail of writes: one place for all of it (src/security/access.ts has the matrix)
  app.use(securityMiddleware({ security: deps.config.security, authenticator: deps.authenticator, audit: deps.audit, logger: deps.logger, errorPage }));

  // API keys over HTTP (/admin/api-keys)
  app.use(apiKeyRoutes(deps.authenticator.apiKeys, { maxBodyBytes: deps.config.maxBodyBytes, maxJsonDepth: deps.config.security.maxJsonDepth }));
  // records, submissions and the `context` of $expand/$validate-code judged by the same releases
  const validation = new NimValidation(deps.nim, deps.store);
  // the FHIR terminology API
  app.use('/fhir', fhirRouter(deps, WEB_VIEWS, (context, day) => validation.bindingAt(context, day)));
  // NIM authoring and releases for vendors (/nim, /releases, /openapi.json)
  app.use(nimRoutes(deps, deps.nim));
  // records and submission files validated against NIM releases (/validate)
  app.use(validateRoutes(deps, validation));
  // the syndication feed followers and other terminology servers read (/syndication)
  app.use(syndicationRoutes(deps));
  // the pages for analysts (start, search, code systems, value sets, NIMs, diffs) at /
  app.use(webRoutes(deps, deps.nim));

  // what no router took: 404 (an OperationOutcome on the API, the page elsewhere); an error no
  // router answered: its 4xx the same way, never a 500 for bad input
  app.use((req: express.Request, res: express.Response) => {
    if (!isApiPath(req.path)) return notFound(req, res);
    refuse(req, res, 404, { severity: 'error', code: 'not-found', txType: 'not-found', text: `Nothing is served at ${req.method} ${req.path.slice(0, 200)}` });
  });
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const { status, outcome } = outcomeForError(err);
    if (status >= 500) deps.logger.error({ path: req.path, error: err instanceof Error ? err.name : 'unknown' }, 'request failed');
    if (res.headersSent) return;
    if (isApiPath(req.path)) sendResource(res, status, outcome);
    else errorPage(req, res, status, '');
  });
  return app;
}
