/**
 * Every handler's factory, by the names of functions/routes.ts and functions/steps.ts: how a
 * runtime built in one place (the local stack) gets the same handlers Lambda runs. On AWS each
 * function's bundle holds only its own handler module, bound to the AWS wiring.
 */
import type { WorkflowSteps } from '../shared/domain/workflow-contract.ts';
import { makeApprovalDecisionHandler } from './approval-decision/handler.ts';
import { makeApprovalPageHandler } from './approval-page/handler.ts';
import { makeCancelRequestHandler } from './cancel-request/handler.ts';
import { makeCreateRequestHandler } from './create-request/handler.ts';
import { makeDecideRequestHandler } from './decide-request/handler.ts';
import { makeDeliverCredentialsHandler } from './deliver-credentials/handler.ts';
import { makeGetRequestHandler } from './get-request/handler.ts';
import { makeHealthHandler } from './health/handler.ts';
import type { ApiHandler } from './http.ts';
import { makeListRequestsHandler } from './list-requests/handler.ts';
import { makeOpenApiHandler } from './openapi/handler.ts';
import { makePreviewRequestHandler } from './preview-request/handler.ts';
import { makeReleaseRequestHandler } from './release-request/handler.ts';
import { makeRenewRequestHandler } from './renew-request/handler.ts';
import { makeRequestAuditHandler } from './request-audit/handler.ts';
import { makeRequestUsageHandler } from './request-usage/handler.ts';
import { makeRevokeRequestHandler } from './revoke-request/handler.ts';
import type { Runtime } from './runtime.ts';
import { makeSlackInteractionsHandler } from './slack-interactions/handler.ts';
import { makeAwaitApprovalHandler } from './workflow-await-approval/handler.ts';
import { makeEvaluateHandler } from './workflow-evaluate/handler.ts';
import { makeExpireHandler } from './workflow-expire/handler.ts';
import { makeIssueHandler } from './workflow-issue/handler.ts';
import { makeMarkFailedHandler } from './workflow-mark-failed/handler.ts';
import { makeMarkTimedOutHandler } from './workflow-mark-timed-out/handler.ts';

/** The route handlers' factories, by handler folder (RouteSpec.handler). */
export const ROUTE_HANDLERS: Readonly<Record<string, (runtime: Runtime) => ApiHandler>> = {
  'create-request': makeCreateRequestHandler,
  'preview-request': makePreviewRequestHandler,
  'list-requests': makeListRequestsHandler,
  'get-request': makeGetRequestHandler,
  'cancel-request': makeCancelRequestHandler,
  'deliver-credentials': makeDeliverCredentialsHandler,
  'renew-request': makeRenewRequestHandler,
  'request-audit': makeRequestAuditHandler,
  'decide-request': makeDecideRequestHandler,
  'revoke-request': makeRevokeRequestHandler,
  'release-request': makeReleaseRequestHandler,
  'request-usage': makeRequestUsageHandler,
  'slack-interactions': makeSlackInteractionsHandler,
  'approval-page': makeApprovalPageHandler,
  'approval-decision': makeApprovalDecisionHandler,
  health: makeHealthHandler,
  openapi: makeOpenApiHandler,
};

/** The step handlers' factories, by step (STEPS of functions/steps.ts names their folders). */
export const STEP_HANDLERS: { readonly [S in keyof WorkflowSteps]: (runtime: Runtime) => WorkflowSteps[S] } =
  {
    evaluate: makeEvaluateHandler,
    awaitApproval: makeAwaitApprovalHandler,
    issue: makeIssueHandler,
    markFailed: makeMarkFailedHandler,
    markTimedOut: makeMarkTimedOutHandler,
    expire: makeExpireHandler,
  };

/**
 * The workflow steps of a runtime that is built after them: the local workflow runner is the
 * runtime's `workflow` and runs these steps, so each step reaches the runtime when it runs.
 */
export function stepsOf(runtime: () => Runtime): WorkflowSteps {
  let built: WorkflowSteps | undefined;
  const steps = (): WorkflowSteps =>
    (built ??= {
      evaluate: STEP_HANDLERS.evaluate(runtime()),
      awaitApproval: STEP_HANDLERS.awaitApproval(runtime()),
      issue: STEP_HANDLERS.issue(runtime()),
      markFailed: STEP_HANDLERS.markFailed(runtime()),
      markTimedOut: STEP_HANDLERS.markTimedOut(runtime()),
      expire: STEP_HANDLERS.expire(runtime()),
    });
  return {
    evaluate: (input) => steps().evaluate(input),
    awaitApproval: (input) => steps().awaitApproval(input),
    issue: (input) => steps().issue(input),
    markFailed: (input) => steps().markFailed(input),
    markTimedOut: (input) => steps().markTimedOut(input),
    expire: (input) => steps().expire(input),
  };
}
