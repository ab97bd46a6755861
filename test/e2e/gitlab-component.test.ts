/**
 * The GitLab CI/CD component (templates/jitvend.yml): its shell script (templates/jitvend.sh)
 * run with `sh` the way the runner runs before_script + script in one shell and after_script
 * in another, with a GitLab-shaped id token, against the local stack and the built CLI.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseConfig } from '../../shared/config.ts';
import { api, useLocalStack } from '../helpers/in-process-stack.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';

const CONFIG = `
people:
  alice: { slack: U0ALICE01, email: alice@example.com }
  bob: { slack: U0BOB0001, email: bob@example.com }
groups:
  platform-leads: [alice, bob]
profiles:
  orders-gitlab:
    description: Integration tests of the orders service, from GitLab
    roleArn: arn:aws:iam::123456789012:role/jitvend-orders-it
    maxDurationSeconds: 3600
    defaultDurationSeconds: 900
    maxWindowSeconds: 14400
    requesters:
      - { project_path: "acme/orders" }
    allow:
      - actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"]
        resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*"]
    approval:
      autoApprove:
        - { readOnly: true, claims: { ref: "main" } }
      approvers: [platform-leads]
      minApprovals: 1
      timeoutSeconds: 1800
`;

/** The stack's clock: real time, moved forward past the API's one-renewal-a-minute rule. */
const clock = { aheadMs: 0, now: () => new Date(Date.now() + clock.aheadMs) };
const ctx = useLocalStack({
  clock,
  config: parseConfig(CONFIG, 'gitlab-component.test.yaml'),
  waitTimeOverrides: { WaitUntilExpiry: 600_000 },
});

let work: string;
let cli: string;
let script: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'jitvend-gitlab-'));
  cli = join(work, 'jitvend.cjs');
  await promisify(execFile)(
    process.execPath,
    [join(repoRoot, 'scripts', 'build-cli.mjs'), '--outfile', cli],
    {
      cwd: repoRoot,
    },
  );
  script = await readFile(join(repoRoot, 'templates', 'jitvend.sh'), 'utf8');
});
afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** A GitLab `id_tokens` token: GitLab's claims, signed by the local issuer. */
function gitlabToken(ref: string, user = 'carol', audience = 'jitvend'): Promise<string> {
  const pipelineId = String(Date.now());
  return ctx.stack.oidc.sign({
    aud: audience,
    sub: `project_path:acme/orders:ref_type:branch:ref:${ref}`,
    namespace_id: '7',
    namespace_path: 'acme',
    project_id: '42',
    project_path: 'acme/orders',
    user_id: '3',
    user_login: user,
    user_email: `${user}@example.com`,
    pipeline_id: pipelineId,
    pipeline_source: 'push',
    job_id: `${pipelineId}1`,
    ref,
    ref_type: 'branch',
    ref_protected: ref === 'main' ? 'true' : 'false',
  });
}

interface Shell {
  code: number | null;
  log: string;
}

/**
 * One shell of a GitLab job: `JITVEND_CI_STEP=<step>`, the component's script, then the
 * job's own lines, in one `sh -e` (GitLab's shells run with errexit).
 */
function runShell(step: 'request' | 'end', env: Record<string, string>, after = ''): Promise<Shell> {
  return runLines(env, `JITVEND_CI_STEP=${step}\n${script}${after}`);
}

/** Lines of a job's own script, in `sh -e`, with the job's environment. */
function runLines(env: Record<string, string>, text: string): Promise<Shell> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-e', '-c', text], {
      cwd: work,
      env: { PATH: process.env.PATH ?? '', HOME: work, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    child.once('close', (code) => resolve({ code, log }));
  });
}

function jobEnv(token: string, jobId: string, inputs: Record<string, string>): Record<string, string> {
  return {
    JITVEND_ID_TOKEN: token,
    JITVEND_API: ctx.stack.url,
    JITVEND_CLI: `${process.execPath} ${cli}`,
    CI_PROJECT_DIR: work,
    CI_PROJECT_PATH: 'acme/orders',
    CI_PIPELINE_ID: '1001',
    CI_PIPELINE_URL: 'https://gitlab.example.com/acme/orders/-/pipelines/1001',
    CI_JOB_ID: jobId,
    CI_JOB_NAME: 'integration',
    CI_JOB_URL: `https://gitlab.example.com/acme/orders/-/jobs/${jobId}`,
    ...inputs,
  };
}

const person = (name: string) => ctx.stack.oidc.sign({ sub: `user:${name}`, email: `${name}@example.com` });

async function requestView(id: string): Promise<Record<string, unknown>> {
  const { status, body } = await api(ctx.stack, 'GET', `/requests/${id}`, await person('alice'));
  expect(status).toBe(200);
  return body;
}

const stateFile = (jobId: string) => join(work, `.jitvend-request-${jobId}`);

