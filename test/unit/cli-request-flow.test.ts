/**
 * The CLI against FakeJitvendApi: an in-test HTTP server on 127.0.0.1 that plays jitvend's
 * own HTTP API contract (SPEC.md "HTTP API") with scripted request timelines. It is a test
 * fake of our API, not of any third party.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Credentials, RequestStatus, RequestView } from '../../cli/api-types.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import { chainAuditEvent, GENESIS_HASH } from '../../shared/domain/audit.ts';
import type { AuditEvent } from '../../shared/domain/types.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvb3JkZXJzIn0.c2lnbmF0dXJlLXNlY3JldA';
const CREDENTIALS: Credentials = {
  accessKeyId: 'ASIALOCALEXAMPLE',
  secretAccessKey: "s3cr3t/with'quote$and space",
  sessionToken: 'FwoGZXIvYXdzEBY-session-token',
  expiration: new Date(Date.now() + 15 * 60_000).toISOString(),
};
const problem = (status: number, title: string, detail: string) => ({
  status,
  body: { type: `https://jitvend.dev/problems/${status}`, title, status, detail },
});

interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
}
type Reply = { status: number; body: unknown };

/** A test fake of jitvend's own HTTP API. Each long-poll GET moves the request one step along its timeline. */
class FakeJitvendApi {
  readonly calls: RecordedCall[] = [];
  /** the views the request goes through, one per long-poll GET */
  timeline: Partial<RequestView>[] = [{ status: 'pending_approval' }];
  /** answers for POST /requests/{id}/credentials, in order; then 410 */
  credentialReplies: Reply[] = [{ status: 200, body: CREDENTIALS }];
  /** answers for POST /requests before the normal 201 (to inject failures) */
  createFailures: Reply[] = [];
  /** GET /requests/{id}/audit */
  auditEvents: AuditEvent[] = [];
  private step = 0;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  reset(): void {
    this.calls.length = 0;
    this.timeline = [{ status: 'pending_approval' }];
    this.credentialReplies = [{ status: 200, body: CREDENTIALS }];
    this.createFailures = [];
    this.auditEvents = [];
    this.step = 0;
  }

  callsTo(method: string, path: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  view(): RequestView {
    const now = Date.now();
    return {
      id: 'req-01',
      profile: 'orders-it',
      requester: 'repo:acme/orders:ref:refs/heads/main',
      status: 'pending_approval',
      permissions: [
        {
          actions: ['dynamodb:Query'],
          resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1'],
        },
      ],
      sessionPolicy: { Version: '2012-10-17', Statement: [] },
      durationSeconds: 900,
      reason: 'integration tests',
      approvals: [],
      approval: { route: 'human', approvers: ['alice', 'bob'], minApprovals: 2 },
      createdAt: new Date(now).toISOString(),
      updatedAt: new Date(now).toISOString(),
      approvalDeadline: new Date(now + 30 * 60_000 + 30_000).toISOString(),
      ...this.timeline[Math.min(this.step, this.timeline.length - 1)],
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? JSON.parse(text) : undefined;
    this.calls.push({
      method: req.method ?? '',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    });
    const reply = await this.route(req, url, body);
    const type = reply.status >= 400 ? 'application/problem+json' : 'application/json';
    res.writeHead(reply.status, { 'content-type': type }).end(JSON.stringify(reply.body));
  }

  private async route(req: IncomingMessage, url: URL, body: unknown): Promise<Reply> {
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return problem(401, 'Unauthorized', 'missing or bad token');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'POST /requests') return this.createFailures.shift() ?? { status: 201, body: this.view() };
    if (route === 'POST /requests/preview')
      return {
        status: 200,
        body: {
          sessionPolicy: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['*'] }],
          },
          durationSeconds: (body as { durationSeconds?: number }).durationSeconds ?? 900,
          approval: { route: 'auto', rule: 0 },
        },
      };
    if (route === 'GET /requests/req-01') {
      if (url.searchParams.has('waitSeconds')) {
        await new Promise((resolve) => setTimeout(resolve, 5)); // "held" until the next step
        this.step++;
      }
      return { status: 200, body: this.view() };
    }
    if (route === 'GET /requests/req-01/audit') return { status: 200, body: { items: this.auditEvents } };
    if (route === 'POST /requests/req-01/credentials')
      return this.credentialReplies.shift() ?? problem(410, 'Gone', 'credentials already delivered');
    if (route === 'POST /requests/req-01/cancel') {
      const { status } = this.view();
      if (status !== 'pending_approval' && status !== 'approved')
        return problem(409, 'Conflict', `request req-01 is ${status} and can no longer be cancelled`);
      this.timeline = [{ status: 'cancelled', statusReason: 'cancelled by the requester' }];
      this.step = 0;
      return { status: 200, body: this.view() };
    }
    return problem(404, 'Not Found', `no route ${route}`);
  }
}

