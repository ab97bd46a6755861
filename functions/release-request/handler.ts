import { toView } from '../../shared/api/view.ts';
import { releaseRequest } from '../../shared/domain/use-cases/release-request.ts';
import { authedRoute, json, pathParam } from '../http.ts';
import { setRuntime } from '../runtime.ts';

/**
 * On AWS this function alone (with AwaitApproval) posts to Slack: its runtime carries the
 * Slack channel, to tell the approvers the request was released. Only in Lambda: the local
 * stack installs its own runtime (with the local Slack stand-in) before any request.
 */
if (process.env.AWS_LAMBDA_FUNCTION_NAME) {
  setRuntime(
    Promise.all([import('../aws-runtime.ts'), import('../approval-channels.ts')]).then(([aws, channels]) =>
      aws.awsRuntime(process.env, { channels: channels.awsSlackChannel }),
    ),
  );
}

/** POST /requests/{id}/release: the requester ends its own issued request now. No body. */
export const handler = authedRoute(async ({ event, runtime, principal }) => {
  return json(200, toView(await releaseRequest(runtime, principal, pathParam(event, 'id'))));
});
