import crypto from 'node:crypto';
import express, { NextFunction, Request, Response } from 'express';
import type { ServerDeps } from '../../http/dependencies';
import { identityOf } from '../../http/auth';
import { outcomeForError, rootUrl, sendOutcome, sendResource } from '../../http/fhir-answers';
import { etagMatches } from '../caching';
import type { SyndicationItem } from '../../store/syndication-store';
import { isRetraction } from '../../syndication/asf';
import { TerminologyError } from '../../terminology/issues';
import { FeedHead, feedXml } from '../../syndication/feed-writer';
import { SOFTWARE_VERSION } from '../../version';

/**
 * The syndication feed (AEHRC's Terminology Syndication Feed IG, NCTS ASF profile 1.0.0):
 * GET /syndication/feed.xml lists every content item this instance publishes, and
 * GET /syndication/artefacts/<sha256>/<file> serves each artefact — built once, immutable.
 * Entries that need a permission (a licensed Snomed CT edition) are left out of the feed for
 * clients that do not hold it, and their artefacts are refused to them.
 */

type SyndicationDeps = Pick<ServerDeps, 'config' | 'logger' | 'store' | 'syndication' | 'follower'>;

const FEED_ID_KEY = 'syndication-feed-id';
const IMMUTABLE = 'max-age=31536000, immutable';

/**
 * Who asks: an anonymous client holds no permission; any identity the security middleware
 * established (API token, API key, OIDC, whatever its role) holds them all: Sweden is a Snomed CT
 * member country, so an identified client of the national service is covered by its licence.
 */
interface FeedClient {
  authenticated: boolean;
  holds(permission: string): boolean;
}

function unauthorized(text: string): never {
  throw TerminologyError.of({ severity: 'error', code: 'login', txType: 'business-rule', text }, 401);
}

/** Wrong credentials were already refused (401 invalid_token) before the router. */
function clientOf(res: Response): FeedClient {
  const identity = identityOf(res);
  const authenticated = identity.source !== 'anonymous';
  return { authenticated, holds: () => authenticated };
}

function visibleTo(client: FeedClient, item: SyndicationItem): boolean {
  return item.permissions.length === 0 || item.permissions.some((p) => client.holds(p));
}

