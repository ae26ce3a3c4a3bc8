import type { Coding } from 'fhir/r4';
import { AuditAction, AuditEntity, KodverkAction, RELEASE_SYSTEM, kodverkAction, restfulInteraction } from './audit-trail';
import { API_KEY_SYSTEM } from './api-keys';
import type { Role } from './identity';

/**
 * Who may do what: one matrix, every route's required role declared here and enforced in one
 * place (the access middleware of src/http/access.ts, before any router). The first rule whose
 * method and path match a request decides. Reads (GET, HEAD, OPTIONS, and the operations and
 * validations that take POST) need the `reader` level: anonymous clients have it unless
 * KODVERK_READ_ACCESS=authenticated. A write that no rule names needs `admin` (fail closed: a
 * route added without a rule is refused rather than open). README "Roles" shows this matrix.
 */

/** How a write appears in the audit trail. */
export interface AuditedAs {
  action: AuditAction;
  subtype: Coding;
  /** the entity from the path's parameters and the answer's Location header */
  entity?: (params: Record<string, string>, location: string | undefined) => AuditEntity | undefined;
}

export interface AccessRule {
  methods: readonly string[];
  /** `/literal/:param/$:operation/*`: a `$:` segment starts with `$`, `*` matches the rest */
  path: string;
  /** the least role that may (roles are ordered reader < author < publisher < admin) */
  role: Role;
  /** writes are audited, accepted or refused */
  audit?: AuditedAs;
  /** counts against the stricter rate limit (KODVERK_RATE_LIMIT_EXPENSIVE) */
  expensive?: boolean;
  /** what the rule is about, for the README's matrix */
  what: string;
}

const SAFE = ['GET', 'HEAD', 'OPTIONS'] as const;
const EXPENSIVE_OPERATIONS = new Set(['$expand', '$batch-validate-code', '$compare', '$related', '$translate', '$cache-control']);

/** The FHIR resource a write is about: Type/id, with the version the answer's Location names. */
const resourceEntity = (params: Record<string, string>, location: string | undefined): AuditEntity => {
  const fromLocation = location ? /\/([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})\/_history\/(\d+)$/.exec(location) : null;
  if (fromLocation) return { reference: `${fromLocation[1]}/${fromLocation[2]}/_history/${fromLocation[3]}` };
  return { reference: params.id ? `${params.type}/${params.id}` : params.type };
};
const nimEntity = (params: Record<string, string>, location: string | undefined): AuditEntity => {
  const m = location ? /\/nim\/models\/([^/]+)\/([^/]+)$/.exec(location) : null;
  const [name, version] = m ? [decodeURIComponent(m[1]), decodeURIComponent(m[2])] : [params.name, params.version];
  return version ? { reference: `StructureDefinition/nim-${name}-${version}`, display: `${name} ${version}` } : { display: name };
};
const releaseEntity = (params: Record<string, string>, location: string | undefined): AuditEntity => {
  const m = location ? /\/releases\/([^/]+)$/.exec(location) : null;
  const version = m ? decodeURIComponent(m[1]) : params.version;
  return { identifier: { system: RELEASE_SYSTEM, value: version ?? 'new' }, display: version };
};
const keyEntity = (params: Record<string, string>, location: string | undefined): AuditEntity | undefined => {
  const m = location ? /\/admin\/api-keys\/([^/]+)$/.exec(location) : null;
  const id = m ? m[1] : params.id;
  return id ? { identifier: { system: API_KEY_SYSTEM, value: id } } : undefined;
};

const writes = (action: AuditAction, code: KodverkAction, entity: AuditedAs['entity']): AuditedAs => ({ action, subtype: kodverkAction(code), entity });