const api = new FakeJitvendApi();
let cacheHome: string;

beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(async () => {
  api.reset();
  cacheHome = await mkdtemp(join(tmpdir(), 'jitvend-cli-cache-'));
});
afterEach(() => rm(cacheHome, { recursive: true, force: true }));

interface RunOptions {
  env?: Record<string, string | undefined>;
  isTTY?: boolean;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  now?: () => number;
}

/** Runs `jitvend <argv>` in-process against the fake API; returns exit code and output. */
async function run(argv: string[], options: RunOptions = {}) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { JITVEND_API: api.url, JITVEND_TOKEN: TOKEN, XDG_CACHE_HOME: cacheHome, ...options.env },
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk), isTTY: options.isTTY },
    fetch: options.fetch ?? globalThis.fetch,
    now: options.now ?? (() => Date.now()),
    sleep: async () => {},
    homeDir: cacheHome,
    signal: options.signal,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

const REQUEST = [
  'request',
  '--profile',
  'orders-it',
  '--allow',
  'dynamodb:Query,dynamodb:GetItem=arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1',
  '--duration',
  '15m',
  '--reason',
  'integration tests',
];
const approvedBy = (...people: string[]) =>
  people.map((person) => ({
    person,
    decision: 'approve' as const,
    channel: 'slack',
    at: new Date().toISOString(),
  }));

