/**
 * `jitvend renew` and the credential_process flow that renews (SPEC.md "CLI"), against a test
 * fake of jitvend's own HTTP API (in-test HTTP server on 127.0.0.1) on a fake clock shared by
 * the CLI and the fake: requests with a 2-hour window and 1-hour sessions, renewals capped at
 * the window's end, scripted refusals.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Credentials } from '../../cli/api-types.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvb3JkZXJzIn0.c2lnbmF0dXJlLXNlY3JldA';
const MIN = 60_000;
const T0 = Date.parse('2026-11-30T01:00:00Z');

type Reply = { status: number; body: unknown; headers?: Record<string, string> };
const problem = (status: number, title: string, detail: string, headers?: Record<string, string>) => ({
  status,
  body: { type: `https://jitvend.dev/problems/${status}`, title, status, detail },
  ...(headers ? { headers } : {}),
});

interface FakeRequest {
  id: string;
  issuedAt: number;
  windowEndsAt: number;
  sessions: number;
}

/** A test fake of jitvend's API: every request is issued at once, with a window. */
class FakeJitvendApi {
  url = '';
  /** the clock the fake and the CLI share (real time unless a test sets it) */
  now: () => number = () => Date.now();
  windowSeconds = 7200;
  sessionSeconds = 3600;
  /** answers for POST /requests/{id}/renew before the normal 200 */
  renewReplies: Reply[] = [];
  /** how long POST /requests takes (to make callers race) */
  createDelayMs = 0;
  readonly calls: { method: string; path: string; body: unknown }[] = [];
  readonly requests = new Map<string, FakeRequest>();
  private server?: Server;

