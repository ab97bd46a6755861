/**
 * End to end on the local stack as a newcomer runs it: `npm start` in a child process,
 * tokens from the local identity provider, plain HTTP and the built CLI.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SLACK_SIGNING_SECRET } from '../../local/stack.ts';
import { signSlackRequest } from '../../shared/adapters/slack/signature.ts';
import { type StackProcess, startStackProcess } from '../helpers/local-stack-process.ts';

const run = promisify(execFile);
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const MAIN = {
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  ref: 'refs/heads/main',
  actor: 'carol',
};
const BRANCH = { ...MAIN, sub: 'repo:acme/orders:ref:refs/heads/feature', ref: 'refs/heads/feature' };
const STRANGER = {
  sub: 'repo:acme/other:ref:refs/heads/main',
  repository: 'acme/other',
  ref: 'refs/heads/main',
};

let dataDir: string;
let stack: StackProcess;

async function token(claims: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.url}/.local/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ claims }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined || options.raw !== undefined
        ? { 'content-type': 'application/json' }
        : {}),
      ...options.headers,
    },
    ...(options.raw !== undefined ? { body: options.raw } : {}),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: text ? JSON.parse(text) : {},
  };
}

const readOnly = {
  profile: 'orders-it',
  permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
  reason: 'e2e',
};

async function waitForStatus(id: string, tok: string, wanted: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 10; i++) {
    const { status, body } = await call('GET', `/requests/${id}?waitSeconds=5`, { token: tok });
    expect(status).toBe(200);
    if (body.status === wanted) return body;
  }
  throw new Error(`request ${id} never became ${wanted}`);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-e2e-'));
  stack = await startStackProcess(dataDir);
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('the local stack, end to end', () => {
  let pipeline: string;
  let issuedId: string;
  let pendingId: string;

  it('answers health and serves the OpenAPI document generated from the schemas', async () => {
    expect((await call('GET', '/health')).body).toEqual({ status: 'ok' });
    const { status, body } = await call('GET', '/openapi.json');
    expect(status).toBe(200);
    expect(body.openapi).toBe('3.1.0');
    const paths = body.paths as Record<string, unknown>;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining(['/requests', '/requests/{id}', '/requests/{id}/credentials']),
    );
  });

  it('auto-approves a read-only request from main: request → issued → credentials exactly once', async () => {
    pipeline = await token(MAIN);
    const created = await call('POST', '/requests', { token: pipeline, body: readOnly });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      profile: 'orders-it',
      requester: MAIN.sub,
      status: 'pending_approval',
      approval: { route: 'auto', rule: 0 },
      durationSeconds: 900,
      sessionPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }],
      },
    });
    issuedId = created.body.id as string;
    const issued = await waitForStatus(issuedId, pipeline, 'issued');
    expect(issued.expiresAt).toEqual(expect.any(String));

    const first = await call('POST', `/requests/${issuedId}/credentials`, { token: pipeline });
    expect(first.status).toBe(200);
    expect(first.body.accessKeyId).toMatch(/^ASIAJITVENDLOCAL/);
    expect(first.body.sessionToken).toMatch(/^jitvend-local-/);
    expect(first.body.expiration).toBe(issued.expiresAt);

    // a long poll on a request that is already issued answers at once (it does not hold for 20 s)
    const started = Date.now();
    const again = await call('GET', `/requests/${issuedId}?waitSeconds=20`, { token: pipeline });
    expect(again.body.status).toBe('issued');
    expect(Date.now() - started).toBeLessThan(15_000);

    const second = await call('POST', `/requests/${issuedId}/credentials`, { token: pipeline });
    expect(second.status).toBe(410);
    expect(second.type).toContain('application/problem+json');
    expect(second.body.detail).toContain('already delivered');
    expect(JSON.stringify(second.body)).not.toContain(first.body.secretAccessKey as string);
  });

  it('writes an audit trail that follows the lifecycle, with no secret in it', async () => {
    const { status, body } = await call('GET', `/requests/${issuedId}/audit`, { token: pipeline });
    expect(status).toBe(200);
    const items = body.items as Array<{ type: string; to?: string; prevHash: string; hash: string }>;
    expect(items.map((e) => e.type)).toEqual([
      'request_created',
      'request_approved',
      'credentials_issued',
      'credentials_delivered',
    ]);
    expect(items[1]!.prevHash).toBe(items[0]!.hash);
    expect(JSON.stringify(items)).not.toMatch(/ASIAJITVENDLOCAL|jitvend-local-/);
  });

  it('refuses another principal: 403 on the request and on its credentials', async () => {
    const stranger = await token(STRANGER);
    expect((await call('GET', `/requests/${issuedId}`, { token: stranger })).status).toBe(403);
    const creds = await call('POST', `/requests/${issuedId}/credentials`, { token: stranger });
    expect(creds.status).toBe(403);
    expect(creds.body.detail).toContain('only the requester');
  });

  it('401 without a token, with a forged one, and with an expired one', async () => {
    const none = await call('POST', '/requests', { body: readOnly });
    expect(none.status).toBe(401);
    expect(none.body.detail).toBe('missing bearer token');
    const expired = await token({ ...MAIN, exp: Math.floor(Date.now() / 1000) - 3600 });
    expect((await call('POST', '/requests', { token: expired, body: readOnly })).body.detail).toBe(
      'token expired',
    );
    const [h, p] = pipeline.split('.');
    const forged = `${h}.${p}.${'A'.repeat(86)}`;
    expect((await call('GET', `/requests/${issuedId}`, { token: forged })).status).toBe(401);
  });

  it.each([
    [
      'an unknown field',
      {
        ...readOnly,
        permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE], NotAction: ['iam:*'] }],
      },
      'permissions[0].NotAction: unknown field',
    ],
    ['a Condition smuggled in', { ...readOnly, Condition: {} }, 'Condition: unknown field'],
    ['no reason', { profile: 'orders-it' }, 'reason'],
    [
      'whitespace in an ARN',
      { ...readOnly, permissions: [{ actions: ['dynamodb:GetItem'], resources: [`${TABLE} *`] }] },
      'whitespace',
    ],
    ['a duration above the profile maximum', { ...readOnly, durationSeconds: 7200 }, 'durationSeconds'],
    [
      'an action that is not an action',
      { ...readOnly, permissions: [{ actions: ['GetItem'], resources: [TABLE] }] },
      'GetItem',
    ],
  ])('400 for %s, naming it', async (_, body, expected) => {
    const res = await call('POST', '/requests', { token: pipeline, body });
    expect(res.status).toBe(400);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.detail).toContain(expected);
  });

  it('400 for a body that is not JSON', async () => {
    const res = await call('POST', '/requests', { token: pipeline, raw: '{"profile":' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('body: not valid JSON');
  });

  it('403 outside the guardrails, saying which permission and why', async () => {
    const res = await call('POST', '/requests', {
      token: pipeline,
      body: {
        ...readOnly,
        permissions: [
          {
            actions: ['dynamodb:GetItem'],
            resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-*'],
          },
        ],
      },
    });
    expect(res.status).toBe(403);
    expect(res.body.detail).toContain('permission 0');
    expect(res.body.detail).toContain('table/orders-*');
  });

  it('403 for a principal that is not a requester of the profile; 404 for an unknown profile', async () => {
    const stranger = await token(STRANGER);
    expect((await call('POST', '/requests', { token: stranger, body: readOnly })).status).toBe(403);
    const unknown = await call('POST', '/requests', {
      token: pipeline,
      body: { ...readOnly, profile: 'nope' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe('profile "nope" does not exist');
  });

  it('previews the policy and route without creating anything', async () => {
    const before = await call('GET', '/requests', { token: pipeline });
    const preview = await call('POST', '/requests/preview', { token: pipeline, body: readOnly });
    expect(preview.status).toBe(200);
    expect(preview.body).toEqual({
      sessionPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: TABLE }],
      },
      durationSeconds: 900,
      // no window asked: the approval lasts one session
      windowSeconds: 900,
      approval: { route: 'auto', rule: 0 },
    });
    const after = await call('GET', '/requests', { token: pipeline });
    expect((after.body.items as unknown[]).length).toBe((before.body.items as unknown[]).length);
  });

  it('keeps a request that needs a human pending: credentials 409, cancel → cancelled, cancel again 409', async () => {
    const feature = await token(BRANCH);
    const created = await call('POST', '/requests', { token: feature, body: readOnly });
    expect(created.status).toBe(201);
    expect(created.body.approval).toEqual({ route: 'human', approvers: ['alice', 'bob'], minApprovals: 1 });
    pendingId = created.body.id as string;
    const early = await call('POST', `/requests/${pendingId}/credentials`, { token: feature });
    expect(early.status).toBe(409);
    expect(early.body).toMatchObject({ status: 409, requestStatus: 'pending_approval' });

    const other = await call('POST', '/requests', {
      token: feature,
      body: { ...readOnly, reason: 'to cancel' },
    });
    const cancelled = await call('POST', `/requests/${other.body.id}/cancel`, { token: feature });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect((await call('POST', `/requests/${other.body.id}/cancel`, { token: feature })).status).toBe(409);
    expect((await call('POST', `/requests/${issuedId}/cancel`, { token: pipeline })).status).toBe(409);
  });

  it('lists the requester’s own requests newest first, filtered by status', async () => {
    const feature = await token(BRANCH);
    const all = await call('GET', '/requests', { token: feature });
    const items = all.body.items as Array<{ id: string; requester: string; createdAt: string }>;
    expect(items.every((r) => r.requester === BRANCH.sub)).toBe(true);
    expect(items.map((r) => r.createdAt)).toEqual([...items.map((r) => r.createdAt)].sort().reverse());
    const pending = await call('GET', '/requests?status=pending_approval', { token: feature });
    expect((pending.body.items as Array<{ id: string }>).map((r) => r.id)).toEqual([pendingId]);
  });

  it('gives credentials to a pipeline through the built CLI', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        'dist/cli/jitvend.cjs',
        'request',
        '--profile',
        'orders-it',
        '--allow',
        `dynamodb:Query=${TABLE}`,
        '--duration',
        '15m',
        '--reason',
        'cli e2e',
        '--wait',
        '--format',
        'json',
      ],
      { env: { ...process.env, JITVEND_API: stack.url, JITVEND_TOKEN: pipeline }, timeout: 60_000 },
    );
    expect(JSON.parse(stdout)).toMatchObject({ accessKeyId: expect.stringMatching(/^ASIAJITVENDLOCAL/) });
  });

  it('loses nothing across a stop and start: requests are still there, a pending one still pending', async () => {
    const oldUrl = stack.url;
    await stack.stop();
    expect(stack.output()).toContain('stopping');
    await expect(fetch(`${oldUrl}/health`)).rejects.toThrow();
    stack = await startStackProcess(dataDir);
    pipeline = await token(MAIN);
    const issued = await call('GET', `/requests/${issuedId}`, { token: pipeline });
    expect(issued.status).toBe(200);
    expect(issued.body).toMatchObject({ id: issuedId, status: 'issued', credentialsDelivered: true });
    const feature = await token(BRANCH);
    const pending = await call('GET', `/requests/${pendingId}`, { token: feature });
    expect(pending.body.status).toBe('pending_approval');
    expect((await call('POST', `/requests/${issuedId}/credentials`, { token: pipeline })).status).toBe(410);
  });

  it('completes a request that was waiting for approval across the restart: Slack approve → credentials', async () => {
    const feature = await token(BRANCH);
    // the Slack message alice got before the restart: approvers are notified once per request
    // and person, so the resumed workflow sends no second one (issue 8, item 13)
    const outbox = (await (await fetch(`${stack.url}/.local/outbox`)).json()) as Array<{
      channel: string;
      to: string;
      requestId: string;
      extra?: { response_url?: string };
    }>;
    const messages = outbox.filter(
      (m) => m.channel === 'slack' && m.to === 'U0ALICE01' && m.requestId === pendingId,
    );
    expect(messages).toHaveLength(1);
    const message = messages[0];
    // the local Slack stand-in's response_url names the stack's old port: point it at the new one
    const responseUrl = new URL(String(message?.extra?.response_url));
    message!.extra!.response_url = `${stack.url}${responseUrl.pathname}${responseUrl.search}`;
    expect(message?.extra?.response_url).toMatch(/\/\.local\/slack\/response/);
    const payload = {
      type: 'block_actions',
      user: { id: 'U0ALICE01' },
      response_url: message!.extra!.response_url,
      actions: [{ type: 'button', action_id: 'jitvend_approve', value: pendingId }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const headers = signSlackRequest(LOCAL_SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000), body);
    const forged = await fetch(`${stack.url}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
        'x-slack-signature': 'v0=00',
      },
      body,
    });
    expect(forged.status).toBe(401);
    const click = await fetch(`${stack.url}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    expect(click.status).toBe(200);
    await waitForStatus(pendingId, feature, 'issued');
    const creds = await call('POST', `/requests/${pendingId}/credentials`, { token: feature });
    expect(creds.status).toBe(200);
  });

  it('shows people the requests, their audit trail and the outbox at /, and never a credential', async () => {
    const res = await fetch(`${stack.url}/?request=${pendingId}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const page = await res.text();
    expect(page).toContain(pendingId);
    expect(page).toContain('request_approved');
    expect(page).toContain('U0ALICE01');
    expect(page).not.toMatch(/ASIAJITVENDLOCAL|jitvend-local-[A-Za-z0-9_-]{20}/);
  });
});
