/**
 * The committed action bundle run the way GitHub's runner runs a JavaScript action, against
 * the local stack: a child `node action/dist/main.mjs` with its inputs as `INPUT_<NAME>`,
 * the `GITHUB_ENV` / `GITHUB_OUTPUT` / `GITHUB_STATE` / `GITHUB_STEP_SUMMARY` files, and the
 * job's OIDC token from `ACTIONS_ID_TOKEN_REQUEST_URL` answered by a small server speaking
 * GitHub's protocol (it mints GitHub-shaped tokens from the local issuer); then the post step
 * (`action/dist/post.mjs`) with the saved state as `STATE_<name>`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, useLocalStack } from '../helpers/in-process-stack.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const action = (step: 'main' | 'post') => join(repoRoot, 'action', 'dist', `${step}.mjs`);
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
const SECRET_NAMES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'] as const;

/** The stack's clock, real time moved forward by tests (renewals are allowed once a minute). */
const clock = { aheadMs: 0, now: () => new Date(Date.now() + clock.aheadMs) };
const ctx = useLocalStack({ clock, waitTimeOverrides: { WaitUntilExpiry: 600_000 } });

/** GitHub-shaped claims of one job (repository, ref, actor, run). */
function githubClaims(ref: string, actor = 'carol'): Record<string, unknown> {
  const runId = String(Date.now());
  return {
    sub: `repo:acme/orders:ref:${ref}`,
    repository: 'acme/orders',
    repository_owner: 'acme',
    ref,
    actor,
    workflow: 'integration',
    event_name: 'push',
    run_id: runId,
    run_attempt: '1',
    job_workflow_ref: `acme/orders/.github/workflows/it.yml@${ref}`,
  };
}

/**
 * GitHub's OIDC token service as a job sees it: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=A`
 * with `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` answers `{"value": <jwt>}`.
 */
class GitHubOidcService {
  readonly requestToken = randomBytes(24).toString('hex');
  readonly audiences: string[] = [];
  claims: Record<string, unknown> = {};
  private server?: Server;
  url = '';

  async start(mintUrl: () => string): Promise<void> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.headers.authorization !== `Bearer ${this.requestToken}` || url.pathname !== '/idtoken') {
        res.writeHead(401).end();
        return;
      }
      const audience = url.searchParams.get('audience') ?? 'https://github.com/acme';
      this.audiences.push(audience);
      fetch(`${mintUrl()}/.local/oidc/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ claims: { ...this.claims, aud: audience } }),
      })
        .then((minted) => minted.json() as Promise<{ token: string }>)
        .then(({ token }) => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ value: token }));
        })
        .catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    // GitHub's URL already carries a query; the toolkit appends `&audience=...`
    this.url = `http://127.0.0.1:${port}/idtoken?api-version=2.0`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

const oidc = new GitHubOidcService();

beforeAll(async () => {
  await oidc.start(() => ctx.stack.url);
});
afterAll(async () => {
  await oidc.stop();
});

/** The files of one job, as the runner keeps them between steps. */
interface Job {
  dir: string;
  files: { GITHUB_ENV: string; GITHUB_OUTPUT: string; GITHUB_STATE: string; GITHUB_STEP_SUMMARY: string };
  inputs: Record<string, string>;
}

async function newJob(inputs: Record<string, string>): Promise<Job> {
  const dir = await mkdtemp(join(tmpdir(), 'jitvend-action-'));
  const files = {
    GITHUB_ENV: join(dir, 'env'),
    GITHUB_OUTPUT: join(dir, 'output'),
    GITHUB_STATE: join(dir, 'state'),
    GITHUB_STEP_SUMMARY: join(dir, 'summary.md'),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  return { dir, files, inputs: { api: ctx.stack.url, audience: 'jitvend', release: 'true', ...inputs } };
}

/** `NAME=value` lines and `NAME<<DELIMITER` blocks, as the runner reads its command files. */
function readCommandFile(path: string): Record<string, string> {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/);
  const values: Record<string, string> = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line) continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc;
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i]!);
      values[name!] = body.join('\n');
    } else {
      const eq = line.indexOf('=');
      values[line.slice(0, eq)] = line.slice(eq + 1);
    }
  }
  return values;
}

