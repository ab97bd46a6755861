/**
 * The wiring tables: every route and every workflow step has its handler, and the step table
 * (functions/steps.ts) agrees with the definition CDK deploys, so no Task state runs a step
 * the table does not give it.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROUTE_HANDLERS, STEP_HANDLERS } from '../../functions/handlers.ts';
import { ROUTES } from '../../functions/routes.ts';
import { STEPS, stepOfState } from '../../functions/steps.ts';
import { localWorkflowDefinition } from '../../infra/workflow-definition.ts';
import { LocalWorkflowRunner } from '../../local/workflow-runner.ts';
import {
  stepOfFunction,
  WORKFLOW_STEP_NAMES,
  type WorkflowSteps,
} from '../../shared/domain/workflow-contract.ts';

const handlerFile = (folder: string) => new URL(`../../functions/${folder}/handler.ts`, import.meta.url);

describe('the route table and the handlers', () => {
  it.each(ROUTES.map((route) => [`${route.method} ${route.path}`, route.handler]))(
    '%s has a handler folder and a factory',
    (_route, folder) => {
      expect(existsSync(handlerFile(folder))).toBe(true);
      expect(ROUTE_HANDLERS[folder]).toBeTypeOf('function');
    },
  );

  it('has no factory for a route that is not in the table', () => {
    expect(Object.keys(ROUTE_HANDLERS).sort()).toEqual([...new Set(ROUTES.map((r) => r.handler))].sort());
  });
});

describe('the step table', () => {
  const definition = localWorkflowDefinition();
  const tasks = Object.entries(definition.States).filter(([, state]) => state.Type === 'Task');

  it.each(WORKFLOW_STEP_NAMES.map((step) => [step, STEPS[step].handler]))(
    'step %s runs the handler in functions/%s',
    (step, folder) => {
      expect(existsSync(handlerFile(folder))).toBe(true);
      expect(STEP_HANDLERS[step]).toBeTypeOf('function');
    },
  );

  it('gives each Task state of the deployed definition the step its function is', () => {
    expect(tasks.length).toBeGreaterThan(0);
    for (const [name, state] of tasks) {
      const parameters = (state.Parameters ?? {}) as { FunctionName?: string };
      const fn = String(state.Resource).startsWith('arn:aws:lambda:')
        ? state.Resource
        : parameters.FunctionName;
      expect({ state: name, step: stepOfState(name) }).toEqual({
        state: name,
        step: stepOfFunction(String(fn)),
      });
    }
  });

  it('names only Task states of the definition', () => {
    const listed = Object.values(STEPS).flatMap((spec) => spec.states);
    expect(listed.sort()).toEqual(tasks.map(([name]) => name).sort());
  });

  it('the local runner refuses a definition whose Task runs another step than the table gives it', () => {
    const changed = localWorkflowDefinition();
    // MarkTimedOut now invokes the function of the markFailed step
    changed.States.MarkTimedOut!.Resource = changed.States.MarkFailed!.Resource;
    const steps: WorkflowSteps = {
      evaluate: async () => ({ route: 'closed', approvalTimeoutSeconds: 1 }),
      awaitApproval: async () => {},
      issue: async () => ({ issued: false }),
      markFailed: async () => ({ issued: false }),
      markTimedOut: async () => ({}),
      expire: async () => ({}),
    };
    expect(() => new LocalWorkflowRunner({ definition: changed, steps })).toThrow(
      /state MarkTimedOut invokes the markFailed step, but functions\/steps.ts gives it markTimedOut/,
    );
  });
});
