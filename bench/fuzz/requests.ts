import fc from 'fast-check';

/**
 * Requests as a careless or hostile client sends them, for every route of the server: methods,
 * paths (known routes with good, unknown and malformed segments), query strings, bodies of every
 * shape and size, media types, encodings and credentials. Used by the seeded HTTP fuzz test
 * (test/integration/http-fuzz.test.ts) and by bench/http-fuzz.ts for longer runs.
 */

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** Where a refusal must be an OperationOutcome (the rest are pages, or their data endpoints). */
export const API_PREFIXES = ['/fhir', '/nim', '/releases', '/validate', '/admin', '/openapi.json'];
/** The pages' JSON data endpoints (tree nodes, suggestions, the catalogue index). */
const PAGE_DATA = [/^\/kodsystem\/[^/]+\/barn$/, /^\/sok\/forslag$/, /^\/katalog\/index\.json$/];
/** Plumbing with its own small answers (health, metrics). */
const PLUMBING = ['/healthz', '/readyz', '/metrics'];

const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);

/** Text of any kind, as a segment, a value or a body: unicode, escapes, separators, long runs. */
export const hostileText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: pick('%', 'E', '0', 'A', '&', '=', '+', '[', ']', '{', '}', '(', ')', '"', '\\', ';', '|', ':', '.', '<', '>', '^', '$', '*', '/', '?', '#', ' '), maxLength: 40 }),
  pick('%E0%A4%A', '%C0%AF', '%FF', '%00', '..', '%2e%2e', '%2F', 'a'.repeat(300), '$lookup', '__proto__', 'constructor', '<script>', "' OR 1=1 --"),
);

/** A path segment: good values the content pack has, unknown ones, and malformed ones. */
const segment = fc.oneof(
  { weight: 3, arbitrary: pick('colours', 'administrative-gender', 'nim-brukare-1.0.0', 'brukare', 'insats', '1.0.0', '1.1.0', '2.0.0', 'x', 'ksi', 'icf', 'kva', 'sv') },
  { weight: 2, arbitrary: hostileText.map((t) => encodeURIComponent(t)) },
  { weight: 1, arbitrary: pick('%E0%A4%A', '%', '%ZZ', '%C0%AF', '..', '%2e%2e', 'a'.repeat(2000)) },
);
const resourceType = fc.oneof({ weight: 4, arbitrary: pick('CodeSystem', 'ValueSet', 'ConceptMap', 'NamingSystem', 'StructureDefinition', 'AuditEvent') }, { weight: 1, arbitrary: fc.oneof(pick('Patient', 'metadata', 'codesystem'), segment) });
const operation = fc.oneof({ weight: 4, arbitrary: pick('$lookup', '$validate-code', '$expand', '$subsumes', '$translate', '$batch-validate-code', '$compare', '$related', '$versions') }, { weight: 1, arbitrary: fc.oneof(pick('$foo', '%24lookup', '$'), segment) });

