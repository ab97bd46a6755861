import { describe, expect, it } from 'vitest';
import { approvalText, escapeMarkdown, jobSummary } from '../../action/src/summary.ts';
import type { RequestView } from '../../cli/api-types.ts';

const view: RequestView = {
  id: 'req-1',
  profile: 'orders-it',
  requester: 'repo:acme/orders:ref:refs/heads/main',
  status: 'issued',
  permissions: [],
  sessionPolicy: {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }],
  },
  durationSeconds: 900,
  reason: 'tests | <img src=x onerror=alert(1)> **bold** [link](http://evil)',
  approvals: [],
  approval: { route: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
  createdAt: '2026-11-29T20:00:00.000Z',
};

describe('action job summary', () => {
  it('names the request, profile, expiry and policy, with a link to the local page', () => {
    const md = jobSummary({ api: 'http://127.0.0.1:8787', view, expiration: '2026-11-29T20:15:00.000Z' });
    expect(md).toContain('| Request | `req-1` |');
    expect(md).toContain('| Profile | `orders-it` |');
    expect(md).toContain('| Expires | 2026-11-29T20:15:00.000Z |');
    expect(md).toContain('[request page](http://127.0.0.1:8787/?request=req-1)');
    expect(md).toContain('```json\n{\n  "Version": "2012-10-17"');
    expect(md).not.toContain('| Window |');
  });

  it('a renewing profile written: until when it renews; one session exported: no such row', () => {
    const windowed = { ...view, windowSeconds: 7200, windowEndsAt: '2026-11-29T22:00:00.000Z' };
    const input = { api: 'http://127.0.0.1:8787', view: windowed, expiration: '2026-11-29T20:15:00.000Z' };
    expect(jobSummary({ ...input, renewedUntil: '2026-11-29T22:00:00.000Z' })).toContain(
      '| Window | renewed through the `jitvend` AWS profile until 2026-11-29T22:00:00.000Z |',
    );
    expect(jobSummary(input)).not.toContain('| Window |');
  });

  it('shows what requesters wrote as text: no HTML, links, emphasis or extra table cells', () => {
    const md = jobSummary({ api: 'https://jitvend.example.com', view, expiration: 'x' });
    const reasonRow = md.split('\n').find((line) => line.startsWith('| Reason |'))!;
    expect(reasonRow).toBe(
      '| Reason | tests \\| &lt;img src=x onerror=alert(1)&gt; \\*\\*bold\\*\\* \\[link\\](http://evil) |',
    );
    expect(md).toContain('`jitvend status req-1 --api https://jitvend.example.com --format text`');
    expect(md).not.toContain('<img');
  });

  it('says who approved, or which rule did', () => {
    expect(
      approvalText({
        approvals: [
          {
            person: 'alice',
            decision: 'approve',
            channel: 'slack',
            at: '2026-11-29T20:01:00Z',
            reason: 'ok',
          },
          { person: 'bob', decision: 'approve', channel: 'email', at: '2026-11-29T20:02:00Z' },
        ],
      }),
    ).toBe(
      'approved by alice via slack at 2026-11-29T20:01:00Z (ok)<br>approved by bob via email at 2026-11-29T20:02:00Z',
    );
    expect(approvalText({ approvals: [], approval: { route: 'auto', rule: 0 } })).toBe(
      'auto-approved (autoApprove rule 0 of the profile)',
    );
  });

  it('keeps a fence unbroken whatever the policy holds', () => {
    const md = jobSummary({
      api: 'https://x',
      view: { ...view, sessionPolicy: { note: '```' } },
      expiration: 'x',
    });
    expect(md).toContain('````json');
    expect(escapeMarkdown('a\nb')).toBe('a b');
  });
});
