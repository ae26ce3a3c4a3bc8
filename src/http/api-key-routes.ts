import express, { NextFunction, Request, Response } from 'express';
import type { ApiKeys } from '../security/api-keys';
import { outcomeOf } from '../terminology/issues';
import { jsonBody } from './json-body';

/**
 * API keys over HTTP, for administrators (the access rules say so): GET /admin/api-keys lists
 * them (never the keys), POST creates one ({name, role, expires?}; the answer holds the key, the
 * only time it is shown), DELETE /admin/api-keys/:id revokes one. Both writes are audited.
 */
export function apiKeyRoutes(keys: ApiKeys, options: { maxBodyBytes: number; maxJsonDepth: number }): express.Router {
  const router = express.Router();
  const json = jsonBody({ limit: options.maxBodyBytes, maxDepth: options.maxJsonDepth, type: ['application/json', 'application/*+json'] });
  const send = (res: Response, status: number, body: unknown) => res.status(status).set('Cache-Control', 'no-store').type('application/json; charset=utf-8').send(JSON.stringify(body));
  const refuse = (res: Response, status: number, text: string) =>
    res.status(status).type('application/fhir+json; charset=utf-8').send(JSON.stringify(outcomeOf([{ severity: 'error', code: status === 404 ? 'not-found' : 'invalid', txType: 'invalid-data', text }])));

  router.get('/admin/api-keys', (_req, res) => send(res, 200, { keys: keys.list() }));

  router.post('/admin/api-keys', json, async (req: Request, res: Response) => {
    const b = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) return refuse(res, 400, 'The body is a JSON object: {"name": "…", "role": "reader|author|publisher|admin", "expires": "YYYY-MM-DD"}');
    // each field is text or absent: an expiry that cannot be read must not make a key that never
    // expires, nor an object a key named '[object Object]'
    const wrong = (['name', 'role', 'expires'] as const).find((f) => b[f] !== undefined && typeof b[f] !== 'string');
    if (wrong) {
      const sent = b[wrong] === null ? 'null' : Array.isArray(b[wrong]) ? 'an array' : `a ${typeof b[wrong]}`;
      return refuse(res, 400, `The ${wrong} is a string${wrong === 'expires' ? ' (YYYY-MM-DD or an instant), or absent for a key that does not expire' : ''}, not ${sent}`);
    }
    try {
      const { key, info } = await keys.create({ name: b.name ?? '', role: b.role ?? '', expires: b.expires });
      res.setHeader('Location', `/admin/api-keys/${info.id}`);
      send(res, 201, { key, ...info, note: 'The key is shown this once; only a hash of it is kept.' });
    } catch (e) {
      refuse(res, 400, e instanceof Error ? e.message : 'The key could not be created');
    }
  });

  router.delete('/admin/api-keys/:id', (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!keys.list().some((k) => k.id === id)) return refuse(res, 404, `No API key has the id '${id}'`);
    try {
      send(res, 200, keys.revoke(id));
    } catch (e) {
      refuse(res, 409, e instanceof Error ? e.message : 'The key could not be revoked');
    }
  });

  router.all(['/admin/api-keys', '/admin/api-keys/:id'], (_req, res) => refuse(res, 405, 'Not allowed here'));
  router.use('/admin', (req: Request, res: Response) => refuse(res, 404, `No such endpoint: ${req.method} ${req.originalUrl.split('?')[0]}`));
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = Number((err as { status?: number }).status ?? 400);
    refuse(res, status >= 400 && status < 500 ? status : 400, err instanceof Error ? err.message : 'Bad request');
  });
  return router;
}
