import { randomUUID } from 'node:crypto';
import { DescribeTableCommand, DescribeTimeToLiveCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbRequestStore } from '../../shared/adapters/dynamodb/request-store.ts';
import { ensureTable } from '../../shared/adapters/dynamodb/table.ts';
import { chainAuditEvent, GENESIS_HASH, verifyAuditChain } from '../../shared/domain/audit.ts';
import { ConcurrentUpdateError, ValidationError } from '../../shared/domain/errors.ts';
import type { SealedCredentials } from '../../shared/domain/ports.ts';
import { applyChange } from '../../shared/domain/transition.ts';
import type { AccessRequest, AuditEvent, RequestStatus } from '../../shared/domain/types.ts';
import { countCalls, useDynamoDbLocal } from '../helpers/dynamodb.ts';

const ddb = useDynamoDbLocal();

const ALICE_PIPELINE = 'repo:acme/orders:ref:refs/heads/main';
const BOB_PIPELINE = 'repo:acme/billing:ref:refs/heads/main';
const GITHUB = 'https://token.actions.githubusercontent.com';
const GITLAB = 'https://gitlab.example.com';

/** a requester's list query: its issuer and subject */
function own(subject: string, issuer = GITHUB, includeLegacy = false) {
  return { issuer, subject, includeLegacy };
}
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** A freshly created request (status as given) and its `request_created` event. */
function newRequest(
  overrides: {
    id?: string;
    requester?: string;
    requesterIssuer?: string;
    status?: RequestStatus;
    createdAt?: string;
  } = {},
): { request: AccessRequest; event: AuditEvent } {
  const id = overrides.id ?? randomUUID();
  const requester = overrides.requester ?? ALICE_PIPELINE;
  const createdAt = overrides.createdAt ?? new Date(T0).toISOString();
  const status = overrides.status ?? 'pending_approval';
  const event = chainAuditEvent(id, 1, GENESIS_HASH, {
    type: 'request_created',
    actor: requester,
    channel: 'api',
    at: createdAt,
    to: status,
    sessionPolicyHash: 'policy-hash',
    detail: { profile: 'orders-it', durationSeconds: 900, reason: 'integration tests', route: 'human' },
  });
  const request: AccessRequest = {
    id,
    profile: 'orders-it',
    requester,
    requesterIssuer: overrides.requesterIssuer ?? GITHUB,
    requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/main' },
    initiator: 'alice',
    status,
    permissions: [
      {
        actions: ['dynamodb:GetItem'],
        resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1'],
      },
    ],
    sessionPolicy: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem'],
          Resource: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1'],
        },
      ],
    },
    sessionPolicyHash: 'policy-hash',
    durationSeconds: 900,
    reason: 'integration tests',
    context: { run: '42' },
    approvals: [],
    approvalRoute: { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 },
    createdAt,
    updatedAt: createdAt,
    approvalDeadline: new Date(Date.parse(createdAt) + 30 * 60_000).toISOString(),
    version: 1,
    auditHead: event.hash,
    auditCount: 1,
  };
  return { request, event };
}

function at(offsetSeconds: number): string {
  return new Date(T0 + offsetSeconds * 1000).toISOString();
}

function approve(prev: AccessRequest, person = 'bob', when = at(60)) {
  return applyChange(prev, {
    to: 'approved',
    patch: { approvals: [...prev.approvals, { person, decision: 'approve', channel: 'slack', at: when }] },
    event: { type: 'request_approved', actor: person, channel: 'slack', at: when },
  });
}

function deny(prev: AccessRequest, person = 'bob', when = at(60)) {
  return applyChange(prev, {
    to: 'denied',
    patch: {
      approvals: [...prev.approvals, { person, decision: 'deny', channel: 'email', at: when }],
      statusReason: `denied by ${person}`,
    },
    event: { type: 'request_denied', actor: person, channel: 'email', at: when },
  });
}

