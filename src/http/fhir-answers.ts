import accepts from 'accepts';
import type { NextFunction, Request, Response } from 'express';
import type { OperationOutcome } from 'fhir/r4';
import { TerminologyError, TxIssue, outcomeOf } from '../terminology/issues';

export const FHIR_JSON = 'application/fhir+json';

/** Request media types read as JSON. */
export const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json+fhir', 'application/*+json'];

/** A resource already serialised (by the worker thread that made it): written as it is; `tag`: the entity tag of its content, when known. */
export class JsonText {
  constructor(
    readonly text: string,
    readonly tag?: string,
  ) {}
}

/** Writes a FHIR resource as JSON (application/fhir+json, or application/json when that is what the client asked for). */
export function sendResource(res: Response, status: number, resource: unknown, headers: Record<string, string> = {}): void {
  res.status(status);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.type(`${res.locals.fhirMediaType ?? FHIR_JSON}; charset=utf-8`);
  res.send(resource instanceof JsonText ? resource.text : JSON.stringify(resource));
}

/** `_format` values (FHIR http.html#mime) that mean JSON. */
const JSON_FORMATS = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir', 'text/json']);
/** What a request may accept, best first (R3's application/json+fhir is still sent by older clients). */
const JSON_TYPES_ACCEPTED = [FHIR_JSON, 'application/json', 'application/json+fhir'];

/**
 * An Accept header as the negotiation reads it: media ranges with their q only, those naming a
 * FHIR version other than R4 (`fhirVersion=3.0`) left out (FHIR http.html#version-parameter).
 */
function acceptForR4(header: string): string {
  return header
    .split(',')
    .map((range) => range.split(';').map((p) => p.trim()))
    .filter(([, ...params]) => params.every((p) => !/^fhirVersion=/i.test(p) || /^fhirVersion="?4\.0(\.\d+)?"?$/i.test(p)))
    .map(([type, ...params]) => [type, ...params.filter((p) => /^q=/i.test(p))].join(';'))
    .join(', ');
}

/**
 * Content negotiation as FHIR has it: `_format` wins over Accept; this server speaks JSON only, so
 * a request for anything else (XML, Turtle, HTML) gets 406 with an OperationOutcome, before any
 * work is done. A client that accepts only application/json gets that media type.
 */
export function negotiateFormat(req: Request, res: Response, next: NextFunction): void {
  const raw = req.query._format;
  const format = Array.isArray(raw) ? raw[0] : raw;
  let asked: string | undefined;
  if (typeof format === 'string' && format.trim() !== '') {
    const base = format.split(';')[0].trim().toLowerCase();
    if (JSON_FORMATS.has(base)) res.locals.fhirMediaType = base === 'application/json' ? 'application/json' : FHIR_JSON;
    else asked = `_format=${format}`;
  } else if (req.get('accept')) {
    const r4 = acceptForR4(req.get('accept')!);
    const best = r4 && accepts({ headers: { accept: r4 } } as unknown as Request).type(JSON_TYPES_ACCEPTED);
    if (best === 'application/json') res.locals.fhirMediaType = 'application/json';
    else if (!best) asked = `Accept: ${req.get('accept')}`;
  }
  if (asked === undefined) return next();
  sendOutcome(res, 406, [
    { severity: 'error', code: 'not-supported', txType: 'not-supported', text: `This server answers in FHIR JSON (application/fhir+json) only, not as asked (${asked.slice(0, 200)})` },
  ]);
}

export function sendOutcome(res: Response, status: number, issues: TxIssue[]): void {
  sendResource(res, status, outcomeOf(issues));
}

/** 405 for a method the path does not take; `allow` lists those it does. */
export function methodNotAllowed(res: Response, allow?: string): void {
  if (allow) res.setHeader('Allow', allow);
  sendOutcome(res, 405, [{ severity: 'error', code: 'not-supported', txType: 'not-supported', text: 'This method is not allowed here' }]);
}

export function outcomeForError(err: unknown): { status: number; outcome: OperationOutcome } {
  if (err instanceof TerminologyError) return { status: err.httpStatus, outcome: outcomeOf(err.issues) };
  const e = err as { status?: number; statusCode?: number; type?: string; message?: string; code?: string };
  if (e.code === 'SQLITE_BUSY') {
    // another process (an import, a restore check) held the store's write lock past the busy timeout
    return { status: 503, outcome: outcomeOf([{ severity: 'error', code: 'transient', txType: 'internal-error', text: 'The store is busy with another write (an import?); try again' }]) };
  }
  const status = e.status ?? e.statusCode;
  if (e.type === 'parameters.too.many') {
    return { status: 400, outcome: outcomeOf([{ severity: 'error', code: 'too-costly', txType: 'invalid-data', text: 'The request has more parameters than this server takes (KODVERK_MAX_PARAMETERS)' }]) };
  }
  if (e.type === 'entity.too.large' || status === 413) {
    return { status: 413, outcome: outcomeOf([{ severity: 'error', code: 'too-long', txType: 'invalid-data', text: 'The request body is larger than this server accepts' }]) };
  }
  if (e.type === 'entity.parse.failed' || (status === 400 && e instanceof SyntaxError)) {
    return { status: 400, outcome: outcomeOf([{ severity: 'error', code: 'structure', txType: 'invalid-data', text: `The request body is not valid JSON: ${e.message ?? ''}`.trim() }]) };
  }
  if (e.type === 'charset.unsupported' || e.type === 'encoding.unsupported' || status === 415) {
    return { status: 415, outcome: outcomeOf([{ severity: 'error', code: 'not-supported', txType: 'invalid-data', text: e.message ?? 'Unsupported media type' }]) };
  }
  if (status && status >= 400 && status < 500) {
    return { status, outcome: outcomeOf([{ severity: 'error', code: 'invalid', txType: 'invalid-data', text: e.message ?? 'Bad request' }]) };
  }
  // an internal error's own message (a store's, a library's) says nothing a client can act on and
  // may show how the server is built: it goes to the server's log, the client gets this
  return {
    status: 500,
    outcome: outcomeOf([{ severity: 'error', code: 'exception', txType: 'internal-error', text: "Internal error: the server could not answer this request; its log has the details (this response's X-Request-Id finds them)" }]),
  };
}

/**
 * The FHIR base URL as the client sees it: KODVERK_BASE_URL when set, else the request's scheme
 * and host as express reads them (X-Forwarded-* only from a trusted proxy), which
 * src/http/proxy.ts has checked to be http/https and a valid host[:port].
 */
export function baseUrl(req: Request, configured?: string): string {
  if (configured) return configured.replace(/\/$/, '');
  return `${req.protocol}://${req.host ?? 'localhost'}/fhir`;
}

/** The server's root URL as the client sees it (the FHIR base without /fhir). */
export function rootUrl(req: Request, configured?: string): string {
  return baseUrl(req, configured).replace(/\/fhir$/, '');
}
