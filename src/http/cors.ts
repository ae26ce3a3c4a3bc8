import cors from 'cors';
import type { RequestHandler } from 'express';
import type { CorsOrigins } from '../config';

/** The API: FHIR, NIM authoring and releases, validation, the syndication feed (not the pages, which are same-origin). */
export const CORS_PATHS = ['/fhir', '/nim', '/releases', '/validate', '/openapi.json', '/syndication'];

/** Request headers a browser client may send to the API. */
const ALLOWED_HEADERS = ['Accept', 'Accept-Language', 'Authorization', 'Content-Type', 'If-Match', 'If-Modified-Since', 'If-None-Match', 'Prefer', 'X-Cache-Id', 'X-Request-Id'];
/** Answer headers a browser client may read (beyond the safelisted ones). */
const EXPOSED_HEADERS = ['ETag', 'Last-Modified', 'Location', 'Content-Location', 'X-Request-Id'];

/**
 * CORS for the API (the cors package): terminology is public, so by default any origin may read
 * and run operations (GET, HEAD, POST), without credentials (no cookies are used; a token goes in
 * Authorization). Listed origins narrow that to themselves and may also write (PUT, PATCH,
 * DELETE, with a token). Preflight OPTIONS answers 204. Undefined when CORS is off.
 */
export function corsForApi(origins: CorsOrigins): RequestHandler | undefined {
  if (origins === false) return undefined;
  const handler = cors({
    origin: origins === '*' ? '*' : origins,
    methods: origins === '*' ? ['GET', 'HEAD', 'POST'] : ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ALLOWED_HEADERS,
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
    optionsSuccessStatus: 204,
  });
  return (req, res, next) => {
    // an OPTIONS that is no preflight (no Origin and Access-Control-Request-Method) is an ordinary
    // request: the routers answer it (405 with an OperationOutcome)
    if (req.method === 'OPTIONS' && !(req.headers.origin && req.headers['access-control-request-method'])) return next();
    handler(req, res, next);
  };
}
