/**
 * Attacks on the session policy: asking for more than the guardrails by spelling, case,
 * wildcards, ARN segments, look-alike characters, smuggled statement fields, and patterns made
 * to blow up the containment search. Judged on the builder (sharper: the exact error) and over
 * HTTP on the local stack (the status a pipeline sees).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { DomainError } from '../../shared/domain/errors.ts';
import { buildSessionPolicy, type GuardrailProfile } from '../../shared/domain/policy/builder.ts';
import { globMatches } from '../../shared/domain/policy/glob.ts';
import type { Permission } from '../../shared/domain/types.ts';
import { call, ORDERS_PIPELINE, TABLE, tokenFor } from '../helpers/attack.ts';
import { useLocalStack } from '../helpers/in-process-stack.ts';

const FIXTURES = 'arn:aws:s3:::acme-orders-it-fixtures/';

/** The guardrails of the sample config's orders-it profile. */
const ORDERS: GuardrailProfile = {
  name: 'orders-it',
  allowEscalation: false,
  allow: [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      resources: [`${TABLE}orders-it-*`],
    },
    { actions: ['s3:GetObject', 's3:PutObject'], resources: [`${FIXTURES}*`] },
  ],
};

/** The HTTP status the builder's outcome maps to (200 when it builds). */
function statusOf(profile: GuardrailProfile, permissions: unknown): { status: number; message: string } {
  try {
    const built = buildSessionPolicy(profile, permissions as Permission[]);
    return { status: 200, message: built.json };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return {
      status: error.kind === 'validation' ? 400 : error.kind === 'forbidden' ? 403 : 0,
      message: error.message,
    };
  }
}

const one = (action: string, resource: string) => [{ actions: [action], resources: [resource] }];

