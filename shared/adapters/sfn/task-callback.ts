/**
 * Resumes the AwaitApproval task of a request's workflow on AWS (SendTaskSuccess /
 * SendTaskFailure). A task that no longer waits is a normal outcome (`false`), not an error.
 */
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ApprovalOutput, WorkflowTaskCallback } from '../../domain/workflow-contract.ts';
import { defaultSfnClient } from './client.ts';

/** Step Functions' answers meaning "no task waits for this token". */
const TASK_CLOSED = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);
const ERROR_MAX = 256;
const CAUSE_MAX = 32_768;

/** Resuming the task failed (throttling, permissions…). The message never carries the token. */
export class WorkflowCallbackError extends Error {
  override readonly name = 'WorkflowCallbackError';
}

export class StepFunctionsTaskCallback implements WorkflowTaskCallback {
  private readonly client: SFNClient;

  constructor(client?: SFNClient) {
    this.client = client ?? defaultSfnClient();
  }

  async sendTaskSuccess(taskToken: string, output: ApprovalOutput): Promise<boolean> {
    const command = new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) });
    return this.deliver('SendTaskSuccess', () => this.client.send(command));
  }

  async sendTaskFailure(taskToken: string, error: string, cause: string): Promise<boolean> {
    const command = new SendTaskFailureCommand({
      taskToken,
      error: error.slice(0, ERROR_MAX),
      cause: cause.slice(0, CAUSE_MAX),
    });
    return this.deliver('SendTaskFailure', () => this.client.send(command));
  }

  private async deliver(operation: string, send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (error instanceof Error && TASK_CLOSED.has(error.name)) return false;
      const reason = error instanceof Error ? error.name : 'unknown error';
      throw new WorkflowCallbackError(`${operation} failed: ${reason}`, { cause: error });
    }
  }
}
