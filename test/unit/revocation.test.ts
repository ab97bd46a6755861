/**
 * The revocation deny: each role's denied sessions in one versioned list (DynamoDB), packed
 * as one Deny statement per policy listing their `aws:SourceIdentity`, inline first and then
 * in customer-managed policies. Sized against IAM's quotas ("IAM and AWS STS quotas", IAM User
 * Guide: a role's inline policies together at most 10,240 characters; one managed policy at
 * most 6,144; whitespace not counted; 5 versions of a managed policy; 10 managed policies
 * attached to a role by default), kept until the session's expiry plus the grace. The real IAM
 * adapter is tested against aws-sdk-client-mock; what the deny does is checked with iam-simulate.
 */
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  LimitExceededException,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { IamSessionRevoker } from '../../shared/adapters/iam/session-revoker.ts';
import {
  DENY_POLICY_NAME,
  type DenyEntry,
  type DenyList,
  type DenyListStore,
  denyUntil,
  EMPTY_DENY_LIST,
  MANAGED_POLICY_MAX_CHARS,
  managedDenyPolicyName,
  planDeny,
  planRelease,
  policySize,
  RevocationLimitError,
  ROLE_INLINE_POLICY_MAX_CHARS,
  renderDenyShard,
  revocationPolicyName,
  roleAccountOf,
  roleNameOf,
  SHARD_OVERHEAD_CHARS,
  shardChars,
  shardRoom,
} from '../../shared/domain/revocation.ts';
import { InMemoryDenyListStore } from '../fakes/deny-list-store.ts';
import { denyListStoreContract } from '../helpers/deny-list-contract.ts';

const ROLE = 'arn:aws:iam::123456789012:role/ci/jitvend-orders-it';
const NOW = new Date('2026-11-24T10:00:00.000Z');
const clock = { now: () => NOW };
const SI = 'jitvend-1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed';
const OTHER = 'jitvend-6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b';
const THIRD = 'jitvend-0d3c5a5e-6a43-4c43-8d7f-3f2a4a5e9c11';
const EXPIRES = '2026-11-24T10:15:00.000Z';
const UNTIL = '2026-11-24T10:20:00Z';
const GUARDRAILS = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: ['*'] }],
});
const OPTIONS = {
  now: NOW,
  inlineOthers: policySize(GUARDRAILS),
  managedShards: 8,
  roleName: 'jitvend-orders-it',
};
const MANAGED_ARN = (n: number) =>
  `arn:aws:iam::123456789012:policy/jitvend/${managedDenyPolicyName('jitvend-orders-it', n)}`;

const iam = mockClient(IAMClient);
afterEach(() => iam.reset());

function entry(sourceIdentity: string, until = UNTIL, shard = 0): DenyEntry {
  return { sourceIdentity, until, shard };
}

/** A UUID-shaped source identity, as jitvend issues them. */
function sessionId(n: number): string {
  const hex = n.toString(16).padStart(12, '0');
  return `jitvend-00000000-0000-4000-8000-${hex}`;
}

/** Fills a list through planDeny until it refuses; returns the list and how many it took. */
function fill(options = OPTIONS, until = UNTIL): { list: DenyList; count: number; error: unknown } {
  let list: DenyList = EMPTY_DENY_LIST;
  for (let n = 0; ; n++) {
    try {
      const step = planDeny(list, { sourceIdentity: sessionId(n), until }, options);
      if (step.kind !== 'add') throw new Error(`unexpected ${step.kind}`);
      list = { version: list.version + 1, entries: [...list.entries, step.entry] };
    } catch (error) {
      return { list, count: n, error };
    }
  }
}

