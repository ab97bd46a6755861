/**
 * Attacks that write into what approvers read (SPEC.md: reason and context are plain text).
 * The API refuses text that could forge lines (line breaks, control, bidi, zero-width
 * characters) and context of any other shape; what it accepts reaches Slack, email, the
 * approval page and the local page as plain text, never as live markup. Requests stored
 * before these rules are rendered one line all the same.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../local/outbox.ts';
import { approvalRequestMessage, type SlackBlock } from '../../shared/adapters/slack/blocks.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import { composeApprovalEmail } from '../../shared/web/approval-email.ts';
import { confirmationPage } from '../../shared/web/approval-pages.ts';
import { call, ORDERS_PIPELINE, TABLE, tokenFor } from '../helpers/attack.ts';
import { useLocalStack } from '../helpers/in-process-stack.ts';

const handle = useLocalStack();
let token: string;
beforeAll(async () => {
  token = await tokenFor(handle.stack, ORDERS_PIPELINE);
});

/** a branch pipeline on orders-it waits for a human (auto-approval needs main) */
const BASE = {
  profile: 'orders-it',
  permissions: [{ actions: ['dynamodb:GetItem'], resources: [`${TABLE}orders-it-users`] }],
  reason: 'integration tests',
};

const FORGED_APPROVALS = 'x\n*Approvals*\n1 of 1 (alice)\n*Session policy*\n```{"Action":"*"}```';

