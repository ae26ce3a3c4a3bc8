import type { Request, Response } from 'express';

/**
 * Names of a request that are safe to log and to use as metric labels: the route template that
 * matched (`/fhir/:type/:id`), never the path or query as sent (they may hold personal data and
 * have no bound on their number), and the FHIR operation when one ran.
 */

const SAFE_TEMPLATE = /^[\w\/:.$*()\-\[\]|?+]{1,120}$/;

/** The route template that answered the request, or where it ended without one. */
export function routeOf(req: Request): string {
  const route = (req as Request & { route?: { path?: unknown } }).route?.path;
  // every router is mounted at a fixed path, so the base URL is part of the template
  let template: string;
  if (route !== undefined) template = `${req.baseUrl}${Array.isArray(route) ? route.join('|') : String(route)}` || '/';
  else if (req.baseUrl) template = `${req.baseUrl}/*`;
  else return '(unmatched)';
  return SAFE_TEMPLATE.test(template) ? template : '(other)';
}

/** Records the FHIR operation a request ran (`ValueSet/$expand`, `$versions`): one of a known few. */
export function labelOperation(res: Response, operation: string): void {
  res.locals.fhirOperation = operation;
}

export function operationOf(res: Response): string {
  return typeof res.locals.fhirOperation === 'string' ? res.locals.fhirOperation : '';
}

/**
 * Calls `fn` once when the answer has been sent, or the connection closed before it was
 * (`aborted`): 'finish' and 'close' both come in the first case.
 */
export function onAnswered(res: Response, fn: (aborted: boolean) => void): void {
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    fn(!res.writableFinished);
  };
  res.once('finish', end);
  res.once('close', end);
}
