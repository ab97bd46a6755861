/**
 * Email approval tokens: the secret part of an approver's link `<publicUrl>/approvals/<token>`.
 *
 * A token is `v1.<claims>.<mac>`: the claims (request id, person, expiry, random nonce) as
 * base64url JSON, signed with HMAC-SHA256 under the runtime's approval token key. It is
 * url-safe, bound to one request and one approver, and expires with the request's approval
 * deadline. Only its SHA-256 hash is stored (`RequestStore.saveApprovalToken`), which is
 * what makes it single use (`useApprovalToken`). It is never a Step Functions task token.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ApprovalTokenClaims {
  requestId: string;
  /** the configured person the link was sent to */
  person: string;
  /** ISO timestamp (second precision): the request's approval deadline */
  expiresAt: string;
  /** random, so two links for the same person and request differ */
  nonce: string;
}

export type ApprovalTokenFailure = 'tampered' | 'expired' | 'malformed';

export type ApprovalTokenVerdict =
  | { ok: true; claims: ApprovalTokenClaims }
  | { ok: false; reason: ApprovalTokenFailure };

const VERSION = 'v1';
/** Domain separation: a MAC made for anything else under the same key never verifies here. */
const MAC_CONTEXT = 'jitvend-approval-token-v1.';
const MIN_KEY_BYTES = 32;
const MAC_BYTES = 32;
/** Far above any real token (about 200 characters); bounds the work done on junk input. */
const MAX_TOKEN_CHARS = 1024;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Thrown for a missing or short key: a misconfiguration, never a user mistake (fail closed). */
export class ApprovalTokenKeyError extends Error {
  override readonly name = 'ApprovalTokenKeyError';
}

export function issueApprovalToken(
  input: { requestId: string; person: string; expiresAt: string | Date },
  key: Uint8Array,
): { token: string; tokenHash: string; claims: ApprovalTokenClaims } {
  checkKey(key);
  const expires = new Date(input.expiresAt);
  if (!Number.isFinite(expires.getTime())) throw new TypeError('approval token: expiresAt is not a date');
  if (input.requestId === '' || input.person === '') {
    throw new TypeError('approval token: requestId and person are required');
  }
  const wire = {
    r: input.requestId,
    p: input.person,
    e: Math.floor(expires.getTime() / 1000),
    n: randomBytes(16).toString('base64url'),
  };
  const body = Buffer.from(JSON.stringify(wire), 'utf8').toString('base64url');
  const token = `${VERSION}.${body}.${mac(body, key).toString('base64url')}`;
  return { token, tokenHash: hashApprovalToken(token), claims: claimsOf(wire) };
}

/**
 * Checks the token's shape, then its MAC (in constant time), then its expiry. Claims are only
 * trusted after the MAC: an expired verdict is only given for a token jitvend really issued.
 */
export function verifyApprovalToken(token: string, key: Uint8Array, now: Date): ApprovalTokenVerdict {
  checkKey(key);
  if (typeof token !== 'string' || token.length > MAX_TOKEN_CHARS) return failed('malformed');
  const parts = token.split('.');
  if (parts.length !== 3) return failed('malformed');
  const [version, body, signature] = parts as [string, string, string];
  if (version !== VERSION || !BASE64URL.test(body) || !BASE64URL.test(signature)) return failed('malformed');
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== MAC_BYTES || given.toString('base64url') !== signature) return failed('malformed');
  if (!timingSafeEqual(given, mac(body, key))) return failed('tampered');

  let wire: unknown;
  try {
    wire = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch {
    return failed('malformed');
  }
  if (!isWire(wire)) return failed('malformed');
  if (now.getTime() >= wire.e * 1000) return failed('expired');
  return { ok: true, claims: claimsOf(wire) };
}

/** What the store keeps instead of the token: SHA-256, hex. */
export function hashApprovalToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The approver's link: `<publicUrl>/approvals/<token>`. */
export function approvalLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/approvals/${token}`;
}

// ---------------------------------------------------------------------------------------

interface Wire {
  r: string;
  p: string;
  e: number;
  n: string;
}

function isWire(value: unknown): value is Wire {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.r === 'string' &&
    v.r !== '' &&
    typeof v.p === 'string' &&
    v.p !== '' &&
    typeof v.n === 'string' &&
    typeof v.e === 'number' &&
    Number.isSafeInteger(v.e) &&
    v.e > 0
  );
}

function claimsOf(wire: Wire): ApprovalTokenClaims {
  return {
    requestId: wire.r,
    person: wire.p,
    expiresAt: new Date(wire.e * 1000).toISOString(),
    nonce: wire.n,
  };
}

function mac(body: string, key: Uint8Array): Buffer {
  return createHmac('sha256', key).update(MAC_CONTEXT).update(body).digest();
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length < MIN_KEY_BYTES) {
    throw new ApprovalTokenKeyError(`the approval token key must be at least ${MIN_KEY_BYTES} bytes`);
  }
}

function failed(reason: ApprovalTokenFailure): ApprovalTokenVerdict {
  return { ok: false, reason };
}
