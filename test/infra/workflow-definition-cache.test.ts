/**
 * The workflow definition cache (infra/workflow-definition-cache.ts): the local stack starts
 * from it without aws-cdk-lib, it is the definition CDK synthesizes now, and a cache whose
 * inputs changed is never used.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { afterAll, describe, expect, it } from 'vitest';
import {
  localWorkflowDefinition,
  synthesizeWorkflowDefinition,
  workflowDefinitionInputs,
} from '../../infra/workflow-definition.ts';
import {
  REPO_ROOT,
  readCachedWorkflowDefinition,
  WORKFLOW_DEFINITION_CACHE,
  type WorkflowDefinitionCache,
  workflowInputsHash,
  writeWorkflowDefinitionCache,
} from '../../infra/workflow-definition-cache.ts';
import { loadWorkflowDefinition } from '../../infra/workflow-definition-loader.ts';
import { adaptForLocalInterpreter } from '../../local/workflow-runner.ts';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'jitvend-wfcache-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// the definition as CDK synthesizes it in this run, never read from any cache
const synthesized = synthesizeWorkflowDefinition();

describe('the cached definition is the one CDK synthesizes', () => {
  it('the cache the local stack reads equals a fresh synth (rebuilt first if stale)', async () => {
    const loaded = await loadWorkflowDefinition();
    expect(loaded).toEqual(synthesized);
    const onDisk = JSON.parse(readFileSync(WORKFLOW_DEFINITION_CACHE, 'utf8')) as WorkflowDefinitionCache;
    expect(onDisk.definition).toEqual(synthesized);
    expect(onDisk.inputsHash).toBe(workflowInputsHash(onDisk.inputs));
    expect(localWorkflowDefinition()).toEqual(synthesized);
  });

  it("the cached definition passes the local interpreter's validator, as given and as the runner adapts it", () => {
    // the local stack skips this check at start because the cache ran it before writing
    const cached = readCachedWorkflowDefinition();
    expect(cached).toEqual(synthesized);
    for (const definition of [cached!, adaptForLocalInterpreter(cached!)]) {
      expect(
        () => new StateMachine(structuredClone(definition) as unknown as StateMachineDefinition),
      ).not.toThrow();
    }
  });

  it('hashes every local source file the synth is made of', () => {
    const inputs = workflowDefinitionInputs();
    expect(inputs).toEqual(
      expect.arrayContaining([
        'infra/constructs/workflow.ts',
        'infra/workflow-definition.ts',
        'shared/domain/workflow-contract.ts',
      ]),
    );
    expect(inputs.every((input) => !input.includes('node_modules'))).toBe(true);
    const onDisk = JSON.parse(readFileSync(WORKFLOW_DEFINITION_CACHE, 'utf8')) as WorkflowDefinitionCache;
    expect(onDisk.inputs).toEqual(inputs);
  });
});

describe('a stale cache is never used', () => {
  const root = join(scratch, 'root');
  const file = join(scratch, 'cache.json');
  const definition = { StartAt: 'A', States: { A: { Type: 'Succeed' } } };
  const fresh = () => {
    writeFileSync(join(root, 'a.ts'), 'export const a = 1;\n');
    writeWorkflowDefinitionCache(
      { inputs: ['a.ts'], inputsHash: workflowInputsHash(['a.ts'], root), definition },
      {
        file,
        root,
      },
    );
  };

  it.each([
    ['an input changed', () => writeFileSync(join(root, 'a.ts'), 'export const a = 2;\n')],
    ['an input is gone', () => unlinkSync(join(root, 'a.ts'))],
    [
      'the hash was altered',
      () => writeFileSync(file, readFileSync(file, 'utf8').replace(/"inputsHash": "./, '"inputsHash": "x')),
    ],
    ['the file is not JSON', () => writeFileSync(file, '{"format": 1, ')],
    [
      'the file has another format',
      () => writeFileSync(file, readFileSync(file, 'utf8').replace(/"format": \d+/, '"format": 0')),
    ],
    ['the file is missing', () => unlinkSync(file)],
  ])('when %s', (_why, spoil) => {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    fresh();
    expect(readCachedWorkflowDefinition({ file, root })).toEqual(definition);
    spoil();
    expect(readCachedWorkflowDefinition({ file, root })).toBeUndefined();
  });

  it('a definition the validator refuses is never cached', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } };
    const target = join(scratch, 'broken.json');
    expect(() =>
      writeWorkflowDefinitionCache(
        { inputs: ['a.ts'], inputsHash: workflowInputsHash(['a.ts'], root), definition: broken },
        { file: target, root },
      ),
    ).toThrow();
    expect(readCachedWorkflowDefinition({ file: target, root })).toBeUndefined();
  });

  it.each(['aws-cdk-lib', 'aws-local-stepfunctions'])('the hash covers the %s version', (name) => {
    mkdirSync(join(root, 'node_modules', name), { recursive: true });
    const manifest = join(root, 'node_modules', name, 'package.json');
    writeFileSync(manifest, JSON.stringify({ version: '2.276.0' }));
    const before = workflowInputsHash(['a.ts'], root);
    writeFileSync(manifest, JSON.stringify({ version: '2.277.0' }));
    expect(workflowInputsHash(['a.ts'], root)).not.toBe(before);
  });

  it('the local stack re-synthesizes over a stale cache and rewrites it', async () => {
    const stale = join(scratch, 'stale.json');
    writeWorkflowDefinitionCache(
      { inputs: ['infra/workflow-definition.ts'], inputsHash: 'not-the-hash', definition },
      { file: stale },
    );
    expect(await loadWorkflowDefinition({ file: stale })).toEqual(synthesized);
    expect(readCachedWorkflowDefinition({ file: stale })).toEqual(synthesized);
  });
});

describe('start-up does not load aws-cdk-lib', () => {
  // a separate process (as `npm start`), reporting the CommonJS modules it loaded from aws-cdk-lib
  const probe = (modules: string[]) =>
    [
      "import { createRequire } from 'node:module';",
      ...modules.map((m, i) => `const m${i} = await import(${JSON.stringify(m)});`),
      `const { loadWorkflowDefinition } = await import(${JSON.stringify(join(REPO_ROOT, 'infra/workflow-definition-loader.ts'))});`,
      'const definition = await loadWorkflowDefinition();',
      'const cdk = Object.keys(createRequire(import.meta.url).cache).filter((f) => f.includes("/node_modules/aws-cdk-lib/"));',
      'console.log(JSON.stringify({ start: definition.StartAt, cdk: cdk.length }));',
    ].join('\n');
  const loaded = async (modules: string[]) => {
    const script = join(scratch, `probe-${modules.length}.mts`);
    writeFileSync(script, probe(modules));
    const { stdout } = await run(process.execPath, ['--import', 'tsx', script], { cwd: REPO_ROOT });
    return JSON.parse(stdout.trim().split('\n').at(-1)!) as { start: string; cdk: number };
  };

  it('the local stack loads the fresh cache with no aws-cdk-lib module', async () => {
    await loadWorkflowDefinition(); // the cache is fresh
    expect(await loaded([join(REPO_ROOT, 'local/stack.ts')])).toEqual({ start: 'Evaluate', cdk: 0 });
  }, 60_000);

  it('(the probe sees aws-cdk-lib when it is loaded)', async () => {
    const result = await loaded([join(REPO_ROOT, 'infra/workflow-definition.ts')]);
    expect(result.start).toBe('Evaluate');
    expect(result.cdk).toBeGreaterThan(0);
  }, 60_000);
});
