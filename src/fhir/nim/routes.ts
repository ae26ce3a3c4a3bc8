import express, { NextFunction, Request, Response } from 'express';
import type { ServerDeps } from '../../http/dependencies';
import { jsonBody } from '../../http/json-body';
import { outcomeForError, rootUrl as serverRoot, sendResource } from '../../http/fhir-answers';
import { outcomeOf } from '../../terminology/issues';
import { noteForAudit } from '../../http/auth';
import type { Nim } from '../../nim';
import { BindingResolver } from '../../nim/binding-resolver';
import { badQuery, conflict, invalid, notFound as notFoundError } from '../../nim/errors';
import { LIFECYCLE } from '../../nim/extensions';
import { isDay } from '../../nim/nim-releases';
import { bindingsOf } from '../../nim/nim-model';
import type { NimModelRow, NimReleaseRow } from '../../store/nim-store';
import { atomFeed, feedEntries, jsonFeed } from '../../nim/release-feed';
import { DEFAULT_SHORT_DISPLAY_LIMIT, valueSetsCsv, valueSetsXlsx } from '../../nim/release-exports';
import { buildPackage, readPackage } from '../../nim/release-package';
import type { ReleaseSnapshot } from '../../nim/release-snapshot';
import { IMMUTABLE, REVALIDATE, etagFor, notModified } from '../caching';
import openapi from './openapi.json';

/**
 * The NIM API: authoring (/nim/models), releases for vendors (/releases: list, feed, manifest,
 * package, lists, diff; lifecycle and comments) and the OpenAPI description (/openapi.json).
 * Who may write what is decided before these routes (src/security/access.ts). Answers are JSON;
 * errors are OperationOutcomes.
 */

const ADOPTED = ['faststalld', 'upphavd'];

function rootUrl(req: Request, deps: Pick<ServerDeps, 'config'>): string {
  return serverRoot(req, deps.config.publicBaseUrl);
}

function sendJson(res: Response, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.status(status).set(headers).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/** A JSON answer with an ETag of its content, 304 when the client has it. */
function sendJsonCached(req: Request, res: Response, body: unknown, cacheControl = REVALIDATE): void {
  const text = JSON.stringify(body);
  if (notModified(req, res, { ETag: etagFor(text), 'Cache-Control': cacheControl })) return;
  res.status(200).type('application/json; charset=utf-8').send(text);
}

/** A limit for short displays from ?shortDisplayLimit (characters). */
function shortLimit(req: Request): number {
  const raw = req.query.shortDisplayLimit;
  if (raw === undefined) return DEFAULT_SHORT_DISPLAY_LIMIT;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || Number(raw) < 5 || Number(raw) > 500) throw badQuery('shortDisplayLimit must be a number of characters from 5 to 500', 'shortDisplayLimit');
  return Number(raw);
}

/** A YYYY-MM-DD date of the query string: a missing (when required) or malformed one is a bad request, 400. */
function queryDate(req: Request, name: string, required: boolean): string | undefined {
  const raw = req.query[name];
  if (raw === undefined && !required) return undefined;
  if (!isDay(raw)) throw badQuery(`${name} must be a date (YYYY-MM-DD)${required ? ', and is required' : ''}`, name);
  return raw;
}

function modelView(nim: Nim, row: NimModelRow, resolver: BindingResolver): unknown {
  const def = nim.models.definition(row);
  return {
    name: row.name,
    url: row.url,
    version: row.version,
    status: row.status,
    effectiveFrom: row.effectiveFrom,
    effectiveTo: row.effectiveTo,
    resource: `StructureDefinition/${row.resourceId}`,
    definition: def,
    // whether each bound value set has codes now (a binding may be declared before its codes exist)
    bindings: bindingsOf(def).map((b) => {
      const vs = resolver.resolve(b.valueSet, b.version);
      return { ...b, resolved: vs.key, state: vs.state, total: vs.total, ...(vs.reason ? { reason: vs.reason } : {}) };
    }),
    releases: nim.store.releasesWith(row.pk).map((r) => ({ version: r.version, status: r.status })),
  };
}

