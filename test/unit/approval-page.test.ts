/**
 * The email approval routes, handler by handler, over an in-memory store: the page only
 * shows, the form decides once, and every bad link changes nothing.
 */
import type { Context } from 'aws-lambda';
import { beforeEach, describe, expect, it } from 'vitest';
import { makeApprovalDecisionHandler } from '../../functions/approval-decision/handler.ts';
import { makeApprovalPageHandler } from '../../functions/approval-page/handler.ts';
import type { ApiEvent, ApiHandler, ApiResult } from '../../functions/http.ts';
import { loadConfig } from '../../shared/config.ts';
import { issueApprovalToken } from '../../shared/domain/approval-tokens.ts';
import { ConcurrentUpdateError } from '../../shared/domain/errors.ts';
import type { ApprovalTokenRecord, RequestStore } from '../../shared/domain/ports.ts';
import type { AccessRequest, AuditEvent } from '../../shared/domain/types.ts';
import { escapeHtml, html } from '../../shared/web/html.ts';

const KEY = new Uint8Array(32).fill(9);
const DEADLINE = '2026-11-24T10:30:00.000Z';
const ID = '0f8e0c2a-6a57-4d39-9d5b-8a1f1f9b2c11';
const POLICY = {
  Version: '2012-10-17' as const,
  Statement: [
    {
      Effect: 'Allow' as const,
      Action: ['dynamodb:PutItem'],
      Resource: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users'],
    },
  ],
};
const REASON = 'seed <script>alert(1)</script> fixtures';

/** Only what these routes and decide() touch; conditional on version like the real store. */
class MemoryStore implements Partial<RequestStore> {
  readonly requests = new Map<string, AccessRequest>();
  readonly events: AuditEvent[] = [];
  readonly tokens = new Map<string, ApprovalTokenRecord>();
  readonly taskTokens = new Map<string, string>();

  async get(id: string) {
    const r = this.requests.get(id);
    return r ? structuredClone(r) : undefined;
  }
  async commit(prev: AccessRequest, next: AccessRequest, event: AuditEvent) {
    const current = this.requests.get(prev.id);
    if (!current || current.version !== prev.version) throw new ConcurrentUpdateError('changed');
    this.requests.set(next.id, structuredClone(next));
    this.events.push(event);
  }
  async getTaskToken(id: string) {
    return this.taskTokens.get(id);
  }
  async takeTaskToken(id: string) {
    const token = this.taskTokens.get(id);
    this.taskTokens.delete(id);
    return token;
  }
  async saveApprovalToken(record: ApprovalTokenRecord) {
    this.tokens.set(record.tokenHash, { ...record });
  }
  async getApprovalToken(hash: string) {
    const record = this.tokens.get(hash);
    return record ? { ...record } : undefined;
  }
  async useApprovalToken(hash: string, usedAt: string) {
    await Promise.resolve(); // a real round trip: lets racing calls interleave
    const record = this.tokens.get(hash);
    if (!record || record.usedAt !== undefined) return false;
    record.usedAt = usedAt;
    return true;
  }
}

const config = loadConfig('jitvend.config.yaml');
let store: MemoryStore;
let now: Date;
let resumed: Array<{ token: string; output: unknown }>;
let pageHandler: ApiHandler;
let decisionHandler: ApiHandler;

function pending(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: ID,
    profile: 'orders-it',
    requester: 'repo:acme/orders:ref:refs/heads/feature',
    requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/feature', actor: 'carol', run_id: '77' },
    initiator: 'carol',
    status: 'pending_approval',
    permissions: [{ actions: ['dynamodb:PutItem'], resources: POLICY.Statement[0]!.Resource }],
    sessionPolicy: POLICY,
    sessionPolicyHash: 'policy-hash',
    durationSeconds: 900,
    reason: REASON,
    approvals: [],
    approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
    createdAt: '2026-11-24T09:59:00.000Z',
    updatedAt: '2026-11-24T09:59:00.000Z',
    approvalDeadline: DEADLINE,
    version: 2,
    auditHead: 'head',
    auditCount: 2,
    ...overrides,
  };
}

