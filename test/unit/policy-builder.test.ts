import { describe, expect, it } from 'vitest';
import {
  EscalationRefusedError,
  OutsideGuardrailsError,
  PolicyTooLargeError,
  ValidationError,
} from '../../shared/domain/errors.ts';
import {
  buildSessionPolicy,
  type GuardrailProfile,
  SESSION_POLICY_MAX_LENGTH,
  validateGuardrails,
} from '../../shared/domain/policy/builder.ts';
import type { Permission } from '../../shared/domain/types.ts';

const ACCOUNT = '123456789012';
const T = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/`;
/** an IAM policy variable, as a user would write it */
const VARIABLE = ['$', '{aws:username}'].join('');

const ordersIt: GuardrailProfile = {
  name: 'orders-it',
  allowEscalation: false,
  allow: [
    { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: [`${T}orders-it-*`] },
    { actions: ['s3:GetObject', 's3:PutObject'], resources: ['arn:aws:s3:::acme-it-artifacts/*'] },
    { actions: ['sqs:*'], resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:orders-it-*`] },
  ],
};

const deployer: GuardrailProfile = {
  name: 'deployer',
  allowEscalation: false,
  allow: [
    {
      actions: ['lambda:UpdateFunctionCode', 'lambda:GetFunction'],
      resources: ['arn:aws:lambda:*:*:function:app-*'],
    },
    { actions: ['iam:PassRole'], resources: [`${ROLE}app-*`] },
    { actions: ['sts:AssumeRole'], resources: [`${ROLE}deploy-target`] },
  ],
};

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the build to throw');
}

