import path from 'node:path';
import express, { NextFunction, Request, Response } from 'express';
import type { ServerDeps } from '../http/dependencies';
import { sendTable } from './downloads';
import { html } from './html';
import { LANG_COOKIE } from './i18n';
import { PageContext, layout } from './layout';
import { returnPath } from './return-path';
import { cataloguePage } from './pages/catalogue';
import { MAX_CONCEPTS_FOR_TABLES, codeSystemPage, conceptTable } from './pages/codesystem';
import { conceptPage } from './pages/concept';
import { conceptMapPage } from './pages/conceptmap';
import { searchPage, suggestions } from './pages/search';
import { startPage } from './pages/start';
import { valueSetPage, valueSetTable } from './pages/valueset';
import { Site } from './site';
import type { WebExtension } from './pages/extension';
import type { Nim } from '../nim';
import { nimPages } from './pages/nim';
import { diffRoutes } from './pages/diff';


// scripts and CSS: src/web/public, copied by the build to dist/src/web/public beside this module
const PUBLIC = path.join(__dirname, 'public');
const LUNR_FILES: Record<string, string> = {
  'lunr.js': 'lunr/lunr.min.js',
  'lunr.stemmer.support.js': 'lunr-languages/min/lunr.stemmer.support.min.js',
  'lunr.sv.js': 'lunr-languages/min/lunr.sv.min.js',
};

/** An async page handler whose errors reach the error page. */
const page = (fn: (req: Request, res: Response) => Promise<void> | void) => (req: Request, res: Response, next: NextFunction) => {
  Promise.resolve(fn(req, res)).catch(next);
};

function sendPage(res: Response, body: { text: string }, status = 200): void {
  res.status(status).type('html').setHeader('Cache-Control', 'no-cache');
  res.send(body.text);
}

/** The 4xx status an error stands for (a request that cannot be read or is refused), else undefined. */
function clientErrorStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown; httpStatus?: unknown } | undefined;
  const status = Number(e?.httpStatus ?? e?.status ?? e?.statusCode);
  return Number.isInteger(status) && status >= 400 && status < 500 ? status : err instanceof URIError ? 400 : undefined;
}

const TITLES: Record<number, Parameters<PageContext['t']>[0]> = { 401: 'unauthorized', 403: 'forbidden', 429: 'tooManyRequests', 503: 'unavailable' };

/** An error page with this status: what went wrong in the site's layout (the reason, when one is given). */
export function errorPage(req: Request, res: Response, status: number, reason: string): void {
  if (status === 404) return notFound(req, res);
  const ctx = new PageContext(req);
  const title = ctx.t(TITLES[status] ?? (status < 500 ? 'badRequest' : 'error'));
  const text = reason || (status < 500 ? ctx.t('badRequestText') : `${ctx.t('error')}.`);
  sendPage(res, layout(ctx, { title, body: html`<p>${text}</p><p><a href="/">${ctx.t('navStart')}</a></p>` }), status);
}

export function notFound(req: Request, res: Response): void {
  const ctx = new PageContext(req);
  sendPage(res, layout(ctx, { title: ctx.t('notFound'), body: html`<p>${ctx.t('notFoundText')}</p><p><a href="/">${ctx.t('navStart')}</a></p>` }), 404);
}

/**
 * The pages for analysts, in Swedish (English by the toggle), served at /. Every asset is served
 * from this server (the public folder and lunr from node_modules): no CDN, no other network.
 */
