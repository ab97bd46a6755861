/**
 * The ports of the domain: small interfaces that adapters implement
 * (shared/adapters/* for AWS, local/* for the local stack, tests for fakes).
 */
import type { Person } from './profile.ts';
import type { AccessRequest, AuditEvent, IssuedCredentials, RequestStatus } from './types.ts';
import type { UsageEvents, UsageWindow } from './usage/session-records.ts';

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Credentials sealed for storage: only the vault can open them. */
export interface SealedCredentials {
  ciphertext: string;
  expiration: string;
}

export interface CredentialVault {
  seal(requestId: string, credentials: IssuedCredentials): Promise<SealedCredentials>;
  open(requestId: string, sealed: SealedCredentials): Promise<IssuedCredentials>;
}

export interface ListQuery {
  /**
   * only this requester's requests: its issuer AND subject. `includeLegacy`: also the requests
   * of this subject stored before issuer-scoped identity (no `requesterIssuer`), when this
   * issuer is the one they are attributed to.
   */
  requester?: { issuer: string; subject: string; includeLegacy: boolean };
  status?: RequestStatus;
  limit: number;
  cursor?: string;
  /**
   * who is paging (a canonical principal key): the cursor returned is bound to it and only
   * accepted back from the same caller, so one principal's cursor never pages another's list
   */
  caller?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface IdempotencyOptions {
  /** the caller's key, already scoped to its principal (e.g. `<issuer>#<subject>` + key) */
  idempotencyKey?: string;
  /** a digest of the request body the key was first used with */
  fingerprint?: string;
}

/** How a request is created: idempotently, and in a CI run when its profile reuses approvals. */
export interface CreateOptions extends IdempotencyOptions {
  /** the run it joins (shared/domain/reuse.ts runKey): listed by `listRun` from then on */
  run?: string;
  /**
   * approved by reuse of this request: written only if that request is, at that moment,
   * still issued with this window end (else ConcurrentUpdateError: decide again)
   */
  reuses?: { id: string; windowEndsAt: string };
}

export interface CommitOptions {
  /** store sealed credentials with the transition (issue) */
  putCredentials?: SealedCredentials;
  /** delete stored credentials with the transition; `required` makes the write fail if none exist */
  deleteCredentials?: 'required' | 'if_present';
}

/**
 * Requests and their audit trail: every change of a request is written with its audit event in
 * one conditional transaction (and the sealed credentials travel with the transitions that
 * issue or end them).
 */
export interface RequestRepository {
  /**
   * Writes a new request and its first audit event atomically. With an idempotency key (scoped
   * by the caller to its principal), a second create with the same key returns the first
   * request, `created: false`, with the body fingerprint stored with the key (`fingerprint`,
   * absent on keys written before fingerprints were stored).
   */
  create(
    request: AccessRequest,
    /** its first audit events, in order (seq 1, 2, …): one, or two for a request approved at create */
    event: AuditEvent | readonly AuditEvent[],
    options?: CreateOptions,
  ): Promise<{ request: AccessRequest; created: boolean; fingerprint?: string }>;
  get(id: string): Promise<AccessRequest | undefined>;
  /** The requests created with `run` (CreateOptions), oldest first (approval reuse). */
  listRun(run: string): Promise<AccessRequest[]>;
  /**
   * Replaces `prev` by `next` and appends `event`, in one conditional transaction on
   * `prev.version` and `prev.status`. Throws ConcurrentUpdateError if the request changed
   * (or, with deleteCredentials 'required', if no credentials are stored).
   */
  commit(prev: AccessRequest, next: AccessRequest, event: AuditEvent, options?: CommitOptions): Promise<void>;
  list(query: ListQuery): Promise<Page<AccessRequest>>;
  /** the request's audit events, oldest first */
  listAudit(id: string): Promise<AuditEvent[]>;
  /** The request and its sealed credentials together (one read where the store allows it). */
  getWithCredentials(
    id: string,
  ): Promise<{ request: AccessRequest | undefined; credentials: SealedCredentials | undefined }>;
}

/** Keeps the AwaitApproval task token server-side (never in the request item, a URL or an event). */
export interface TaskTokenStore {
  saveTaskToken(id: string, taskToken: string, expiresAt: string): Promise<void>;
  /**
   * Removes the task token and returns it, atomically: of several callers racing to resume
   * the same task (a decision and the AwaitApproval step itself), exactly one gets it.
   */
  takeTaskToken(id: string): Promise<string | undefined>;
}

/** Email approval links: their tokens, stored by hash only. */
export interface ApprovalTokenStore {
  saveApprovalToken(record: ApprovalTokenRecord): Promise<void>;
  getApprovalToken(tokenHash: string): Promise<ApprovalTokenRecord | undefined>;
  /** Marks a token used; false when it was already used (or does not exist): single use under races. */
  useApprovalToken(tokenHash: string, usedAt: string): Promise<boolean>;
}

/**
 * The three stores as the runtimes wire them: one DynamoDB table holds all of them
 * (shared/adapters/dynamodb/request-store.ts). Use cases ask for the ports they use only.
 */
export type RequestStore = RequestRepository & TaskTokenStore & ApprovalTokenStore;

export interface ApprovalTokenRecord {
  tokenHash: string;
  requestId: string;
  person: string;
  expiresAt: string;
  usedAt?: string;
}

export interface AssumeRoleInput {
  roleArn: string;
  /** the session policy JSON, already checked against the 2,048-character limit */
  policy: string;
  durationSeconds: number;
  /** `jitvend-<requestId>`, used as RoleSessionName and SourceIdentity */
  sourceIdentity: string;
  tags: Record<string, string>;
}

export interface CredentialIssuer {
  /** Throws IssueError (retryable for throttling) on failure. */
  assumeRole(input: AssumeRoleInput): Promise<IssuedCredentials>;
}

/**
 * Stops an issued session before it expires (STS cannot): a deny on the target role for
 * exactly that session's `aws:SourceIdentity`, removed once the session would have expired.
 */
export interface SessionRevoker {
  revoke(input: { roleArn: string; sourceIdentity: string; expiresAt: string }): Promise<void>;
  release(input: { roleArn: string; sourceIdentity: string }): Promise<void>;
}

/**
 * Finds the CloudTrail records of an issued session (LookupEvents on AWS, a trail's log files,
 * local files in the local stack). It may return records of other sessions too: the domain
 * keeps exactly those carrying the session's source identity (shared/domain/usage/session-records.ts).
 */
export interface UsageSource {
  eventsFor(sourceIdentity: string, window: UsageWindow): Promise<UsageEvents>;
}

/** Tells approvers that a request waits for them (Slack, email; the local outbox). */
export interface ApprovalNotifier {
  /**
   * Called when a request starts (or, after a restart, resumes) waiting for people.
   * Resolves with what happened on each channel (`sent`, or why not), for the audit trail;
   * it never carries tokens or links.
   */
  requestApproval(request: AccessRequest, approvers: Person[]): Promise<Record<string, string>>;
  /**
   * Tells the approvers who were asked that an issued request ended early (its requester
   * released it). Resolves like requestApproval. Optional: a notifier without it says nothing.
   */
  requestEnded?(request: AccessRequest, approvers: Person[]): Promise<Record<string, string>>;
  /**
   * Tells the people who approved `original` that it approved `request` too, by approval reuse
   * in its CI run, and how many of the run's jobs it now covers (itself included). Optional.
   */
  approvalReused?(
    original: AccessRequest,
    request: AccessRequest,
    jobs: number,
    approvers: Person[],
  ): Promise<Record<string, string>>;
}

/** Starts the approval workflow for a request (Step Functions in AWS, in-process locally). */
export interface Workflow {
  start(request: AccessRequest): Promise<void>;
}

/** Lets a long-poll wake when a request changes. */
export interface RequestWatcher {
  /** resolves when the request's version differs from `version`, or after timeoutMs */
  waitForChange(id: string, version: number, timeoutMs: number): Promise<AccessRequest | undefined>;
}

/** Verifies the caller's bearer token (OIDC) and builds the principal. */
export interface TokenVerifier {
  /** `authorization` is the raw Authorization header value. Throws UnauthenticatedError. */
  verify(authorization: string | undefined): Promise<import('./types.ts').Principal>;
}

/** Structured logs. Implementations redact secrets; callers never pass credentials or tokens. */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}
