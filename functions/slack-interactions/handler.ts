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
import { type ApiEvent, header, publicRoute } from '../http.ts';
import type { Runtime } from '../runtime.ts';

/**
 * POST /slack/interactions: a click on a jitvend Slack message. The signature covers the
 * raw body, so it is verified on the bytes exactly as received; the decision is taken at
 * once and the message updated through the payload's response_url within Slack's 3 s.
 */
export const handler = publicRoute(async ({ event, runtime }) => {
  const body = rawBody(event);
  const check = verifySlackSignature({
    secret: runtime.secrets.slackSigningSecret,
    timestamp: header(event, 'x-slack-request-timestamp'),
    signature: header(event, 'x-slack-signature'),
    body,
    now: runtime.clock.now(),
  });
  if (!check.ok) {
    runtime.logger.warn('slack interaction refused', { reason: check.reason });
    throw new UnauthenticatedError('the Slack signature is missing, invalid or stale');
  }
  const interaction = parseInteraction(body.toString('utf8'));
  const responseUrl = allowedResponseUrl(interaction.responseUrl, runtime.publicUrl);
  if (!responseUrl) throw new ValidationError('payload: response_url is not a Slack response URL');

  const response = await answer(runtime, interaction);
  const posted = await postResponse(responseUrl, response);
  if (!posted.ok) {
    runtime.logger.warn('slack response_url update failed', {
      requestId: interaction.requestId,
      user: interaction.userId,
      reason: posted.reason,
    });
  }
  return { statusCode: 200, headers: { 'cache-control': 'no-store' }, body: '' };
});

function rawBody(event: ApiEvent): Buffer {
  const raw = event.body ?? '';
  return event.isBase64Encoded ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

async function answer(runtime: Runtime, interaction: SlackInteraction): Promise<SlackResponse> {
  const person = personBySlackId(runtime.config, interaction.userId);
  try {
    if (interaction.action === SLACK_ACTION.revoke) {
      const revoked = await revokeRequest(runtime, {
        requestId: interaction.requestId,
        person,
        actor: interaction.userId,
        channel: 'slack',
      });
      return replaceWith(revokedMessage(revoked, person!));
    }
    const result = await decide(runtime, {
      requestId: interaction.requestId,
      person,
      actor: interaction.userId,
      decision: interaction.action === SLACK_ACTION.approve ? 'approve' : 'deny',
      channel: 'slack',
    });
    if (result.outcome === 'refused') {
      if (!result.audited) {
        // an outsider's click: answered and logged, never written to the request
        runtime.logger.warn(
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