export const ACCESS_RULES: readonly AccessRule[] = [
  // the audit trail and API keys: administrators only
  { methods: SAFE, path: '/fhir/AuditEvent/*', role: 'admin', what: 'read and search the audit trail' },
  // ahead of the reader rules for operations and POST searches below, whatever routes exist
  { methods: ['POST'], path: '/fhir/AuditEvent/*', role: 'admin', what: 'search the audit trail by POST (refused: 405) or anything else posted to it' },
  { methods: SAFE, path: '/admin/*', role: 'admin', what: 'list API keys' },
  { methods: ['POST'], path: '/admin/api-keys', role: 'admin', audit: writes('C', 'api-key-create', keyEntity), what: 'create an API key' },
  { methods: ['DELETE'], path: '/admin/api-keys/:id', role: 'admin', audit: writes('D', 'api-key-revoke', keyEntity), what: 'revoke an API key' },

  // FHIR terminology operations and searches are reads, also by POST
  { methods: ['POST'], path: '/fhir/$:op', role: 'reader', what: 'system-level operations' },
  { methods: ['POST'], path: '/fhir/:type/$:op', role: 'reader', what: 'type-level operations ($lookup, $validate-code, $expand, …)' },
  { methods: ['POST'], path: '/fhir/:type/:id/$:op', role: 'reader', what: 'instance-level operations' },
  { methods: ['POST'], path: '/fhir/:type/_search', role: 'reader', what: 'search by POST' },
  // FHIR resources: authors write, administrators delete
  { methods: ['POST'], path: '/fhir/:type', role: 'author', audit: { action: 'C', subtype: restfulInteraction('create'), entity: resourceEntity }, what: 'create a code system, value set, concept map or naming system' },
  { methods: ['PUT'], path: '/fhir/:type/:id', role: 'author', audit: { action: 'U', subtype: restfulInteraction('update'), entity: resourceEntity }, what: 'create or update one by id' },
  { methods: ['DELETE'], path: '/fhir/:type/:id', role: 'admin', audit: { action: 'D', subtype: restfulInteraction('delete'), entity: resourceEntity }, what: 'delete one' },

  // NIM authoring
  { methods: ['POST'], path: '/nim/models', role: 'author', audit: writes('C', 'nim-create', nimEntity), what: 'create a NIM' },
  { methods: ['POST'], path: '/nim/models/:name/versions', role: 'author', audit: writes('C', 'nim-new-version', nimEntity), what: 'start a new NIM version' },
  { methods: ['PUT'], path: '/nim/models/:name/:version', role: 'author', audit: writes('U', 'nim-update', nimEntity), what: 'edit an utkast' },
  { methods: ['DELETE'], path: '/nim/models/:name/:version', role: 'admin', audit: writes('D', 'nim-delete', nimEntity), what: 'delete an utkast' },

  // releases
  { methods: ['POST'], path: '/releases/import', role: 'admin', audit: writes('C', 'release-import', releaseEntity), expensive: true, what: 'import a release package' },
  { methods: ['POST'], path: '/releases', role: 'author', audit: writes('C', 'release-create', releaseEntity), what: 'draft a release' },
  { methods: ['PATCH'], path: '/releases/:version', role: 'author', audit: writes('U', 'release-update', releaseEntity), what: 'change a draft release' },
  { methods: ['DELETE'], path: '/releases/:version', role: 'admin', audit: writes('D', 'release-delete', releaseEntity), what: 'delete a draft release' },
  { methods: ['POST'], path: '/releases/:version/status', role: 'publisher', audit: writes('U', 'release-status', releaseEntity), what: 'påseende → fastställd → upphävd, with lead-time overrides' },
  { methods: ['POST'], path: '/releases/:version/refresh', role: 'publisher', audit: writes('U', 'release-refresh', releaseEntity), expensive: true, what: 'take a release on påseende again' },
  { methods: ['POST'], path: '/releases/:version/comments', role: 'author', audit: writes('C', 'release-comment', releaseEntity), what: 'comment on a release on påseende' },

  // validation of records and submission files: reads
  { methods: ['POST'], path: '/validate/record', role: 'reader', what: 'validate a record' },
  { methods: ['POST'], path: '/validate/submission', role: 'reader', expensive: true, what: 'validate a submission file' },

  // everything else: reads need the reader level, writes no rule names need admin
  { methods: SAFE, path: '/*', role: 'reader', what: 'every other read: FHIR reads and searches, pages, releases, OpenAPI' },
  { methods: ['*'], path: '/*', role: 'admin', audit: writes('E', 'write', () => undefined), what: 'any other write (none exists; fail closed)' },
];

/** One rule's path pattern, split into segments. */
interface CompiledRule extends AccessRule {
  segments: string[];
}

const COMPILED: CompiledRule[] = ACCESS_RULES.map((r) => ({ ...r, segments: r.path.split('/').filter(Boolean) }));

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Matches path segments (decoded, as the routers see them) against a rule's pattern. */
function matchPath(pattern: string[], segments: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p === '*') return params;
    const s = segments[i];
    if (s === undefined) return undefined;
    if (p.startsWith('$:')) {
      if (!s.startsWith('$')) return undefined;
      params[p.slice(2)] = s;
    } else if (p.startsWith(':')) params[p.slice(1)] = s;
    else if (p.toLowerCase() !== s.toLowerCase()) return undefined; // routes are case-insensitive
  }
  return segments.length === pattern.length ? params : undefined;
}

export interface AccessDecision {
  rule: AccessRule;
  params: Record<string, string>;
  expensive: boolean;
}

/** The rule for a request (method and path without its query). There is always one. */
export function accessFor(method: string, path: string): AccessDecision {
  // as the routers see it: split at '/', each segment decoded, a trailing '/' ignored
  const segments = path.split('/').slice(1).map(decode);
  if (segments[segments.length - 1] === '') segments.pop();
  for (const rule of COMPILED) {
    if (!rule.methods.includes('*') && !rule.methods.includes(method)) continue;
    const params = matchPath(rule.segments, segments);
    if (!params) continue;
    // an expensive operation is expensive by GET as by POST
    const expensive = !!rule.expensive || (segments[0]?.toLowerCase() === 'fhir' && segments.some((s) => EXPENSIVE_OPERATIONS.has(s)));
    return { rule, params, expensive };
  }
  throw new Error('unreachable: the last access rule matches every request');
}
