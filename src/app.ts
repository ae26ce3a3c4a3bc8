import express from 'express';
import type { ServerDeps } from './http/dependencies';
import { fhirRouter } from './fhir/router';
import { nimRoutes } from './fhir/nim/routes';
import { validateRoutes } from './fhir/nim/validate-routes';
import { webRoutes } from './web/router';
import { queryParser } from './http/limits';
import { hardening } from './http/hardening';
import { securityMiddleware } from './http/auth';
import { apiKeyRoutes } from './http/api-key-routes';
import { errorPage, notFound } from './web/router';
import { outcomeForError } from './fhir/http';

/**
 * The composition root: builds the HTTP application from its parts. Only this module knows every
 * router; each router gets the dependencies it uses, and nothing below imports from here.
 */
export function createApp(deps: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  // flat, linear, and refusing more than the parameter limit instead of dropping the rest
  app.set('query parser', queryParser(deps.config.security.maxParameters));

  app.use((req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      // method, path and status only: query strings and bodies may carry personal data
      const path = req.originalUrl.split('?')[0];
      deps.logger.info({ method: req.method, path, status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });

  // response headers that harden pages and API (CSP, nosniff, no framing, referrer, HSTS)
  app.use(hardening({ hstsMaxAgeSeconds: deps.config.security.hstsMaxAgeSeconds }));
  // who is asking (API token, API keys, OIDC), the rate limits, the role each route needs, and
  // the audit trail of writes: one place for all of it (src/security/access.ts has the matrix)
  app.use(securityMiddleware({ security: deps.config.security, authenticator: deps.authenticator, audit: deps.audit, logger: deps.logger, errorPage }));

  // API keys over HTTP (/admin/api-keys)
  app.use(apiKeyRoutes(deps.authenticator.apiKeys, { maxBodyBytes: deps.config.maxBodyBytes, maxJsonDepth: deps.config.security.maxJsonDepth }));
  // the FHIR terminology API
  app.use('/fhir', fhirRouter(deps));
  // NIM authoring and releases for vendors (/nim, /releases, /openapi.json)
  app.use(nimRoutes(deps, deps.nim));
  // records and submission files validated against NIM releases (/validate)
  app.use(validateRoutes(deps, deps.nim));
  // the pages for analysts (start, search, code systems, value sets, NIMs, diffs) at /
  app.use(webRoutes(deps, deps.nim));

  // what no router took: a 404 page; an error no router answered: a page with its 4xx, never a 500 for bad input
  app.use(notFound);
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const { status } = outcomeForError(err);
    if (status >= 500) deps.logger.error({ path: req.path, error: err instanceof Error ? err.name : 'unknown' }, 'request failed');
    if (!res.headersSent) errorPage(req, res, status, '');
  });
  return app;
}
