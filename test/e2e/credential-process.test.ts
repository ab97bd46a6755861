/**
 * The AWS CLI v2 (Debian's `awscli`, /usr/bin/aws) using a `credential_process` profile that
 * runs the built jitvend CLI against the local stack, across a renewal. The AWS CLI resolves
 * the profile's credentials with `aws configure export-credentials --profile P --format
 * process` (it runs the credential_process as any SDK would and prints what it got): the
 * first call makes the request, the next ones are cache hits, and once the session is due
 * the same request is renewed: the credentials change, no new request is made, and the
 * renewal is audited. Two AWS CLI processes missing the cache at once share one request.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, useLocalStack } from '../helpers/in-process-stack.ts';

const AWS = '/usr/bin/aws';
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist', 'cli', 'jitvend.cjs');
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const MAIN = {
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  ref: 'refs/heads/main',
};

/** The stack's clock: real time, moved forward past the API's one-renewal-a-minute rule. */
const clock = { aheadMs: 0, now: () => new Date(Date.now() + clock.aheadMs) };
const ctx = useLocalStack({ clock, waitTimeOverrides: { WaitUntilExpiry: 600_000 } });

let dir: string;
let token: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const version = await promisify(execFile)(AWS, ['--version']).catch((error: Error) => {
    throw new Error(`Debian's AWS CLI v2 is needed at ${AWS} (apt-get install -y awscli): ${error.message}`);
  });
  expect(version.stdout).toMatch(/^aws-cli\/2\./);
  await promisify(execFile)(process.execPath, [join(root, 'scripts', 'build-cli.mjs')], { cwd: root });

  dir = await mkdtemp(join(tmpdir(), 'jitvend-aws-cli-'));
  token = await ctx.stack.oidc.sign(MAIN);
  await writeFile(join(dir, 'token'), token, { mode: 0o600 });
  const request = (profile: string, extra: string) =>
    [
      `[profile ${profile}]`,
      `credential_process = ${process.execPath} ${cli} --api ${ctx.stack.url} request --profile orders-it ` +
        `--allow dynamodb:GetItem=${TABLE} --duration 15m --window 2h --reason "aws cli e2e" --format credential-process${extra}`,
    ].join('\n');
  await writeFile(
    join(dir, 'config'),
    // the same request twice: `eager` wants an hour left, so a 15-minute session is due at once
    `${request('jitvend', '')}\n\n${request('jitvend-eager', ' --refresh-before 1h')}\n`,
    { mode: 0o600 },
  );
  await writeFile(join(dir, 'credentials'), '', { mode: 0o600 });
  env = {
    PATH: process.env.PATH,
    HOME: dir,
    XDG_CACHE_HOME: join(dir, 'cache'),
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    JITVEND_TOKEN_FILE: join(dir, 'token'),
  };
}, 120_000);
afterAll(() => (dir ? rm(dir, { recursive: true, force: true }) : undefined));

interface Resolved {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

/** What the AWS CLI resolves for the profile, running its credential_process. */
async function exportCredentials(profile: string): Promise<Resolved> {
  const { stdout } = await promisify(execFile)(
    AWS,
    ['configure', 'export-credentials', '--profile', profile, '--format', 'process'],
    { env, timeout: 60_000 },
  );
  return JSON.parse(stdout) as Resolved;
}

async function requestIds(): Promise<string[]> {
  const listed = await api(ctx.stack, 'GET', '/requests', token);
  expect(listed.status).toBe(200);
  return (listed.body.items as { id: string }[]).map((item) => item.id);
}

describe('the AWS CLI v2 with a jitvend credential_process profile', () => {
  it('two AWS CLI processes missing the cache share one request; later calls are hits; a due session is renewed, not requested', async () => {
    const before = await requestIds();
    const [a, b] = await Promise.all([exportCredentials('jitvend'), exportCredentials('jitvend')]);
    expect(a.AccessKeyId).toMatch(/\S{16,}/);
    expect(b).toEqual(a);
    const made = (await requestIds()).filter((id) => !before.includes(id));
    expect(made).toHaveLength(1);
    const id = made[0]!;
    const view = (await api(ctx.stack, 'GET', `/requests/${id}`, token)).body;
    expect(view).toMatchObject({ status: 'issued', durationSeconds: 900, windowSeconds: 7200 });

    // the cache: one 0600 entry naming the request and its window, never the token
    const cacheDir = join(dir, 'cache', 'jitvend');
    const files = (await readdir(cacheDir)).filter((name) => name.endsWith('.json'));
    expect(files).toHaveLength(1);
    expect((await stat(join(cacheDir, files[0]!))).mode & 0o777).toBe(0o600);

    expect(await exportCredentials('jitvend')).toEqual(a);

    // a minute after the delivery (the API allows one renewal a minute): renewed
    clock.aheadMs += 61_000;
    const renewed = await exportCredentials('jitvend-eager');
    expect(renewed.AccessKeyId).not.toBe(a.AccessKeyId);
    expect(renewed.SessionToken).not.toBe(a.SessionToken);
    expect(Date.parse(renewed.Expiration)).toBeGreaterThan(Date.parse(a.Expiration));
    expect(Date.parse(renewed.Expiration)).toBeLessThanOrEqual(Date.parse(view.windowEndsAt as string));
    // the renewed session is what the cache hands out from now on, to either profile
    expect(await exportCredentials('jitvend')).toEqual(renewed);

    expect((await requestIds()).filter((rid) => !before.includes(rid))).toEqual([id]);
    const audit = (await api(ctx.stack, 'GET', `/requests/${id}/audit`, token)).body;
    const types = (audit.items as { type: string }[]).map((event) => event.type);
    expect(types.filter((type) => type === 'credentials_renewed')).toHaveLength(1);
  });
});
