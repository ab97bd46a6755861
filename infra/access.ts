/**
 * What each Lambda function may do, by handler folder (`functions/<name>/handler.ts`): the
 * one place that decides a function's IAM grants and the environment that goes with them
 * (infra/constructs/functions.ts turns each capability into policy statements and variables).
 *
 * Read from the code: a handler's use cases call ports (shared/domain/deps.ts) and each port's
 * AWS adapter makes known calls. A handler that is not listed here (a route added to
 * functions/routes.ts since) still deploys, with DEFAULT_ACCESS and a synth warning;
 * test/infra/access.test.ts fails until it has its own entry.
 */

export type Capability =
  /** GetItem and Query on the table and its indexes (RequestStore reads, the request watcher) */
  | 'table:read'
  /** PutItem, UpdateItem, DeleteItem, ConditionCheckItem (TransactWriteItems is authorized per item action) */
  | 'table:write'
  /** states:StartExecution of the approval workflow (create-request) */
  | 'workflow:start'
  /** states:SendTaskSuccess/SendTaskFailure: resumes AwaitApproval with a stored task token */
  | 'workflow:callback'
  /** kms:Encrypt under the credentials key, only with the `jitvend:request` encryption context */
  | 'credentials:seal'
  /** kms:Decrypt under the credentials key, same context */
  | 'credentials:open'
  /** sts:AssumeRole + SetSourceIdentity (jitvend-*) + TagSession on the configured profiles' roles */
  | 'roles:assume'
  /** iam:GetRolePolicy/PutRolePolicy/DeleteRolePolicy of the revocation deny on the profiles' roles */
  | 'roles:revoke'
  /** reads the Slack app secret ({signingSecret, botToken}) */
  | 'secret:slack'
  /** reads the key that signs email approval links */
  | 'secret:approval-key'
  /** sends approval requests: Slack (with the bot token) and SES email (with signed links) */
  | 'notify'
  /** posts to the approvers' Slack conversations only (with the bot token of secret:slack): no email */
  | 'notify:slack'
  /** CloudTrail LookupEvents, and the trail's log files when a trail bucket is known */
  | 'usage:read';

export const DEFAULT_ACCESS: readonly Capability[] = ['table:read', 'table:write'];

const READ: Capability[] = ['table:read'];
const COMMIT: Capability[] = ['table:read', 'table:write'];

/** Route handlers (functions/routes.ts) and workflow steps (functions/workflow-<step>). */
export const FUNCTION_ACCESS: Readonly<Record<string, readonly Capability[]>> = {
  // HTTP routes
  health: [],
  openapi: [],
  'preview-request': [],
  'create-request': [...COMMIT, 'workflow:start'],
  'list-requests': READ,
  'get-request': READ,
  'request-audit': READ,
  'cancel-request': [...COMMIT, 'workflow:callback'],
  'decide-request': [...COMMIT, 'workflow:callback'],
  'deliver-credentials': [...COMMIT, 'credentials:open'],
  // a new session of an issued request (its window): AssumeRole exactly as the issue step does,
  // as the issuing role itself (ISSUING_ROLE_HANDLERS)
  'renew-request': [...COMMIT, 'roles:assume'],
  'revoke-request': [...COMMIT, 'roles:revoke'],
  // the requester ends its own request: the same deny as a revocation
  // and tells the approvers on Slack that it ended
  'release-request': [...COMMIT, 'roles:revoke', 'notify:slack', 'secret:slack'],
  'request-usage': [...READ, 'usage:read'],
  // Approve / Deny resume the workflow; Revoke writes the revocation deny
  'slack-interactions': [...COMMIT, 'workflow:callback', 'roles:revoke', 'secret:slack'],
  'approval-page': [...READ, 'secret:approval-key'],
  'approval-decision': [...COMMIT, 'workflow:callback', 'secret:approval-key'],
  // workflow steps (Task states of infra/constructs/workflow.ts)
  'workflow-evaluate': COMMIT,
  'workflow-await-approval': [
    ...COMMIT,
    'workflow:callback',
    'notify',
    'secret:slack',
    'secret:approval-key',
  ],
  'workflow-issue': [...COMMIT, 'roles:assume', 'credentials:seal'],
  'workflow-mark-failed': COMMIT,
  'workflow-mark-timed-out': COMMIT,
  'workflow-expire': [...COMMIT, 'roles:revoke'],
  // the table's stream consumer: stream read, audit bucket put and event bus are granted by AuditSink
  'audit-stream': [],
};

/** The workflow step that mints the first session: its role is the one target roles trust. */
export const ISSUING_HANDLER = 'workflow-issue';

/**
 * Handlers that mint sessions besides the issue step, and so run as the issuing role itself:
 * a target role's trust policy admits that one role (SPEC.md "Credentials", JitVendTargetRole),
 * so a second role could not assume it. Their capabilities must be a subset of the issuing
 * handler's (test/infra/access.test.ts): the shared role gains nothing.
 */
export const ISSUING_ROLE_HANDLERS: ReadonlySet<string> = new Set(['renew-request']);

export function accessOf(handler: string): { capabilities: readonly Capability[]; listed: boolean } {
  const listed = Object.hasOwn(FUNCTION_ACCESS, handler);
  return { capabilities: listed ? FUNCTION_ACCESS[handler]! : DEFAULT_ACCESS, listed };
}