const ROUTES: fc.Arbitrary<string>[] = [
  pick('/fhir/metadata', '/fhir/metadata?mode=terminology', '/fhir', '/fhir/'),
  operation.map((o) => `/fhir/${o}`),
  resourceType.map((t) => `/fhir/${t}`),
  resourceType.map((t) => `/fhir/${t}/_search`),
  fc.tuple(resourceType, operation).map(([t, o]) => `/fhir/${t}/${o}`),
  fc.tuple(resourceType, segment).map(([t, id]) => `/fhir/${t}/${id}`),
  fc.tuple(resourceType, segment, operation).map(([t, id, o]) => `/fhir/${t}/${id}/${o}`),
  fc.tuple(resourceType, segment, segment).map(([t, id, v]) => `/fhir/${t}/${id}/_history/${v}`),
  pick('/openapi.json', '/nim/models', '/releases', '/releases/feed.atom', '/releases/feed.json', '/releases/effective', '/releases/in-force', '/releases/import', '/validate/record', '/validate/submission', '/admin/api-keys'),
  segment.map((s) => `/nim/models/${s}`),
  segment.map((s) => `/nim/models/${s}/versions`),
  fc.tuple(segment, segment).map(([n, v]) => `/nim/models/${n}/${v}`),
  fc.tuple(segment, pick('', '/status', '/refresh', '/comments', '/package.tgz', '/valuesets.csv', '/valuesets.xlsx', '/events/1', '/diff/1.0.0')).map(([v, rest]) => `/releases/${v}${rest}`),
  segment.map((s) => `/admin/api-keys/${s}`),
  pick('/', '/sok', '/sok/forslag', '/katalog', '/katalog/index.json', '/sprak', '/informationsmangder', '/utgavor', '/jamfor', '/resurser/kodverk.js', '/resurser/kodverk.css', '/resurser/lunr/lunr.js', '/healthz', '/readyz'),
  fc.tuple(pick('/kodsystem', '/vardemangd', '/mappning', '/informationsmangder', '/utgavor', '/resurser', '/resurser/lunr'), segment).map(([p, s]) => `${p}/${s}`),
  fc.tuple(segment, pick('/barn', '/koder.csv', '/koder.xlsx', '/koder.pdf', '/kod/red', '/kod/%E0%A4%A')).map(([s, rest]) => `/kodsystem/${s}${rest}`),
  fc.tuple(segment, pick('/koder.csv', '/koder.xlsx')).map(([s, rest]) => `/vardemangd/${s}${rest}`),
  fc.tuple(segment, segment).map(([n, v]) => `/informationsmangder/${n}/${v}`),
  segment.map((s) => `/${s}`),
];

const QUERY_NAMES = [
  'url', 'system', 'code', 'version', 'coding', 'display', 'property', 'designation', 'count', 'offset', 'filter', 'activeOnly', 'displayLanguage', 'valueSet', 'system-version',
  '_count', '_offset', '_summary', '_format', 'name', 'name:contains', 'title:exact', 'identifier', 'status', 'kind', 'q', 'kod', 'till', 'tillbaka', 'typ', 'release', 'date', 'from', 'to',
  'shortDisplayLimit', 'newVersion', 'mode', 'codeA', 'codeB', 'thisUrl', 'otherUrl', 'agent', 'entity', 'type', 'outcome', 'context', 'exclude-system',
  // names of Object.prototype members: a lookup table that is a plain object finds them
  'constructor', 'valueOf', 'hasOwnProperty', '__defineGetter__', '__proto__',
];
const queryValue = fc.oneof(
  { weight: 3, arbitrary: pick('http://hl7.org/fhir/administrative-gender', 'female', 'red', 'true', 'false', '0', '10', '-1', '99999999999', '2026-01-01', 'ge2026-01-01', 'sv', 'en', '*', '1.0.0', 'https://kodverk.se/fhir/CodeSystem/ksi|2025', 'https://kodverk.se/fhir/StructureDefinition/nim-brukare%23Brukare.kon', 'https://kodverk.se/fhir/StructureDefinition/nim-brukare%23') },
  { weight: 2, arbitrary: hostileText.map((t) => encodeURIComponent(t)) },
  { weight: 1, arbitrary: pick('%E0%A4%A', '%', '%%', '%FF%FE', '&&&', '==', 'a[b]=c') },
);
const query = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.tuple(fc.oneof(pick(...QUERY_NAMES), segment), queryValue), { maxLength: 6 }).map((pairs) => pairs.map(([n, v]) => `${n}=${v}`).join('&')) },
  { weight: 1, arbitrary: fc.integer({ min: 20, max: 1200 }).map((n) => Array.from({ length: n }, (_, i) => `property=p${i}`).join('&')) },
  { weight: 1, arbitrary: hostileText },
);

/** What FHIR JSON never holds where an element or resource is due: an array item that is no object. */
const notAnObject = pick<unknown>(null, 0, 'x', true, [], [null]);

