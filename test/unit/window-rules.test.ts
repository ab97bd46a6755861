/**
 * Approval windows and renewals on a fake clock (SPEC.md: "Approval window",
 * `POST /requests/{id}/renew`): refusals in the order the API checks them, and a renewed
 * session that never outlives the window nor STS's bounds (15 minutes to an hour).
 */
import { describe, expect, it } from 'vitest';
import {
  MAX_WINDOW_SECONDS,
  type RenewableRequest,
  renewalSeconds,
  renewRefusal,
  windowEndsAt,
  windowSecondsOf,
} from '../../shared/domain/window.ts';

const ISSUED = '2026-11-24T10:00:00.000Z';
const at = (minutes: number) => new Date(new Date(ISSUED).getTime() + minutes * 60_000);
const request = (overrides: Partial<RenewableRequest> = {}): RenewableRequest => ({
  id: 'r1',
  status: 'issued',
  durationSeconds: 3600,
  credentialsDeliveredAt: '2026-11-24T10:00:05.000Z',
  expiresAt: '2026-11-24T11:00:00.000Z',
  windowEndsAt: '2026-11-24T12:00:00.000Z', // a 2-hour window
  ...overrides,
});

describe('the window', () => {
  it('lasts one session unless the request asks for more, counted from the issue', () => {
    expect(windowSecondsOf({ durationSeconds: 900 })).toBe(900);
    expect(windowSecondsOf({ durationSeconds: 900, windowSeconds: 7200 })).toBe(7200);
    expect(windowEndsAt(ISSUED, 7200)).toBe('2026-11-24T12:00:00.000Z');
    expect(MAX_WINDOW_SECONDS).toBe(12 * 3600);
  });
});

describe('renewal refusals, in the API’s order', () => {
  it.each<[string, Partial<RenewableRequest>, number, number | undefined]>([
    ['inside the window, a minute after delivery', {}, 2, undefined],
    ['released', { status: 'released' }, 30, 410],
    ['revoked', { status: 'revoked' }, 30, 410],
    ['expired (the window ended)', { status: 'expired' }, 30, 410],
    ['issued, but the window ended', {}, 120, 410],
    ['issued, with 14 minutes of window left (STS’s shortest session is 15)', {}, 106, 410],
    ['issued, with exactly 15 minutes left', { lastRenewedAt: undefined }, 105, undefined],
    ['pending approval', { status: 'pending_approval', credentialsDeliveredAt: undefined }, 1, 409],
    ['approved, not yet issued', { status: 'approved', credentialsDeliveredAt: undefined }, 1, 409],
    ['issued, first credentials not yet fetched', { credentialsDeliveredAt: undefined }, 5, 409],
    ['59 s after delivery', { credentialsDeliveredAt: '2026-11-24T10:01:01.000Z' }, 2, 429],
    ['59 s after the last renewal', { lastRenewedAt: '2026-11-24T10:29:01.000Z' }, 30, 429],
    ['60 s after the last renewal', { lastRenewedAt: '2026-11-24T10:29:00.000Z' }, 30, undefined],
    ['released before its window ended, within a minute of delivery', { status: 'released' }, 0.05, 410],
  ])('%s', (_, overrides, minutes, status) => {
    expect(renewRefusal(request(overrides), at(minutes))?.status).toBe(status);
  });

  it('says when to come back after a 429', () => {
    const refusal = renewRefusal(request({ lastRenewedAt: '2026-11-24T10:29:30.000Z' }), at(30));
    expect(refusal).toEqual({
      status: 429,
      reason: expect.stringContaining('once a minute'),
      retryAfterSeconds: 30,
    });
  });
});

describe('the renewed session', () => {
  it.each([
    ['far from the window’s end: the request’s duration', 10, 3600],
    ['40 minutes before the window’s end: cut to the window', 80, 2400],
    ['15 minutes before: STS’s shortest session, ending with the window', 105, 900],
  ])('%s', (_, minutes, seconds) => {
    expect(renewalSeconds(request(), at(minutes))).toBe(seconds);
    // never past the window's end
    expect(at(minutes).getTime() + seconds * 1000).toBeLessThanOrEqual(
      new Date('2026-11-24T12:00:00.000Z').getTime(),
    );
  });

  it('a request without a window (issued before windows existed) renews until its expiry', () => {
    expect(renewalSeconds(request({ windowEndsAt: undefined, durationSeconds: 900 }), at(1))).toBe(900);
    expect(renewRefusal(request({ windowEndsAt: undefined }), at(61))?.status).toBe(410);
  });
});