  async start(): Promise<void> {
    this.server = createServer(
      (req, res) =>
        void this.handle(req).then((reply) =>
          res
            .writeHead(reply.status, {
              'content-type': reply.status >= 400 ? 'application/problem+json' : 'application/json',
              ...reply.headers,
            })
            .end(JSON.stringify(reply.body)),
        ),
    );
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  reset(): void {
    this.calls.length = 0;
    this.requests.clear();
    this.renewReplies = [];
    this.createDelayMs = 0;
    this.sessionSeconds = 3600;
    this.now = () => Date.now();
  }

  count(method: string, suffix: string): number {
    return this.calls.filter((c) => c.method === method && c.path.endsWith(suffix)).length;
  }

  private session(request: FakeRequest): Credentials {
    request.sessions++;
    const expiresAt = Math.min(this.now() + this.sessionSeconds * 1000, request.windowEndsAt);
    return {
      accessKeyId: `ASIA${request.id.toUpperCase().replace('-', '')}S${request.sessions}`,
      secretAccessKey: `secret-${request.id}-${request.sessions}`,
      sessionToken: `token-${request.id}-${request.sessions}`,
      expiration: new Date(expiresAt).toISOString(),
    };
  }

  private view(request: FakeRequest) {
    return {
      id: request.id,
      profile: 'orders-it',
      requester: 'repo:acme/orders:ref:refs/heads/main',
      status: 'issued',
      permissions: [],
      sessionPolicy: {},
      durationSeconds: this.sessionSeconds,
      windowSeconds: this.windowSeconds,
      reason: 'integration tests',
      approvals: [],
      createdAt: new Date(request.issuedAt).toISOString(),
      expiresAt: new Date(request.issuedAt + this.sessionSeconds * 1000).toISOString(),
      windowEndsAt: new Date(request.windowEndsAt).toISOString(),
    };
  }

  private async handle(req: IncomingMessage): Promise<Reply> {
    const path = new URL(req.url ?? '/', this.url).pathname;
    let text = '';
    for await (const chunk of req) text += chunk;
    this.calls.push({ method: req.method ?? '', path, body: text ? JSON.parse(text) : undefined });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return problem(401, 'Unauthorized', 'bad token');
    if (req.method === 'POST' && path === '/requests') {
      await new Promise((resolve) => setTimeout(resolve, this.createDelayMs));
      const id = `req-${this.requests.size + 1}`;
      const request = {
        id,
        issuedAt: this.now(),
        windowEndsAt: this.now() + this.windowSeconds * 1000,
        sessions: 0,
      };
      this.requests.set(id, request);
      return { status: 201, body: this.view(request) };
    }
    const match = /^\/requests\/([^/]+)(?:\/(credentials|renew))?$/.exec(path);
    const request = match ? this.requests.get(match[1] ?? '') : undefined;
    if (!match || !request) return problem(404, 'Not Found', `no ${path}`);
    if (req.method === 'GET' && !match[2]) return { status: 200, body: this.view(request) };
    if (req.method === 'POST' && match[2] === 'credentials') {
      if (request.sessions > 0) return problem(410, 'Gone', 'credentials already delivered');
      return { status: 200, body: this.session(request) };
    }
    if (req.method === 'POST' && match[2] === 'renew')
      return this.renewReplies.shift() ?? { status: 200, body: this.session(request) };
    return problem(404, 'Not Found', `no ${req.method} ${path}`);
  }
}

const api = new FakeJitvendApi();
let home: string;
let clock: number;

beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(async () => {
  api.reset();
  clock = T0;
  api.now = () => clock;
  home = await mkdtemp(join(tmpdir(), 'jitvend-cp-test-'));
});
afterEach(() => rm(home, { recursive: true, force: true }));

/** `jitvend <argv>` in-process against the fake, on the fake clock. */
async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { JITVEND_API: api.url, JITVEND_TOKEN: TOKEN, XDG_CACHE_HOME: home },
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    fetch: globalThis.fetch,
    now: () => clock,
    sleep: async () => {},
    homeDir: home,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const CREDENTIAL_PROCESS = [
  'request',
  '--profile',
  'orders-it',
  '--duration',
  '1h',
  '--window',
  '2h',
  '--reason',
  'integration tests',
  '--format',
  'credential-process',
];

/** The AWS credential_process document the CLI printed (stdout holds nothing else). */
function handedOut(stdout: string): { AccessKeyId: string; Expiration: string } {
  const lines = stdout.split('\n').filter(Boolean);
  expect(lines).toHaveLength(1);
  const document = JSON.parse(lines[0] ?? '') as { Version: number; AccessKeyId: string; Expiration: string };
  expect(document.Version).toBe(1);
  return document;
}

describe('credential_process that renews (fake clock)', () => {
  it('requests once, hands out the cache while more than 10 minutes remain, renews inside the window, requests again after it', async () => {
    const first = await run(CREDENTIAL_PROCESS);
    expect(first.code).toBe(0);
    expect(handedOut(first.stdout)).toMatchObject({ AccessKeyId: 'ASIAREQ1S1' });
    expect(api.calls.find((c) => c.path === '/requests')?.body).toMatchObject({
      durationSeconds: 3600,
      windowSeconds: 7200,
    });

    clock = T0 + 49 * MIN; // 11 minutes left: a hit, no API call at all
    const callsBefore = api.calls.length;
    const hit = await run(CREDENTIAL_PROCESS);
    expect(handedOut(hit.stdout).AccessKeyId).toBe('ASIAREQ1S1');
    expect(hit.stderr).toBe('');
    expect(api.calls.length).toBe(callsBefore);

    clock = T0 + 51 * MIN; // 9 minutes left, window open: one renewal of the same request
    const renewed = await run(CREDENTIAL_PROCESS);
    expect(handedOut(renewed.stdout)).toEqual(
      expect.objectContaining({
        AccessKeyId: 'ASIAREQ1S2',
        Expiration: new Date(T0 + 111 * MIN).toISOString(),
      }),
    );
    expect(api.count('POST', '/req-1/renew')).toBe(1);
    expect(api.count('POST', '/requests')).toBe(1);

    clock = T0 + 60 * MIN; // the renewed session is cached
    expect(handedOut((await run(CREDENTIAL_PROCESS)).stdout).AccessKeyId).toBe('ASIAREQ1S2');
    expect(api.count('POST', '/req-1/renew')).toBe(1);

    clock = T0 + 102 * MIN; // 9 minutes left, 18 of the window: renewed up to the window's end
    const last = handedOut((await run(CREDENTIAL_PROCESS)).stdout);
    expect(last).toMatchObject({
      AccessKeyId: 'ASIAREQ1S3',
      Expiration: new Date(T0 + 120 * MIN).toISOString(),
    });

    clock = T0 + 111 * MIN; // 9 minutes left of a window too short to renew in: a new request
    const again = await run(CREDENTIAL_PROCESS);
    expect(handedOut(again.stdout).AccessKeyId).toBe('ASIAREQ2S1');
    expect(api.count('POST', '/requests')).toBe(2);
    expect(api.count('POST', '/req-1/renew')).toBe(2);
  });

  it('a 410 on renewal (released, revoked, window over): a new request', async () => {
    await run(CREDENTIAL_PROCESS);
    clock = T0 + 55 * MIN;
    api.renewReplies = [problem(410, 'Gone', 'request req-1 was released: it cannot be renewed')];
    const result = await run(CREDENTIAL_PROCESS);
    expect(result.code).toBe(0);
    expect(handedOut(result.stdout).AccessKeyId).toBe('ASIAREQ2S1');
    expect(result.stderr).toContain(
      'request req-1 cannot be renewed (HTTP 410 Gone: request req-1 was released',
    );
    expect(api.count('POST', '/requests')).toBe(2);
  });

  it('a 429 on renewal while the cached session still serves: the cached session, no new request', async () => {
    await run(CREDENTIAL_PROCESS);
    clock = T0 + 52 * MIN;
    api.renewReplies = [problem(429, 'Too Many Requests', 'at most once a minute', { 'retry-after': '30' })];
    const result = await run(CREDENTIAL_PROCESS);
    expect(result.code).toBe(0);
    expect(handedOut(result.stdout).AccessKeyId).toBe('ASIAREQ1S1');
    expect(result.stderr).toBe(
      'jitvend: request req-1 was renewed less than a minute ago (HTTP 429): the cached session is handed out\n',
    );
    expect(api.count('POST', '/requests')).toBe(1);
  });

  it('--refresh-before changes when the cache stops handing a session out', async () => {
    await run(CREDENTIAL_PROCESS);
    clock = T0 + 31 * MIN; // 29 minutes left
    expect(handedOut((await run(CREDENTIAL_PROCESS)).stdout).AccessKeyId).toBe('ASIAREQ1S1');
    const early = await run([...CREDENTIAL_PROCESS, '--refresh-before', '30m']);
    expect(handedOut(early.stdout).AccessKeyId).toBe('ASIAREQ1S2');
    clock = T0 + 55 * MIN; // 5 minutes left, and the default would have renewed
    const late = await run([...CREDENTIAL_PROCESS, '--refresh-before', '4m']);
    expect(handedOut(late.stdout).AccessKeyId).toBe('ASIAREQ1S2');
  });

  it('keeps the request id and window end in a 0600 file, never the OIDC token; errors on stderr only', async () => {
    await run(CREDENTIAL_PROCESS);
    const dir = join(home, 'jitvend');
    const files = (await readdir(dir)).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(1);
    const path = join(dir, files[0] ?? '');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const text = await readFile(path, 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      requestId: 'req-1',
      windowEndsAt: new Date(T0 + 120 * MIN).toISOString(),
    });
    expect(text).not.toContain(TOKEN);

    clock = T0 + 55 * MIN;
    api.renewReplies = [problem(403, 'Forbidden', 'not the requester')];
    const refused = await run(CREDENTIAL_PROCESS);
    expect(refused.code).toBe(3);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('HTTP 403 Forbidden: not the requester');
  });

  it('concurrent callers on a spent session share one renewal', async () => {
    await run(CREDENTIAL_PROCESS);
    clock = T0 + 55 * MIN;
    const results = await Promise.all([1, 2, 3, 4].map(() => run(CREDENTIAL_PROCESS)));
    expect(results.map((r) => handedOut(r.stdout).AccessKeyId)).toEqual(Array(4).fill('ASIAREQ1S2'));
    expect(api.count('POST', '/req-1/renew')).toBe(1);
    expect(api.count('POST', '/requests')).toBe(1);
  });

  it('concurrent callers on a miss share one request', async () => {
    api.createDelayMs = 100;
    const results = await Promise.all([1, 2, 3].map(() => run(CREDENTIAL_PROCESS)));
    expect(results.map((r) => handedOut(r.stdout).AccessKeyId)).toEqual(Array(3).fill('ASIAREQ1S1'));
    expect(api.count('POST', '/requests')).toBe(1);
  });
});

