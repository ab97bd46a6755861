/**
 * The local identity provider (`POST /.local/oidc/token`): signs id tokens with an ES256 key
 * kept under the data dir, so tokens stay valid across a restart of the local stack. The
 * local stack trusts it like any configured issuer (see `trustedIssuer()`), as an issuer of
 * people (`people: true`: its tokens may name configured people by their `email`).
 *
 * Its issuer name is fixed (`LOCAL_ISSUER_URL`), not derived from the port: the principal is
 * issuer + subject, so a request made before a restart on another port still belongs to the
 * same pipeline after it. Its keys are given to the verifier directly, never fetched.
 *
 * In the local stack this key also signs for every issuer of the config file (there is no
 * network to reach their keys): a test names `iss` and gets a token of that issuer, so
 * cross-issuer attacks are real ones (`trustedIssuersFor`).
 *
 * It signs exactly the claims it is given, including `iss`, `aud`, `exp`, `nbf`, `iat` and
 * `sub`, so tests can make expired, early, foreign or mis-addressed tokens. Only claims left
 * out are filled in:
 * - `iss`: `LOCAL_ISSUER_URL`
 * - `aud`: `jitvend`
 * - `iat`: now; `exp`: now + 1 hour (not derived from a given `iat`)
 * - `sub`: GitHub Actions' shape from the given claims: `repo:<repository>:environment:<environment>`,
 *   else `repo:<repository>:pull_request` for `event_name: pull_request`, else
 *   `repo:<repository>:ref:<ref>`; `repository` defaults to `local/demo` and `ref` to
 *   `refs/heads/main` for the subject only (they are not added as claims)
 * - `nbf` is never added.
 * A claim given as `undefined` counts as given and is left out of the token (a token with no
 * `exp`, say); `null` is signed as `null`.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { CompactSign, exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK } from 'jose';
import type { TrustedIssuer } from '../shared/adapters/oidc/verifier.ts';
import { type Clock, systemClock } from '../shared/domain/ports.ts';
import { loadOrCreateSecretFile } from './secret-file.ts';

export const LOCAL_AUDIENCE = 'jitvend';
/** the local identity provider's `iss`: a name, stable across restarts and ports (`.invalid` never resolves) */
export const LOCAL_ISSUER_URL = 'https://local-oidc.jitvend.invalid';
export const LOCAL_TOKEN_LIFETIME_SECONDS = 3600;
export const LOCAL_DEFAULT_REPOSITORY = 'local/demo';
export const LOCAL_DEFAULT_REF = 'refs/heads/main';
export const LOCAL_OIDC_KEY_FILE = 'oidc-signing-key.json';
const ALG = 'ES256';

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

export class LocalOidcIssuer {
  private constructor(
    readonly issuerUrl: string,
    private readonly privateKey: SigningKey,
    private readonly publicJwk: JWK,
    private readonly clock: Clock,
  ) {}

  /** Loads the signing key from `<dataDir>/oidc-signing-key.json`, creating it (mode 0600) the first time. */
  static async load(
    dataDir: string,
    issuerUrl: string,
    options: { clock?: Clock } = {},
  ): Promise<LocalOidcIssuer> {
    const privateJwk = await loadOrCreateSigningKey(join(dataDir, LOCAL_OIDC_KEY_FILE));
    const { d: _private, ...publicJwk } = privateJwk;
    const privateKey = await importJWK(privateJwk, ALG);
    return new LocalOidcIssuer(issuerUrl, privateKey, publicJwk, options.clock ?? systemClock);
  }

  /** The public signing keys, as served at `<issuer>/.well-known/jwks`. */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** The verifier's configuration entry for this issuer (keys given directly: no fetch). */
  trustedIssuer(audience: string | string[] = LOCAL_AUDIENCE): TrustedIssuer {
    return { issuer: this.issuerUrl, audience, jwks: this.jwks(), people: true };
  }

  /**
   * The local stack's verifier configuration: every configured issuer (with its audience and
   * `people` flag) verified with this key instead of its own, then this issuer itself.
   */
  trustedIssuersFor(configured: readonly Omit<TrustedIssuer, 'jwks'>[]): TrustedIssuer[] {
    const others = configured
      .filter((entry) => entry.issuer !== this.issuerUrl)
      .map(({ jwksUri: _remote, ...entry }) => ({ ...entry, jwks: this.jwks() }));
    return [...others, this.trustedIssuer()];
  }

  /** Signs the claims as given, filling in only the ones left out (see the file comment). */
  async sign(claims: Record<string, unknown>): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const defaults: Record<string, unknown> = {
      iss: this.issuerUrl,
      aud: LOCAL_AUDIENCE,
      iat: now,
      exp: now + LOCAL_TOKEN_LIFETIME_SECONDS,
      sub: defaultSubject(claims),
    };
    const missing = Object.entries(defaults).filter(([name]) => !Object.hasOwn(claims, name));
    // spread, not assignment: a `__proto__` claim stays a plain claim
    const payload = { ...Object.fromEntries(missing), ...claims };
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: this.publicJwk.kid })
      .sign(this.privateKey);
  }
}

function defaultSubject(claims: Record<string, unknown>): string {
  const repository = typeof claims.repository === 'string' ? claims.repository : LOCAL_DEFAULT_REPOSITORY;
  if (typeof claims.environment === 'string') return `repo:${repository}:environment:${claims.environment}`;
  if (claims.event_name === 'pull_request') return `repo:${repository}:pull_request`;
  const ref = typeof claims.ref === 'string' ? claims.ref : LOCAL_DEFAULT_REF;
  return `repo:${repository}:ref:${ref}`;
}

async function loadOrCreateSigningKey(path: string): Promise<JWK> {
  const text = await loadOrCreateSecretFile(path, async () => {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    const jwk: JWK = { ...(await exportJWK(privateKey)), alg: ALG, use: 'sig', kid: `local-${randomUUID()}` };
    return `${JSON.stringify(jwk, null, 2)}\n`;
  });
  let jwk: JWK;
  try {
    jwk = JSON.parse(text) as JWK;
  } catch {
    throw new Error(`local OIDC signing key ${path} is not valid JSON: delete it to make a new one`);
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string' || typeof jwk.kid !== 'string') {
    throw new Error(
      `local OIDC signing key ${path} is not an ES256 private key: delete it to make a new one`,
    );
  }
  return jwk;
}