export function nimRoutes(deps: Pick<ServerDeps, 'config' | 'logger' | 'store'>, nim: Nim): express.Router {
  const router = express.Router();
  const json = jsonBody({ limit: deps.config.maxBodyBytes, maxDepth: deps.config.security.maxJsonDepth, type: ['application/json', 'application/*+json'] });
  const body = (req: Request): Record<string, unknown> => {
    if (!req.body || typeof req.body !== 'object' || Array.isArray(req.body)) throw invalid('The request body must be a JSON object');
    return req.body;
  };

  router.get('/openapi.json', (req, res) => sendJsonCached(req, res, { ...openapi, servers: [{ url: rootUrl(req, deps) }] }));

  // ---- authoring NIMs ----

  router.get('/nim/models', (req, res) => sendJsonCached(req, res, nim.models.list()));
  router.post('/nim/models', json, (req, res) => {
    const input = body(req);
    const version = typeof req.query.version === 'string' ? req.query.version : undefined;
    const row = nim.models.create(input, version);
    sendJson(res, 201, modelView(nim, row, new BindingResolver(deps.store)), { Location: `${rootUrl(req, deps)}/nim/models/${row.name}/${row.version}` });
  });
  router.get('/nim/models/:name', (req, res) => {
    const summary = nim.models.list().find((n) => n.name === req.params.name);
    if (!summary) nim.models.get(req.params.name);
    sendJsonCached(req, res, { ...summary, current: modelView(nim, nim.models.get(req.params.name), new BindingResolver(deps.store)) });
  });
  router.post('/nim/models/:name/versions', json, (req, res) => {
    const version = req.body && typeof req.body.version === 'string' ? req.body.version : undefined;
    const row = nim.models.newVersion(req.params.name, version);
    sendJson(res, 201, modelView(nim, row, new BindingResolver(deps.store)), { Location: `${rootUrl(req, deps)}/nim/models/${row.name}/${row.version}` });
  });
  router.get('/nim/models/:name/:version', (req, res) => sendJsonCached(req, res, modelView(nim, nim.models.get(req.params.name, req.params.version), new BindingResolver(deps.store))));
  router.put('/nim/models/:name/:version', json, (req, res) => {
    const renumber = typeof req.query.newVersion === 'string' ? req.query.newVersion : undefined;
    const row = nim.models.update(req.params.name, req.params.version, body(req), renumber);
    sendJson(res, 200, modelView(nim, row, new BindingResolver(deps.store)), { Location: `${rootUrl(req, deps)}/nim/models/${row.name}/${row.version}` });
  });
  router.delete('/nim/models/:name/:version', (req, res) => {
    nim.models.delete(req.params.name, req.params.version);
    res.status(204).end();
  });

  // ---- releases ----

  const manifestOf = (req: Request, r: NimReleaseRow) => {
    const root = rootUrl(req, deps);
    const m = nim.releases.manifest(r);
    const links: Record<string, string> = { self: `${root}/releases/${r.version}`, comments: `${root}/releases/${r.version}/comments` };
    if (r.snapshot) Object.assign(links, { package: `${links.self}/package.tgz`, csv: `${links.self}/valuesets.csv`, xlsx: `${links.self}/valuesets.xlsx` });
    if (typeof m.previousVersion === 'string') links.diffFromPrevious = `${root}/releases/${m.previousVersion}/diff/${r.version}`;
    return { ...m, links };
  };

  router.get('/releases', (req, res) => {
    const status = typeof req.query.status === 'string' ? req.query.status : undefined;
    if (req.query.status !== undefined && !(LIFECYCLE as readonly unknown[]).includes(status)) throw badQuery(`status is one of ${LIFECYCLE.join(', ')}`, 'status');
    const list = nim.releases.list().filter((r) => !status || r.status === status);
    sendJsonCached(req, res, { releases: list.map((r) => ({ ...nim.releases.summary(r), url: `${rootUrl(req, deps)}/releases/${r.version}` })) });
  });
  router.post('/releases', json, (req, res) => {
    const r = nim.releases.create(body(req));
    sendJson(res, 201, manifestOf(req, r), { Location: `${rootUrl(req, deps)}/releases/${r.version}` });
  });

  const feed = (req: Request) => feedEntries(nim.store.events(200), nim.store.releases(), rootUrl(req, deps));
  router.get('/releases/feed.atom', (req, res) => {
    const text = atomFeed(feed(req), rootUrl(req, deps));
    if (notModified(req, res, { ETag: etagFor(text), 'Cache-Control': REVALIDATE })) return;
    res.status(200).type('application/atom+xml; charset=utf-8').send(text);
  });
  router.get('/releases/feed.json', (req, res) => sendJsonCached(req, res, jsonFeed(feed(req), rootUrl(req, deps))));

  router.get('/releases/effective', (req, res) => sendJsonCached(req, res, nim.releases.effectiveBetween(queryDate(req, 'from', true), queryDate(req, 'to', true))));
  router.get('/releases/in-force', (req, res) => {
    const date = queryDate(req, 'date', false) ?? new Date().toISOString().slice(0, 10);
    const r = nim.releases.inForce(date);
    sendJsonCached(req, res, { date, release: r ? nim.releases.summary(r) : null });
  });

  router.post('/releases/import', express.raw({ type: ['application/gzip', 'application/x-gzip', 'application/octet-stream'], limit: deps.config.maxBodyBytes }), async (req, res) => {
    if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw invalid('The body must be a release package (.tgz, Content-Type: application/gzip)');
    const { release, created } = nim.releases.importSnapshot(await readPackage(req.body));
    sendJson(res, created ? 201 : 200, manifestOf(req, release), { Location: `${rootUrl(req, deps)}/releases/${release.version}` });
  });

  router.get('/releases/:version', (req, res) => sendJsonCached(req, res, manifestOf(req, nim.releases.get(req.params.version))));
  router.patch('/releases/:version', json, (req, res) => {
    sendJson(res, 200, manifestOf(req, nim.releases.update(req.params.version, body(req))));
  });
  router.delete('/releases/:version', (req, res) => {
    nim.releases.delete(req.params.version);
    res.status(204).end();
  });
  router.post('/releases/:version/status', json, (req, res) => {
    const b = body(req);
    // the audit names the step (the status asked for) and an override of the lead time
    noteForAudit(res, { subtype: b.overrideLeadTime ? 'lead-time-override' : undefined, detail: [{ type: 'status', value: String(b.status).slice(0, 20) }] });
    const r = nim.releases.transition(req.params.version, b.status, {
      effectiveFrom: b.effectiveFrom as string | undefined,
      effectiveTo: b.effectiveTo as string | undefined,
      overrideLeadTime: b.overrideLeadTime as string | undefined,
    });
    sendJson(res, 200, manifestOf(req, r), { Location: `${rootUrl(req, deps)}/releases/${r.version}` });
  });
  // the publisher's refresh of a release on påseende (409 for an adopted one: it never changes)
  router.post('/releases/:version/refresh', (req, res) => {
    const [outcome] = nim.releases.refresh({ version: req.params.version, trigger: { kind: 'manual' } });
    sendJson(res, 200, { refresh: outcome, release: manifestOf(req, nim.releases.get(req.params.version)) });
  });
  // one event of a release; a refresh with the whole diff between the snapshots before and after
  router.get('/releases/:version/events/:event', (req, res) => {
    const r = nim.releases.get(req.params.version);
    const event = nim.releases.history(r).find((e) => String(e.id) === req.params.event);
    if (!event) throw notFoundError(`Release ${r.version} has no event ${req.params.event}`);
    sendJsonCached(req, res, { release: r.version, ...event, ...(event.event === 'uppdaterad' ? { diff: nim.releases.refreshDiff(event.id) } : {}) });
  });
  router.get('/releases/:version/comments', (req, res) => sendJsonCached(req, res, { release: req.params.version, comments: nim.releases.comments(req.params.version) }));
  router.post('/releases/:version/comments', json, (req, res) => {
    sendJson(res, 201, nim.releases.comment(req.params.version, body(req)));
  });

  /** An artefact of a release's snapshot: immutable once adopted, revalidated while on påseende. */
  const artefact = (kind: string, type: string, make: (snap: ReleaseSnapshot, req: Request) => Promise<Buffer | string> | Buffer | string, params = (_req: Request) => '') => async (req: Request, res: Response) => {
    const r = nim.releases.get(String(req.params.version));
    if (!r.snapshot) throw conflict(`Release ${r.version} is an utkast and has no published content yet; send it to påseende first`);
    // the tag names the content and the request's options, so it is known before the artefact is built
    const tag = `"${r.contentHash!.slice('sha256:'.length, 'sha256:'.length + 40)}-${kind}${params(req)}"`;
    if (notModified(req, res, { ETag: tag, 'Cache-Control': ADOPTED.includes(r.status) ? IMMUTABLE : REVALIDATE })) return;
    const content = await make(JSON.parse(r.snapshot), req);
    res.status(200).type(type);
    if (kind !== 'csv' && kind !== 'xlsx') res.setHeader('Content-Disposition', `attachment; filename="${`se.kodverk.nim-${r.version}.tgz`}"`);
    else res.setHeader('Content-Disposition', `attachment; filename="nim-${r.version}-valuesets.${kind}"`);
    res.send(content);
  };
  router.get('/releases/:version/package.tgz', artefact('package', 'application/gzip', (snap) => buildPackage(snap)));
  router.get('/releases/:version/valuesets.csv', artefact('csv', 'text/csv; charset=utf-8', (snap, req) => valueSetsCsv(snap, shortLimit(req)), (req) => `-${shortLimit(req)}`));
  router.get('/releases/:version/valuesets.xlsx', artefact('xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', (snap, req) => valueSetsXlsx(snap, shortLimit(req)), (req) => `-${shortLimit(req)}`));

  router.get('/releases/:from/diff/:to', (req, res) => {
    const [from, to] = [nim.releases.get(req.params.from), nim.releases.get(req.params.to)];
    const immutable = ADOPTED.includes(from.status) && ADOPTED.includes(to.status);
    sendJsonCached(req, res, nim.releases.diff(from.version, to.version), immutable ? IMMUTABLE : REVALIDATE);
  });

  router.use(['/nim', '/releases'], (req: Request, res: Response) => {
    sendResource(res, 404, outcomeOf([{ severity: 'error', code: 'not-found', txType: 'not-found', text: `No such NIM endpoint: ${req.method} ${req.originalUrl.split('?')[0]}` }]));
  });

  // errors as OperationOutcomes
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, outcome } = outcomeForError(err);
    if (status >= 500) deps.logger.error({ err, path: req.path }, 'internal error');
    if (!res.headersSent) sendResource(res, status, outcome);
  });
  return router;
}
