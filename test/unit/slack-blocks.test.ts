import { describe, expect, it } from 'vitest';
import {
  approvalRequestMessage,
  decisionLine,
  decisionMessage,
  refusalText,
  SLACK_LIMITS,
  type SlackBlock,
  type SlackMessage,
} from '../../shared/adapters/slack/blocks.ts';
import type { AccessRequest, PolicyDocument } from '../../shared/domain/types.ts';
import { formatDuration, runOf } from '../../shared/web/request-facts.ts';

const runLink = (claims: Record<string, string>) => runOf(claims)?.url;

const POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users',
    },
  ],
};

function pending(overrides: Partial<AccessRequest> = {}): AccessRequest {
  return {
    id: '6f1c2a40-0b7e-4d5e-9a51-1f2e3d4c5b6a',
    profile: 'orders-it',
    requester: 'repo:acme/orders:ref:refs/heads/feature',
    requesterClaims: {
      repository: 'acme/orders',
      ref: 'refs/heads/feature',
      actor: 'carol',
      run_id: '9876543210',
    },
    initiator: 'carol',
    status: 'pending_approval',
    permissions: [],
    sessionPolicy: POLICY,
    sessionPolicyHash: 'h',
    durationSeconds: 1800,
    reason: 'nightly integration tests of the orders service',
    approvals: [],
    approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
    createdAt: '2026-11-24T09:50:00.000Z',
    updatedAt: '2026-11-24T09:50:00.000Z',
    approvalDeadline: '2026-11-24T10:20:00.000Z',
    version: 2,
    auditHead: 'x',
    auditCount: 2,
    ...overrides,
  };
}

/** Every text a reader sees in the blocks, mrkdwn entities decoded. */
function allText(message: SlackMessage): string {
  const texts: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key === 'text' && typeof v === 'string') texts.push(v);
        else visit(v);
      }
    }
  };
  visit(message.blocks);
  return texts.join('\n').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

function block(message: SlackMessage, id: string): SlackBlock {
  const found = message.blocks.find((b) => b.block_id === id);
  if (!found) throw new Error(`no block ${id}`);
  return found;
}

function policyCode(message: SlackMessage): string {
  const policy = block(message, 'jitvend_policy');
  if (!('text' in policy)) throw new Error('policy block has no text');
  const match = /```\n([\s\S]*)\n```/.exec(policy.text.text);
  if (!match) throw new Error('no code block');
  return match[1]!.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
}

describe('the approval request message', () => {
  const message = approvalRequestMessage(pending());

  it('names the repository, branch, actor, run, reason, duration, approvals and deadline', () => {
    const text = allText(message);
    expect(text).toContain('Repository\nacme/orders');
    expect(text).toContain('Branch\nrefs/heads/feature');
    expect(text).toContain('Started by\ncarol');
    expect(text).toContain('<https://github.com/acme/orders/actions/runs/9876543210|#9876543210>');
    expect(text).toContain('Reason\nnightly integration tests of the orders service');
    expect(text).toContain('Duration\n30 min');
    expect(text).toContain('Approvals\n0 of 1');
    expect(text).toContain(`<!date^${Date.parse('2026-11-24T10:20:00.000Z') / 1000}^`);
    expect(text).toContain('|2026-11-24T10:20:00.000Z>');
    expect(text).toContain('Approval needed: orders-it');
  });

  it('shows the exact session policy JSON in a code block', () => {
    expect(policyCode(message)).toBe(JSON.stringify(POLICY, null, 2));
    expect(JSON.parse(policyCode(message))).toEqual(POLICY);
  });

  it('has Approve and Deny buttons that carry the request id and nothing else', () => {
    const actions = block(message, 'jitvend_decision');
    expect(actions.type).toBe('actions');
    if (actions.type !== 'actions') return;
    expect(actions.elements.map((e) => [e.action_id, e.value])).toEqual([
      ['jitvend_approve', pending().id],
      ['jitvend_deny', pending().id],
    ]);
    for (const button of actions.elements) {
      expect(Object.keys(button).sort()).toEqual(
        button.confirm
          ? ['action_id', 'confirm', 'style', 'text', 'type', 'value']
          : ['action_id', 'style', 'text', 'type', 'value'],
      );
    }
    // the only place a request id is a machine value is the buttons; no url or token anywhere
    expect(JSON.stringify(actions)).not.toMatch(/https?:|token/i);
  });

  it('has a plain-text fallback naming the same facts', () => {
    expect(message.text).toBe(
      'jitvend: approval needed for orders-it. acme/orders refs/heads/feature started by carol, 30 min, ' +
        'approvals 0 of 1. Reason: nightly integration tests of the orders service. ' +
        `Request ${pending().id}.`,
    );
  });

  it('keeps pipeline-controlled text from mentioning or linking anything', () => {
    const hostile = approvalRequestMessage(
      pending({
        reason: '<!channel> please approve <https://evil.example|docs>',
        requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/<!here>', actor: 'carol & co' },
        context: { run: '<https://evil.example|run>' },
      }),
    );
    const raw = JSON.stringify(hostile.blocks);
    expect(raw).not.toContain('<!channel>');
    expect(raw).not.toContain('<!here>');
    expect(raw).not.toContain('<https://evil.example');
    expect(hostile.text).not.toContain('<!channel>');
    expect(allText(hostile)).toContain('<!channel> please approve <https://evil.example|docs>');
    expect(allText(hostile)).toContain('refs/heads/<!here>');
    expect(allText(hostile)).toContain('carol & co');
  });

  it('links a run only when the claims have GitHub shapes', () => {
    expect(runLink({ repository: 'acme/orders', run_id: '12' })).toBe(
      'https://github.com/acme/orders/actions/runs/12',
    );
    expect(runLink({ repository: 'acme/orders' })).toBeUndefined();
    expect(runLink({ repository: 'acme/orders|x', run_id: '12' })).toBeUndefined();
    expect(runLink({ repository: 'acme/orders', run_id: '12>' })).toBeUndefined();
    expect(
      allText(approvalRequestMessage(pending({ requesterClaims: { repository: 'acme/orders' } }))),
    ).not.toContain('*Run*');
  });

  it('fits a large policy within Slack limits, compact when it fits, truncated with a note otherwise', () => {
    const resources = Array.from(
      { length: 40 },
      (_, i) => `arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-${i}`,
    );
    const medium: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: resources }],
    };
    const fits = approvalRequestMessage(pending({ sessionPolicy: medium }));
    expect(policyCode(fits)).toBe(JSON.stringify(medium));

    const huge: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: [...resources, ...resources] }],
    };
    const cut = approvalRequestMessage(pending({ sessionPolicy: huge }));
    const section = block(cut, 'jitvend_policy');
    if (!('text' in section)) throw new Error('no text');
    expect(section.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(section.text.text).toMatch(/…\n```\n_Truncated: the full policy is in the request view/);
    expect(JSON.stringify(huge).startsWith(policyCode(cut).replace(/…$/, ''))).toBe(true);
  });

  it('never lets a ``` in the policy close the code block', () => {
    const odd: PolicyDocument = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/```x' }],
    };
    const section = block(approvalRequestMessage(pending({ sessionPolicy: odd })), 'jitvend_policy');
    if (!('text' in section)) throw new Error('no text');
    expect(section.text.text.match(/```/g)).toHaveLength(2);
  });

  it('keeps every field and the header within Slack limits', () => {
    const long = 'x'.repeat(5000);
    const message = approvalRequestMessage(
      pending({
        profile: `p${'r'.repeat(200)}`,
        requesterClaims: { repository: long, ref: long, actor: long },
      }),
    );
    for (const b of message.blocks) {
      if (b.type === 'header') expect(b.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      if (b.type === 'section' && 'fields' in b) {
        for (const f of b.fields) expect(f.text.length).toBeLessThanOrEqual(SLACK_LIMITS.field);
      }
    }
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  });
});

