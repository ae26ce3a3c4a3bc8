import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { logContext } from '../logger';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/**
 * An id a proxy or client may send: short, and only characters that cannot break a log line or a
 * header (UUIDs, ULIDs, nginx's $request_id, W3C trace ids). Anything else is replaced.
 */
const ACCEPTABLE = /^[A-Za-z0-9][A-Za-z0-9._:+=\/-]{0,127}$/;

/** The request's id: the one it came with when acceptable, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given && ACCEPTABLE.test(given) ? given : randomUUID();
}

/**
 * Gives every request an id (X-Request-Id from the request, validated, or a new one), echoes it in
 * the response and makes it part of every log line written while the request is handled.
 */
export function requestIds(): RequestHandler {
  return (req, res, next) => {
    const reqId = requestIdOf(req.headers['x-request-id']);
    res.locals.requestId = reqId;
    res.setHeader(REQUEST_ID_HEADER, reqId);
    logContext.run({ reqId }, next);
  };
}
