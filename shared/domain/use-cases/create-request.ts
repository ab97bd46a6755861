import { principalKey, profileOrThrow } from '../access.ts';
import { approvalRouteFor } from '../approval.ts';
import { canonicalJson, chainAuditEvent, GENESIS_HASH, sha256Hex } from '../audit.ts';
import { initiatorOf, principalSummary } from '../claims.ts';
import type { Deps } from '../deps.ts';
import {
  ConcurrentUpdateError,
  ForbiddenError,
  PolicyTooLargeError,
  UnprocessableError,
  ValidationError,
} from '../errors.ts';
import { buildSessionPolicy } from '../policy/builder.ts';
import { isReadOnly } from '../policy/catalogue.ts';
import type { Profile } from '../profile.ts';
import { isRequester } from '../requesters.ts';
import { reusableOriginal, runKey } from '../reuse.ts';
import { estimatePackedSizeForRequest } from '../session.ts';
import { applyChange, type Change } from '../transition.ts';
import type {
  AccessRequest,
  ApprovalRoute,
  AuditEvent,
  CreateRequestInput as CreateRequestBody,
  Permission,
  PolicyDocument,
  Principal,
} from '../types.ts';
import { reuseApproval, tellReuse } from './reuse-approval.ts';

export interface Evaluated {
  profile: Profile;
  permissions: Permission[];
  sessionPolicy: PolicyDocument;
  sessionPolicyJson: string;
  durationSeconds: number;
  /** how long the approval lasts from issue (durationSeconds when not asked for) */
  windowSeconds: number;
  route: ApprovalRoute;
}

/** Resolves the duration: the profile's default when omitted, never outside 900..profile max. */
export function resolveDuration(profile: Profile, requested: number | undefined): number {
  const seconds = requested ?? profile.defaultDurationSeconds;
  if (seconds < 900) throw new ValidationError(`durationSeconds: ${seconds} is below the STS minimum of 900`);
  if (seconds > profile.maxDurationSeconds) {
    throw new ValidationError(
      `durationSeconds: ${seconds} is above the maximum of profile ${profile.name} (${profile.maxDurationSeconds})`,
    );
  }
  return seconds;
}

/**
 * Resolves the window: one session (the duration) when omitted; never less than the duration,
 * never above the profile's `maxWindowSeconds` (its maxDurationSeconds when it sets none).
 */
export function resolveWindow(
  profile: Profile,
  requested: number | undefined,
  durationSeconds: number,
): number {
  const seconds = requested ?? durationSeconds;
  if (seconds < durationSeconds) {
    throw new ValidationError(
      `windowSeconds: ${seconds} is below durationSeconds (${durationSeconds}): a window holds at least one session`,
    );
  }
  const max = profile.maxWindowSeconds ?? profile.maxDurationSeconds;
  if (seconds > max) {
    throw new ValidationError(
      `windowSeconds: ${seconds} is above the maximum of profile ${profile.name} (${max})`,
    );
  }
  return seconds;
}

/**
 * STS's packed limit on policy plus session tags, estimated before anyone approves
 * (shared/domain/session.ts says how): a 400 that says how to narrow the request.
 */
function checkPackedSize(policyJson: string, profile: string, requester: string): void {
  const estimate = estimatePackedSizeForRequest(policyJson, { profile, requester });
  if (estimate.total <= estimate.budget) return;
  throw new PolicyTooLargeError(
    `the request is too large for STS: the session policy (${estimate.policyChars} characters) and its session tags (${estimate.tagChars}) come to ${estimate.total}, over the ${estimate.budget} that STS can pack together: request fewer actions or resources, or broader patterns that the guardrails allow`,
    { extra: { packedEstimate: estimate.total, limit: estimate.budget } },
  );
}

/**
 * Everything a request would get, checked: profile exists (404), caller may request it (403),
 * permissions inside the guardrails (403) and well-formed (400), duration allowed (400).
 * Shared by create and preview, so the preview is exactly what a create would do.
 */
