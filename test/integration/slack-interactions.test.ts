/**
 * POST /slack/interactions end to end on the local stack, in process: a pipeline's request
 * waits for people, the Slack stand-in "sends" the message, and signed clicks decide it.
 * The message updates the handler posts to the response_url are captured on their way to
 * the local stack's /.local/slack/response.
 */
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from 'aws-lambda';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  type MockInstance,
  vi,
} from 'vitest';
import { makeSlackInteractionsHandler } from '../../functions/slack-interactions/handler.ts';
import type { NotifyingStore } from '../../local/notifying-store.ts';
import type { OutboxMessage } from '../../local/outbox.ts';
import { localSlackChannel } from '../../local/slack-stand-in.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { signSlackRequest } from '../../shared/adapters/slack/signature.ts';
import type { AuditEvent } from '../../shared/domain/types.ts';
import { sharedStackOptions } from '../helpers/dynamodb.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const ORDERS_BRANCH = {
  sub: 'repo:acme/orders:ref:refs/heads/feature',
  repository: 'acme/orders',
  ref: 'refs/heads/feature',
  actor: 'carol',
  run_id: '4242',
};
const PAYMENTS_BRANCH = {
  sub: 'repo:acme/payments:ref:refs/heads/feature',
  repository: 'acme/payments',
  ref: 'refs/heads/feature',
  actor: 'dave',
};
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const CAROL = 'U0CAROL01';

let dataDir: string;
let stack: LocalStack;
let fetchSpy: MockInstance<typeof fetch>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-slack-'));
  stack = await startLocalStack({ ...sharedStackOptions(), dataDir, port: 0, logLevel: 'silent' });
});

afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  fetchSpy = vi.spyOn(globalThis, 'fetch');
});
afterEach(() => {
  fetchSpy.mockRestore();
});

async function token(claims: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.url}/.local/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ claims }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

async function createRequest(claims: Record<string, unknown>, body: Record<string, unknown>) {
  const tok = await token(claims);
  const res = await fetch(`${stack.url}/requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
  const view = (await res.json()) as { id: string; status: string };
  expect(view.status).toBe('pending_approval');
  await waitForAudit(view.id, 'approvers_notified');
  return { id: view.id, token: tok };
}

const ordersRequest = () =>
  createRequest(ORDERS_BRANCH, {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    reason: 'slack approval test',
  });

async function audit(id: string): Promise<AuditEvent[]> {
  return stack.runtime.store.listAudit(id);
}

/** Resolves when the request has an audit event of this type (woken by each store change, no fixed sleeps). */
async function waitForAudit(id: string, type: string): Promise<void> {
  const changes = (stack.runtime.store as NotifyingStore).changes;
  for (let i = 0; i < 50; i++) {
    if ((await audit(id)).some((e) => e.type === type)) return;
    await Promise.race([once(changes, id), new Promise((r) => setTimeout(r, 200))]);
  }
  throw new Error(`request ${id} never got ${type}`);
}

async function waitForStatus(id: string, tok: string, wanted: string): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const res = await fetch(`${stack.url}/requests/${id}${i === 0 ? '' : '?waitSeconds=5'}`, {
      headers: { authorization: `Bearer ${tok}` },
    });
    expect(res.status).toBe(200);
    if (((await res.json()) as { status: string }).status === wanted) return;
  }
  throw new Error(`request ${id} never became ${wanted}`);
}

/**
 * The Slack message this approver got for the request, from the outbox: sent by the local
 * stack's own notifier when local/channels.ts includes the stand-in, else by the stand-in here.
 */
async function slackMessage(requestId: string, to: string): Promise<OutboxMessage> {
  const find = () =>
    stack.outbox
      .list()
      .find((m) => m.channel === 'slack' && m.to === to && m.requestId === requestId && !m.extra?.update);
  if (!find()) {
    const request = (await stack.runtime.store.get(requestId))!;
    const route = request.approvalRoute;
    const people = route.kind === 'human' ? route.approvers.map((n) => stack.runtime.config.people[n]!) : [];
    await localSlackChannel({ outbox: stack.outbox, publicUrl: stack.url }).send(request, people);
  }
  const message = find();
  if (!message) throw new Error(`no Slack message for ${to}`);
  return message;
}

function payload(user: string, action: string, requestId: string, responseUrl: string) {
  return {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), team_id: 'T0LOCAL01' },
    team: { id: 'T0LOCAL01', domain: 'acme' },
    api_app_id: 'A0LOCAL01',
    trigger_id: '1.2.3',
    response_url: responseUrl,
    container: { type: 'message', message_ts: '1732442400.000100', channel_id: 'D0LOCAL01' },
    actions: [
      {
        type: 'button',
        block_id: 'jitvend_decision',
        action_id: action,
        value: requestId,
        action_ts: '1732442401.000200',
      },
    ],
  };
}

interface Click {
  user: string;
  action: string;
  requestId: string;
  responseUrl: string;
  secret?: string;
  timestamp?: number;
}

async function click(c: Click): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams({
    payload: JSON.stringify(payload(c.user, c.action, c.requestId, c.responseUrl)),
  }).toString();
  const timestamp = c.timestamp ?? Math.floor(Date.now() / 1000);
  const res = await fetch(`${stack.url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...signSlackRequest(c.secret ?? stack.runtime.secrets.slackSigningSecret, timestamp, body),
    },
    body,
  });
  return { status: res.status, body: await res.text() };
}

