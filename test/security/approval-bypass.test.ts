/**
 * Approval bypasses: two people, always (SPEC.md, Core ideas and HTTP API). The principal that
 * created a request never decides on it, by any channel, whatever its token claims; only
 * issuers marked `people: true` name people; `email_verified` counts only when exactly `true`;
 * and a decision from someone who is not an approver of the profile is answered and logged but
 * never written to the request. Over HTTP against the local stack (identity-stack.ts).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { client, GITHUB, GITLAB, LOGIN, SLACK, useSecurityStack } from './identity-stack.ts';

const handle = useSecurityStack();
const c = client(handle);

describe('a requester whose token carries an approver’s email', () => {
  it.each([
    ['GitHub', 'approve', GITHUB],
    ['GitHub', 'deny', GITHUB],
    ['GitLab', 'approve', GITLAB],
  ] as const)(
    'attack: a %s pipeline token with alice’s verified email tries to %s its own request via the API → 403, nothing written',
    async (_name, decision, issuer) => {
      const tok = await c.pipeline(issuer, 'refs/heads/self', {
        email: 'alice@example.com',
        email_verified: true,
      });
      const id = await c.pending(tok);
      const before = await c.footprint(id);
      const res = await c.call('POST', `/requests/${id}/decision`, tok, { decision });
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ code: 'unknown_person' });
      expect(await c.footprint(id)).toEqual(before);
    },
  );
});

describe('a person who created a request never decides on it, by any channel', () => {
  let id: string;
  let alice: string;

  beforeAll(async () => {
    // alice's own token (the people issuer) may request: it carries the repository claim
    alice = await c.person('alice', { repository: 'acme/orders' });
    id = await c.pending(alice);
    expect((await c.stored(id)).requesterPerson).toBe('alice');
    await c.notified(id);
  });

  it('attack: alice approves her own request with the token that created it → 403 requester', async () => {
    const res = await c.call('POST', `/requests/${id}/decision`, alice, { decision: 'approve' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'requester' });
    expect((await c.stored(id)).status).toBe('pending_approval');
  });

  it('attack: alice approves it with another token of hers (another subject) → 403 requester', async () => {
    const other = await c.person('alice', { sub: 'user:alice-laptop' });
    const res = await c.call('POST', `/requests/${id}/decision`, other, { decision: 'approve' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'requester' });
  });

  it('attack: alice denies her own request → 403 requester (she can cancel it instead)', async () => {
    const res = await c.call('POST', `/requests/${id}/decision`, alice, { decision: 'deny' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'requester' });
  });

  it('attack: alice clicks Approve on the Slack message about her own request → refused, told why', async () => {
    const click = await c.slackClick(SLACK.alice, id);
    expect(click.status).toBe(200);
    expect(click.answer).toMatch(/alice created request .* and cannot decide on it/);
    expect((await c.stored(id)).status).toBe('pending_approval');
  });

  it('attack: alice approves through the link in her approval email → 403 page, still pending', async () => {
    const link = c.emailLink('alice', id);
    const res = await c.emailDecision(link, 'approve');
    expect(res.status).toBe(403);
    expect(res.page).toContain('cannot decide on it');
    expect((await c.stored(id)).status).toBe('pending_approval');
  });

  it('each of her refused attempts is audited (she is an approver), with the reason', async () => {
    const events = await handle.stack.runtime.store.listAudit(id);
    const refused = events.filter((e) => e.type === 'decision_refused');
    expect(refused.map((e) => [e.actor, e.channel, e.detail?.code])).toEqual([
      ['alice', 'api', 'requester'],
      ['alice', 'api', 'requester'],
      ['alice', 'api', 'requester'],
      ['alice', 'slack', 'requester'],
      ['alice', 'email', 'requester'],
    ]);
  });

  it('control: another approver (bob) approves it', async () => {
    const res = await c.call('POST', `/requests/${id}/decision`, await c.person('bob'), {
      decision: 'approve',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'approved', message: 'approved by bob' });
  });
});

describe('email_verified and email shapes on the people issuer', () => {
  let id: string;

  beforeAll(async () => {
    id = await c.pending(await c.pipeline(GITHUB, 'refs/heads/verified'));
  });

  it.each([
    ['email_verified "False"', { email_verified: 'False' }],
    ['email_verified "true"', { email_verified: 'true' }],
    ['email_verified 1', { email_verified: 1 }],
    ['email_verified null', { email_verified: null }],
    ['email_verified false', { email_verified: false }],
    ['an upper-case Kelvin sign in kim’s address', { email: '\u212Aim@example.com' }],
    ['a leading space', { email: ' bob@example.com' }],
    ['a trailing space', { email: 'bob@example.com ' }],
  ])('attack: a people token with %s approves → 403, nothing written', async (_name, claims) => {
    const before = await c.footprint(id);
    const tok = await c.person('bob', claims);
    const res = await c.call('POST', `/requests/${id}/decision`, tok, { decision: 'approve' });
    expect(res.status).toBe(403);
    expect(await c.footprint(id)).toEqual(before);
  });

  it('control: absent email_verified counts (SPEC: "when present, is true"), upper-case ASCII too', async () => {
    const other = await c.pending(await c.pipeline(GITHUB, 'refs/heads/verified-control'));
    const tok = await c.token({ iss: LOGIN, sub: 'user:bob', email: 'BOB@example.com' });
    const res = await c.call('POST', `/requests/${other}/decision`, tok, { decision: 'approve' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ outcome: 'approved' });
  });
});

describe('outsiders cannot write into a request’s audit trail', () => {
  it('attack: 30 decisions from outsiders over the API leave version, auditCount and head unchanged; a real approver then decides at once', async () => {
    const id = await c.pending(await c.pipeline(GITHUB, 'refs/heads/spam'));
    const before = await c.footprint(id);
    const outsiders = await Promise.all([
      c.pipeline(GITLAB, 'refs/heads/spam', { email: 'alice@example.com', email_verified: true }),
      c.person('mallory'),
      c.person('bob', { email_verified: 'true' }),
      c.token({ iss: LOGIN, sub: 'user:nobody', email: 'nobody@example.com' }),
      c.pipeline(GITHUB, 'refs/heads/spam'),
    ]);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        c.call('POST', `/requests/${id}/decision`, outsiders[i % outsiders.length], {
          decision: i % 2 === 0 ? 'approve' : 'deny',
          reason: `spam ${i}`,
        }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(403));
    expect(new Set(answers.map((a) => a.body.code))).toEqual(new Set(['unknown_person', 'not_approver']));
    expect(await c.footprint(id)).toEqual(before);
    const events = await handle.stack.runtime.store.listAudit(id);
    expect(events.filter((e) => e.type === 'decision_refused')).toEqual([]);

    const approve = await c.call('POST', `/requests/${id}/decision`, await c.person('kim'), {
      decision: 'approve',
    });
    expect(approve.status).toBe(200);
    expect(approve.body).toMatchObject({ outcome: 'approved' });
  });

  it('attack: 30 Slack clicks from outsiders (unknown users, a configured non-approver) are answered and leave the request unchanged', async () => {
    const id = await c.pending(await c.pipeline(GITHUB, 'refs/heads/slack-spam'));
    await c.notified(id);
    const before = await c.footprint(id);
    const users = [SLACK.mallory, 'U0NOBODY1', 'W0GUEST01'];
    for (let i = 0; i < 30; i++) {
      const click = await c.slackClick(
        users[i % users.length]!,
        id,
        i % 2 ? 'jitvend_deny' : 'jitvend_approve',
      );
      expect(click.status).toBe(200);
      expect(click.answer).toMatch(/^Your click changed nothing: /);
    }
    expect(await c.footprint(id)).toEqual(before);
  });

  it('attack: mallory (a configured person, approver of nothing) approves over the API → 403 not_approver, nothing written', async () => {
    const id = await c.pending(await c.pipeline(GITHUB, 'refs/heads/mallory'));
    const before = await c.footprint(id);
    const res = await c.call('POST', `/requests/${id}/decision`, await c.person('mallory'), {
      decision: 'approve',
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'not_approver' });
    expect(await c.footprint(id)).toEqual(before);
  });

  it('a real approver who may not decide now is still audited: the initiator (actor claim) is refused and recorded', async () => {
    const id = await c.pending(await c.pipeline(GITHUB, 'refs/heads/initiator', { actor: 'bob' }));
    const before = await c.footprint(id);
    const res = await c.call('POST', `/requests/${id}/decision`, await c.person('bob'), {
      decision: 'approve',
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'initiator' });
    const after = await c.footprint(id);
    expect([after.status, after.auditCount, after.version]).toEqual([
      'pending_approval',
      before.auditCount + 1,
      before.version + 1,
    ]);
  });
});