function issue(prev: AccessRequest, when = at(120)) {
  const expiresAt = new Date(Date.parse(when) + prev.durationSeconds * 1000).toISOString();
  return applyChange(prev, {
    to: 'issued',
    patch: { issuedAt: when, expiresAt },
    event: { type: 'credentials_issued', actor: 'jitvend', channel: 'workflow', at: when },
  });
}

function deliver(prev: AccessRequest, when = at(130)) {
  return applyChange(prev, {
    patch: { credentialsDeliveredAt: when },
    event: { type: 'credentials_delivered', actor: prev.requester, channel: 'api', at: when },
  });
}

const SEALED: SealedCredentials = { ciphertext: 'c2VhbGVk', expiration: at(1020) };

describe('DynamoDbRequestStore', () => {
  let tableName: string;
  let store: DynamoDbRequestStore;

  beforeAll(async () => {
    tableName = await ddb.createTable();
    store = new DynamoDbRequestStore({ tableName, client: ddb.documentClient });
  });

  describe('the table', () => {
    it('has the single-table design: PK/SK, the list indexes, a NEW_AND_OLD_IMAGES stream and TTL on `ttl`', async () => {
      const { Table } = await ddb.client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ]);
      expect(Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([
        'byRequester',
        'byStatus',
        'byTime',
      ]);
      expect(Table?.StreamSpecification).toEqual({
        StreamEnabled: true,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      });
      const ttl = await ddb.client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
      expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
    });

    it('ensureTable is idempotent', async () => {
      await ensureTable(ddb.client, tableName);
      await ensureTable(ddb.client, tableName);
      const { Table } = await ddb.client.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    });
  });

  describe('create and get', () => {
    it('writes the request and its first audit event, and reads the request back as it was', async () => {
      const { request, event } = newRequest();
      await expect(store.create(request, event)).resolves.toEqual({ request, created: true });
      expect(await store.get(request.id)).toEqual(request);
      expect(await store.listAudit(request.id)).toEqual([event]);
    });

    it('stores the items under the documented keys', async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      const raw = await ddb.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: `REQ#${request.id}` }, SK: { S: 'REQUEST' } },
        }),
      );
      expect(raw.Item).toMatchObject({
        itemType: { S: 'request' },
        requester: { S: ALICE_PIPELINE },
        status: { S: 'pending_approval' },
        listPartition: { S: 'REQUESTS' },
        listKey: { S: `${request.createdAt}#${request.id}` },
        version: { N: '1' },
      });
      const audit = await ddb.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: `REQ#${request.id}` }, SK: { S: 'AUDIT#00000001' } },
        }),
      );
      expect(audit.Item?.hash).toEqual({ S: event.hash });
    });

    it('drops optional fields left undefined', async () => {
      const { request, event } = newRequest();
      const withHoles: AccessRequest = { ...request, initiator: undefined, statusReason: undefined };
      await store.create(withHoles, event);
      const stored = await store.get(request.id);
      expect(stored).toBeDefined();
      expect(Object.keys(stored ?? {})).not.toContain('initiator');
      expect(Object.keys(stored ?? {})).not.toContain('statusReason');
    });

    it('returns undefined for an unknown id', async () => {
      expect(await store.get('no-such-request')).toBeUndefined();
    });

    it('refuses a second request with the same id', async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      await expect(store.create({ ...request, reason: 'again' }, event)).rejects.toThrow(
        ConcurrentUpdateError,
      );
      expect((await store.get(request.id))?.reason).toBe('integration tests');
    });
  });

  describe('idempotent create', () => {
    it('returns the first request, created: false, for the same requester and key', async () => {
      const key = `key-${randomUUID()}`;
      const first = newRequest();
      const second = newRequest();
      await expect(store.create(first.request, first.event, { idempotencyKey: key })).resolves.toMatchObject({
        created: true,
      });
      const replay = await store.create(second.request, second.event, { idempotencyKey: key });
      expect(replay).toEqual({ request: first.request, created: false });
      expect(await store.get(second.request.id)).toBeUndefined();
      expect(await store.listAudit(second.request.id)).toEqual([]);
    });

    it('returns the request as it is now, not as it was created', async () => {
      const key = `key-${randomUUID()}`;
      const { request, event } = newRequest();
      await store.create(request, event, { idempotencyKey: key });
      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);
      const again = newRequest();
      const replay = await store.create(again.request, again.event, { idempotencyKey: key });
      expect(replay).toEqual({ request: approved.next, created: false });
    });

    it('keeps keys apart per requester', async () => {
      const key = `key-${randomUUID()}`;
      const alice = newRequest({ requester: ALICE_PIPELINE });
      const bob = newRequest({ requester: BOB_PIPELINE });
      await store.create(alice.request, alice.event, { idempotencyKey: key });
      await expect(store.create(bob.request, bob.event, { idempotencyKey: key })).resolves.toEqual({
        request: bob.request,
        created: true,
      });
    });

    it('keeps keys apart per issuer: the same subject and key from another issuer is another request', async () => {
      const key = `key-${randomUUID()}`;
      const github = newRequest({ requester: ALICE_PIPELINE, requesterIssuer: GITHUB });
      const gitlab = newRequest({ requester: ALICE_PIPELINE, requesterIssuer: GITLAB });
      await store.create(github.request, github.event, { idempotencyKey: key });
      await expect(store.create(gitlab.request, gitlab.event, { idempotencyKey: key })).resolves.toEqual({
        request: gitlab.request,
        created: true,
      });
    });

    it('hands back the body fingerprint the key was first used with', async () => {
      const key = `key-${randomUUID()}`;
      const first = newRequest();
      await store.create(first.request, first.event, { idempotencyKey: key, fingerprint: 'body-1' });
      const again = newRequest();
      await expect(
        store.create(again.request, again.event, { idempotencyKey: key, fingerprint: 'body-2' }),
      ).resolves.toEqual({ request: first.request, created: false, fingerprint: 'body-1' });
    });

    it('refuses an idempotency key for a request with no issuer (it would have no owner)', async () => {
      const { request, event } = newRequest();
      const { requesterIssuer: _issuer, ...legacy } = request;
      await expect(store.create(legacy, event, { idempotencyKey: 'k' })).rejects.toThrow(
        /no requesterIssuer/,
      );
      expect(await store.get(request.id)).toBeUndefined();
    });

    it('creates exactly one request when 10 creates race with the same key', async () => {
      const key = `key-${randomUUID()}`;
      const attempts = Array.from({ length: 10 }, () => newRequest());
      const results = await Promise.all(
        attempts.map(({ request, event }) => store.create(request, event, { idempotencyKey: key })),
      );
      expect(results.filter((result) => result.created)).toHaveLength(1);
      const winner = results.find((result) => result.created)?.request.id;
      expect(new Set(results.map((result) => result.request.id))).toEqual(new Set([winner]));
    });
  });

  describe('commit', () => {
    it('moves a request through approve → issue → deliver with its audit events in the same transactions', async () => {
      const { request, event } = newRequest();
      await store.create(request, event);

      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);
      const issued = issue(approved.next);
      await store.commit(approved.next, issued.next, issued.event, { putCredentials: SEALED });
      expect(await store.getCredentials(request.id)).toEqual(SEALED);

      const delivered = deliver(issued.next);
      await store.commit(issued.next, delivered.next, delivered.event, { deleteCredentials: 'required' });

      expect(await store.get(request.id)).toEqual(delivered.next);
      expect(await store.getCredentials(request.id)).toBeUndefined();
      const events = await store.listAudit(request.id);
      expect(events.map((e) => [e.seq, e.type])).toEqual([
        [1, 'request_created'],
        [2, 'request_approved'],
        [3, 'credentials_issued'],
        [4, 'credentials_delivered'],
      ]);
      expect(events).toEqual([event, approved.event, issued.event, delivered.event]);
      expect(verifyAuditChain(events, delivered.next.auditHead)).toEqual({ ok: true });
    });

    it('gives the credentials item a TTL at their expiration (a backstop only)', async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);
      const issued = issue(approved.next);
      await store.commit(approved.next, issued.next, issued.event, { putCredentials: SEALED });
      const raw = await ddb.client.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { PK: { S: `REQ#${request.id}` }, SK: { S: 'CREDENTIALS' } },
        }),
      );
      expect(raw.Item?.ttl).toEqual({ N: String(Date.parse(SEALED.expiration) / 1000) });
      expect(raw.Item?.itemType).toEqual({ S: 'credentials' });
    });

    it('fails from a stale version with ConcurrentUpdateError and writes nothing', async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);

      // a second writer still holding the pending request
      const denied = deny(request, 'alice', at(61));
      const failure = store.commit(request, denied.next, denied.event, { putCredentials: SEALED });
      await expect(failure).rejects.toThrow(ConcurrentUpdateError);
      await expect(failure).rejects.toThrow(
        `request ${request.id} was changed by someone else; read it again`,
      );

      expect(await store.get(request.id)).toEqual(approved.next);
      expect(await store.listAudit(request.id)).toEqual([event, approved.event]);
      expect(await store.getCredentials(request.id)).toBeUndefined();
    });

    it('fails when the status differs even if the version matches', async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      // a writer that believes the request (same version) is already approved
      const believed: AccessRequest = { ...request, status: 'approved' };
      const issued = issue(believed);
      await expect(store.commit(believed, issued.next, issued.event)).rejects.toThrow(ConcurrentUpdateError);
      expect(await store.get(request.id)).toEqual(request);
      expect(await store.listAudit(request.id)).toHaveLength(1);
    });

    it('lets exactly one of 50 concurrent conflicting decisions win, with exactly one audit event', async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      const decisions = Array.from({ length: 50 }, (_, i) =>
        i % 2 === 0
          ? approve(request, `approver-${i}`, at(60 + i))
          : deny(request, `approver-${i}`, at(60 + i)),
      );

      const results = await Promise.allSettled(
        decisions.map((decision) => store.commit(request, decision.next, decision.event)),
      );

      const won = results.flatMap((result, i) => (result.status === 'fulfilled' ? [decisions[i]!] : []));
      const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(49);
      for (const error of lost) expect(error).toBeInstanceOf(ConcurrentUpdateError);

      const winner = won[0]!;
      expect(await store.get(request.id)).toEqual(winner.next);
      const events = await store.listAudit(request.id);
      expect(events).toEqual([event, winner.event]);
      expect(verifyAuditChain(events, winner.next.auditHead)).toEqual({ ok: true });
    });

    it("takes the credentials once: a second take with deleteCredentials 'required' fails and writes nothing", async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);
      const issued = issue(approved.next);
      await store.commit(approved.next, issued.next, issued.event, { putCredentials: SEALED });

      const first = deliver(issued.next, at(130));
      await store.commit(issued.next, first.next, first.event, { deleteCredentials: 'required' });

      // even from the current version, a take needs the credentials to be there
      const current = (await store.get(request.id))!;
      const second = deliver(current, at(131));
      const failure = store.commit(current, second.next, second.event, { deleteCredentials: 'required' });
      await expect(failure).rejects.toThrow(ConcurrentUpdateError);
      await expect(failure).rejects.toThrow(`the credentials of request ${request.id} are no longer stored`);
      expect(await store.get(request.id)).toEqual(first.next);
      expect(await store.listAudit(request.id)).toHaveLength(4);
    });

    it("lets 'if_present' delete credentials that are already gone", async () => {
      const { request, event } = newRequest();
      await store.create(request, event);
      const cancelled = applyChange(request, {
        to: 'cancelled',
        event: { type: 'request_cancelled', actor: request.requester, channel: 'api', at: at(10) },
      });
      await store.commit(request, cancelled.next, cancelled.event, { deleteCredentials: 'if_present' });
      expect((await store.get(request.id))?.status).toBe('cancelled');
    });
  });

  describe('DynamoDB calls', () => {
    it('makes at most 8 calls for create → approve → issue → deliver (each step reads, then commits)', async () => {
      const client = ddb.newDocumentClient();
      const calls = countCalls(client);
      const counted = new DynamoDbRequestStore({ tableName, client });
      const { request, event } = newRequest();

      const idempotencyKey = `key-${randomUUID()}`;
      await counted.create(request, event, { idempotencyKey });
      const pending = (await counted.get(request.id))!;
      const approved = approve(pending);
      await counted.commit(pending, approved.next, approved.event);
      const toIssue = (await counted.get(request.id))!;
      const issued = issue(toIssue);
      await counted.commit(toIssue, issued.next, issued.event, { putCredentials: SEALED });
      const toDeliver = (await counted.get(request.id))!;
      expect(await counted.getCredentials(request.id)).toEqual(SEALED);
      const delivered = deliver(toDeliver);
      await counted.commit(toDeliver, delivered.next, delivered.event, { deleteCredentials: 'required' });

      expect(Object.fromEntries(calls.counts)).toEqual({ TransactWriteItemsCommand: 4, GetItemCommand: 4 });
      expect(calls.total()).toBeLessThanOrEqual(8);

      // an idempotent replay: the cancelled transaction names the stored request, then one read
      const replay = newRequest();
      calls.counts.clear();
      await expect(counted.create(replay.request, replay.event, { idempotencyKey })).resolves.toEqual({
        request: delivered.next,
        created: false,
      });
      expect(Object.fromEntries(calls.counts)).toEqual({ TransactWriteItemsCommand: 1, GetItemCommand: 1 });
    });
  });
});

