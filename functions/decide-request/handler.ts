import { decisionBodySchema } from '../../shared/api/schemas.ts';
import { toView } from '../../shared/api/view.ts';
import { principalKey } from '../../shared/domain/access.ts';
import { DecisionRefusedError } from '../../shared/domain/errors.ts';
import { decide } from '../../shared/domain/use-cases/decide.ts';
import {
  type ApiHandler,
  type AuthedRouteDeps,
  authedRoute,
  json,
  jsonBody,
  parseWith,
  pathParam,
  routeOnAws,
} from '../http.ts';
import type { UseCaseDeps } from '../runtime.ts';

/**
 * POST /requests/{id}/decision: an approver decides through the API (or the CLI) with a
 * token whose email claim names a configured person. Same rules and audit as Slack and email.
 */
type DecideRequestDeps = UseCaseDeps<typeof decide> & AuthedRouteDeps;

export function makeDecideRequestHandler(deps: DecideRequestDeps): ApiHandler {
  return authedRoute(deps, async (event, principal) => {
    const body = parseWith(decisionBodySchema, jsonBody(event), 'body');
    const result = await decide(deps, {
      requestId: pathParam(event, 'id'),
      person: principal.person,
      actor: principalKey(principal),
      principal,
      decision: body.decision,
      channel: 'api',
      ...(body.reason ? { reason: body.reason } : {}),
    });
    if (result.outcome === 'refused') {
      // an approver's refused attempt is audited by decide(); an outsider's is only logged here
      if (!result.audited) {
        deps.logger.warn('decision refused: not an approver of the profile, not written to the request', {
          requestId: result.request.id,
          principal: principalKey(principal),
          code: result.code,
        });
      }
      throw new DecisionRefusedError(result.code, result.message, result.request.status);
    }
    return json(200, { outcome: result.outcome, message: result.message, request: toView(result.request) });
  });
}

export const handler = routeOnAws(makeDecideRequestHandler);