export function syndicationRoutes(deps: SyndicationDeps): express.Router {
  const router = express.Router();
  const { syndication } = deps;
  const access = deps.config.syndication.access;

  // where a follower stands: what it follows, whether it has synchronised, how far behind it is
  router.get('/syndication/status', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const f = deps.follower;
    res.json(f ? { role: 'follower', ...f.status, lagSeconds: f.lagSeconds() } : { role: 'primary', feed: access === 'off' ? null : '/syndication/feed.xml' });
  });
  if (access === 'off') return router;

  const head = (req: Request): FeedHead => {
    let id = deps.store.getMeta(FEED_ID_KEY);
    if (!id) {
      id = `urn:uuid:${crypto.randomUUID()}`;
      deps.store.setMeta(FEED_ID_KEY, id);
    }
    return {
      id,
      title: deps.config.follow ? 'Kodverk (följare): kodverk, värdemängder och NIM-releaser' : 'Kodverk: kodverk, värdemängder och NIM-releaser',
      subtitle: 'Terminologiinnehåll för följare och andra terminologiservrar (NCTS Atom Syndication Format 1.0.0)',
      selfUrl: `${rootUrl(req, deps.config.publicBaseUrl)}/syndication/feed.xml`,
      generator: `Kodverk ${SOFTWARE_VERSION}`,
    };
  };

  const admit = (req: Request, res: Response): FeedClient => {
    const client = clientOf(res);
    if (access === 'authenticated' && !client.authenticated) unauthorized('The syndication feed is served to authenticated clients only');
    // answers depend on who asks: shared caches must not hand one client's view to another
    // (added to Vary, which CORS may already hold Origin in)
    res.vary('Authorization');
    return client;
  };

  // the feed of one view (root URL and permissions held) until the catalogue changes
  const cache = new Map<string, { signature: string; xml: string; etag: string }>();
  router.get('/syndication/feed.xml', (req, res) => {
    const client = admit(req, res);
    const summary = syndication.refreshIfChanged();
    if (summary && (summary.built || summary.retracted || summary.removed)) deps.logger.info({ ...summary }, 'syndication catalogue refreshed');
    const root = rootUrl(req, deps.config.publicBaseUrl);
    const signature = syndication.items.signature();
    const view = `${root} ${client.authenticated ? 'all' : 'anonymous'}`;
    let feed = cache.get(view);
    if (!feed || feed.signature !== signature) {
      const items = syndication.items.all().filter((i) => visibleTo(client, i));
      const xml = feedXml(head(req), items, root);
      feed = { signature, xml, etag: `"${crypto.createHash('sha256').update(xml).digest('hex').slice(0, 32)}"` };
      if (cache.size > 16) cache.clear();
      cache.set(view, feed);
    }
    res.setHeader('ETag', feed.etag);
    res.setHeader('Cache-Control', client.authenticated || access === 'authenticated' ? 'private, no-cache' : 'no-cache');
    if (etagMatches(req.get('if-none-match'), feed.etag)) return void res.status(304).end();
    res.status(200).type('application/atom+xml; charset=utf-8').send(feed.xml);
  });

  router.get('/syndication/artefacts/:sha256/:file', (req, res) => {
    const client = admit(req, res);
    const sha256 = req.params.sha256.toLowerCase();
    const items = /^[0-9a-f]{64}$/.test(sha256) ? syndication.items.bySha256(sha256).filter((i) => !isRetraction(i.category)) : [];
    const item = items.find((i) => visibleTo(client, i)) ?? items[0];
    if (!item || !item.artefact || !syndication.artefacts.has(sha256)) {
      return sendOutcome(res, 404, [{ severity: 'error', code: 'not-found', txType: 'not-found', text: `No artefact ${req.params.sha256} is published here` }]);
    }
    if (!visibleTo(client, item)) {
      if (!client.authenticated) unauthorized(`This artefact needs the permission ${item.permissions.join(' or ')}`);
      return sendOutcome(res, 403, [{ severity: 'error', code: 'forbidden', txType: 'business-rule', text: `This artefact needs the permission ${item.permissions.join(' or ')}` }]);
    }
    const restricted = item.permissions.length > 0 || access === 'authenticated';
    res.setHeader('ETag', `"${sha256}"`);
    res.setHeader('Cache-Control', `${restricted ? 'private' : 'public'}, ${IMMUTABLE}`);
    if (etagMatches(req.get('if-none-match'), `"${sha256}"`)) return void res.status(304).end();
    res.setHeader('Content-Type', item.artefact.mediaType);
    res.setHeader('Content-Length', String(item.artefact.length));
    res.setHeader('Content-Disposition', `attachment; filename="${item.artefact.fileName.replace(/[^\w.-]/g, '_')}"`);
    if (req.method === 'HEAD') return void res.status(200).end();
    const stream = syndication.artefacts.open(sha256);
    stream.on('error', (e) => {
      deps.logger.error({ err: e, sha256 }, 'artefact could not be read');
      res.destroy(e);
    });
    stream.pipe(res);
  });

  router.all(['/syndication/feed.xml', '/syndication/artefacts/:sha256/:file'], (_req, res) => {
    res.setHeader('Allow', 'GET, HEAD');
    sendOutcome(res, 405, [{ severity: 'error', code: 'not-supported', txType: 'not-supported', text: 'The syndication feed is read with GET' }]);
  });

  router.use('/syndication', (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, outcome } = outcomeForError(err);
    if (status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="kodverk-syndication"');
    if (status >= 500) deps.logger.error({ err, path: req.path }, 'internal error');
    if (!res.headersSent) sendResource(res, status, outcome);
  });
  return router;
}
