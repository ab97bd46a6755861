/**
 * The renew use case on the shared fakes (SPEC.md `POST /requests/{id}/renew`): who may renew,
 * every refusal and the order they are checked in (403, then 410, 409, 429), what AssumeRole
 * is sent (the first session's policy, source identity, session name and tags; the duration
 * never past the window's end), what is written (expiresAt, the audit event), and races.
 */
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  TooManyRequestsError,
} from '../../../shared/domain/errors.ts';
import { sessionTagsFor } from '../../../shared/domain/session.ts';
import type { AccessRequest, Principal } from '../../../shared/domain/types.ts';
import { renewRequest } from '../../../shared/domain/use-cases/renew-request.ts';
import { revokeRequest } from '../../../shared/domain/use-cases/revoke-request.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { advance, at, REQUESTER, requestIn, type Stored } from '../../helpers/requests.ts';

const ROLE = 'arn:aws:iam::123456789012:role/jitvend-orders-it';
/** issued at at(120) with a 4-hour window of 15-minute sessions, first delivered at at(130) */
const WINDOW_END = at(120 + 4 * 3600);

/** An issued request with a window, its credentials delivered at at(130), changed by `patch`. */
function issuedWithWindow(
  patch: Partial<AccessRequest> = {},
  status: 'issued' | 'approved' = 'issued',
): Stored {
  let stored = requestIn(status);
  if (status === 'issued') {
    stored = advance(stored, {
      patch: { windowSeconds: 4 * 3600, windowEndsAt: WINDOW_END, credentialsDeliveredAt: at(130) },
      event: { type: 'credentials_delivered', actor: 'x', channel: 'api', at: at(130) },
    });
  }
  return { request: { ...stored.request, ...patch }, events: stored.events };
}

function setUp(stored: Stored, now: string) {
  const f = fakeDeps({ now });
  f.requests.seed(stored.request, stored.events);
  return f;
}

const OTHER_SUBJECT: Principal = { ...REQUESTER, subject: 'repo:acme/orders:ref:refs/heads/feature' };
/** the same subject from another issuer is someone else */
const OTHER_ISSUER: Principal = { ...REQUESTER, issuer: 'https://gitlab.example.com' };
const APPROVER: Principal = {
  issuer: 'https://login.example.com',
  subject: 'alice',
  claims: { email: 'alice@example.com' },
  person: 'alice',
};

