/**
 * The contract of the RequestRepository port, run against every implementation (the DynamoDB
 * adapter on DynamoDB Local, the in-memory fake of test/fakes): what the use cases rely on.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConcurrentUpdateError, ValidationError } from '../../shared/domain/errors.ts';
import type { RequestRepository, SealedCredentials } from '../../shared/domain/ports.ts';
import { applyChange } from '../../shared/domain/transition.ts';
import type { AccessRequest, RequestStatus } from '../../shared/domain/types.ts';
import { at, GITHUB, newRequest, ORDERS_PIPELINE } from '../helpers/requests.ts';

const SEALED: SealedCredentials = { ciphertext: 'c2VhbGVk', expiration: at(1020) };
const OTHER_PIPELINE = 'repo:acme/billing:ref:refs/heads/main';
const GITLAB = 'https://gitlab.example.com';

function approve(prev: AccessRequest, person = 'bob') {
  return applyChange(prev, {
    to: 'approved',
    patch: { approvals: [...prev.approvals, { person, decision: 'approve', channel: 'slack', at: at(60) }] },
    event: { type: 'request_approved', actor: person, channel: 'slack', at: at(60) },
  });
}
function issue(prev: AccessRequest) {
  return applyChange(prev, {
    to: 'issued',
    patch: { issuedAt: at(120), expiresAt: at(1020) },
    event: { type: 'credentials_issued', actor: 'jitvend', channel: 'workflow', at: at(120) },
  });
}
function deliver(prev: AccessRequest) {
  return applyChange(prev, {
    patch: { credentialsDeliveredAt: at(130) },
    event: { type: 'credentials_delivered', actor: prev.requester, channel: 'api', at: at(130) },
  });
}

/** `make` gives a repository with nothing in it (or nothing these tests would find). */
export function requestRepositoryContract(make: () => Promise<RequestRepository> | RequestRepository): void {
  describe('runs (approval reuse)', () => {
    it('lists the requests created in a run, oldest first, and none of another run', async () => {
      const store = await make();
      const run = randomUUID();
      const first = newRequest();
      const second = newRequest();
      const elsewhere = newRequest();
      await store.create(first.request, first.event, { run });
      await store.create(elsewhere.request, elsewhere.event, { run: randomUUID() });
      await store.create(second.request, second.event, { run });
      expect((await store.listRun(run)).map((r) => r.id)).toEqual([first.request.id, second.request.id]);
      expect(await store.listRun(randomUUID())).toEqual([]);
      // read as stored, changes included
      const { next, event } = approve(first.request);
      await store.commit(first.request, next, event);
      expect((await store.listRun(run))[0]).toEqual(next);
    });

    it('keeps every one of 40 jobs joining one run at once, none refused', async () => {
      const store = await make();
      const run = randomUUID();
      const jobs = Array.from({ length: 40 }, () => newRequest());
      await Promise.all(jobs.map((j) => store.create(j.request, j.event, { run })));
      expect((await store.listRun(run)).map((r) => r.id).sort()).toEqual(
        jobs.map((j) => j.request.id).sort(),
      );
    });

    it('creates a request reusing another only while that one is issued in the same window', async () => {
      const store = await make();
      const created = newRequest();
      await store.create(created.request, created.event);
      const approved = approve(created.request);
      await store.commit(created.request, approved.next, approved.event);
      const issued = applyChange(approved.next, {
        to: 'issued',
        patch: { issuedAt: at(120), expiresAt: at(1020), windowEndsAt: at(7320) },
        event: { type: 'credentials_issued', actor: 'jitvend', channel: 'workflow', at: at(120) },
      });
      await store.commit(approved.next, issued.next, issued.event);
      const reuses = { id: created.request.id, windowEndsAt: at(7320) };
      const ok = newRequest();
      expect((await store.create(ok.request, ok.event, { reuses })).created).toBe(true);
      // another window end (not the one decided on): refused, nothing written
      const other = newRequest();
      await expect(
        store.create(other.request, other.event, { reuses: { ...reuses, windowEndsAt: at(7321) } }),
      ).rejects.toThrow(ConcurrentUpdateError);
      expect(await store.get(other.request.id)).toBeUndefined();
      // released meanwhile: refused, nothing written
      const released = applyChange(issued.next, {
        to: 'released',
        event: { type: 'request_released', actor: ORDERS_PIPELINE, channel: 'api', at: at(200) },
      });
      await store.commit(issued.next, released.next, released.event);
      const late = newRequest();
      const run = randomUUID();
      await expect(store.create(late.request, late.event, { reuses, run })).rejects.toThrow(
        ConcurrentUpdateError,
      );
      expect(await store.get(late.request.id)).toBeUndefined();
      // the run lists only requests that exist
      expect(await store.listRun(run)).toEqual([]);
    });
  });

  describe('create and get', () => {
    it('writes the request with its first audit event and reads both back as they were', async () => {
      const store = await make();
      const { request, event } = newRequest();
      expect(await store.create(request, event)).toEqual({ request, created: true });
      expect(await store.get(request.id)).toEqual(request);
      expect(await store.listAudit(request.id)).toEqual([event]);
    });

    it('answers undefined for an unknown request, and no events', async () => {
      const store = await make();
      expect(await store.get(randomUUID())).toBeUndefined();
      expect(await store.listAudit(randomUUID())).toEqual([]);
    });

    it('refuses a second request with the same id (ConcurrentUpdateError)', async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      await expect(store.create(request, event)).rejects.toThrow(ConcurrentUpdateError);
    });
  });

  describe('idempotent create', () => {
    it('gives the first request back, created: false, with the fingerprint the key was first used with', async () => {
      const store = await make();
      const key = randomUUID();
      const first = newRequest();
      await store.create(first.request, first.event, { idempotencyKey: key, fingerprint: 'body-1' });
      const again = newRequest();
      expect(
        await store.create(again.request, again.event, { idempotencyKey: key, fingerprint: 'body-2' }),
      ).toEqual({
        request: first.request,
        created: false,
        fingerprint: 'body-1',
      });
      expect(await store.get(again.request.id)).toBeUndefined();
    });

    it.each([
      ['another subject', { requester: OTHER_PIPELINE }],
      ['the same subject at another issuer', { requesterIssuer: GITLAB }],
    ])('keeps keys apart per principal: %s creates its own request', async (_, other) => {
      const store = await make();
      const key = randomUUID();
      const first = newRequest();
      await store.create(first.request, first.event, { idempotencyKey: key });
      const second = newRequest(other);
      expect((await store.create(second.request, second.event, { idempotencyKey: key })).created).toBe(true);
    });

    it('refuses a key for a request with no issuer (the key would have no owner)', async () => {
      const store = await make();
      const { request, event } = newRequest({ requesterIssuer: null });
      await expect(store.create(request, event, { idempotencyKey: randomUUID() })).rejects.toThrow(
        /no requesterIssuer/,
      );
    });

    it('creates exactly one request when 10 creates race with one key', async () => {
      const store = await make();
      const key = randomUUID();
      const racers = Array.from({ length: 10 }, () => newRequest());
      const results = await Promise.all(
        racers.map((r) => store.create(r.request, r.event, { idempotencyKey: key })),
      );
      expect(results.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(results.map((r) => r.request.id)).size).toBe(1);
    });
  });

  describe('commit', () => {
    it('moves a request through approve → issue → deliver, each change with its event, credentials kept then taken', async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);
      const issued = issue(approved.next);
      await store.commit(approved.next, issued.next, issued.event, { putCredentials: SEALED });
      expect(await store.getWithCredentials(request.id)).toEqual({
        request: issued.next,
        credentials: SEALED,
      });
      const delivered = deliver(issued.next);
      await store.commit(issued.next, delivered.next, delivered.event, { deleteCredentials: 'required' });
      expect(await store.getWithCredentials(request.id)).toEqual({
        request: delivered.next,
        credentials: undefined,
      });
      expect(await store.listAudit(request.id)).toEqual([
        event,
        approved.event,
        issued.event,
        delivered.event,
      ]);
    });

    it('refuses a change from a stale version (ConcurrentUpdateError) and writes nothing', async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);
      const late = approve(request, 'alice');
      await expect(store.commit(request, late.next, late.event)).rejects.toThrow(ConcurrentUpdateError);
      expect(await store.get(request.id)).toEqual(approved.next);
      expect(await store.listAudit(request.id)).toEqual([event, approved.event]);
    });

    it('refuses a change when the status differs even if the version matches', async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      const believed: AccessRequest = { ...request, status: 'approved' as RequestStatus };
      const issued = issue(believed);
      await expect(store.commit(believed, issued.next, issued.event)).rejects.toThrow(ConcurrentUpdateError);
      expect(await store.listAudit(request.id)).toHaveLength(1);
    });

    it('lets exactly one of 20 concurrent conflicting changes win, with exactly one event', async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      const changes = Array.from({ length: 20 }, (_, i) => approve(request, `person-${i}`));
      const results = await Promise.allSettled(changes.map((c) => store.commit(request, c.next, c.event)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConcurrentUpdateError);
      }
      expect(await store.listAudit(request.id)).toHaveLength(2);
      expect((await store.get(request.id))?.version).toBe(2);
    });

    it("takes the credentials once: a second take with 'required' fails and writes nothing", async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      const approved = approve(request);
      await store.commit(request, approved.next, approved.event);
      const issued = issue(approved.next);
      await store.commit(approved.next, issued.next, issued.event, { putCredentials: SEALED });
      const first = deliver(issued.next);
      await store.commit(issued.next, first.next, first.event, { deleteCredentials: 'required' });
      const current = (await store.get(request.id))!;
      const second = deliver(current);
      await expect(
        store.commit(current, second.next, second.event, { deleteCredentials: 'required' }),
      ).rejects.toThrow(ConcurrentUpdateError);
      expect(await store.get(request.id)).toEqual(current);
      expect(await store.listAudit(request.id)).toHaveLength(4);
    });

    it("lets 'if_present' end a request whose credentials are already gone", async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      const cancelled = applyChange(request, {
        to: 'cancelled',
        event: { type: 'request_cancelled', actor: ORDERS_PIPELINE, channel: 'api', at: at(10) },
      });
      await store.commit(request, cancelled.next, cancelled.event, { deleteCredentials: 'if_present' });
      expect((await store.get(request.id))?.status).toBe('cancelled');
    });

    it('refuses to store and take credentials in one change', async () => {
      const store = await make();
      const { request, event } = newRequest();
      await store.create(request, event);
      const approved = approve(request);
      await expect(
        store.commit(request, approved.next, approved.event, {
          putCredentials: SEALED,
          deleteCredentials: 'if_present',
        }),
      ).rejects.toThrow(/cannot be combined/);
    });
  });

  describe('list', () => {
    /** 6 requests of two pipelines, one minute apart; newest first */
    async function seeded(store: RequestRepository): Promise<{ all: AccessRequest[]; subject: string }> {
      // a subject of its own per run, so a shared table's other rows never show in requester lists
      const subject = `repo:acme/orders-${randomUUID().slice(0, 8)}:ref:refs/heads/main`;
      const statuses: RequestStatus[] = ['pending_approval', 'approved', 'pending_approval'];
      const created: AccessRequest[] = [];
      for (let i = 0; i < 6; i++) {
        const { request, event } = newRequest({
          requester: i % 2 === 0 ? subject : `${subject}-other`,
          status: statuses[i % 3]!,
          createdAt: at(i * 60),
        });
        await store.create(request, event);
        created.push(request);
      }
      return { all: created.reverse(), subject };
    }
    async function everything(
      store: RequestRepository,
      query: Parameters<RequestRepository['list']>[0],
    ): Promise<AccessRequest[]> {
      const items: AccessRequest[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ ...query, ...(cursor !== undefined ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(query.limit);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== undefined && ++pages < 50);
      return items;
    }

    it("pages through a requester's own requests, newest first, each once", async () => {
      const store = await make();
      const { all, subject } = await seeded(store);
      const own = await everything(store, {
        limit: 2,
        requester: { issuer: GITHUB, subject, includeLegacy: false },
      });
      expect(own).toEqual(all.filter((r) => r.requester === subject));
    });

    it("lists a requester's requests in one status", async () => {
      const store = await make();
      const { all, subject } = await seeded(store);
      const pending = await everything(store, {
        limit: 1,
        status: 'pending_approval',
        requester: { issuer: GITHUB, subject, includeLegacy: false },
      });
      expect(pending).toEqual(all.filter((r) => r.requester === subject && r.status === 'pending_approval'));
    });

    it('lists by issuer AND subject: a legacy request (no issuer) only with includeLegacy', async () => {
      const store = await make();
      const subject = `repo:acme/legacy-${randomUUID().slice(0, 8)}:ref:refs/heads/main`;
      const legacy = newRequest({ requester: subject, requesterIssuer: null, createdAt: at(0) });
      const gitlab = newRequest({ requester: subject, requesterIssuer: GITLAB, createdAt: at(60) });
      const github = newRequest({ requester: subject, createdAt: at(120) });
      for (const r of [legacy, gitlab, github]) await store.create(r.request, r.event);
      const query = (includeLegacy: boolean) => ({
        limit: 10,
        requester: { issuer: GITHUB, subject, includeLegacy },
      });
      expect((await store.list(query(false))).items).toEqual([github.request]);
      expect((await store.list(query(true))).items).toEqual([github.request, legacy.request]);
    });

    it('binds a cursor to its caller and the list it pages: any other use is refused (ValidationError)', async () => {
      const store = await make();
      const { subject } = await seeded(store);
      const query = { limit: 1, requester: { issuer: GITHUB, subject, includeLegacy: false } };
      const page = await store.list({ ...query, caller: 'alice' });
      expect(page.nextCursor).toBeDefined();
      const cursor = page.nextCursor!;
      await expect(store.list({ ...query, caller: 'mallory', cursor })).rejects.toThrow(ValidationError);
      const anotherList = {
        limit: 1,
        requester: { issuer: GITHUB, subject: `${subject}-other`, includeLegacy: false },
      };
      await expect(store.list({ ...anotherList, caller: 'alice', cursor })).rejects.toThrow(ValidationError);
      await expect(store.list({ limit: 1, caller: 'alice', cursor })).rejects.toThrow(ValidationError);
      await expect(store.list({ ...query, caller: 'alice', cursor: 'not-a-cursor' })).rejects.toThrow(
        ValidationError,
      );
      expect((await store.list({ ...query, caller: 'alice', cursor })).items).toHaveLength(1);
    });

    it.each([0, -1, 1.5])('refuses limit %s (ValidationError)', async (limit) => {
      const store = await make();
      await expect(store.list({ limit })).rejects.toThrow(ValidationError);
    });
  });
}
