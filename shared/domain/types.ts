/** Core shapes of the product. No AWS SDK imports in shared/domain. */

export const REQUEST_STATUSES = [
  'pending_approval',
  'approved',
  'issued',
  'expired',
  'denied',
  'timed_out',
  'cancelled',
  'revoked',
  'released',
  'failed',
] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];

/** One requested or granted permission: IAM action patterns on resource ARN patterns. */
export interface Permission {
  actions: string[];
  resources: string[];
}

/**
 * What a requester asks for (POST /requests and /requests/preview), as the use cases take it.
 * The API validates it with its own schema (shared/api/schemas.ts `createRequestSchema`).
 */
export interface CreateRequestInput {
  profile: string;
  permissions?: Permission[] | undefined;
  durationSeconds?: number | undefined;
  /** how long the approval lasts from issue (default durationSeconds; shared/domain/window.ts) */
  windowSeconds?: number | undefined;
  reason: string;
  context?: Record<string, string> | undefined;
}

/** An IAM policy document as jitvend builds it: Allow statements only. */
export interface PolicyStatement {
  Effect: 'Allow';
  Action: string | string[];
  Resource: string | string[];
}
export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/**
 * Who is calling: built from a verified OIDC token. The principal is the token's issuer and
 * subject together (`iss` + `sub`): the same `sub` from another issuer is someone else.
 * Compare principals with `samePrincipal` / `isRequesterOf` (shared/domain/access.ts), never by
 * subject alone.
 */
export interface Principal {
  /** the token's `iss`, exactly as configured in `issuers[].issuer` */
  issuer: string;
  /** the token's `sub`, e.g. `repo:acme/orders:ref:refs/heads/main` (compared exactly) */
  subject: string;
  /** Every claim of the verified token (string/number/boolean values only are matched). */
  claims: Record<string, unknown>;
  /**
   * Configured person this token acts as: only from an issuer marked `people: true`, whose
   * `email` claim matches the person and whose `email_verified`, when present, is exactly `true`.
   */
  person?: string;
}

export type Channel = 'api' | 'slack' | 'email' | 'workflow' | 'rule' | 'system';

export interface Approval {
  person: string;
  decision: 'approve' | 'deny';
  channel: Channel;
  at: string;
  reason?: string;
}

/** The stored request (the view returned by the API is derived from it). */
export interface AccessRequest {
  id: string;
  profile: string;
  /** the requester's token subject (`sub`); the requester is this subject AT `requesterIssuer` */
  requester: string;
  /**
   * the requester's token issuer (`iss`). Absent only on requests stored before issuer-scoped
   * identity: those are attributed to `config.legacyRequesterIssuer` (docs/storage.md).
   */
  requesterIssuer?: string;
  /**
   * the configured person the creating token named (people issuers only), if any: that person
   * can never decide on this request, by any channel
   */
  requesterPerson?: string;
  /** claims of the requester's token that matter to auditors and approvers */
  requesterClaims: Record<string, string>;
  /** configured person who started the pipeline (actor claim), if matched */
  initiator?: string;
  status: RequestStatus;
  permissions: Permission[];
  sessionPolicy: PolicyDocument;
  sessionPolicyHash: string;
  /** how long each session lasts (the first, and each renewal at most) */
  durationSeconds: number;
  /**
   * how long the approval lasts, counted from issue: sessions are renewed inside it. Absent on
   * requests stored before approval windows: read it with `windowSecondsOf` (window.ts), which
   * gives durationSeconds (one session).
   */
  windowSeconds?: number;
  reason: string;
  context?: Record<string, string>;
  approvals: Approval[];
  /** how it was (or will be) approved: 'auto' with the rule index, or 'human' */
  approvalRoute: ApprovalRoute;
  createdAt: string;
  updatedAt: string;
  /** deadline for a human decision */
  approvalDeadline: string;
  /**
   * set when issued: when the latest STS session expires (the first session's expiry, then
   * each renewal's, in the renewal's own write). A revocation or release denies the request's
   * sessions until this plus the grace, so it is always the latest session's expiry.
   */
  expiresAt?: string;
  issuedAt?: string;
  /** set when issued: when the approval window ends (`issuedAt + windowSeconds`); absent before */
  windowEndsAt?: string;
  credentialsDeliveredAt?: string;
  /** when the requester last renewed (POST /requests/{id}/renew): at most one renewal a minute */
  lastRenewedAt?: string;
  /** how many renewals were made (each one an audit event `credentials_renewed`) */
  renewals?: number;
  /** the request (approved by people in the same CI run) whose approval approved this one */
  reuseOf?: string;
  /** why it ended in failed/denied/timed_out/cancelled/revoked */
  statusReason?: string;
  /**
   * set when an approver revoked the issued session, or its requester released it (`by` is then
   * the requester's principal id); `releasedAt` once the deny is removed after expiry
   */
  revocation?: { at: string; by: string; releasedAt?: string };
  /** optimistic concurrency: incremented on each transition */
  version: number;
  /** hash chain head: hash of the last audit event of this request */
  auditHead: string;
  /** number of audit events written so far */
  auditCount: number;
}

export type ApprovalRoute =
  | { kind: 'auto'; rule: number }
  | { kind: 'human'; approvers: string[]; minApprovals: number };

export type AuditEventType =
  | 'request_created'
  | 'request_approved'
  | 'request_denied'
  | 'request_timed_out'
  | 'request_cancelled'
  | 'credentials_issued'
  | 'credentials_delivered'
  | 'credentials_renewed'
  | 'request_expired'
  | 'request_revoked'
  | 'request_released'
  | 'request_failed'
  | 'decision_recorded'
  | 'decision_refused'
  | 'approvers_notified'
  | 'revocation_released';

export interface AuditEvent {
  requestId: string;
  /** 1-based position in this request's chain */
  seq: number;
  type: AuditEventType;
  /** principal id or person name, or `jitvend` for the system */
  actor: string;
  channel: Channel;
  at: string;
  from?: RequestStatus;
  to?: RequestStatus;
  sessionPolicyHash?: string;
  detail?: Record<string, unknown>;
  /** hash of the previous event of the request (`GENESIS` for the first) */
  prevHash: string;
  /** sha-256 over the canonical event without `hash` */
  hash: string;
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO timestamp */
  expiration: string;
}