describe('jitvend request --wait', () => {
  it('waits through approval with long polls, then prints the credentials as shell exports', async () => {
    api.timeline = [
      { status: 'pending_approval' },
      { status: 'pending_approval', approvals: approvedBy('alice') },
      { status: 'approved', approvals: approvedBy('alice', 'bob') },
      { status: 'issued', approvals: approvedBy('alice', 'bob') },
    ];
    const { code, stdout, stderr } = await run([...REQUEST, '--wait', '--context', 'run=42']);

    expect(code).toBe(0);
    expect(stdout).toContain(`export AWS_ACCESS_KEY_ID='ASIALOCALEXAMPLE'`);
    expect(stdout).toContain(`export AWS_SECRET_ACCESS_KEY='s3cr3t/with'\\''quote$and space'`);
    expect(stdout).toContain(`export AWS_SESSION_TOKEN='FwoGZXIvYXdzEBY-session-token'`);
    expect(stdout).toContain(`export AWS_CREDENTIAL_EXPIRATION='${CREDENTIALS.expiration}'`);
    expect(stderr).toContain('jitvend: request req-01 created (profile orders-it)');
    expect(stderr).toContain('jitvend: req-01: waiting for 2 of 2 approvals from alice, bob · 30m left\n');
    expect(stderr).toContain('jitvend: req-01: waiting for 1 of 2 approvals from alice, bob · 30m left\n');
    expect(stderr).toContain('jitvend: req-01: approved · issuing credentials\n');
    expect(stderr).not.toContain('\r');

    const [create] = api.callsTo('POST', '/requests');
    expect(create?.body).toEqual({
      profile: 'orders-it',
      permissions: [
        {
          actions: ['dynamodb:Query', 'dynamodb:GetItem'],
          resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1'],
        },
      ],
      durationSeconds: 900,
      reason: 'integration tests',
      context: { run: '42' },
    });
    expect(create?.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    const polls = api.callsTo('GET', '/requests/req-01');
    expect(polls).toHaveLength(3);
    expect(polls.every((call) => call.query.get('waitSeconds') === '20')).toBe(true);
    expect(api.callsTo('POST', '/requests/req-01/credentials')).toHaveLength(1);
  });

  it('prints a status line only when the state changes in a log, and rewrites one line on a terminal', async () => {
    api.timeline = [{ status: 'pending_approval' }, { status: 'pending_approval' }, { status: 'issued' }];
    const log = await run([...REQUEST, '--wait']);
    expect(log.stderr.match(/waiting for 2 of 2 approvals/g)).toHaveLength(1);

    api.reset();
    api.timeline = [{ status: 'pending_approval' }, { status: 'issued' }];
    const tty = await run([...REQUEST, '--wait'], { isTTY: true });
    expect(tty.code).toBe(0);
    expect(tty.stderr).toContain('\r\x1b[2Kjitvend: req-01: waiting for 2 of 2 approvals from alice, bob');
    expect(tty.stderr).toContain('\r\x1b[2Kjitvend: req-01: issued\n');
  });

  it('prints the credentials as JSON or as credential_process output', async () => {
    api.timeline = [{ status: 'issued' }];
    const json = await run([...REQUEST, '--wait', '--format', 'json']);
    expect(JSON.parse(json.stdout)).toEqual(CREDENTIALS);

    api.reset();
    api.timeline = [{ status: 'issued' }];
    const process = await run([...REQUEST, '--format', 'credential-process']);
    expect(JSON.parse(process.stdout)).toEqual({
      Version: 1,
      AccessKeyId: CREDENTIALS.accessKeyId,
      SecretAccessKey: CREDENTIALS.secretAccessKey,
      SessionToken: CREDENTIALS.sessionToken,
      Expiration: CREDENTIALS.expiration,
    });
  });

  it.each([
    ['denied', 10, 'denied by alice: not during the freeze'],
    ['timed_out', 11, 'no decision within 30m'],
    ['cancelled', 12, 'cancelled by the requester'],
    ['failed', 13, 'AssumeRole failed'],
    ['revoked', 14, 'revoked by bob'],
    ['expired', 15, 'session expired'],
  ] as [RequestStatus, number, string][])(
    'exits %s with code %i and says why',
    async (status, exitCode, reason) => {
      api.timeline = [{ status: 'pending_approval' }, { status, statusReason: reason }];
      const { code, stdout, stderr } = await run([...REQUEST, '--wait']);
      expect(code).toBe(exitCode);
      expect(stdout).toBe('');
      expect(stderr).toContain(`jitvend: request req-01 ${status}: ${reason}\n`);
      expect(api.callsTo('POST', '/requests/req-01/credentials')).toHaveLength(0);
    },
  );

  it.each([
    [410, 'Gone', 'credentials of req-01 were already delivered'],
    [403, 'Forbidden', 'only the requester can fetch the credentials'],
    [409, 'Conflict', 'request req-01 is approved, not issued'],
  ])('shows a %i problem from the credentials call and exits 3', async (status, title, detail) => {
    api.timeline = [{ status: 'issued' }];
    // a 409 right after "issued" is retried a few times before it is reported
    api.credentialReplies = Array.from({ length: 4 }, () => problem(status, title, detail));
    const { code, stdout, stderr } = await run([...REQUEST, '--wait']);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toContain(`jitvend: HTTP ${status} ${title}: ${detail}\n`);
    expect(stderr).not.toContain(TOKEN);
  });

  it('stops waiting after --wait-timeout with exit 6, leaving the request', async () => {
    api.timeline = [{ status: 'pending_approval' }];
    let now = Date.now();
    // the clock moves a minute on each call to the API
    const fetchAndTick: typeof fetch = async (input, init) => {
      now += 60_000;
      return globalThis.fetch(input, init);
    };
    const { code, stderr } = await run([...REQUEST, '--wait', '--wait-timeout', '2m'], {
      fetch: fetchAndTick,
      now: () => now,
    });
    expect(code).toBe(6);
    expect(stderr).toContain('jitvend: request req-01 still pending_approval after 2m (--wait-timeout)\n');
    // started after the create (+1m): polls at +1m and +2m, then 2m have passed
    expect(api.callsTo('GET', '/requests/req-01').map((call) => call.query.get('waitSeconds'))).toEqual([
      '20',
      '20',
    ]);
    expect(api.callsTo('POST', '/requests/req-01/cancel')).toHaveLength(0);
  });

  it('cancels the waiting request when interrupted, and exits 130', async () => {
    api.timeline = [{ status: 'pending_approval' }];
    const interrupt = new AbortController();
    const fetchThenInterrupt: typeof fetch = async (input, init) => {
      if (String(input).includes('waitSeconds')) interrupt.abort();
      return globalThis.fetch(input, init);
    };
    const { code, stderr } = await run([...REQUEST, '--wait'], {
      fetch: fetchThenInterrupt,
      signal: interrupt.signal,
    });
    expect(code).toBe(130);
    expect(stderr).toContain('jitvend: interrupted: request req-01 cancelled\n');
    expect(api.callsTo('POST', '/requests/req-01/cancel')).toHaveLength(1);
  });

  it('retries the create with the same Idempotency-Key after a 503', async () => {
    api.timeline = [{ status: 'issued' }];
    api.createFailures = [problem(503, 'Service Unavailable', 'try again')];
    const { code, stderr } = await run([...REQUEST, '--wait', '--idempotency-key', 'run-42-attempt-1']);
    expect(code).toBe(0);
    expect(stderr).toContain(`POST ${api.url}/requests answered HTTP 503, retrying in 1s`);
    const creates = api.callsTo('POST', '/requests');
    expect(creates.map((c) => c.headers['idempotency-key'])).toEqual([
      'run-42-attempt-1',
      'run-42-attempt-1',
    ]);
  });
});

describe('jitvend request without --wait', () => {
  it('prints the id on stdout, or the view with --format json', async () => {
    const plain = await run(REQUEST);
    expect(plain).toMatchObject({ code: 0, stdout: 'req-01\n' });
    const json = await run([...REQUEST, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'req-01', status: 'pending_approval' });
    expect(api.callsTo('GET', '/requests/req-01')).toHaveLength(0);
  });
});

describe('credential_process cache', () => {
  it('serves repeated calls from the cache without a new request', async () => {
    api.timeline = [{ status: 'issued' }];
    const first = await run([...REQUEST, '--format', 'credential-process']);
    const second = await run([...REQUEST, '--format', 'credential-process']);
    expect(first.code).toBe(0);
    expect(second).toEqual({ code: 0, stdout: first.stdout, stderr: '' });
    expect(api.callsTo('POST', '/requests')).toHaveLength(1);

    // another duration is another session: a new request
    api.credentialReplies = [{ status: 200, body: CREDENTIALS }];
    await run([
      ...REQUEST.slice(0, -4),
      '--duration',
      '30m',
      '--reason',
      'x',
      '--format',
      'credential-process',
    ]);
    expect(api.callsTo('POST', '/requests')).toHaveLength(2);
  });

  it('--no-cache always makes a new request', async () => {
    api.timeline = [{ status: 'issued' }];
    await run([...REQUEST, '--format', 'credential-process']);
    api.credentialReplies = [{ status: 200, body: CREDENTIALS }];
    const again = await run([...REQUEST, '--format', 'credential-process', '--no-cache']);
    expect(again.code).toBe(0);
    expect(api.callsTo('POST', '/requests')).toHaveLength(2);
  });
});

describe('jitvend status, cancel, preview', () => {
  it('status prints the view as JSON, or a summary with --format text', async () => {
    const json = await run(['status', 'req-01']);
    expect(JSON.parse(json.stdout)).toMatchObject({ id: 'req-01', status: 'pending_approval' });
    expect(api.callsTo('GET', '/requests/req-01')[0]?.query.has('waitSeconds')).toBe(false);

    const text = await run(['status', 'req-01', '--format', 'text']);
    expect(text.stdout).toContain('status    waiting for 2 of 2 approvals from alice, bob · 30m left\n');
    expect(text.stdout).toContain(
      'allow     dynamodb:Query on arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1\n',
    );
  });

  it('cancel prints the cancelled view; a second cancel shows the 409 detail', async () => {
    const first = await run(['cancel', 'req-01']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ status: 'cancelled' });
    expect(first.stderr).toBe('jitvend: request req-01 cancelled\n');

    const second = await run(['cancel', 'req-01']);
    expect(second).toMatchObject({ code: 3, stdout: '' });
    expect(second.stderr).toBe(
      'jitvend: HTTP 409 Conflict: request req-01 is cancelled and can no longer be cancelled\n',
    );
  });

  it('preview prints the approval route and the session policy', async () => {
    const { code, stdout } = await run(['preview', '--profile', 'orders-it', '--duration', '1h']);
    expect(code).toBe(0);
    expect(stdout).toContain('approval  auto-approved (rule 0)\nduration  1h (3600s)\nsession policy:\n');
    expect(api.callsTo('POST', '/requests/preview')[0]?.body).toEqual({
      profile: 'orders-it',
      durationSeconds: 3600,
      reason: 'preview',
    });
  });
});

