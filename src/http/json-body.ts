import type { Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { JsonScan } from './limits';

/**
 * The JSON body reader every router shares (in place of express.json): the body is scanned as it
 * arrives (JsonScan: nesting depth, a Parameters body's parameters) and refused with a 400 as soon
 * as a limit is passed, without reading, buffering or parsing the rest; a body larger than the
 * limit is refused (413) from its Content-Length before a byte is read, or as soon as it grows past
 * it. Errors carry the `type` and `status` body-parser's do, so they become the same
 * OperationOutcomes (src/http/fhir-answers.ts).
 */

export interface JsonBodyOptions {
  /** bytes, after decompression */
  limit: number;
  maxDepth: number;
  type: string | string[];
  /** refuse a Parameters body with more parameters than this before it is parsed */
  maxParameters?: number;
}

type BodyError = Error & { status: number; type: string };

function bodyError(status: number, type: string, message: string): BodyError {
  return Object.assign(new Error(message), { status, type });
}

const tooLarge = () => bodyError(413, 'entity.too.large', 'request entity too large');

/** JSON's whitespace: a strict body (an object or an array) starts with `{` or `[` after it. */
const LEADING_SPACE = /^[\x20\x09\x0a\x0d]*/;

function parse(body: Buffer): unknown {
  // an empty body is an empty object (as body-parser reads it)
  if (body.length === 0) return {};
  const text = body.toString('utf8');
  const start = LEADING_SPACE.exec(text)![0].length;
  if (start < text.length && text[start] !== '{' && text[start] !== '[') {
    throw bodyError(400, 'entity.parse.failed', `Unexpected token '${text[start]}' at position ${start}: only an object or an array is taken`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw bodyError(400, 'entity.parse.failed', (e as Error).message);
  }
}

function charsetOf(contentType: string | undefined): string | undefined {
  return /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
}

function decompressor(encoding: string): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.createGunzip();
  if (encoding === 'deflate') return zlib.createInflate();
  if (encoding === 'br') return zlib.createBrotliDecompress();
  return undefined;
}

/** How long after a refusal has gone the rest of the body is left unread (see dropTheRest). */
const LINGER_MS = 50;

/**
 * After a refusal, the rest of the body is not read at first: a client that stops sending on the
 * answer (fetch closes the connection) then costs nothing more, what it had already sent being
 * dropped with the connection. A moment after the answer has gone, whatever still comes is read
 * and dropped (nothing kept or scanned), so a client that sends on to the end (Node's http,
 * curl) gets its answer and keeps a usable connection; closing at once would meet its unsent
 * bytes with a reset that can lose the answer before it is read. Past `cap` more bytes (a body far
 * over the limit), the connection is closed.
 */
function dropTheRest(req: Request, res: Response, source: Readable, cap: number): void {
  if (source !== req) {
    req.unpipe(source as unknown as NodeJS.WritableStream);
    source.on('error', () => undefined);
    source.destroy();
  }
  req.on('error', () => undefined);
  if (req.complete && req.readableEnded) return;
  req.pause();
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped <= cap) return;
    req.pause();
    req.socket?.destroy();
  });
  const drain = () => setTimeout(() => !req.destroyed && req.resume(), LINGER_MS).unref();
  if (res.writableFinished) drain();
  else res.once('finish', drain);
}

/** A middleware typed as express.json's, so routes keep their typed parameters. */
type BodyReader = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export function jsonBody(options: JsonBodyOptions): BodyReader {
  const types = Array.isArray(options.type) ? options.type : [options.type];
  const { limit } = options;
  return (incoming, response, next) => {
    const req = incoming as Request;
    const res = response as Response;
    // no body, another type, or already read
    if (req.readableEnded || !req.is(types)) return next();
    const refuseUnread = (err: BodyError) => {
      dropTheRest(req, res, req, limit);
      next(err);
    };
    const charset = charsetOf(req.headers['content-type']);
    // FHIR JSON is UTF-8 (and the scan reads bytes as UTF-8 would)
    if (charset && !/^utf-?8$/i.test(charset)) return refuseUnread(bodyError(415, 'charset.unsupported', `unsupported charset "${charset.toUpperCase()}"`));
    if (Number(req.headers['content-length']) > limit) return refuseUnread(tooLarge());
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let source: Readable = req;
    if (encoding !== 'identity') {
      const inflate = decompressor(encoding);
      if (!inflate) return refuseUnread(bodyError(415, 'encoding.unsupported', `unsupported content encoding "${encoding}"`));
      source = req.pipe(inflate);
    }

    const scan = new JsonScan(options.maxDepth, options.maxParameters);
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (err?: unknown) => {
      if (settled) return;
      settled = true;
      source.off('data', onData).off('end', onEnd).off('error', onError);
      req.off('close', onClose);
      if (err === undefined) return next();
      dropTheRest(req, res, source, limit);
      next(err);
    };
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > limit) return settle(tooLarge());
      if (!scan.write(chunk)) return settle(scan.refusal());
      chunks.push(chunk);
    };
    const onEnd = () => {
      try {
        req.body = parse(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
        // counted already, on the way in: the operation's limit (query and body) needs no recount
        res.locals.bodyParameters = scan.parameters;
      } catch (e) {
        return settle(e);
      }
      settle();
    };
    const onError = (e: Error) => settle(source === req ? bodyError(400, 'request.aborted', 'The request was aborted') : bodyError(400, 'encoding.invalid', `The request body does not decompress as ${encoding}: ${e.message}`));
    const onClose = () => {
      if (!req.complete) settle(bodyError(400, 'request.aborted', 'The request was aborted'));
    };
    source.on('data', onData).on('end', onEnd).on('error', onError);
    req.on('close', onClose);
  };
}