/** IAM behind the mock: a role's inline policies and jitvend's managed policies, as IAM answers them. */
function fakeIam(initial: Record<string, string> = {}) {
  const inline = { ...initial };
  const managed = new Map<
    string,
    { versions: { id: string; doc: string; at: number }[]; def: string; n: number }
  >();
  const attached = new Set<string>();
  iam.on(ListRolePoliciesCommand).callsFake(() => ({ PolicyNames: Object.keys(inline), IsTruncated: false }));
  iam.on(GetRolePolicyCommand).callsFake((input: { PolicyName: string }) => {
    const doc = inline[input.PolicyName];
    if (doc === undefined) throw new NoSuchEntityException({ message: 'not found', $metadata: {} });
    return { PolicyDocument: encodeURIComponent(doc) };
  });
  iam.on(PutRolePolicyCommand).callsFake((input: { PolicyName: string; PolicyDocument: string }) => {
    inline[input.PolicyName] = input.PolicyDocument;
    return {};
  });
  iam.on(DeleteRolePolicyCommand).callsFake((input: { PolicyName: string }) => {
    if (!(input.PolicyName in inline))
      throw new NoSuchEntityException({ message: 'not found', $metadata: {} });
    delete inline[input.PolicyName];
    return {};
  });
  iam
    .on(CreatePolicyCommand)
    .callsFake((input: { PolicyName: string; Path: string; PolicyDocument: string }) => {
      const arn = `arn:aws:iam::123456789012:policy${input.Path}${input.PolicyName}`;
      managed.set(arn, { versions: [{ id: 'v1', doc: input.PolicyDocument, at: 1 }], def: 'v1', n: 2 });
      return { Policy: { Arn: arn } };
    });
  iam.on(CreatePolicyVersionCommand).callsFake((input: { PolicyArn: string; PolicyDocument: string }) => {
    const policy = managed.get(input.PolicyArn);
    if (!policy) throw new NoSuchEntityException({ message: 'no policy', $metadata: {} });
    if (policy.versions.length >= 5)
      throw new LimitExceededException({
        message: 'A managed policy can have up to 5 versions.',
        $metadata: {},
      });
    const id = `v${policy.n}`;
    policy.versions.push({ id, doc: input.PolicyDocument, at: policy.n++ });
    policy.def = id;
    return {};
  });
  iam.on(ListPolicyVersionsCommand).callsFake((input: { PolicyArn: string }) => {
    const policy = managed.get(input.PolicyArn)!;
    return {
      Versions: policy.versions.map((v) => ({
        VersionId: v.id,
        IsDefaultVersion: v.id === policy.def,
        CreateDate: new Date(v.at * 1000),
      })),
    };
  });
  iam.on(DeletePolicyVersionCommand).callsFake((input: { PolicyArn: string; VersionId: string }) => {
    const policy = managed.get(input.PolicyArn)!;
    policy.versions = policy.versions.filter((v) => v.id !== input.VersionId);
    return {};
  });
  iam.on(AttachRolePolicyCommand).callsFake((input: { PolicyArn: string }) => {
    attached.add(input.PolicyArn);
    return {};
  });
  const defaultDoc = (arn: string) => {
    const policy = managed.get(arn);
    return policy?.versions.find((v) => v.id === policy.def)?.doc;
  };
  return { inline, managed, attached, defaultDoc };
}

/** Puts a list's entries into a store, as earlier revocations would have. */
async function seed(store: InMemoryDenyListStore, list: DenyList): Promise<void> {
  for (const e of list.entries) await store.add(ROLE, e, 100_000);
}

function idsIn(document: string | undefined): string[] {
  if (!document) return [];
  const ids = (
    JSON.parse(document) as {
      Statement: { Condition: { StringEquals: Record<string, string | string[]> } }[];
    }
  ).Statement[0]!.Condition.StringEquals['aws:SourceIdentity']!;
  return Array.isArray(ids) ? ids : [ids];
}

denyListStoreContract('in-memory fake', () => new InMemoryDenyListStore());

