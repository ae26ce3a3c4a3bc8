import express, { Request, Response } from 'express';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { Bundle } from 'fhir/r4';
import type { AppDeps } from './app';
import { CANONICAL_TYPES, ResourceQuery, StoredResource } from '../store/resource-store';
import { TerminologyError } from '../terminology/issues';
import { baseUrl, sendOutcome, sendResource } from './http';

const TYPES = new Set<string>(CANONICAL_TYPES);
const DEFAULT_COUNT = 50;
const MAX_COUNT = 1000;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function bad(text: string, status = 400): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text }, status);
}

/** Search parameters understood per type, mapped to store queries. */
function toQuery(query: Record<string, unknown>): { q: ResourceQuery; count: number; offset: number; summaryCount: boolean; used: string[] } {
  const q: ResourceQuery = {};
  const used: string[] = [];
  let count = DEFAULT_COUNT;
  let offset = 0;
  let summaryCount = false;
  for (const [rawName, rawValue] of Object.entries(query)) {
    const value = Array.isArray(rawValue) ? rawValue[rawValue.length - 1] : rawValue;
    if (typeof value !== 'string') continue;
    const [name, modifier] = rawName.split(':');
    switch (name) {
      case 'url':
        q.url = value;
        break;
      case 'version':
        q.version = value;
        break;
      case 'identifier':
        q.identifier = value;
        break;
      case '_id':
        q.id = value;
        break;
      case 'status':
        q.status = value;
        break;
      case 'name':
        if (modifier === 'contains') q.nameContains = value;
        else if (modifier === 'exact' || !modifier) q.name = value;
        else throw bad(`Unsupported modifier :${modifier} on name`);
        break;
      case 'title':
        if (modifier === 'contains') q.titleContains = value;
        else if (modifier === 'exact' || !modifier) q.title = value;
        else throw bad(`Unsupported modifier :${modifier} on title`);
        break;
      case 'publisher':
        if (modifier === 'contains') q.publisherContains = value;
        else q.publisher = value;
        break;
      case 'content-mode':
        q.content = value;
        break;
      case 'supplements':
        q.supplements = value;
        break;
      case '_count':
        if (!/^\d+$/.test(value)) throw bad(`_count must be a non-negative integer, not '${value}'`);
        count = Math.min(Number(value), MAX_COUNT);
        continue;
      case '_offset':
        if (!/^\d+$/.test(value)) throw bad(`_offset must be a non-negative integer, not '${value}'`);
        offset = Number(value);
        continue;
      case '_summary':
        if (value === 'count') summaryCount = true;
        else if (!['false', 'true', 'data', 'text'].includes(value)) throw bad(`Unsupported _summary value '${value}'`);
        continue;
      case '_format':
      case '_pretty':
      case '_elements':
        continue;
      default:
        throw bad(`Unknown search parameter '${rawName}'`);
    }
    used.push(`${rawName}=${encodeURIComponent(value)}`);
  }
  return { q, count, offset, summaryCount, used };
}

/** Read, search, create, update and delete of CodeSystem, ValueSet, ConceptMap and NamingSystem. */
export function resourceRoutes(deps: AppDeps): express.Router {
  const router = express.Router();

  const requireType = (type: string) => {
    if (!TYPES.has(type)) {
      throw TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'not-supported', text: `Resource type '${type}' is not supported by this server` }, 404);
    }
  };

  const requireToken = (req: Request) => {
    const token = deps.config.apiToken;
    if (!token) {
      throw TerminologyError.of({ severity: 'error', code: 'forbidden', txType: 'business-rule', text: 'Writes are disabled: no API token is configured (KODVERK_API_TOKEN)' }, 403);
    }
    const given = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const a = Buffer.from(given);
    const b = Buffer.from(token);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw TerminologyError.of({ severity: 'error', code: 'login', txType: 'business-rule', text: 'A valid bearer token is required to change resources' }, 401);
    }
  };

  const entryFor = (base: string, r: StoredResource) => ({ fullUrl: `${base}/${r.resourceType}/${r.id}`, resource: r.resource, search: { mode: 'match' as const } });

  const search = (req: Request, res: Response, type: string, query: Record<string, unknown>) => {
    requireType(type);
    const { q, count, offset, summaryCount, used } = toQuery(query);
    const base = baseUrl(req, deps.config.publicBaseUrl);
    const total = deps.store.count(type, q);
    const bundle: Bundle = { resourceType: 'Bundle', id: randomUUID(), type: 'searchset', total };
    const self = `${base}/${type}?${[...used, `_count=${count}`, `_offset=${offset}`].join('&')}`;
    bundle.link = [{ relation: 'self', url: self }];
    if (!summaryCount) {
      const rows = deps.store.search(type, q, { count, offset });
      bundle.entry = rows.map((r) => entryFor(base, r));
      const page = (o: number) => `${base}/${type}?${[...used, `_count=${count}`, `_offset=${o}`].join('&')}`;
      if (offset + count < total) bundle.link.push({ relation: 'next', url: page(offset + count) });
      if (offset > 0) bundle.link.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
    }
    sendResource(res, 200, bundle);
  };

  router.get('/:type', (req, res) => search(req, res, req.params.type, req.query as Record<string, unknown>));
  router.post('/:type/_search', (req, res) => search(req, res, req.params.type, { ...(req.query as object), ...(typeof req.body === 'object' ? req.body : {}) }));

  router.get('/:type/:id', (req, res) => {
    const { type, id } = req.params;
    requireType(type);
    const r = deps.store.read(type, id);
    if (!r) return sendOutcome(res, 404, [{ severity: 'error', code: 'not-found', txType: 'not-found', text: `${type}/${id} is not known` }]);
    const etag = `W/"${r.versionId}"`;
    if (req.get('if-none-match') === etag) return void res.status(304).end();
    sendResource(res, 200, r.resource, { ETag: etag, 'Last-Modified': new Date(r.lastUpdated).toUTCString() });
  });

  const write = (req: Request, res: Response, type: string, id: string | undefined) => {
    requireType(type);
    requireToken(req);
    const body = req.body;
    if (!body || typeof body !== 'object' || body.resourceType !== type) {
      throw bad(`The body must be a ${type} resource`);
    }
    deps.schema.check(body);
    if (id !== undefined) {
      if (!ID.test(id)) throw bad(`'${id}' is not a valid resource id`);
      if (body.id !== undefined && body.id !== id) throw bad(`The resource id '${body.id}' does not match the id in the URL '${id}'`);
    }
    const resource = { ...body, id: id ?? (body.id && ID.test(body.id) && !deps.store.read(type, body.id) ? body.id : randomUUID()) };
    const { stored, created } = deps.loader.save(resource);
    const base = baseUrl(req, deps.config.publicBaseUrl);
    sendResource(res, created ? 201 : 200, stored.resource, {
      ETag: `W/"${stored.versionId}"`,
      Location: `${base}/${type}/${stored.id}/_history/${stored.versionId}`,
    });
  };

  router.post('/:type', (req, res) => write(req, res, req.params.type, undefined));
  router.put('/:type/:id', (req, res) => write(req, res, req.params.type, req.params.id));
  router.delete('/:type/:id', (req, res) => {
    const { type, id } = req.params;
    requireType(type);
    requireToken(req);
    const existed = deps.store.delete(type, id);
    if (!existed) return sendOutcome(res, 404, [{ severity: 'error', code: 'not-found', txType: 'not-found', text: `${type}/${id} is not known` }]);
    res.status(204).end();
  });

  return router;
}
