/**
 * Who is asking, and what they may do. Roles (README "Roles"): `reader` reads (what anonymous
 * clients read, and everything when reads require an identity), `author` drafts, `publisher` moves
 * releases through their lifecycle, `admin` imports, deletes and manages keys. `admin` may do
 * everything; `author` and `publisher` are separate duties (one identity may hold both).
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

/** Does the identity hold one of the roles (admin holds them all)? An empty list asks for none. */
export function holdsAny(identity: Identity, required: readonly Role[]): boolean {
  if (required.length === 0) return true;
  return identity.roles.includes('admin') || required.some((r) => identity.roles.includes(r));
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