describe('two processes racing on a miss (the built bundle, real clock)', () => {
  const root = join(import.meta.dirname, '..', '..');
  const bundle = join(root, 'dist', 'cli', 'jitvend.cjs');

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root });
  });

  it('one request between them, then one renewal between them', async () => {
    api.now = () => Date.now();
    api.createDelayMs = 300;
    api.sessionSeconds = 900;
    const env = { PATH: process.env.PATH, JITVEND_API: api.url, JITVEND_TOKEN: TOKEN, XDG_CACHE_HOME: home };
    const both = (argv: string[]) =>
      Promise.all([1, 2].map(() => promisify(execFile)(process.execPath, [bundle, ...argv], { env })));
    const first = await both(CREDENTIAL_PROCESS);
    expect(first.map((r) => handedOut(r.stdout).AccessKeyId)).toEqual(['ASIAREQ1S1', 'ASIAREQ1S1']);
    expect(api.count('POST', '/requests')).toBe(1);

    // a 15-minute session counts as spent when 30 minutes must remain: renewed (for an hour) once
    api.sessionSeconds = 3600;
    const renewed = await both([...CREDENTIAL_PROCESS, '--refresh-before', '30m']);
    expect(renewed.map((r) => handedOut(r.stdout).AccessKeyId)).toEqual(['ASIAREQ1S2', 'ASIAREQ1S2']);
    expect(api.count('POST', '/req-1/renew')).toBe(1);
    expect(api.count('POST', '/requests')).toBe(1);
  });
});

