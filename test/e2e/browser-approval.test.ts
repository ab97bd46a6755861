/**
 * An approver's email link in a real browser, end to end on the local stack: the request
 * waits for a human, the email lands in the outbox, opening the link shows the request and
 * decides nothing, clicking Approve lets the pipeline fetch its credentials, and the link
 * never works twice.
 *
 * Set JITVEND_SCREENSHOTS=<dir> to keep screenshots of the pages.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localChannels } from '../../local/channels.ts';
import { localEmailChannel } from '../../local/email-stand-in.ts';
import type { OutboxMessage } from '../../local/outbox.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { FanoutNotifier } from '../../shared/adapters/notify/fanout-notifier.ts';
import { launchChromium } from '../helpers/browser.ts';
import { sharedStackOptions } from '../helpers/dynamodb.ts';

const FEATURE = {
  sub: 'repo:acme/orders:ref:refs/heads/feature',
  repository: 'acme/orders',
  ref: 'refs/heads/feature',
  actor: 'carol',
};
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const REASON = 'seed <orders> fixtures & run "checkout" tests';

/** the part of `window` the page checks use (tsconfig has no DOM lib) */
interface BrowserWindow {
  getComputedStyle(element: unknown): { backgroundColor: string };
}

let dataDir: string;
let stack: LocalStack;
let browser: Browser;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-browser-'));
  [stack, browser] = await Promise.all([
    startLocalStack({ ...sharedStackOptions(), dataDir, port: 0, logLevel: 'silent' }),
    launchChromium(),
  ]);
  // until local/channels.ts sends email, send it from here (test only)
  const wired = localChannels({ outbox: stack.outbox, publicUrl: stack.url, runtime: () => stack.runtime });
  if (!wired.some((c) => c.name === 'email')) {
    stack.runtime.notifier = new FanoutNotifier(
      [localEmailChannel({ outbox: stack.outbox, publicUrl: stack.url, runtime: () => stack.runtime })],
      stack.runtime.logger,
    );
  }
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function api(
  method: 'GET' | 'POST',
  path: string,
  token?: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function pipelineToken(): Promise<string> {
  const { status, body } = await api('POST', '/.local/oidc/token', undefined, { claims: FEATURE });
  expect(status).toBe(200);
  return body.token as string;
}

/** Polls the outbox (bounded) until the request's email to `to` is there. */
async function emailTo(to: string, requestId: string): Promise<OutboxMessage> {
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${stack.url}/.local/outbox`);
    const messages = (await res.json()) as OutboxMessage[];
    const found = messages.find((m) => m.channel === 'email' && m.to === to && m.requestId === requestId);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no email to ${to} for request ${requestId} in the outbox`);
}

async function waitForStatus(id: string, token: string, wanted: string): Promise<void> {
  let last: unknown;
  for (let i = 0; i < 10; i++) {
    const { status, body } = await api('GET', `/requests/${id}?waitSeconds=5`, token);
    expect(status).toBe(200);
    last = body.status;
    if (last === wanted) return;
  }
  throw new Error(`request ${id} is ${String(last)}, never became ${wanted}`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  const dir = process.env.JITVEND_SCREENSHOTS;
  if (dir) await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

describe('approving from the email link in a browser', () => {
  it('shows the request, decides nothing on opening, approves on click, and never works twice', async () => {
    const token = await pipelineToken();
    const created = await api('POST', '/requests', token, {
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: [TABLE] }],
      durationSeconds: 900,
      reason: REASON,
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('pending_approval');
    const id = created.body.id as string;

    const email = await emailTo('alice@example.com', id);
    expect(email.extra?.subject).toBe(
      '[jitvend] Approval needed: orders-it for acme/orders (refs/heads/feature)',
    );
    expect(email.links).toHaveLength(1);
    const link = email.links![0]!;
    expect(link.startsWith(`${stack.url}/approvals/v1.`)).toBe(true);
    expect(email.text).toContain(link);
    const bobs = await emailTo('bob@example.com', id);
    expect(bobs.links![0]).not.toBe(link);

    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      // CSP violations land here; the 4xx answers the test expects do too
      if (m.type() === 'error' && !/status of 4\d\d/.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));

    // opening the link shows the request
    const opened = await page.goto(link);
    expect(opened?.status()).toBe(200);
    expect(opened?.headers()['referrer-policy']).toBe('no-referrer');
    await expect(page.title()).resolves.toBe('Approve access to orders-it? · jitvend');
    const main = page.locator('main');
    expect(await main.textContent()).toContain(REASON); // shown as text, never as markup
    // the exact session policy the credentials will carry
    const before = await api('GET', `/requests/${id}`, token);
    expect(await page.locator('pre').textContent()).toBe(JSON.stringify(before.body.sessionPolicy, null, 2));
    expect(await page.locator('pre').textContent()).toContain('dynamodb:PutItem');
    const text = await main.textContent();
    for (const fact of [
      'acme/orders',
      'refs/heads/feature',
      'carol',
      '15 min',
      '0 of 1',
      'waiting for approval',
    ]) {
      expect(text).toContain(fact);
    }
    // the style sheet is allowed by the CSP: the Approve button is green
    await expect(
      page
        .getByRole('button', { name: 'Approve' })
        .evaluate((b) => (globalThis as unknown as BrowserWindow).getComputedStyle(b).backgroundColor),
    ).resolves.toBe('rgb(26, 127, 55)');
    await screenshot(page, 'approval-page');

    // ... and decided nothing (mail scanners open links too)
    await page.reload();
    const view = await api('GET', `/requests/${id}`, token);
    expect(view.body.status).toBe('pending_approval');
    expect(view.body.approvals).toEqual([]);

    // clicking Approve decides
    await page.getByLabel('Your reason').fill('fixtures only, fine');
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Approve' }).click(),
    ]);
    expect(answer.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe(
      'Approved. The pipeline gets its credentials now.',
    );
    await screenshot(page, 'approved');

    // the pipeline gets its credentials
    await waitForStatus(id, token, 'issued');
    const credentials = await api('POST', `/requests/${id}/credentials`, token);
    expect(credentials.status).toBe(200);
    expect(credentials.body).toMatchObject({
      accessKeyId: expect.any(String),
      sessionToken: expect.any(String),
    });
    const approved = await api('GET', `/requests/${id}`, token);
    expect(approved.body.approvals).toEqual([
      expect.objectContaining({
        person: 'alice',
        decision: 'approve',
        channel: 'email',
        reason: 'fixtures only, fine',
      }),
    ]);

    // the used link says so, and changes nothing
    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    await expect(page.locator('h1').textContent()).resolves.toBe('This link was already used');
    await screenshot(page, 'already-used');

    // bob's link still opens, but the request no longer waits for anyone
    const bobsPage = await page.goto(bobs.links![0]!);
    expect(bobsPage?.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('This request is already issued');
    expect(await page.locator('form').count()).toBe(0);

    expect(problems).toEqual([]);
    await page.close();
  });

  it('answers a tampered link with a page that says it is not valid', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${stack.url}/approvals/v1.eyJyIjoieCJ9.AAAA`);
    expect(res?.status()).toBe(400);
    await expect(page.locator('h1').textContent()).resolves.toBe('This link is not valid');
    await page.close();
  });
});
