import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../shared/config.ts';

const sample = readFileSync(new URL('../../jitvend.config.yaml', import.meta.url), 'utf8');

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('config was accepted');
}

const base = `
people:
  alice: { email: alice@example.com, github: alice }
  bob: { email: bob@example.com }
groups:
  leads: [alice, bob]
profiles:
  p:
    roleArn: arn:aws:iam::123456789012:role/r
    requesters: [{ repository: "acme/orders" }]
    allow:
      - actions: ["dynamodb:GetItem"]
        resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/t-*"]
    approval:
      approvers: [leads]
`;

describe('config file', () => {
  it('accepts the shipped sample and fills defaults', () => {
    const config = parseConfig(sample, 'jitvend.config.yaml');
    expect(Object.keys(config.profiles)).toEqual(['orders-it', 'payments-it']);
    const orders = config.profiles['orders-it']!;
    expect(orders.maxDurationSeconds).toBe(3600);
    expect(orders.approval.autoApprove).toEqual([{ readOnly: true, claims: { ref: 'refs/heads/main' } }]);
    expect(orders.allowEscalation).toBe(false);
    expect(config.people.alice).toEqual({
      name: 'alice',
      slack: 'U0ALICE01',
      email: 'alice@example.com',
      github: 'alice',
    });
  });

  it('fills defaults: 900 s default, 3600 s max, 1800 s approval timeout, 1 approval, GitHub issuer', () => {
    const config = parseConfig(base, 't.yaml');
    const p = config.profiles.p!;
    expect([
      p.defaultDurationSeconds,
      p.maxDurationSeconds,
      p.approval.timeoutSeconds,
      p.approval.minApprovals,
    ]).toEqual([900, 3600, 1800, 1]);
    expect(config.issuers).toEqual([
      { issuer: 'https://token.actions.githubusercontent.com', audience: 'jitvend', people: false },
    ]);
    // requests stored before issuer-scoped identity belong to the first issuer not marked people
    expect(config.legacyRequesterIssuer).toBe('https://token.actions.githubusercontent.com');
  });

  it.each([
    [
      'a duration above the STS cap',
      base.replace('roleArn:', 'maxDurationSeconds: 7200\n    roleArn:'),
      'profiles.p.maxDurationSeconds: must be at most 3600',
    ],
    [
      'a default above the max',
      base.replace('roleArn:', 'maxDurationSeconds: 1000\n    defaultDurationSeconds: 1200\n    roleArn:'),
      'profiles.p.defaultDurationSeconds: must not be above maxDurationSeconds',
    ],
    ['a bad role ARN', base.replace('role/r', 'user/r'), 'profiles.p.roleArn: must be an IAM role ARN'],
    [
      'an unknown field',
      base.replace('roleArn:', 'roleArm: x\n    roleArn:'),
      'profiles.p.roleArm: unknown field "roleArm"',
    ],
    [
      'an unknown approver',
      base.replace('approvers: [leads]', 'approvers: [leeds]'),
      'profiles.p.approval.approvers[0]: "leeds" is neither a group nor a person',
    ],
    [
      'a group member who is nobody',
      base.replace('[alice, bob]', '[alice, mallory]'),
      'groups.leads[1]: "mallory" is not a person in people',
    ],
    [
      'more approvals than approvers',
      base.replace('approvers: [leads]', 'approvers: [leads]\n      minApprovals: 3'),
      'profiles.p.approval.minApprovals: needs 3 distinct approvers but approvers name 2',
    ],
    [
      'a zero timeout',
      base.replace('approvers: [leads]', 'approvers: [leads]\n      timeoutSeconds: 0'),
      'profiles.p.approval.timeoutSeconds',
    ],
    [
      'no requesters',
      base.replace('requesters: [{ repository: "acme/orders" }]', 'requesters: []'),
      'profiles.p.requesters: must list at least one requester',
    ],
    [
      'an empty auto-approve rule',
      base.replace('approvers: [leads]', 'approvers: [leads]\n      autoApprove: [{}]'),
      'profiles.p.approval.autoApprove[0]: an empty rule would approve every request',
    ],
    ['a guardrail covering iam:*', base.replace('"dynamodb:GetItem"', '"*"'), 'profiles.p.allow:'],
    ['YAML that does not parse', 'profiles: [', 'YAML:'],
    [
      'more managed deny policies than IAM attaches to a role',
      `${base}revocation: { managedPolicies: 21 }\n`,
      'revocation.managedPolicies',
    ],
    [
      'a negative count of managed deny policies',
      `${base}revocation: { managedPolicies: -1 }\n`,
      'revocation.managedPolicies',
    ],
  ])('refuses %s, naming the field', (_, text, expected) => {
    const problems = problemsOf(text);
    expect(problems.join('\n')).toContain(expected);
  });

  it('gives each role 8 managed deny policies by default, and takes 0 to 20', () => {
    expect(parseConfig(base, 't.yaml').revocation).toEqual({ managedPolicies: 8 });
    expect(
      parseConfig(`${base}revocation: { managedPolicies: 0 }\n`, 't.yaml').revocation.managedPolicies,
    ).toBe(0);
    expect(
      parseConfig(`${base}revocation: { managedPolicies: 20 }\n`, 't.yaml').revocation.managedPolicies,
    ).toBe(20);
  });

  it('names the file in the error message', () => {
    expect(() => parseConfig('profiles: {}', '/etc/jitvend.yaml')).toThrow(
      /invalid config \/etc\/jitvend\.yaml/,
    );
  });
});

