import { STATUS_CODES } from 'node:http';
import express, { NextFunction, Request, Response } from 'express';
import { MemoryStore, ipKeyGenerator, rateLimit } from 'express-rate-limit';
import type { SecurityConfig } from '../config';
import type { Logger } from '../logger';
import { AccessDecision, accessFor } from '../security/access';
import type { AuditEntity, AuditTrail, KodverkAction } from '../security/audit-trail';
import { kodverkAction } from '../security/audit-trail';
import type { Authenticator } from '../security/authenticator';
import { ANONYMOUS, CredentialError, Identity, mayAct } from '../security/identity';
import { outcomeOf, TxIssue } from '../terminology/issues';
import { ErrorPage, isApiPath } from './api-paths';

/**
 * Identities, roles, audit and rate limits for every request, in one place, before any router:
 *
 * 1. the access rule of the request (src/security/access.ts: its role, whether it is audited,
 *    whether it is expensive);
 * 2. writes are audited when their answer is sent, accepted or refused (not 429s);
 * 3. too many failed authentications from one address: 429 for the rest of the minute;
 * 4. the identity behind the bearer token (wrong credentials: 401 invalid_token);
 * 5. rate limits per client (API key, token subject or address), and a stricter one for
 *    expensive operations, submissions and imports: 429 with Retry-After;
 * 6. the role the rule asks for: 401 without an identity, 403 with one that lacks the role.
 *
 * Refusals are OperationOutcomes on the API and error pages elsewhere.
 */

export interface SecurityDeps {
  security: SecurityConfig;
  authenticator: Authenticator;
  audit: AuditTrail;
  logger: Logger;
  /** writes an error page (the pages' layout) for a refusal outside the API */
  errorPage: ErrorPage;
}

/** What a route tells the audit beyond its rule (set with noteForAudit). */
export interface AuditNote {
  subtype?: KodverkAction;
  detail?: { type: string; value: string }[];
}

interface Locals {
  access: AccessDecision;
  identity?: Identity;
  /** why the request was refused by this middleware (for the audit's outcome description) */
  refusal?: string;
  auditNote?: AuditNote;
}

const locals = (res: Response) => res.locals as Partial<Locals>;

/** Who the security middleware found behind the request (anonymous when none was presented). */
export function identityOf(res: Response): Identity {
  return locals(res).identity ?? ANONYMOUS;
}

/** A route adds to what the audit records of it (a lead-time override, a release's new status). */
export function noteForAudit(res: Response, note: AuditNote): void {
  const l = locals(res);
  l.auditNote = { ...l.auditNote, ...note, detail: [...(l.auditNote?.detail ?? []), ...(note.detail ?? [])] };
}


/** Identity presented with invalid credentials (for the audit of a refused write). */
const UNVERIFIED: Identity = { source: 'anonymous', id: 'unverified', name: 'invalid credentials', roles: [] };

