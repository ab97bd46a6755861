/**
 * The Workflow port on AWS: one Step Functions execution per request, named after the
 * request so that starting it twice is harmless.
 */
import { createHash } from 'node:crypto';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Workflow } from '../../domain/ports.ts';
import type { AccessRequest } from '../../domain/types.ts';
import { workflowStartInput } from '../../domain/workflow-contract.ts';
import { defaultSfnClient } from './client.ts';

/** Starting the workflow failed for another reason than "already started". */
export class WorkflowStartError extends Error {
  override readonly name = 'WorkflowStartError';
}

const NAME_MAX = 80;

/**
 * The execution name of a request's workflow: the request id when it is a valid name
 * (1–80 of `A-Za-z0-9_-`), else a readable prefix plus a hash of the id, so that it is
 * still one name per request.
 */
export function executionNameFor(requestId: string): string {
  if (/^[A-Za-z0-9_-]{1,80}$/.test(requestId)) return requestId;
  const hash = createHash('sha256').update(requestId).digest('hex').slice(0, 16);
  const prefix = requestId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, NAME_MAX - hash.length - 1);
  return `${prefix}-${hash}`;
}

export interface StepFunctionsWorkflowOptions {
  stateMachineArn: string;
  client?: SFNClient;
}

export class StepFunctionsWorkflow implements Workflow {
  private readonly stateMachineArn: string;
  private readonly client: SFNClient;

  constructor(options: StepFunctionsWorkflowOptions) {
    this.stateMachineArn = options.stateMachineArn;
    this.client = options.client ?? defaultSfnClient();
  }

  async start(request: AccessRequest): Promise<void> {
    const input = workflowStartInput(request);
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionNameFor(request.id),
          input: JSON.stringify(input),
        }),
      );
    } catch (error) {
      // Same name (and same input): the workflow of this request already runs or ran.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
      throw new WorkflowStartError(`could not start the approval workflow of request ${request.id}`, {
        cause: error,
      });
    }
  }
}
