import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FetchImplementation, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOidcIssuer } from '../../local/oidc-issuer.ts';
import { OidcVerifier, type OidcVerifierOptions } from '../../shared/adapters/oidc/verifier.ts';
import { initiatorOf, principalSummary } from '../../shared/domain/claims.ts';
import { UnauthenticatedError } from '../../shared/domain/errors.ts';
import type { Clock } from '../../shared/domain/ports.ts';

const ISSUER = 'http://127.0.0.1:8787/.local/oidc';
const GITHUB = 'https://token.actions.githubusercontent.com';
const NOW = new Date('2026-03-01T12:00:00Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const clock: Clock = { now: () => NOW };

let dir: string;
let idp: LocalOidcIssuer;
let otherIdp: LocalOidcIssuer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jitvend-oidc-'));
  idp = await LocalOidcIssuer.load(join(dir, 'a'), ISSUER, { clock });
  otherIdp = await LocalOidcIssuer.load(join(dir, 'b'), ISSUER, { clock });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function verifier(options: Partial<OidcVerifierOptions> = {}): OidcVerifier {
  return new OidcVerifier({
    issuers: [{ issuer: ISSUER, audience: 'jitvend', jwks: idp.jwks() }],
    clock,
    ...options,
  });
}

async function rejection(promise: Promise<unknown>): Promise<UnauthenticatedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnauthenticatedError);
  return error as UnauthenticatedError;
}

/** a JWKS endpoint that counts its fetches */
function jwksEndpoint(jwks: () => unknown) {
  const calls: string[] = [];
  const fetch: FetchImplementation = async (url) => {
    calls.push(String(url));
    return new Response(JSON.stringify(jwks()), { headers: { 'content-type': 'application/json' } });
  };
  return { calls, fetch };
}