describe('the deny list (domain)', () => {
  it('renders one Deny listing exactly the sessions, bounded by the latest of their ends', () => {
    const doc = JSON.parse(renderDenyShard([entry(OTHER, '2026-11-24T10:30:00Z'), entry(SI)], 0)!);
    expect(doc).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'JitvendDenies',
          Effect: 'Deny',
          Action: '*',
          Resource: '*',
          Condition: {
            StringEquals: { 'aws:SourceIdentity': [SI, OTHER].sort() },
            DateLessThan: { 'aws:CurrentTime': '2026-11-24T10:30:00Z' },
          },
        },
      ],
    });
    expect(renderDenyShard([entry(SI)], 1)).toBeUndefined();
    // deterministic: two writers with the same entries put the same document
    expect(renderDenyShard([entry(SI), entry(OTHER)], 0)).toBe(renderDenyShard([entry(OTHER), entry(SI)], 0));
  });

  it('rounds the end of the deny UP to the second (IAM and Step Functions Wait compare whole seconds)', () => {
    expect(denyUntil('2026-11-24T10:15:00.001Z')).toBe('2026-11-24T10:20:01Z');
    expect(denyUntil('2026-11-24T10:15:00.999Z')).toBe('2026-11-24T10:20:01Z');
    expect(denyUntil('2026-11-24T10:15:00.000Z')).toBe('2026-11-24T10:20:00Z');
  });

  it('a first deny goes into the inline policy; the same deny again is already listed; a later end extends it', () => {
    const first = planDeny(EMPTY_DENY_LIST, { sourceIdentity: SI, until: UNTIL }, OPTIONS);
    expect(first).toMatchObject({ kind: 'add', entry: entry(SI) });
    const list: DenyList = { version: 1, entries: [entry(SI)] };
    expect(planDeny(list, { sourceIdentity: SI, until: UNTIL }, OPTIONS)).toEqual({
      kind: 'listed',
      shard: 0,
    });
    expect(planDeny(list, { sourceIdentity: SI, until: '2026-11-24T10:50:00Z' }, OPTIONS)).toEqual({
      kind: 'extend',
      entry: entry(SI, '2026-11-24T10:50:00Z'),
    });
  });

  it('when every shard is full, removes lapsed entries first; refuses only when nothing has lapsed', () => {
    const { list } = fill();
    const lapsed = { ...list.entries[3]!, until: '2026-11-24T09:59:59Z' };
    const withLapsed = { ...list, entries: list.entries.map((e, i) => (i === 3 ? lapsed : e)) };
    expect(planDeny(withLapsed, { sourceIdentity: SI, until: UNTIL }, OPTIONS)).toEqual({
      kind: 'prune',
      entries: [lapsed],
    });
    expect(() => planDeny(list, { sourceIdentity: SI, until: UNTIL }, OPTIONS)).toThrow(RevocationLimitError);
  });

  it('the counted characters bound the rendered shard: a shard filled to its room renders within IAM’s limit', () => {
    const { list } = fill();
    for (let shard = 0; shard <= 8; shard++) {
      const doc = renderDenyShard(list.entries, shard)!;
      expect(policySize(doc)).toBeLessThanOrEqual(SHARD_OVERHEAD_CHARS + shardChars(list, shard));
      expect(shardChars(list, shard)).toBeLessThanOrEqual(shardRoom(shard, OPTIONS.inlineOthers));
    }
  });

  it('holds over a thousand live denies per role beside 8 managed policies, each shard within IAM’s limits', () => {
    const { list, count, error } = fill();
    expect(count).toBeGreaterThanOrEqual(1_050);
    expect(error).toBeInstanceOf(RevocationLimitError);
    expect(String((error as Error).message)).toMatch(
      /role jitvend-orders-it cannot hold another revocation: it already denies \d+ live sessions.*revocation\.managedPolicies/,
    );
    const inline = renderDenyShard(list.entries, 0)!;
    expect(policySize(inline) + policySize(GUARDRAILS)).toBeLessThanOrEqual(ROLE_INLINE_POLICY_MAX_CHARS);
    for (let shard = 1; shard <= 8; shard++)
      expect(policySize(renderDenyShard(list.entries, shard)!)).toBeLessThanOrEqual(MANAGED_POLICY_MAX_CHARS);
    expect(new Set(list.entries.map((e) => e.shard)).size).toBe(9);
  });

  it('with no managed policies a role still holds ~190 live denies inline (47 characters each, not ~190)', () => {
    const { count } = fill({ ...OPTIONS, managedShards: 0 });
    expect(count).toBeGreaterThanOrEqual(180);
    expect(count).toBeLessThan(220);
  });

  it('never uses a shard from `shardLimit` on (IAM would not attach it)', () => {
    const { list } = fill({ ...OPTIONS, managedShards: 0 });
    const limited = { ...list, shardLimit: 1 };
    expect(() => planDeny(limited, { sourceIdentity: SI, until: UNTIL }, OPTIONS)).toThrow(
      RevocationLimitError,
    );
    expect(planDeny({ ...list, shardLimit: 2 }, { sourceIdentity: SI, until: UNTIL }, OPTIONS)).toMatchObject(
      {
        kind: 'add',
        entry: { shard: 1 },
      },
    );
  });

  it('release removes a deny only once it has lapsed, with every lapsed entry', () => {
    const old = entry(OTHER, '2026-11-24T09:00:00Z');
    const list: DenyList = { version: 2, entries: [entry(SI), old] };
    expect(planRelease(list, SI, new Date('2026-11-24T10:19:59.999Z'))).toEqual([]);
    expect(planRelease(list, THIRD, NOW)).toEqual([]);
    expect(planRelease(list, SI, new Date('2026-11-24T10:20:00.000Z'))).toEqual([entry(SI), old]);
  });

  it('counts policy size as IAM does, and reads role ARNs with a path', () => {
    expect(policySize('{ "a" : [ 1, 2 ] }\n')).toBe('{"a":[1,2]}'.length);
    expect(roleNameOf(ROLE)).toBe('jitvend-orders-it');
    expect(roleAccountOf(ROLE)).toEqual({ partition: 'aws', account: '123456789012' });
    expect(() => roleNameOf('arn:aws:iam::123456789012:user/x')).toThrow(/not a role ARN/);
  });
});

