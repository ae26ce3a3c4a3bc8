import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Runs `change` on an answer just before its status line and headers are written, however the
 * answer is sent (res.send, res.end, a stream, a 304): the one place a rule about every answer's
 * headers can hold.
 */
export function beforeHeaders(res: Response, change: (status: number) => void): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: Response, ...args: unknown[]) {
    change(typeof args[0] === 'number' ? args[0] : this.statusCode);
    return (writeHead as (...a: unknown[]) => Response).apply(this, args);
  } as typeof res.writeHead;
}

/**
 * Errors carry no entity tag: an error is no representation of the resource a client could
 * revalidate (Express tags every body res.send writes, error answers included).
 */
export function noTagOnErrors(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    beforeHeaders(res, (status) => {
      if (status >= 400) res.removeHeader('ETag');
    });
    next();
  };
}

/**
 * KODVERK_READ_ACCESS=authenticated: every answer is for the identity that asked, so it is
 * `private` (public → private; an answer without Cache-Control gets `private`; no-store stays).
 * RFC 9111 §3.5 lets a shared cache store an answer to an authenticated request that says
 * `public` (or must-revalidate) and hand it to anyone, anonymous clients too. Entity tags and 304
 * are untouched: the client's own cache still revalidates.
 */
export function privateAnswers(): RequestHandler {
  return (_req: Request, res: Response, next: NextFunction) => {
    beforeHeaders(res, (status) => {
      if (status >= 400) return;
      const current = res.getHeader('Cache-Control');
      const cc = current === undefined ? '' : String(current);
      if (/\b(private|no-store)\b/i.test(cc)) return;
      if (/\bpublic\b/i.test(cc)) res.setHeader('Cache-Control', cc.replace(/\bpublic\b/i, 'private'));
      else res.setHeader('Cache-Control', cc ? `private, ${cc}` : 'private');
    });
    next();
  };
}
