import {
  decisionMessage,
  refusalText,
  revokedMessage,
  SLACK_ACTION,
} from '../../shared/adapters/slack/blocks.ts';
import {
  allowedResponseUrl,
  ephemeral,
  parseInteraction,
  postResponse,
  replaceWith,
  type SlackInteraction,
  type SlackResponse,
} from '../../shared/adapters/slack/interaction.ts';
import { verifySlackSignature } from '../../shared/adapters/slack/signature.ts';
import { personBySlackId } from '../../shared/domain/access.ts';
import { DomainError, UnauthenticatedError, ValidationError } from '../../shared/domain/errors.ts';
import { decide } from '../../shared/domain/use-cases/decide.ts';
import { revokeRequest } from '../../shared/domain/use-cases/revoke-request.ts';
import { type ApiEvent, type ApiHandler, header, publicRoute, type RouteDeps, routeOnAws } from '../http.ts';
import type { Runtime, UseCaseDeps } from '../runtime.ts';

type SlackInteractionsDeps = RouteDeps &
  UseCaseDeps<typeof decide> &
  UseCaseDeps<typeof revokeRequest> &
  Pick<Runtime, 'config' | 'clock' | 'secrets' | 'publicUrl'>;

/**
 * POST /slack/interactions: a click on a jitvend Slack message. The signature covers the
 * raw body, so it is verified on the bytes exactly as received; the decision is taken at
 * once and the message updated through the payload's response_url within Slack's 3 s.
 */
export function makeSlackInteractionsHandler(deps: SlackInteractionsDeps): ApiHandler {
  return publicRoute(deps, async (event) => {
    const body = rawBody(event);
    const check = verifySlackSignature({
      secret: deps.secrets.slackSigningSecret,
      timestamp: header(event, 'x-slack-request-timestamp'),
      signature: header(event, 'x-slack-signature'),
      body,
      now: deps.clock.now(),
    });
    if (!check.ok) {
      deps.logger.warn('slack interaction refused', { reason: check.reason });
      throw new UnauthenticatedError('the Slack signature is missing, invalid or stale');
    }
    const interaction = parseInteraction(body.toString('utf8'));
    const responseUrl = allowedResponseUrl(interaction.responseUrl, deps.publicUrl);
    if (!responseUrl) throw new ValidationError('payload: response_url is not a Slack response URL');

    const response = await answer(deps, interaction);
    const posted = await postResponse(responseUrl, response);
    if (!posted.ok) {
      deps.logger.warn('slack response_url update failed', {
        requestId: interaction.requestId,
        user: interaction.userId,
        reason: posted.reason,
      });
    }
    return { statusCode: 200, headers: { 'cache-control': 'no-store' }, body: '' };
  });
}

export const handler = routeOnAws(makeSlackInteractionsHandler);

function rawBody(event: ApiEvent): Buffer {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

async function answer(deps: SlackInteractionsDeps, interaction: SlackInteraction): Promise<SlackResponse> {
  const person = personBySlackId(deps.config, interaction.userId);
  try {
    if (interaction.action === SLACK_ACTION.revoke) {
      const revoked = await revokeRequest(deps, {
        requestId: interaction.requestId,
        person,
        actor: interaction.userId,
        channel: 'slack',
      });
      return replaceWith(revokedMessage(revoked, person!));
    }
    const result = await decide(deps, {
      requestId: interaction.requestId,
      person,
      actor: interaction.userId,
      decision: interaction.action === SLACK_ACTION.approve ? 'approve' : 'deny',
      channel: 'slack',
    });
    if (result.outcome === 'refused') {
      if (!result.audited) {
        // an outsider's click: answered and logged, never written to the request
        deps.logger.warn(
          'slack decision refused: not an approver of the profile, not written to the request',
          {
            requestId: interaction.requestId,
            user: interaction.userId,
            code: result.code,
          },
        );
      }
      return ephemeral(refusalText(result.message));
    }
    return replaceWith(decisionMessage(result.request, result.outcome, person!));
  } catch (error) {
    // e.g. the request does not exist: the clicker is told, nothing changed
    if (error instanceof DomainError) return ephemeral(refusalText(error.message));
    throw error;
  }
}
