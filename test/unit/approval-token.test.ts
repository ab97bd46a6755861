import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ApprovalTokenKeyError,
  approvalLink,
  hashApprovalToken,
  issueApprovalToken,
  verifyApprovalToken,
} from '../../shared/domain/approval-tokens.ts';

const KEY = new Uint8Array(32).fill(7);
const OTHER_KEY = new Uint8Array(32).fill(8);
const DEADLINE = '2026-11-24T10:30:00.000Z';
const BEFORE = new Date('2026-11-24T10:00:00.000Z');
const input = { requestId: '0f8e0c2a-6a57-4d39-9d5b-8a1f1f9b2c11', person: 'alice', expiresAt: DEADLINE };

function segments(token: string): [string, string, string] {
  return token.split('.') as [string, string, string];
}

describe('approval tokens', () => {
  describe('issue and verify', () => {
    it('binds request, person and expiry, and verifies with the same key', () => {
      const { token, tokenHash, claims } = issueApprovalToken(input, KEY);
      expect(verifyApprovalToken(token, KEY, BEFORE)).toEqual({ ok: true, claims });
      expect(claims).toMatchObject({ requestId: input.requestId, person: 'alice', expiresAt: DEADLINE });
      expect(tokenHash).toBe(hashApprovalToken(token));
    });

    it('is url-safe and short enough for any mail client', () => {
      const { token } = issueApprovalToken(input, KEY);
      expect(token).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      expect(token.length).toBeLessThan(300);
      expect(encodeURIComponent(token)).toBe(token);
    });

    it('carries a random nonce: two tokens for the same approver differ', () => {
      const a = issueApprovalToken(input, KEY);
      const b = issueApprovalToken(input, KEY);
      expect(a.token).not.toBe(b.token);
      expect(a.tokenHash).not.toBe(b.tokenHash);
      expect(a.claims.nonce).not.toBe(b.claims.nonce);
    });

    it('expires at the approval deadline, not a second later', () => {
      const { token } = issueApprovalToken(input, KEY);
      expect(verifyApprovalToken(token, KEY, new Date('2026-11-24T10:29:59.999Z')).ok).toBe(true);
      expect(verifyApprovalToken(token, KEY, new Date(DEADLINE))).toEqual({ ok: false, reason: 'expired' });
      expect(verifyApprovalToken(token, KEY, new Date('2026-11-25T00:00:00Z'))).toEqual({
        ok: false,
        reason: 'expired',
      });
    });
  });

  describe('refusals', () => {
    const { token } = issueApprovalToken(input, KEY);
    const [version, body, mac] = segments(token);
    const forged = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), p: 'mallory' }),
    ).toString('base64url');
    const flipped = `${mac.slice(0, -2)}${mac.at(-2) === 'A' ? 'B' : 'A'}${mac.at(-1)}`;

    it.each([
      ['another key', token, OTHER_KEY, 'tampered'],
      ['a changed claim (another person)', `${version}.${forged}.${mac}`, KEY, 'tampered'],
      ['a changed signature', `${version}.${body}.${flipped}`, KEY, 'tampered'],
      ['a cut-off signature', token.slice(0, -5), KEY, 'malformed'],
      ['a cut-off link (no signature)', `${version}.${body}`, KEY, 'malformed'],
      ['an unknown version', `v2.${body}.${mac}`, KEY, 'malformed'],
      ['an extra segment', `${token}.x`, KEY, 'malformed'],
      ['characters outside base64url', `${version}.${body}+.${mac}`, KEY, 'malformed'],
      ['an empty string', '', KEY, 'malformed'],
      ['a huge string', `v1.${'a'.repeat(5000)}.${mac}`, KEY, 'malformed'],
    ] as const)('refuses %s as %s', (_what, candidate, key, reason) => {
      expect(verifyApprovalToken(candidate, key, BEFORE)).toEqual({ ok: false, reason });
    });

    it('judges the signature before the expiry: a forged expired token is tampered, not expired', () => {
      expect(verifyApprovalToken(`${version}.${forged}.${mac}`, KEY, new Date('2030-01-01'))).toEqual({
        ok: false,
        reason: 'tampered',
      });
    });

    it('refuses a correctly signed payload that is not the claims it expects', () => {
      const other = issueApprovalToken({ ...input, person: 'bob' }, KEY);
      const [, , otherMac] = segments(other.token);
      expect(verifyApprovalToken(`${version}.${body}.${otherMac}`, KEY, BEFORE)).toEqual({
        ok: false,
        reason: 'tampered',
      });
    });
  });

  describe('key', () => {
    it.each([
      ['empty', new Uint8Array()],
      ['31 bytes', new Uint8Array(31)],
    ])('fails closed with an %s key', (_what, key) => {
      expect(() => issueApprovalToken(input, key)).toThrow(ApprovalTokenKeyError);
      expect(() => verifyApprovalToken('v1.a.b', key, BEFORE)).toThrow(ApprovalTokenKeyError);
    });
  });

  it('hashes with SHA-256, hex', () => {
    expect(hashApprovalToken('v1.a.b')).toBe(createHash('sha256').update('v1.a.b').digest('hex'));
    expect(hashApprovalToken('v1.a.b')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('builds the link under the public URL, with or without a trailing slash', () => {
    expect(approvalLink('https://api.example.com/', 'v1.a.b')).toBe(
      'https://api.example.com/approvals/v1.a.b',
    );
    expect(approvalLink('http://127.0.0.1:8787', 'v1.a.b')).toBe('http://127.0.0.1:8787/approvals/v1.a.b');
  });
});