export function evaluateRequest(deps: Deps, principal: Principal, body: CreateRequestBody): Evaluated {
  const profile = profileOrThrow(deps.config, body.profile);
  if (!isRequester(profile, principal.claims)) {
    throw new ForbiddenError(
      `principal ${principalKey(principal)} is not a requester of profile ${profile.name}`,
    );
  }
  const built = buildSessionPolicy(profile, body.permissions);
  checkPackedSize(built.json, profile.name, principal.subject);
  const durationSeconds = resolveDuration(profile, body.durationSeconds);
  const windowSeconds = resolveWindow(profile, body.windowSeconds, durationSeconds);
  const route = approvalRouteFor(deps.config, profile, {
    claims: principal.claims,
    durationSeconds,
    windowSeconds,
    readOnly: isReadOnly(built.permissions),
  });
  return {
    profile,
    permissions: built.permissions,
    sessionPolicy: built.policy,
    sessionPolicyJson: built.json,
    durationSeconds,
    windowSeconds,
    route,
  };
}

/**
 * The digest an Idempotency-Key is stored with: the validated body, canonically (key order
 * does not matter, every value does).
 */
export function bodyFingerprint(body: CreateRequestBody): string {
  return sha256Hex(canonicalJson(body));
}

/**
 * A key the same principal used before (keys are scoped to issuer + subject by the store):
 * the same body gets the first request back; another body is a 422, never the first request.
 */
function idempotentReplay(
  replay: { request: AccessRequest; fingerprint?: string },
  body: CreateRequestBody,
): { request: AccessRequest; created: boolean } {
  // keys stored before fingerprints were kept have none: they replay as before
  if (replay.fingerprint !== undefined && replay.fingerprint !== bodyFingerprint(body)) {
    throw new UnprocessableError(
      `Idempotency-Key: already used for request ${replay.request.id} with a different body; use a new key for a new request`,
      { extra: { reason: 'idempotency_key_reused', requestId: replay.request.id } },
    );
  }
  return { request: replay.request, created: false };
}

/**
 * The approval an auto-approve rule gives: one change, made in the create transaction for a
 * new request (createRequest) and by the workflow's Evaluate step for a request stored still
 * pending (one created before approvals were decided at create, then resumed).
 */
export function autoApproval(
  request: AccessRequest,
  route: Extract<ApprovalRoute, { kind: 'auto' }>,
  at: string,
): Change {
  return {
    to: 'approved',
    event: {
      type: 'request_approved',
      actor: `rule:${route.rule}`,
      channel: 'rule',
      at,
      sessionPolicyHash: request.sessionPolicyHash,
      detail: {
        rule: route.rule,
        why: `autoApprove rule ${route.rule} of profile ${request.profile} holds`,
      },
    },
  };
}

/** Attempts at a create that reuses an approval, when the request it reuses changes meanwhile. */
const REUSE_ATTEMPTS = 3;

/**
 * POST /requests: records the request and starts its workflow. A request an auto-approve rule
 * approves is stored `approved`, its two audit events (created, approved) in the same
 * transaction: the workflow's Evaluate step then finds nothing left to decide (one DynamoDB
 * transaction fewer per flow, the same events and statuses as when Evaluate approved it).
 * So is a request for people that an earlier request of its CI run approves (approval reuse:
 * written only if that request is still issued in the same window, else decided again).
 * Any other request is stored `pending_approval`. The 201 answers with the request as created.
 */
export async function createRequest(
  deps: Deps,
  principal: Principal,
  body: CreateRequestBody,
  idempotencyKey?: string,
): Promise<{ request: AccessRequest; created: boolean }> {
  const evaluated = evaluateRequest(deps, principal, body);
  const id = deps.newId();
  const claims = principalSummary(principal.claims);
  // the jobs of one run join it, so later jobs find what people approved in it
  const run =
    evaluated.profile.approval.reuse === 'sameRun'
      ? runKey(evaluated.profile.name, principal.issuer, claims)
      : undefined;
  for (let attempt = 1; ; attempt++) {
    const now = deps.clock.now();
    const inRun =
      run !== undefined && evaluated.route.kind === 'human' && attempt <= REUSE_ATTEMPTS
        ? await deps.store.listRun(run)
        : [];
    const original = reusableOriginal(
      {
        profile: evaluated.profile.name,
        issuer: principal.issuer,
        requesterClaims: claims,
        permissions: evaluated.permissions,
        windowSeconds: evaluated.windowSeconds,
      },
      inRun,
      now,
    );
    const { created, request, events } = newRequest(deps, principal, body, evaluated, id, now, original);
    let result: Awaited<ReturnType<Deps['store']['create']>>;
    try {
      result = await deps.store.create(request, events, {
        ...(idempotencyKey !== undefined ? { idempotencyKey, fingerprint: bodyFingerprint(body) } : {}),
        ...(run !== undefined ? { run } : {}),
        ...(original ? { reuses: { id: original.id, windowEndsAt: original.windowEndsAt! } } : {}),
      });
    } catch (error) {
      // released, revoked or renewed meanwhile: decide again on what the run holds now
      if (original && error instanceof ConcurrentUpdateError) continue;
      throw error;
    }
    if (!result.created) return idempotentReplay(result, body);
    await startWorkflow(deps, request);
    if (original) {
      // the jobs it now covers: itself, those it approved before, and this one
      const jobs = 1 + inRun.filter((r) => r.id === original.id || r.reuseOf === original.id).length;
      await tellReuse(deps, original, request, jobs);
    }
    // The answer shows the request as created (`pending_approval`), as it always has: its
    // approval is the next event of its audit trail, seen by the next read.
    return { request: created, created: true };
  }
}