describe('renewRequest: refusals, in SPEC.md order', () => {
  it.each([
    // 403 first, whatever the state
    ['another subject', OTHER_SUBJECT, {}, 'issued', at(600), ForbiddenError],
    ['the same subject from another issuer', OTHER_ISSUER, {}, 'issued', at(600), ForbiddenError],
    ['an approver of the profile', APPROVER, {}, 'issued', at(600), ForbiddenError],
    [
      'another subject, on a revoked request',
      OTHER_SUBJECT,
      { status: 'revoked' },
      'issued',
      at(600),
      ForbiddenError,
    ],
    // then 410
    ['a released request', REQUESTER, { status: 'released' }, 'issued', at(600), GoneError],
    ['a revoked request', REQUESTER, { status: 'revoked' }, 'issued', at(600), GoneError],
    ['an expired request', REQUESTER, { status: 'expired' }, 'issued', at(600), GoneError],
    ['after the window', REQUESTER, {}, 'issued', at(120 + 4 * 3600), GoneError],
    [
      'with less than 15 minutes of window left',
      REQUESTER,
      {},
      'issued',
      at(120 + 4 * 3600 - 899),
      GoneError,
    ],
    [
      'a revoked request delivered a second ago (410 before 429)',
      REQUESTER,
      { status: 'revoked', lastRenewedAt: at(599) },
      'issued',
      at(600),
      GoneError,
    ],
    [
      'after the window, never delivered (410 before 409)',
      REQUESTER,
      { credentialsDeliveredAt: undefined },
      'issued',
      at(120 + 4 * 3600),
      GoneError,
    ],
    // then 409
    [
      'an issued request not yet delivered',
      REQUESTER,
      { credentialsDeliveredAt: undefined },
      'issued',
      at(600),
      ConflictError,
    ],
    ['an approved request', REQUESTER, {}, 'approved', at(100), ConflictError],
    // then 429
    ['within a minute of the delivery', REQUESTER, {}, 'issued', at(189), TooManyRequestsError],
    [
      'within a minute of the last renewal',
      REQUESTER,
      { lastRenewedAt: at(1000) },
      'issued',
      at(1059),
      TooManyRequestsError,
    ],
  ] as const)(
    'refuses %s, minting nothing and writing nothing',
    async (_case, principal, patch, status, now, error) => {
      const stored = issuedWithWindow(patch as Partial<AccessRequest>, status);
      const f = setUp(stored, now);
      await expect(renewRequest(f.deps, principal, stored.request.id)).rejects.toThrow(error);
      expect(f.issuer.calls).toEqual([]);
      expect(f.requests.writes).toBe(0);
    },
  );

  it('says when to come back on a 429', async () => {
    const stored = issuedWithWindow({ lastRenewedAt: at(1000) });
    const f = setUp(stored, at(1045));
    const refusal = await renewRequest(f.deps, REQUESTER, stored.request.id).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(TooManyRequestsError);
    expect((refusal as TooManyRequestsError).retryAfterSeconds).toBe(15);
    expect((refusal as TooManyRequestsError).extra).toMatchObject({
      retryAfterSeconds: 15,
      requestStatus: 'issued',
    });
  });

  it('a request stored before approval windows (no windowEndsAt) is renewable until its session expires, never past it', async () => {
    const stored = issuedWithWindow({ windowSeconds: undefined, windowEndsAt: undefined });
    // the session expires at at(1020): 900 s from at(120)
    const f = setUp(stored, at(200));
    await expect(renewRequest(f.deps, REQUESTER, stored.request.id)).rejects.toThrow(GoneError);
  });
});

describe('renewRequest: a new session', () => {
  it('assumes the role again with the first session’s policy, source identity, session name and tags, for the duration', async () => {
    const stored = issuedWithWindow();
    const f = setUp(stored, at(1000));
    const credentials = await renewRequest(f.deps, REQUESTER, stored.request.id);
    const id = stored.request.id;
    expect(f.issuer.calls).toEqual([
      {
        roleArn: ROLE,
        policy: JSON.stringify(stored.request.sessionPolicy),
        durationSeconds: 900,
        sourceIdentity: `jitvend-${id}`,
        tags: sessionTagsFor({ requestId: id, profile: 'orders-it', requester: REQUESTER.subject }),
      },
    ]);
    expect(credentials).toEqual({
      accessKeyId: 'ASIAFAKEFAKEFAKE',
      secretAccessKey: 'fake-secret',
      sessionToken: 'fake-session-token',
      expiration: at(1900),
    });
  });

  it('writes the new expiry, the renewal time and count, and the audit event, in one write, with no secret', async () => {
    const stored = issuedWithWindow();
    const f = setUp(stored, at(1000));
    await renewRequest(f.deps, REQUESTER, stored.request.id);
    const after = (await f.requests.get(stored.request.id))!;
    expect(f.requests.writes).toBe(1);
    expect(after).toMatchObject({
      status: 'issued',
      expiresAt: at(1900),
      lastRenewedAt: at(1000),
      renewals: 1,
      windowEndsAt: WINDOW_END,
      version: stored.request.version + 1,
    });
    const event = (await f.requests.listAudit(stored.request.id)).at(-1)!;
    expect(event).toMatchObject({
      type: 'credentials_renewed',
      actor: `${REQUESTER.issuer}#${REQUESTER.subject}`,
      channel: 'api',
      at: at(1000),
      detail: {
        renewal: 1,
        sourceIdentity: `jitvend-${stored.request.id}`,
        durationSeconds: 900,
        expiration: at(1900),
        windowEndsAt: WINDOW_END,
      },
    });
    expect(JSON.stringify(event)).not.toMatch(/fake-secret|fake-session-token|ASIAFAKE/);
    // credentials of a renewal are never stored
    expect(await f.requests.getCredentials(stored.request.id)).toBeUndefined();
  });

  it.each([
    ['a whole session (the duration) when the window has more left', at(1000), 1800],
    ['what is left of the window when less than a session', at(120 + 4 * 3600 - 1000), 1000],
    ['the rest of the window rounded down to the second', at(120 + 4 * 3600 - 950.5), 950],
  ])('lasts %s', async (_case, now, seconds) => {
    const stored = issuedWithWindow({ durationSeconds: 1800 });
    const f = setUp(stored, now);
    const credentials = await renewRequest(f.deps, REQUESTER, stored.request.id);
    expect(f.issuer.calls[0]!.durationSeconds).toBe(seconds);
    expect(Date.parse(credentials.expiration)).toBeLessThanOrEqual(Date.parse(WINDOW_END));
  });

  it('renews again a minute after the last renewal, counting', async () => {
    const stored = issuedWithWindow();
    const f = setUp(stored, at(1000));
    await renewRequest(f.deps, REQUESTER, stored.request.id);
    f.clock.set(at(1059));
    await expect(renewRequest(f.deps, REQUESTER, stored.request.id)).rejects.toThrow(TooManyRequestsError);
    f.clock.set(at(1060));
    await renewRequest(f.deps, REQUESTER, stored.request.id);
    expect(await f.requests.get(stored.request.id)).toMatchObject({ renewals: 2, expiresAt: at(1960) });
  });
});