beforeEach(() => {
  store = new MemoryStore();
  now = new Date('2026-11-24T10:00:00.000Z');
  resumed = [];
  const runtime = {
    config,
    store,
    clock: { now: () => now },
    callback: {
      sendTaskSuccess: async (token: string, output: unknown) => {
        resumed.push({ token, output });
        return true;
      },
      sendTaskFailure: async () => true,
    },
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    publicUrl: 'https://api.example.com',
    secrets: { slackSigningSecret: 's', approvalTokenKey: KEY },
    newId: () => 'id',
  };
  pageHandler = makeApprovalPageHandler(runtime);
  decisionHandler = makeApprovalDecisionHandler(runtime);
});

async function given(request: AccessRequest = pending(), person = 'alice'): Promise<string> {
  store.requests.set(request.id, structuredClone(request));
  store.taskTokens.set(request.id, 'sfn-task-token');
  const { token, tokenHash } = issueApprovalToken(
    { requestId: request.id, person, expiresAt: request.approvalDeadline },
    KEY,
  );
  await store.saveApprovalToken({
    tokenHash,
    requestId: request.id,
    person,
    expiresAt: request.approvalDeadline,
  });
  return token;
}

function event(
  method: 'GET' | 'POST',
  token: string,
  body?: string,
  headers: Record<string, string> = {},
): ApiEvent {
  return {
    version: '2.0',
    routeKey: `${method} /approvals/{token}`,
    rawPath: `/approvals/${token}`,
    rawQueryString: '',
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...headers,
    },
    pathParameters: { token },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: { http: { method } } as ApiEvent['requestContext'],
  };
}

type Page = ApiResult & { statusCode: number; body: string; headers: Record<string, string> };
const open = async (token: string) => (await pageHandler(event('GET', token), {} as Context)) as Page;
const post = async (token: string, body: string, headers?: Record<string, string>) =>
  (await decisionHandler(event('POST', token, body, headers), {} as Context)) as Page;
const state = () => store.requests.get(ID)!;
const usedAt = () => [...store.tokens.values()][0]?.usedAt;

function expectPageHeaders(page: Page) {
  expect(page.headers).toMatchObject({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
  });
  const csp = page.headers['content-security-policy']!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toMatch(/script-src|unsafe-inline|unsafe-eval|https?:/);
  expect(page.body).not.toMatch(/<script|<link|<img|src=/i);
}