/** The request as created, and as stored: approved at create by a rule or a reuse, else pending. */
function newRequest(
  deps: Deps,
  principal: Principal,
  body: CreateRequestBody,
  evaluated: Evaluated,
  id: string,
  now: Date,
  original: AccessRequest | undefined,
): { created: AccessRequest; request: AccessRequest; events: AuditEvent[] } {
  const at = now.toISOString();
  const sessionPolicyHash = sha256Hex(evaluated.sessionPolicyJson);
  const initiator = initiatorOf(principal.claims, deps.config.people);
  const base: Omit<AccessRequest, 'auditHead' | 'auditCount'> = {
    id,
    profile: evaluated.profile.name,
    requester: principal.subject,
    requesterIssuer: principal.issuer,
    ...(principal.person !== undefined ? { requesterPerson: principal.person } : {}),
    requesterClaims: principalSummary(principal.claims),
    ...(initiator !== undefined ? { initiator } : {}),
    status: 'pending_approval',
    permissions: evaluated.permissions,
    sessionPolicy: evaluated.sessionPolicy,
    sessionPolicyHash,
    durationSeconds: evaluated.durationSeconds,
    windowSeconds: evaluated.windowSeconds,
    reason: body.reason,
    ...(body.context !== undefined ? { context: body.context } : {}),
    approvals: [],
    approvalRoute: evaluated.route,
    // approved by reuse: its window ends with the original's at the latest (the issue honours it)
    ...(original ? { reuseOf: original.id, windowEndsAt: original.windowEndsAt! } : {}),
    createdAt: at,
    updatedAt: at,
    approvalDeadline: new Date(
      now.getTime() + evaluated.profile.approval.timeoutSeconds * 1000,
    ).toISOString(),
    version: 1,
  };
  const event = chainAuditEvent(id, 1, GENESIS_HASH, {
    type: 'request_created',
    actor: principalKey(principal),
    channel: 'api',
    at,
    to: 'pending_approval',
    sessionPolicyHash,
    detail: {
      profile: base.profile,
      durationSeconds: base.durationSeconds,
      // a window longer than one session is part of what approvers approve
      ...(evaluated.windowSeconds !== evaluated.durationSeconds
        ? { windowSeconds: evaluated.windowSeconds }
        : {}),
      reason: base.reason,
      route: original
        ? `reuse (of ${original.id})`
        : evaluated.route.kind === 'auto'
          ? `auto (rule ${evaluated.route.rule})`
          : 'human',
      ...(initiator !== undefined ? { initiator } : {}),
    },
  });
  const created: AccessRequest = { ...base, auditHead: event.hash, auditCount: 1 };
  const route = evaluated.route;
  const approval = original
    ? reuseApproval(created, original, at)
    : route.kind === 'auto'
      ? autoApproval(created, route, at)
      : undefined;
  const approved = approval ? applyChange(created, approval) : undefined;
  return {
    created,
    request: approved?.next ?? created,
    events: approved ? [event, approved.event] : [event],
  };
}

/** Starts the request's workflow; nothing half-done: one that does not start ends `failed`, saying why. */
async function startWorkflow(deps: Deps, request: AccessRequest): Promise<void> {
  try {
    await deps.workflow.start(request);
  } catch (error) {
    const { next, event: failed } = applyChange(request, {
      to: 'failed',
      patch: { statusReason: 'the approval workflow could not be started' },
      event: {
        type: 'request_failed',
        actor: 'jitvend',
        channel: 'system',
        at: deps.clock.now().toISOString(),
      },
    });
    await deps.store.commit(request, next, failed);
    throw error;
  }
}
