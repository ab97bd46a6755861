/**
 * The AWS path's failure modes of the approval workflow, checked two ways:
 * - in the synthesized definition, against the Step Functions developer guide ("Handling
 *   errors in Step Functions"; "Handle Lambda service exceptions": retry
 *   Lambda.ClientExecutionTimeoutException, Lambda.ServiceException, Lambda.AWSLambdaException,
 *   Lambda.SdkClientException, and "when Lambda hits the maximum number of invocations, the
 *   error is Lambda.TooManyRequestsException");
 * - by running that definition locally with the real steps on the in-process local stack,
 *   each step failing as AWS makes it fail: test/integration/workflow-failures.test.ts.
 * No execution may end with its request non-terminal or a revocation deny left on the role.
 */
import { describe, expect, it } from 'vitest';
import { CLEANUP_RETRY_LATER, LAMBDA_TRANSIENT_ERRORS } from '../../infra/constructs/workflow.ts';
import { localWorkflowDefinition } from '../../infra/workflow-definition.ts';

const definition = localWorkflowDefinition();
const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
type Retrier = { ErrorEquals: string[]; MaxAttempts?: number; IntervalSeconds?: number };
type Catcher = { ErrorEquals: string[]; Next: string };

describe('the synthesized definition (Step Functions developer guide: Handling errors in Step Functions)', () => {
  it.each(tasks.map(([name]) => name))('%s retries every Lambda throttling and service error', (name) => {
    const retry = (definition.States[name]!.Retry ?? []) as Retrier[];
    const covered = retry.flatMap((r) => r.ErrorEquals);
    for (const error of LAMBDA_TRANSIENT_ERRORS) expect(covered).toContain(error);
    const transient = retry.find((r) => r.ErrorEquals.includes('Lambda.TooManyRequestsException'))!;
    // the guide's own retry: 2 s, doubling, 6 attempts
    expect(transient).toMatchObject({ IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 6 });
  });

  it.each(tasks.map(([name]) => name))(
    '%s catches every error past its retries (no execution just stops)',
    (name) => {
      const caught = ((definition.States[name]!.Catch ?? []) as Catcher[]).flatMap((c) => c.ErrorEquals);
      expect(caught).toContain('States.ALL');
    },
  );

  it.each(['MarkFailed', 'MarkTimedOut', 'Expire'])(
    'clean-up step %s retries every error, not only Lambda’s',
    (name) => {
      const retry = definition.States[name]!.Retry as Retrier[];
      expect(retry.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 10 });
    },
  );

  it('the safety net: Expire and MarkFailed past their retries wait and run again', () => {
    const expireCatch = (definition.States.Expire!.Catch as Catcher[])[0]!;
    expect(expireCatch).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RetryExpireLater' });
    expect(definition.States.RetryExpireLater).toMatchObject({
      Type: 'Wait',
      Seconds: CLEANUP_RETRY_LATER.toSeconds(),
      Next: 'Expire',
    });
    const markFailedCatch = (definition.States.MarkFailed!.Catch as Catcher[])[0]!;
    expect(markFailedCatch).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RetryMarkFailedLater' });
    expect(definition.States.RetryMarkFailedLater).toMatchObject({ Type: 'Wait', Next: 'MarkFailed' });
    // MarkTimedOut that cannot record the timeout still ends the request (failed, with the reason)
    expect((definition.States.MarkTimedOut!.Catch as Catcher[])[0]).toMatchObject({
      ErrorEquals: ['States.ALL'],
      Next: 'MarkFailed',
    });
  });
});
