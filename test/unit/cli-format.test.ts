import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Credentials, RequestView } from '../../cli/api-types.ts';
import {
  describeStatus,
  formatCredentials,
  formatPreview,
  formatRemaining,
  sanitize,
  shellQuote,
} from '../../cli/format.ts';

const credentials: Credentials = {
  accessKeyId: 'ASIAEXAMPLE',
  secretAccessKey: `it's $HOME \`id\` "x"\nline2 \\`,
  sessionToken: 'token/with+chars==',
  expiration: '2026-11-24T02:00:00.000Z',
};

describe('env format', () => {
  it('quotes every value so eval in sh gives back the exact value', () => {
    const script = `${formatCredentials(credentials, 'env', 'req-1')}printf '%s|%s|%s|%s' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION"`;
    const out = execFileSync('sh', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(out).toBe(
      [
        credentials.accessKeyId,
        credentials.secretAccessKey,
        credentials.sessionToken,
        credentials.expiration,
      ].join('|'),
    );
  });

  it('keeps a hostile request id inside its comment', () => {
    const text = formatCredentials(credentials, 'env', 'req-1\nexport PWNED=1');
    expect(text.split('\n')[0]).toBe(
      '# jitvend request req-1 export PWNED=1: credentials expire at 2026-11-24T02:00:00.000Z',
    );
    expect(text).not.toMatch(/^export PWNED/m);
  });

  it.each([
    ['plain', `'plain'`],
    [`it's`, `'it'\\''s'`],
    ['', `''`],
  ])('shellQuote(%j) is %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});

describe('json and credential-process formats', () => {
  it('json is the credentials object', () => {
    expect(JSON.parse(formatCredentials(credentials, 'json', 'req-1'))).toEqual(credentials);
  });

  it('credential-process is the AWS credential_process version 1 shape, on one line', () => {
    const text = formatCredentials(credentials, 'credential-process', 'req-1');
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(text)).toEqual({
      Version: 1,
      AccessKeyId: 'ASIAEXAMPLE',
      SecretAccessKey: credentials.secretAccessKey,
      SessionToken: 'token/with+chars==',
      Expiration: '2026-11-24T02:00:00.000Z',
    });
  });
});

describe('status line', () => {
  const now = Date.parse('2026-11-24T01:00:00Z');
  const view = (overrides: Partial<RequestView>): RequestView => ({
    id: 'req-1',
    profile: 'orders-it',
    requester: 'repo:acme/orders',
    status: 'pending_approval',
    permissions: [],
    sessionPolicy: {},
    durationSeconds: 900,
    reason: 'tests',
    approvals: [],
    approval: { route: 'human', approvers: ['alice', 'bob', 'carol'], minApprovals: 2 },
    createdAt: '2026-11-24T00:50:00Z',
    approvalDeadline: '2026-11-24T01:12:30Z',
    ...overrides,
  });
  const decision = (person: string, d: 'approve' | 'deny') => ({
    person,
    decision: d,
    channel: 'slack',
    at: '',
  });

  it.each([
    [{}, 'waiting for 2 of 2 approvals from alice, bob, carol · 12m left'],
    [
      { approvals: [decision('alice', 'approve')] },
      'waiting for 1 of 2 approvals from alice, bob, carol · 12m left',
    ],
    // the same person twice counts once; a deny is not an approval
    [
      { approvals: [decision('alice', 'approve'), decision('alice', 'approve'), decision('bob', 'deny')] },
      'waiting for 1 of 2 approvals from alice, bob, carol · 12m left',
    ],
    [
      { approval: { route: 'human' as const, approvers: ['platform-leads'], minApprovals: 1 } },
      'waiting for 1 of 1 approval from platform-leads · 12m left',
    ],
    // the domain's name for the route is understood too
    [
      { approval: undefined, approvalRoute: { kind: 'auto' as const, rule: 0 } },
      'pending auto-approval (rule 0)',
    ],
    [
      { approvalDeadline: '2026-11-24T00:59:00Z' },
      'waiting for 2 of 2 approvals from alice, bob, carol · deadline passed',
    ],
    [{ approval: undefined, approvalDeadline: '2026-11-24T01:00:45Z' }, 'waiting for approval · 45s left'],
    [{ status: 'approved' as const }, 'approved · issuing credentials'],
    [{ status: 'denied' as const, statusReason: 'not now\u001b[31m' }, 'denied: not now [31m'],
  ])('%j → %s', (overrides, line) => {
    expect(describeStatus(view(overrides), now)).toBe(line);
  });

  it.each([
    [0, '0s'],
    [45_400, '45s'],
    [12 * 60_000 + 59_000, '12m'],
    [60 * 60_000, '1h'],
    [65 * 60_000, '1h 5m'],
  ])('formatRemaining(%i) is %s', (ms, text) => {
    expect(formatRemaining(ms)).toBe(text);
  });
});

describe('preview and sanitizing', () => {
  it('shows the route, the duration and the policy', () => {
    expect(
      formatPreview({
        sessionPolicy: { Version: '2012-10-17', Statement: [] },
        durationSeconds: 1800,
        approval: { route: 'human', approvers: ['alice'], minApprovals: 1 },
      }),
    ).toBe(
      'approval  1 approval from alice\nduration  30m (1800s)\nsession policy:\n{\n  "Version": "2012-10-17",\n  "Statement": []\n}\n',
    );
  });

  it('removes control characters and bidi overrides from server text', () => {
    expect(sanitize('a\nb\r\u001b]0;x\u0007\u202ec')).toBe('a b  ]0;x  c');
  });
});
