import type { Request, Response } from 'express';
import type { TxIssue } from '../terminology/issues';
import { sendOutcome } from './fhir-answers';

/** Where the machine API lives; everything else is the analysts' pages. */
const API_PREFIXES = ['/fhir', '/nim', '/releases', '/validate', '/admin', '/openapi.json', '/metrics', '/syndication'];

export function isApiPath(path: string): boolean {
  const lower = path.toLowerCase();
  return API_PREFIXES.some((p) => lower === p || lower.startsWith(p + '/'));
}

/** Writes the pages' error page (the composition root passes the web layer's). */
export type ErrorPage = (req: Request, res: Response, status: number, text: string) => void;

/** Refuses a request the way its client reads: an OperationOutcome on the API, the error page on a page. */
export function refuse(req: Request, res: Response, status: number, issue: TxIssue, errorPage?: ErrorPage): void {
  if (!errorPage || isApiPath(req.path)) sendOutcome(res, status, [issue]);
  else errorPage(req, res, status, issue.text);
}
