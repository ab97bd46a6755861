#!/usr/bin/env node
// Builds the workflow definition cache, dist/workflow-definition.json: the definition CDK
// synthesizes (infra/workflow-definition.ts) with a hash of its inputs, so `npm start` and the
// tests load it without aws-cdk-lib (infra/workflow-definition-cache.ts, docs/local-stack.md).
// Synthesizes only when the cache is missing or stale. `npm ci` runs it through `prepare`.
// Usage: node scripts/build-workflow-definition.mjs [--prepare] [--check]
//   --prepare: as the npm `prepare` script: no failure when tsx or aws-cdk-lib is absent (an
//   install with devDependencies omitted); the local stack then synthesizes on first start.
//   --check: print whether the cache is fresh and exit 1 when it is not; build nothing.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { prepare: { type: 'boolean', default: false }, check: { type: 'boolean', default: false } },
});

let tsImport;
try {
  ({ tsImport } = await import('tsx/esm/api'));
  await import('aws-cdk-lib/package.json', { with: { type: 'json' } });
} catch (error) {
  if (!values.prepare) throw error;
  console.error(
    'jitvend: tsx or aws-cdk-lib is not installed (devDependencies omitted): the workflow definition was not cached',
  );
  process.exit(0);
}

const cache = await tsImport('../infra/workflow-definition-cache.ts', import.meta.url);
const where = relative(process.cwd(), cache.WORKFLOW_DEFINITION_CACHE);
const fresh = cache.readCachedWorkflowDefinition() !== undefined;
if (values.check) {
  console.error(`${where}: ${fresh ? 'fresh' : 'missing or stale'}`);
  process.exit(fresh ? 0 : 1);
}
const started = performance.now();
await (await tsImport('../infra/workflow-definition-loader.ts', import.meta.url)).loadWorkflowDefinition();
// stderr, as build-cli.mjs: `npm run --silent` callers keep a clean stdout
console.error(
  fresh
    ? `${where} is up to date`
    : `built ${where} (synthesized in ${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
