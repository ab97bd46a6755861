/**
 * Email approval links end to end on the fakes: issuing a link, opening it (read-only) and
 * deciding by it (spent once, then decide()).
 */
import { describe, expect, it } from 'vitest';
import { hashApprovalToken } from '../../../shared/domain/approval-tokens.ts';
import { decideByEmailLink } from '../../../shared/domain/use-cases/decide-by-email-link.ts';
import { issueApprovalLink } from '../../../shared/domain/use-cases/issue-approval-link.ts';
import { resolveApprovalLink } from '../../../shared/domain/use-cases/resolve-approval-link.ts';
import { fakeDeps } from '../../fakes/deps.ts';
import { at, requestIn, type Stored } from '../../helpers/requests.ts';

const KEY = new Uint8Array(32).fill(7);
const PUBLIC_URL = 'https://jitvend.example.com/';

async function withLink(stored: Stored = requestIn('pending_approval'), person = 'alice') {
  const fakes = fakeDeps({ now: at(200) });
  fakes.requests.seed(stored.request, stored.events);
  const link = await issueApprovalLink(
    { store: fakes.deps.store, publicUrl: PUBLIC_URL, approvalTokenKey: KEY },
    stored.request,
    person,
  );
  const token = link.slice(`${PUBLIC_URL}approvals/`.length);
  const linkDeps = { store: fakes.deps.store, clock: fakes.clock, approvalTokenKey: KEY };
  return { ...fakes, stored, link, token, linkDeps };
}

describe('issueApprovalLink', () => {
  it('links to <publicUrl>/approvals/<token> and stores only the hash, bound to request, person and deadline', async () => {
    const { link, token, approvalTokens, stored } = await withLink();
    expect(link).toMatch(/^https:\/\/jitvend\.example\.com\/approvals\/v1\.[\w-]+\.[\w-]+$/);
    expect(await approvalTokens.getApprovalToken(hashApprovalToken(token))).toEqual({
      tokenHash: hashApprovalToken(token),
      requestId: stored.request.id,
      person: 'alice',
      expiresAt: stored.request.approvalDeadline,
    });
  });
});

describe('resolveApprovalLink', () => {
  it.each([
    { case: 'a fresh link', token: (t: string) => t, now: at(200), problem: undefined },
    { case: 'no token', token: () => '', now: at(200), problem: 'invalid' },
    {
      case: 'a tampered token',
      // one signature character changed, well inside (the last base64url character carries
      // unused bits: changing it alone may decode to the same bytes, 1 time in ~1,000)
      token: (t: string) => {
        const i = t.length - 5;
        return `${t.slice(0, i)}${t[i] === 'A' ? 'B' : 'A'}${t.slice(i + 1)}`;
      },
      now: at(200),
      problem: 'invalid',
    },
    { case: 'a token past the deadline', token: (t: string) => t, now: at(1800), problem: 'expired' },
  ])('$case: $problem', async ({ token, now, problem }) => {
    const fakes = await withLink();
    fakes.clock.set(now);
    const resolved = await resolveApprovalLink(fakes.linkDeps, token(fakes.token));
    if (problem === undefined) expect(resolved).toMatchObject({ ok: true, request: fakes.stored.request });
    else expect(resolved).toEqual({ ok: false, problem });
  });

  it('never marks the link used (mail scanners open links too)', async () => {
    const fakes = await withLink();
    await resolveApprovalLink(fakes.linkDeps, fakes.token);
    expect(await resolveApprovalLink(fakes.linkDeps, fakes.token)).toMatchObject({ ok: true });
  });

  it('refuses a well-signed token that jitvend never stored', async () => {
    const fakes = await withLink();
    const other = fakeDeps();
    expect(
      await resolveApprovalLink(
        { store: other.deps.store, clock: fakes.clock, approvalTokenKey: KEY },
        fakes.token,
      ),
    ).toEqual({ ok: false, problem: 'invalid' });
  });
});

describe('decideByEmailLink', () => {
  it('spends the link, then decides as the person it was sent to, on the email channel', async () => {
    const fakes = await withLink();
    const link = await resolveApprovalLink(fakes.linkDeps, fakes.token);
    if (!link.ok) throw new Error('the link should open');
    const result = await decideByEmailLink(fakes.deps, link, { decision: 'approve', reason: 'looks fine' });
    expect(result).toMatchObject({ outcome: 'approved', request: { status: 'approved' } });
    expect((await fakes.requests.listAudit(fakes.stored.request.id)).at(-1)).toMatchObject({
      type: 'request_approved',
      actor: 'alice',
      channel: 'email',
      detail: { via: 'alice@example.com', reason: 'looks fine' },
    });
    expect(await resolveApprovalLink(fakes.linkDeps, fakes.token)).toMatchObject({
      ok: false,
      problem: 'used',
    });
  });

  it('decides once when the same link is posted twice at once (two tabs)', async () => {
    const fakes = await withLink();
    const link = await resolveApprovalLink(fakes.linkDeps, fakes.token);
    if (!link.ok) throw new Error('the link should open');
    const results = await Promise.all([
      decideByEmailLink(fakes.deps, link, { decision: 'approve' }),
      decideByEmailLink(fakes.deps, link, { decision: 'deny' }),
    ]);
    expect(results.filter((r) => r.outcome === 'link_used')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'approved' || r.outcome === 'denied')).toHaveLength(1);
    expect(fakes.requests.writes).toBe(1);
  });

  it('lets the approval rules refuse a link sent to someone who no longer approves the profile', async () => {
    const fakes = await withLink(requestIn('pending_approval'), 'carol');
    const link = await resolveApprovalLink(fakes.linkDeps, fakes.token);
    if (!link.ok) throw new Error('the link should open');
    expect(await decideByEmailLink(fakes.deps, link, { decision: 'approve' })).toMatchObject({
      outcome: 'refused',
      code: 'not_approver',
      audited: false,
    });
  });
});
