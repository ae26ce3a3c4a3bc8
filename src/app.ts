import express from 'express';
import type { ServerDeps } from './http/dependencies';
import { fhirRouter } from './fhir/router';
import { nimRoutes } from './fhir/nim/routes';
import { validateRoutes } from './fhir/nim/validate-routes';
import { webRoutes } from './web/router';
import { queryParser } from './http/limits';

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

  // the FHIR terminology API
  app.use('/fhir', fhirRouter(deps));
  // NIM authoring and releases for vendors (/nim, /releases, /openapi.json)
  app.use(nimRoutes(deps, deps.nim));
  // records and submission files validated against NIM releases (/validate)
  app.use(validateRoutes(deps, deps.nim));
  // the pages for analysts (start, search, code systems, value sets, NIMs, diffs) at /
  app.use(webRoutes(deps, deps.nim));
  return app;
}
