/**
 * Slack request signatures (`v0`): `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}`
 * keyed with the Slack app's signing secret, within a 5-minute replay window.
 * See https://api.slack.com/authentication/verifying-requests-from-slack
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's replay window: a timestamp further than this from now is refused. */
export const SLACK_SIGNATURE_TOLERANCE_SECONDS = 300;

export interface SlackSignatureInput {
  /** the Slack app's signing secret; empty always fails (fail closed) */
  secret: string;
  /** `X-Slack-Request-Timestamp` header, seconds since the epoch */
  timestamp: string | undefined;
  /** `X-Slack-Signature` header */
  signature: string | undefined;
  /** the raw request body, exactly as received */
  body: string | Buffer;
  now: Date;
  toleranceSeconds?: number;
}

/** The reason is for logs only: it never contains the secret or a signature. */
export type SignatureCheck = { ok: true } | { ok: false; reason: string };

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v0=([0-9a-f]{64})$/;

function hmac(secret: string, timestamp: string, body: string | Buffer): Buffer {
  return createHmac('sha256', secret)
    .update(`v0:${timestamp}:`)
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest();
}

export function verifySlackSignature(input: SlackSignatureInput): SignatureCheck {
  if (input.secret === '') return { ok: false, reason: 'no Slack signing secret is configured' };
  if (input.timestamp === undefined || input.timestamp === '') {
    return { ok: false, reason: 'missing X-Slack-Request-Timestamp header' };
  }
  if (input.signature === undefined || input.signature === '') {
    return { ok: false, reason: 'missing X-Slack-Signature header' };
  }
  if (!TIMESTAMP.test(input.timestamp)) return { ok: false, reason: 'timestamp is not a number of seconds' };
  const tolerance = input.toleranceSeconds ?? SLACK_SIGNATURE_TOLERANCE_SECONDS;
  const skew = Math.abs(input.now.getTime() / 1000 - Number(input.timestamp));
  if (skew > tolerance) {
    return { ok: false, reason: `timestamp is ${Math.round(skew)} s from now (more than ${tolerance} s)` };
  }
  const match = SIGNATURE.exec(input.signature.toLowerCase());
  if (!match) return { ok: false, reason: 'signature is not of the form v0=<64 hex digits>' };
  const given = Buffer.from(match[1]!, 'hex');
  const expected = hmac(input.secret, input.timestamp, input.body);
  // both are 32 bytes here: timingSafeEqual needs equal lengths
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true };
}

/** The headers Slack would send with this body (tests and the local stack). */
export function signSlackRequest(
  secret: string,
  timestamp: number | string,
  body: string | Buffer,
): { 'x-slack-request-timestamp': string; 'x-slack-signature': string } {
  const ts = String(timestamp);
  return {
    'x-slack-request-timestamp': ts,
    'x-slack-signature': `v0=${hmac(secret, ts, body).toString('hex')}`,
  };
}
