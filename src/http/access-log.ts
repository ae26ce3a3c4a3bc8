import type { RequestHandler } from 'express';
import type { Logger } from '../logger';
import { onAnswered, operationOf, routeOf } from './route-label';

/** Probes and scrapes come every few seconds: logged only at debug level. */
const QUIET = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * One log line per request when it ends: id, method, path (never the query: it may hold personal
 * data), route template, FHIR operation, status and time. A request whose client went away before
 * the answer was complete is logged as aborted.
 */
export function accessLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    onAnswered(res, (aborted) => {
      const path = req.originalUrl.split('?')[0];
      const line = {
        reqId: res.locals.requestId,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
        route: routeOf(req),
        operation: operationOf(res) || undefined,
        aborted: aborted || undefined,
      };
      if (QUIET.has(path)) logger.debug(line, 'request');
      else logger.info(line, 'request');
    });
    next();
  };
}