describe('jitvend renew', () => {
  it('prints the new session like request does', async () => {
    await run(CREDENTIAL_PROCESS);
    clock = T0 + 5 * MIN;
    const env = await run(['renew', 'req-1']);
    expect(env.code).toBe(0);
    expect(env.stdout).toContain("export AWS_ACCESS_KEY_ID='ASIAREQ1S2'");
    expect(env.stdout).toContain("export JITVEND_REQUEST_ID='req-1'");
    expect(env.stderr).toContain('request req-1 renewed: new session valid until');
    const json = JSON.parse((await run(['renew', 'req-1', '--format', 'json'])).stdout);
    expect(json).toMatchObject({ accessKeyId: 'ASIAREQ1S3' });
    expect(
      handedOut((await run(['renew', 'req-1', '--format', 'credential-process'])).stdout).AccessKeyId,
    ).toBe('ASIAREQ1S4');
  });

  it.each([
    [
      '410',
      problem(410, 'Gone', 'the window of request req-1 ended at 2026-11-30T03:00:00Z'),
      15,
      /^jitvend: request req-1 cannot be renewed any more \(HTTP 410: the window .*\): its approval window is over, or it was released or revoked; make a new request\n$/,
    ],
    [
      '409',
      problem(409, 'Conflict', 'request req-1 has not delivered its first credentials yet'),
      3,
      /^jitvend: request req-1 cannot be renewed yet \(HTTP 409: .*\): its first credentials must be delivered first \(jitvend request --wait\)\n$/,
    ],
    [
      '429',
      problem(429, 'Too Many Requests', 'at most once a minute', { 'retry-after': '42' }),
      3,
      /^jitvend: request req-1 was delivered or renewed less than a minute ago \(HTTP 429\): renew again at 2026-11-30T01:00:42Z \(in 42s\)\n$/,
    ],
  ])('a %s says why and what to do, on stderr only', async (_, reply, code, message) => {
    await run(CREDENTIAL_PROCESS);
    api.renewReplies = [reply];
    const result = await run(['renew', 'req-1']);
    expect(result).toEqual({ code, stdout: '', stderr: expect.stringMatching(message) });
  });
});
