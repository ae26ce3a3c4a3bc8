import crypto from 'node:crypto';
import type { Request, Response } from 'express';

/** HTTP caching: entity tags, conditional requests, immutable answers (NIM artefacts, resources, operations). */

/** A year, immutable: an adopted release's package, lists and diffs never change. */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Must be revalidated (a conditional request answers 304 when nothing changed). */
export const REVALIDATE = 'no-cache';

/** A strong entity tag for bytes or text. */
export function etagFor(content: string | Buffer): string {
  return `"${crypto.createHash('sha256').update(content).digest('hex').slice(0, 32)}"`;
}

/** Does If-None-Match (a list of tags, or *) name this tag? Weak comparison, as for GET. */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return header.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

/** Sets the caching headers; answers 304 (and returns true) when the client has this version. */
export function notModified(req: Request, res: Response, headers: Record<string, string>): boolean {
  res.set(headers);
  if (!etagMatches(req.get('if-none-match'), headers.ETag)) return false;
  res.status(304).end();
  return true;
}