describe('IamSessionRevoker (AWS adapter, IAM mocked, the list in an in-memory store)', () => {
  function revoker(store = new InMemoryDenyListStore(), at = clock) {
    return {
      store,
      revoker: new IamSessionRevoker({ client: new IAMClient({}), clock: at, denyLists: store }),
    };
  }

  it('sizes the role’s inline policies, commits the list, then puts it as the inline policy jitvend-denies', async () => {
    const fake = fakeIam({ Guardrails: GUARDRAILS });
    const { store, revoker: r } = revoker();
    await r.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES });
    await r.revoke({ roleArn: ROLE, sourceIdentity: OTHER, expiresAt: EXPIRES });
    expect(iam).toHaveReceivedCommandWith(GetRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyName: 'Guardrails',
    });
    expect(Object.keys(fake.inline).sort()).toEqual(['Guardrails', DENY_POLICY_NAME]);
    expect(idsIn(fake.inline[DENY_POLICY_NAME])).toEqual([SI, OTHER].sort());
    expect((await store.get(ROLE))?.version).toBe(2);
    expect(iam).not.toHaveReceivedCommand(CreatePolicyCommand);
  });

  it('a retried revocation of a listed session puts the list again (a failure between commit and IAM heals)', async () => {
    const fake = fakeIam();
    const { store, revoker: r } = revoker();
    await store.add(ROLE, entry(SI), 10_000);
    await r.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES });
    expect(idsIn(fake.inline[DENY_POLICY_NAME])).toEqual([SI]);
    expect((await store.get(ROLE))?.version).toBe(1);
  });

  it('spills into a managed policy under /jitvend/, created and attached before any deny is committed to it', async () => {
    const fake = fakeIam({ Guardrails: GUARDRAILS });
    const { list } = fill({ ...OPTIONS, managedShards: 0 });
    const { store, revoker: r } = revoker();
    await seed(store, list);
    await r.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES });
    expect(iam).toHaveReceivedCommandWith(CreatePolicyCommand, {
      PolicyName: 'jitvend-denies-jitvend-orders-it-1',
      Path: '/jitvend/',
    });
    expect(iam).toHaveReceivedCommandWith(AttachRolePolicyCommand, {
      RoleName: 'jitvend-orders-it',
      PolicyArn: MANAGED_ARN(1),
    });
    expect(idsIn(fake.defaultDoc(MANAGED_ARN(1)))).toEqual([SI]);
    expect(iam).toHaveReceivedCommandWith(CreatePolicyVersionCommand, {
      PolicyArn: MANAGED_ARN(1),
      SetAsDefault: true,
    });
    // the inline shard was not rewritten: only the shards a change touches are put
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
  });

  it('deletes the oldest non-default version when IAM keeps 5, and retries', async () => {
    const fake = fakeIam({ Guardrails: GUARDRAILS });
    const { list } = fill({ ...OPTIONS, managedShards: 0 });
    const { store, revoker: r } = revoker();
    await seed(store, list);
    for (let n = 0; n < 6; n++)
      await r.revoke({ roleArn: ROLE, sourceIdentity: sessionId(10_000 + n), expiresAt: EXPIRES });
    expect(iam).toHaveReceivedCommandWith(DeletePolicyVersionCommand, {
      PolicyArn: MANAGED_ARN(1),
      VersionId: 'v1',
    });
    expect(fake.managed.get(MANAGED_ARN(1))!.versions.length).toBeLessThanOrEqual(5);
    expect(idsIn(fake.defaultDoc(MANAGED_ARN(1)))).toHaveLength(6);
  });

  it('a role whose managed policy quota is full: refused with RevocationLimitError, the limit recorded, nothing committed', async () => {
    fakeIam({ Guardrails: GUARDRAILS });
    iam
      .on(AttachRolePolicyCommand)
      .rejects(
        new LimitExceededException({ message: 'Cannot exceed quota for PoliciesPerRole: 10', $metadata: {} }),
      );
    const { list } = fill({ ...OPTIONS, managedShards: 0 });
    const { store, revoker: r } = revoker();
    await seed(store, list);
    await expect(r.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES })).rejects.toThrow(
      RevocationLimitError,
    );
    const stored = await store.get(ROLE);
    expect(stored?.shardLimit).toBe(1);
    expect(stored?.entries.some((e) => e.sourceIdentity === SI)).toBe(false);
    expect(iam).not.toHaveReceivedCommand(CreatePolicyVersionCommand);
  });

  it('maps IAM’s own LimitExceeded on the inline policy (someone filled the reserve) to RevocationLimitError', async () => {
    fakeIam();
    iam
      .on(PutRolePolicyCommand)
      .rejects(
        new LimitExceededException({ message: 'Maximum policy size of 10240 bytes exceeded', $metadata: {} }),
      );
    await expect(
      revoker().revoker.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES }),
    ).rejects.toThrow(RevocationLimitError);
  });

  it('two writers whose IAM puts land out of order: the role ends up denying both', async () => {
    const fake = fakeIam();
    const store = new InMemoryDenyListStore();
    let firstCommitted!: () => void;
    const committed = new Promise<void>((resolve) => {
      firstCommitted = resolve;
    });
    const watched: DenyListStore = {
      get: (arn) => store.get(arn),
      add: async (arn, e, room) => {
        const next = await store.add(arn, e, room);
        if (next) firstCommitted();
        return next;
      },
      extend: (arn, e) => store.extend(arn, e),
      remove: (arn, entries) => store.remove(arn, entries),
      limitShards: (arn, shard) => store.limitShards(arn, shard),
    };
    // the put of A's first version (SI alone) is slow: it lands after B's put of the newer list
    iam.on(PutRolePolicyCommand).callsFake(async (input: { PolicyName: string; PolicyDocument: string }) => {
      if (idsIn(input.PolicyDocument).length === 1) await new Promise((r) => setTimeout(r, 60));
      fake.inline[input.PolicyName] = input.PolicyDocument;
      return {};
    });
    const a = new IamSessionRevoker({ client: new IAMClient({}), clock, denyLists: watched });
    const b = new IamSessionRevoker({ client: new IAMClient({}), clock, denyLists: watched });
    await Promise.all([
      a.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES }),
      committed.then(() => b.revoke({ roleArn: ROLE, sourceIdentity: OTHER, expiresAt: EXPIRES })),
    ]);
    expect(idsIn(fake.inline[DENY_POLICY_NAME])).toEqual([SI, OTHER].sort());
  });

  it('20 revocations racing on one role: every one listed, in the store and in IAM', async () => {
    const fake = fakeIam({ Guardrails: GUARDRAILS });
    const store = new InMemoryDenyListStore();
    const sessions = Array.from({ length: 20 }, (_, n) => sessionId(n));
    await Promise.all(
      sessions.map((sourceIdentity) =>
        new IamSessionRevoker({ client: new IAMClient({}), clock, denyLists: store }).revoke({
          roleArn: ROLE,
          sourceIdentity,
          expiresAt: EXPIRES,
        }),
      ),
    );
    expect(idsIn(fake.inline[DENY_POLICY_NAME])).toEqual([...sessions].sort());
    expect((await store.get(ROLE))?.entries).toHaveLength(20);
  });

  it('deletes lapsed per-request denies of the previous version instead of counting them; keeps live ones', async () => {
    const legacy = (si: string, expires: string) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Action: '*',
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceIdentity': si },
              DateLessThan: { 'aws:CurrentTime': denyUntil(expires) },
            },
          },
        ],
      });
    const fake = fakeIam({
      [revocationPolicyName(OTHER)]: legacy(OTHER, '2026-11-24T09:00:00.000Z'),
      [revocationPolicyName(THIRD)]: legacy(THIRD, EXPIRES),
    });
    await revoker().revoker.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES });
    expect(Object.keys(fake.inline).sort()).toEqual([DENY_POLICY_NAME, revocationPolicyName(THIRD)].sort());
    // release of the previous version's live deny waits for it to lapse, then deletes it
    const later = { now: () => new Date('2026-11-24T10:20:00.000Z') };
    await revoker(new InMemoryDenyListStore(), later).revoker.release({
      roleArn: ROLE,
      sourceIdentity: THIRD,
    });
    expect(fake.inline[revocationPolicyName(THIRD)]).toBeUndefined();
  });

  it('release keeps a deny that has not lapsed, and removes it (the policy with it) once it has', async () => {
    const fake = fakeIam();
    const store = new InMemoryDenyListStore();
    await revoker(store).revoker.revoke({ roleArn: ROLE, sourceIdentity: SI, expiresAt: EXPIRES });
    await revoker(store, { now: () => new Date('2026-11-24T10:19:59.999Z') }).revoker.release({
      roleArn: ROLE,
      sourceIdentity: SI,
    });
    expect(idsIn(fake.inline[DENY_POLICY_NAME])).toEqual([SI]);
    await revoker(store, { now: () => new Date('2026-11-24T10:20:00.000Z') }).revoker.release({
      roleArn: ROLE,
      sourceIdentity: SI,
    });
    expect(fake.inline[DENY_POLICY_NAME]).toBeUndefined();
    expect((await store.get(ROLE))?.entries).toEqual([]);
  });

  it('release of a session that was never denied, or already removed, does nothing', async () => {
    fakeIam();
    const { revoker: r } = revoker();
    await expect(r.release({ roleArn: ROLE, sourceIdentity: SI })).resolves.toBeUndefined();
    expect(iam).not.toHaveReceivedCommand(PutRolePolicyCommand);
    expect(iam).not.toHaveReceivedCommand(DeleteRolePolicyCommand);
  });
});

