/**
 * Properties of the session policy builder, checked against an independent IAM evaluator
 * (@cloud-copilot/iam-simulate) rather than against jitvend's own wildcard logic:
 * - never more than the guardrails: whatever the built session policy allows on its own, the
 *   role's identity policy made of the guardrails allows too;
 * - escalation actions (iam:PassRole, sts:AssumeRole) only where the guardrails name them
 *   literally, unless the profile sets allowEscalation;
 * - determinism: the same permissions in any order give the same JSON.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DomainError, ValidationError } from '../../shared/domain/errors.ts';
import { buildSessionPolicy, type GuardrailProfile } from '../../shared/domain/policy/builder.ts';
import type { Permission, PolicyDocument } from '../../shared/domain/types.ts';

const ACCOUNT = '123456789012';
const table = (name: string, region = 'us-east-1') => `arn:aws:dynamodb:${region}:${ACCOUNT}:table/${name}`;
const TABLES = [
  table('orders-it-1'),
  table('orders-it-2'),
  table('orders-x'),
  table('payments'),
  table('orders-it-1', 'us-west-2'),
];
const INDEX = `${table('orders-it-1')}/index/by-date`;
const OBJECTS = [
  'arn:aws:s3:::acme-it/a.txt',
  'arn:aws:s3:::acme-it/logs/b.txt',
  'arn:aws:s3:::acme-prod/a.txt',
];
const QUEUES = ['us-east-1:orders-it-q', 'us-east-1:orders-q', 'eu-west-1:orders-it-q'].map((rq) => {
  const [region, queue] = rq.split(':');
  return `arn:aws:sqs:${region}:${ACCOUNT}:${queue}`;
});
const ROLES = ['app-1', 'admin'].map((r) => `arn:aws:iam::${ACCOUNT}:role/${r}`);
const ESCALATION = ['iam:PassRole', 'sts:AssumeRole'];

/** Concrete (action, resource) requests an AWS service could receive: the universe we test against. */
const UNIVERSE: [string, string][] = [
  ...['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'].flatMap((a) =>
    TABLES.map((r) => [a, r] as [string, string]),
  ),
  ['dynamodb:Query', TABLES[0]!],
  ['dynamodb:Query', INDEX],
  ...['s3:GetObject', 's3:PutObject'].flatMap((a) => OBJECTS.map((r) => [a, r] as [string, string])),
  ...['sqs:SendMessage', 'sqs:ReceiveMessage'].flatMap((a) => QUEUES.map((r) => [a, r] as [string, string])),
  ...ESCALATION.flatMap((a) => ROLES.map((r) => [a, r] as [string, string])),
];
const ACTIONS = [...new Set(UNIVERSE.map(([a]) => a))];
const RESOURCES = [...new Set(UNIVERSE.map(([, r]) => r))];

/**
 * Where wildcards may go in a resource: after the resource type (`table/`, `role/`), anywhere in
 * an S3 key. (A wildcard inside the resource type is not one for IAM evaluators.)
 */
function wildcardFrom(arn: string): number {
  const parts = arn.split(':');
  const head = parts.slice(0, 5).join(':').length + 1;
  if (parts[2] === 's3') return head;
  const rest = arn.slice(head);
  return head + rest.search(/[/:]/) + 1;
}

type Edit = { kind: number; at: number };
const edits = fc.array(fc.record({ kind: fc.nat(7), at: fc.nat(60) }), { maxLength: 2 });

function generalizeAction(action: string, ops: Edit[]): string {
  let out = action;
  for (const { kind, at } of ops) {
    const from = out.indexOf(':') + 1;
    if (from === 0) break; // already *
    const p = from + (at % (out.length - from + 1));
    if (kind <= 1) out = `${out.slice(0, p)}*`;
    else if (kind === 2 && p < out.length) out = `${out.slice(0, p)}?${out.slice(p + 1)}`;
    else if (kind === 3) out = `${out.slice(0, p)}*${out.slice(p + 2)}`;
    else if (kind === 4) out = `${out.slice(0, from)}*`;
    else if (kind === 5 && at % 5 === 0) out = '*';
  }
  return out;
}

function generalizeResource(resource: string, ops: Edit[]): string {
  let out = resource;
  for (const { kind, at } of ops) {
    if (out === '*') break;
    const from = wildcardFrom(out);
    const p = from + (at % (out.length - from + 1));
    const parts = out.split(':');
    if (kind <= 1) out = `${out.slice(0, p)}*`;
    else if (kind === 2 && p < out.length) out = `${out.slice(0, p)}?${out.slice(p + 1)}`;
    else if (kind === 3) out = `${out.slice(0, p)}*${out.slice(p + 2)}`;
    else if (kind === 4 && parts[3] !== '') out = [...parts.slice(0, 3), '*', ...parts.slice(4)].join(':');
    else if (kind === 5 && parts[4] !== '') out = [...parts.slice(0, 4), '*', ...parts.slice(5)].join(':');
    else if (kind === 6 && at % 4 === 0) out = '*';
  }
  return out;
}

