import { createHash, timingSafeEqual } from 'node:crypto';
import { ApiKeys } from './api-keys';
import { ANONYMOUS, CredentialError, Identity } from './identity';
import { OidcVerifier } from './oidc';

/**
 * Turns the credentials of a request into an identity: no credentials are anonymous; a bearer
 * token is the simple-mode token (KODVERK_API_TOKEN, an admin), an API key, or an OIDC JWT.
 * Credentials that are presented but wrong are refused, never taken as anonymous.
 */
export class Authenticator {
  private readonly apiTokenDigest?: Buffer;

  constructor(
    readonly apiKeys: ApiKeys,
    readonly oidc: OidcVerifier | undefined,
    apiToken: string | undefined,
  ) {
    if (apiToken) this.apiTokenDigest = createHash('sha256').update(apiToken).digest();
  }

  /** Which kinds of credentials this server takes (for README and errors). */
  describe(): string {
    return ['API keys', this.apiTokenDigest ? 'the API token' : '', this.oidc ? `tokens from ${this.oidc.settings.issuer}` : ''].filter(Boolean).join(', ');
  }

  /** The identity behind an Authorization header (undefined or empty: anonymous). */
  async identify(authorization: string | undefined): Promise<Identity> {
    if (authorization === undefined || authorization.trim() === '') return ANONYMOUS;
    const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(authorization);
    if (!m) throw new CredentialError('Credentials are sent as Authorization: Bearer <token>');
    const token = m[1];
    if (this.apiTokenDigest) {
      // compare digests: equal length whatever was sent, and no timing difference
      const given = createHash('sha256').update(token).digest();
      if (timingSafeEqual(given, this.apiTokenDigest)) return { source: 'api-token', id: 'api-token', name: 'KODVERK_API_TOKEN', roles: ['admin'] };
    }
    if (ApiKeys.looksLikeKey(token)) return this.apiKeys.identify(token);
    if (this.oidc && OidcVerifier.looksLikeJwt(token)) return this.oidc.identify(token);
    throw new CredentialError('The bearer token is not known');
  }
}