describe('renewRequest: races', () => {
  it('two renewals at once: one session is handed out, the other caller gets 429', async () => {
    const stored = issuedWithWindow();
    const f = setUp(stored, at(1000));
    const results = await Promise.allSettled([
      renewRequest(f.deps, REQUESTER, stored.request.id),
      renewRequest(f.deps, REQUESTER, stored.request.id),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(TooManyRequestsError);
    expect(await f.requests.get(stored.request.id)).toMatchObject({ renewals: 1 });
  });

  it('a revocation that commits while the renewal mints: the renewal is refused 410 and its session never handed out', async () => {
    const stored = issuedWithWindow();
    const f = setUp(stored, at(1000));
    const assumeRole = f.deps.issuer.assumeRole.bind(f.deps.issuer);
    f.deps.issuer.assumeRole = async (input) => {
      const credentials = await assumeRole(input);
      await revokeRequest(f.deps, {
        requestId: stored.request.id,
        person: 'alice',
        actor: 'x',
        channel: 'api',
      });
      return credentials;
    };
    await expect(renewRequest(f.deps, REQUESTER, stored.request.id)).rejects.toThrow(GoneError);
    expect((await f.requests.get(stored.request.id))?.status).toBe('revoked');
  });

  it('a revocation that read the old expiry before a renewal committed extends its deny to the new session', async () => {
    const stored = issuedWithWindow();
    const f = setUp(stored, at(1000));
    const revoke = f.deps.revoker.revoke.bind(f.deps.revoker);
    let renewed = false;
    f.deps.revoker.revoke = async (input) => {
      await revoke(input);
      if (!renewed) {
        // the requester renews between the deny and the revocation's write
        renewed = true;
        await renewRequest(f.deps, REQUESTER, stored.request.id);
      }
    };
    const revoked = await revokeRequest(f.deps, {
      requestId: stored.request.id,
      person: 'alice',
      actor: 'x',
      channel: 'api',
    });
    const sourceIdentity = `jitvend-${stored.request.id}`;
    expect(f.revoker.revoked).toEqual([
      { roleArn: ROLE, sourceIdentity, expiresAt: at(1020) },
      { roleArn: ROLE, sourceIdentity, expiresAt: at(1900) },
    ]);
    expect(revoked).toMatchObject({ status: 'revoked', expiresAt: at(1900) });
  });
});