describe('OidcVerifier', () => {
  describe('a valid token', () => {
    it('gives the principal: the issuer and the sub together, and every claim', async () => {
      const token = await idp.sign({ repository: 'acme/orders', ref: 'refs/heads/main', actor: 'alice' });
      const principal = await verifier().verify(`Bearer ${token}`);
      expect(principal).toEqual({
        subject: 'repo:acme/orders:ref:refs/heads/main',
        issuer: ISSUER,
        claims: expect.objectContaining({ repository: 'acme/orders', actor: 'alice', aud: 'jitvend' }),
      });
      expect(principal.person).toBeUndefined();
    });

    it('accepts a bare token and a lower-case scheme', async () => {
      const token = await idp.sign({});
      await expect(verifier().verify(token)).resolves.toMatchObject({ issuer: ISSUER });
      await expect(verifier().verify(`bearer  ${token}`)).resolves.toMatchObject({ issuer: ISSUER });
    });

    it('accepts an audience list and a token with several audiences', async () => {
      const token = await idp.sign({ aud: ['sts.amazonaws.com', 'jitvend-prod'] });
      const v = verifier({
        issuers: [{ issuer: ISSUER, audience: ['jitvend', 'jitvend-prod'], jwks: idp.jwks() }],
      });
      await expect(v.verify(token)).resolves.toMatchObject({ issuer: ISSUER });
    });

    it('tolerates a small clock skew', async () => {
      const token = await idp.sign({ exp: NOW_S - 10, nbf: NOW_S + 10 });
      await expect(verifier().verify(token)).resolves.toMatchObject({ issuer: ISSUER });
    });
  });

  describe('refuses', () => {
    it.each([
      ['an expired token', { exp: NOW_S - 120 }, 'token expired'],
      ['a token not valid yet', { nbf: NOW_S + 600 }, 'token not yet valid (nbf is in the future)'],
      ['a token for another audience', { aud: 'someone-else' }, 'audience mismatch: expected jitvend'],
      ['a token with no exp', { exp: undefined }, 'token has no exp claim'],
      ['a token with no sub', { sub: undefined }, 'token has no sub claim'],
    ])('%s', async (_, claims, reason) => {
      const token = await idp.sign(claims);
      const error = await rejection(verifier().verify(`Bearer ${token}`));
      expect(error.message).toBe(reason);
      expect(error.message).not.toContain(token);
    });

    it('a token from an unknown issuer, before fetching any key', async () => {
      const endpoint = jwksEndpoint(() => idp.jwks());
      const v = new OidcVerifier({
        issuers: [{ issuer: GITHUB, audience: 'jitvend' }],
        clock,
        fetch: endpoint.fetch,
      });
      const token = await idp.sign({ iss: 'https://x' });
      const error = await rejection(v.verify(`Bearer ${token}`));
      expect(error.message).toBe('issuer https://x is not trusted');
      expect(endpoint.calls).toEqual([]);
    });

    it('a token signed by another key with an unknown kid', async () => {
      const token = await otherIdp.sign({});
      const error = await rejection(verifier().verify(`Bearer ${token}`));
      expect(error.message).toBe(`no signing key of issuer ${ISSUER} matches the token`);
    });

    it('a token signed by another key under the trusted kid', async () => {
      const { privateKey } = await generateKeyPair('ES256');
      const kid = idp.jwks().keys[0]?.kid;
      const token = await new SignJWT({ sub: 'repo:evil/repo:ref:refs/heads/main' })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(ISSUER)
        .setAudience('jitvend')
        .setExpirationTime(NOW_S + 600)
        .sign(privateKey);
      const error = await rejection(verifier().verify(`Bearer ${token}`));
      expect(error.message).toBe('token signature is invalid');
    });

    it('a tampered payload', async () => {
      const token = await idp.sign({ repository: 'acme/orders' });
      const [header, payload, signature] = token.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, repository: 'acme/payments' })).toString(
        'base64url',
      );
      const error = await rejection(verifier().verify(`${header}.${forged}.${signature}`));
      expect(error.message).toBe('token signature is invalid');
    });

    it('alg none, before fetching any key', async () => {
      const endpoint = jwksEndpoint(() => idp.jwks());
      const v = new OidcVerifier({
        issuers: [{ issuer: ISSUER, audience: 'jitvend' }],
        clock,
        fetch: endpoint.fetch,
      });
      const token = new UnsecuredJWT({ sub: 'x' })
        .setIssuer(ISSUER)
        .setAudience('jitvend')
        .setExpirationTime(NOW_S + 600)
        .encode();
      const error = await rejection(v.verify(`Bearer ${token}`));
      expect(error.message).toBe('token algorithm none is not allowed');
      expect(endpoint.calls).toEqual([]);
    });

    it('HS256, even with the issuer public key material as the secret', async () => {
      const publicJwk = idp.jwks().keys[0];
      const secret = new TextEncoder().encode(JSON.stringify(publicJwk));
      const token = await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS256', kid: publicJwk?.kid })
        .setIssuer(ISSUER)
        .setAudience('jitvend')
        .setExpirationTime(NOW_S + 600)
        .sign(secret);
      const error = await rejection(verifier().verify(`Bearer ${token}`));
      expect(error.message).toBe('token algorithm HS256 is not allowed');
    });

    it.each([
      ['no header', undefined],
      ['an empty header', ''],
      ['a bearer with no token', 'Bearer '],
      ['another scheme', 'Basic YWxpY2U6c2VjcmV0'],
    ])('%s: missing bearer token', async (_, header) => {
      const error = await rejection(verifier().verify(header));
      expect(error.message).toBe('missing bearer token');
    });

    it('garbage', async () => {
      const error = await rejection(verifier().verify('Bearer not-a-jwt'));
      expect(error.message).toBe('malformed token: not a signed JWT');
    });
  });

  describe('remote JWKS', () => {
    it('fetches <issuer>/.well-known/jwks once and reuses it', async () => {
      const github = await LocalOidcIssuer.load(join(dir, 'gh'), GITHUB, { clock });
      const endpoint = jwksEndpoint(() => github.jwks());
      const v = new OidcVerifier({
        issuers: [{ issuer: GITHUB, audience: 'jitvend' }],
        clock,
        fetch: endpoint.fetch,
      });
      await v.verify(await github.sign({ run_id: '1' }));
      await v.verify(await github.sign({ run_id: '2' }));
      expect(endpoint.calls).toEqual([`${GITHUB}/.well-known/jwks`]);
    });

    it('uses a configured jwksUri', async () => {
      const endpoint = jwksEndpoint(() => idp.jwks());
      const v = new OidcVerifier({
        issuers: [{ issuer: ISSUER, audience: 'jitvend', jwksUri: 'https://keys.example.com/jwks' }],
        clock,
        fetch: endpoint.fetch,
      });
      await v.verify(await idp.sign({}));
      expect(endpoint.calls).toEqual(['https://keys.example.com/jwks']);
    });

    it('says so when the keys cannot be fetched', async () => {
      const v = new OidcVerifier({
        issuers: [{ issuer: ISSUER, audience: 'jitvend' }],
        clock,
        fetch: async () => {
          throw new TypeError('fetch failed');
        },
      });
      const error = await rejection(v.verify(await idp.sign({})));
      expect(error.message).toBe(`could not get the signing keys of issuer ${ISSUER}`);
    });
  });

  describe('person from email (issuers marked people only)', () => {
    const people = { alice: { email: 'alice@example.com' }, bob: { email: 'bob@example.com' } };
    const peopleIssuer = () =>
      verifier({
        people,
        issuers: [{ issuer: ISSUER, audience: 'jitvend', jwks: idp.jwks(), people: true }],
      });

    it('acts as the configured person whose email matches', async () => {
      const token = await idp.sign({ email: 'Alice@Example.com', email_verified: true });
      await expect(peopleIssuer().verify(token)).resolves.toMatchObject({ person: 'alice' });
    });

    it('also when email_verified is absent', async () => {
      const token = await idp.sign({ email: 'bob@example.com' });
      await expect(peopleIssuer().verify(token)).resolves.toMatchObject({ person: 'bob' });
    });

    it('never from an issuer not marked people, whatever its token claims', async () => {
      const token = await idp.sign({ email: 'alice@example.com', email_verified: true });
      const principal = await verifier({ people }).verify(token);
      expect(principal.person).toBeUndefined();
    });

    it('not when email_verified is false', async () => {
      const token = await idp.sign({ email: 'alice@example.com', email_verified: false });
      const principal = await peopleIssuer().verify(token);
      expect(principal.person).toBeUndefined();
    });

    it('not for an unknown email', async () => {
      const token = await idp.sign({ email: 'mallory@example.com' });
      const principal = await peopleIssuer().verify(token);
      expect(principal.person).toBeUndefined();
    });
  });
});