describe('policy tricks on the builder: each with its expected refusal', () => {
  it.each([
    // case: IAM actions are case-insensitive, so these are the same action (allowed, canonical spelling)
    ['case trick S3:GetObject is s3:GetObject (allowed)', one('S3:GetObject', `${FIXTURES}a`), 200],
    ['case trick s3:getobject is s3:GetObject (allowed)', one('s3:getobject', `${FIXTURES}a`), 200],
    ['case trick S3:DELETEOBJECT is still outside', one('S3:DELETEOBJECT', `${FIXTURES}a`), 403],
    [
      'case trick in the ARN (ARNs are case-sensitive)',
      one('s3:GetObject', 'arn:aws:s3:::ACME-orders-it-fixtures/a'),
      403,
    ],
    // wildcards in actions
    ['action * (everything)', one('*', `${FIXTURES}a`), 403],
    ['service wildcard dynamodb:*', one('dynamodb:*', `${TABLE}orders-it-a`), 403],
    ['prefix wildcard s3:Get* (reaches GetBucketPolicy)', one('s3:Get*', `${FIXTURES}a`), 403],
    ['? in an action (s3:GetObjec? matches more than GetObject)', one('s3:GetObjec?', `${FIXTURES}a`), 403],
    ['a run of ? (dynamodb:????????)', one('dynamodb:????????', `${TABLE}orders-it-a`), 403],
    ['*?* mixtures (dynamodb:*?e?*)', one('dynamodb:*?e?*', `${TABLE}orders-it-a`), 403],
    // ARN segments escaping the guardrail
    [
      'another partition (aws-cn)',
      one('dynamodb:GetItem', 'arn:aws-cn:dynamodb:us-east-1:123456789012:table/orders-it-a'),
      403,
    ],
    [
      'a partition wildcard',
      one('dynamodb:GetItem', 'arn:*:dynamodb:us-east-1:123456789012:table/orders-it-a'),
      403,
    ],
    ['a region wildcard', one('dynamodb:GetItem', 'arn:aws:dynamodb:*:123456789012:table/orders-it-a'), 403],
    ['an account wildcard', one('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:*:table/orders-it-a'), 403],
    [
      'an account prefix wildcard',
      one('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:12345678901*:table/orders-it-a'),
      403,
    ],
    [
      'an empty account (any account)',
      one('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1::table/orders-it-a'),
      403,
    ],
    [
      'a wildcard before the guardrail prefix ends (orders-it*)',
      one('dynamodb:GetItem', `${TABLE}orders-it*`),
      403,
    ],
    ['a ? standing for the prefix dash (orders-it?x)', one('dynamodb:GetItem', `${TABLE}orders-it?x`), 403],
    ['resource * on a guarded action', one('dynamodb:GetItem', '*'), 403],
    [
      'a wildcard inside a segment crossing colons (arn:aws:dynamodb:us-east-1:1*2:...)',
      one('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:1*2:table/orders-it-a'),
      400,
    ],
    // look-alike and invisible characters
    ['a Cyrillic а in the service', one('dynаmodb:GetItem', `${TABLE}orders-it-a`), 400],
    [
      'a Cyrillic а in the ARN',
      one('dynamodb:GetItem', 'arn:aws:dynаmodb:us-east-1:123456789012:table/orders-it-a'),
      400,
    ],
    ['a zero-width space in the ARN', one('dynamodb:GetItem', `${TABLE}orders-it-\u200Ba`), 400],
    ['a zero-width joiner in the action', one('dynamodb:Get\u200DItem', `${TABLE}orders-it-a`), 400],
    ['a full-width colon in the action', one('dynamodb\uFF1AGetItem', `${TABLE}orders-it-a`), 400],
    ['a trailing space in the action', one('dynamodb:GetItem ', `${TABLE}orders-it-a`), 400],
    ['a newline in the ARN', one('dynamodb:GetItem', `${TABLE}orders-it-a\n`), 400],
    ['a policy variable in the ARN', one('dynamodb:GetItem', `${TABLE}orders-it-\${aws:username}`), 400],
    // smuggled statement fields
    [
      'NotAction smuggled in a permission',
      [{ actions: ['s3:GetObject'], resources: [`${FIXTURES}a`], NotAction: ['s3:*'] }],
      400,
    ],
    [
      'NotResource smuggled in a permission',
      [{ actions: ['s3:GetObject'], resources: [`${FIXTURES}a`], NotResource: ['*'] }],
      400,
    ],
    [
      'Condition smuggled in a permission',
      [{ actions: ['s3:GetObject'], resources: [`${FIXTURES}a`], Condition: {} }],
      400,
    ],
    [
      'Effect: Deny smuggled in a permission',
      [{ actions: ['s3:GetObject'], resources: [`${FIXTURES}a`], Effect: 'Deny' }],
      400,
    ],
    [
      'Principal smuggled in a permission',
      [{ actions: ['s3:GetObject'], resources: [`${FIXTURES}a`], Principal: '*' }],
      400,
    ],
    ['a permission that is a string', ['s3:GetObject'], 400],
    // escalation
    ['iam:PassRole on a profile that does not name it', one('iam:PassRole', '*'), 403],
    ['sts:AssumeRole chaining', one('sts:AssumeRole', '*'), 403],
  ])('%s → %i', (_, permissions, expected) => {
    const { status } = statusOf(ORDERS, permissions);
    expect(status).toBe(expected);
  });

  it('a case trick builds the canonical spelling, never a second statement', () => {
    const built = buildSessionPolicy(ORDERS, [
      { actions: ['S3:GetObject', 's3:getobject', 's3:GETOBJECT'], resources: [`${FIXTURES}a`] },
    ]);
    expect(built.policy.Statement).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: `${FIXTURES}a` },
    ]);
  });

  it('escalation hidden behind a wildcard the guardrails allow is refused unless named literally', () => {
    const profile: GuardrailProfile = {
      name: 'admin-ish',
      allowEscalation: false,
      allow: [{ actions: ['iam:Get*', 'iam:PassRole'], resources: ['*'] }],
    };
    expect(statusOf(profile, one('iam:Pass*', '*')).status).toBe(403);
    expect(statusOf(profile, one('iam:PassRole', '*')).status).toBe(200);
  });

  it('star chains (*a*b*c*...) are decided exactly: inside when they are, outside when not', () => {
    const chain = `${'*a*b*c'.repeat(60)}*`;
    expect(statusOf(ORDERS, one('dynamodb:GetItem', `${TABLE}orders-it-${chain}`)).status).toBe(200);
    expect(statusOf(ORDERS, one('dynamodb:GetItem', `${TABLE}orders-i${chain}`)).status).toBe(403);
  });

  it('? runs built for exponential automata are answered (decided, or refused as too complex)', () => {
    const resources = Array.from(
      { length: 20 },
      (_, i) => `${FIXTURES}*${'ab'[i % 2]}${'?'.repeat(16 + (i % 6))}`,
    );
    const { status } = statusOf(ORDERS, [{ actions: ['s3:GetObject', 's3:PutObject'], resources }]);
    expect([200, 400]).toContain(status);
  });

  it('containment past the work bound is a 400 that says so, never a hang', () => {
    const profile: GuardrailProfile = {
      name: 'many-holes',
      allowEscalation: false,
      allow: [
        {
          actions: ['s3:*'],
          resources: Array.from(
            { length: 30 },
            (_, i) => `arn:aws:s3:::*${'ab'[i % 2]}${'?'.repeat(10 + (i % 10))}*`,
          ),
        },
      ],
    };
    const resources = Array.from(
      { length: 20 },
      (_, i) => `arn:aws:s3:::*${'ab'[i % 2]}${'?'.repeat(12 + (i % 10))}*`,
    );
    const { status, message } = statusOf(profile, [{ actions: ['s3:GetObject'], resources }]);
    expect(status).toBe(400);
    expect(message).toMatch(/too complex to check against the guardrails within jitvend's work bound/);
  });

  it('a body that exhausts a bound gets the same answer cold and after other requests warmed the caches', () => {
    const profile: GuardrailProfile = {
      name: 'broad-again',
      allowEscalation: false,
      allow: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::*'] }],
    };
    const body = [
      {
        actions: ['s3:GetObject'],
        resources: Array.from(
          { length: 30 },
          (_, i) => `arn:aws:s3:::*${'cd'[i % 2]}${'?'.repeat(11 + (i % 9))}`,
        ),
      },
    ];
    const cold = statusOf(profile, body);
    // other bodies fill the caches with part of the same work
    statusOf(profile, [{ actions: ['s3:GetObject'], resources: body[0]!.resources.slice(0, 15) }]);
    statusOf(profile, [{ actions: ['s3:GetObject'], resources: body[0]!.resources.slice(10) }]);
    expect(statusOf(profile, body)).toEqual(cold);
  });

  it('minimising past its bound keeps the exact union: every requested pair is still allowed', () => {
    const profile: GuardrailProfile = {
      name: 'broad',
      allowEscalation: false,
      allow: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::*'] }],
    };
    const resources = Array.from(
      { length: 40 },
      (_, i) => `arn:aws:s3:::*${'ab'[i % 2]}${'?'.repeat(12 + (i % 8))}`,
    );
    const built = buildSessionPolicy(profile, [{ actions: ['s3:GetObject'], resources }]);
    const granted = built.permissions.flatMap((p) => p.resources);
    // minimising only drops pairs proven covered: it never invents a pattern...
    for (const g of granted) expect(resources).toContain(g);
    // ...and what was asked stays allowed (a concrete ARN of each requested pattern, checked)
    for (const r of resources) {
      for (const fill of ['a', 'b', 'x']) {
        const concrete = r.replace(/[*?]/g, fill);
        expect(granted.some((g) => globMatches(g, concrete))).toBe(true);
      }
    }
  });
});