describe('jitvend audit', () => {
  const chain = () => {
    const created = chainAuditEvent('req-01', 1, GENESIS_HASH, {
      type: 'request_created',
      actor: 'repo:acme/orders',
      channel: 'api',
      at: '2026-11-24T01:00:00Z',
      to: 'pending_approval',
    });
    const approved = chainAuditEvent('req-01', 2, created.hash, {
      type: 'request_approved',
      actor: 'alice',
      channel: 'slack',
      at: '2026-11-24T01:01:00Z',
      from: 'pending_approval',
      to: 'approved',
    });
    return [created, approved];
  };

  it('prints the events (jitvend audit ID) and verifies an intact chain', async () => {
    api.auditEvents = chain();
    const show = await run(['audit', 'req-01']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).items).toHaveLength(2);
    expect(await run(['audit', 'verify', 'req-01'])).toMatchObject({
      code: 0,
      stdout: 'audit chain of req-01 intact: 2 events\n',
    });
  });

  it('exits 7 when an event was modified', async () => {
    const [created, approved] = chain();
    api.auditEvents = [created!, { ...approved!, actor: 'mallory' }];
    const { code, stderr } = await run(['audit', 'verify', 'req-01']);
    expect(code).toBe(7);
    expect(stderr).toBe(
      'jitvend: audit chain of req-01 is broken at event 2: event 2 was modified (hash mismatch)\n',
    );
  });
});