describe('the message after a decision', () => {
  const at = '2026-11-24T10:00:00.000Z';

  it.each([
    [
      'approved',
      pending({
        status: 'approved',
        approvals: [{ person: 'alice', decision: 'approve', channel: 'slack', at }],
      }),
      'alice',
      'Approved by alice',
      ['jitvend_revoke'],
    ],
    [
      'approved by two',
      pending({
        status: 'approved',
        approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 2 },
        approvals: [
          { person: 'alice', decision: 'approve', channel: 'slack', at },
          { person: 'bob', decision: 'approve', channel: 'email', at },
        ],
      }),
      'bob',
      'Approved by alice and bob',
      ['jitvend_revoke'],
    ],
    [
      'denied with a reason',
      pending({
        status: 'denied',
        approvals: [{ person: 'bob', decision: 'deny', channel: 'api', at, reason: 'not this week' }],
      }),
      'bob',
      'Denied by bob: not this week',
      [],
    ],
    [
      'denied',
      pending({ status: 'denied', approvals: [{ person: 'bob', decision: 'deny', channel: 'slack', at }] }),
      'bob',
      'Denied by bob',
      [],
    ],
    [
      'recorded',
      pending({
        approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 2 },
        approvals: [{ person: 'alice', decision: 'approve', channel: 'slack', at }],
      }),
      'alice',
      'Approval by alice recorded: 1 more needed',
      ['jitvend_approve', 'jitvend_deny'],
    ],
  ] as const)('%s', (outcomeName, request, person, line, actions) => {
    const outcome = outcomeName.startsWith('approved')
      ? 'approved'
      : outcomeName.startsWith('denied')
        ? 'denied'
        : 'recorded';
    expect(decisionLine(request, outcome, person)).toBe(line);
    const message = decisionMessage(request, outcome, person);
    expect(message.text.startsWith(`${line}. `)).toBe(true);
    const status = block(message, 'jitvend_status');
    expect('text' in status && status.text.text).toContain(`*${line}*`);
    const actionIds = message.blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) =>
        ('elements' in b ? (b.elements as Array<{ action_id: string }>) : []).map((e) => e.action_id),
      );
    expect(actionIds).toEqual(actions);
    expect(policyCode(message)).toBe(JSON.stringify(POLICY, null, 2));
  });
});

describe('short answers', () => {
  it('says why a click changed nothing', () => {
    expect(refusalText('carol is not an approver of profile orders-it')).toBe(
      'Your click changed nothing: carol is not an approver of profile orders-it.',
    );
  });

  it.each([
    [45, '45 s'],
    [900, '15 min'],
    [3600, '1 h'],
    [5430, '1 h 30 min 30 s'],
  ])('formats %i seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});
