import { orValues } from '../search-values';
import express, { Request, Response } from 'express';
import { randomUUID } from 'node:crypto';
import type { Bundle } from 'fhir/r4';
import type { ServerDeps } from '../../http/dependencies';
import { TerminologyError } from '../../terminology/issues';
import { baseUrl, methodNotAllowed, sendOutcome, sendResource } from '../../http/fhir-answers';
import { extensionDefinitions } from '../../nim/extensions';
import type { Nim } from '../../nim';
import { canonicalJson } from '../../nim/release-snapshot';
import { etagFor, notModified } from '../caching';
import { pagingNumber } from '../paging';

/**
 * StructureDefinition over FHIR: the NIM versions (logical models) and the extensions they use,
 * searchable with the usual parameters (GET /fhir/StructureDefinition?kind=logical) and readable
 * at /fhir/StructureDefinition/<id>. They are written through the NIM API (/nim/models), where
 * their lifecycle is kept, so the generic create/update/delete answers 405.
 */

interface Sd {
  resource: any;
  etag: string;
  lastUpdated?: string;
}

const fold = (s: string) => s.normalize('NFC').toLocaleLowerCase('sv');
const STRING_PARAMS = ['name', 'title', 'publisher', 'description'];
// Maps, not object literals: a parameter named 'constructor' must not find Object.prototype's
const TOKEN_PARAMS = new Map<string, (r: any) => string[]>([
  ['_id', (r) => [r.id]],
  ['version', (r) => [r.version]],
  ['status', (r) => [r.status]],
  ['kind', (r) => [r.kind]],
  ['derivation', (r) => [r.derivation]],
  ['experimental', (r) => [String(!!r.experimental)]],
]);
const URI_PARAMS = new Map<string, (r: any) => string>([
  ['type', (r) => r.type],
  ['base', (r) => r.baseDefinition],
]);
const IGNORED = new Set(['_format', '_pretty', '_elements']);
const DEFAULT_COUNT = 50;

function bad(text: string): TerminologyError {
  return TerminologyError.of({ severity: 'error', code: 'invalid', txType: 'invalid-data', text }, 400);
}

/** The search parameters understood here, for the CapabilityStatement. */
export function structureDefinitionSearchParameters(): { name: string; type: 'string' | 'token' | 'uri' }[] {
  return [
    { name: 'url', type: 'uri' },
    ...STRING_PARAMS.map((name) => ({ name, type: 'string' as const })),
    ...[...TOKEN_PARAMS.keys()].map((name) => ({ name, type: 'token' as const })),
    ...[...URI_PARAMS.keys()].map((name) => ({ name, type: 'uri' as const })),
  ];
}

/** One search parameter as a predicate over StructureDefinitions. */
function predicate(name: string, modifier: string, value: string): (r: any) => boolean {
  if (STRING_PARAMS.includes(name)) {
    if (modifier && modifier !== 'exact' && modifier !== 'contains') throw bad(`Unsupported modifier in search parameter '${name}:${modifier}'`);
    const v = fold(value);
    return (r) => {
      const field = typeof r[name] === 'string' ? r[name] : '';
      if (modifier === 'exact') return field === value;
      return modifier === 'contains' ? fold(field).includes(v) : fold(field).startsWith(v);
    };
  }
  if (modifier) throw bad(`Unsupported modifier in search parameter '${name}:${modifier}'`);
  if (name === 'url') {
    const [url, version] = value.split('|');
    return (r) => r.url === url && (version === undefined || r.version === version);
  }
  // a token with a system (system|code) is matched on its code: these codes have one system each
  const token = TOKEN_PARAMS.get(name);
  if (token) return (r) => token(r).includes(value.slice(value.indexOf('|') + 1));
  const uri = URI_PARAMS.get(name);
  if (uri) return (r) => uri(r) === value;
  throw bad(`Unknown search parameter '${name}' for StructureDefinition`);
}

