/**
 * Verifies the OIDC id tokens pipelines send as `Authorization: Bearer <token>` (GitHub
 * Actions, GitLab `id_tokens`, the local identity provider, any configured issuer) and turns
 * them into a Principal. Every failure is an UnauthenticatedError whose message says why and
 * never contains the token.
 */
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  type FetchImplementation,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from 'jose';
import { UnauthenticatedError } from '../../domain/errors.ts';
import type { Clock } from '../../domain/ports.ts';
import type { Person } from '../../domain/profile.ts';
import type { Principal } from '../../domain/types.ts';

export interface TrustedIssuer {
  /** the exact `iss` value, e.g. `https://token.actions.githubusercontent.com` */
  issuer: string;
  /** accepted `aud` value(s); the token's `aud` must contain one of them */
  audience: string | string[];
  /**
   * where the issuer's signing keys are published; default `<issuer>/.well-known/jwks`
   * (right for GitHub Actions; GitLab.com publishes at `https://gitlab.com/oauth/discovery/keys`)
   */
  jwksUri?: string;
  /** the signing keys themselves (local identity provider, tests): no fetch */
  jwks?: JSONWebKeySet;
  /**
   * may this issuer's tokens name configured people (through their `email` claim)? Only an
   * identity provider for humans should (the local one is); pipeline issuers never name people,
   * whatever their tokens claim. Default false.
   */
  people?: boolean;
}

export interface OidcVerifierOptions {
  issuers: TrustedIssuer[];
  /** configured people; a token whose verified `email` claim matches one acts as that person */
  people?: Record<string, Pick<Person, 'email'>>;
  clock?: Clock;
  /** leeway for `exp`, `nbf` and `iat` against clock skew; default 30 s */
  clockToleranceSeconds?: number;
  /** timeout of one JWKS fetch; default 5000 ms */
  jwksTimeoutMs?: number;
  /** fetch used for remote JWKS (tests); default the global fetch */
  fetch?: FetchImplementation;
}

/** Asymmetric signature algorithms only: never `none` and never HMAC (HS*), whose key would be public. */
export const ALLOWED_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** Tokens larger than this are refused before any parsing (GitHub's are about 1.5 KB). */
const MAX_TOKEN_CHARS = 16_384;

interface IssuerEntry {
  issuer: string;
  audiences: string[];
  keys: JWTVerifyGetKey;
  people: boolean;
}

/** Longest `sub` accepted (GitHub's are about 100-300 characters). */
const MAX_SUBJECT_CHARS = 1024;

export class OidcVerifier {
  private readonly issuers = new Map<string, IssuerEntry>();
  private readonly people: Record<string, Pick<Person, 'email'>>;
  private readonly clock: Clock | undefined;
  private readonly clockTolerance: number;

  constructor(options: OidcVerifierOptions) {
    this.people = options.people ?? {};
    this.clock = options.clock;
    this.clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    for (const trusted of options.issuers) {
      const audiences = Array.isArray(trusted.audience) ? trusted.audience : [trusted.audience];
      if (audiences.length === 0) throw new Error(`trusted issuer ${trusted.issuer} needs an audience`);
      // Built once per issuer: the remote set caches the keys and refetches only on an unknown kid
      // (at most every 30 s) or after 10 minutes.
      const keys = trusted.jwks
        ? createLocalJWKSet(trusted.jwks)
        : createRemoteJWKSet(new URL(trusted.jwksUri ?? defaultJwksUri(trusted.issuer)), {
            timeoutDuration: options.jwksTimeoutMs ?? 5000,
            ...(options.fetch ? { [customFetch]: options.fetch } : {}),
          });
      if (this.issuers.has(trusted.issuer))
        throw new Error(`trusted issuer ${trusted.issuer} is listed twice`);
      this.issuers.set(trusted.issuer, {
        issuer: trusted.issuer,
        audiences,
        keys,
        people: trusted.people === true,
      });
    }
  }

  /** Verifies `Bearer <token>` (or a bare token) and returns who is calling. */
  async verify(authorizationOrToken: string | undefined | null): Promise<Principal> {
    const token = bearerToken(authorizationOrToken);
    const trusted = this.trustedIssuerOf(token);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, trusted.keys, {
        issuer: trusted.issuer,
        audience: trusted.audiences,
        algorithms: [...ALLOWED_ALGORITHMS],
        clockTolerance: this.clockTolerance,
        requiredClaims: ['exp', 'sub'],
        ...(this.clock ? { currentDate: this.clock.now() } : {}),
      }));
    } catch (error) {
      throw new UnauthenticatedError(reasonFor(error, trusted));
    }
    if (typeof payload.sub !== 'string' || payload.sub === '') {
      throw new UnauthenticatedError('token has no subject (sub) claim');
    }
    if (payload.sub.length > MAX_SUBJECT_CHARS)
      throw new UnauthenticatedError('token subject (sub) is too long');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters on purpose
    if (/[\u0000-\u001f\u007f]/.test(payload.sub)) {
      throw new UnauthenticatedError('token subject (sub) contains control characters');
    }
    const claims: Record<string, unknown> = { ...payload };
    // only an issuer of people may name a person: a pipeline's token never acts as one
    const person = trusted.people ? personOf(claims, this.people) : undefined;
    return {
      issuer: trusted.issuer,
      subject: payload.sub,
      claims,
      ...(person ? { person } : {}),
    };
  }

  /** Reads `iss` and `alg` from the unverified token to refuse it before any key fetch. */
  private trustedIssuerOf(token: string): IssuerEntry {
    let alg: unknown;
    let iss: unknown;
    try {
      alg = decodeProtectedHeader(token).alg;
      iss = decodeJwt(token).iss;
    } catch {
      throw new UnauthenticatedError('malformed token: not a signed JWT');
    }
    if (typeof alg !== 'string' || !(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
      throw new UnauthenticatedError(`token algorithm ${printable(alg)} is not allowed`);
    }
    if (typeof iss !== 'string') throw new UnauthenticatedError('token has no issuer (iss) claim');
    const trusted = this.issuers.get(iss);
    if (!trusted) throw new UnauthenticatedError(`issuer ${printable(iss)} is not trusted`);
    return trusted;
  }
}

