/**
 * What NodejsFunction actually bundles (the local esbuild, no Docker): one real bundle of a
 * route handler, run the way Lambda runs it (CommonJS, the AWS SDK from NODE_PATH), with the
 * config and the slim IAM catalogue next to it; and the zod alias that drops zod's locales.
 * `node scripts/synth-figures.mjs` measures every function.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import { STEPS } from '../../functions/steps.ts';
import { PROJECT_ROOT } from '../../infra/bundle-inputs.ts';
import { FULL_ZOD_HANDLERS, JitVendFunction, LEAN_ZOD } from '../../infra/constructs/functions.ts';
import type { CfnTemplate } from './template-helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'jitvend-bundles-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const app = new App({ outdir: join(scratch, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true } });
const stack = new Stack(app, 'Bundle', { env: { account: '123456789012', region: 'us-east-1' } });
new JitVendFunction(stack, 'Health', {
  handler: 'health',
  configPath: join(PROJECT_ROOT, 'jitvend.config.yaml'),
  environment: {},
  logsKey: new kms.Key(stack, 'Key'),
  logRetention: logs.RetentionDays.ONE_WEEK,
  timeout: Duration.seconds(10),
  memorySize: 1024,
  bundleAwsSdk: false,
});
const assembly = app.synth();
const template = assembly.getStackByName('Bundle').template as CfnTemplate;
const fn = Object.values(template.Resources!).find((r) => r.Type === 'AWS::Lambda::Function')!;
const assetDir = join(
  assembly.directory,
  (fn as { Metadata?: Record<string, string> }).Metadata!['aws:asset:path']!,
);

describe('a function bundle', () => {
  it('is one minified CommonJS file under 500 KB, without the AWS SDK', () => {
    const bundle = readFileSync(join(assetDir, 'index.js'), 'utf8');
    expect(bundle.length).toBeLessThan(500 * 1024);
    expect(bundle.startsWith('"use strict";')).toBe(true);
    expect(bundle).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    expect(bundle).not.toMatch(/Слишком|Za mały/); // no zod locale but English
  });

  it('ships the config and a slim IAM catalogue next to the handler', () => {
    expect(readFileSync(join(assetDir, 'jitvend.config.yaml'), 'utf8')).toBe(
      readFileSync(join(PROJECT_ROOT, 'jitvend.config.yaml'), 'utf8'),
    );
    const source = join(PROJECT_ROOT, 'node_modules', '@cloud-copilot', 'iam-data', 'data', 'actions');
    expect(readdirSync(join(assetDir, 'iam-data', 'actions')).sort()).toEqual(readdirSync(source).sort());
    const slim = JSON.parse(readFileSync(join(assetDir, 'iam-data', 'actions', 'dynamodb.json'), 'utf8'));
    expect(slim.getitem).toEqual({ name: 'GetItem', accessLevel: 'Read' });
    const size = readdirSync(join(assetDir, 'iam-data', 'actions')).reduce(
      (sum, f) => sum + statSync(join(assetDir, 'iam-data', 'actions', f)).size,
      0,
    );
    expect(size).toBeLessThan(3 * 1024 * 1024);
  });

  it('answers GET /health when Lambda loads it, building the AWS runtime from its environment', () => {
    // Lambda's /var/task has no package.json: index.js is CommonJS there (this repo says "type": "module")
    const task = join(scratch, 'task');
    cpSync(assetDir, task, { recursive: true });
    writeFileSync(join(scratch, 'package.json'), '{"type":"commonjs"}\n');
    const script = `require('./index.js').handler({rawPath:'/health',requestContext:{http:{method:'GET'}},headers:{}},{})
      .then((r) => { process.stdout.write(JSON.stringify(r)); })`;
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: task,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        NODE_PATH: join(PROJECT_ROOT, 'node_modules'), // Lambda's NODE_PATH reaches the runtime's SDK
        LAMBDA_TASK_ROOT: task,
        AWS_REGION: 'us-east-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        TABLE_NAME: 'jitvend-requests',
        STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:test',
        CREDENTIALS_KEY_ID: 'alias/test',
        PUBLIC_URL: 'https://jitvend.example.com',
        JITVEND_CONFIG: join(task, 'jitvend.config.yaml'),
      },
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toMatchObject({ statusCode: 200, body: '{"status":"ok"}' });
  });
});

describe('every handler bundles as the stack bundles it', () => {
  // the zod alias maps zod's subpaths too: a handler whose dependencies import one (zod-openapi)
  // must be bundled with the whole of zod, or `cdk synth` fails on it (it did, for openapi)
  const handlers = [
    ...new Set([...ROUTES.map((r) => r.handler), ...Object.values(STEPS).map((s) => s.handler)]),
  ];
  it.each(handlers)('%s', async (handler) => {
    const result = await build({
      entryPoints: [join(PROJECT_ROOT, 'functions', handler, 'handler.ts')],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'cjs',
      absWorkingDir: PROJECT_ROOT,
      external: ['@aws-sdk/*'],
      define: { 'import.meta.url': 'importMetaUrl' },
      inject: [join(PROJECT_ROOT, 'infra/bundling/import-meta-url.mjs')],
      ...(FULL_ZOD_HANDLERS.has(handler) ? {} : { alias: { zod: LEAN_ZOD } }),
      logLevel: 'silent',
    });
    expect(result.errors).toEqual([]);
    expect(result.outputFiles[0]!.text.length).toBeGreaterThan(1000);
  });
});

describe('the zod alias of the Lambda bundles', () => {
  const entry = join(scratch, 'zod-entry.ts');
  writeFileSync(
    entry,
    `import { z } from 'zod';
     const r = z.strictObject({ name: z.string().min(3) }).safeParse({ name: 'a', extra: 1 });
     console.log(JSON.stringify(r.success ? [] : r.error.issues.map((i) => i.message)));`,
  );
  const bundle = async (alias: boolean) => {
    const outfile = join(scratch, alias ? 'lean.cjs' : 'full.cjs');
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      minify: true,
      outfile,
      absWorkingDir: PROJECT_ROOT,
      nodePaths: [join(PROJECT_ROOT, 'node_modules')],
      ...(alias ? { alias: { zod: './infra/bundling/zod-lean.mjs' } } : {}),
      logLevel: 'error',
    });
    return outfile;
  };

  it('keeps zod working with its English messages, about 250 KB smaller', async () => {
    const [lean, full] = await Promise.all([bundle(true), bundle(false)]);
    const run = spawnSync(process.execPath, [lean], { encoding: 'utf8' });
    expect(JSON.parse(run.stdout)).toEqual([
      'Too small: expected string to have >=3 characters',
      'Unrecognized key: "extra"',
    ]);
    expect(statSync(full).size - statSync(lean).size).toBeGreaterThan(200 * 1024);
  });
});