export function securityMiddleware(deps: SecurityDeps): express.RequestHandler[] {
  const { security } = deps;
  const realm = 'Bearer realm="kodverk"';

  const refuse = (req: Request, res: Response, status: number, issue: TxIssue, headers: Record<string, string> = {}) => {
    locals(res).refusal = issue.text;
    res.set(headers);
    if (isApiPath(req.path)) res.status(status).type('application/fhir+json; charset=utf-8').send(JSON.stringify(outcomeOf([issue])));
    else deps.errorPage(req, res, status, issue.text);
  };

  const decide = (req: Request, res: Response, next: NextFunction) => {
    locals(res).access = accessFor(req.method, req.path);
    next();
  };

  const auditWrites = (req: Request, res: Response, next: NextFunction) => {
    const { access } = locals(res) as Locals;
    const audited = access.rule.audit;
    if (!audited) return next();
    let done = false;
    const record = () => {
      if (done) return;
      done = true;
      const status = res.writableFinished || res.headersSent ? res.statusCode : 499;
      if (status === 429) return;
      const l = locals(res);
      const outcome = status < 400 ? '0' : status < 500 ? '4' : '8';
      let entity: AuditEntity | undefined;
      try {
        entity = audited.entity?.(access.params, res.getHeader('location')?.toString());
      } catch {
        entity = undefined;
      }
      if (entity && l.auditNote?.detail?.length) entity = { ...entity, detail: [...(entity.detail ?? []), ...l.auditNote.detail] };
      try {
        deps.audit.record({
          via: 'rest',
          subtype: l.auditNote?.subtype ? kodverkAction(l.auditNote.subtype) : audited.subtype,
          action: audited.action,
          outcome,
          outcomeDesc: `${status} ${STATUS_CODES[status] ?? ''}${l.refusal ? `: ${l.refusal}` : ''}`.trim(),
          agent: l.identity ?? UNVERIFIED,
          address: req.ip,
          entity,
        });
      } catch (e) {
        // an audit record that cannot be written is an operational alarm, never silent
        deps.logger.error({ error: e instanceof Error ? e.message : 'unknown', path: req.path }, 'audit record not written');
      }
    };
    res.on('finish', record);
    res.on('close', record);
    next();
  };

  // brute force: failed authentications counted per address (the library's store, by hand:
  // counting every request in flight would also refuse a client's legitimate bursts)
  const failures = new MemoryStore();
  failures.init({ windowMs: 60_000 } as never);
  const addressKey = (req: Request) => ipKeyGenerator(req.ip ?? 'unknown');

  const authenticate = async (req: Request, res: Response, next: NextFunction) => {
    const authorization = req.get('authorization');
    if (authorization !== undefined && security.authFailureLimit > 0) {
      const seen = await failures.get(addressKey(req));
      if (seen && seen.totalHits >= security.authFailureLimit) {
        const retry = Math.max(1, Math.ceil(((seen.resetTime?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
        return refuse(req, res, 429, { severity: 'error', code: 'throttled', text: 'Too many failed authentications from this address; try again later' }, { 'Retry-After': String(retry) });
      }
    }
    try {
      locals(res).identity = await deps.authenticator.identify(authorization);
      next();
    } catch (e) {
      if (!(e instanceof CredentialError)) return next(e);
      locals(res).identity = UNVERIFIED;
      if (e.status === 503) {
        return refuse(req, res, 503, { severity: 'error', code: 'transient', text: e.message }, { 'Retry-After': '30' });
      }
      if (security.authFailureLimit > 0) await failures.increment(addressKey(req));
      const description = e.message.replace(/["\\]/g, "'");
      refuse(req, res, 401, { severity: 'error', code: /expired/.test(e.message) ? 'expired' : 'login', text: e.message }, { 'WWW-Authenticate': `${realm}, error="invalid_token", error_description="${description}"` });
    }
  };

  /** The client a rate limit counts for: its key or token subject, else its address. */
  const clientKey = (req: Request, res: Response) => {
    const id = locals(res).identity;
    return id && id.source !== 'anonymous' ? `${id.source}:${id.system ?? ''}:${id.id}` : `ip:${addressKey(req)}`;
  };
  const limiter = (limit: number, which: string, skip: (res: Response) => boolean) =>
    rateLimit({
      windowMs: 60_000,
      limit,
      keyGenerator: clientKey,
      skip: (_req, res) => skip(res),
      standardHeaders: 'draft-7',
      legacyHeaders: false,
      validate: { xForwardedForHeader: false, trustProxy: false },
      handler: (req, res) => {
        const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const retry = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
        refuse(req, res, 429, { severity: 'error', code: 'throttled', text: `Too many ${which} from this client (at most ${limit} a minute); try again in ${retry} s` }, { 'Retry-After': String(retry) });
      },
    });

  const authorize = (req: Request, res: Response, next: NextFunction) => {
    const { access, identity } = locals(res) as Locals;
    const role = access.rule.role;
    if (role === 'reader' && security.readAccess === 'public') return next();
    if (!identity || identity.source === 'anonymous') {
      return refuse(req, res, 401, { severity: 'error', code: 'login', text: role === 'reader' ? 'This server requires an identity for reads' : `This needs the role ${role}: send Authorization: Bearer <token or API key>` }, { 'WWW-Authenticate': realm });
    }
    if (!mayAct(identity, role)) {
      return refuse(req, res, 403, { severity: 'error', code: 'forbidden', text: `This needs the role ${role}; ${identity.name} has ${identity.roles.join(', ') || 'none'}` }, { 'WWW-Authenticate': `${realm}, error="insufficient_scope", scope="${role}"` });
    }
    next();
  };

  const chain: express.RequestHandler[] = [decide, auditWrites, authenticate];
  if (security.rateLimit > 0) chain.push(limiter(security.rateLimit, 'requests', () => false));
  if (security.rateLimitExpensive > 0) chain.push(limiter(security.rateLimitExpensive, 'expensive requests', (res) => !locals(res).access?.expensive));
  chain.push(authorize);
  return chain;
}
