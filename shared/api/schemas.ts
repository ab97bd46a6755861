/**
 * The HTTP API's shapes: one zod schema per shape. Handlers validate with them, the
 * TypeScript types (the server's and the CLI's, cli/api-types.ts) are inferred from them, and
 * GET /openapi.json is generated from them alone (shared/api/openapi.ts). Bounds come from
 * shared/domain/limits.ts and shared/api/limits.ts, defined once.
 */
import { z } from 'zod';
import {
  CONTEXT_KEY,
  ID_PATTERN,
  MAX_CONTEXT_KEY_CHARS,
  MAX_CONTEXT_KEYS,
  MAX_CONTEXT_VALUE_CHARS,
  MAX_DECISION_REASON_CHARS,
  MAX_PROFILE_NAME_CHARS,
  MAX_REASON_CHARS,
} from '../domain/limits.ts';
import { actionProblem, LIMITS, resourceProblem, writtenSize } from '../domain/policy/patterns.ts';
import { REQUEST_STATUSES } from '../domain/types.ts';
import {
  DEFAULT_PAGE_SIZE,
  MAX_CURSOR_CHARS,
  MAX_IDEMPOTENCY_KEY_CHARS,
  MAX_PAGE_SIZE,
  MAX_WAIT_SECONDS,
} from './limits.ts';

/**
 * Shapes of what requesters write. Actions and ARNs: printable ASCII only (no whitespace,
 * control, zero-width or look-alike characters), in the shapes patterns.ts documents.
 * Text approvers read (reason, context values): one line, no control, format (bidi,
 * zero-width) or line/paragraph separator characters. Limits: docs/api-limits.md.
 */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
/** control, format (bidi overrides, zero-width), line and paragraph separators, lone surrogates */
const UNSAFE_TEXT = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

