import { SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { SesEmailChannel } from '../../shared/adapters/ses/email-channel.ts';
import { hashApprovalToken, verifyApprovalToken } from '../../shared/domain/approval-tokens.ts';
import type { ApprovalTokenRecord } from '../../shared/domain/ports.ts';
import type { Person } from '../../shared/domain/profile.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import { composeApprovalEmail } from '../../shared/web/approval-email.ts';

const KEY = new Uint8Array(32).fill(3);
const NOW = new Date('2026-11-24T10:00:00.000Z');
const FROM = 'jitvend <jitvend@example.com>';
const PUBLIC_URL = 'https://api.example.com';
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

function request(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: '0f8e0c2a-6a57-4d39-9d5b-8a1f1f9b2c11',
    profile: 'orders-it',
    requester: 'repo:acme/orders:ref:refs/heads/feature',
    requesterClaims: {
      repository: 'acme/orders',
      ref: 'refs/heads/feature',
      actor: 'carol',
      run_id: '4242',
    },
    initiator: 'carol',
    status: 'pending_approval',
    permissions: [{ actions: ['dynamodb:PutItem'], resources: POLICY.Statement[0]!.Resource }],
    sessionPolicy: POLICY,
    sessionPolicyHash: 'h',
    durationSeconds: 900,
    reason: 'seed <b>fixtures</b> & run "it"',
    approvals: [],
    approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
    createdAt: '2026-11-24T09:59:00.000Z',
    updatedAt: '2026-11-24T09:59:00.000Z',
    approvalDeadline: '2026-11-24T10:30:00.000Z',
    version: 2,
    auditHead: 'x',
    auditCount: 2,
    ...overrides,
  };
}

const ALICE: Person = { name: 'alice', email: 'alice@example.com', slack: 'U0ALICE01' };
const BOB: Person = { name: 'bob', email: 'bob@example.com' };
const DAVE: Person = { name: 'dave', slack: 'U0DAVE001' };

const ses = mockClient(SESv2Client);
afterEach(() => {
  ses.reset();
});

function channel(options: { configurationSet?: string; failSave?: boolean } = {}) {
  const saved: ApprovalTokenRecord[] = [];
  const store = {
    async saveApprovalToken(record: ApprovalTokenRecord) {
      if (options.failSave) throw new Error('table gone');
      saved.push(record);
    },
  };
  const email = new SesEmailChannel({
    from: FROM,
    ...(options.configurationSet ? { configurationSet: options.configurationSet } : {}),
    publicUrl: PUBLIC_URL,
    store,
    clock: { now: () => NOW },
    approvalTokenKey: KEY,
    profileDescription: (p) => (p === 'orders-it' ? 'Integration tests of the orders service' : undefined),
    client: new SESv2Client({ region: 'us-east-1' }),
  });
  return { email, saved };
}

type SentInput = {
  Destination: { ToAddresses: string[] };
  Content: {
    Simple: { Subject: { Data: string }; Body: { Text: { Data: string }; Html: { Data: string } } };
  };
};

function sent(): SentInput[] {
  return ses.commandCalls(SendEmailCommand).map((call) => call.args[0].input as SentInput);
}

