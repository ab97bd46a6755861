/**
 * Approval windows as requesters and approvers see them: the window a create resolves (and
 * refuses), the request view's fields, and the window shown on Slack, in the email and on the
 * approval page when it is longer than one session.
 */
import { describe, expect, it } from 'vitest';
import { approvalRequestMessage } from '../../shared/adapters/slack/blocks.ts';
import { toView } from '../../shared/api/view.ts';
import { ValidationError } from '../../shared/domain/errors.ts';
import type { Profile } from '../../shared/domain/profile.ts';
import { resolveWindow } from '../../shared/domain/use-cases/create-request.ts';
import { composeApprovalEmail } from '../../shared/web/approval-email.ts';
import { confirmationPage } from '../../shared/web/approval-pages.ts';
import { formatWindow } from '../../shared/web/request-facts.ts';
import { SAMPLE_CONFIG } from '../fakes/deps.ts';
import { requestIn } from '../helpers/requests.ts';

const PROFILE: Profile = { ...SAMPLE_CONFIG.profiles['orders-it']!, maxWindowSeconds: 14_400 };
const ONE_SESSION: Profile = { ...PROFILE, maxWindowSeconds: undefined };

describe('resolveWindow', () => {
  it.each([
    ['omitted: one session', PROFILE, undefined, 900, 900],
    ['as asked, inside the profile maximum', PROFILE, 7200, 900, 7200],
    ['exactly the profile maximum', PROFILE, 14_400, 3600, 14_400],
    ['a profile with no maxWindowSeconds allows its maxDurationSeconds', ONE_SESSION, 3600, 900, 3600],
  ] as const)('%s', (_case, profile, asked, duration, expected) => {
    expect(resolveWindow(profile, asked, duration)).toBe(expected);
  });

  it.each([
    [
      'above the profile maximum',
      PROFILE,
      14_401,
      900,
      'windowSeconds: 14401 is above the maximum of profile orders-it (14400)',
    ],
    [
      '10^12 seconds',
      PROFILE,
      1e12,
      900,
      'windowSeconds: 1000000000000 is above the maximum of profile orders-it (14400)',
    ],
    [
      'above maxDurationSeconds on a profile with no window',
      ONE_SESSION,
      3601,
      900,
      'windowSeconds: 3601 is above the maximum of profile orders-it (3600)',
    ],
    [
      'below the duration',
      PROFILE,
      1800,
      3600,
      'windowSeconds: 1800 is below durationSeconds (3600): a window holds at least one session',
    ],
  ] as const)(
    'refuses a window %s with a 400 naming the field',
    (_case, profile, asked, duration, message) => {
      expect(() => resolveWindow(profile, asked, duration)).toThrow(new ValidationError(message));
    },
  );
});

describe('the request view', () => {
  it('reads a request stored before approval windows as one session long, with no window end', () => {
    const { request } = requestIn('issued');
    const view = toView(request);
    expect(view.windowSeconds).toBe(request.durationSeconds);
    expect(view).not.toHaveProperty('windowEndsAt');
    expect(view).not.toHaveProperty('reuseOf');
  });

  it('shows the window, its end and the request whose approval it reuses', () => {
    const { request } = requestIn('issued');
    const view = toView({
      ...request,
      windowSeconds: 7200,
      windowEndsAt: '2030-01-01T14:02:00.000Z',
      reuseOf: 'first-request',
    });
    expect(view).toMatchObject({
      windowSeconds: 7200,
      windowEndsAt: '2030-01-01T14:02:00.000Z',
      reuseOf: 'first-request',
    });
  });
});

describe('approvers see the window when it is longer than one session', () => {
  const { request: oneSession } = requestIn('pending_approval');
  const windowed = { ...oneSession, durationSeconds: 3600, windowSeconds: 4 * 3600 };
  const WORDS = '4 h (sessions of 1 h, renewed inside it)';

  it('formats it only when longer than a session', () => {
    expect(formatWindow(windowed)).toBe(WORDS);
    expect(formatWindow(oneSession)).toBeUndefined();
    expect(formatWindow({ durationSeconds: 900, windowSeconds: 900 })).toBeUndefined();
  });

  it('on Slack: a Window field, and the approve confirmation says how long the approval lasts', () => {
    const message = JSON.stringify(approvalRequestMessage(windowed));
    expect(message).toContain(`Window\\n${WORDS}`);
    expect(message).toContain(`for a window of ${WORDS}.`);
    expect(JSON.stringify(approvalRequestMessage(oneSession))).not.toContain('Window');
  });

  it('in the email, text and HTML', () => {
    const email = composeApprovalEmail({
      request: windowed,
      person: 'alice',
      link: 'https://jitvend.example/approvals/t',
    });
    expect(email.text).toMatch(new RegExp(`Window:\\s+${WORDS.replace(/[()]/g, '\\$&')}`));
    expect(email.html).toContain(WORDS);
    const plain = composeApprovalEmail({
      request: oneSession,
      person: 'alice',
      link: 'https://jitvend.example/approvals/t',
    });
    expect(plain.text).not.toContain('Window');
  });

  it('on the approval page', () => {
    const page = confirmationPage({
      request: windowed,
      person: 'alice',
      now: new Date('2030-01-01T12:01:00Z'),
    });
    expect(page.body).toContain(`<dt>Window</dt><dd>${WORDS}</dd>`);
    expect(page.body).toContain(`for\n<strong>a window of ${WORDS}</strong>`);
    const plain = confirmationPage({
      request: oneSession,
      person: 'alice',
      now: new Date('2030-01-01T12:01:00Z'),
    });
    expect(plain.body).not.toContain('<dt>Window</dt>');
  });
});