describe('errors', () => {
  it('a rejected token is a 401 naming the token source, never the token', async () => {
    const { code, stdout, stderr } = await run(['status', 'req-01'], {
      env: { JITVEND_TOKEN: 'wrong-token' },
    });
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe('jitvend: HTTP 401 Unauthorized: missing or bad token (token from JITVEND_TOKEN)\n');
  });

  it('names the URL it could not reach and exits 4', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const { code, stderr } = await run(['status', 'req-01', '--api', `http://127.0.0.1:${port}`]);
    expect(code).toBe(4);
    expect(stderr).toContain(`jitvend: could not reach http://127.0.0.1:${port}/requests/req-01: `);
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).not.toContain(TOKEN);
  });

  it('rejects bad arguments with exit 2 before calling the API', async () => {
    for (const argv of [
      [...REQUEST, '--allow', 's3:GetObject'],
      [...REQUEST, '--duration', 'soon'],
      ['request', '--profile', 'orders-it'],
      [...REQUEST, '--format', 'yaml'],
      ['status'],
    ]) {
      const { code, stderr } = await run(argv);
      expect(code, argv.join(' ')).toBe(2);
      expect(stderr).toMatch(/error: /);
    }
    expect(api.calls).toHaveLength(0);
  });
});

describe('the built bundle dist/cli/jitvend.cjs', () => {
  const root = join(import.meta.dirname, '..', '..');
  const bundle = join(root, 'dist', 'cli', 'jitvend.cjs');

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root });
  });

  it('runs request --wait in a child process and prints exports', async () => {
    api.timeline = [{ status: 'pending_approval' }, { status: 'issued' }];
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bundle, ...REQUEST, '--wait'], {
      env: { PATH: process.env.PATH, JITVEND_API: api.url, JITVEND_TOKEN: TOKEN, XDG_CACHE_HOME: cacheHome },
    });
    expect(stdout).toContain(`export AWS_ACCESS_KEY_ID='ASIALOCALEXAMPLE'`);
    expect(stderr).toContain('jitvend: req-01: issued\n');
  });

  it('exits with the status code of a denied request', async () => {
    api.timeline = [{ status: 'pending_approval' }, { status: 'denied', statusReason: 'no' }];
    const error = await promisify(execFile)(process.execPath, [bundle, ...REQUEST, '--wait'], {
      env: { PATH: process.env.PATH, JITVEND_API: api.url, JITVEND_TOKEN: TOKEN },
    }).catch((e: { code: number; stderr: string }) => e);
    expect(error).toMatchObject({ code: 10, stderr: expect.stringContaining('request req-01 denied: no') });
  });
});
