import { createRemoteJWKSet, errors, jwtVerify, JWTPayload } from 'jose';
import type { OidcSettings } from '../config';
import { CredentialError, Identity, Role, isRole } from './identity';

/**
 * Bearer JWTs from an OpenID Connect / OAuth 2 issuer, verified with jose against the issuer's
 * JWKS: signature (asymmetric algorithms only), `iss`, `aud`, `exp` (required), `nbf`, within a
 * bounded clock skew. The keys are fetched once and cached; an unknown `kid` (the issuer rotated
 * its keys) fetches them again, at most once per cooldown.
 */
export type { OidcSettings };

/** Most clock skew accepted from configuration: beyond this an expired token is simply expired. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** After the discovery document could not be read, how long until it is tried again. */
export const DISCOVERY_RETRY_MS = 10_000;

/** The roles a token names (a list or a space-separated text), ours only, case-insensitive. */
export function rolesFrom(payload: JWTPayload, claim: string): Role[] {
  let v: unknown = payload;
  for (const part of claim.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  const values = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/\s+/) : [];
  const roles = values.map((r) => (typeof r === 'string' ? r.toLowerCase() : r)).filter(isRole);
  return [...new Set(roles)];
}

export class OidcVerifier {
  private jwks?: ReturnType<typeof createRemoteJWKSet>;
  private readonly skew: number;

  constructor(readonly settings: OidcSettings) {
    this.skew = Math.min(Math.max(0, settings.clockSkewSeconds), MAX_CLOCK_SKEW_SECONDS);
  }

  static looksLikeJwt(token: string): boolean {
    return JWT.test(token);
  }

  /** The JWKS of the issuer: configured, or from its discovery document (fetched once). */
  private async keySet(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    if (this.jwks) return this.jwks;
    const uri = this.settings.jwksUri ?? (await this.discover());
    // one key set for all: requests that waited for the discovery together share it (and its fetches)
    this.jwks ??= createRemoteJWKSet(new URL(uri), { cacheMaxAge: 10 * 60_000, cooldownDuration: (this.settings.jwksCooldownSeconds ?? 30) * 1000, timeoutDuration: 5000 });
    return this.jwks;
  }

  private discovery?: Promise<string>;
  private discoveryFailed?: { until: number; error: CredentialError };

  /**
   * The jwks_uri from the discovery document: one fetch however many requests wait for it, and
   * after a failure none for DISCOVERY_RETRY_MS (each token-shaped header drove a fetch of the
   * identity provider before, anonymous and unlimited, while it could not be read).
   */
  private discover(): Promise<string> {
    const failed = this.discoveryFailed;
    if (failed && failed.until > Date.now()) return Promise.reject(failed.error);
    this.discovery ??= this.readDiscovery()
      .catch((e: CredentialError) => {
        this.discoveryFailed = { until: Date.now() + DISCOVERY_RETRY_MS, error: e };
        throw e;
      })
      .finally(() => (this.discovery = undefined));
    return this.discovery;
  }

  private async readDiscovery(): Promise<string> {
    const discovery = `${this.settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let doc: { jwks_uri?: unknown; issuer?: unknown };
    try {
      const res = await fetch(discovery, { signal: AbortSignal.timeout(5000), redirect: 'error' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (e) {
      throw new CredentialError(`The identity provider's configuration could not be read (${e instanceof Error ? e.message : 'error'})`, 503);
    }
    if (typeof doc.jwks_uri !== 'string') throw new CredentialError("The identity provider's configuration names no jwks_uri", 503);
    return doc.jwks_uri;
  }

  async identify(token: string): Promise<Identity> {
    const keys = await this.keySet();
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.skew,
        requiredClaims: ['exp', 'sub'],
      });
      // the subject only: names and e-mail addresses in the token are personal data and stay out
      return { source: 'oidc', id: String(payload.sub), system: this.settings.issuer, name: `subject ${String(payload.sub)}`, roles: rolesFrom(payload, this.settings.rolesClaim) };
    } catch (e) {
      throw this.explain(e);
    }
  }

  private explain(e: unknown): CredentialError {
    if (e instanceof CredentialError) return e;
    if (e instanceof errors.JWTExpired) return new CredentialError('The token has expired');
    if (e instanceof errors.JWTClaimValidationFailed) return new CredentialError(`The token's ${e.claim} claim is not accepted (${e.reason})`);
    if (e instanceof errors.JWKSNoMatchingKey) return new CredentialError("The token is not signed by one of the identity provider's keys");
    if (e instanceof errors.JWSSignatureVerificationFailed) return new CredentialError("The token's signature is not valid");
    if (e instanceof errors.JOSEAlgNotAllowed) return new CredentialError("The token's signing algorithm is not accepted");
    if (e instanceof errors.JWKSTimeout || (e instanceof errors.JOSEError && e.code === 'ERR_JOSE_GENERIC' && /fetch|network/i.test(e.message))) {
      return new CredentialError("The identity provider's keys could not be fetched", 503);
    }
    if (e instanceof errors.JOSEError) return new CredentialError(`The token is not valid (${e.code})`);
    // fetch failures of the key set surface as plain errors
    return new CredentialError("The identity provider's keys could not be fetched", 503);
  }
}