const fromProblem =
  (problemOf: (value: unknown) => string | undefined) => (value: string, ctx: z.RefinementCtx) => {
    const problem = problemOf(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  };

const actionPattern = z
  .string()
  .min(1)
  .max(LIMITS.actionLength)
  .regex(PRINTABLE_ASCII, 'must be printable ASCII with no whitespace or control characters')
  .superRefine(fromProblem(actionProblem))
  .describe('IAM action pattern, e.g. dynamodb:GetItem or dynamodb:Get*');
const resourcePattern = z
  .string()
  .min(1)
  .max(LIMITS.resourceLength)
  .regex(PRINTABLE_ASCII, 'must be printable ASCII with no whitespace or control characters')
  .superRefine(fromProblem(resourceProblem))
  .describe('resource ARN pattern, e.g. arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*');

export const permissionSchema = z
  .strictObject({
    actions: z
      .array(actionPattern)
      .min(1, 'must list at least one action')
      .max(LIMITS.actions, `at most ${LIMITS.actions} actions per permission`),
    resources: z
      .array(resourcePattern)
      .min(1, 'must list at least one resource')
      .max(LIMITS.resources, `at most ${LIMITS.resources} resources per permission`),
  })
  .describe('IAM actions on resources; nothing else (no NotAction, Condition, Effect)')
  .meta({ id: 'Permission' });

/** Text written by the requester and shown to approvers: one line of printable characters. */
const ONE_LINE_MESSAGE =
  'must be one line of printable text (no line breaks, control, bidi or zero-width characters)';
const isOneLine = (s: string) => !UNSAFE_TEXT.test(s);

export const contextSchema = z
  .record(
    z.string().regex(CONTEXT_KEY, `context keys are 1 to ${MAX_CONTEXT_KEY_CHARS} of A-Z a-z 0-9 _ . -`),
    z
      .string()
      .max(MAX_CONTEXT_VALUE_CHARS, `at most ${MAX_CONTEXT_VALUE_CHARS} characters`)
      .refine(isOneLine, `a context value ${ONE_LINE_MESSAGE}`),
  )
  .refine((c) => Object.keys(c).length <= MAX_CONTEXT_KEYS, `at most ${MAX_CONTEXT_KEYS} keys`)
  .describe(
    `at most ${MAX_CONTEXT_KEYS} labels shown to approvers as plain text (one line each), e.g. {"run": "https://github.com/acme/orders/actions/runs/1"}`,
  );

export const createRequestSchema = z
  .strictObject({
    profile: z
      .string()
      .min(1)
      .max(MAX_PROFILE_NAME_CHARS)
      .regex(PRINTABLE_ASCII, 'must be printable ASCII with no whitespace or control characters'),
    permissions: z
      .array(permissionSchema)
      .min(1, 'must not be empty: leave permissions out to ask for the whole profile')
      .max(LIMITS.permissions, `at most ${LIMITS.permissions} permissions per request`)
      .refine((p) => writtenSize(p) <= LIMITS.writtenChars, {
        message: `too large: the permissions as written must fit in ${LIMITS.writtenChars} characters of JSON (a session policy holds 2,048): request fewer actions or resources, or broader patterns`,
      })
      .optional()
      .describe("a subset of the profile's guardrails; omitted: all of them"),
    durationSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .positive()
      .optional()
      .describe("900-3600 and at most the profile's maximum; omitted: the profile's default"),
    windowSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .positive()
      .optional()
      .describe(
        "how long the approval lasts, counted from the moment the request is issued: sessions are renewed inside it (POST /requests/{id}/renew); never less than durationSeconds, at most the profile's maxWindowSeconds (at most 43200); omitted: durationSeconds",
      ),
    reason: z
      .string()
      .trim()
      .min(1, 'must say why access is needed')
      .max(MAX_REASON_CHARS)
      .refine(isOneLine, `the reason ${ONE_LINE_MESSAGE}`),
    context: contextSchema.optional(),
  })
  .meta({ id: 'CreateRequest' });
export type CreateRequestBody = z.infer<typeof createRequestSchema>;

const statementSchema = z.object({
  Effect: z.literal('Allow'),
  Action: z.union([z.string(), z.array(z.string())]),
  Resource: z.union([z.string(), z.array(z.string())]),
});
export const policyDocumentSchema = z
  .object({
    Version: z.literal('2012-10-17'),
    Statement: z.array(statementSchema),
  })
  .meta({ id: 'PolicyDocument' });

export const approvalRouteSchema = z
  .discriminatedUnion('route', [
    z.object({
      route: z.literal('auto'),
      rule: z.number().int().describe('index of the autoApprove rule that holds'),
    }),
    z.object({
      route: z.literal('human'),
      approvers: z.array(z.string()).describe('the people who may approve'),
      minApprovals: z.number().int(),
    }),
  ])
  .meta({ id: 'ApprovalRoute' });

export const previewSchema = z
  .object({
    sessionPolicy: policyDocumentSchema,
    durationSeconds: z.number().int(),
    windowSeconds: z
      .number()
      .int()
      .describe('how long the approval would last (durationSeconds: one session)'),
    approval: approvalRouteSchema,
  })
  .meta({ id: 'Preview' });

export const statusSchema = z.enum(REQUEST_STATUSES);

/** Request ids in paths and Slack buttons: 1 to 64 of A-Z a-z 0-9 _ - (jitvend issues UUIDs). */
export const idSchema = z.string().regex(ID_PATTERN).describe('the request id');

/** The Idempotency-Key header of POST /requests: 1 to 128 visible ASCII characters. */
export const idempotencyKeySchema = z
  .string()
  .regex(new RegExp(`^[\\x21-\\x7e]{1,${MAX_IDEMPOTENCY_KEY_CHARS}}$`))
  .describe('the same key and body from the same principal answer the first request again');

export const requestViewSchema = z
  .object({
    id: z.string(),
    profile: z.string(),
    requester: z
      .string()
      .describe("the requester's token subject (sub); the requester is this subject of requesterIssuer"),
    requesterIssuer: z
      .string()
      .optional()
      .describe(
        "the requester's token issuer (iss): a request belongs to this issuer and subject together (absent only when a request from before issuer-scoped identity is attributed to no issuer)",
      ),
    requesterPerson: z
      .string()
      .optional()
      .describe('the configured person the creating token named, if any: never an approver of this request'),
    requesterClaims: z.record(z.string(), z.string()),
    initiator: z.string().optional().describe('the configured person who started the pipeline'),
    status: statusSchema,
    statusReason: z.string().optional(),
    permissions: z.array(permissionSchema),
    sessionPolicy: policyDocumentSchema,
    sessionPolicyHash: z.string(),
    durationSeconds: z.number().int().describe('how long each session lasts'),
    windowSeconds: z
      .number()
      .int()
      .describe(
        'how long the approval lasts from issue: sessions are renewed inside it; equal to durationSeconds for one session',
      ),
    reason: z.string(),
    context: z.record(z.string(), z.string()).optional(),
    approval: approvalRouteSchema,
    approvals: z.array(
      z.object({
        person: z.string(),
        decision: z.enum(['approve', 'deny']),
        channel: z.string(),
        at: z.string(),
        reason: z.string().optional(),
      }),
    ),
    createdAt: z.string(),
    updatedAt: z.string(),
    approvalDeadline: z.string(),
    issuedAt: z.string().optional(),
    expiresAt: z
      .string()
      .optional()
      .describe("when the latest session expires (the first one's expiry until a renewal)"),
    windowEndsAt: z
      .string()
      .optional()
      .describe(
        'set at issue: when the approval window ends (no renewal past it; the request is then expired)',
      ),
    reuseOf: z
      .string()
      .optional()
      .describe(
        'the id of the request, approved by people in the same CI run, whose approval approved this one',
      ),
    credentialsDelivered: z.boolean(),
  })
  .meta({ id: 'Request' });
export type RequestView = z.infer<typeof requestViewSchema>;

export const requestListSchema = z
  .object({
    items: z.array(requestViewSchema),
    nextCursor: z.string().optional(),
  })
  .meta({ id: 'RequestList' });

export const listQuerySchema = z.strictObject({
  status: statusSchema.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(MAX_CURSOR_CHARS).optional(),
});

export const getQuerySchema = z.strictObject({
  waitSeconds: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_WAIT_SECONDS, `must be at most ${MAX_WAIT_SECONDS}`)
    .optional()
    .describe('hold the answer until the status changes, at most this many seconds'),
});