export function structureDefinitionRoutes(deps: Pick<ServerDeps, 'config'>, nim: Nim): express.Router {
  const router = express.Router();
  const extensions: Sd[] = extensionDefinitions().map((resource) => ({ resource, etag: etagFor(canonicalJson(resource)) }));

  const all = (): Sd[] => [
    ...nim.store.allModels().map((m) => ({ resource: { ...m.resource, meta: { versionId: String(m.versionId), lastUpdated: m.updatedAt } }, etag: `W/"${m.versionId}"`, lastUpdated: m.updatedAt })),
    ...extensions,
  ];

  router.get('/StructureDefinition', (req: Request, res: Response) => {
    let count = DEFAULT_COUNT;
    let offset = 0;
    let summaryCount = false;
    const used: string[] = [];
    const tests: ((r: any) => boolean)[] = [];
    for (const [raw, rawValue] of Object.entries(req.query)) {
      const [name, modifier = ''] = raw.split(':');
      if (IGNORED.has(name)) continue;
      // a repeated parameter is AND, a comma within one is OR (FHIR search); the result
      // parameters are given once
      const repeats = Array.isArray(rawValue) ? rawValue : [rawValue];
      if (!repeats.every((v): v is string => typeof v === 'string')) throw bad(`Search parameter '${raw}' must have text values`);
      const result = name === '_count' || name === '_offset' || name === '_summary';
      if (result && repeats.length > 1) throw bad(`Search parameter '${raw}' is given ${repeats.length} times; give it once`);
      if (!result && (repeats.length > 1 || orValues(repeats[0]).length > 1)) {
        for (const v of repeats) {
          const anyOf = orValues(v).map((one) => predicate(name, modifier, one));
          tests.push((r) => anyOf.some((t) => t(r)));
          used.push(`${encodeURIComponent(raw)}=${encodeURIComponent(v)}`);
        }
        continue;
      }
      const value = repeats[0];
      if (name === '_count' || name === '_offset') {
        if (name === '_count') count = Math.min(pagingNumber(name, value), 1000);
        else offset = pagingNumber(name, value);
        continue;
      }
      if (name === '_summary') {
        if (!['count', 'false', 'true', 'data', 'text'].includes(value)) throw bad(`Unsupported _summary value '${value}'`);
        summaryCount = value === 'count';
        continue;
      }
      tests.push(predicate(name, modifier, value));
      used.push(`${encodeURIComponent(raw)}=${encodeURIComponent(value)}`);
    }
    const matches = all()
      .map((s) => s.resource)
      .filter((r) => tests.every((t) => t(r)))
      .sort((a, b) => `${a.url}|${a.version}`.localeCompare(`${b.url}|${b.version}`));
    const base = baseUrl(req, deps.config.publicBaseUrl);
    const page = (o: number) => `${base}/StructureDefinition?${[...used, `_count=${count}`, `_offset=${o}`].join('&')}`;
    const bundle: Bundle = { resourceType: 'Bundle', id: randomUUID(), type: 'searchset', total: matches.length, link: [{ relation: 'self', url: page(offset) }] };
    if (!summaryCount && count > 0) {
      bundle.entry = matches.slice(offset, offset + count).map((r) => ({ fullUrl: `${base}/StructureDefinition/${r.id}`, resource: r, search: { mode: 'match' } }));
      if (offset + count < matches.length) bundle.link!.push({ relation: 'next', url: page(offset + count) });
      if (offset > 0) bundle.link!.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
    }
    sendResource(res, 200, bundle);
  });

  const read = (req: Request, res: Response) => {
    const { id, vid } = req.params as Record<string, string | undefined>;
    const found = all().find((s) => s.resource.id === id);
    if (!found || (vid !== undefined && found.resource.meta?.versionId !== vid)) {
      return sendOutcome(res, 404, [{ severity: 'error', code: 'not-found', txType: 'not-found', text: `StructureDefinition/${id}${vid ? `/_history/${vid}` : ''} is not known` }]);
    }
    const headers: Record<string, string> = { ETag: found.etag, 'Cache-Control': 'no-cache' };
    if (found.lastUpdated) headers['Last-Modified'] = new Date(found.lastUpdated).toUTCString();
    if (notModified(req, res, headers)) return;
    sendResource(res, 200, found.resource, headers);
  };
  router.get('/StructureDefinition/:id', read);
  router.get('/StructureDefinition/:id/_history/:vid', read);

  const authoredElsewhere = (allow: string) => (_req: Request, res: Response) => {
    res.setHeader('Allow', allow);
    methodNotAllowed(res);
  };
  router.all('/StructureDefinition', authoredElsewhere('GET'));
  router.all('/StructureDefinition/:id', authoredElsewhere('GET'));
  return router;
}
