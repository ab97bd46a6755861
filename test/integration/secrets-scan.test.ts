/**
 * No secret leaks: after real flows on the local stack (auto-approved, email approval,
 * Slack approval, revocation), scan every audit event, the audit sink's files, every log
 * line and the pages people see for the credentials delivered, the Step Functions task
 * tokens and the email approval tokens.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_SLACK_SIGNING_SECRET, type LocalStack, startLocalStack } from '../../local/stack.ts';
import { signSlackRequest } from '../../shared/adapters/slack/signature.ts';
import { sharedStackOptions } from '../helpers/dynamodb.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const logs: string[] = [];
const taskTokens: string[] = [];
const secrets: string[] = [];
let dataDir: string;
let stack: LocalStack;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-secrets-'));
  stack = await startLocalStack({
    ...sharedStackOptions(),
    dataDir,
    port: 0,
    logLevel: 'info',
    logWrite: (line) => logs.push(line),
    waitTimeOverrides: { WaitUntilExpiry: 600_000 },
  });
  // record every task token the workflow hands to the store
  const store = stack.runtime.store;
  const save = store.saveTaskToken.bind(store);
  store.saveTaskToken = (id, token, expiresAt) => {
    taskTokens.push(token);
    return save(id, token, expiresAt);
  };
});
afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

async function untilStatus(id: string, token: string, wanted: string) {
  for (let i = 0; i < 10; i++) {
    if ((await call('GET', `/requests/${id}?waitSeconds=5`, token)).body.status === wanted) return;
  }
  throw new Error(`${id} never became ${wanted}`);
}

async function deliver(id: string, token: string) {
  const { status, body } = await call('POST', `/requests/${id}/credentials`, token);
  expect(status).toBe(200);
  secrets.push(String(body.accessKeyId), String(body.secretAccessKey), String(body.sessionToken));
}

async function outbox() {
  return (await call('GET', '/.local/outbox')).text;
}

async function waitForOutbox(requestId: string, channel: string) {
  for (let i = 0; i < 50; i++) {
    const messages = JSON.parse(await outbox()) as Array<{
      channel: string;
      requestId: string;
      links?: string[];
      extra?: { response_url?: string };
    }>;
    const found = messages.filter((m) => m.requestId === requestId && m.channel === channel);
    if (found.length > 0) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${channel} message for ${requestId}`);
}

describe('secrets never leak', () => {
  const ids: string[] = [];

  it('runs the flows that handle every kind of secret', async () => {
    const main = await stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/main',
      repository: 'acme/orders',
      ref: 'refs/heads/main',
    });
    const feature = await stack.oidc.sign({
      sub: 'repo:acme/orders:ref:refs/heads/f',
      repository: 'acme/orders',
      ref: 'refs/heads/f',
      actor: 'carol',
    });
    const body = {
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
      reason: 'scan',
    };

    // 1. auto-approved
    const auto = (await call('POST', '/requests', main, body)).body.id as string;
    await untilStatus(auto, main, 'issued');
    await deliver(auto, main);

    // 2. approved by email link
    const byEmail = (await call('POST', '/requests', feature, body)).body.id as string;
    const [email] = await waitForOutbox(byEmail, 'email');
    const link = email!.links![0]!;
    expect((await fetch(link)).status).toBe(200);
    const decided = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'decision=approve',
    });
    expect(decided.status).toBe(200);
    await untilStatus(byEmail, feature, 'issued');
    await deliver(byEmail, feature);

    // 3. approved on Slack, then revoked
    const bySlack = (await call('POST', '/requests', feature, body)).body.id as string;
    const [slack] = await waitForOutbox(bySlack, 'slack');
    const form = new URLSearchParams({
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: 'U0ALICE01' },
        response_url: slack!.extra!.response_url,
        actions: [{ type: 'button', action_id: 'jitvend_approve', value: bySlack }],
      }),
    }).toString();
    const click = await fetch(`${stack.url}/slack/interactions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signSlackRequest(LOCAL_SLACK_SIGNING_SECRET, Math.floor(Date.now() / 1000), form),
      },
      body: form,
    });
    expect(click.status).toBe(200);
    await untilStatus(bySlack, feature, 'issued');
    await deliver(bySlack, feature);
    const alice = await stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });
    expect((await call('POST', `/requests/${bySlack}/revoke`, alice, { reason: 'scan' })).status).toBe(200);

    ids.push(auto, byEmail, bySlack);
    expect(secrets).toHaveLength(9);
    expect(taskTokens.length).toBeGreaterThanOrEqual(2);
  });

  it('finds none of them in audit events, audit files, logs or pages', async () => {
    const approvalTokens = [...(await outbox()).matchAll(/\/approvals\/([A-Za-z0-9._-]+)/g)].map(
      (m) => m[1]!,
    );
    expect(approvalTokens.length).toBeGreaterThan(0);
    const alice = await stack.oidc.sign({ sub: 'user:alice', email: 'alice@example.com' });

    const places: Record<string, string> = {};
    for (const id of ids) {
      places[`audit events of ${id}`] = JSON.stringify(await stack.runtime.store.listAudit(id));
      places[`GET /requests/${id}`] = (await call('GET', `/requests/${id}`, alice)).text;
      places[`GET /requests/${id}/audit`] = (await call('GET', `/requests/${id}/audit`, alice)).text;
      places[`page of ${id}`] = (await call('GET', `/?request=${id}`)).text;
    }
    // the audit sink (the local stream poller ships events within a second or so)
    let files = '';
    for (let i = 0; i < 50 && !files.includes('request_revoked'); i++) {
      const dir = join(dataDir, 'audit');
      const names = await readdir(dir).catch(() => [] as string[]);
      files = (await Promise.all(names.map((n) => readFile(join(dir, n), 'utf8')))).join('\n');
      if (!files.includes('request_revoked')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(files).toContain('request_revoked');
    places['audit sink files'] = files;
    places['log lines'] = logs.join('\n');
    places['an approval page'] = await (await fetch(`${stack.url}/approvals/${approvalTokens[0]}`)).text();

    for (const [where, text] of Object.entries(places)) {
      for (const secret of [...secrets, ...taskTokens]) {
        expect(text.includes(secret), `a credential or task token appears in ${where}`).toBe(false);
      }
      if (where !== 'an approval page' && !where.startsWith('page of')) {
        // the local page mirrors the outbox, whose emails carry their links by design
        for (const token of approvalTokens) {
          expect(text.includes(token), `an approval token appears in ${where}`).toBe(false);
        }
      }
    }
  });
});