interface StepRun {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** One step as the runner starts it: inputs as `INPUT_<NAME>` (upper case, hyphens kept). */
function startStep(job: Job, step: 'main' | 'post', extraEnv: Record<string, string> = {}): StepRun {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: job.dir,
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: job.dir,
    GITHUB_REPOSITORY: 'acme/orders',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_RUN_ID: '4242',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'integration',
    GITHUB_WORKFLOW: 'CI',
    ACTIONS_ID_TOKEN_REQUEST_URL: oidc.url,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
    ...job.files,
    ...Object.fromEntries(
      Object.entries(job.inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
    ),
    ...extraEnv,
  };
  const child = spawn(process.execPath, [action(step)], {
    cwd: job.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, stdout: () => out, exited };
}

async function runStep(job: Job, step: 'main' | 'post', extraEnv: Record<string, string> = {}) {
  const run = startStep(job, step, extraEnv);
  const code = await run.exited;
  return { code, stdout: run.stdout() };
}

/** The post step gets what the main step saved with `core.saveState`, as `STATE_<name>`. */
function stateEnv(job: Job): Record<string, string> {
  return Object.fromEntries(
    Object.entries(readCommandFile(job.files.GITHUB_STATE)).map(([name, value]) => [`STATE_${name}`, value]),
  );
}

async function until(condition: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const person = (name: string) => ctx.stack.oidc.sign({ sub: `user:${name}`, email: `${name}@example.com` });

async function statusOf(id: string): Promise<string> {
  const alice = await person('alice');
  const { status, body } = await api(ctx.stack, 'GET', `/requests/${id}`, alice);
  expect(status).toBe(200);
  return body.status as string;
}

/** A credential_process line as the AWS CLI splits it (words, or double-quoted words). */
function splitCommandLine(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

/** Every line of the log that holds a secret value must be the `::add-mask::` command for it. */
function expectOnlyMasked(log: string, secrets: string[]): void {
  for (const secret of secrets) {
    const lines = log.split('\n').filter((line) => line.includes(secret));
    expect(lines).toEqual([`::add-mask::${secret}`]);
  }
}

const createdId = (log: string) => /jitvend: request (\S+) created/.exec(log)?.[1];

describe('the GitHub Action (bundled, run as the runner runs it)', () => {
  it('auto-approved: masks, exports, sets outputs, writes the summary; the post step releases', async () => {
    oidc.claims = githubClaims('refs/heads/main');
    const job = await newJob({
      profile: 'orders-it',
      allow: `# read the users table\ndynamodb:GetItem,dynamodb:Query=${TABLE}\n`,
      duration: '15m',
      reason: 'integration tests',
    });
    try {
      const main = await runStep(job, 'main');
      expect(main.code, main.stdout).toBe(0);
      expect(oidc.audiences.at(-1)).toBe('jitvend');

      const exported = readCommandFile(job.files.GITHUB_ENV);
      const secrets = SECRET_NAMES.map((name) => exported[name]!);
      for (const value of secrets) expect(value).toMatch(/^\S{16,}$/);
      expect(exported.AWS_CREDENTIAL_EXPIRATION).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(Object.keys(exported)).not.toContain('AWS_REGION');

      // masked before anything else is written, and nowhere else in the log
      expectOnlyMasked(main.stdout, secrets);
      const log = main.stdout.split('\n');
      const lastMask = Math.max(...secrets.map((s) => log.indexOf(`::add-mask::${s}`)));
      const exportedLine = log.findIndex((line) => line.includes('credentials for request'));
      expect(lastMask).toBeGreaterThan(-1);
      expect(lastMask).toBeLessThan(exportedLine);

      const outputs = readCommandFile(job.files.GITHUB_OUTPUT);
      const id = outputs['request-id']!;
      expect(id).toBe(createdId(main.stdout));
      expect(outputs.expiration).toBe(exported.AWS_CREDENTIAL_EXPIRATION);
      expect(readCommandFile(job.files.GITHUB_STATE)['request-id']).toBe(id);

      const summary = await readFile(job.files.GITHUB_STEP_SUMMARY, 'utf8');
      expect(summary).toContain(`| Request | \`${id}\` |`);
      expect(summary).toContain('auto-approved (autoApprove rule 0 of the profile)');
      expect(summary).toContain(`| Expires | ${outputs.expiration} |`);
      expect(summary).toContain('"dynamodb:GetItem"');
      expect(summary).toContain(`${ctx.stack.url}/?request=${id}`);
      for (const secret of secrets) expect(summary).not.toContain(secret);

      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code, post.stdout).toBe(0);
      expect(post.stdout).toContain(`request ${id}: released`);
      expect(await statusOf(id)).toBe('released');
      expectOnlyMasked(main.stdout + post.stdout, secrets);
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('human-approved: shows whom it waits for while an approver decides, then exports', async () => {
    oidc.claims = githubClaims('refs/heads/feature');
    const job = await newJob({
      profile: 'orders-it',
      allow: `dynamodb:PutItem=${TABLE}`,
      reason: 'write tests',
    });
    try {
      const main = startStep(job, 'main');
      await until(
        () => /waiting for 1 of 1 approval from alice, bob · \d+m left/.test(main.stdout()),
        'progress',
      );
      const id = createdId(main.stdout())!;
      const decided = await api(ctx.stack, 'POST', `/requests/${id}/decision`, await person('alice'), {
        decision: 'approve',
        reason: 'looks right',
      });
      expect(decided.status).toBe(200);
      expect(await main.exited, main.stdout()).toBe(0);

      const exported = readCommandFile(job.files.GITHUB_ENV);
      expectOnlyMasked(
        main.stdout(),
        SECRET_NAMES.map((name) => exported[name]!),
      );
      const summary = await readFile(job.files.GITHUB_STEP_SUMMARY, 'utf8');
      expect(summary).toMatch(/approved by alice via api at \S+ \(looks right\)/);

      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code, post.stdout).toBe(0);
      expect(await statusOf(id)).toBe('released');
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('denied: the step fails saying who denied and why; nothing is exported', async () => {
    oidc.claims = githubClaims('refs/heads/risky');
    const job = await newJob({ profile: 'orders-it', allow: `dynamodb:PutItem=${TABLE}`, reason: 'risky' });
    try {
      const main = startStep(job, 'main');
      await until(() => main.stdout().includes('waiting for 1 of 1 approval'), 'progress');
      const id = createdId(main.stdout())!;
      await api(ctx.stack, 'POST', `/requests/${id}/decision`, await person('bob'), {
        decision: 'deny',
        reason: 'not today',
      });
      expect(await main.exited).toBe(10);
      expect(main.stdout()).toContain(`::error::jitvend: request ${id} denied: denied by bob: not today`);
      expect(readCommandFile(job.files.GITHUB_ENV)).toEqual({});

      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code).toBe(0);
      expect(post.stdout).toContain('already denied: nothing to end');
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('cancelled mid-wait: the job is cancelled (SIGINT) and the post step cancels the request', async () => {
    oidc.claims = githubClaims('refs/heads/cancel-me');
    const job = await newJob({
      profile: 'orders-it',
      allow: `dynamodb:PutItem=${TABLE}`,
      reason: 'cancelled',
    });
    try {
      const main = startStep(job, 'main');
      await until(() => main.stdout().includes('waiting for 1 of 1 approval'), 'progress');
      const id = createdId(main.stdout())!;
      main.child.kill('SIGINT');
      await main.exited;
      expect(await statusOf(id)).toBe('pending_approval');

      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code, post.stdout).toBe(0);
      expect(post.stdout).toContain(`request ${id}: cancelled`);
      expect(await statusOf(id)).toBe('cancelled');
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('wait-timeout: the step fails after the time given, and the post step cancels', async () => {
    oidc.claims = githubClaims('refs/heads/slow');
    const job = await newJob({
      profile: 'orders-it',
      allow: `dynamodb:PutItem=${TABLE}`,
      reason: 'slow',
      'wait-timeout': '2s',
    });
    try {
      const main = await runStep(job, 'main');
      expect(main.code).toBe(6);
      const id = createdId(main.stdout)!;
      expect(main.stdout).toContain(
        `::error::jitvend: request ${id} still undecided after 2s (input wait-timeout); the post step cancels it`,
      );
      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code).toBe(0);
      expect(await statusOf(id)).toBe('cancelled');
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('release: false leaves the issued request open', async () => {
    oidc.claims = githubClaims('refs/heads/main');
    const job = await newJob({
      profile: 'orders-it',
      allow: `dynamodb:GetItem=${TABLE}`,
      reason: 'keep it',
      release: 'false',
      duration: '15m',
    });
    try {
      const main = await runStep(job, 'main');
      expect(main.code, main.stdout).toBe(0);
      expect(main.stdout).not.toContain('::warning::');
      const id = readCommandFile(job.files.GITHUB_OUTPUT)['request-id']!;
      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code).toBe(0);
      expect(post.stdout).toContain('(release: false)');
      expect(await statusOf(id)).toBe('issued');
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('a window longer than the session: a 0600 config profile whose credential_process hands out, then renews, the same request', async () => {
    oidc.claims = githubClaims('refs/heads/main');
    const job = await newJob({
      profile: 'orders-it',
      allow: `dynamodb:GetItem=${TABLE}`,
      reason: 'long suite',
      duration: '15m',
      window: '2h',
    });
    const runnerTemp = join(job.dir, '_temp');
    await mkdir(runnerTemp);
    try {
      const main = await runStep(job, 'main', { RUNNER_TEMP: runnerTemp });
      expect(main.code, main.stdout).toBe(0);
      const exported = readCommandFile(job.files.GITHUB_ENV);
      // keys in the environment would win over the profile in every SDK: none exported
      for (const name of [...SECRET_NAMES, 'AWS_CREDENTIAL_EXPIRATION'])
        expect(exported).not.toHaveProperty(name);
      expect(exported.AWS_PROFILE).toBe('jitvend');
      const configFile = exported.AWS_CONFIG_FILE!;
      expect(configFile.startsWith(`${runnerTemp}/jitvend-`)).toBe(true);
      expect((await stat(configFile)).mode & 0o777).toBe(0o600);
      expect((await stat(dirname(configFile))).mode & 0o777).toBe(0o700);
      const outputs = readCommandFile(job.files.GITHUB_OUTPUT);
      const id = outputs['request-id']!;
      expect(outputs['config-file']).toBe(configFile);
      const view = (await api(ctx.stack, 'GET', `/requests/${id}`, await person('alice'))).body;
      expect(view).toMatchObject({ status: 'issued', durationSeconds: 900, windowSeconds: 7200 });
      expect(outputs['window-ends-at']).toBe(view.windowEndsAt);
      const summary = await readFile(job.files.GITHUB_STEP_SUMMARY, 'utf8');
      expect(summary).toContain(
        `| Window | renewed through the \`jitvend\` AWS profile until ${view.windowEndsAt} |`,
      );

      const config = await readFile(configFile, 'utf8');
      expect(config).toContain('[profile jitvend]\n');
      const command = /^credential_process = (.+)$/m.exec(config)?.[1];
      expect(command).toContain(join(repoRoot, 'action', 'dist', 'jitvend.cjs'));
      expect(command).toContain('--format credential-process');
      // nothing in the directory holds the job's OIDC token request secret
      expect(config).not.toContain(oidc.requestToken);

      // as an SDK runs it in a later step: the job's OIDC request variables, nothing of the action's
      const credentialProcess = async (...extra: string[]) => {
        const [file, ...args] = splitCommandLine(command!);
        const { stdout, stderr } = await promisify(execFile)(file!, [...args, ...extra], {
          env: {
            PATH: process.env.PATH ?? '',
            HOME: job.dir,
            ACTIONS_ID_TOKEN_REQUEST_URL: oidc.url,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
          },
        });
        expect(stdout.trim().split('\n')).toHaveLength(1);
        return { document: JSON.parse(stdout) as Record<string, string | number>, stderr };
      };
      const tokensBefore = oidc.audiences.length;
      const first = await credentialProcess();
      // the first session, from the cache the action seeded: no token asked, nothing requested
      expect(first.document).toMatchObject({ Version: 1 });
      expect(first.stderr).toBe('');
      expect(oidc.audiences.length).toBe(tokensBefore);
      expectOnlyMasked(main.stdout, [
        first.document.AccessKeyId as string,
        first.document.SecretAccessKey as string,
      ]);

      // within a minute of the delivery the API refuses a renewal (429): the session still serves
      const early = await credentialProcess('--refresh-before', '1h');
      expect(early.document.AccessKeyId).toBe(first.document.AccessKeyId);
      expect(early.stderr).toContain('(HTTP 429): the cached session is handed out');

      // a minute later: 15 minutes left is less than the hour asked to remain, renewed, the same request
      clock.aheadMs += 61_000;
      const renewed = await credentialProcess('--refresh-before', '1h');
      expect(renewed.stderr).toContain(`request ${id} renewed`);
      expect(renewed.document.AccessKeyId).not.toBe(first.document.AccessKeyId);
      expect(oidc.audiences.length).toBeGreaterThan(tokensBefore);
      const audit = (await api(ctx.stack, 'GET', `/requests/${id}/audit`, await person('alice'))).body;
      expect(JSON.stringify(audit)).toContain('credentials_renewed');

      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code, post.stdout).toBe(0);
      expect(await statusOf(id)).toBe('released');
      await expect(stat(dirname(configFile))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('manifest: reads .jitvend.yml from the workspace, with variables from the job environment', async () => {
    oidc.claims = githubClaims('refs/heads/main');
    const job = await newJob({});
    try {
      await writeFile(
        join(job.dir, '.jitvend.yml'),
        [
          'profile: orders-it',
          'permissions:',
          '  - actions: [dynamodb:GetItem]',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax
          '    resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-${TABLE_SUFFIX:-users}"]',
          'duration: 15m',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax
          'reason: integration tests of ${GITHUB_REPOSITORY}',
          '',
        ].join('\n'),
      );
      const main = await runStep(job, 'main');
      expect(main.code, main.stdout).toBe(0);
      const id = readCommandFile(job.files.GITHUB_OUTPUT)['request-id']!;
      const { body } = await api(ctx.stack, 'GET', `/requests/${id}`, await person('alice'));
      expect(body).toMatchObject({
        profile: 'orders-it',
        reason: 'integration tests of acme/orders',
        permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
        durationSeconds: 900,
        context: { 'github.run_url': 'https://github.com/acme/orders/actions/runs/4242/attempts/1' },
      });
      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code, post.stdout).toBe(0);
      expect(await statusOf(id)).toBe('released');
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });

  it('fails before requesting anything on a bad input, naming it', async () => {
    oidc.claims = githubClaims('refs/heads/main');
    const job = await newJob({ profile: 'orders-it', allow: 'dynamodb:GetItem', reason: 'bad' });
    try {
      const main = await runStep(job, 'main');
      expect(main.code).toBe(2);
      expect(main.stdout).toContain('::error::jitvend: input "allow", line 1: expected ACTIONS=RESOURCES');
      expect(readCommandFile(job.files.GITHUB_STATE)).toEqual({});
      const post = await runStep(job, 'post', stateEnv(job));
      expect(post.code).toBe(0);
      expect(post.stdout).toContain('nothing to end');
    } finally {
      await rm(job.dir, { recursive: true, force: true });
    }
  });
});