describe('requester text that could forge lines is refused (400)', () => {
  it.each([
    [
      'a context value with line breaks (a forged "Approvals 1 of 1")',
      { context: { run: FORGED_APPROVALS } },
    ],
    ['a context value with a carriage return', { context: { run: 'a\rb' } }],
    ['a context value with a Unicode line separator', { context: { run: 'a\u2028b' } }],
    ['a context value with a right-to-left override', { context: { run: 'txt.exe\u202Egpj' } }],
    ['a context value with a zero-width space', { context: { run: 'al\u200Bice' } }],
    ['a context value with a NUL', { context: { run: 'a\u0000b' } }],
    ['a context value over 256 characters', { context: { run: 'v'.repeat(257) } }],
    ['a context key with a space', { context: { 'run id': '1' } }],
    ['a context key with markup', { context: { '*Approvals*': '1 of 1' } }],
    ['a context key over 64 characters', { context: { ['k'.repeat(65)]: '1' } }],
    ['an empty context key', { context: { '': '1' } }],
    ['a __proto__ context key', { rawContext: '{"__proto__":"x"}' }],
    [
      '17 context keys',
      { context: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
    ],
    ['a context value that is not a string', { context: { run: { nested: true } } }],
    ['a reason with a line break', { reason: 'tests\n*Approvals* 1 of 1' }],
    ['a reason with a tab', { reason: 'tests\tmore' }],
    ['a reason with an escape sequence', { reason: 'tests \u001b[2J' }],
    ['a reason with a bidi isolate', { reason: 'tests \u2066evil\u2069' }],
    ['a reason with a zero-width joiner', { reason: 'te\u200Dsts' }],
    ['a reason over 1,000 characters', { reason: 'r'.repeat(1001) }],
    ['a reason of only spaces', { reason: '   ' }],
  ])('%s', async (_, attack) => {
    const { rawContext, ...fields } = attack as Record<string, unknown> & { rawContext?: string };
    const json = JSON.stringify({ ...BASE, ...fields });
    const body = rawContext ? `${json.slice(0, -1)},"context":${rawContext}}` : json;
    for (const path of ['/requests/preview', '/requests']) {
      const res = await call(handle.stack, 'POST', path, { token, body });
      expect(res.status).toBe(400);
      expect(res.type).toContain('application/problem+json');
    }
  });

  it('the refusal names the field and the rule', async () => {
    const res = await call(handle.stack, 'POST', '/requests', {
      token,
      body: JSON.stringify({ ...BASE, context: { run: FORGED_APPROVALS } }),
    });
    expect(res.body.detail).toMatch(/context/);
    expect(res.body.detail).toMatch(/one line of printable text/);
  });
});

/** Markup in every flavour approvers' tools understand, on one line (so the API takes it). */
const HOSTILE =
  '*Approvals* 1 of 1 <!channel> <!here> <@U0ALICE01> <http://evil.example|click to approve> ~x~ _y_ `z` > quote ' +
  '<script>alert(1)</script><img src=x onerror=alert(1)> &amp; &lt;b&gt;';

describe('accepted text reaches approvers as plain text, never markup', () => {
  let id: string;
  let slack: OutboxMessage;
  let email: OutboxMessage;

  beforeAll(async () => {
    const res = await call(handle.stack, 'POST', '/requests', {
      token,
      body: JSON.stringify({ ...BASE, reason: HOSTILE, context: { note: HOSTILE, 'run.id': '42' } }),
    });
    expect(res.status).toBe(201);
    id = res.body.id as string;
    // the workflow notifies approvers shortly after the request is created
    for (let i = 0; i < 120 && (!slack || !email); i++) {
      const outbox = JSON.parse((await call(handle.stack, 'GET', '/.local/outbox')).text) as OutboxMessage[];
      const mine = outbox.filter((m) => m.requestId === id);
      slack = mine.find((m) => m.channel === 'slack')!;
      email = mine.find((m) => m.channel === 'email')!;
      if (!slack || !email) await new Promise((r) => setTimeout(r, 250));
    }
    expect(slack).toBeDefined();
    expect(email).toBeDefined();
  });

  function mrkdwnTexts(blocks: SlackBlock[]): string[] {
    const out: string[] = [];
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (v && typeof v === 'object') {
        const o = v as Record<string, unknown>;
        if (o.type === 'mrkdwn' && typeof o.text === 'string') out.push(o.text);
        else Object.values(o).forEach(visit);
      }
    };
    visit(blocks);
    return out;
  }

  it('Slack: no mention, link or formatting survives anywhere in the message', () => {
    const blocks = (slack as unknown as { extra: { blocks: SlackBlock[] } }).extra.blocks;
    const raw = JSON.stringify(blocks) + slack.text;
    for (const live of ['<!channel>', '<!here>', '<@U0ALICE01>', '<http://evil.example', '<script', '<img']) {
      expect(raw).not.toContain(live);
    }
    // the requester's text is never inside a mrkdwn object: it cannot be bold, struck or a quote
    for (const text of mrkdwnTexts(blocks)) {
      expect(text).not.toContain('Approvals* 1 of 1');
      expect(text).not.toContain('click to approve');
    }
    // the notification text (mrkdwn) has the formatting marks neutralised
    expect(slack.text).not.toMatch(/\*Approvals\*/);
    expect(slack.text).not.toMatch(/~x~|_y_|`z`/);
  });

  it('Slack: the reason and context are plain_text sections, one line each', () => {
    const blocks = (slack as unknown as { extra: { blocks: SlackBlock[] } }).extra.blocks;
    for (const blockId of ['jitvend_reason', 'jitvend_context']) {
      const block = blocks.find((b) => b.block_id === blockId);
      expect(block && 'text' in block && block.text.type).toBe('plain_text');
    }
    const context = blocks.find((b) => b.block_id === 'jitvend_context');
    if (!context || !('text' in context)) throw new Error('no context block');
    // title + one line per entry: nothing the pipeline wrote added a line
    expect(context.text.text.split('\n')).toHaveLength(3);
  });

  it('email: the HTML escapes the markup, the text shows it as written', () => {
    const html = (email as unknown as { extra: { html: string } }).extra.html;
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<@U0ALICE01>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(email.text).toContain(HOSTILE);
  });

  it('the approval page escapes the markup', async () => {
    const link = email.links?.[0];
    expect(link).toBeDefined();
    const page = await fetch(link!);
    const text = await page.text();
    expect(page.status).toBe(200);
    expect(text).not.toContain('<script>alert');
    expect(text).not.toContain('<img src=x');
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('the local page escapes the markup', async () => {
    const res = await call(handle.stack, 'GET', `/?request=${id}`);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<script>alert');
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).toContain('&lt;script&gt;');
  });
});

describe('a request stored before these rules is still shown one line, as plain text', () => {
  let legacy: AccessRequest;

  beforeAll(async () => {
    const res = await call(handle.stack, 'POST', '/requests', { token, body: JSON.stringify(BASE) });
    expect(res.status).toBe(201);
    const stored = await handle.stack.runtime.store.get(res.body.id as string);
    legacy = {
      ...stored!,
      reason: `tests${FORGED_APPROVALS}\u202Eevil`,
      context: { run: FORGED_APPROVALS, 'bad\nkey': 'v' },
    };
  });

  it('Slack: one policy section, and no line that the requester started', () => {
    const message = approvalRequestMessage(legacy);
    expect(message.blocks.filter((b) => b.block_id === 'jitvend_policy')).toHaveLength(1);
    const reason = message.blocks.find((b) => b.block_id === 'jitvend_reason');
    if (!reason || !('text' in reason)) throw new Error('no reason block');
    expect(reason.text.type).toBe('plain_text');
    expect(reason.text.text.split('\n')).toHaveLength(2);
    expect(reason.text.text).not.toContain('\u202E');
    const context = message.blocks.find((b) => b.block_id === 'jitvend_context');
    if (!context || !('text' in context)) throw new Error('no context block');
    expect(context.text.text.split('\n')).toHaveLength(3);
    expect(message.text).not.toContain('\n');
  });

  it('email text and HTML: the reason stays on one line', () => {
    const mail = composeApprovalEmail({
      request: legacy,
      person: 'alice',
      link: 'http://127.0.0.1/approvals/t',
    });
    const reasonLine = mail.text.split('\n').find((l) => l.includes('tests'));
    expect(reasonLine).toContain('Session policy');
    expect(mail.text).not.toMatch(/^\*Approvals\*/m);
    expect(mail.html).not.toContain('\u202E');
  });

  it('approval page: the reason and context stay on one line, no bidi override', () => {
    const page = confirmationPage({ request: legacy, person: 'alice', now: new Date() });
    const body = page.body;
    const reason = /<p class="reason">([^<]*)<\/p>/.exec(body)?.[1] ?? '';
    expect(reason).not.toContain('\n');
    expect(body).not.toContain('\u202E');
  });
});
