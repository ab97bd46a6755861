/**
 * The local stack as the identity and approval attacks meet it: three trusted issuers (GitHub
 * Actions and a GitLab for pipelines, a login service marked `people: true`), all signed by the
 * local identity provider (the local stack trusts its key for every configured issuer, so a
 * token "from GitLab" with GitHub's `sub` is a real second-issuer token), plus HTTP helpers:
 * tokens, API calls, signed Slack clicks and email approval links.
 */
import { once } from 'node:events';
import { expect } from 'vitest';
import type { NotifyingStore } from '../../local/notifying-store.ts';
import { LOCAL_ISSUER_URL } from '../../local/oidc-issuer.ts';
import { LOCAL_SLACK_SIGNING_SECRET } from '../../local/stack.ts';
import { signSlackRequest } from '../../shared/adapters/slack/signature.ts';
import { parseConfig } from '../../shared/config.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import { type StackHandle, useLocalStack } from '../helpers/in-process-stack.ts';

export const GITHUB = 'https://token.actions.githubusercontent.com';
export const GITLAB = 'https://gitlab.example.com';
export const LOGIN = 'https://login.example.com';
export const LOCAL = LOCAL_ISSUER_URL;
export const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
export const SLACK = {
  alice: 'U0ALICE01',
  bob: 'U0BOB0001',
  kim: 'U0KIM0001',
  mallory: 'U0MALLORY',
} as const;

const CONFIG = `
issuers:
  - { issuer: "${GITHUB}", audience: jitvend }
  - { issuer: "${GITLAB}", audience: jitvend }
  - { issuer: "${LOGIN}", audience: jitvend, people: true }
# requests stored before issuer-scoped identity are GitHub's here (the local stack's default is its own issuer)
legacyRequesterIssuer: "${GITHUB}"
people:
  alice: { slack: U0ALICE01, email: alice@example.com, github: alice }
  bob: { slack: U0BOB0001, email: bob@example.com, github: bob }
  kim: { slack: U0KIM0001, email: kim@example.com }
  mallory: { slack: U0MALLORY, email: mallory@example.com }
groups:
  leads: [alice, bob, kim]
profiles:
  orders-it:
    roleArn: arn:aws:iam::123456789012:role/jitvend-orders-it
    requesters: [{ repository: "acme/orders" }]
    allow:
      - actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
        resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*"]
    approval:
      autoApprove: [{ readOnly: true, claims: { ref: "refs/heads/main" } }]
      approvers: [leads]
      minApprovals: 1
      timeoutSeconds: 1800
  pinned-it:
    roleArn: arn:aws:iam::123456789012:role/jitvend-pinned-it
    # a requester entry naming iss admits that issuer's tokens only
    requesters: [{ iss: "${GITHUB}", repository: "acme/orders" }]
    allow:
      - actions: ["dynamodb:GetItem"]
        resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*"]
    approval:
      approvers: [leads]
`;

export function useSecurityStack(): StackHandle {
  return useLocalStack({
    config: parseConfig(CONFIG, 'security.config.yaml'),
    waitTimeOverrides: { WaitUntilExpiry: 600_000 },
  });
}

