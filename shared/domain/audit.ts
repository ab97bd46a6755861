import { createHash } from 'node:crypto';
import type { AuditEvent } from './types.ts';

export const GENESIS_HASH = 'GENESIS';

/** Canonical JSON: keys sorted at every level, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The hash of an event: sha-256 over its canonical form without `hash`. */
export function hashAuditEvent(event: Omit<AuditEvent, 'hash'>): string {
  return sha256Hex(canonicalJson(event));
}

export type AuditDraft = Omit<AuditEvent, 'hash' | 'prevHash' | 'seq' | 'requestId'>;

/** Links a new event to the chain whose head is `prevHash` at position `seq`. */
export function chainAuditEvent(
  requestId: string,
  seq: number,
  prevHash: string,
  draft: AuditDraft,
): AuditEvent {
  const body: Omit<AuditEvent, 'hash'> = { requestId, seq, prevHash, ...draft };
  return { ...body, hash: hashAuditEvent(body) };
}

export interface ChainVerdict {
  ok: boolean;
  /** 1-based seq of the first bad event, and why */
  brokenAt?: number;
  problem?: string;
}

/** Checks a request's events, oldest first: sequence, links and hashes; optionally the expected head. */
export function verifyAuditChain(events: AuditEvent[], expectedHead?: string): ChainVerdict {
  let prev = GENESIS_HASH;
  for (const [i, event] of events.entries()) {
    const { hash, ...body } = event;
    if (event.seq !== i + 1)
      return { ok: false, brokenAt: i + 1, problem: `event ${i + 1} has seq ${event.seq}` };
    if (event.prevHash !== prev)
      return {
        ok: false,
        brokenAt: event.seq,
        problem: `event ${event.seq} does not link to the event before it`,
      };
    if (hashAuditEvent(body) !== hash)
      return { ok: false, brokenAt: event.seq, problem: `event ${event.seq} was modified (hash mismatch)` };
    prev = hash;
  }
  if (expectedHead !== undefined && prev !== expectedHead)
    return {
      ok: false,
      brokenAt: events.length + 1,
      problem: 'the chain ends before the request says it does (events removed)',
    };
  return { ok: true };
}
