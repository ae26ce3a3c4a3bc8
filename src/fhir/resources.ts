import express, { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Bundle } from 'fhir/r4';
import { WebViews, webViewsFor, withPage } from './web-source';
import type { ServerDeps } from '../http/dependencies';
import { orValues } from './search-values';
import { CANONICAL_TYPES, ResourceQuery, StoredResource, TextMatch } from '../store/resource-store';
import { TerminologyError } from '../terminology/issues';
import { FHIR_JSON, JSON_TYPES, baseUrl, methodNotAllowed, sendOutcome, sendResource } from '../http/fhir-answers';
import { etagMatches } from './caching';
import { pagingNumber } from './paging';
import { SummaryMode, summarize } from './summary';

const TYPES = new Set<string>(CANONICAL_TYPES);
const DEFAULT_COUNT = 50;
const MAX_COUNT = 1000;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function bad(text: string, status = 400): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text }, status);
}

function unsupportedMediaType(expected: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'invalid-data', text: `The request body must be ${expected}` }, 415);
}

/** Elements FHIR R4 requires (1..1, 1..*) that the JSON schema leaves unchecked. */
const REQUIRED: Record<string, string[]> = {
  CodeSystem: ['status', 'content'],
  ValueSet: ['status'],
  ConceptMap: ['status'],
  NamingSystem: ['name', 'status', 'kind', 'date', 'uniqueId'],
};

/** What the schema cannot say: required elements, and codes unique within a code system (csd-1). */
function checkContent(r: any): void {
  const missing = (path: string) => TerminologyError.of({ severity: 'error', code: 'required', txType: 'invalid-data', text: `${path} is required`, expression: [path] }, 400);
  for (const name of REQUIRED[r.resourceType] ?? []) if (r[name] === undefined) throw missing(`${r.resourceType}.${name}`);
  (r.uniqueId ?? []).forEach((u: any, i: number) => {
    for (const name of ['type', 'value']) if (u[name] === undefined) throw missing(`NamingSystem.uniqueId[${i}].${name}`);
  });
  const seen = new Set<string>();
  const walk = (concepts: any[] | undefined, path: string) =>
    (concepts ?? []).forEach((c, i) => {
      const here = `${path}[${i}]`;
      if (typeof c.code !== 'string') throw missing(`${here}.code`);
      if (seen.has(c.code)) {
        throw TerminologyError.of({ severity: 'error', code: 'duplicate', txType: 'invalid-data', text: `The code '${c.code}' is defined more than once`, expression: [here] }, 400);
      }
      seen.add(c.code);
      walk(c.concept, `${here}.concept`);
    });
  if (r.resourceType === 'CodeSystem') walk(r.concept, 'CodeSystem.concept');
}

/** Does the request carry a body (of a stated media type) other than these types? */
function hasBodyOtherThan(req: Request, types: string[]): boolean {
  return !!req.get('content-type') && req.is(types) === false;
}

/** How one search parameter narrows a store query. */
interface SearchParam {
  /** FHIR search parameter type (for the CapabilityStatement) */
  kind: 'token' | 'string' | 'uri';
  /** the types it applies to (all when absent) */
  types?: readonly string[];
  /** the modifiers it takes besides none */
  modifiers?: readonly string[];
  set(q: ResourceQuery, value: string, modifier: string): void;
  /** takes several values, any of which may match (FHIR search: `status=active,draft`) */
  setAny?(q: ResourceQuery, values: string[]): void;
}

const STRING_MODIFIERS = ['exact', 'contains'];
const stringMatch = (modifier: string): TextMatch['match'] => (modifier === 'exact' ? 'exact' : modifier === 'contains' ? 'contains' : 'starts');

/** The search parameters this server understands (FHIR R4 names), mapped to store queries. */
const SEARCH_PARAMS: Record<string, SearchParam> = {
  _id: { kind: 'token', set: (q, v) => (q.id = v), setAny: (q, vs) => (q.id = vs) },
  // a canonical may carry its version after a bar (url=http://...|1.0.0)
  url: {
    kind: 'uri',
    set: (q, v) => {
      const bar = v.indexOf('|');
      q.url = bar < 0 ? v : v.slice(0, bar);
      if (bar >= 0) q.version = v.slice(bar + 1);
    },
    setAny: (q, vs) => {
      if (vs.some((v) => v.includes('|'))) throw bad('Several url values are taken without versions (url=a,b); give a url with its |version alone');
      q.url = vs;
    },
  },
  version: { kind: 'token', set: (q, v) => (q.version = v), setAny: (q, vs) => (q.version = vs) },
  identifier: { kind: 'token', set: (q, v) => (q.identifier = v) },
  // NamingSystem.uniqueId.value
  value: { kind: 'string', types: ['NamingSystem'], set: (q, v) => (q.identifier = v) },
  status: { kind: 'token', set: (q, v) => (q.status = v), setAny: (q, vs) => (q.status = vs) },
  name: { kind: 'string', modifiers: STRING_MODIFIERS, set: (q, v, m) => (q.name = { value: v, match: stringMatch(m) }) },
  title: { kind: 'string', modifiers: STRING_MODIFIERS, set: (q, v, m) => (q.title = { value: v, match: stringMatch(m) }) },
  publisher: { kind: 'string', modifiers: STRING_MODIFIERS, set: (q, v, m) => (q.publisher = { value: v, match: stringMatch(m) }) },
  'content-mode': { kind: 'token', types: ['CodeSystem'], set: (q, v) => (q.content = v), setAny: (q, vs) => (q.content = vs) },
  supplements: { kind: 'uri', types: ['CodeSystem'], set: (q, v) => (q.supplements = v), setAny: (q, vs) => (q.supplements = vs) },
};