/** What the handler posted to response_urls during this test. */
function responses(): Array<Record<string, unknown>> {
  return fetchSpy.mock.calls
    .filter(([url]) => String(url).includes('/.local/slack/response'))
    .map(([, init]) => JSON.parse(String(init?.body)) as Record<string, unknown>);
}

describe('POST /slack/interactions on the local stack', () => {
  it('alice approves from her Slack message: the request is issued and her message says so', async () => {
    const { id, token: tok } = await ordersRequest();
    const message = await slackMessage(id, ALICE);
    expect(message.text).toContain('approval needed for orders-it');
    const responseUrl = String(message.extra?.response_url);
    expect(responseUrl.startsWith(`${stack.url}/.local/slack/response`)).toBe(true);

    const res = await click({ user: ALICE, action: 'jitvend_approve', requestId: id, responseUrl });
    expect(res).toEqual({ status: 200, body: '' });
    await waitForStatus(id, tok, 'issued');

    const [update] = responses();
    expect(update).toMatchObject({ replace_original: true });
    expect(String(update!.text)).toMatch(/^Approved by alice\. /);
    expect(JSON.stringify(update!.blocks)).toContain('*Approved by alice*');
    expect(JSON.stringify(update!.blocks)).not.toContain('jitvend_approve');
    // the local stack records the update in its outbox (POST /.local/slack/response)
    expect(stack.outbox.list().filter((m) => m.requestId === id && m.extra?.update === true)).toEqual([
      {
        channel: 'slack',
        to: ALICE,
        requestId: id,
        text: update!.text,
        at: expect.any(String),
        extra: { update: true, replace_original: true, blocks: update!.blocks },
      },
    ]);

    const approved = (await audit(id)).find((e) => e.type === 'request_approved');
    expect(approved).toMatchObject({
      actor: 'alice',
      channel: 'slack',
      detail: { decision: 'approve', via: ALICE },
    });
  });

  it.each([
    ['a wrong secret', () => ({ secret: 'not-the-signing-secret' })],
    ['a stale timestamp', () => ({ timestamp: Math.floor(Date.now() / 1000) - 301 })],
    ['a timestamp from the future', () => ({ timestamp: Math.floor(Date.now() / 1000) + 301 })],
  ])('answers 401 to %s and changes nothing', async (_name, overrides) => {
    const { id } = await ordersRequest();
    const { extra } = await slackMessage(id, ALICE);
    const before = await audit(id);
    const res = await click({
      user: ALICE,
      action: 'jitvend_approve',
      requestId: id,
      responseUrl: String(extra?.response_url),
      ...overrides(),
    });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ status: 401, title: 'Unauthorized' });
    expect(await audit(id)).toEqual(before);
    expect((await stack.runtime.store.get(id))?.status).toBe('pending_approval');
    expect(responses()).toEqual([]);
  });

  it('answers 401 when the signature headers are missing', async () => {
    const res = await fetch(`${stack.url}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    expect(res.status).toBe(401);
  });

  it('refuses a click from someone who is not an approver, tells them why, and writes nothing to the request (SPEC: outsiders cannot grow its audit trail)', async () => {
    const { id } = await ordersRequest();
    const { extra } = await slackMessage(id, ALICE);
    const responseUrl = String(extra?.response_url);
    const before = await stack.runtime.store.get(id);

    // carol is a configured person, but not an approver of orders-it (and started the pipeline)
    expect((await click({ user: CAROL, action: 'jitvend_approve', requestId: id, responseUrl })).status).toBe(
      200,
    );
    // someone Slack knows but jitvend does not
    expect(
      (await click({ user: 'U0NOBODY1', action: 'jitvend_approve', requestId: id, responseUrl })).status,
    ).toBe(200);

    expect(responses()).toEqual([
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: 'Your click changed nothing: carol is not an approver of profile orders-it.',
      },
      {
        response_type: 'ephemeral',
        replace_original: false,
        text: 'Your click changed nothing: you are not a person in the jitvend config.',
      },
    ]);
    expect((await audit(id)).filter((e) => e.type === 'decision_refused')).toEqual([]);
    const after = await stack.runtime.store.get(id);
    expect(after?.status).toBe('pending_approval');
    expect([after?.version, after?.auditCount, after?.auditHead]).toEqual([
      before?.version,
      before?.auditCount,
      before?.auditHead,
    ]);
  });

  it('bob denies: the request is denied and his message says so', async () => {
    const { id, token: tok } = await ordersRequest();
    const { extra } = await slackMessage(id, BOB);
    await click({
      user: BOB,
      action: 'jitvend_deny',
      requestId: id,
      responseUrl: String(extra?.response_url),
    });
    await waitForStatus(id, tok, 'denied');
    const [update] = responses();
    expect(update).toMatchObject({ replace_original: true });
    expect(String(update!.text)).toMatch(/^Denied by bob\. /);
    expect((await audit(id)).map((e) => e.type)).toContain('request_denied');

    // a late click on alice's copy changes nothing and says why
    const late = await slackMessage(id, ALICE);
    await click({
      user: ALICE,
      action: 'jitvend_approve',
      requestId: id,
      responseUrl: String(late.extra?.response_url),
    });
    expect(responses()[1]).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: `Your click changed nothing: request ${id} is already denied.`,
    });
  });

  it('records the first of two approvals and keeps the buttons for the second', async () => {
    const { id, token: tok } = await createRequest(PAYMENTS_BRANCH, {
      profile: 'payments-it',
      permissions: [
        { actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:us-east-1:123456789012:payments-it-in'] },
      ],
      reason: 'two approvals',
    });
    const alice = await slackMessage(id, ALICE);
    await click({
      user: ALICE,
      action: 'jitvend_approve',
      requestId: id,
      responseUrl: String(alice.extra?.response_url),
    });
    expect(String(responses()[0]!.text)).toMatch(/^Approval by alice recorded: 1 more needed\. /);
    expect(JSON.stringify(responses()[0]!.blocks)).toContain('jitvend_approve');

    const carol = await slackMessage(id, CAROL);
    await click({
      user: CAROL,
      action: 'jitvend_approve',
      requestId: id,
      responseUrl: String(carol.extra?.response_url),
    });
    await waitForStatus(id, tok, 'issued');
    expect(String(responses()[1]!.text)).toMatch(/^Approved by alice and carol\. /);
  });

  it('revokes the issued session from the Revoke button of the approved message', async () => {
    const { id, token: tok } = await ordersRequest();
    const { extra } = await slackMessage(id, ALICE);
    const responseUrl = String(extra?.response_url);
    await click({ user: ALICE, action: 'jitvend_approve', requestId: id, responseUrl });
    await waitForStatus(id, tok, 'issued');
    expect(JSON.stringify(responses()[0]!.blocks)).toContain('jitvend_revoke');

    // someone who is no approver: refused, privately, nothing changes
    await click({ user: CAROL, action: 'jitvend_revoke', requestId: id, responseUrl });
    expect(responses()[1]).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringContaining('only an approver of profile orders-it may revoke'),
    });

    await click({ user: BOB, action: 'jitvend_revoke', requestId: id, responseUrl });
    expect(String(responses()[2]!.text)).toMatch(/^Revoked by bob/);
    await waitForStatus(id, tok, 'revoked');
    const revoked = (await audit(id)).find((e) => e.type === 'request_revoked');
    expect(revoked).toMatchObject({ actor: 'bob', channel: 'slack', detail: { via: BOB } });
    expect(stack.iam.rolePolicies()['arn:aws:iam::123456789012:role/jitvend-orders-it']).toContain(
      `jitvend-${id}`,
    );
  });

  it('refuses a response_url that is neither Slack nor the local stand-in, deciding nothing', async () => {
    const { id } = await ordersRequest();
    const before = await audit(id);
    const res = await click({
      user: ALICE,
      action: 'jitvend_approve',
      requestId: id,
      responseUrl: 'http://169.254.169.254/latest/meta-data/',
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body).detail).toBe('payload: response_url is not a Slack response URL');
    expect(await audit(id)).toEqual(before);
    expect(fetchSpy.mock.calls.some(([url]) => String(url).includes('169.254'))).toBe(false);
  });

  it('answers a click on an unknown request with a message, not an error', async () => {
    const { extra } = await slackMessage((await ordersRequest()).id, ALICE);
    const res = await click({
      user: ALICE,
      action: 'jitvend_approve',
      requestId: 'no-such-request',
      responseUrl: String(extra?.response_url),
    });
    expect(res.status).toBe(200);
    expect(responses()).toEqual([
      expect.objectContaining({
        response_type: 'ephemeral',
        text: expect.stringContaining('no-such-request'),
      }),
    ]);
  });

  it('verifies a base64-encoded body (API Gateway) on its decoded bytes', async () => {
    const { id, token: tok } = await ordersRequest();
    const { extra } = await slackMessage(id, BOB);
    const body = new URLSearchParams({
      payload: JSON.stringify(payload(BOB, 'jitvend_approve', id, String(extra?.response_url))),
    }).toString();
    const headers = signSlackRequest(
      stack.runtime.secrets.slackSigningSecret,
      Math.floor(Date.now() / 1000),
      body,
    );
    // the handler Lambda runs, built from the stack's runtime
    const handler = makeSlackInteractionsHandler(stack.runtime);
    const result = await handler(
      {
        version: '2.0',
        routeKey: 'POST /slack/interactions',
        rawPath: '/slack/interactions',
        rawQueryString: '',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: Buffer.from(body, 'utf8').toString('base64'),
        isBase64Encoded: true,
        requestContext: {} as never,
      },
      {} as Context,
    );
    expect(result.statusCode).toBe(200);
    await waitForStatus(id, tok, 'issued');
  });
});
