/**
 * Who is asking, and what they may do. Roles (README "Roles") are levels, each allowing what the
 * ones below it allow: `reader` reads (what anonymous clients read, and everything when reads
 * require an identity), `author` drafts NIM versions, releases, code systems and value sets and
 * comments, `publisher` moves releases through their lifecycle, `admin` imports, deletes and
 * manages keys.
 */
export const ROLES = ['reader', 'author', 'publisher', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Where an identity was established. */
export type IdentitySource = 'anonymous' | 'api-key' | 'api-token' | 'oidc' | 'operator';

export interface Identity {
  source: IdentitySource;
  /** a stable identifier: the key id, the token's subject, … (never a person's name or e-mail) */
  id: string;
  /** the identifier's namespace (the OIDC issuer, the API-key system) */
  system?: string;
  /** what the audit trail shows: the key's name, 'anonymous', … */
  name: string;
  roles: Role[];
}

export const ANONYMOUS: Identity = Object.freeze({ source: 'anonymous', id: 'anonymous', name: 'anonymous', roles: [] as Role[] }) as Identity;

/** The CLI acting directly on the store file (an operator with access to the host). */
export const OPERATOR: Identity = Object.freeze({ source: 'operator', id: 'operator', name: 'operator (kodverk CLI on the store file)', roles: ['admin'] as Role[] }) as Identity;

/** May this identity do what the role may (its highest role is that role or above)? */
export function mayAct(identity: Identity, role: Role): boolean {
  return identity.roles.some((r) => ROLES.indexOf(r) >= ROLES.indexOf(role));
}

/** Why presented credentials were not accepted (RFC 6750: error="invalid_token"). */
export class CredentialError extends Error {
  constructor(
    message: string,
    /** 401: the credentials are wrong; 503: they could not be checked now (identity provider unreachable) */
    readonly status: 401 | 503 = 401,
  ) {
    super(message);
    this.name = 'CredentialError';
  }
}