/** The search parameters of a resource type, for the CapabilityStatement. */
export function searchParametersOf(type: string): { name: string; type: SearchParam['kind'] }[] {
  return Object.entries(SEARCH_PARAMS)
    .filter(([, p]) => !p.types || p.types.includes(type))
    .map(([name, p]) => ({ name, type: p.kind }));
}

/** Result parameters that change nothing here (the answer is always JSON, always whole resources). */
const IGNORED = new Set(['_format', '_pretty', '_elements']);

interface SearchRequest {
  q: ResourceQuery;
  count: number;
  offset: number;
  summaryCount: boolean;
  /** `_summary` other than count: which elements of each resource come back */
  summary: SummaryMode;
  /** the parameters as understood, for the Bundle's links */
  used: string[];
}

/** Reads the search parameters of a request; an unknown parameter or modifier is an error. */
function toQuery(type: string, query: Record<string, unknown>): SearchRequest {
  const out: SearchRequest = { q: {}, count: DEFAULT_COUNT, offset: 0, summaryCount: false, summary: 'false', used: [] };
  for (const [rawName, rawValue] of Object.entries(query)) {
    const [name, modifier = '', ...rest] = rawName.split(':');
    const param = Object.hasOwn(SEARCH_PARAMS, name) ? SEARCH_PARAMS[name] : undefined;
    const known = (param && (!param.types || param.types.includes(type))) || name === '_count' || name === '_offset' || name === '_summary' || IGNORED.has(name);
    if (!known) throw bad(`Unknown search parameter '${rawName}' for ${type}`);
    if (rest.length || (modifier && !param?.modifiers?.includes(modifier))) throw bad(`Unsupported modifier in search parameter '${rawName}'`);
    if (IGNORED.has(name)) continue;
    // a repeated parameter means AND (FHIR search), which no single-valued element here can
    // meet with two values: refused rather than one silently taken
    if (Array.isArray(rawValue)) throw bad(`Search parameter '${rawName}' is given ${rawValue.length} times; give it once (any of several values: separate them with commas)`);
    const value = rawValue;
    if (typeof value !== 'string') throw bad(`Search parameter '${rawName}' must have a single text value`);
    if (name === '_count') out.count = Math.min(pagingNumber(name, value), MAX_COUNT);
    else if (name === '_offset') out.offset = pagingNumber(name, value);
    else if (name === '_summary') {
      if (!['count', 'false', 'true', 'data', 'text'].includes(value)) throw bad(`Unsupported _summary value '${value}'`);
      out.used.push(`_summary=${value}`);
      if (value === 'count') out.summaryCount = true;
      else out.summary = value as SummaryMode;
    } else {
      const values = orValues(value);
      if (values.length === 1) param!.set(out.q, values[0], modifier);
      else if (param!.setAny && !modifier) param!.setAny(out.q, values);
      else throw bad(`Search parameter '${rawName}' takes one value here (a comma means any of several values; write a comma in a value as \\,)`);
      out.used.push(`${encodeURIComponent(rawName)}=${encodeURIComponent(value)}`);
    }
  }
  if (out.count === 0) out.summaryCount = true;
  return out;
}