describe('GET /approvals/{token}: the confirmation page', () => {
  it('shows the request and the two decisions, and decides nothing', async () => {
    const token = await given();
    const page = await open(token);

    expect(page.statusCode).toBe(200);
    expectPageHeaders(page);
    for (const fact of [
      'Approve access to orders-it?',
      'repo:acme/orders:ref:refs/heads/feature',
      'acme/orders',
      'refs/heads/feature',
      'carol',
      '15 min',
      '0 of 1',
      '2026-11-24 10:30 UTC (in 30 min)',
      'waiting for approval',
      ID,
      'You decide as <strong>alice</strong>',
      'Integration tests of the orders service',
      'arn:aws:iam::123456789012:role/jitvend-orders-it',
      escapeHtml(JSON.stringify(POLICY, null, 2)),
      escapeHtml(REASON),
      'href="https://github.com/acme/orders/actions/runs/77" rel="noreferrer noopener"',
    ]) {
      expect(page.body).toContain(fact);
    }
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(page.body).toContain('<form method="post">');
    expect(page.body).toContain('name="decision" value="approve"');
    expect(page.body).toContain('name="decision" value="deny"');
    expect(page.body).toContain('name="reason"');

    // opening it (twice: a mail scanner, then the person) changes nothing
    expect((await open(token)).statusCode).toBe(200);
    expect(state()).toEqual(pending());
    expect(store.events).toHaveLength(0);
    expect(usedAt()).toBeUndefined();
    expect(resumed).toHaveLength(0);
  });

  it('lists the decisions so far', async () => {
    const token = await given(
      pending({
        approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 2 },
        approvals: [
          {
            person: 'bob',
            decision: 'approve',
            channel: 'slack',
            at: '2026-11-24T09:59:30Z',
            reason: 'ok <b>',
          },
        ],
      }),
    );
    const page = await open(token);
    expect(page.body).toContain('1 of 2 (bob)');
    expect(page.body).toContain('bob approved via slack, 2026-11-24 09:59 UTC: “ok &lt;b&gt;”');
  });

  it('offers only Deny to the person who started the pipeline, and says why', async () => {
    const token = await given(
      pending({ approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 1 } }),
      'carol',
    );
    const page = await open(token);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('value="approve"');
    expect(page.body).toContain('value="deny"');
    expect(page.body).toContain('Carol started this pipeline and cannot approve its own request');
  });

  it.each([
    ['tampered', (t: string) => `${t.slice(0, -3)}${t.endsWith('AAA') ? 'BBB' : 'AAA'}`],
    ['cut off', (t: string) => t.slice(0, t.lastIndexOf('.'))],
    ['junk', () => 'not-a-token'],
  ])('answers a %s link with 400 "not valid"', async (_what, mangle) => {
    const token = await given();
    const page = await open(mangle(token));
    expect(page.statusCode).toBe(400);
    expectPageHeaders(page);
    expect(page.body).toContain('This link is not valid');
  });

  it('answers a correctly signed link that jitvend never stored with 400 "not valid"', async () => {
    await given();
    const stray = issueApprovalToken({ requestId: ID, person: 'alice', expiresAt: DEADLINE }, KEY);
    expect((await open(stray.token)).statusCode).toBe(400);
  });

  it('answers an expired link with 410', async () => {
    const token = await given();
    now = new Date(DEADLINE);
    const page = await open(token);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('This link has expired');
  });

  it('answers a used link with 410 "already used" and the current status', async () => {
    const token = await given(pending({ status: 'approved' }));
    await store.useApprovalToken([...store.tokens.keys()][0]!, now.toISOString());
    const page = await open(token);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('This link was already used');
    expect(page.body).toContain('The request is now approved.');
  });

  it('says the status of a request that no longer waits, with no form', async () => {
    const token = await given(pending({ status: 'cancelled', statusReason: 'cancelled by the requester' }));
    const page = await open(token);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('This request is already cancelled');
    expect(page.body).toContain('Cancelled by the requester.');
    expect(page.body).not.toContain('<form');
  });
});

