import { describe, expect, it } from 'vitest';
import {
  allowLines,
  bodyFromInputs,
  defaultReason,
  readInputs,
  runContext,
} from '../../action/src/inputs.ts';
import { UsageError } from '../../cli/errors.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? '';

describe('action inputs', () => {
  it('reads every input, with the defaults of action.yml', () => {
    expect(
      readInputs(
        reader({
          api: 'https://jitvend.example.com/',
          profile: 'orders-it',
          allow: `dynamodb:GetItem,dynamodb:Query=${TABLE}\n\n# writes\ndynamodb:PutItem=${TABLE}`,
          duration: '15m',
          window: '1h',
          reason: ' integration tests ',
          'wait-timeout': '10m',
          release: 'false',
        }),
      ),
    ).toEqual({
      api: 'https://jitvend.example.com',
      audience: 'jitvend',
      profile: 'orders-it',
      permissions: [
        { actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [TABLE] },
        { actions: ['dynamodb:PutItem'], resources: [TABLE] },
      ],
      durationSeconds: 900,
      windowSeconds: 3600,
      reason: 'integration tests',
      waitTimeoutSeconds: 600,
      release: false,
    });
    expect(readInputs(reader({ api: 'http://127.0.0.1:8787' }))).toEqual({
      api: 'http://127.0.0.1:8787',
      audience: 'jitvend',
      permissions: [],
      release: true,
    });
  });

  it.each([
    [{}, 'input "api" is required'],
    [{ api: 'ftp://x' }, 'must be http:// or https://'],
    [{ api: 'https://x', allow: 'dynamodb:GetItem' }, 'input "allow", line 1: expected ACTIONS=RESOURCES'],
    [{ api: 'https://x', allow: `\nsecretsmanager GetSecretValue=${TABLE}` }, 'input "allow", line 2: '],
    [{ api: 'https://x', duration: 'soon' }, 'input "duration": "soon" is not a duration'],
    [
      { api: 'https://x', duration: '1h', window: '15m' },
      '"window" (900s) is shorter than "duration" (3600s)',
    ],
    [{ api: 'https://x', 'wait-timeout': '0' }, 'input "wait-timeout": duration must be a positive'],
    [{ api: 'https://x', release: 'yes' }, 'input "release" must be true or false, got "yes"'],
  ])('refuses %j: %s', (inputs, message) => {
    expect(() => readInputs(reader(inputs))).toThrow(UsageError);
    expect(() => readInputs(reader(inputs))).toThrow(message);
  });

  it.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['', true],
  ])('release %j is %s (YAML 1.2 booleans, as core.getBooleanInput)', (value, expected) => {
    expect(readInputs(reader({ api: 'https://x', release: value })).release).toBe(expected);
  });

  it('allow: CRLF lines, comments and blank lines', () => {
    expect(allowLines(`# reads\r\ns3:GetObject=arn:aws:s3:::b/*\r\n\r\n`)).toEqual([
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::b/*'] },
    ]);
  });

  it('records the run with the request and gives a default reason', () => {
    const env = {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'acme/orders',
      GITHUB_RUN_ID: '42',
      GITHUB_RUN_ATTEMPT: '2',
      GITHUB_JOB: 'it',
      GITHUB_WORKFLOW: 'CI',
    };
    expect(runContext(env)).toEqual({
      'github.run_url': 'https://github.com/acme/orders/actions/runs/42/attempts/2',
      'github.job': 'it',
    });
    expect(runContext({ ...env, GITHUB_SERVER_URL: 'javascript:alert(1) x' })).toEqual({
      'github.job': 'it',
    });
    expect(defaultReason(env)).toBe('GitHub Actions: acme/orders, workflow "CI", run 42, job it');
    expect(defaultReason({})).toBe('GitHub Actions');
    const inputs = readInputs(reader({ api: 'https://x', profile: 'orders-it', duration: '900' }));
    expect(bodyFromInputs({ ...inputs, profile: 'orders-it' }, env)).toEqual({
      profile: 'orders-it',
      durationSeconds: 900,
      reason: 'GitHub Actions: acme/orders, workflow "CI", run 42, job it',
      context: runContext(env),
    });
  });
});
