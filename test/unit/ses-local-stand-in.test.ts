import { describe, expect, it } from 'vitest';
import { localEmailChannel } from '../../local/email-stand-in.ts';
import type { OutboxMessage } from '../../local/outbox.ts';
import { hashApprovalToken } from '../../shared/domain/approval-tokens.ts';
import type { ApprovalTokenRecord } from '../../shared/domain/ports.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import { composeApprovalEmail } from '../../shared/web/approval-email.ts';

const NOW = new Date('2026-11-24T10:00:00.000Z');
const request = {
  id: 'r-1',
  profile: 'orders-it',
  requester: 'repo:acme/orders:ref:refs/heads/feature',
  requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/feature', actor: 'carol' },
  status: 'pending_approval',
  permissions: [],
  sessionPolicy: { Version: '2012-10-17', Statement: [] },
  sessionPolicyHash: 'h',
  durationSeconds: 1800,
  reason: 'it',
  approvals: [],
  approvalRoute: { kind: 'human', approvers: ['alice'], minApprovals: 1 },
  createdAt: NOW.toISOString(),
  updatedAt: NOW.toISOString(),
  approvalDeadline: '2026-11-24T10:30:00.000Z',
  version: 1,
  auditHead: 'x',
  auditCount: 1,
} satisfies AccessRequest;

describe('local email stand-in', () => {
  it('writes the SES message to the outbox: address, text, the one link, subject and HTML', async () => {
    const messages: OutboxMessage[] = [];
    const saved: ApprovalTokenRecord[] = [];
    const runtime = {
      store: { saveApprovalToken: async (r: ApprovalTokenRecord) => void saved.push(r) },
      clock: { now: () => NOW },
      secrets: { slackSigningSecret: '', approvalTokenKey: new Uint8Array(32).fill(1) },
      config: { people: {}, groups: {}, profiles: {} },
    };
    const channel = localEmailChannel({
      outbox: { add: (m) => void messages.push(m) },
      publicUrl: 'http://127.0.0.1:8787',
      runtime: () => runtime,
    });

    const summary = await channel.send(request, [{ name: 'alice', email: 'alice@example.com' }]);

    expect(channel.name).toBe('email');
    expect(summary).toBe('sent to alice');
    expect(messages).toHaveLength(1);
    const [message] = messages as [OutboxMessage];
    const link = message.links![0]!;
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:8787\/approvals\/v1\.[\w-]+\.[\w-]+$/);
    const expected = composeApprovalEmail({ request, person: 'alice', link });
    expect(message).toEqual({
      channel: 'email',
      to: 'alice@example.com',
      requestId: 'r-1',
      text: expected.text,
      links: [link],
      at: NOW.toISOString(),
      extra: { subject: expected.subject, html: expected.html },
    });
    expect(saved).toEqual([
      {
        tokenHash: hashApprovalToken(link.split('/approvals/')[1]!),
        requestId: 'r-1',
        person: 'alice',
        expiresAt: request.approvalDeadline,
      },
    ]);
  });
});
