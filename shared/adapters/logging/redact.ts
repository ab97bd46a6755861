/**
 * Log redaction: a last line of defence under the rule that callers never log secrets.
 * Fields whose name says secret are masked whole; strings shaped like AWS keys, session
 * tokens, bearer JWTs, Slack tokens or approval-link tokens are masked wherever they appear.
 */
import type { Logger } from '../../domain/ports.ts';

const SECRET_KEY =
  /secret|token|password|passphrase|authorization|cookie|credential|ciphertext|signature|sessionkey|privatekey/i;

const SECRET_SHAPES: RegExp[] = [
  /\b(?:AKIA|ASIA|AROA|AIDA)[A-Z0-9]{12,}\b/g, // AWS access key ids (and the local stand-in's)
  /\beyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]+/g, // JWTs (OIDC id tokens)
  /\bxox[abposr]-[\w-]{8,}/g, // Slack tokens
  /\bjitvend-local-[\w-]{16,}/g, // local session tokens
  /\bv1\.[\w-]{20,}\.[\w-]{20,}/g, // email approval link tokens
  /\bFwoGZXIvYXdzE[\w+/=]{20,}/g, // AWS session tokens
];

export const REDACTED = '[redacted]';

export function redactText(text: string): string {
  let out = text;
  for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] =
      SECRET_KEY.test(key) && v !== undefined && v !== null && v !== '' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

/** Wraps a logger so every message and field goes through `redact`. */
export function redactingLogger(inner: Logger): Logger {
  const wrap =
    (fn: Logger['info']) =>
    (message: string, fields?: Record<string, unknown>): void =>
      fn(redactText(message), fields === undefined ? undefined : (redact(fields) as Record<string, unknown>));
  return { info: wrap(inner.info), warn: wrap(inner.warn), error: wrap(inner.error) };
}