function linkIn(text: string): string {
  const match = /https:\/\/api\.example\.com\/approvals\/(v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/.exec(text);
  if (!match) throw new Error('no approval link in the message');
  return match[0];
}

describe('SES email channel', () => {
  it('is the email channel', () => {
    expect(channel().email.name).toBe('email');
  });

  it('sends each approver with an address one message, from the configured identity', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const { email } = channel();

    const summary = await email.send(request(), [ALICE, BOB]);

    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 2);
    const subject = '[jitvend] Approval needed: orders-it for acme/orders (refs/heads/feature)';
    for (const to of ['alice@example.com', 'bob@example.com']) {
      expect(ses).toHaveReceivedCommandWith(SendEmailCommand, {
        FromEmailAddress: FROM,
        Destination: { ToAddresses: [to] },
        Content: {
          Simple: expect.objectContaining({
            Subject: { Data: subject, Charset: 'UTF-8' },
            Body: {
              Text: { Data: expect.stringContaining(`${PUBLIC_URL}/approvals/v1.`), Charset: 'UTF-8' },
              Html: { Data: expect.stringContaining(`href="${PUBLIC_URL}/approvals/v1.`), Charset: 'UTF-8' },
            },
          }),
        },
      });
    }
    expect(ses.commandCalls(SendEmailCommand)[0]!.args[0].input.ConfigurationSetName).toBeUndefined();
    expect(summary).toBe('sent to alice, bob');
  });

  it('uses the configuration set when one is configured', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await channel({ configurationSet: 'jitvend-approvals' }).email.send(request(), [ALICE]);
    expect(ses).toHaveReceivedCommandWith(SendEmailCommand, { ConfigurationSetName: 'jitvend-approvals' });
  });

  it('gives each approver one personal link whose hash is stored, bound to them and the deadline', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const { email, saved } = channel();
    await email.send(request(), [ALICE, BOB]);

    const messages = sent();
    expect(saved).toHaveLength(2);
    for (const [i, person] of ['alice', 'bob'].entries()) {
      const { Text, Html } = messages[i]!.Content.Simple.Body;
      const link = linkIn(Text.Data);
      // one link per message, the same in both parts
      expect(Text.Data.split('/approvals/')).toHaveLength(2);
      expect(Html.Data.match(/\/approvals\//g)).toHaveLength(2); // the button and the copyable URL
      expect(Html.Data).toContain(`href="${link}"`);
      const token = link.slice(`${PUBLIC_URL}/approvals/`.length);
      const verdict = verifyApprovalToken(token, KEY, NOW);
      expect(verdict).toMatchObject({ ok: true, claims: { requestId: request().id, person } });
      expect(saved[i]).toEqual({
        tokenHash: hashApprovalToken(token),
        requestId: request().id,
        person,
        expiresAt: '2026-11-24T10:30:00.000Z',
      });
      // the store never sees the token itself
      expect(JSON.stringify(saved[i])).not.toContain(token);
    }
    expect(linkIn(messages[0]!.Content.Simple.Body.Text.Data)).not.toBe(
      linkIn(messages[1]!.Content.Simple.Body.Text.Data),
    );
  });

  it('shows repository, branch, actor, run, reason, duration, the exact policy and the deadline', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    await channel().email.send(request(), [ALICE]);
    const { Text, Html } = sent()[0]!.Content.Simple.Body;
    for (const fact of [
      'acme/orders',
      'refs/heads/feature',
      'carol',
      'https://github.com/acme/orders/actions/runs/4242',
      'seed <b>fixtures</b> & run "it"',
      '15 min',
      '2026-11-24 10:30 UTC',
      'Integration tests of the orders service',
      // the exact policy, indented as a block
      JSON.stringify(POLICY, null, 2)
        .split('\n')
        .map((line) => `  ${line}`)
        .join('\n'),
    ]) {
      expect(Text.Data).toContain(fact);
    }
    // the HTML part escapes what the pipeline wrote
    expect(Html.Data).toContain('seed &lt;b&gt;fixtures&lt;/b&gt; &amp; run &quot;it&quot;');
    expect(Html.Data).not.toContain('<b>fixtures</b>');
    expect(Html.Data).toContain('&quot;dynamodb:PutItem&quot;');
    expect(Html.Data).toContain('href="https://github.com/acme/orders/actions/runs/4242"');
  });

  it('skips approvers without an address and says so, without links or addresses in the summary', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const summary = await channel().email.send(request(), [ALICE, DAVE]);
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(summary).toBe('sent to alice; no email address for dave');
    expect(summary).not.toMatch(/approvals|http|@/);
  });

  it('sends nothing when no approver has an address', async () => {
    const { email, saved } = channel();
    expect(await email.send(request(), [DAVE])).toBe(
      'not sent: no approver has an email address; no email address for dave',
    );
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
    expect(saved).toHaveLength(0);
  });

  it('sends nothing once the deadline has passed (a late restart)', async () => {
    const { email } = channel();
    const late = request({ approvalDeadline: '2026-11-24T09:59:59.000Z' });
    expect(await email.send(late, [ALICE])).toBe('not sent: the approval deadline has passed');
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('reports one failed address by error name and still sends the others', async () => {
    ses
      .on(SendEmailCommand, { Destination: { ToAddresses: ['bob@example.com'] } })
      .rejects(
        new SESv2ServiceException({
          name: 'MessageRejected',
          $fault: 'client',
          $metadata: {},
          message: 'Email address is not verified: bob@example.com',
        }),
      )
      .on(SendEmailCommand, { Destination: { ToAddresses: ['alice@example.com'] } })
      .resolves({ MessageId: 'm-1' });
    const summary = await channel().email.send(request(), [ALICE, BOB]);
    expect(summary).toBe('sent to alice; failed for bob (MessageRejected)');
  });

  it('rejects when no message could be sent, so the fan-out reports the channel failed', async () => {
    ses.on(SendEmailCommand).rejects(new Error('throttled'));
    await expect(channel().email.send(request(), [ALICE, BOB])).rejects.toThrow(
      'no approval email could be sent; failed for alice (Error), bob (Error)',
    );
  });

  it('sends nothing when the token hash cannot be stored: a link must never outlive its record', async () => {
    await expect(channel({ failSave: true }).email.send(request(), [ALICE])).rejects.toThrow(
      /no approval email could be sent/,
    );
    expect(ses).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('fails closed without a from address', () => {
    expect(
      () =>
        new SesEmailChannel({
          from: ' ',
          publicUrl: PUBLIC_URL,
          store: { saveApprovalToken: async () => undefined },
          clock: { now: () => NOW },
          approvalTokenKey: KEY,
        }),
    ).toThrow(/from address/);
  });
});

describe('approval email composition', () => {
  const link = `${PUBLIC_URL}/approvals/v1.abc.def`;

  it('keeps the subject on one line whatever the claims hold', () => {
    const sneaky = request({
      requesterClaims: { repository: 'acme/orders\r\nBcc: eve@example.com', ref: 'refs/heads/x' },
    });
    const { subject } = composeApprovalEmail({ request: sneaky, person: 'alice', link });
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toBe(
      '[jitvend] Approval needed: orders-it for acme/orders Bcc: eve@example.com (refs/heads/x)',
    );
  });

  it('never links a run whose claims do not have GitHub shapes', () => {
    const odd = request({
      requesterClaims: { repository: 'acme/orders"><script>', ref: 'main', run_id: 'javascript:alert(1)' },
    });
    const { html, text } = composeApprovalEmail({ request: odd, person: 'alice', link });
    expect(text).not.toContain('github.com');
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('javascript:');
  });

  it('escapes the person and the reason in HTML and keeps them readable in text', () => {
    const { html, text } = composeApprovalEmail({
      request: request({ reason: '</pre><a href="https://evil.example">approve here</a>' }),
      person: 'alice',
      link,
    });
    expect(html).not.toContain('<a href="https://evil.example">');
    expect(html).toContain('&lt;a href=&quot;https://evil.example&quot;&gt;');
    expect(text).toContain('Reason (written by the pipeline):');
  });
});
