/**
 * Identity attacks: the principal is the token's issuer AND subject (SPEC.md, HTTP API). Each
 * test is one attack with the refusal it must meet, over HTTP against the local stack with three
 * trusted issuers (test/security/identity-stack.ts), or against the verifier where sharper.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalOidcIssuer } from '../../local/oidc-issuer.ts';
import { OidcVerifier } from '../../shared/adapters/oidc/verifier.ts';
import { chainAuditEvent, GENESIS_HASH } from '../../shared/domain/audit.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import { client, GITHUB, GITLAB, LOCAL, LOGIN, TABLE, useSecurityStack } from './identity-stack.ts';

const handle = useSecurityStack();
const c = client(handle);

describe('second trusted issuer, same subject', () => {
  let github: string;
  let gitlab: string;
  let pendingId: string;
  let issuedId: string;

  beforeAll(async () => {
    github = await c.pipeline(GITHUB, 'refs/heads/main');
    // GitLab signs a token whose sub is GitHub's: the same text, another principal
    gitlab = await c.pipeline(GITLAB, 'refs/heads/main');
    pendingId = await c.pending(github);
    issuedId = await c.issued(github);
  });

  it('attack: reads the other issuer’s request → 403', async () => {
    const res = await c.call('GET', `/requests/${pendingId}`, gitlab);
    expect(res.status).toBe(403);
    expect(res.contentType).toContain('application/problem+json');
  });

  it('attack: takes the other issuer’s credentials → 403, and the owner still gets them once', async () => {
    const stolen = await c.call('POST', `/requests/${issuedId}/credentials`, gitlab);
    expect(stolen.status).toBe(403);
    expect(stolen.body).not.toHaveProperty('secretAccessKey');
    const owner = await c.call('POST', `/requests/${issuedId}/credentials`, github);
    expect(owner.status).toBe(200);
    expect(owner.body).toHaveProperty('secretAccessKey');
  });

  it('attack: cancels the other issuer’s pending request → 403, nothing changes', async () => {
    const before = await c.footprint(pendingId);
    expect((await c.call('POST', `/requests/${pendingId}/cancel`, gitlab)).status).toBe(403);
    expect(await c.footprint(pendingId)).toEqual(before);
  });

  it('attack: reads the other issuer’s audit trail → 403', async () => {
    expect((await c.call('GET', `/requests/${issuedId}/audit`, gitlab)).status).toBe(403);
  });

  it('attack: reads the other issuer’s usage → 403', async () => {
    expect((await c.call('GET', `/requests/${issuedId}/usage`, gitlab)).status).toBe(403);
  });

  it('attack: releases the other issuer’s issued request → 403, it stays issued', async () => {
    const res = await c.call('POST', `/requests/${issuedId}/release`, gitlab);
    expect(res.status).toBe(403);
    expect((await c.stored(issuedId)).status).toBe('issued');
  });

  it('attack: lists requests hoping to see the other issuer’s → none of them', async () => {
    const mine = await c.create(gitlab);
    expect(mine.status).toBe(201);
    const list = await c.call('GET', '/requests?limit=100', gitlab);
    expect(list.status).toBe(200);
    const ids = (list.body.items as Array<{ id: string; requesterIssuer: string }>).map((r) => r.id);
    expect(ids).toContain(mine.body.id);
    expect(ids).not.toContain(pendingId);
    expect(ids).not.toContain(issuedId);
    expect(
      (list.body.items as Array<{ requesterIssuer: string }>).every((r) => r.requesterIssuer === GITLAB),
    ).toBe(true);
  });

  it('attack: pages the other issuer’s list with its cursor → 400, nothing listed', async () => {
    await c.pending(github);
    const first = await c.call('GET', '/requests?limit=1', github);
    const cursor = first.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    const hijack = await c.call('GET', `/requests?limit=1&cursor=${encodeURIComponent(cursor)}`, gitlab);
    expect(hijack.status).toBe(400);
    expect(hijack.body).not.toHaveProperty('items');
    // the owner's own cursor still works
    expect(
      (await c.call('GET', `/requests?limit=1&cursor=${encodeURIComponent(cursor)}`, github)).status,
    ).toBe(200);
  });

  it('attack: replays the other issuer’s Idempotency-Key with the same body → a request of its own', async () => {
    const key = `collide-${Date.now()}`;
    const a = await c.create(github, {}, { 'idempotency-key': key });
    const b = await c.create(gitlab, {}, { 'idempotency-key': key });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.body.id).not.toBe(a.body.id);
    expect([a.body.requesterIssuer, b.body.requesterIssuer]).toEqual([GITHUB, GITLAB]);
  });

  it('the request view names the issuer beside the subject', async () => {
    const view = (await c.call('GET', `/requests/${pendingId}`, github)).body;
    expect(view).toMatchObject({
      requester: 'repo:acme/orders:ref:refs/heads/main',
      requesterIssuer: GITHUB,
    });
  });
});

describe('Idempotency-Key reused by the same principal', () => {
  it('attack: same key, another body (more permissions) → 422 naming the reason, no second request', async () => {
    const tok = await c.pipeline(GITHUB, 'refs/heads/idem');
    const key = `idem-${Date.now()}`;
    const first = await c.create(tok, {}, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    const wider = await c.create(
      tok,
      { permissions: [{ actions: ['dynamodb:PutItem', 'dynamodb:Query'], resources: [TABLE] }] },
      { 'idempotency-key': key },
    );
    expect(wider.status).toBe(422);
    expect(wider.contentType).toContain('application/problem+json');
    expect(wider.body).toMatchObject({
      status: 422,
      reason: 'idempotency_key_reused',
      requestId: first.body.id,
    });
    expect(String(wider.body.detail)).toMatch(/Idempotency-Key: already used .* with a different body/);
    const list = await c.call('GET', '/requests?limit=100', tok);
    expect((list.body.items as unknown[]).length).toBe(1);
  });

  it('same key, same body in another key order → the first request (200), not a 422', async () => {
    const tok = await c.pipeline(GITHUB, 'refs/heads/idem-order');
    const key = `order-${Date.now()}`;
    const first = await c.create(tok, {}, { 'idempotency-key': key });
    const replay = await c.call(
      'POST',
      '/requests',
      tok,
      {
        reason: 'security test',
        permissions: [{ resources: [TABLE], actions: ['dynamodb:PutItem'] }],
        profile: 'orders-it',
      },
      { 'idempotency-key': key },
    );
    expect(replay.status).toBe(200);
    expect(replay.body.id).toBe(first.body.id);
  });

  it('attack: same key, only the reason changed → 422', async () => {
    const tok = await c.pipeline(GITHUB, 'refs/heads/idem-reason');
    const key = `reason-${Date.now()}`;
    expect((await c.create(tok, {}, { 'idempotency-key': key })).status).toBe(201);
    expect((await c.create(tok, { reason: 'another reason' }, { 'idempotency-key': key })).status).toBe(422);
  });
});

describe('token tricks', () => {
  const claims = {
    sub: 'repo:acme/orders:ref:refs/heads/main',
    repository: 'acme/orders',
    ref: 'refs/heads/main',
  };
  let ownerId: string;
  let owner: string;

  beforeAll(async () => {
    owner = await c.token({ iss: GITHUB, ...claims, ref: 'refs/heads/tricks' });
    ownerId = await c.pending(owner);
  });

  it.each([
    ['another audience', { aud: 'not-jitvend' }],
    ['an issuer with a trailing slash', { iss: `${GITHUB}/` }],
    ['an issuer in another case', { iss: GITHUB.toUpperCase() }],
    ['an issuer given as an array', { iss: [GITHUB] }],
    ['an untrusted issuer signed with a trusted key', { iss: 'https://evil.example.com' }],
    ['a null subject', { sub: null }],
    ['an empty subject', { sub: '' }],
    ['a subject with a line break', { sub: 'repo:acme/orders:ref:refs/heads/main\nrole:admin' }],
    ['a subject given as a number', { sub: 42 }],
  ])('attack: %s → 401', async (_name, override) => {
    const tok = await c.token({ iss: GITHUB, ...claims, ...override });
    const res = await c.call('GET', '/requests', tok);
    expect(res.status).toBe(401);
    expect(res.contentType).toContain('application/problem+json');
  });

  it.each([
    ['a trailing space', 'repo:acme/orders:ref:refs/heads/tricks '],
    ['another case', 'REPO:acme/orders:ref:refs/heads/tricks'],
    ['a look-alike character', 'repo:acme/orders:ref:refs/heads/tr\u0456cks'],
    ['a prefix of it', 'repo:acme/orders:ref:refs/heads/trick'],
  ])("attack: a subject with %s reads the owner's request → 403", async (_name, sub) => {
    const tok = await c.token({ iss: GITHUB, ...claims, sub });
    expect((await c.call('GET', `/requests/${ownerId}`, tok)).status).toBe(403);
  });

  it('attack: the local issuer (people) with the pipeline’s subject reads its request → 403', async () => {
    const tok = await c.token({ iss: LOCAL, ...claims, sub: 'repo:acme/orders:ref:refs/heads/tricks' });
    expect((await c.call('GET', `/requests/${ownerId}`, tok)).status).toBe(403);
  });
});

describe('pipeline tokens naming people', () => {
  let victimId: string;

  beforeAll(async () => {
    victimId = await c.pending(await c.pipeline(GITHUB, 'refs/heads/victim'));
  });

  it('attack: a pipeline token carrying an approver’s verified email reads another pipeline’s request → 403', async () => {
    const tok = await c.pipeline(GITLAB, 'refs/heads/evil', {
      email: 'alice@example.com',
      email_verified: true,
    });
    expect((await c.call('GET', `/requests/${victimId}`, tok)).status).toBe(403);
  });

  it('attack: … and lists as if it were an approver → only its own requests', async () => {
    const tok = await c.pipeline(GITLAB, 'refs/heads/evil-list', {
      email: 'alice@example.com',
      email_verified: true,
    });
    const list = await c.call('GET', '/requests?limit=100', tok);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([]);
  });

  it('attack: … and revokes an issued request → 403, it stays issued', async () => {
    const id = await c.issued(await c.pipeline(GITHUB, 'refs/heads/main', { run_id: 'revoke-target' }));
    const tok = await c.pipeline(GITLAB, 'refs/heads/evil-revoke', {
      email: 'bob@example.com',
      email_verified: true,
    });
    expect((await c.call('POST', `/requests/${id}/revoke`, tok)).status).toBe(403);
    expect((await c.stored(id)).status).toBe('issued');
  });

  it('a people-issuer token with that email is alice, and may read as an approver (control)', async () => {
    expect((await c.call('GET', `/requests/${victimId}`, await c.person('alice'))).status).toBe(200);
  });
});

describe('requester rules pinned to an issuer', () => {
  const body = { profile: 'pinned-it', permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }] };

  it('attack: another trusted issuer’s token carrying the same repository claim requests the pinned profile → 403', async () => {
    for (const issuer of [GITLAB, LOGIN, LOCAL]) {
      const res = await c.create(await c.pipeline(issuer, 'refs/heads/pinned'), body);
      expect(res.status).toBe(403);
    }
  });

  it('control: the pinned issuer’s token may request it', async () => {
    expect((await c.create(await c.pipeline(GITHUB, 'refs/heads/pinned'), body)).status).toBe(201);
  });
});

describe('requests stored before issuer-scoped identity (legacy shape: requester = bare sub, no issuer)', () => {
  const sub = 'repo:acme/orders:ref:refs/heads/legacy';
  let legacyId: string;

  beforeAll(async () => {
    const id = crypto.randomUUID();
    const at = new Date().toISOString();
    const event = chainAuditEvent(id, 1, GENESIS_HASH, {
      type: 'request_created',
      actor: sub,
      channel: 'api',
      at,
      to: 'pending_approval',
      sessionPolicyHash: 'h',
    });
    // exactly the attributes the old code wrote: no requesterIssuer, no requesterPerson
    const legacy: AccessRequest = {
      id,
      profile: 'orders-it',
      requester: sub,
      requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/legacy' },
      status: 'pending_approval',
      permissions: [{ actions: ['dynamodb:PutItem'], resources: [TABLE] }],
      sessionPolicy: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'dynamodb:PutItem', Resource: TABLE }],
      },
      sessionPolicyHash: 'h',
      durationSeconds: 900,
      reason: 'made before the upgrade',
      approvals: [],
      approvalRoute: { kind: 'human', approvers: ['alice', 'bob', 'kim'], minApprovals: 1 },
      createdAt: at,
      updatedAt: at,
      approvalDeadline: new Date(Date.now() + 1_800_000).toISOString(),
      version: 1,
      auditHead: event.hash,
      auditCount: 1,
    };
    await handle.stack.runtime.store.create(legacy, event);
    expect((await c.stored(id)).requesterIssuer).toBeUndefined();
    legacyId = id;
  });

  it('its owner (the legacy issuer, GitHub here) reads it, and the view names the issuer it is attributed to', async () => {
    const res = await c.call('GET', `/requests/${legacyId}`, await c.token({ iss: GITHUB, sub }));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ requester: sub, requesterIssuer: GITHUB });
  });

  it('its owner lists it', async () => {
    const list = await c.call('GET', '/requests?limit=100', await c.token({ iss: GITHUB, sub }));
    expect((list.body.items as Array<{ id: string }>).map((r) => r.id)).toContain(legacyId);
  });

  it('attack: the same sub from another issuer reads, lists or cancels it → 403 / not listed', async () => {
    for (const iss of [GITLAB, LOGIN, LOCAL]) {
      const tok = await c.token({ iss, sub });
      expect((await c.call('GET', `/requests/${legacyId}`, tok)).status).toBe(403);
      expect((await c.call('POST', `/requests/${legacyId}/cancel`, tok)).status).toBe(403);
      const list = await c.call('GET', '/requests?limit=100', tok);
      expect((list.body.items as Array<{ id: string }>).map((r) => r.id)).not.toContain(legacyId);
    }
    expect((await c.stored(legacyId)).status).toBe('pending_approval');
  });

  it('its owner cancels it, and the write records the attributed issuer', async () => {
    const res = await c.call('POST', `/requests/${legacyId}/cancel`, await c.token({ iss: GITHUB, sub }));
    expect(res.status).toBe(200);
    expect(await c.stored(legacyId)).toMatchObject({ status: 'cancelled', requesterIssuer: GITHUB });
  });
});

describe('the verifier, on people claims (unit)', () => {
  const ISSUER = 'https://login.example.com';
  const PIPELINE = 'https://ci.example.com';
  const people = {
    alice: { email: 'alice@example.com' },
    kim: { email: 'kim@example.com' },
    twin1: { email: 'twin@example.com' },
    twin2: { email: 'TWIN@example.com' },
  };
  let dir: string;
  let idp: LocalOidcIssuer;
  let verifier: OidcVerifier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jitvend-sec-oidc-'));
    idp = await LocalOidcIssuer.load(dir, ISSUER);
    verifier = new OidcVerifier({
      issuers: [
        { issuer: ISSUER, audience: 'jitvend', jwks: idp.jwks(), people: true },
        { issuer: PIPELINE, audience: 'jitvend', jwks: idp.jwks() },
      ],
      people,
    });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const personFor = async (claims: Record<string, unknown>) =>
    (await verifier.verify(await idp.sign({ sub: 'user:x', ...claims }))).person;

  it.each([
    ['the string "False"', 'False'],
    ['the string "true"', 'true'],
    ['the number 1', 1],
    ['null', null],
    ['false', false],
    ['an object', { value: true }],
  ])('attack: email_verified as %s names nobody', async (_name, value) => {
    expect(await personFor({ email: 'alice@example.com', email_verified: value })).toBeUndefined();
  });

  it.each([
    ['a leading space', ' alice@example.com'],
    ['a trailing line break', 'alice@example.com\n'],
    ['the Kelvin sign for k (folds to k in toLowerCase)', '\u212Aim@example.com'],
    ['a dotless ı', 'al\u0131ce@example.com'],
    ['a display name', 'Alice <alice@example.com>'],
    ['two addresses', 'alice@example.com,mallory@example.com'],
  ])('attack: an email with %s names nobody', async (_name, email) => {
    expect(await personFor({ email, email_verified: true })).toBeUndefined();
  });

  it('attack: an address two people share names neither of them', async () => {
    expect(await personFor({ email: 'twin@example.com', email_verified: true })).toBeUndefined();
  });

  it('attack: a pipeline issuer’s token with a verified approver email names nobody', async () => {
    const principal = await verifier.verify(
      await idp.sign({ iss: PIPELINE, sub: 'repo:x', email: 'alice@example.com', email_verified: true }),
    );
    expect(principal.person).toBeUndefined();
  });

  it('control: exactly true, or absent (SPEC: "when present"), and ASCII case differences name the person', async () => {
    expect(await personFor({ email: 'alice@example.com', email_verified: true })).toBe('alice');
    expect(await personFor({ email: 'ALICE@Example.COM', email_verified: true })).toBe('alice');
    expect(await personFor({ email: 'kim@example.com' })).toBe('kim');
  });
});