export function webRoutes(deps: Pick<ServerDeps, 'config' | 'logger' | 'store' | 'terminology'>, nim?: Nim): express.Router {
  const extensions: WebExtension[] = nim ? [nimPages(nim)] : [];
  const site = new Site(deps, extensions.flatMap((e) => (e.catalogue ? [e.catalogue] : [])));
  const nimUses = extensions.find((e) => e.nimUses)?.nimUses;
  const pinnedBy = extensions.find((e) => e.pinnedBy)?.pinnedBy;
  const r = express.Router();

  r.use('/resurser', express.static(PUBLIC, { maxAge: '1h', index: false, fallthrough: true }));
  // browsers and tools that ask for /favicon.ico get the site's icon (an SVG) instead of a 404
  r.get('/favicon.ico', (_req, res) => res.redirect(301, '/resurser/favicon.svg'));
  r.get('/resurser/lunr/:file', (req, res, next) => {
    // own keys only: /resurser/lunr/__proto__ must not reach Object.prototype
    const file = Object.hasOwn(LUNR_FILES, req.params.file) ? LUNR_FILES[req.params.file] : undefined;
    if (!file) return next();
    res.sendFile(require.resolve(file), { maxAge: '1d' });
  });

  const startSections = extensions.flatMap((e) => (e.start ? [e.start] : []));
  r.get('/', page((req, res) => sendPage(res, startPage(new PageContext(req), site, startSections))));
  r.get('/sok', page((req, res) => sendPage(res, searchPage(new PageContext(req), site))));
  r.get('/sok/forslag', (req, res) => {
    const q = typeof req.query.q === 'string' ? req.query.q : '';
    res.setHeader('Cache-Control', 'no-cache');
    res.json(suggestions(site, q));
  });
  r.get('/katalog', page((req, res) => sendPage(res, cataloguePage(new PageContext(req), site))));
  r.get('/katalog/index.json', (req, res) => {
    const etag = `"${site.catalogue.version()}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'no-cache');
    if (req.headers['if-none-match'] === etag) return void res.status(304).end();
    const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    res.vary('Accept-Encoding');
    if (gzip) res.setHeader('Content-Encoding', 'gzip');
    res.type('json').send(site.catalogue.json(gzip));
  });

  // the language toggle: a cookie, then back to the page (URLs stay the same in both languages)
  r.get('/sprak', (req, res) => {
    const till = req.query.till === 'en' ? 'en' : 'sv';
    const back = returnPath(req.query.tillbaka);
    res.cookie(LANG_COOKIE, till, { maxAge: 365 * 24 * 3600 * 1000, sameSite: 'lax', httpOnly: true });
    res.redirect(303, back);
  });

  const stored = (type: string) => (req: Request) => site.read(type, String(req.params.id));

  r.get('/kodsystem/:id', page(async (req, res) => {
    const cs = stored('CodeSystem')(req);
    if (!cs) return notFound(req, res);
    sendPage(res, await codeSystemPage(new PageContext(req), site, cs));
  }));
  r.get('/kodsystem/:id/barn', (req, res) => {
    const cs = stored('CodeSystem')(req);
    const code = typeof req.query.kod === 'string' ? req.query.kod : undefined;
    const parent = cs && code !== undefined ? site.concepts.byCode(cs.pk, code, true) : undefined;
    if (!cs || (code !== undefined && !parent)) return void res.status(404).json([]);
    res.json(site.queries.treeNodes(cs.pk, parent?.pk));
  });
  r.get('/kodsystem/:id/koder.:format', page(async (req, res) => {
    const cs = stored('CodeSystem')(req);
    const format = req.params.format;
    if (!cs || (format !== 'csv' && format !== 'xlsx') || site.concepts.count(cs.pk) > MAX_CONCEPTS_FOR_TABLES) return notFound(req, res);
    await sendTable(res, conceptTable(site, cs), format);
  }));
  r.get('/kodsystem/:id/kod/:code', page(async (req, res) => {
    const cs = stored('CodeSystem')(req);
    const row = cs ? site.concepts.byCode(cs.pk, String(req.params.code), true) : undefined;
    if (!cs || !row) return notFound(req, res);
    sendPage(res, await conceptPage(new PageContext(req), site, cs, row, nimUses));
  }));

  r.get('/vardemangd/:id', page(async (req, res) => {
    const vs = stored('ValueSet')(req);
    if (!vs) return notFound(req, res);
    sendPage(res, await valueSetPage(new PageContext(req), site, vs, pinnedBy));
  }));
  r.get('/vardemangd/:id/koder.:format', page(async (req, res) => {
    const vs = stored('ValueSet')(req);
    const format = req.params.format;
    if (!vs || (format !== 'csv' && format !== 'xlsx')) return notFound(req, res);
    const table = await valueSetTable(site, vs, Math.max(deps.config.expansionLimit, deps.config.pagedExpansionLimit));
    if ('error' in table) {
      // a download the engine could not expand is an error page with the engine's status (a
      // value set too costly to expand is 422, a server shutting down 503); any other failure is ours
      if (table.status === undefined) deps.logger.error({ path: req.path, reason: table.error }, 'value set download failed');
      return errorPage(req, res, table.status ?? 500, table.error);
    }
    await sendTable(res, table, format);
  }));

  r.get('/mappning/:id', page((req, res) => {
    const cm = stored('ConceptMap')(req);
    if (!cm) return notFound(req, res);
    sendPage(res, conceptMapPage(new PageContext(req), site, cm));
  }));

  for (const e of extensions) e.routes?.(r, site);
  diffRoutes(r, site, nim);
  r.use(['/kodsystem', '/vardemangd', '/mappning', '/informationsmangder', '/utgavor', '/jamfor'], notFound);

  // pages of this router that failed: an error page (the FHIR API keeps its own error handling)
  // (bad input, such as an address that does not decode, is a 4xx page: never a 500)
  r.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = clientErrorStatus(err);
    if (status === undefined) deps.logger.error({ err, path: req.path }, 'page failed');
    if (!res.headersSent) errorPage(req, res, status ?? 500, '');
  });
  return r;
}