export const credentialsSchema = z
  .object({
    accessKeyId: z.string(),
    secretAccessKey: z.string(),
    sessionToken: z.string(),
    expiration: z.string(),
  })
  .meta({ id: 'Credentials' });

export const auditEventSchema = z
  .object({
    requestId: z.string(),
    seq: z.number().int(),
    type: z.string(),
    actor: z.string(),
    channel: z.string(),
    at: z.string(),
    from: statusSchema.optional(),
    to: statusSchema.optional(),
    sessionPolicyHash: z.string().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const auditListSchema = z.object({ items: z.array(auditEventSchema) }).meta({ id: 'AuditList' });

/** An approver's reason: recorded in the audit trail, at most MAX_DECISION_REASON_CHARS. */
const approverReason = z.string().trim().max(MAX_DECISION_REASON_CHARS);
const decisionValue = z.enum(['approve', 'deny']);

/** An approver's decision: the API's JSON body and the email page's form hold the same fields. */
const decisionFields = { decision: decisionValue, reason: approverReason.optional() };
/** Body of POST /requests/{id}/decision. */
export const decisionBodySchema = z.strictObject(decisionFields).meta({ id: 'Decision' });

/** The form of the email approval page (POST /approvals/{token}, form-encoded). */
export const approvalFormSchema = z.strictObject(decisionFields).meta({ id: 'ApprovalForm' });

/** Body of POST /requests/{id}/revoke (optional: the body may be empty). */
export const revokeBodySchema = z.strictObject({ reason: approverReason.optional() }).meta({ id: 'Revoke' });

/** 200 of POST /requests/{id}/decision; a refused decision is a problem with its code (shared/api/problems.ts). */
export const decisionResultSchema = z
  .object({
    outcome: z
      .enum(['approved', 'denied', 'recorded'])
      .describe('approved or denied: the request is decided; recorded: more approvals are needed'),
    message: z.string(),
    request: requestViewSchema,
  })
  .meta({ id: 'DecisionResult' });

const permissionOut = z.object({ actions: z.array(z.string()), resources: z.array(z.string()) });

/** 200 of GET /requests/{id}/usage (docs/usage-report.md). */
export const usageReportSchema = z
  .object({
    requestId: z.string(),
    sourceIdentity: z.string(),
    profile: z.string(),
    status: statusSchema,
    issuedAt: z.string().optional(),
    expiresAt: z.string().optional(),
    window: z.object({ from: z.string(), to: z.string() }),
    source: z.string().describe('where the records came from'),
    truncated: z.boolean().describe('the source stopped at its budget: there may be more calls'),
    assumeRole: z
      .object({
        at: z.string(),
        sourceIPAddress: z.string().optional(),
        userAgent: z.string().optional(),
        awsRegion: z.string(),
        eventId: z.string().optional(),
      })
      .optional(),
    calls: z
      .array(
        z.object({
          eventTime: z.string(),
          eventSource: z.string(),
          eventName: z.string(),
          action: z.string(),
          resources: z.array(z.string()),
          awsRegion: z.string(),
          errorCode: z.string().optional(),
          errorMessage: z.string().optional(),
          allowedByGrant: z.boolean(),
          eventId: z.string().optional(),
          sourceIPAddress: z.string().optional(),
          invokedBy: z.string().optional(),
          note: z.string().optional(),
        }),
      )
      .describe('every call made with the session, oldest first'),
    used: z.array(z.object({ action: z.string(), resource: z.string(), count: z.number().int() })),
    granted: z.array(permissionOut),
    grantedButUnused: z.array(permissionOut),
    denied: z.array(
      z.object({
        action: z.string(),
        resource: z.string(),
        count: z.number().int(),
        errorCode: z.string(),
        allowedByGrant: z.boolean(),
        firstAt: z.string(),
        errorMessage: z.string().optional(),
      }),
    ),
    suggestion: z.array(permissionOut).describe('a tighter permission list for next time'),
    notes: z.array(z.string()),
  })
  .meta({ id: 'UsageReport' });

/** The form Slack posts to POST /slack/interactions (the payload is shared/adapters/slack/interaction.ts). */
export const slackInteractionFormSchema = z.object({
  payload: z.string().describe('the block_actions payload, JSON'),
});

/** RFC 9457 problem details; refusals add `code` and `requestStatus`. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    code: z.string().optional().describe('which rule refused, e.g. a decision refusal code'),
    requestStatus: statusSchema.optional().describe('the status of the request the refusal is about'),
  })
  .meta({ id: 'Problem' });
