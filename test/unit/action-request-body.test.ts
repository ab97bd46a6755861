import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInputs } from '../../action/src/inputs.ts';
import { requestBody } from '../../action/src/request-body.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const env = { GITHUB_REPOSITORY: 'acme/orders', GITHUB_JOB: 'it', STAGE: 'users' };
const inputs = (values: Record<string, string>) =>
  readInputs((name) => ({ api: 'https://jitvend.example.com', ...values })[name] ?? '');

let workspace: string;
beforeAll(async () => {
  workspace = await mkdtemp(join(tmpdir(), 'jitvend-action-body-'));
  await writeFile(
    join(workspace, '.jitvend.yml'),
    [
      'profile: orders-it',
      'permissions:',
      '  - actions: [dynamodb:GetItem]',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax
      '    resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-${STAGE}"]',
      'duration: 15m',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax
      'reason: tests of ${GITHUB_REPOSITORY}',
      'context: { team: orders }',
      '',
    ].join('\n'),
  );
  await writeFile(join(workspace, 'other.yml'), 'profile: payments-it\nreason: other\n');
  await writeFile(join(workspace, 'broken.yml'), 'profile: orders-it\nreason: r\npermisions: []\n');
});
afterAll(async () => {
  await rm(workspace, { recursive: true, force: true });
});

describe('action request body', () => {
  it.each([
    [
      'profile input alone: the inputs, with the default reason',
      { profile: 'payments-it' },
      {
        profile: 'payments-it',
        reason: 'GitHub Actions: acme/orders, job it',
        context: { 'github.job': 'it' },
      },
    ],
    [
      'no profile: .jitvend.yml in the workspace, variables from the environment',
      {},
      {
        profile: 'orders-it',
        permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
        durationSeconds: 900,
        reason: 'tests of acme/orders',
        context: { team: 'orders', 'github.job': 'it' },
      },
    ],
    [
      'inputs override the manifest field by field',
      { allow: `dynamodb:Query=${TABLE}`, duration: '30m', reason: 'override' },
      {
        profile: 'orders-it',
        permissions: [{ actions: ['dynamodb:Query'], resources: [TABLE] }],
        durationSeconds: 1800,
        reason: 'override',
        context: { team: 'orders', 'github.job': 'it' },
      },
    ],
    [
      'the manifest input names another file',
      { manifest: 'other.yml' },
      { profile: 'payments-it', reason: 'other', context: { 'github.job': 'it' } },
    ],
  ])('%s', async (_name, values, expected) => {
    expect(await requestBody(inputs(values), env, workspace)).toEqual(expected);
  });

  it('names the file, line and field of a bad manifest', async () => {
    await expect(requestBody(inputs({ manifest: 'broken.yml' }), env, workspace)).rejects.toThrow(
      'broken.yml:3: permisions: unknown field',
    );
    await expect(requestBody(inputs({ manifest: 'missing.yml' }), env, workspace)).rejects.toThrow(
      'missing.yml: no such file',
    );
    await expect(requestBody(inputs({}), env, tmpdir())).rejects.toThrow('input "profile" is required');
  });
});
