// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax is the subject of these tests
/**
 * The repository manifest (.jitvend.yml): parsing, ${VAR} substitution, errors with file,
 * line and field, the lookup, flags over fields, and a server that refuses windows.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, ExitCode } from '../../cli/errors.ts';
import {
  explainWindowRefusal,
  loadManifest,
  ManifestError,
  parseManifest,
  requestBodyFromManifest,
  substitute,
} from '../../cli/manifest.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';

/** The problems a manifest text raises (empty when it parses). */
function problemsOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseManifest(text, { env });
    return [];
  } catch (error) {
    if (error instanceof ManifestError) return error.problems;
    throw error;
  }
}

describe('${VAR} substitution', () => {
  const env = { STAGE: 'prod', EMPTY: '', REPO: 'acme/orders', INNER: 'inner' };
  it.each([
    ['plain text', 'plain text'],
    ['${STAGE}', 'prod'],
    ['table/orders-${STAGE}-*', 'table/orders-prod-*'],
    ['${MISSING:-dev}', 'dev'],
    ['${STAGE:-dev}', 'prod'],
    // like the shell: a set but empty variable takes the default too
    ['${EMPTY:-fallback}', 'fallback'],
    ['${EMPTY}', ''],
    ['${MISSING:-}', ''],
    // defaults nest
    ['${MISSING:-${INNER}}', 'inner'],
    ['${MISSING:-${ALSO_MISSING:-deep}}', 'deep'],
    ['${MISSING:-a-${STAGE}-b}', 'a-prod-b'],
    // $${ is a literal ${ (IAM policy variables)
    ['arn:aws:s3:::b/$${aws:username}/*', 'arn:aws:s3:::b/${aws:username}/*'],
    ['$${STAGE}', '${STAGE}'],
    // a lone $ and braces without $ stay
    ['cost $5 {x}', 'cost $5 {x}'],
    ['${REPO} ${STAGE}', 'acme/orders prod'],
  ])('%s → %s', (text, expected) => {
    expect(substitute(text, env)).toBe(expected);
  });

  it.each([
    ['${MISSING}', /environment variable MISSING is not set/],
    ['${MISSING:-${ALSO_MISSING}}', /environment variable ALSO_MISSING is not set/],
    ['${STAGE', /never closed/],
    ['${MISSING:-${INNER}', /never closed/],
    ['${aws:username}', /"\$\{aws:username\}" is not a variable.*write \$\$\{/],
    ['${}', /is not a variable/],
    ['${1ST}', /is not a variable/],
  ])('%s is an error: %s', (text, message) => {
    expect(() => substitute(text, env)).toThrow(message);
  });
});

describe('parseManifest', () => {
  it('reads every field, with durations as the CLI takes them and variables from the environment', () => {
    const manifest = parseManifest(
      [
        'profile: orders-it',
        'permissions:',
        '  - actions: [dynamodb:GetItem, dynamodb:Query]',
        '    resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-${STAGE:-dev}"]',
        '  - actions: s3:GetObject',
        '    resources: arn:aws:s3:::acme-orders-it-fixtures/*',
        'duration: 15m',
        'window: 1h',
        'reason: integration tests of ${GITHUB_REPOSITORY}',
        'context:',
        '  run: ${GITHUB_RUN_ID}',
        '  attempt: 2',
        '  dry: false',
      ].join('\n'),
      { env: { GITHUB_REPOSITORY: 'acme/orders', GITHUB_RUN_ID: '42' } },
    );
    expect(manifest).toEqual({
      profile: 'orders-it',
      permissions: [
        {
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-dev'],
        },
        { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::acme-orders-it-fixtures/*'] },
      ],
      durationSeconds: 900,
      windowSeconds: 3600,
      reason: 'integration tests of acme/orders',
      context: { run: '42', attempt: '2', dry: 'false' },
    });
  });

  it.each([
    ['900', 900],
    ['"900"', 900],
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['1h30m', 5400],
    ['${D:-20m}', 1200],
  ])('duration: %s is %i seconds', (text, seconds) => {
    expect(parseManifest(`profile: p\nduration: ${text}\n`, { env: {} }).durationSeconds).toBe(seconds);
  });

  it('a variable can never add YAML structure: its value stays one string', () => {
    const manifest = parseManifest('profile: p\nreason: "${R}"\n', {
      env: { R: 'x\npermissions:\n  - actions: ["*"]' },
    });
    expect(manifest.permissions).toBeUndefined();
    expect(manifest.reason).toContain('permissions:');
  });

  it.each([
    // [what, manifest lines, env, expected problems]
    [
      'an unknown top-level field, at its line',
      ['profile: p', 'reason: r', 'durration: 15m'],
      {},
      [
        /^\.jitvend\.yml:3: durration: unknown field \(known here: profile, permissions, duration, window, reason, context\)$/,
      ],
    ],
    [
      'an unknown field in a permission, at its line',
      [
        'profile: p',
        'permissions:',
        '  - actions: [s3:GetObject]',
        '    resources: ["*"]',
        '    Condition: {}',
      ],
      {},
      [/^\.jitvend\.yml:5: permissions\[0\]\.Condition: unknown field \(known here: actions, resources\)$/],
    ],
    [
      'a bad duration, at its line',
      ['profile: p', '', 'duration: soon'],
      {},
      [/^\.jitvend\.yml:3: duration: "soon" is not a duration/],
    ],
    ['a bad window, at its line', ['profile: p', 'window: -5'], {}, [/^\.jitvend\.yml:2: window: /]],
    [
      'an unset variable, named, at its line',
      ['profile: p', 'reason: tests of ${REPO}'],
      {},
      [/^\.jitvend\.yml:2: reason: environment variable REPO is not set/],
    ],
    [
      'an unset variable deep in a list, with its path',
      [
        'profile: p',
        'permissions:',
        '  - actions: [s3:GetObject]',
        '    resources:',
        '      - "arn:aws:s3:::${BUCKET}/*"',
      ],
      {},
      [/^\.jitvend\.yml:5: permissions\[0\]\.resources\[0\]: environment variable BUCKET is not set/],
    ],
    [
      'a bad action, at its line',
      ['profile: p', 'permissions:', '  - actions: ["s3 GetObject"]', '    resources: ["*"]'],
      {},
      [/^\.jitvend\.yml:3: permissions\[0\]\.actions\[0\]: not an IAM action/],
    ],
    ['a missing profile', ['reason: r'], {}, [/^\.jitvend\.yml:1: profile: required$/]],
    [
      'an empty permissions list',
      ['profile: p', 'permissions: []'],
      {},
      [/^\.jitvend\.yml:2: permissions: must not be empty/],
    ],
    [
      'a duplicate key (YAML)',
      ['profile: p', 'profile: q'],
      {},
      [/^\.jitvend\.yml:2: Map keys must be unique/],
    ],
    ['broken YAML', ['profile: p', 'permissions: [', 'reason: r'], {}, [/^\.jitvend\.yml:\d+: /]],
    ['not a mapping', ['- profile: p'], {}, [/^\.jitvend\.yml:1: the manifest must be a mapping/]],
    ['an empty file', [''], {}, [/^\.jitvend\.yml: the manifest is empty$/]],
    [
      'a context key out of shape',
      ['profile: p', 'context:', '  "bad key": x'],
      {},
      [/^\.jitvend\.yml:3: context\.bad key: context keys are/],
    ],
    [
      'several problems at once, each with its line',
      ['profile: p', 'duration: 5x', 'extra: 1'],
      {},
      [/^\.jitvend\.yml:3: extra: unknown field/, /^\.jitvend\.yml:2: duration: "5x" is not a duration/],
    ],
  ] as Array<[string, string[], Record<string, string>, RegExp[]]>)('%s', (_what, lines, env, expected) => {
    const problems = problemsOf(lines.join('\n'), env);
    expect(problems).toHaveLength(expected.length);
    for (const pattern of expected)
      expect(
        problems.some((p) => pattern.test(p)),
        `${problems}`,
      ).toBe(true);
  });

  it('a ManifestError exits 8 and lists every problem', () => {
    let error: ManifestError | undefined;
    try {
      parseManifest('profile: p\nduration: x\nwindow: y\n', { env: {} });
    } catch (e) {
      error = e as ManifestError;
    }
    expect(error).toBeInstanceOf(ManifestError);
    if (!error) return;
    expect(error.exitCode).toBe(ExitCode.manifest);
    expect(error.message).toMatch(
      /^invalid manifest:\n {2}\.jitvend\.yml:2: duration: .*\n {2}\.jitvend\.yml:3: window: /,
    );
  });
});

describe('loadManifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jitvend-manifest-'));
    await writeFile(join(dir, '.jitvend.yml'), 'profile: orders-it\nreason: from cwd\n');
    await mkdir(join(dir, 'ci'));
    await writeFile(join(dir, 'ci', 'it.yml'), 'profile: payments-it\nduratoin: 1h\n');
    await mkdir(join(dir, 'empty'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('finds .jitvend.yml in the working directory', async () => {
    expect(await loadManifest({ cwd: dir, env: {} })).toEqual({
      path: join(dir, '.jitvend.yml'),
      profile: 'orders-it',
      reason: 'from cwd',
    });
  });

  it('resolves undefined when the working directory has none and no path was given', async () => {
    expect(await loadManifest({ cwd: join(dir, 'empty'), env: {} })).toBeUndefined();
  });

  it('reads --manifest PATH relative to the working directory, naming that path in errors', async () => {
    await expect(loadManifest({ path: 'ci/it.yml', cwd: dir, env: {} })).rejects.toThrow(
      /^ci\/it\.yml:2: duratoin: unknown field/,
    );
  });

  it('a given path that does not exist is an error', async () => {
    await expect(loadManifest({ path: 'nope.yml', cwd: dir, env: {} })).rejects.toThrow(
      'nope.yml: no such file',
    );
    await expect(loadManifest({ path: 'ci', cwd: dir, env: {} })).rejects.toThrow('ci: not a file');
  });
});

describe('requestBodyFromManifest', () => {
  const manifest = {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    durationSeconds: 900,
    windowSeconds: 3600,
    reason: 'from the manifest',
    context: { suite: 'it', run: '1' },
  };

  it('is the manifest in the API body shape', () => {
    expect(requestBodyFromManifest(manifest)).toEqual({
      profile: 'orders-it',
      permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
      durationSeconds: 900,
      windowSeconds: 3600,
      reason: 'from the manifest',
      context: { suite: 'it', run: '1' },
    });
  });

  it('flags override fields; --allow replaces the permissions, --context merges', () => {
    const allow = [{ actions: ['dynamodb:Query'], resources: [TABLE] }];
    expect(
      requestBodyFromManifest(manifest, {
        profile: 'other',
        permissions: allow,
        durationSeconds: 1800,
        reason: 'flag',
        context: { run: '2' },
      }),
    ).toEqual({
      profile: 'other',
      permissions: allow,
      durationSeconds: 1800,
      windowSeconds: 3600,
      reason: 'flag',
      context: { suite: 'it', run: '2' },
    });
    // an empty --allow list leaves the manifest's permissions
    expect(requestBodyFromManifest(manifest, { permissions: [] }).permissions).toEqual(manifest.permissions);
  });

  it('needs a reason from the manifest, a flag or a default', () => {
    const { reason: _, ...noReason } = manifest;
    expect(() => requestBodyFromManifest(noReason)).toThrow(/reason: required/);
    expect(requestBodyFromManifest(noReason, {}, { reason: 'preview' }).reason).toBe('preview');
  });
});

describe('explainWindowRefusal', () => {
  const body = { profile: 'p', reason: 'r', windowSeconds: 7200 };

  it.each(['body: windowSeconds: unknown field "windowSeconds"', 'body: unrecognized key "windowSeconds"'])(
    'a server that refuses windowSeconds (%s): a clear error naming the field, never a silent resend',
    async (detail) => {
      const sent: unknown[] = [];
      const refusal = explainWindowRefusal(body, async (b) => {
        sent.push(b);
        throw new ApiError(400, 'Bad Request', detail, undefined);
      });
      await expect(refusal).rejects.toThrow(
        /^this jitvend server does not accept windowSeconds \(window 7200s\): it has no approval windows/,
      );
      await expect(refusal).rejects.toMatchObject({ exitCode: ExitCode.api });
      expect(sent).toEqual([body]);
    },
  );

  it('passes the answer and any other refusal through', async () => {
    expect(await explainWindowRefusal(body, async () => 'ok')).toBe('ok');
    const refusal = new ApiError(403, 'Forbidden', 'outside the guardrails', undefined);
    const send = async () => {
      throw refusal;
    };
    await expect(explainWindowRefusal(body, send)).rejects.toBe(refusal);
    // the server knows windows and refuses this one's length: its own message stands
    const noWindow = new ApiError(
      400,
      'Bad Request',
      'windowSeconds: 7200 is above the profile maxWindowSeconds 3600',
      undefined,
    );
    await expect(
      explainWindowRefusal({ profile: 'p', reason: 'r' }, async () => {
        throw noWindow;
      }),
    ).rejects.toBe(noWindow);
  });
});
