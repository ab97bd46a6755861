/**
 * The workflow definition for the local stack: from the cache when it is fresh (no CDK
 * loaded, infra/workflow-definition-cache.ts), otherwise synthesized (aws-cdk-lib loaded on
 * demand, a few seconds, infra/workflow-definition.ts) and cached. Its own module, so the
 * cache and the synth each import only one way (no cycle).
 */
import {
  type CacheLocation,
  readCachedWorkflowDefinition,
  type WorkflowDefinition,
} from './workflow-definition-cache.ts';

/**
 * Each call returns a fresh object, so callers may change it. Yields once first, so I/O
 * started just before (e.g. DynamoDB Local's process) gets going.
 */
export async function loadWorkflowDefinition(location: CacheLocation = {}): Promise<WorkflowDefinition> {
  await new Promise((r) => setImmediate(r));
  const cached = readCachedWorkflowDefinition(location);
  if (cached) return cached;
  const { synthesizeAndCacheWorkflowDefinition } = await import('./workflow-definition.ts');
  return synthesizeAndCacheWorkflowDefinition(location);
}
