/**
 * The local stack (`npm start`, a real child process) killed with SIGKILL in the middle of
 * approvals, then started again on the same data dir and port: nothing is lost (a 2-of-2
 * request keeps its first approval, an issued request stays issued and delivered once), a
 * decision in flight at the kill either landed or can be made again, every request
 * completes, one whose approval deadline passed while the stack was down ends timed_out
 * instead of hanging, and no DynamoDB Local (java) of the killed stack is left running.
 */
import { once } from 'node:events';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StackProcess, startStackProcess } from '../helpers/local-stack-process.ts';
import { dynamoDbLocalPids, groupPids, isAlive, waitFor } from '../helpers/processes.ts';

const SHORT_TIMEOUT_SECONDS = 5;
let dataDir: string;
let env: Record<string, string>;
let stack: StackProcess | undefined;

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-sigkill-'));
  // the sample config plus a profile whose approval times out in a few seconds
  const configPath = join(dataDir, 'jitvend.config.yaml');
  await copyFile(new URL('../../jitvend.config.yaml', import.meta.url), configPath);
  const config = await readFile(configPath, 'utf8');
  await writeFile(
    configPath,
    `${config}
  short-it:
    description: approvals that time out quickly (fault test)
    roleArn: arn:aws:iam::123456789012:role/jitvend-short-it
    maxDurationSeconds: 900
    defaultDurationSeconds: 900
    requesters:
      - { repository: "acme/orders" }
    allow:
      - actions: ["dynamodb:GetItem"]
        resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*"]
    approval:
      approvers: [alice]
      minApprovals: 1
      timeoutSeconds: ${SHORT_TIMEOUT_SECONDS}
`,
  );
  // the same port across the restart: the local issuer (and so every token's iss) is its URL
  env = { JITVEND_CONFIG: configPath, PORT: String(await freePort()) };
}, 30_000);

