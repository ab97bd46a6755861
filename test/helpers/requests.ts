/**
 * Requests as stored at each point of their life, built with the domain's own change function
 * (applyChange), so the audit chain of a fixture is as real as one the use cases write.
 */
import { randomUUID } from 'node:crypto';
import { chainAuditEvent, GENESIS_HASH } from '../../shared/domain/audit.ts';
import { applyChange } from '../../shared/domain/transition.ts';
import type {
  AccessRequest,
  ApprovalRoute,
  AuditEvent,
  Principal,
  RequestStatus,
} from '../../shared/domain/types.ts';

export const GITHUB = 'https://token.actions.githubusercontent.com';
export const ORDERS_PIPELINE = 'repo:acme/orders:ref:refs/heads/main';
export const T0 = Date.UTC(2030, 0, 1, 12, 0, 0);

/** `T0 + seconds`, ISO */
export function at(seconds: number): string {
  return new Date(T0 + seconds * 1000).toISOString();
}

export interface Stored {
  request: AccessRequest;
  events: AuditEvent[];
}

/** A freshly created request (pending_approval unless said) and its `request_created` event. */
export function newRequest(
  overrides: {
    id?: string;
    profile?: string;
    requester?: string;
    requesterIssuer?: string | null;
    status?: RequestStatus;
    createdAt?: string;
    route?: ApprovalRoute;
    approvalTimeoutSeconds?: number;
  } = {},
): { request: AccessRequest; event: AuditEvent } {
  const id = overrides.id ?? randomUUID();
  const requester = overrides.requester ?? ORDERS_PIPELINE;
  const createdAt = overrides.createdAt ?? at(0);
  const status = overrides.status ?? 'pending_approval';
  const route = overrides.route ?? { kind: 'human', approvers: ['alice', 'bob'], minApprovals: 1 };
  const event = chainAuditEvent(id, 1, GENESIS_HASH, {
    type: 'request_created',
    actor: requester,
    channel: 'api',
    at: createdAt,
    to: status,
    sessionPolicyHash: 'policy-hash',
    detail: { profile: overrides.profile ?? 'orders-it', durationSeconds: 900, reason: 'integration tests' },
  });
  const resource = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1';
  const request: AccessRequest = {
    id,
    profile: overrides.profile ?? 'orders-it',
    requester,
    ...(overrides.requesterIssuer === null ? {} : { requesterIssuer: overrides.requesterIssuer ?? GITHUB }),
    requesterClaims: { repository: 'acme/orders', ref: 'refs/heads/main' },
    status,
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [resource] }],
    sessionPolicy: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [resource] }],
    },
    sessionPolicyHash: 'policy-hash',
    durationSeconds: 900,
    reason: 'integration tests',
    approvals: [],
    approvalRoute: route,
    createdAt,
    updatedAt: createdAt,
    approvalDeadline: new Date(
      Date.parse(createdAt) + (overrides.approvalTimeoutSeconds ?? 1800) * 1000,
    ).toISOString(),
    version: 1,
    auditHead: event.hash,
    auditCount: 1,
  };
  return { request, event };
}

/** Moves a stored request on by one change, keeping its events. */
export function advance(stored: Stored, change: Parameters<typeof applyChange>[1]): Stored {
  const { next, event } = applyChange(stored.request, change);
  return { request: next, events: [...stored.events, event] };
}

/** A request in `status`, reached the way the workflow reaches it (issued at `at(120)`). */
export function requestIn(
  status: 'pending_approval' | 'approved' | 'issued' | 'expired' | 'denied' | 'cancelled' | 'revoked',
  overrides: Parameters<typeof newRequest>[0] = {},
): Stored {
  const created = newRequest(overrides);
  let stored: Stored = { request: created.request, events: [created.event] };
  if (status === 'pending_approval') return stored;
  if (status === 'denied' || status === 'cancelled') {
    return advance(stored, {
      to: status,
      event: {
        type: status === 'denied' ? 'request_denied' : 'request_cancelled',
        actor: 'x',
        channel: 'api',
        at: at(60),
      },
    });
  }
  stored = advance(stored, {
    to: 'approved',
    event: { type: 'request_approved', actor: 'rule:0', channel: 'rule', at: at(60) },
  });
  if (status === 'approved') return stored;
  stored = advance(stored, {
    to: 'issued',
    patch: { issuedAt: at(120), expiresAt: at(120 + stored.request.durationSeconds) },
    event: { type: 'credentials_issued', actor: 'jitvend', channel: 'workflow', at: at(120) },
  });
  if (status === 'issued') return stored;
  if (status === 'revoked') {
    return advance(stored, {
      to: 'revoked',
      patch: { revocation: { at: at(300), by: 'alice' } },
      event: { type: 'request_revoked', actor: 'alice', channel: 'api', at: at(300) },
    });
  }
  return advance(stored, {
    to: 'expired',
    event: { type: 'request_expired', actor: 'jitvend', channel: 'workflow', at: at(1020) },
  });
}

/** The pipeline that creates the fixtures' requests (issuer AND subject). */
export const REQUESTER: Principal = {
  issuer: GITHUB,
  subject: ORDERS_PIPELINE,
  claims: { repository: 'acme/orders', ref: 'refs/heads/main' },
};
/** The same subject at another issuer: someone else. */
export const IMPOSTOR: Principal = { ...REQUESTER, issuer: 'https://gitlab.example.com' };
/** A configured person's token (the sample config's people: alice, bob, carol). */
export function personPrincipal(person: string): Principal {
  return { issuer: 'https://idp.example.com', subject: `${person}@example.com`, claims: {}, person };
}
