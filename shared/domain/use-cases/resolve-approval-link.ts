/**
 * Opening an email approval link (GET and POST /approvals/{token} both start here): the
 * token's signature and expiry, that jitvend issued it (its hash is stored, for this request
 * and this person), that it is unused, and that its request exists. Reads only: it never
 * marks the token used nor decides anything (mail scanners open links too).
 */
import { type ApprovalTokenClaims, hashApprovalToken, verifyApprovalToken } from '../approval-tokens.ts';
import type { ApprovalTokenStore, Clock, RequestRepository } from '../ports.ts';
import type { AccessRequest } from '../types.ts';

/** Why a link opens nothing: each has its own page (shared/web/approval-pages.ts). */
export type LinkProblem = 'invalid' | 'expired' | 'used' | 'unknown_request';

export type ApprovalLink =
  | { ok: true; claims: ApprovalTokenClaims; tokenHash: string; request: AccessRequest }
  | { ok: false; problem: LinkProblem; request?: AccessRequest };

export interface ApprovalLinkDeps {
  store: Pick<RequestRepository, 'get'> & Pick<ApprovalTokenStore, 'getApprovalToken'>;
  clock: Clock;
  approvalTokenKey: Uint8Array;
}

export async function resolveApprovalLink(
  deps: ApprovalLinkDeps,
  token: string | undefined,
): Promise<ApprovalLink> {
  if (token === undefined || token === '') return { ok: false, problem: 'invalid' };
  const verdict = verifyApprovalToken(token, deps.approvalTokenKey, deps.clock.now());
  if (!verdict.ok) return { ok: false, problem: verdict.reason === 'expired' ? 'expired' : 'invalid' };
  const { claims } = verdict;
  const tokenHash = hashApprovalToken(token);
  const record = await deps.store.getApprovalToken(tokenHash);
  if (!record || record.requestId !== claims.requestId || record.person !== claims.person) {
    return { ok: false, problem: 'invalid' };
  }
  const request = await deps.store.get(claims.requestId);
  if (record.usedAt !== undefined) return { ok: false, problem: 'used', ...(request ? { request } : {}) };
  if (!request) return { ok: false, problem: 'unknown_request' };
  return { ok: true, claims, tokenHash, request };
}