describe('config file: issuers (identity is issuer + subject)', () => {
  const withIssuers = (issuers: string) => `issuers:\n${issuers}\n${base}`;

  it('reads people: true, and attributes legacy requests to the first issuer not marked people', () => {
    const config = parseConfig(
      withIssuers(
        '  - { issuer: "https://login.example.com", audience: jitvend, people: true }\n  - { issuer: "https://gitlab.example.com", audience: jitvend }',
      ),
      't.yaml',
    );
    expect(config.issuers.map((i) => [i.issuer, i.people])).toEqual([
      ['https://login.example.com', true],
      ['https://gitlab.example.com', false],
    ]);
    expect(config.legacyRequesterIssuer).toBe('https://gitlab.example.com');
  });

  it('takes legacyRequesterIssuer when it names a configured issuer', () => {
    const text = `legacyRequesterIssuer: https://gitlab.example.com\n${withIssuers(
      '  - { issuer: "https://token.actions.githubusercontent.com", audience: jitvend }\n  - { issuer: "https://gitlab.example.com", audience: jitvend }',
    )}`;
    expect(parseConfig(text, 't.yaml').legacyRequesterIssuer).toBe('https://gitlab.example.com');
  });

  it.each([
    [
      'the same issuer twice up to a trailing slash',
      withIssuers(
        '  - { issuer: "https://gitlab.example.com", audience: jitvend }\n  - { issuer: "https://gitlab.example.com/", audience: jitvend }',
      ),
      'issuers[1].issuer: the same issuer as issuers[0]',
    ],
    [
      'the same issuer twice up to case',
      withIssuers(
        '  - { issuer: "https://GitLab.example.com", audience: jitvend }\n  - { issuer: "https://gitlab.example.com", audience: jitvend }',
      ),
      'issuers[1].issuer: the same issuer as issuers[0]',
    ],
    [
      'an issuer with a fragment (it would make issuer#subject ambiguous)',
      withIssuers('  - { issuer: "https://idp.example.com/#x", audience: jitvend }'),
      'issuers[0].issuer: must be an issuer URL with no "#", "?" or whitespace',
    ],
    [
      'people given as a string',
      withIssuers('  - { issuer: "https://idp.example.com", audience: jitvend, people: "true" }'),
      'issuers[0].people',
    ],
    [
      'a legacyRequesterIssuer that is not configured',
      `legacyRequesterIssuer: https://elsewhere.example.com\n${base}`,
      'legacyRequesterIssuer: must be one of issuers[].issuer',
    ],
  ])('refuses %s, naming the field', (_name, text, expected) => {
    expect(problemsOf(text).join('\n')).toContain(expected);
  });
});