export interface Answer {
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

export function client(handle: StackHandle) {
  const url = () => handle.stack.url;

  async function token(claims: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${url()}/.local/oidc/token`, {
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
    tok?: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: {
        ...(tok ? { authorization: `Bearer ${tok}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: text?.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text },
    };
  }

  /** a pipeline token of `issuer` for acme/orders on `ref` (sub in GitHub's shape unless given) */
  const pipeline = (issuer: string, ref = 'refs/heads/feature', extra: Record<string, unknown> = {}) =>
    token({
      iss: issuer,
      sub: `repo:acme/orders:ref:${ref}`,
      repository: 'acme/orders',
      ref,
      ...extra,
    });

  /** a person's token from the people issuer (login service) */
  const person = (name: string, extra: Record<string, unknown> = {}) =>
    token({ iss: LOGIN, sub: `user:${name}`, email: `${name}@example.com`, email_verified: true, ...extra });

  async function create(
    tok: string,
    body: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    return call(
      'POST',
      '/requests',
      tok,
      {
        profile: 'orders-it',
        permissions: [{ actions: ['dynamodb:PutItem'], resources: [TABLE] }],
        reason: 'security test',
        ...body,
      },
      headers,
    );
  }

  /**
   * a request waiting for people (write access, not auto-approved), created with `tok`, once
   * its approvers were notified (the workflow's last write before it waits: from then on only
   * decisions change the request, so its version and audit count can be compared)
   */
  async function pending(tok: string): Promise<string> {
    const created = await create(tok);
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending_approval');
    const id = created.body.id as string;
    await notified(id);
    return id;
  }

  /** an auto-approved (read-only, main) request of `tok`, once issued */
  async function issued(tok: string): Promise<string> {
    const created = await create(tok, {
      permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await untilStatus(id, tok, 'issued');
    return id;
  }

  async function untilStatus(id: string, tok: string, wanted: string): Promise<Record<string, unknown>> {
    let last: Record<string, unknown> = {};
    for (let i = 0; i < 12; i++) {
      last = (await call('GET', `/requests/${id}?waitSeconds=5`, tok)).body;
      if (last.status === wanted) return last;
    }
    throw new Error(`request ${id} never became ${wanted}: it is ${String(last.status)}`);
  }

  const stored = async (id: string): Promise<AccessRequest> => {
    const request = await handle.stack.runtime.store.get(id);
    if (!request) throw new Error(`request ${id} is not stored`);
    return request;
  };

  /** the parts of a request an outsider must never change */
  const footprint = async (id: string) => {
    const r = await stored(id);
    return { status: r.status, version: r.version, auditCount: r.auditCount, auditHead: r.auditHead };
  };

  /** resolves once the workflow has notified the approvers (their Slack messages and emails exist) */
  async function notified(id: string): Promise<void> {
    const changes = (handle.stack.runtime.store as NotifyingStore).changes;
    for (let i = 0; i < 60; i++) {
      const events = await handle.stack.runtime.store.listAudit(id);
      if (events.some((e) => e.type === 'approvers_notified')) return;
      await Promise.race([once(changes, id), new Promise((r) => setTimeout(r, 200))]);
    }
    throw new Error(`request ${id}: approvers were never notified`);
  }

  /** a signed Slack button click; resolves with the HTTP status and the answer the clicker got */
  async function slackClick(user: string, id: string, action = 'jitvend_approve') {
    const responseUrl = `${url()}/.local/slack/response?to=${user}&requestId=${id}`;
    const payload = {
      type: 'block_actions',
      user: { id: user },
      response_url: responseUrl,
      actions: [{ type: 'button', action_id: action, value: id }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const headers = signSlackRequest(LOCAL_SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000), body);
    const res = await fetch(`${url()}/slack/interactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
    });
    const answers = handle.stack.outbox
      .list()
      .filter((m) => m.to === user && m.requestId === id && m.extra?.update === true);
    return { status: res.status, answer: answers[answers.length - 1]?.text };
  }

  /** the email approval link `name` got for request `id` */
  function emailLink(name: string, id: string): string {
    const email = handle.stack.outbox
      .list()
      .find((m) => m.channel === 'email' && m.to === `${name}@example.com` && m.requestId === id);
    const link = email?.links?.[0];
    if (!link) throw new Error(`${name} got no approval email for ${id}`);
    return link;
  }

  async function emailDecision(link: string, decision: 'approve' | 'deny') {
    const res = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision }).toString(),
    });
    return { status: res.status, page: await res.text() };
  }

  return {
    token,
    call,
    pipeline,
    person,
    create,
    pending,
    issued,
    untilStatus,
    stored,
    footprint,
    notified,
    slackClick,
    emailLink,
    emailDecision,
  };
}