describe('buildSessionPolicy: requests inside the guardrails are accepted', () => {
  const accepted: [string, Permission[]][] = [
    ['one exact action on one table', [{ actions: ['dynamodb:GetItem'], resources: [`${T}orders-it-1`] }]],
    ['a narrower wildcard table', [{ actions: ['dynamodb:Query'], resources: [`${T}orders-it-eu-*`] }]],
    ['the guardrail itself', [{ actions: ['dynamodb:GetItem'], resources: [`${T}orders-it-*`] }]],
    ['actions in any case', [{ actions: ['DynamoDB:getitem'], resources: [`${T}orders-it-1`] }]],
    [
      'a wildcard action under a service wildcard',
      [{ actions: ['sqs:Send*'], resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:orders-it-q`] }],
    ],
    [
      'several permissions',
      [
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          resources: [`${T}orders-it-1`, `${T}orders-it-2`],
        },
        { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme-it-artifacts/build/*'] },
      ],
    ],
  ];
  it.each(accepted)('%s', (_, requested) => {
    const built = buildSessionPolicy(ordersIt, requested);
    expect(built.policy.Version).toBe('2012-10-17');
    expect(JSON.parse(built.json)).toEqual(built.policy);
    expect(built.json).not.toMatch(/\s/);
  });
});

describe('buildSessionPolicy: requests outside the guardrails are refused, saying where and why', () => {
  it('names the permission, the resource and a concrete ARN no guardrail allows', () => {
    const error = errorOf(() =>
      buildSessionPolicy(ordersIt, [
        { actions: ['dynamodb:GetItem'], resources: [`${T}orders-it-1`] },
        { actions: ['dynamodb:GetItem'], resources: [`${T}orders-*`] },
      ]),
    );
    expect(error).toBeInstanceOf(OutsideGuardrailsError);
    expect(error.message).toBe(
      `permission 1: resource ${T}orders-* is not inside the guardrails of profile orders-it: it would also match ${T}orders-x, which no guardrail allows for dynamodb:GetItem`,
    );
    expect((error as OutsideGuardrailsError).extra).toEqual({
      permission: 1,
      action: 'dynamodb:GetItem',
      resource: `${T}orders-*`,
      example: { action: 'dynamodb:GetItem', resource: `${T}orders-x` },
    });
  });

  it('names a real action the wildcard would also grant', () => {
    const error = errorOf(() =>
      buildSessionPolicy(ordersIt, [{ actions: ['dynamodb:*'], resources: [`${T}orders-it-1`] }]),
    );
    expect(error).toBeInstanceOf(OutsideGuardrailsError);
    expect(error.message).toMatch(
      /^permission 0: action dynamodb:\* is not inside the guardrails of profile orders-it: it would also match dynamodb:\w+, which no guardrail allows on any resource$/,
    );
    const example = (error as OutsideGuardrailsError).extra.example as { action: string };
    expect(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']).not.toContain(example.action);
  });

  it('names an action no guardrail mentions', () => {
    const error = errorOf(() =>
      buildSessionPolicy(ordersIt, [{ actions: ['dynamodb:DeleteTable'], resources: [`${T}orders-it-1`] }]),
    );
    expect(error.message).toBe(
      'permission 0: action dynamodb:DeleteTable is not inside the guardrails of profile orders-it: no guardrail allows it on any resource',
    );
  });

  const refused: [string, Permission[]][] = [
    ['a broader table pattern', [{ actions: ['dynamodb:Query'], resources: [`${T}*`] }]],
    [
      'a table of another account',
      [
        {
          actions: ['dynamodb:GetItem'],
          resources: ['arn:aws:dynamodb:us-east-1:999999999999:table/orders-it-1'],
        },
      ],
    ],
    ['every resource', [{ actions: ['dynamodb:GetItem'], resources: ['*'] }]],
    ['every action', [{ actions: ['*'], resources: [`${T}orders-it-1`] }]],
    [
      'a wildcard reaching a sibling action',
      [{ actions: ['dynamodb:Get*'], resources: [`${T}orders-it-1`] }],
    ],
    [
      'an action of one statement on the resource of another',
      [{ actions: ['s3:GetObject'], resources: [`${T}orders-it-1`] }],
    ],
    [
      'a region wildcard',
      [{ actions: ['sqs:SendMessage'], resources: [`arn:aws:sqs:*:${ACCOUNT}:orders-it-q`] }],
    ],
    [
      'a case variant of the ARN (ARNs are case-sensitive)',
      [{ actions: ['dynamodb:GetItem'], resources: [`${T}ORDERS-IT-1`] }],
    ],
  ];
  it.each(refused)('%s', (_, requested) => {
    expect(() => buildSessionPolicy(ordersIt, requested)).toThrow(OutsideGuardrailsError);
  });

  it('checks the union of the guardrail statements, not each one alone', () => {
    const split: GuardrailProfile = {
      name: 'split',
      allowEscalation: false,
      allow: [
        { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/a*'] },
        { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/?*'] },
      ],
    };
    expect(
      buildSessionPolicy(split, [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/?*'] }]).json,
    ).toBe(
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/?*"}]}',
    );
    const error = errorOf(() =>
      buildSessionPolicy(split, [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }]),
    );
    expect(error.message).toContain(
      'it would also match arn:aws:s3:::bucket/, which no guardrail allows for s3:GetObject',
    );
  });
});

describe('buildSessionPolicy: omitted request = the whole guardrail set', () => {
  it('an empty list is refused (leave permissions out to ask for the whole profile)', () => {
    expect(() => buildSessionPolicy(ordersIt, [])).toThrow(/must not be empty: leave permissions out/);
  });

  it.each([['omitted', undefined]])('%s', (_, requested) => {
    const built = buildSessionPolicy(ordersIt, requested);
    expect(built.policy).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          Resource: `${T}orders-it-*`,
        },
        {
          Effect: 'Allow',
          Action: ['s3:GetObject', 's3:PutObject'],
          Resource: 'arn:aws:s3:::acme-it-artifacts/*',
        },
        { Effect: 'Allow', Action: 'sqs:*', Resource: `arn:aws:sqs:us-east-1:${ACCOUNT}:orders-it-*` },
      ],
    });
    expect(built.permissions).toEqual([
      { actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'], resources: [`${T}orders-it-*`] },
      { actions: ['s3:GetObject', 's3:PutObject'], resources: ['arn:aws:s3:::acme-it-artifacts/*'] },
      { actions: ['sqs:*'], resources: [`arn:aws:sqs:us-east-1:${ACCOUNT}:orders-it-*`] },
    ]);
  });
});

describe('buildSessionPolicy: shape validation names the bad value and where it is', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'whitespace in an action',
      [{ actions: ['dynamodb:Get Item'], resources: ['*'] }],
      /permissions\[0\]\.actions\[0\]: action "dynamodb:Get Item" contains whitespace/,
    ],
    [
      'a newline in a resource',
      [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/\nx'] }],
      /permissions\[0\]\.resources\[0\]: resource "arn:aws:s3:::b\/\\nx" contains whitespace/,
    ],
    [
      'a control character',
      [{ actions: ['s3:GetObject\u0000'], resources: ['*'] }],
      /permissions\[0\]\.actions\[0\].*control/,
    ],
    ['a look-alike character', [{ actions: ['s3:GetОbject'], resources: ['*'] }], /non-ASCII/],
    [
      'an action without a service',
      [{ actions: ['GetItem'], resources: ['*'] }],
      /action "GetItem" is not an IAM action/,
    ],
    ['a wildcard service', [{ actions: ['*:*'], resources: ['*'] }], /action "\*:\*" is not an IAM action/],
    [
      'a policy variable',
      [{ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::b/${VARIABLE}/*`] }],
      /policy variable/,
    ],
    [
      'a resource that is not an ARN',
      [{ actions: ['s3:GetObject'], resources: ['my-bucket/*'] }],
      /resource "my-bucket\/\*" is not an ARN/,
    ],
    [
      'an ARN with too few segments',
      [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:bucket'] }],
      /is not an ARN/,
    ],
    [
      'a ? in the region',
      [{ actions: ['sqs:SendMessage'], resources: [`arn:aws:sqs:us-east-?:${ACCOUNT}:q`] }],
      /invalid region "us-east-\?"/,
    ],
    [
      'a * inside the account',
      [{ actions: ['sqs:SendMessage'], resources: ['arn:aws:sqs:us-east-1:12*34:q'] }],
      /invalid account "12\*34"/,
    ],
    ['empty actions', [{ actions: [], resources: ['*'] }], /permissions\[0\]\.actions: must not be empty/],
    [
      'empty resources',
      [{ actions: ['s3:GetObject'], resources: [] }],
      /permissions\[0\]\.resources: must not be empty/,
    ],
    [
      'a non-string',
      [{ actions: [42], resources: ['*'] }],
      /permissions\[0\]\.actions\[0\]: must be a string/,
    ],
    [
      'an extra field',
      [{ actions: ['s3:GetObject'], resources: ['*'], NotAction: ['iam:*'] }],
      /permissions\[0\]: unknown field "NotAction"/,
    ],
    [
      'a condition',
      [{ actions: ['s3:GetObject'], resources: ['*'], Condition: {} }],
      /unknown field "Condition"/,
    ],
    [
      'too many permissions',
      Array.from({ length: 21 }, () => ({ actions: ['s3:GetObject'], resources: ['*'] })),
      /at most 20 permissions/,
    ],
    [
      'too many actions',
      [{ actions: Array.from({ length: 51 }, (_, i) => `s3:A${i}`), resources: ['*'] }],
      /actions: at most 50/,
    ],
    [
      'a too long resource',
      [{ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::${'b'.repeat(1100)}`] }],
      /longer than 1024/,
    ],
    [
      'the second permission',
      [
        { actions: ['s3:GetObject'], resources: ['*'] },
        { actions: ['s3:GetObject'], resources: ['nope'] },
      ],
      /^permissions\[1\]\.resources\[0\]/,
    ],
  ];
  it.each(cases)('%s', (_, requested, message) => {
    const error = errorOf(() => buildSessionPolicy(ordersIt, requested as Permission[]));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(message);
  });

  it('refuses malformed guardrails too, naming the profile', () => {
    const broken: GuardrailProfile = {
      name: 'broken',
      allowEscalation: false,
      allow: [{ actions: ['s3 GetObject'], resources: ['*'] }],
    };
    expect(() => buildSessionPolicy(broken)).toThrow(
      /profile broken has invalid guardrails: allow\[0\]\.actions\[0\]/,
    );
  });
});

describe('buildSessionPolicy: privilege escalation', () => {
  it('allows escalation actions the guardrails name literally, on their resources', () => {
    const built = buildSessionPolicy(deployer, [
      { actions: ['iam:PassRole'], resources: [`${ROLE}app-1`] },
      { actions: ['sts:AssumeRole'], resources: [`${ROLE}deploy-target`] },
    ]);
    expect(built.policy.Statement).toEqual([
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: `${ROLE}app-1` },
      { Effect: 'Allow', Action: 'sts:AssumeRole', Resource: `${ROLE}deploy-target` },
    ]);
    expect(buildSessionPolicy(deployer).json).toContain('"iam:PassRole"');
  });

  it('refuses an escalation action that only a guardrail wildcard covers', () => {
    const broad: GuardrailProfile = {
      name: 'broad',
      allowEscalation: false,
      allow: [
        { actions: ['iam:*', 's3:*'], resources: ['*'] },
        { actions: ['iam:PassRole'], resources: [`${ROLE}app-*`] },
      ],
    };
    const passAdmin = errorOf(() =>
      buildSessionPolicy(broad, [{ actions: ['iam:PassRole'], resources: [`${ROLE}admin`] }]),
    );
    expect(passAdmin).toBeInstanceOf(EscalationRefusedError);
    expect(passAdmin.message).toBe(
      `permission 0: iam:PassRole on ${ROLE}admin is a privilege-escalation action that profile broad does not name: the profile's guardrails must list it literally on that resource, or the profile must set allowEscalation: true`,
    );
    const wildcard = errorOf(() =>
      buildSessionPolicy(broad, [{ actions: ['iam:*'], resources: [`${ROLE}app-1`] }]),
    );
    expect(wildcard).toBeInstanceOf(EscalationRefusedError);
    expect(wildcard.message).toMatch(
      /^permission 0: action iam:\* on .*role\/app-1 can match iam:\w+ on .*, a privilege-escalation action that profile broad does not name/,
    );
    // the literal guardrail is enough for its own resources, and s3 is no escalation
    expect(() =>
      buildSessionPolicy(broad, [{ actions: ['iam:PassRole'], resources: [`${ROLE}app-1`] }]),
    ).not.toThrow();
    expect(() => buildSessionPolicy(broad, [{ actions: ['s3:*'], resources: ['*'] }])).not.toThrow();
    // the whole guardrail set holds iam:* on *: refused as well
    expect(() => buildSessionPolicy(broad)).toThrow(EscalationRefusedError);
  });

  it.each([
    ['iam:CreateUser', '*'],
    ['sts:AssumeRoleWithWebIdentity', `${ROLE}x`],
    ['sts:Assume*', `${ROLE}x`],
    ['sts:GetFederationToken', '*'],
    ['organizations:LeaveOrganization', '*'],
    ['sso:CreatePermissionSet', '*'],
    ['identitystore:CreateUser', '*'],
    ['account:PutAlternateContact', '*'],
    ['*', '*'],
  ])('refuses %s under a guardrail of * without allowEscalation', (action, resource) => {
    const everything: GuardrailProfile = {
      name: 'everything',
      allowEscalation: false,
      allow: [{ actions: ['*'], resources: ['*'] }],
    };
    expect(() => buildSessionPolicy(everything, [{ actions: [action], resources: [resource] }])).toThrow(
      EscalationRefusedError,
    );
  });

  it('lets a profile with allowEscalation: true grant what its wildcards cover', () => {
    const admin: GuardrailProfile = {
      name: 'admin',
      allowEscalation: true,
      allow: [{ actions: ['iam:*', 'sts:*'], resources: ['*'] }],
    };
    expect(
      buildSessionPolicy(admin, [{ actions: ['iam:PassRole', 'sts:AssumeRole'], resources: [`${ROLE}x`] }])
        .json,
    ).toBe(
      `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:PassRole","sts:AssumeRole"],"Resource":"${ROLE}x"}]}`,
    );
    // still never more than the guardrails
    expect(() => buildSessionPolicy(admin, [{ actions: ['s3:GetObject'], resources: ['*'] }])).toThrow(
      OutsideGuardrailsError,
    );
  });

  it('allows non-escalation reads of the same services', () => {
    const reader: GuardrailProfile = {
      name: 'reader',
      allowEscalation: false,
      allow: [{ actions: ['sts:GetCallerIdentity'], resources: ['*'] }],
    };
    expect(() => buildSessionPolicy(reader)).not.toThrow();
  });
});

describe('buildSessionPolicy: minimal and deterministic output', () => {
  const wide: GuardrailProfile = {
    name: 'wide',
    allowEscalation: false,
    allow: [{ actions: ['dynamodb:*', 's3:*'], resources: [`${T}*`, 'arn:aws:s3:::b', 'arn:aws:s3:::b/*'] }],
  };

  it('drops pairs that one other pair covers, even where the union search alone would run out of work', () => {
    // found by the determinism property (seed -484309410): a region wildcard beside several
    // table patterns made the union search exhaust the minimising budget, so GetItem pairs
    // already inside dynamodb:* stayed, and the policy depended on what the caches held
    const table = (region: string, name: string) => `arn:aws:dynamodb:${region}:123456789012:table/${name}`;
    const allow: Permission[] = [
      {
        actions: ['dynamodb:GetItem', 'dynamodb:*', 'dynamodb:DeleteItem'],
        resources: [
          table('us-east-1', '*'),
          table('us-east-1', 'orders-it-1'),
          table('us-west-2', 'orders-it-1'),
        ],
      },
      {
        actions: ['dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:*'],
        resources: [table('*', 'orders-it-1'), table('us-east-1', 'o*'), table('us-east-1', 'orders-x')],
      },
      { actions: ['dynamodb:GetItem'], resources: [table('us-east-1', 'orders-it-2')] },
    ];
    const built = buildSessionPolicy({ name: 'region-wildcard', allow, allowEscalation: true });
    expect(built.policy.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'dynamodb:*',
        Resource: [table('*', 'orders-it-1'), table('us-east-1', '*')],
      },
    ]);
  });

  it('canonicalizes action case from the catalogue, dedupes and drops what other entries cover', () => {
    const built = buildSessionPolicy(wide, [
      {
        actions: ['dynamodb:getitem', 'DYNAMODB:GetItem', 'dynamodb:Query', 'dynamodb:Get*'],
        resources: [`${T}orders-1`, `${T}orders-*`, `${T}orders-*`],
      },
    ]);
    expect(built.policy.Statement).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:Get*', 'dynamodb:Query'], Resource: `${T}orders-*` },
    ]);
  });

  it('drops a pair that only the union of other pairs covers', () => {
    const built = buildSessionPolicy(wide, [
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/a*'] },
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/?*'] },
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/ab'] },
    ]);
    expect(built.policy.Statement).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/?*' },
    ]);
  });

  it('merges statements that share a resource set, and spells wildcard runs one way', () => {
    const built = buildSessionPolicy(wide, [
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/x/*?', 'arn:aws:s3:::b'] },
      { actions: ['s3:PutObject'], resources: ['arn:aws:s3:::b', 'arn:aws:s3:::b/x/?*'] },
      { actions: ['dynamodb:Query'], resources: [`${T}t`] },
    ]);
    expect(built.policy.Statement).toEqual([
      { Effect: 'Allow', Action: 'dynamodb:Query', Resource: `${T}t` },
      {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/x/?*'],
      },
    ]);
    expect(built.permissions).toEqual([
      { actions: ['dynamodb:Query'], resources: [`${T}t`] },
      { actions: ['s3:GetObject', 's3:PutObject'], resources: ['arn:aws:s3:::b', 'arn:aws:s3:::b/x/?*'] },
    ]);
    expect(JSON.stringify(built.policy)).not.toContain('Sid');
  });

  it('gives the same JSON whatever the order and spelling of the request', () => {
    const a = buildSessionPolicy(wide, [
      { actions: ['dynamodb:Query', 'dynamodb:GetItem'], resources: [`${T}b`, `${T}a`] },
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] },
    ]);
    const b = buildSessionPolicy(wide, [
      { actions: ['s3:getobject'], resources: ['arn:aws:s3:::b/*'] },
      { actions: ['dynamodb:getitem'], resources: [`${T}a`, `${T}b`] },
      { actions: ['DynamoDB:query'], resources: [`${T}a`, `${T}b`, `${T}a`] },
    ]);
    expect(b.json).toBe(a.json);
    expect(buildSessionPolicy(wide, [...a.permissions].reverse()).json).toBe(a.json);
  });

  it('refuses a policy over 2,048 characters, saying its length and the limit', () => {
    const tables = Array.from({ length: 40 }, (_, i) => `${T}table-number-${i}`);
    const error = errorOf(() =>
      buildSessionPolicy(wide, [{ actions: ['dynamodb:GetItem'], resources: tables }]),
    );
    expect(error).toBeInstanceOf(PolicyTooLargeError);
    const { length, limit } = (error as PolicyTooLargeError).extra as { length: number; limit: number };
    expect(limit).toBe(SESSION_POLICY_MAX_LENGTH);
    expect(length).toBeGreaterThan(2048);
    expect(error.message).toContain(`would be ${length} characters, over the 2048-character limit`);
    // just under the limit is fine
    const fits = buildSessionPolicy(wide, [
      { actions: ['dynamodb:GetItem'], resources: tables.slice(0, 20) },
    ]);
    expect(fits.json.length).toBeLessThanOrEqual(2048);
  });
});

describe('validateGuardrails', () => {
  const base = { name: 'p', allowEscalation: false };
  it('finds nothing wrong with sound guardrails', () => {
    expect(validateGuardrails(ordersIt)).toEqual([]);
    expect(validateGuardrails(deployer)).toEqual([]);
  });

  it.each([
    [
      [{ actions: ['*'], resources: ['*'] }],
      /allow\[0\]\.actions\[0\] "\*" covers privilege-escalation actions \(e\.g\. iam:PassRole\)/,
    ],
    [[{ actions: ['iam:*'], resources: ['*'] }], /"iam:\*" covers privilege-escalation actions/],
    [
      [{ actions: ['sts:*'], resources: ['*'] }],
      /"sts:\*" covers privilege-escalation actions \(e\.g\. sts:AssumeRole\)/,
    ],
    [[{ actions: ['s3:*', 'sts:Get*'], resources: ['*'] }], /allow\[0\]\.actions\[1\] "sts:Get\*" covers/],
    [
      [{ actions: ['*:*'], resources: ['*'] }],
      /allow\[0\]\.actions\[0\]: action "\*:\*" is not an IAM action/,
    ],
    [
      [{ actions: ['s3:GetObject'], resources: [`arn:aws:s3:::${VARIABLE}`] }],
      /allow\[0\]\.resources\[0\]: .*policy variable/,
    ],
    [[{ actions: [], resources: ['*'] }], /allow\[0\]\.actions: must not be empty/],
    [[], /at least one guardrail/],
  ])('%j', (allow, problem) => {
    const problems = validateGuardrails({ ...base, allow: allow as Permission[] });
    expect(problems.some((p) => problem.test(p))).toBe(true);
  });

  it('accepts escalation wildcards when the profile opts in', () => {
    expect(
      validateGuardrails({
        name: 'admin',
        allowEscalation: true,
        allow: [{ actions: ['iam:*'], resources: ['*'] }],
      }),
    ).toEqual([]);
  });
});