/** A Parameters parameter of any shape (value[x] of several types, nested parts, or no object at all). */
const parameter: fc.Arbitrary<unknown> = fc.letrec<{ p: unknown }>((tie) => ({
  p: fc.oneof({ weight: 9, arbitrary: fc.record(
    {
      name: fc.oneof(pick('url', 'system', 'code', 'version', 'coding', 'display', 'property', 'valueSet', 'count', 'tx-resource', 'validation', 'codeA', 'codeB', 'context', 'constructor', 'valueOf'), hostileText),
      valueString: hostileText,
      valueCode: pick('female', 'red', '', 'b1300.2'),
      valueUri: pick('http://hl7.org/fhir/administrative-gender', 'http://example.org/none', '', 'https://kodverk.se/fhir/StructureDefinition/nim-brukare#kon'),
      valueBoolean: fc.boolean(),
      valueInteger: fc.integer(),
      valueCoding: fc.record({ system: pick('http://hl7.org/fhir/administrative-gender', 'x'), code: pick('female', '') }, { requiredKeys: [] }),
      part: fc.array(tie('p'), { maxLength: 3 }),
      resource: pick<unknown>(
        { resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'http://hl7.org/fhir/administrative-gender' }] } },
        { resourceType: 'ValueSet', status: 'active', compose: { include: [null] } },
        { resourceType: 'CodeSystem' },
        { resourceType: 'Patient' },
      ),
    },
    { requiredKeys: ['name'] },
  ) }, { weight: 1, arbitrary: notAnObject }),
})).p;