describe('principalSummary', () => {
  it('keeps the GitHub claims auditors care about, as strings', () => {
    expect(
      principalSummary({
        repository: 'acme/orders',
        ref: 'refs/heads/main',
        actor: 'alice',
        run_id: 123,
        workflow: 'ci',
        job_workflow_ref: 'acme/orders/.github/workflows/ci.yml@refs/heads/main',
        environment: 'it',
        sha: 'abc',
        aud: 'jitvend',
        nested: { a: 1 },
      }),
    ).toEqual({
      repository: 'acme/orders',
      ref: 'refs/heads/main',
      actor: 'alice',
      run_id: '123',
      workflow: 'ci',
      job_workflow_ref: 'acme/orders/.github/workflows/ci.yml@refs/heads/main',
      environment: 'it',
      sha: 'abc',
    });
  });

  it('keeps the GitLab ones', () => {
    expect(
      principalSummary({
        project_path: 'acme/orders',
        ref: 'main',
        user_login: 'bob',
        pipeline_id: '42',
        pipeline_source: 'push',
        project_id: '7',
      }),
    ).toEqual({
      project_path: 'acme/orders',
      ref: 'main',
      user_login: 'bob',
      pipeline_id: '42',
      pipeline_source: 'push',
    });
  });

  it('neutralizes control characters', () => {
    expect(principalSummary({ ref: 'refs/heads/x\nAPPROVED' })).toEqual({ ref: 'refs/heads/x?APPROVED' });
  });
});

describe('initiatorOf', () => {
  const people = { alice: { github: 'Alice' }, bob: { gitlab: 'bob.b' }, carol: {} };

  it.each([
    [{ actor: 'alice' }, 'alice'],
    [{ user_login: 'bob.b' }, 'bob'],
    [{ actor: 'mallory' }, undefined],
    [{ user_login: 'alice' }, undefined],
    [{}, undefined],
  ])('%o → %s', (claims, expected) => {
    expect(initiatorOf(claims, people)).toBe(expected);
  });
});
