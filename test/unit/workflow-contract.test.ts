import { describe, expect, it } from 'vitest';
import { IssueError } from '../../shared/domain/errors.ts';
import {
  ISSUE_ERROR,
  ISSUE_THROTTLED_ERROR,
  stepFunctionName,
  stepOfFunction,
  WORKFLOW_STEP_NAMES,
} from '../../shared/domain/workflow-contract.ts';

describe('workflow contract: which step a function ARN names', () => {
  it.each(WORKFLOW_STEP_NAMES)('round-trips %s through an ARN and a bare name', (step) => {
    expect(stepOfFunction(`arn:aws:lambda:us-east-1:123456789012:function:${stepFunctionName(step)}`)).toBe(
      step,
    );
    expect(
      stepOfFunction(`arn:aws:lambda:us-east-1:123456789012:function:${stepFunctionName(step)}:live`),
    ).toBe(step);
    expect(stepOfFunction(stepFunctionName(step))).toBe(step);
  });

  it.each([
    'arn:aws:lambda:us-east-1:123456789012:function:evaluate',
    'arn:aws:lambda:us-east-1:123456789012:function:jitvend-step-unknown',
    'jitvend-step-toString',
    '',
  ])('names no step: %s', (arn) => {
    expect(stepOfFunction(arn)).toBeUndefined();
  });
});

describe('workflow contract: error names the state machine matches', () => {
  it('are the names IssueError takes', () => {
    expect(new IssueError('throttled', true).name).toBe(ISSUE_THROTTLED_ERROR);
    expect(new IssueError('denied', false).name).toBe(ISSUE_ERROR);
  });
});
