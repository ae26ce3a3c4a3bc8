import type { RequestHandler } from 'express';
import { sendOutcome } from './fhir-answers';

/**
 * Requests a read replica answers although they are POSTs: FHIR operations ($expand,
 * $validate-code, ...), searches (_search) and the validation of records and submission files.
 * Every other POST, and every PUT, PATCH and DELETE, is a write.
 */
const READS_BY_POST = [/^\/fhir\/(?:[A-Za-z]+\/(?:[^/]+\/)?)?\$[\w-]+$/, /^\/fhir\/[A-Za-z]+\/_search$/, /^\/validate\/(?:record|submission)$/];

/**
 * A follower holds what its primary published: writes there would be lost at the next sync and
 * never reach the other replicas. Each is answered 405 with an OperationOutcome naming the primary.
 */
export function refuseWrites(primaryUrl: string): RequestHandler {
  return (req, res, next) => {
    if (['GET', 'HEAD', 'OPTIONS'].includes(req.method)) return next();
    if (req.method === 'POST' && READS_BY_POST.some((p) => p.test(req.path))) return next();
    res.setHeader('Allow', 'GET, HEAD');
    sendOutcome(res, 405, [
      {
        severity: 'error',
        code: 'not-supported',
        txType: 'not-supported',
        text: `This server is a read replica: it follows ${primaryUrl} and takes no writes. Send ${req.method} to the primary, ${primaryUrl}.`,
      },
    ]);
  };
}