describe('POST /approvals/{token}: the decision', () => {
  it('approves once, with the link’s person on the email channel, and resumes the workflow', async () => {
    const token = await given();
    const page = await post(token, 'decision=approve&reason=looks+right');

    expect(page.statusCode).toBe(200);
    expectPageHeaders(page);
    expect(page.body).toContain('Approved. The pipeline gets its credentials now.');
    expect(state().status).toBe('approved');
    expect(state().approvals).toEqual([
      {
        person: 'alice',
        decision: 'approve',
        channel: 'email',
        at: now.toISOString(),
        reason: 'looks right',
      },
    ]);
    expect(store.events.map((e) => [e.type, e.actor, e.channel, e.detail?.via])).toEqual([
      ['request_approved', 'alice', 'email', 'alice@example.com'],
    ]);
    expect(usedAt()).toBe(now.toISOString());
    expect(resumed).toEqual([{ token: 'sfn-task-token', output: { decision: 'approved' } }]);
  });

  it('refuses a second POST with the same link with 410, changing nothing', async () => {
    const token = await given();
    expect((await post(token, 'decision=approve')).statusCode).toBe(200);
    const after = structuredClone(state());

    const again = await post(token, 'decision=deny');
    expect(again.statusCode).toBe(410);
    expect(again.body).toContain('This link was already used');
    expect(state()).toEqual(after);
    expect(store.events).toHaveLength(1);
  });

  it('decides exactly once when two POSTs race with the same link', async () => {
    const token = await given();
    const pages = await Promise.all([post(token, 'decision=approve'), post(token, 'decision=deny')]);
    expect(pages.map((p) => p.statusCode).sort()).toEqual([200, 410]);
    expect(store.events).toHaveLength(1);
  });

  it('denies, with the reason', async () => {
    const token = await given();
    const page = await post(token, 'decision=deny&reason=not+today');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Denied.');
    expect(state()).toMatchObject({ status: 'denied', statusReason: 'denied by alice: not today' });
    expect(resumed).toEqual([{ token: 'sfn-task-token', output: { decision: 'denied' } }]);
  });

  it('records an approval when more are needed', async () => {
    const token = await given(
      pending({ approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 2 } }),
    );
    const page = await post(token, 'decision=approve');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Recorded: 1 more approval needed');
    expect(state().status).toBe('pending_approval');
    expect(resumed).toHaveLength(0);
  });

  it('shows why a decision was refused (the approval rules apply), and audits the attempt', async () => {
    const token = await given(
      pending({ approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 1 } }),
      'carol',
    );
    const page = await post(token, 'decision=approve');
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain('Nothing was changed');
    expect(page.body).toContain('Carol started this pipeline and cannot approve its own request');
    expect(state().status).toBe('pending_approval');
    expect(store.events.map((e) => [e.type, e.channel, e.detail?.code])).toEqual([
      ['decision_refused', 'email', 'initiator'],
    ]);
  });

  it('reads a base64 body (API Gateway) and a content type with a charset', async () => {
    const token = await given();
    const body = Buffer.from('decision=approve').toString('base64');
    const e = event('POST', token, body, {
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
    });
    e.isBase64Encoded = true;
    const page = (await decisionHandler(e, {} as Context)) as Page;
    expect(page.statusCode).toBe(200);
    expect(state().status).toBe('approved');
  });

  it.each([
    ['no decision', 'reason=x', 400, 'The decision must be approve or deny.'],
    ['an unknown decision', 'decision=maybe', 400, 'The decision must be approve or deny.'],
    ['a decision twice', 'decision=approve&decision=deny', 400, 'The form field decision was sent twice.'],
    ['an unexpected field', 'decision=approve&person=bob', 400, 'The form field person is not expected.'],
    [
      'a reason over 500 characters',
      `decision=approve&reason=${'x'.repeat(501)}`,
      400,
      'Your reason is too long',
    ],
  ])('answers %s with %i and spends nothing', async (_what, body, status, text) => {
    const token = await given();
    const page = await post(token, body);
    expect(page.statusCode).toBe(status);
    expect(page.body).toContain(text);
    expect(usedAt()).toBeUndefined();
    expect(state()).toEqual(pending());
  });

  it('answers a body that is no form with 415 and spends nothing', async () => {
    const token = await given();
    const page = await post(token, '{"decision":"approve"}', { 'content-type': 'application/json' });
    expect(page.statusCode).toBe(415);
    expect(usedAt()).toBeUndefined();
  });

  it.each([
    ['tampered', (t: string) => `${t.slice(0, -3)}${t.endsWith('AAA') ? 'BBB' : 'AAA'}`, 400],
    ['expired', (t: string) => t, 410],
  ])('answers a %s link with %i and changes nothing', async (what, mangle, status) => {
    const token = await given();
    if (what === 'expired') now = new Date('2026-11-24T11:00:00.000Z');
    const page = await post(mangle(token), 'decision=approve');
    expect(page.statusCode).toBe(status);
    expect(state()).toEqual(pending());
    expect(store.events).toHaveLength(0);
    expect(usedAt()).toBeUndefined();
  });

  it('refuses, without deciding, a link for a request that is no longer pending', async () => {
    const token = await given(pending({ status: 'denied' }));
    const page = await post(token, 'decision=approve');
    expect(page.statusCode).toBe(409);
    expect(page.body).toContain('is already denied');
    expect(state().status).toBe('denied');
  });
});

describe('html', () => {
  it('escapes every interpolated value, in text and attributes', () => {
    const evil = `"><script>alert('x')</script>&\``;
    expect(html`<p title="${evil}">${evil}</p>`.toString()).toBe(
      '<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;</p>',
    );
  });

  it('nests fragments without escaping them twice, and drops empty values', () => {
    const items = ['a<b', 'c'].map((x) => html`<li>${x}</li>`);
    expect(html`<ul>${items}${undefined}${false}${null}</ul>`.toString()).toBe(
      '<ul><li>a&lt;b</li><li>c</li></ul>',
    );
  });
});
