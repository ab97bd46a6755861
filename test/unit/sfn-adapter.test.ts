import {
  ExecutionAlreadyExists,
  ExecutionLimitExceeded,
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  SFNServiceException,
  StartExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSfnClient } from '../../shared/adapters/sfn/client.ts';
import { StepFunctionsTaskCallback, WorkflowCallbackError } from '../../shared/adapters/sfn/task-callback.ts';
import {
  executionNameFor,
  StepFunctionsWorkflow,
  WorkflowStartError,
} from '../../shared/adapters/sfn/workflow.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';

const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:jitvend-approval';
const TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAT-secret-task-token';

const sfn = mockClient(SFNClient);
afterEach(() => {
  sfn.reset();
});

const client = () => new SFNClient({ region: 'us-east-1' });
const request = (id: string) => ({ id }) as AccessRequest;
const meta = { $metadata: {}, message: 'nope' };

describe('StepFunctionsWorkflow.start', () => {
  it('starts one execution named after the request, with only the request id as input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:req-1`, startDate: new Date() });
    await new StepFunctionsWorkflow({ stateMachineArn: STATE_MACHINE, client: client() }).start(
      request('01JREQ_abc-1'),
    );
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: '01JREQ_abc-1',
      input: '{"requestId":"01JREQ_abc-1"}',
    });
  });

  it('says in the input when the request was approved at create (its Evaluate then reads nothing)', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${STATE_MACHINE}:req-2`, startDate: new Date() });
    await new StepFunctionsWorkflow({ stateMachineArn: STATE_MACHINE, client: client() }).start({
      id: 'req-2',
      status: 'approved',
    } as AccessRequest);
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, {
      name: 'req-2',
      input: '{"requestId":"req-2","approvedAtCreate":true}',
    });
  });

  it('treats ExecutionAlreadyExists as started: a duplicate start is harmless', async () => {
    sfn.on(StartExecutionCommand).rejects(new ExecutionAlreadyExists(meta));
    await expect(
      new StepFunctionsWorkflow({ stateMachineArn: STATE_MACHINE, client: client() }).start(request('req-1')),
    ).resolves.toBeUndefined();
  });

  it('fails with WorkflowStartError naming the request for anything else', async () => {
    const cause = new ExecutionLimitExceeded(meta);
    sfn.on(StartExecutionCommand).rejects(cause);
    const error = await new StepFunctionsWorkflow({ stateMachineArn: STATE_MACHINE, client: client() })
      .start(request('req-1'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowStartError);
    expect(error).toMatchObject({ message: 'could not start the approval workflow of request req-1', cause });
  });
});

describe('executionNameFor', () => {
  it.each([
    ['01HZX8J4QK6', '01HZX8J4QK6'],
    ['a'.repeat(80), 'a'.repeat(80)],
  ])('keeps a valid id as is: %s', (id, name) => {
    expect(executionNameFor(id)).toBe(name);
  });

  it.each(['req:1/2', 'a'.repeat(81), 'é', 'with space'])(
    'derives a valid, stable, distinct name from %s',
    (id) => {
      const name = executionNameFor(id);
      expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
      expect(executionNameFor(id)).toBe(name);
      expect(executionNameFor(`${id}x`)).not.toBe(name);
    },
  );
});

describe('StepFunctionsTaskCallback', () => {
  it('sends SendTaskSuccess with the decision as output', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await expect(
      new StepFunctionsTaskCallback(client()).sendTaskSuccess(TOKEN, { decision: 'approved' }),
    ).resolves.toBe(true);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, {
      taskToken: TOKEN,
      output: '{"decision":"approved"}',
    });
  });

  it('sends SendTaskFailure with the error and cause, within the API limits', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    await new StepFunctionsTaskCallback(client()).sendTaskFailure(
      TOKEN,
      'NotifyFailed',
      'no approver reachable',
    );
    await new StepFunctionsTaskCallback(client()).sendTaskFailure(TOKEN, 'E'.repeat(300), 'c'.repeat(40_000));
    expect(sfn).toHaveReceivedNthCommandWith(SendTaskFailureCommand, 1, {
      taskToken: TOKEN,
      error: 'NotifyFailed',
      cause: 'no approver reachable',
    });
    expect(sfn).toHaveReceivedNthCommandWith(SendTaskFailureCommand, 2, {
      taskToken: TOKEN,
      error: 'E'.repeat(256),
      cause: 'c'.repeat(32_768),
    });
  });

  it.each([
    ['TaskTimedOut', new TaskTimedOut(meta)],
    ['TaskDoesNotExist', new TaskDoesNotExist(meta)],
    ['InvalidToken', new InvalidToken(meta)],
  ])('answers false when the task no longer waits (%s)', async (_name, error) => {
    sfn.on(SendTaskSuccessCommand).rejects(error).on(SendTaskFailureCommand).rejects(error);
    const callback = new StepFunctionsTaskCallback(client());
    await expect(callback.sendTaskSuccess(TOKEN, { decision: 'denied' })).resolves.toBe(false);
    await expect(callback.sendTaskFailure(TOKEN, 'E', 'c')).resolves.toBe(false);
  });

  it('throws WorkflowCallbackError on other failures, without the token in the message', async () => {
    const throttled = new SFNServiceException({ name: 'ThrottlingException', $fault: 'client', ...meta });
    sfn.on(SendTaskSuccessCommand).rejects(throttled);
    const error = await new StepFunctionsTaskCallback(client())
      .sendTaskSuccess(TOKEN, { decision: 'approved' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowCallbackError);
    expect(error).toMatchObject({ message: 'SendTaskSuccess failed: ThrottlingException', cause: throttled });
    expect((error as Error).message).not.toContain(TOKEN);
  });
});

describe('defaultSfnClient', () => {
  it('is built once per process', () => {
    expect(defaultSfnClient()).toBe(defaultSfnClient());
  });
});