/** Read, search, create, update and delete of CodeSystem, ValueSet, ConceptMap and NamingSystem. */
export function resourceRoutes(deps: Pick<ServerDeps, 'config' | 'store' | 'schema' | 'loader'>, webViews?: WebViews): express.Router {
  const router = express.Router();

  const requireType = (type: string) => {
    if (!TYPES.has(type)) {
      throw TerminologyError.of({ severity: 'error', code: 'not-supported', txType: 'not-supported', text: `Resource type '${type}' is not supported by this server` }, 404);
    }
  };

  /** 405 for a method a path of a known type does not take. */
  const notAllowed = (allow: string) => (req: Request, res: Response) => {
    requireType(req.params.type as string);
    methodNotAllowed(res, allow);
  };

  // web-source is an extension, which the summaries `true` and `text` do not carry
  const entryFor = (base: string, r: StoredResource, summary: SummaryMode, views?: Record<string, string>) => ({
    fullUrl: `${base}/${r.resourceType}/${r.id}`,
    resource: summary === 'true' || summary === 'text' ? summarize(r.resource, summary) : withPage(summarize(r.resource, summary), views),
    search: { mode: 'match' as const },
  });

  const search = (req: Request, res: Response, type: string, query: Record<string, unknown>) => {
    requireType(type);
    const { q, count, offset, summaryCount, summary, used } = toQuery(type, query);
    const base = baseUrl(req, deps.config.publicBaseUrl);
    const page = (o: number) => `${base}/${type}?${[...used, `_count=${count}`, `_offset=${o}`].join('&')}`;
    const total = deps.store.count(type, q);
    const bundle: Bundle = { resourceType: 'Bundle', id: randomUUID(), type: 'searchset', total, link: [{ relation: 'self', url: page(offset) }] };
    if (!summaryCount) {
      const views = webViewsFor(req, webViews, deps.config.publicBaseUrl);
      bundle.entry = deps.store.search(type, q, { count, offset }).map((r) => entryFor(base, r, summary, views));
      if (offset + count < total) bundle.link!.push({ relation: 'next', url: page(offset + count) });
      if (offset > 0) bundle.link!.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
    }
    sendResource(res, 200, bundle);
  };

  const notFound = (res: Response, type: string, id: string) => sendOutcome(res, 404, [{ severity: 'error', code: 'not-found', txType: 'not-found', text: `${type}/${id} is not known` }]);

  /** The current version (the only one kept), answering If-None-Match with 304. */
  const read = (req: Request, res: Response, versionId?: string) => {
    const { type, id } = req.params as Record<string, string>;
    requireType(type);
    const r = deps.store.read(type, id);
    if (!r || (versionId !== undefined && versionId !== String(r.versionId))) return notFound(res, type, versionId === undefined ? id : `${id}/_history/${versionId}`);
    const headers = { ETag: `W/"${r.versionId}"`, 'Last-Modified': new Date(r.lastUpdated).toUTCString() };
    if (etagMatches(req.get('if-none-match'), headers.ETag)) {
      res.set(headers);
      return void res.status(304).end();
    }
    sendResource(res, 200, withPage(r.resource, webViewsFor(req, webViews, deps.config.publicBaseUrl)), headers);
  };

  router.get('/:type', (req, res) => search(req, res, req.params.type, req.query as Record<string, unknown>));
  router.post('/:type/_search', (req, res) => {
    if (hasBodyOtherThan(req, ['application/x-www-form-urlencoded'])) throw unsupportedMediaType('application/x-www-form-urlencoded');
    search(req, res, req.params.type, { ...(req.query as object), ...(req.body ?? {}) });
  });
  router.all('/:type/_search', notAllowed('POST'));
  router.get('/:type/:id', (req, res) => read(req, res));
  router.get('/:type/:id/_history/:vid', (req, res) => read(req, res, req.params.vid));

  const write = (req: Request, res: Response, type: string, id: string | undefined) => {
    requireType(type);
    if (hasBodyOtherThan(req, JSON_TYPES)) throw unsupportedMediaType(FHIR_JSON);
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body) || body.resourceType !== type) {
      throw bad(`The body must be a ${type} resource${body && typeof body.resourceType === 'string' ? `, not a ${body.resourceType}` : ''}`);
    }
    deps.schema.check(body);
    checkContent(body);
    if (id !== undefined) {
      if (!ID.test(id)) throw bad(`'${id}' is not a valid resource id`);
      if (body.id !== undefined && body.id !== id) throw bad(`The resource id '${body.id}' does not match the id in the URL '${id}'`);
    }
    // a create gets an id from the server (FHIR: a client's id is ignored)
    const resource = { ...body, id: id ?? randomUUID() };
    requireUniqueCanonical(resource);
    const { stored, created } = deps.loader.save(resource);
    const base = baseUrl(req, deps.config.publicBaseUrl);
    sendResource(res, created ? 201 : 200, stored.resource, {
      ETag: `W/"${stored.versionId}"`,
      'Last-Modified': new Date(stored.lastUpdated).toUTCString(),
      Location: `${base}/${type}/${stored.id}/_history/${stored.versionId}`,
    });
  };

  /** One resource per url and version: otherwise which one a request means is a matter of chance. */
  const requireUniqueCanonical = (r: { resourceType: string; id: string; url?: string; version?: string }) => {
    if (typeof r.url !== 'string') return;
    const other = deps.store.byUrl(r.resourceType, r.url).find((o) => o.id !== r.id && (o.version ?? '') === (r.version ?? ''));
    if (other) {
      throw TerminologyError.of(
        { severity: 'error', code: 'duplicate', txType: 'business-rule', text: `${r.resourceType}/${other.id} already has url ${r.url}${r.version ? ` and version ${r.version}` : ' and no version'}` },
        422,
      );
    }
  };

  router.post('/:type', (req, res) => write(req, res, req.params.type, undefined));
  router.put('/:type/:id', (req, res) => write(req, res, req.params.type, req.params.id));
  router.delete('/:type/:id', (req, res) => {
    const { type, id } = req.params;
    requireType(type);
    if (!deps.loader.remove(type, id)) return notFound(res, type, id);
    res.status(204).end();
  });

  // any other method on a known path
  router.all('/:type', notAllowed('GET, POST'));
  router.all('/:type/:id', notAllowed('GET, PUT, DELETE'));
  router.all('/:type/:id/_history/:vid', notAllowed('GET'));

  return router;
}
