import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/**
 * Response headers that harden the pages and the API (helmet): a Content-Security-Policy that
 * allows scripts, styles and connections only from this server (no inline script anywhere:
 * every script is a file in src/web/public), no framing (frame-ancestors 'none' and
 * X-Frame-Options), X-Content-Type-Options: nosniff, no Referer sent to other sites, and
 * Strict-Transport-Security when configured and the request came over TLS.
 */
export function hardening(options: { hstsMaxAgeSeconds: number }): RequestHandler[] {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // the API is meant to be read from other origins (CORS decides which)
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    xFrameOptions: { action: 'deny' },
    // sent below, only over TLS
    strictTransportSecurity: false,
  });
  const chain: RequestHandler[] = [headers];
  if (options.hstsMaxAgeSeconds > 0) {
    const hsts = helmet.strictTransportSecurity({ maxAge: options.hstsMaxAgeSeconds, includeSubDomains: true });
    // req.secure: TLS here, or X-Forwarded-Proto https from a trusted proxy (KODVERK_TRUST_PROXY)
    chain.push((req: Request, res: Response, next: NextFunction) => (req.secure ? hsts(req, res, next) : next()));
  }
  return chain;
}
