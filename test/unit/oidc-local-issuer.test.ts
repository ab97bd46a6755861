import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_OIDC_KEY_FILE, LocalOidcIssuer } from '../../local/oidc-issuer.ts';
import { OidcVerifier } from '../../shared/adapters/oidc/verifier.ts';
import type { Clock } from '../../shared/domain/ports.ts';

const ISSUER = 'http://127.0.0.1:8787/.local/oidc';
const NOW = new Date('2026-03-01T12:00:00Z');
const NOW_S = NOW.getTime() / 1000;
const clock: Clock = { now: () => NOW };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jitvend-idp-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('LocalOidcIssuer', () => {
  it('fills in the claims left out', async () => {
    const idp = await LocalOidcIssuer.load(dir, ISSUER, { clock });
    const token = await idp.sign({ repository: 'acme/orders', ref: 'refs/heads/feature' });
    expect(decodeJwt(token)).toEqual({
      iss: ISSUER,
      aud: 'jitvend',
      iat: NOW_S,
      exp: NOW_S + 3600,
      sub: 'repo:acme/orders:ref:refs/heads/feature',
      repository: 'acme/orders',
      ref: 'refs/heads/feature',
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', typ: 'JWT', kid: idp.jwks().keys[0]?.kid });
  });

  it.each([
    [{}, 'repo:local/demo:ref:refs/heads/main'],
    [{ repository: 'acme/orders', environment: 'prod' }, 'repo:acme/orders:environment:prod'],
    [{ repository: 'acme/orders', event_name: 'pull_request' }, 'repo:acme/orders:pull_request'],
  ])('derives the default sub from %o', async (claims, sub) => {
    const idp = await LocalOidcIssuer.load(dir, ISSUER, { clock });
    expect(decodeJwt(await idp.sign(claims)).sub).toBe(sub);
  });

  it('signs exactly the claims it is given, bad ones included', async () => {
    const idp = await LocalOidcIssuer.load(dir, ISSUER, { clock });
    const claims = {
      iss: 'https://elsewhere.example',
      aud: ['a', 'b'],
      exp: 1,
      nbf: 2,
      iat: 3,
      sub: 'custom',
      email: 'alice@example.com',
    };
    expect(decodeJwt(await idp.sign(claims))).toEqual(claims);
  });

  it('leaves out a claim given as undefined', async () => {
    const idp = await LocalOidcIssuer.load(dir, ISSUER, { clock });
    const payload = decodeJwt(await idp.sign({ exp: undefined }));
    expect(payload).not.toHaveProperty('exp');
    expect(payload).toHaveProperty('iat', NOW_S);
  });

  it('publishes only the public key', async () => {
    const idp = await LocalOidcIssuer.load(dir, ISSUER);
    const [key, ...others] = idp.jwks().keys;
    expect(others).toEqual([]);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key).not.toHaveProperty('d');
  });

  it('keeps its key across a restart, in a 0600 file', async () => {
    const first = await LocalOidcIssuer.load(dir, ISSUER, { clock });
    const token = await first.sign({});
    const second = await LocalOidcIssuer.load(dir, ISSUER, { clock });
    expect(second.jwks()).toEqual(first.jwks());
    const verifier = new OidcVerifier({ issuers: [second.trustedIssuer()], clock });
    await expect(verifier.verify(`Bearer ${token}`)).resolves.toMatchObject({ issuer: ISSUER });
    const path = join(dir, LOCAL_OIDC_KEY_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toHaveProperty('d');
  });

  it('makes a different key in another data dir', async () => {
    const a = await LocalOidcIssuer.load(join(dir, 'a'), ISSUER);
    const b = await LocalOidcIssuer.load(join(dir, 'b'), ISSUER);
    expect(a.jwks().keys[0]?.x).not.toBe(b.jwks().keys[0]?.x);
  });
});
