import express, { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Bundle } from 'fhir/r4';
import type { AuditQuery } from '../store/audit-store';
import type { AuditTrail } from '../security/audit-trail';
import { TerminologyError } from '../terminology/issues';
import { baseUrl, methodNotAllowed, sendOutcome, sendResource } from '../http/fhir-answers';
import { pagingNumber } from './paging';

/**
 * GET /fhir/AuditEvent (search) and /fhir/AuditEvent/:id (read): the audit trail, for
 * administrators (the access rules say so). Newest first. Search parameters: `date` (with the
 * prefixes eq, ge, gt, le, lt; repeat it for a range), `agent` (key id or name, token subject),
 * `entity` (`CodeSystem/abc`, `release/1.2.0`, `api-key/<id>`), `type` and `subtype` (code or
 * system|code), `action`, `outcome`, `_count`, `_offset`.
 */

const DEFAULT_COUNT = 50;
const MAX_COUNT = 1000;
const TOKENS = ['agent', 'entity', 'type', 'subtype', 'action', 'outcome'] as const;

function bad(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text }, 400);
}

/** The instants a FHIR date or dateTime of any precision covers: [start, end). */
export function dateRange(value: string): { start: string; end: string } {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/.exec(value);
  if (!m) throw bad(`'${value}' is not a FHIR date or dateTime`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  if (h !== undefined && zone === undefined) throw bad(`The dateTime '${value}' needs a time zone (Z or ±hh:mm)`);
  const startOf = (parts: string) => {
    const t = Date.parse(parts);
    if (Number.isNaN(t)) throw bad(`'${value}' is not a valid date`);
    return new Date(t);
  };
  if (mo === undefined) return { start: startOf(`${y}-01-01T00:00:00Z`).toISOString(), end: startOf(`${Number(y) + 1}-01-01T00:00:00Z`).toISOString() };
  if (d === undefined) {
    const start = startOf(`${y}-${mo}-01T00:00:00Z`);
    const end = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
    return { start: start.toISOString(), end: end.toISOString() };
  }
  if (h === undefined) {
    const start = startOf(`${y}-${mo}-${d}T00:00:00Z`);
    return { start: start.toISOString(), end: new Date(start.getTime() + 86_400_000).toISOString() };
  }
  const start = startOf(`${y}-${mo}-${d}T${h}:${mi}:${s ?? '00'}${frac ? '.' + frac.slice(0, 3) : ''}${zone}`);
  const unit = frac ? 1 : s !== undefined ? 1000 : 60_000;
  return { start: start.toISOString(), end: new Date(start.getTime() + unit).toISOString() };
}

/** Narrows q by one `date` parameter (prefix and value). */
function applyDate(q: AuditQuery, raw: string): void {
  const m = /^(eq|ge|gt|le|lt)?(.*)$/.exec(raw)!;
  const prefix = m[1] ?? 'eq';
  const { start, end } = dateRange(m[2]);
  const from = prefix === 'eq' || prefix === 'ge' ? start : prefix === 'gt' ? end : undefined;
  const to = prefix === 'eq' || prefix === 'le' ? end : prefix === 'lt' ? start : undefined;
  if (from && (!q.from || from > q.from)) q.from = from;
  if (to && (!q.to || to < q.to)) q.to = to;
}


export function auditEventRoutes(trail: AuditTrail, publicBaseUrl: string | undefined): express.Router {
  const router = express.Router();

  router.get('/AuditEvent', (req: Request, res: Response) => {
    const q: AuditQuery = {};
    let count = DEFAULT_COUNT;
    let offset = 0;
    const used: string[] = [];
    for (const [name, raw] of Object.entries(req.query as Record<string, string | string[]>)) {
      const values = Array.isArray(raw) ? raw : [raw];
      if (name === '_format' || name === '_pretty') continue;
      if (name === 'date') values.forEach((v) => applyDate(q, v));
      else if ((TOKENS as readonly string[]).includes(name)) {
        if (values.length > 1) throw bad(`The search parameter '${name}' is given ${values.length} times; give one value (or several separated by commas is not supported)`);
        q[name as (typeof TOKENS)[number]] = values[0];
      } else if (name === '_count') count = Math.min(pagingNumber(name, values[values.length - 1]), MAX_COUNT);
      else if (name === '_offset') offset = pagingNumber(name, values[values.length - 1]);
      else throw bad(`Unknown search parameter '${name}' for AuditEvent (date, agent, entity, type, subtype, action, outcome, _count, _offset)`);
      if (name !== '_count' && name !== '_offset') for (const v of values) used.push(`${encodeURIComponent(name)}=${encodeURIComponent(v)}`);
    }
    const base = baseUrl(req, publicBaseUrl);
    const page = (o: number) => `${base}/AuditEvent?${[...used, `_count=${count}`, `_offset=${o}`].join('&')}`;
    const { total, events } = trail.search(q, { count, offset });
    const bundle: Bundle = {
      resourceType: 'Bundle',
      id: randomUUID(),
      type: 'searchset',
      total,
      link: [{ relation: 'self', url: page(offset) }],
      entry: events.map((e) => ({ fullUrl: `${base}/AuditEvent/${e.id}`, resource: e, search: { mode: 'match' as const } })),
    };
    if (offset + count < total) bundle.link!.push({ relation: 'next', url: page(offset + count) });
    if (offset > 0) bundle.link!.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
    res.setHeader('Cache-Control', 'no-store');
    sendResource(res, 200, bundle);
  });

  router.get('/AuditEvent/:id', (req: Request, res: Response) => {
    const event = trail.read(String(req.params.id));
    if (!event) return sendOutcome(res, 404, [{ severity: 'error', code: 'not-found', txType: 'not-found', text: `AuditEvent/${req.params.id} is not known` }]);
    res.setHeader('Cache-Control', 'no-store');
    sendResource(res, 200, event);
  });

  // the trail is written by the server alone
  router.all(['/AuditEvent', '/AuditEvent/:id'], (_req: Request, res: Response) => methodNotAllowed(res, 'GET'));
  return router;
}