const deep = (n: number, open: string, close: string) => open.repeat(n) + close.repeat(n);
const json = (v: unknown) => ({ type: 'application/fhir+json', body: Buffer.from(JSON.stringify(v)) });
const BODY = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.array(parameter, { maxLength: 6 }).map((p) => json({ resourceType: 'Parameters', parameter: p })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json) },
  {
    weight: 1,
    arbitrary: pick(
      json({ resourceType: 'CodeSystem', url: 'http://example.org/fuzz', status: 'draft', content: 'complete', concept: [{ code: 'a' }, { code: 'a' }] }),
      json({ resourceType: 'CodeSystem', url: 'http://example.org/fuzz', status: 'draft', content: 'complete', concept: [null, 1, 'a'] }),
      json({ resourceType: 'ValueSet', status: 'active', compose: { include: [{ system: 'http://snomed.info/sct', filter: [{ property: 'constraint', op: '=', value: '('.repeat(5000) }] }] } }),
      json({ name: 'fuzz', title: 'Fuzz', attributes: [{ id: 'a', name: 'A', type: 'string' }] }),
      json({ status: 'faststalld', overrideLeadTime: 'x' }),
      json({ nim: 'brukare', record: { x: 1 } }),
      json({ name: 'Nyckel', role: 'admin' }),
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60_000 }).map((n) => ({ type: 'application/fhir+json', body: Buffer.from(deep(n, '[', ']')) })) },
  { weight: 1, arbitrary: fc.integer({ min: 10, max: 4000 }).map((n) => ({ type: 'application/fhir+json', body: Buffer.from('{"resourceType":"Parameters","parameter":[' + '{"name":"p","part":['.repeat(n) + '{"name":"x"}' + ']}'.repeat(n) + ']}') })) },
  { weight: 1, arbitrary: hostileText.map((t) => ({ type: 'application/fhir+json', body: Buffer.from(`{"resourceType":"Parameters","parameter":[${t}`) })) },
  { weight: 1, arbitrary: query.map((q) => ({ type: 'application/x-www-form-urlencoded', body: Buffer.from(q) })) },
  { weight: 1, arbitrary: fc.array(fc.array(hostileText, { maxLength: 4 }), { maxLength: 5 }).map((rows) => ({ type: 'text/csv', body: Buffer.from(['brukare.personnummer;insats.ksiKod', ...rows.map((r) => r.join(';'))].join('\n')) })) },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)), hostileText), { maxLength: 5 }).map((l) => ({ type: 'application/x-ndjson', body: Buffer.from(l.join('\n')) })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2000 }).map((b) => ({ type: 'application/gzip', body: Buffer.from(b) })) },
  { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 3_000_000 }).map((n) => ({ type: 'application/fhir+json', body: Buffer.from(`{"resourceType":"Parameters","parameter":[{"name":"code","valueString":"${'x'.repeat(n)}"}]}`) })) },
);
const CONTENT_TYPES = pick(undefined, 'application/json', 'text/plain', 'application/fhir+json; charset=latin1', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/csv; charset=utf-16', 'application/octet-stream', '');

/** Requests to every route; `adminKey` lets some of them through to the write handlers. */
export function fuzzRequests(adminKey: string): fc.Arbitrary<FuzzRequest> {
  const authorization = fc.oneof(
    { weight: 5, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.constant(`Bearer ${adminKey}`) },
    { weight: 1, arbitrary: pick('Bearer ', 'Bearer garbage', 'Basic dXNlcjpwYXNz', 'Bearer kv_000000000000_' + 'A'.repeat(43), 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.', 'bearer  x y') },
  );
  return fc
    .record({
      method: fc.oneof({ weight: 8, arbitrary: fc.constant('GET') }, { weight: 6, arbitrary: fc.constant('POST') }, { weight: 3, arbitrary: pick('PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS') }),
      path: fc.oneof(...ROUTES),
      query: fc.option(query, { nil: undefined, freq: 2 }),
      body: BODY,
      contentType: fc.option(CONTENT_TYPES, { nil: undefined, freq: 3 }),
      authorization,
      acceptLanguage: fc.option(pick('sv', 'en;q=0.5, sv', '*', 'xx-invalid-!!', 'sv'.repeat(500)), { nil: undefined }),
    })
    .map((r) => {
      const headers: Record<string, string> = {};
      if (r.authorization) headers.authorization = r.authorization;
      if (r.acceptLanguage) headers['accept-language'] = r.acceptLanguage;
      const withBody = r.body && r.method !== 'GET' && r.method !== 'HEAD';
      if (withBody) headers['content-type'] = r.contentType ?? r.body!.type;
      const path = r.query === undefined ? r.path : `${r.path}${r.path.includes('?') ? '&' : '?'}${r.query}`;
      return { method: r.method, path, headers, body: withBody ? r.body!.body : undefined };
    });
}

export type AnswerKind = 'api' | 'page' | 'page-data' | 'plumbing';

/** Which kind of answer a path gets (and so what a refusal must look like). */
export function answerKind(path: string): AnswerKind {
  // the path as the client sends it: dot segments ('..', '%2e%2e') resolved by the URL parser
  const p = new URL(path, 'http://fuzz.invalid').pathname;
  const lower = p.toLowerCase();
  if (PLUMBING.includes(p)) return 'plumbing';
  if (API_PREFIXES.some((a) => lower === a || lower.startsWith(a + '/'))) return 'api';
  if (PAGE_DATA.some((r) => r.test(p))) return 'page-data';
  return 'page';
}

/** What is wrong with an answer, or undefined when it is what the request deserved. */
export function problemWith(req: FuzzRequest, status: number, contentType: string, body: string): string | undefined {
  if (status >= 500) return `${status} (a server error)`;
  if (status < 400 || req.method === 'HEAD') return undefined;
  let kind = answerKind(req.path);
  // a request line longer than Node's header limit, split over several TCP packets, is refused
  // before its path can be read (the refusal sees only the last packet): the answer is the API's
  if ((status === 414 || status === 431) && kind === 'page' && /json/.test(contentType)) kind = 'api';
  if (kind === 'api') {
    let parsed: any;
    try {
      parsed = JSON.parse(body);
    } catch {
      return `${status} without a JSON body on the API`;
    }
    if (parsed?.resourceType !== 'OperationOutcome') return `${status} answered without an OperationOutcome`;
    if (!/json/.test(contentType)) return `${status} OperationOutcome as ${contentType}`;
  } else if (kind === 'page') {
    if (!/^text\/html/.test(contentType) || !/<html[\s>]/i.test(body)) return `${status} without an error page (${contentType})`;
  }
  return undefined;
}