describe('DynamoDbRequestStore.list', () => {
  let tableName: string;
  let store: DynamoDbRequestStore;
  /** newest first, as list returns them */
  let all: AccessRequest[];

  beforeAll(async () => {
    tableName = await ddb.createTable('jitvend-list');
    store = new DynamoDbRequestStore({ tableName, client: ddb.documentClient });
    const statuses: RequestStatus[] = [
      'pending_approval',
      'approved',
      'denied',
      'issued',
      'pending_approval',
    ];
    const created: AccessRequest[] = [];
    for (let i = 0; i < 12; i++) {
      const { request, event } = newRequest({
        requester: i % 3 === 2 ? BOB_PIPELINE : ALICE_PIPELINE,
        status: statuses[i % statuses.length]!,
        createdAt: at(i * 60),
      });
      await store.create(request, event);
      created.push(request);
    }
    all = created.reverse();
  });

  async function collect(query: Parameters<DynamoDbRequestStore['list']>[0]): Promise<{
    items: AccessRequest[];
    pages: number;
  }> {
    const items: AccessRequest[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.list({ ...query, ...(cursor !== undefined ? { cursor } : {}) });
      expect(page.items.length).toBeLessThanOrEqual(query.limit);
      items.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 50);
    return { items, pages };
  }

  it('lists every request newest first', async () => {
    const page = await store.list({ limit: 50 });
    expect(page).toEqual({ items: all });
  });

  it('pages through every request with an opaque cursor', async () => {
    const first = await store.list({ limit: 5 });
    expect(first.items).toEqual(all.slice(0, 5));
    expect(first.nextCursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const { items, pages } = await collect({ limit: 5 });
    expect(items).toEqual(all);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it("lists a requester's own requests", async () => {
    const { items } = await collect({ requester: own(BOB_PIPELINE), limit: 2 });
    expect(items).toEqual(all.filter((request) => request.requester === BOB_PIPELINE));
    expect(items).toHaveLength(4);
  });

  it('lists by status', async () => {
    const { items } = await collect({ status: 'pending_approval', limit: 2 });
    expect(items).toEqual(all.filter((request) => request.status === 'pending_approval'));
    expect(items.length).toBeGreaterThan(2);
  });

  it("lists a requester's requests in one status, filling pages up to the limit", async () => {
    const expected = all.filter((r) => r.requester === ALICE_PIPELINE && r.status === 'pending_approval');
    const first = await store.list({ requester: own(ALICE_PIPELINE), status: 'pending_approval', limit: 2 });
    expect(first.items).toEqual(expected.slice(0, 2));
    const { items } = await collect({ requester: own(ALICE_PIPELINE), status: 'pending_approval', limit: 2 });
    expect(items).toEqual(expected);
  });

  it('bounds the pages one filtered list reads, returning a short page and a cursor that continues', async () => {
    const bounded = new DynamoDbRequestStore({
      tableName,
      client: ddb.documentClient,
      maxListPages: 1,
      filteredPageSize: 2,
    });
    const expected = all.filter((r) => r.requester === ALICE_PIPELINE && r.status === 'issued');
    const items: AccessRequest[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await bounded.list({
        requester: own(ALICE_PIPELINE),
        status: 'issued',
        limit: 1,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      items.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== undefined && pages < 50);
    expect(items).toEqual(expected);
    expect(pages).toBeGreaterThan(expected.length);
  });

  it('rejects a cursor that is not one of ours, or that belongs to another query', async () => {
    await expect(store.list({ limit: 2, cursor: 'not-a-cursor' })).rejects.toThrow(ValidationError);
    const bobs = await store.list({ requester: own(BOB_PIPELINE), limit: 1 });
    expect(bobs.nextCursor).toBeDefined();
    await expect(
      store.list({ requester: own(ALICE_PIPELINE), limit: 1, cursor: bobs.nextCursor as string }),
    ).rejects.toThrow(ValidationError);
    await expect(store.list({ limit: 1, cursor: bobs.nextCursor as string })).rejects.toThrow(
      ValidationError,
    );
  });

  it('lists by issuer AND subject: the same subject from another issuer is not listed, a legacy item (no issuer) only with includeLegacy', async () => {
    const subject = `repo:acme/shared-${randomUUID()}:ref:refs/heads/main`;
    const github = newRequest({ requester: subject, requesterIssuer: GITHUB, createdAt: at(1000) });
    const gitlab = newRequest({ requester: subject, requesterIssuer: GITLAB, createdAt: at(1001) });
    const legacy = newRequest({ requester: subject, createdAt: at(999) });
    const { requesterIssuer: _none, ...legacyRequest } = legacy.request;
    for (const created of [github, gitlab]) await store.create(created.request, created.event);
    await store.create(legacyRequest, legacy.event);
    const ids = async (requester: ReturnType<typeof own>) =>
      (await store.list({ requester, limit: 10 })).items.map((r) => r.id);
    expect(await ids(own(subject, GITLAB))).toEqual([gitlab.request.id]);
    expect(await ids(own(subject, GITHUB))).toEqual([github.request.id]);
    expect(await ids(own(subject, GITHUB, true))).toEqual([github.request.id, legacy.request.id]);
    expect((await store.get(legacy.request.id))?.requesterIssuer).toBeUndefined();
  });

  it('binds a cursor to the caller it was given to: the same query from another caller is refused', async () => {
    const callerA = `${GITHUB}#${ALICE_PIPELINE}`;
    const callerB = `${GITLAB}#${ALICE_PIPELINE}`;
    const mine = await store.list({ requester: own(ALICE_PIPELINE), limit: 1, caller: callerA });
    expect(mine.nextCursor).toBeDefined();
    const next = await store.list({
      requester: own(ALICE_PIPELINE),
      limit: 1,
      caller: callerA,
      cursor: mine.nextCursor as string,
    });
    expect(next.items).toHaveLength(1);
    for (const caller of [callerB, undefined]) {
      await expect(
        store.list({
          requester: own(ALICE_PIPELINE),
          limit: 1,
          cursor: mine.nextCursor as string,
          ...(caller !== undefined ? { caller } : {}),
        }),
      ).rejects.toThrow(ValidationError);
    }
  });

  it('rejects a limit that is not a positive integer', async () => {
    await expect(store.list({ limit: 0 })).rejects.toThrow(ValidationError);
  });
});
