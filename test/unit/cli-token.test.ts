import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../../cli/api-client.ts';
import { TokenError } from '../../cli/errors.ts';
import { describeTokenSource, jwtExpiry, resolveTokenSource, TokenProvider } from '../../cli/token.ts';

const jwt = (claims: Record<string, unknown>) =>
  `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;

describe('token source precedence', () => {
  const github = {
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://gh.example/idtoken?api-version=2.0',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'rt',
  };
  it.each([
    [
      '--token-file beats everything',
      { JITVEND_TOKEN: 't', JITVEND_TOKEN_FILE: '/e', ...github },
      '/flag',
      'flag-file',
    ],
    [
      'JITVEND_TOKEN beats a token file and GitHub',
      { JITVEND_TOKEN: 't', JITVEND_TOKEN_FILE: '/e', ...github },
      undefined,
      'env',
    ],
    ['JITVEND_TOKEN_FILE beats GitHub', { JITVEND_TOKEN_FILE: '/e', ...github }, undefined, 'env-file'],
    ['GitHub Actions OIDC last', github, undefined, 'github-actions'],
  ])('%s', (_, env, flag, kind) => {
    expect(resolveTokenSource(env, flag).kind).toBe(kind);
  });

  it('uses audience jitvend unless JITVEND_AUDIENCE says otherwise', () => {
    expect(resolveTokenSource(github)).toMatchObject({ audience: 'jitvend' });
    expect(resolveTokenSource({ ...github, JITVEND_AUDIENCE: 'sts.example' })).toMatchObject({
      audience: 'sts.example',
    });
  });

  it('without any source, says what to set (and about id-token: write in GitHub Actions)', () => {
    expect(() => resolveTokenSource({})).toThrow(TokenError);
    expect(() => resolveTokenSource({ GITHUB_ACTIONS: 'true' })).toThrow(/permissions: id-token: write/);
    expect(() => resolveTokenSource({ ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x' })).toThrow(/no token/);
  });

  it('names sources without their secret', () => {
    const source = resolveTokenSource({ JITVEND_TOKEN: 'super-secret' });
    expect(describeTokenSource(source)).toBe('JITVEND_TOKEN');
    expect(JSON.stringify(describeTokenSource(resolveTokenSource(github)))).not.toContain('rt');
  });
});

describe('TokenProvider', () => {
  let dir: string;
  let server: Server;
  let oidcUrl: string;
  const oidcCalls: IncomingMessage[] = [];
  let nextToken = jwt({ sub: 'repo:acme/orders', exp: 0 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jitvend-token-test-'));
    // a test fake of the GitHub Actions OIDC token endpoint
    server = createServer((req, res) => {
      oidcCalls.push(req);
      if (req.headers.authorization !== 'Bearer request-token') return void res.writeHead(403).end('{}');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: nextToken }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    oidcUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/idtoken?api-version=2.0`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const io = (now = Date.now()) => ({ fetch: globalThis.fetch, now: () => now });

  it('reads a token file, trimmed, and reads it again after invalidate()', async () => {
    const path = join(dir, 'token');
    await writeFile(path, ' first-token \n');
    const tokens = new TokenProvider(resolveTokenSource({}, path), io());
    expect(await tokens.token()).toBe('first-token');
    await writeFile(path, 'rotated-token\n');
    expect(await tokens.token()).toBe('first-token');
    expect(tokens.invalidate()).toBe(true);
    expect(await tokens.token()).toBe('rotated-token');
  });

  it('cannot renew JITVEND_TOKEN', () => {
    expect(new TokenProvider(resolveTokenSource({ JITVEND_TOKEN: 'x' }), io()).invalidate()).toBe(false);
  });

  it.each([
    ['', /is empty/],
    ['two\nlines', /not a single-line token/],
  ])('rejects a token file holding %j, without quoting it', async (content, message) => {
    const path = join(dir, 'bad-token');
    await writeFile(path, content);
    const error = await new TokenProvider(resolveTokenSource({}, path), io()).token().catch((e: Error) => e);
    expect(error).toBeInstanceOf(TokenError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('lines');
  });

  it('says which token file it could not read', async () => {
    const path = join(dir, 'missing');
    await expect(new TokenProvider(resolveTokenSource({}, path), io()).token()).rejects.toThrow(
      `cannot read token file ${path} (--token-file): ENOENT`,
    );
  });

  it('asks GitHub Actions for a token with the audience, and again when it is about to expire', async () => {
    let now = Date.now();
    oidcCalls.length = 0;
    const env = { ACTIONS_ID_TOKEN_REQUEST_URL: oidcUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token' };
    const tokens = new TokenProvider(resolveTokenSource(env), { fetch: globalThis.fetch, now: () => now });

    nextToken = jwt({ sub: 'repo:acme/orders', exp: Math.floor(now / 1000) + 300 });
    const first = await tokens.token();
    expect(first).toBe(nextToken);
    expect(await tokens.token()).toBe(first);
    expect(oidcCalls).toHaveLength(1);
    const url = new URL(oidcCalls[0]?.url ?? '', 'http://x');
    expect(url.searchParams.get('audience')).toBe('jitvend');
    expect(url.searchParams.get('api-version')).toBe('2.0');

    // within a minute of its expiry, the token is fetched again
    now += 250_000;
    nextToken = jwt({ sub: 'repo:acme/orders', exp: Math.floor(now / 1000) + 300 });
    expect(await tokens.token()).toBe(nextToken);
    expect(oidcCalls).toHaveLength(2);
  });

  it('after a 401, the API client renews a renewable token once and retries', async () => {
    const path = join(dir, 'rotating-token');
    await writeFile(path, 'stale-token');
    const seen: string[] = [];
    const fakeApiFetch: typeof fetch = async (_input, init) => {
      const auth = new Headers(init?.headers).get('authorization') ?? '';
      seen.push(auth);
      if (auth === 'Bearer stale-token') {
        await writeFile(path, 'fresh-token'); // the runner rotated the file meanwhile
        return Response.json({ title: 'Unauthorized', status: 401 }, { status: 401 });
      }
      return Response.json({ id: 'req-1', status: 'pending_approval' });
    };
    const client = new ApiClient({
      baseUrl: 'http://127.0.0.1:8787',
      tokens: new TokenProvider(resolveTokenSource({}, path), io()),
      io: { fetch: fakeApiFetch, sleep: async () => {} },
      userAgent: 'test',
    });
    expect(await client.getRequest('req-1')).toMatchObject({ id: 'req-1' });
    expect(seen).toEqual(['Bearer stale-token', 'Bearer fresh-token']);
  });

  it('reports a refused GitHub token request by status, without the request token', async () => {
    const env = {
      ACTIONS_ID_TOKEN_REQUEST_URL: oidcUrl,
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong-request-token',
    };
    const error = await new TokenProvider(resolveTokenSource(env), io()).token().catch((e: Error) => e);
    expect((error as Error).message).toBe('the GitHub Actions OIDC endpoint answered HTTP 403');
  });

  it('reads the expiry of a JWT, if it has one', () => {
    expect(jwtExpiry(jwt({ exp: 1234 }))).toBe(1234);
    expect(jwtExpiry(jwt({}))).toBeUndefined();
    expect(jwtExpiry('not-a-jwt')).toBeUndefined();
  });
});