afterAll(async () => {
  await stack?.stop();
  for (const pid of dynamoDbLocalPids(dataDir)) process.kill(pid, 'SIGKILL');
  await rm(dataDir, { recursive: true, force: true });
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(`${stack!.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function sign(claims: Record<string, unknown>): Promise<string> {
  return String((await call('POST', '/.local/oidc/token', undefined, { claims })).body.token);
}

async function untilStatus(id: string, token: string, wanted: string[]) {
  let last: Record<string, unknown> = {};
  for (let i = 0; i < 15; i++) {
    last = (await call('GET', `/requests/${id}?waitSeconds=3`, token)).body;
    if (wanted.includes(String(last.status))) return last;
  }
  throw new Error(`${id} is ${String(last.status)}, never ${wanted.join('/')}`);
}

describe('the local stack killed with SIGKILL mid-approval, then started again', () => {
  it('loses nothing, completes every request, times out the overdue one, and leaves no java behind', async () => {
    stack = await startStackProcess(dataDir, env);
    const java = dynamoDbLocalPids(dataDir);
    expect(java, 'the DynamoDB Local of this stack').toHaveLength(1);

    const tokens = {
      main: await sign({
        sub: 'repo:acme/orders:ref:refs/heads/main',
        repository: 'acme/orders',
        ref: 'refs/heads/main',
      }),
      feature: await sign({
        sub: 'repo:acme/orders:ref:refs/heads/kill',
        repository: 'acme/orders',
        ref: 'refs/heads/kill',
      }),
      payments: await sign({
        sub: 'repo:acme/payments:ref:refs/heads/kill',
        repository: 'acme/payments',
        ref: 'refs/heads/kill',
        actor: 'carol',
      }),
      alice: await sign({ sub: 'user:alice', email: 'alice@example.com' }),
      bob: await sign({ sub: 'user:bob', email: 'bob@example.com' }),
    };
    const create = async (token: string, body: Record<string, unknown>) => {
      const created = await call('POST', '/requests', token, body);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      return created.body.id as string;
    };
    // an issued request, delivered
    const issued = await create(tokens.main, {
      profile: 'orders-it',
      permissions: [
        {
          actions: ['dynamodb:GetItem'],
          resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-k'],
        },
      ],
      reason: 'issued before the kill',
    });
    await untilStatus(issued, tokens.main, ['issued']);
    expect((await call('POST', `/requests/${issued}/credentials`, tokens.main)).status).toBe(200);
    // a 2-of-2 request with its first approval recorded
    const twoOfTwo = await create(tokens.payments, { profile: 'payments-it', reason: 'two people' });
    const first = await call('POST', `/requests/${twoOfTwo}/decision`, tokens.alice, { decision: 'approve' });
    expect(first.body.outcome).toBe('recorded');
    // a request whose approval deadline will pass while the stack is down
    const overdue = await create(tokens.feature, { profile: 'short-it', reason: 'nobody will answer' });
    // a request whose approval is in flight when the stack dies
    const inFlight = await create(tokens.feature, { profile: 'orders-it', reason: 'decided at the kill' });
    await untilStatus(inFlight, tokens.feature, ['pending_approval']);

    const click = call('POST', `/requests/${inFlight}/decision`, tokens.bob, { decision: 'approve' }).catch(
      () => 'connection lost',
    );
    const exited = once(stack.child, 'exit');
    process.kill(-stack.child.pid!, 'SIGKILL');
    await exited;
    await click;
    // nothing of the killed stack keeps running: not its node processes, not its DynamoDB Local
    expect(await waitFor(() => groupPids(stack!.child.pid!).length === 0, 10_000)).toBe(true);
    expect(
      await waitFor(() => java.every((pid) => !isAlive(pid)), 15_000),
      `java ${java.join(',')} outlived the killed stack`,
    ).toBe(true);
    expect(dynamoDbLocalPids(dataDir)).toEqual([]);
    // stay down past the short approval deadline
    await new Promise((r) => setTimeout(r, SHORT_TIMEOUT_SECONDS * 1000 + 500));

    stack = await startStackProcess(dataDir, env);
    // the issued request is still issued and was delivered once
    expect((await call('GET', `/requests/${issued}`, tokens.main)).body).toMatchObject({
      status: 'issued',
      credentialsDelivered: true,
    });
    expect((await call('POST', `/requests/${issued}/credentials`, tokens.main)).status).toBe(410);
    // the first approval survived: one more person completes it
    const pending = await call('GET', `/requests/${twoOfTwo}`, tokens.payments);
    expect(pending.body.status).toBe('pending_approval');
    expect((pending.body.approvals as Array<{ person: string }>).map((a) => a.person)).toEqual(['alice']);
    const second = await call('POST', `/requests/${twoOfTwo}/decision`, tokens.bob, { decision: 'approve' });
    expect(second.body.outcome).toBe('approved');
    await untilStatus(twoOfTwo, tokens.payments, ['issued']);
    expect((await call('POST', `/requests/${twoOfTwo}/credentials`, tokens.payments)).status).toBe(200);
    // the decision in flight landed, or it did not and the approver decides again
    const state = await call('GET', `/requests/${inFlight}`, tokens.feature);
    if (state.body.status === 'pending_approval') {
      const again = await call('POST', `/requests/${inFlight}/decision`, tokens.bob, { decision: 'approve' });
      expect(again.body.outcome).toBe('approved');
    }
    await untilStatus(inFlight, tokens.feature, ['issued']);
    expect((await call('POST', `/requests/${inFlight}/credentials`, tokens.feature)).status).toBe(200);
    // overdue while down: timed out at the restart, not left pending
    const timedOut = await untilStatus(overdue, tokens.feature, ['timed_out']);
    expect(String(timedOut.statusReason)).toMatch(/deadline/);

    // a clean stop leaves no java either
    const java2 = dynamoDbLocalPids(dataDir);
    expect(java2).toHaveLength(1);
    await stack.stop();
    stack = undefined;
    expect(await waitFor(() => java2.every((pid) => !isAlive(pid)), 15_000)).toBe(true);
  }, 240_000);
});