const actionPattern = fc.tuple(fc.constantFrom(...ACTIONS), edits).map(([a, e]) => generalizeAction(a, e));
const resourcePattern = fc
  .tuple(fc.constantFrom(...RESOURCES), edits)
  .map(([r, e]) => generalizeResource(r, e));
/** Statements that make sense (actions with their own resources) and statements that do not. */
const statement = fc.oneof(
  fc.array(fc.tuple(fc.constantFrom(...UNIVERSE), edits, edits), { minLength: 1, maxLength: 3 }).map(
    (pairs): Permission => ({
      actions: pairs.map(([[a], e]) => generalizeAction(a, e)),
      resources: pairs.map(([[, r], , e]) => generalizeResource(r, e)),
    }),
  ),
  fc.record({
    actions: fc.array(actionPattern, { minLength: 1, maxLength: 3 }),
    resources: fc.array(resourcePattern, { minLength: 1, maxLength: 2 }),
  }),
);

/** A permission drawn from a guardrail statement: some of its actions, each narrowed or kept, on narrowed resources. */
const narrowed = (allow: Permission[]) =>
  fc
    .tuple(
      fc.nat(allow.length - 1),
      fc.array(fc.tuple(fc.nat(10), fc.nat(10), fc.boolean()), { minLength: 1, maxLength: 3 }),
    )
    .map(([i, picks]): Permission => {
      const g = allow[i]!;
      const actions = picks.map(([a]) => g.actions[a % g.actions.length]!);
      const resources = picks.map(([, r, concrete]) => {
        const pattern = g.resources[r % g.resources.length]!;
        // a concrete resource of the pattern when there is one in the universe, else the pattern
        const match = concrete
          ? RESOURCES.find((x) =>
              new RegExp(
                `^${pattern
                  .replace(/[.+^${}()|[\]\\/]/g, '\\$&')
                  .replace(/\*/g, '.*')
                  .replace(/\?/g, '.')}$`,
              ).test(x),
            )
          : undefined;
        return match ?? pattern;
      });
      return { actions, resources };
    });

/** A guardrail naming an escalation action literally, on some roles. */
const namedEscalation = fc
  .tuple(fc.constantFrom(...ESCALATION), fc.constantFrom(...ROLES), edits)
  .map(([action, role, e]): Permission => ({ actions: [action], resources: [generalizeResource(role, e)] }));

const scenario = fc
  .record({
    allow: fc
      .tuple(fc.array(statement, { minLength: 1, maxLength: 3 }), fc.option(namedEscalation))
      .map(([statements, named]) => (named ? [...statements, named] : statements)),
    allowEscalation: fc.boolean(),
  })
  .chain(({ allow, allowEscalation }) =>
    fc.record({
      profile: fc.constant<GuardrailProfile>({ name: 'generated', allow, allowEscalation }),
      requested: fc.oneof(
        fc.constant(undefined),
        fc.array(narrowed(allow), { minLength: 1, maxLength: 3 }),
        fc.array(statement, { minLength: 1, maxLength: 2 }),
      ),
    }),
  );

const policyOf = (statements: Permission[]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: statements.map((s) => ({ Effect: 'Allow', Action: s.actions, Resource: s.resources })),
});
const ALLOW_ALL = policyOf([{ actions: ['*'], resources: ['*'] }]);