describe('what the revocation does in IAM (checked with iam-simulate)', () => {
  const guardrails = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem'],
        Resource: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*'],
      },
    ],
  };
  const session = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: 'dynamodb:GetItem',
        Resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users',
      },
    ],
  };
  async function getItemAs(sourceIdentity: string, revocation: string | undefined, at = NOW) {
    const result = await runSimulation(
      {
        request: {
          principal: `arn:aws:sts::123456789012:assumed-role/jitvend-orders-it/${sourceIdentity}`,
          action: 'dynamodb:GetItem',
          resource: {
            resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users',
            accountId: '123456789012',
          },
          contextVariables: { 'aws:SourceIdentity': sourceIdentity, 'aws:CurrentTime': at.toISOString() },
        },
        identityPolicies: [
          { name: 'guardrails', policy: guardrails },
          ...(revocation ? [{ name: DENY_POLICY_NAME, policy: JSON.parse(revocation) }] : []),
        ],
        sessionPolicy: session,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') throw new Error(JSON.stringify(result.errors));
    return result.overallResult;
  }

  it('every listed session is denied; a session of the same role that is not listed is not', async () => {
    expect(await getItemAs(SI, undefined)).toBe('Allowed');
    const revocation = renderDenyShard([entry(SI), entry(OTHER)], 0)!;
    expect(await getItemAs(SI, revocation)).toBe('ExplicitlyDenied');
    expect(await getItemAs(OTHER, revocation)).toBe('ExplicitlyDenied');
    expect(await getItemAs(THIRD, revocation)).toBe('Allowed');
    // and a session whose id merely starts like a listed one (StringEquals, not a prefix match)
    expect(await getItemAs(`${SI}0`.slice(0, 64), revocation)).toBe('Allowed');
  });

  it('the deny still holds a second before expiry + grace, and lapses at it', async () => {
    const revocation = renderDenyShard([entry(SI, denyUntil('2026-11-24T10:15:00.400Z'))], 0)!;
    expect(await getItemAs(SI, revocation, new Date('2026-11-24T10:20:00.900Z'))).toBe('ExplicitlyDenied');
    expect(await getItemAs(SI, revocation, new Date('2026-11-24T10:20:01.000Z'))).toBe('Allowed');
  });
});