describe('the GitLab component script', () => {
  it('auto-approved: exports the credentials to the job script, never logs them; after_script releases', async () => {
    const env = jobEnv(await gitlabToken('main'), '501', {
      JITVEND_PROFILE: 'orders-gitlab',
      JITVEND_ALLOW: `  # reads only\n  dynamodb:GetItem,dynamodb:Query=${TABLE}\n\n`,
      JITVEND_DURATION: '15m',
    });
    const seen = join(work, 'seen-by-script.env');
    const job = await runShell(
      'request',
      env,
      `printf '%s\\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION" > '${seen}'\n`,
    );
    expect(job.code, job.log).toBe(0);
    const [accessKeyId, secretAccessKey, sessionToken, expiration] = (await readFile(seen, 'utf8')).split(
      '\n',
    );
    for (const secret of [accessKeyId, secretAccessKey, sessionToken]) {
      expect(secret).toMatch(/^\S{16,}$/);
      expect(job.log).not.toContain(secret);
    }
    const id = (await readFile(stateFile('501'), 'utf8')).trim();
    expect(job.log).toContain(`jitvend: request ${id}: AWS credentials exported, valid until ${expiration}`);

    const view = await requestView(id);
    expect(view).toMatchObject({
      status: 'issued',
      profile: 'orders-gitlab',
      durationSeconds: 900,
      reason: 'GitLab CI: acme/orders pipeline 1001 job integration',
      permissions: [{ actions: ['dynamodb:GetItem', 'dynamodb:Query'], resources: [TABLE] }],
      context: {
        'gitlab.pipeline_url': 'https://gitlab.example.com/acme/orders/-/pipelines/1001',
        'gitlab.job_url': 'https://gitlab.example.com/acme/orders/-/jobs/501',
      },
    });

    const after = await runShell('end', env);
    expect(after.code, after.log).toBe(0);
    expect(after.log).toContain(`jitvend: request ${id} released`);
    expect((await requestView(id)).status).toBe('released');
  });

  it('window: the approval lasts 2 hours, and the job renews its session with jitvend renew', async () => {
    const env = jobEnv(await gitlabToken('main'), '506', {
      JITVEND_PROFILE: 'orders-gitlab',
      JITVEND_ALLOW: `dynamodb:GetItem=${TABLE}`,
      JITVEND_DURATION: '15m',
      JITVEND_WINDOW: '2h',
    });
    const job = await runShell('request', env);
    expect(job.code, job.log).toBe(0);
    const id = (await readFile(stateFile('506'), 'utf8')).trim();
    expect(await requestView(id)).toMatchObject({
      status: 'issued',
      durationSeconds: 900,
      windowSeconds: 7200,
    });

    // a later line of the job's script, a minute on (the API allows one renewal a minute)
    clock.aheadMs += 61_000;
    const seen = join(work, 'renewed.env');
    const renew = await runLines(
      env,
      `eval "$(JITVEND_TOKEN=$JITVEND_ID_TOKEN $JITVEND_CLI --api "$JITVEND_API" renew "${id}")"\n` +
        `printf '%s\\n' "$AWS_ACCESS_KEY_ID" "$JITVEND_REQUEST_ID" > '${seen}'\n`,
    );
    expect(renew.code, renew.log).toBe(0);
    expect(renew.log).toContain(`jitvend: request ${id} renewed: new session valid until`);
    const [accessKeyId, requestId] = (await readFile(seen, 'utf8')).split('\n');
    expect(accessKeyId).toMatch(/^\S{16,}$/);
    expect(renew.log).not.toContain(accessKeyId);
    expect(requestId).toBe(id);

    const after = await runShell('end', env);
    expect(after.code, after.log).toBe(0);
    expect((await requestView(id)).status).toBe('released');
  });

  it('wait-timeout: the job fails with exit 6 while approvers are asked; after_script cancels', async () => {
    const env = jobEnv(await gitlabToken('feature'), '502', {
      JITVEND_PROFILE: 'orders-gitlab',
      JITVEND_ALLOW: `dynamodb:PutItem=${TABLE}`,
      JITVEND_REASON: 'write tests',
      JITVEND_WAIT_TIMEOUT: '2s',
    });
    const job = await runShell('request', env, 'echo "the job script must not run"\n');
    expect(job.code).toBe(6);
    expect(job.log).not.toContain('the job script must not run');
    expect(job.log).toMatch(/waiting for 1 of 1 approval from alice, bob/);
    const id = (await readFile(stateFile('502'), 'utf8')).trim();
    expect(job.log).toContain(`jitvend: request ${id} gave no credentials (exit 6`);
    expect((await requestView(id)).status).toBe('pending_approval');

    const after = await runShell('end', env);
    expect(after.code, after.log).toBe(0);
    expect(after.log).toContain(`jitvend: request ${id} cancelled`);
    expect((await requestView(id)).status).toBe('cancelled');
  });

  it('denied: the job fails with exit 10 and the reason', async () => {
    const env = jobEnv(await gitlabToken('risky'), '503', {
      JITVEND_PROFILE: 'orders-gitlab',
      JITVEND_ALLOW: `dynamodb:PutItem=${TABLE}`,
      JITVEND_REASON: 'risky',
    });
    const running = runShell('request', env);
    let id = '';
    for (let i = 0; i < 300 && !id; i++) {
      id = await readFile(stateFile('503'), 'utf8').then(
        (text) => text.trim(),
        () => '',
      );
      if (!id) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(id).not.toBe('');
    const decided = await api(ctx.stack, 'POST', `/requests/${id}/decision`, await person('bob'), {
      decision: 'deny',
      reason: 'not today',
    });
    expect(decided.status).toBe(200);
    const job = await running;
    expect(job.code).toBe(10);
    expect(job.log).toContain(`request ${id} denied: denied by bob: not today`);

    const after = await runShell('end', env);
    expect(after.code).toBe(0);
    expect((await requestView(id)).status).toBe('denied');
  });

  it('manifest: no profile input, the request comes from the manifest named by the manifest input', async () => {
    await writeFile(
      join(work, 'jitvend-gitlab.yml'),
      [
        'profile: orders-gitlab',
        'permissions:',
        '  - actions: [dynamodb:Query]',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax
        '    resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-${SUITE:-users}"]',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the manifest's ${VAR} syntax
        'reason: tests of ${CI_PROJECT_PATH}',
        '',
      ].join('\n'),
    );
    const env = jobEnv(await gitlabToken('main'), '505', { JITVEND_MANIFEST: 'jitvend-gitlab.yml' });
    const job = await runShell('request', env, 'test -n "$AWS_SESSION_TOKEN"\n');
    expect(job.code, job.log).toBe(0);
    const id = (await readFile(stateFile('505'), 'utf8')).trim();
    expect(await requestView(id)).toMatchObject({
      status: 'issued',
      reason: 'tests of acme/orders',
      permissions: [{ actions: ['dynamodb:Query'], resources: [TABLE] }],
    });
    const after = await runShell('end', env);
    expect(after.log).toContain(`jitvend: request ${id} released`);
  });

  it('without an id token: exit 5 naming the id_tokens setting', async () => {
    const env = jobEnv('', '504', { JITVEND_PROFILE: 'orders-gitlab' });
    const job = await runShell('request', env);
    expect(job.code).toBe(5);
    expect(job.log).toContain('the job needs id_tokens: { JITVEND_ID_TOKEN: { aud: jitvend } }');
  });
});

describe('the GitLab component template', () => {
  it('parses, declares the documented inputs, and inlines templates/jitvend.sh byte for byte', async () => {
    const text = await readFile(join(repoRoot, 'templates', 'jitvend.yml'), 'utf8');
    const docs = parseAllDocuments(text);
    expect(docs).toHaveLength(2);
    for (const doc of docs) expect(doc.errors).toEqual([]);
    const header = docs[0]!.toJS() as {
      spec: { inputs: Record<string, { default?: unknown; type?: string }> };
    };
    const inputs = header.spec.inputs;
    expect(Object.keys(inputs)).toEqual([
      'api',
      'audience',
      'profile',
      'manifest',
      'allow',
      'duration',
      'window',
      'reason',
      'wait-timeout',
      'release',
      'cli',
      'job',
    ]);
    expect(inputs.api).not.toHaveProperty('default'); // required
    expect(inputs.audience?.default).toBe('jitvend');
    expect(inputs.release).toEqual(expect.objectContaining({ type: 'boolean', default: true }));

    const jobs = docs[1]!.toJS() as Record<string, Record<string, unknown>>;
    const job = jobs['$[[ inputs.job ]]']!;
    expect(job.id_tokens).toEqual({ JITVEND_ID_TOKEN: { aud: '$[[ inputs.audience ]]' } });
    expect(job.before_script).toEqual(['JITVEND_CI_STEP=request', script]);
    expect(job.after_script).toEqual(['JITVEND_CI_STEP=end', script]);
    // every input is used, and nothing else is interpolated
    const used = new Set([...text.matchAll(/\$\[\[\s*inputs\.([\w-]+)\s*\]\]/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual(Object.keys(inputs).sort());
  });

  it('documents every input in docs/pipelines.md', async () => {
    const docs = await readFile(join(repoRoot, 'docs', 'pipelines.md'), 'utf8');
    const header = parseAllDocuments(
      await readFile(join(repoRoot, 'templates', 'jitvend.yml'), 'utf8'),
    )[0]!.toJS();
    for (const name of Object.keys(header.spec.inputs)) expect(docs).toContain(`| \`${name}\` |`);
  });
});
