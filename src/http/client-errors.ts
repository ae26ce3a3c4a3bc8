import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';
import { outcomeOf } from '../terminology/issues';
import { ErrorPage, isApiPath, refuse } from './api-paths';

type RefusedStatus = 400 | 408 | 414 | 431;

interface Refusal {
  status: RefusedStatus;
  text: string;
}

const REASONS: Record<RefusedStatus, string> = { 400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long', 431: 'Request Header Fields Too Large' };
/** OperationOutcome.issue.code for each */
const ISSUE_CODES: Record<RefusedStatus, string> = { 400: 'structure', 408: 'timeout', 414: 'too-long', 431: 'too-long' };

function refusal(status: RefusedStatus, text: string): Refusal {
  return { status, text };
}

/** The limits a low-level refusal names. */
export interface ClientLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  maxHeaderBytes: number;
}

/** The headers timeout in force: never longer than the request timeout (src/server.ts). */
function headersTimeoutOf(limits: ClientLimits): number {
  return limits.requestTimeoutMs > 0 ? Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) : limits.headersTimeoutMs;
}

/** What a low-level error of Node's HTTP parser or timers means for the client. */
export function refusalFor(err: NodeJS.ErrnoException & { rawPacket?: Buffer }, limits: ClientLimits, headersReceived = true): Refusal {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      // Node gives one code for both timers: whether the request was routed tells which ran out
      if (!headersReceived) return refusal(408, `The request headers were not received within ${headersTimeoutOf(limits) / 1000} s`);
      return refusal(408, `The request was not received in full within ${limits.requestTimeoutMs / 1000} s`);
    case 'HPE_HEADER_OVERFLOW': {
      // the request line and headers share Node's limit: when the request line is not even
      // complete, it is the URL that is too long
      const raw = err.rawPacket?.toString('latin1') ?? '';
      const lineEnd = raw.indexOf('\r\n');
      if (lineEnd < 0 || lineEnd > limits.maxHeaderBytes / 2) return refusal(414, `The URL is longer than this server accepts`);
      return refusal(431, `The request headers are larger than this server accepts (${limits.maxHeaderBytes} bytes in all)`);
    }
    case 'HPE_INVALID_URL':
    case 'HPE_INVALID_CHARACTER':
      return refusal(400, 'The request line holds characters that must be percent-encoded (RFC 3986), or is malformed');
    case 'HPE_INVALID_METHOD':
    case 'HPE_INVALID_VERSION':
    case 'HPE_INVALID_CONSTANT':
      return refusal(400, 'This is not an HTTP/1.x request');
    default:
      return refusal(400, 'The request is malformed HTTP');
  }
}

const PAGE_TEXTS: Record<RefusedStatus, string> = {
  400: 'Förfrågan kunde inte läsas.',
  408: 'Förfrågan kom inte fram i tid.',
  414: 'Adressen är för lång.',
  431: 'Förfrågans huvuden är för stora.',
};

/** A page for a browser refused before routing (no request object: not the pages' own layout). */
function plainErrorPage(r: Refusal): string {
  return `<!doctype html><html lang="sv"><head><meta charset="utf-8"><title>${r.status} ${REASONS[r.status]} – Kodverk</title></head><body><h1>${PAGE_TEXTS[r.status]}</h1><p lang="en">${r.text}.</p><p><a href="/">Till startsidan</a></p></body></html>`;
}

/**
 * Answers what Node refuses before any request object exists (malformed requests, oversize
 * headers and URLs, requests not received within the request timeout) with a small
 * OperationOutcome instead of an empty body, wherever the connection still allows an answer;
 * otherwise the connection is closed, as Node would.
 */
export function answerClientErrors(server: Server, logger: Logger, limits: ClientLimits): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    // an answer already under way on this connection cannot be replaced by another
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean; locals?: { requestId?: string } } })._httpMessage;
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE' || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    const r = refusalFor(err, limits, current !== undefined);
    // a request already routed (its body timed out) keeps the id its log lines carry
    const reqId = current?.locals?.requestId ?? randomUUID();
    // the path, as far as the request line was read, tells an API client from a browser on a page;
    // Node passes only the packet it failed on, so a request line split over packets reads as the API
    const path = /^[A-Z]+ (\/[^ \r\n?]*)/.exec(err.rawPacket?.toString('latin1') ?? '')?.[1];
    const page = path !== undefined && !isApiPath(path);
    const body = page ? plainErrorPage(r) : JSON.stringify(outcomeOf([{ severity: 'error', code: ISSUE_CODES[r.status], txType: 'invalid-data', text: r.text }]));
    socket.end(
      `HTTP/1.1 ${r.status} ${REASONS[r.status]}\r\n` +
        `Content-Type: ${page ? 'text/html' : 'application/fhir+json'}; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${reqId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
    // a peer that stops reading does not keep the socket
    setTimeout(() => socket.destroy(), 2000).unref();
    logger.info({ reqId, status: r.status, error: err.code }, 'request refused before routing');
  });
}

/** 414 for a URL longer than the configured limit (shorter than Node's own header limit). */
export function limitUrlLength(maxUrlBytes: number, errorPage?: ErrorPage): RequestHandler {
  return (req, res, next) => {
    if (Buffer.byteLength(req.originalUrl) <= maxUrlBytes) return next();
    res.setHeader('Connection', 'close');
    refuse(req, res, 414, { severity: 'error', code: 'too-long', txType: 'invalid-data', text: `The URL is longer than this server accepts (${maxUrlBytes} bytes); send the parameters in a POST body` }, errorPage);
  };
}