async function decision(identity: PolicyDocument, session: PolicyDocument, action: string, resource: string) {
  const result = await runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/jitvend-generated/jitvend-test`,
        action,
        resource: { resource, accountId: ACCOUNT },
        contextVariables: {},
      },
      identityPolicies: [{ name: 'role', policy: identity }],
      sessionPolicy: session,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (result.resultType === 'error') throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

describe('session policies never grant more than the guardrails (checked with iam-simulate)', () => {
  it('the simulator itself sees the session policy and the role policy together', async () => {
    const session = policyOf([{ actions: ['dynamodb:GetItem'], resources: [table('orders-*')] }]);
    const role = policyOf([{ actions: ['dynamodb:GetItem'], resources: [table('orders-it-*')] }]);
    expect(await decision(ALLOW_ALL, session, 'dynamodb:GetItem', table('orders-x'))).toBe('Allowed');
    expect(await decision(role, session, 'dynamodb:GetItem', table('orders-x'))).not.toBe('Allowed');
    expect(await decision(ALLOW_ALL, session, 'dynamodb:PutItem', table('orders-x'))).not.toBe('Allowed');
  });

  it('whatever is built, the role policy made of the guardrails allows all that the session policy allows', async () => {
    let built = 0;
    let allowedPairs = 0;
    let escalationsGranted = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async ({ profile, requested }) => {
        let policy: PolicyDocument;
        try {
          policy = buildSessionPolicy(profile, requested).policy;
        } catch (error) {
          // refusing is always safe, as long as it is a refusal the API can explain
          expect(error).toBeInstanceOf(DomainError);
          return;
        }
        built++;
        const guardrails = policyOf(profile.allow);
        const literal = profile.allow
          .map((s) => ({ actions: s.actions.filter((a) => !/[*?]/.test(a)), resources: s.resources }))
          .filter((s) => s.actions.length > 0);
        for (const [action, resource] of UNIVERSE) {
          if ((await decision(ALLOW_ALL, policy, action, resource)) !== 'Allowed') continue;
          allowedPairs++;
          expect(await decision(guardrails, policy, action, resource), `${action} on ${resource}`).toBe(
            'Allowed',
          );
          if (ESCALATION.includes(action) && !profile.allowEscalation) {
            escalationsGranted++;
            // granted only where a guardrail names the action literally (no wildcard) for that resource
            expect(literal.length, `${action} on ${resource} without a literal guardrail`).toBeGreaterThan(0);
            expect(
              await decision(policyOf(literal), policy, action, resource),
              `${action} on ${resource}`,
            ).toBe('Allowed');
          }
        }
      }),
      { numRuns: 150 },
    );
    // the property must not hold vacuously: many policies were built and allowed something
    expect(built).toBeGreaterThan(30);
    expect(allowedPairs).toBeGreaterThan(50);
    expect(escalationsGranted).toBeGreaterThan(0);
    console.info(
      `built ${built} policies, ${allowedPairs} allowed pairs checked, ${escalationsGranted} named escalations`,
    );
  });

  it('refuses escalation actions covered only by guardrail wildcards', async () => {
    const wildcards: GuardrailProfile = {
      name: 'wild',
      allowEscalation: false,
      allow: [{ actions: ['iam:*', 'sts:*', 'dynamodb:*'], resources: ['*'] }],
    };
    const escalating = fc.tuple(
      fc.constantFrom('iam:*', 'iam:Pass*', 'iam:PassRole', 'sts:Assume*', 'sts:AssumeRole', 'sts:*'),
      fc.constantFrom('*', ...ROLES),
    );
    fc.assert(
      fc.property(escalating, ([action, resource]) => {
        expect(() => buildSessionPolicy(wildcards, [{ actions: [action], resources: [resource] }])).toThrow(
          /privilege-escalation/,
        );
      }),
      { numRuns: 30 },
    );
    // what the profile may grant does not let the session pass or assume roles
    const policy = buildSessionPolicy(wildcards, [{ actions: ['dynamodb:*'], resources: ['*'] }]).policy;
    for (const role of ROLES) {
      for (const action of ESCALATION)
        expect(await decision(ALLOW_ALL, policy, action, role)).not.toBe('Allowed');
    }
  });
});

/** The JSON built, or undefined when the check met jitvend's work bound (a ValidationError saying so). */
function boundedBuild(profile: GuardrailProfile, requested: Permission[]): string | undefined {
  try {
    return buildSessionPolicy(profile, requested).json;
  } catch (error) {
    if (error instanceof ValidationError && /work bound/.test(error.message)) return undefined;
    throw error;
  }
}

describe('determinism', () => {
  it('the same permissions in another order or repeated build the same JSON, and rebuilding is stable', () => {
    const shuffled = (xs: Permission[], seed: number) =>
      xs
        .map((p, i) => ({ p, k: (i * 7919 + seed) % 101 }))
        .sort((a, b) => a.k - b.k)
        .map(({ p }) => ({
          actions: seed % 2 ? [...p.actions].reverse() : [...p.actions, ...p.actions],
          resources: [...p.resources].reverse(),
        }));
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 3 }), fc.nat(1000), (allow, seed) => {
        const profile: GuardrailProfile = { name: 'd', allow, allowEscalation: true };
        let first: ReturnType<typeof buildSessionPolicy>;
        try {
          first = buildSessionPolicy(profile);
        } catch (error) {
          expect(error).toBeInstanceOf(DomainError);
          return;
        }
        // checking a request against the guardrails is bounded work (the whole profile is not
        // checked against itself): a shuffled, repeated request may meet the bound, and is then
        // refused with a clear 400, never built differently
        const shuffledJson = boundedBuild(profile, shuffled(allow, seed));
        if (shuffledJson !== undefined) expect(shuffledJson).toBe(first.json);
        // rebuilding from its own output: the same access (each inside the other, exactly), never
        // longer. Not always the same text: minimising is bounded work too, so a big first build
        // may stop before a smaller input is minimised further
        const again = boundedBuild(profile, first.permissions);
        if (again !== undefined) {
          expect(again.length).toBeLessThanOrEqual(first.json.length);
          const rebuilt = buildSessionPolicy(profile, first.permissions);
          // each inside the other: a pair outside throws OutsideGuardrailsError and fails the property
          const inside = (allow: Permission[], requested: Permission[]) =>
            boundedBuild({ name: 'exact', allow, allowEscalation: true }, requested);
          inside(first.permissions, rebuilt.permissions);
          inside(rebuilt.permissions, first.permissions);
        }
        expect(buildSessionPolicy({ ...profile, allow: shuffled(allow, seed + 1) }).json).toBe(first.json);
      }),
      { numRuns: 100 },
    );
  });
});