describe('generated wildcard-heavy requests', () => {
  it('every one is answered 200, 400 or 403: never an unexpected error (seeded, printed on failure)', () => {
    const piece = fc.constantFrom(
      '*',
      '?',
      'a',
      'b',
      '-',
      '/',
      'orders-it-',
      'GetItem',
      'Get',
      'Item',
      '??',
      '*a*',
    );
    const tail = fc.array(piece, { minLength: 1, maxLength: 12 }).map((p) => p.join(''));
    const action = fc.oneof(
      tail.map((t) => `dynamodb:${t.replace(/[^A-Za-z0-9*?-]/g, '')}`.replace(/:$/, ':*')),
      tail.map((t) => `s3:${t.replace(/[^A-Za-z0-9*?-]/g, '')}`.replace(/:$/, ':*')),
    );
    const resource = fc.oneof(
      tail.map((t) => `${TABLE}${t}`),
      tail.map((t) => `${FIXTURES}${t}`),
      tail.map((t) => `arn:aws:s3:::${t}`),
    );
    const permission = fc.record({
      actions: fc.array(action, { minLength: 1, maxLength: 6 }),
      resources: fc.array(resource, { minLength: 1, maxLength: 6 }),
    });
    fc.assert(
      fc.property(fc.array(permission, { minLength: 1, maxLength: 4 }), (permissions) => {
        expect([200, 400, 403]).toContain(statusOf(ORDERS, permissions).status);
      }),
      { seed: 8008, numRuns: 300, verbose: true },
    );
  });
});

describe('policy tricks over HTTP: the status a pipeline sees', () => {
  const handle = useLocalStack();
  let token: string;
  beforeAll(async () => {
    token = await tokenFor(handle.stack, ORDERS_PIPELINE);
  });

  const preview = (permissions: unknown) =>
    call(handle.stack, 'POST', '/requests/preview', {
      token,
      body: JSON.stringify({ profile: 'orders-it', permissions, reason: 'tests' }),
    });

  it.each([
    [
      'NotAction smuggled',
      [{ actions: ['s3:GetObject'], resources: [`${FIXTURES}a`], NotAction: ['s3:*'] }],
      400,
      /NotAction/,
    ],
    [
      'Condition smuggled',
      [{ actions: ['s3:GetObject'], resources: [`${FIXTURES}a`], Condition: {} }],
      400,
      /Condition/,
    ],
    [
      'a Cyrillic look-alike in the ARN',
      one('s3:GetObject', 'arn:aws:s3:::acme-orders-it-fixturеs/a'),
      400,
      /printable ASCII/,
    ],
    [
      'an account wildcard',
      one('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:*:table/orders-it-a'),
      403,
      /not inside the guardrails/,
    ],
    [
      'another partition',
      one('dynamodb:GetItem', 'arn:aws-us-gov:dynamodb:us-east-1:123456789012:table/orders-it-a'),
      403,
      /not inside/,
    ],
  ])('%s → %i', async (_, permissions, expected, detail) => {
    const res = await preview(permissions);
    expect(res.status).toBe(expected);
    expect(res.body.detail).toMatch(detail);
  });

  it('a case trick is answered with the canonical policy', async () => {
    const res = await preview(one('S3:getOBJECT', `${FIXTURES}a`));
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body.sessionPolicy)).toContain('"s3:GetObject"');
  });
});