function defaultJwksUri(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/jwks`;
}

function bearerToken(value: string | undefined | null): string {
  const trimmed = value?.trim() ?? '';
  if (trimmed === '' || trimmed.toLowerCase() === 'bearer') {
    throw new UnauthenticatedError('missing bearer token');
  }
  let token = trimmed;
  const space = trimmed.search(/\s/);
  if (space !== -1) {
    const scheme = trimmed.slice(0, space);
    if (scheme.toLowerCase() !== 'bearer') throw new UnauthenticatedError('missing bearer token');
    token = trimmed.slice(space).trim();
  }
  if (token === '') throw new UnauthenticatedError('missing bearer token');
  if (token.length > MAX_TOKEN_CHARS) throw new UnauthenticatedError('token too large');
  return token;
}

function reasonFor(error: unknown, trusted: IssuerEntry): string {
  if (error instanceof errors.JWTExpired) return 'token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return `token has no ${error.claim} claim`;
    switch (error.claim) {
      case 'aud':
        return `audience mismatch: expected ${trusted.audiences.join(' or ')}`;
      case 'nbf':
        return 'token not yet valid (nbf is in the future)';
      case 'iat':
        return 'token issued in the future (iat)';
      case 'iss':
        return `issuer mismatch: expected ${trusted.issuer}`;
      default:
        return `invalid ${error.claim} claim`;
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not allowed';
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'token signature is invalid';
  if (error instanceof errors.JWKSNoMatchingKey) {
    return `no signing key of issuer ${trusted.issuer} matches the token`;
  }
  if (error instanceof errors.JWKSMultipleMatchingKeys) {
    return `several signing keys of issuer ${trusted.issuer} match the token: it needs a kid`;
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return `could not get the signing keys of issuer ${trusted.issuer}`;
  }
  if (error instanceof errors.JWTInvalid || error instanceof errors.JWSInvalid) {
    return 'malformed token';
  }
  if (error instanceof errors.JOSENotSupported) return 'token uses an unsupported key or algorithm';
  if (error instanceof errors.JOSEError) return 'token verification failed';
  // network failures while fetching the JWKS
  return `could not get the signing keys of issuer ${trusted.issuer}`;
}

/** an untrusted value, made safe and short for an error message */
function printable(value: unknown, maxChars = 200): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters on purpose
  const safe = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return safe.length > maxChars ? `${safe.slice(0, maxChars)}…` : safe;
}

/**
 * Email addresses compared case-insensitively in ASCII only: `toLowerCase()` would fold
 * look-alikes such as the Kelvin sign (U+212A) into `k`, letting another mailbox match.
 */
function asciiLower(email: string): string {
  return email.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** printable ASCII with no spaces: the only shape a claim may have to name a person */
const EMAIL_CLAIM = /^[\x21-\x7e]+@[\x21-\x7e]+$/;

/**
 * The configured person whose email equals the token's `email` claim (ASCII case-insensitive,
 * nothing trimmed), unless `email_verified` is present and not exactly boolean `true` (the
 * strings "true"/"False", 1 and null do not count). Callers apply this to people issuers only.
 */
export function personOf(
  claims: Record<string, unknown>,
  people: Record<string, Pick<Person, 'email'>>,
): string | undefined {
  const email = claims.email;
  if (typeof email !== 'string' || !EMAIL_CLAIM.test(email)) return undefined;
  if (Object.hasOwn(claims, 'email_verified') && claims.email_verified !== true) return undefined;
  const wanted = asciiLower(email);
  const matches = Object.entries(people).filter(
    ([, person]) => person.email !== undefined && asciiLower(person.email) === wanted,
  );
  // two people with one address: the token cannot say which one it is
  return matches.length === 1 ? matches[0]![0] : undefined;
}
