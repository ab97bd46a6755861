/**
 * The approval workflow's ASL definition as a plain object, taken from a synthesized
 * CloudFormation template: the very definition the deployed stack gets, with its few
 * CloudFormation tokens resolved so it runs locally (local/workflow-runner.ts).
 *
 * Each step function's ARN is rewritten to name its step (`function:jitvend-step-<step>`,
 * found from the `jitvend:workflow-step` tag the ApprovalWorkflow construct puts on it),
 * so a local interpreter maps every Task state to its step from the definition itself.
 *
 * This module loads aws-cdk-lib (seconds). The local stack reads the definition through
 * infra/workflow-definition-loader.ts, which imports this module only when the cache is stale.
 */
import { fileURLToPath } from 'node:url';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import {
  stepFunctionName,
  WORKFLOW_STEP_NAMES,
  WORKFLOW_STEP_TAG,
  type WorkflowStepName,
} from '../shared/domain/workflow-contract.ts';
import { ApprovalWorkflow } from './constructs/workflow.ts';
import {
  type CacheLocation,
  REPO_ROOT,
  readCachedWorkflowDefinition,
  type WorkflowDefinition,
  workflowInputsHash,
  writeWorkflowDefinitionCache,
} from './workflow-definition-cache.ts';

export type { WorkflowDefinition } from './workflow-definition-cache.ts';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
/** The part of a synthesized CloudFormation template this module reads. */
export interface CfnTemplate {
  Resources?: Record<string, CfnResource>;
}

/** What the pseudo parameters resolve to (the local stack has no account). */
export interface DefinitionEnvironment {
  partition?: string;
  region?: string;
  account?: string;
}

const STATE_MACHINE_TYPE = 'AWS::StepFunctions::StateMachine';

/**
 * The definition of the state machine `logicalId` (or of the template's only state
 * machine), tokens resolved. Throws on a token it cannot resolve, naming it.
 */
export function workflowDefinitionFromTemplate(
  template: CfnTemplate,
  logicalId?: string,
  env: DefinitionEnvironment = {},
): WorkflowDefinition {
  const resources = template.Resources ?? {};
  const machines = Object.entries(resources).filter(
    ([id, r]) => r.Type === STATE_MACHINE_TYPE && (!logicalId || id === logicalId),
  );
  if (machines.length !== 1) {
    throw new Error(
      logicalId
        ? `no ${STATE_MACHINE_TYPE} with logical id ${logicalId} in the template`
        : `expected exactly one ${STATE_MACHINE_TYPE} in the template, found ${machines.length}: pass its logical id`,
    );
  }
  const properties = machines[0]![1].Properties ?? {};
  if (properties.DefinitionSubstitutions !== undefined || properties.DefinitionS3Location !== undefined) {
    throw new Error('state machines with DefinitionSubstitutions or DefinitionS3Location are not supported');
  }
  const partition = env.partition ?? 'aws';
  const region = env.region ?? 'us-east-1';
  const account = env.account ?? '123456789012';
  const pseudo: Record<string, string> = {
    'AWS::Partition': partition,
    'AWS::Region': region,
    'AWS::AccountId': account,
    'AWS::URLSuffix': 'amazonaws.com',
  };

  const functionArn = (id: string): string => {
    const resource = resources[id];
    if (resource?.Type !== 'AWS::Lambda::Function')
      throw new Error(`cannot resolve the ARN of ${id}: not a Lambda function`);
    const tags = (resource.Properties?.Tags ?? []) as { Key: string; Value: string }[];
    const step = tags.find((tag) => tag.Key === WORKFLOW_STEP_TAG)?.Value;
    const name = step ? stepFunctionName(step as WorkflowStepName) : id;
    return `arn:${partition}:lambda:${region}:${account}:function:${name}`;
  };

  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const token = value as Record<string, unknown>;
    if (Array.isArray(token['Fn::Join'])) {
      const [separator, parts] = token['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    if (typeof token.Ref === 'string' && token.Ref in pseudo) return pseudo[token.Ref]!;
    const getAtt = token['Fn::GetAtt'];
    if (Array.isArray(getAtt) && getAtt[1] === 'Arn') return functionArn(String(getAtt[0]));
    throw new Error(`cannot resolve the token ${JSON.stringify(value)} in the state machine definition`);
  };

  return JSON.parse(resolve(properties.DefinitionString)) as WorkflowDefinition;
}

/**
 * Synthesizes a stack holding only the workflow (with placeholder step functions) and
 * returns its template and the state machine's logical id. Takes a few seconds.
 */
export function synthesizeWorkflowOnlyStack(): { template: CfnTemplate; logicalId: string } {
  const app = new App();
  const stack = new Stack(app, 'JitvendWorkflowOnly', {
    env: { account: '123456789012', region: 'us-east-1' },
  });
  const functions = {} as Record<WorkflowStepName, lambda.IFunction>;
  for (const step of WORKFLOW_STEP_NAMES) {
    functions[step] = new lambda.Function(stack, `Placeholder-${step}`, {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({});'),
    });
  }
  const workflow = new ApprovalWorkflow(stack, 'Workflow', { functions });
  const logicalId = stack.getLogicalId(workflow.stateMachine.node.defaultChild as CfnElement);
  const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  return { template, logicalId };
}

/** The definition as CDK synthesizes it now (no cache). Takes a few seconds. */
export function synthesizeWorkflowDefinition(): WorkflowDefinition {
  const { template, logicalId } = synthesizeWorkflowOnlyStack();
  return workflowDefinitionFromTemplate(template, logicalId);
}

/**
 * The local source files the synth is made of (this module and everything it imports, outside
 * node_modules), relative to the repository root, as esbuild resolves them: the inputs the
 * cache's hash covers.
 */
export function workflowDefinitionInputs(): string[] {
  const { metafile } = buildSync({
    entryPoints: [fileURLToPath(import.meta.url)],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    logLevel: 'silent',
  });
  return Object.keys(metafile.inputs).sort();
}

/**
 * Synthesizes the definition and writes the cache (infra/workflow-definition-cache.ts). The
 * inputs are hashed before the synth, so an input edited meanwhile leaves a cache that reads
 * as stale rather than a stale definition under a fresh hash. A cache that cannot be written
 * (read-only checkout) costs only speed.
 */
export function synthesizeAndCacheWorkflowDefinition(location: CacheLocation = {}): WorkflowDefinition {
  const inputs = workflowDefinitionInputs();
  const inputsHash = workflowInputsHash(inputs, location.root);
  const definition = synthesizeWorkflowDefinition();
  try {
    writeWorkflowDefinitionCache({ inputsHash, inputs, definition }, location);
  } catch (error) {
    process.emitWarning(`jitvend: could not write the workflow definition cache: ${String(error)}`);
  }
  return structuredClone(definition);
}

let cached: WorkflowDefinition | undefined;

/**
 * The workflow definition for the workflow tests: read from the cache when it is fresh,
 * otherwise synthesized and cached, then kept in memory. Each call returns a fresh copy, so
 * callers may change it (e.g. `StartAt`) freely.
 */
export function localWorkflowDefinition(): WorkflowDefinition {
  cached ??= readCachedWorkflowDefinition() ?? synthesizeAndCacheWorkflowDefinition();
  return structuredClone(cached);
}
