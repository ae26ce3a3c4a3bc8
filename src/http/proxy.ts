import type { RequestHandler } from 'express';
import { sendOutcome } from './fhir-answers';

/** A DNS name or IPv4 address, or an IPv6 address in brackets, with an optional port. */
const HOST = /^(?:(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?))*\.?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

export function isValidHost(host: string): boolean {
  return host.length <= 260 && HOST.test(host) && parsesAsUrlHost(host);
}

/** What the pattern cannot see (a port above 65535, a malformed IPv6 address), the WHATWG URL parser, as browsers use, refuses. */
function parsesAsUrlHost(host: string): boolean {
  try {
    new URL(`http://${host}/`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Links in answers are built from the request's scheme and host (when KODVERK_BASE_URL is not
 * set), as express sees them: from X-Forwarded-Proto/-Host only when the proxy is trusted. So a
 * host that is not a valid host[:port], or a scheme other than http/https, is refused (400)
 * before it could reach a link.
 */
export function requireValidHost(): RequestHandler {
  return (req, res, next) => {
    const host = req.host;
    if (host === undefined) {
      // HTTP/1.0 may omit Host (links then name localhost); HTTP/1.1 must send it
      if (req.httpVersion === '1.0') return next();
      return sendOutcome(res, 400, [{ severity: 'error', code: 'structure', txType: 'invalid-data', text: 'The request has no Host header' }]);
    }
    if (!isValidHost(host)) {
      return sendOutcome(res, 400, [{ severity: 'error', code: 'structure', txType: 'invalid-data', text: 'The Host (or X-Forwarded-Host) is not a valid host[:port]' }]);
    }
    if (req.protocol !== 'http' && req.protocol !== 'https') {
      return sendOutcome(res, 400, [{ severity: 'error', code: 'structure', txType: 'invalid-data', text: 'X-Forwarded-Proto must be http or https' }]);
    }
    next();
  };
}
