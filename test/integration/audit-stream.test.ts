/**
 * The audit trail on the local stack, in process: DynamoDB Local's real stream, read by the
 * local poller, through the same handler the Lambda runs, into `<dataDir>/audit/*.jsonl`.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import { POSITION_FILE_NAME } from '../../local/stream-poller.ts';
import { verifyAuditChain } from '../../shared/domain/audit.ts';
import type { AuditSinkEntry } from '../../shared/domain/audit-records.ts';
import type { AuditEvent } from '../../shared/domain/types.ts';

const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-users';
let dataDir: string;
let stack: LocalStack | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'jitvend-audit-stream-'));
  stack = await startLocalStack({ dataDir, port: 0, logLevel: 'silent' });
});
afterAll(async () => {
  await stack?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

function running(): LocalStack {
  if (!stack) throw new Error('the local stack is not running');
  return stack;
}

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(`${running().url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function pipelineToken(): Promise<string> {
  return running().oidc.sign({
    sub: 'repo:acme/orders:ref:refs/heads/main',
    repository: 'acme/orders',
    ref: 'refs/heads/main',
  });
}

/** Creates a request that is auto-approved and issued; returns its id and when it was created. */
async function createIssuedRequest(token: string): Promise<{ id: string; createdAt: number }> {
  const created = await call('POST', '/requests', token, {
    profile: 'orders-it',
    permissions: [{ actions: ['dynamodb:GetItem'], resources: [TABLE] }],
    reason: 'audit',
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  let status = created.body.status;
  for (let i = 0; i < 10 && status !== 'issued'; i++) {
    status = (await call('GET', `/requests/${id}?waitSeconds=5`, token)).body.status;
  }
  expect(status).toBe('issued');
  return { id, createdAt: Date.now() };
}

/** Every line of every JSON-lines file under <dataDir>/audit/. */
async function auditLines(): Promise<string[]> {
  const dir = join(dataDir, 'audit');
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.jsonl')).sort();
  const lines: string[] = [];
  for (const name of names) {
    lines.push(...(await readFile(join(dir, name), 'utf8')).split('\n').filter((line) => line.trim() !== ''));
  }
  return lines;
}

function eventsOf(lines: string[], requestId: string): AuditEvent[] {
  return lines
    .map((line) => JSON.parse(line) as AuditSinkEntry)
    .flatMap((entry) =>
      entry.kind === 'audit_event' && entry.event.requestId === requestId ? [entry.event] : [],
    )
    .sort((a, b) => a.seq - b.seq);
}

/** Polls the files (bounded) until the request's trail holds every wanted type. */
async function waitForTrail(requestId: string, types: string[]): Promise<AuditEvent[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const events = eventsOf(await auditLines(), requestId);
    if (types.every((type) => events.some((event) => event.type === type))) return events;
    if (Date.now() > deadline)
      throw new Error(
        `audit trail of ${requestId} after 20 s: ${events.map((e) => e.type).join(', ') || 'empty'}`,
      );
    await delay(50);
  }
}

function expectNoDuplicateKeys(lines: string[]): void {
  const keys = lines.map((line) => (JSON.parse(line) as AuditSinkEntry).key);
  expect(keys.length).toBeGreaterThan(0);
  expect(new Set(keys).size).toBe(keys.length);
}

describe('audit stream on DynamoDB Local', () => {
  let firstId: string;

  it('ships a request’s events from the real stream into <dataDir>/audit/*.jsonl, chain intact, no secrets', async () => {
    const token = await pipelineToken();
    const { id, createdAt } = await createIssuedRequest(token);
    firstId = id;
    const trail = await waitForTrail(id, ['request_created', 'request_approved', 'credentials_issued']);
    const latencyMs = Date.now() - createdAt;
    expect(trail.slice(0, 3).map((e) => e.type)).toEqual([
      'request_created',
      'request_approved',
      'credentials_issued',
    ]);
    expect(verifyAuditChain(trail)).toEqual({ ok: true });
    expect(latencyMs).toBeLessThan(5_000);

    // the trail in the files is the trail in the table
    const fromApi = await call('GET', `/requests/${id}/audit`, token);
    expect(fromApi.status).toBe(200);

    // delivering the credentials deletes the sealed item (a REMOVE on the stream): still nothing secret
    const delivered = await call('POST', `/requests/${id}/credentials`, token);
    expect(delivered.status).toBe(200);
    expect(delivered.body.accessKeyId).toMatch(/^ASIAJITVENDLOCAL/);
    const afterDelivery = await waitForTrail(id, ['credentials_delivered']);
    expect(verifyAuditChain(afterDelivery)).toEqual({ ok: true });

    const lines = await auditLines();
    for (const line of lines) {
      expect(line).not.toMatch(/ASIAJITVENDLOCAL|jitvend-local-|ciphertext/);
      expect(line).not.toContain(String(delivered.body.secretAccessKey));
    }
    expect(lines.map((l) => (JSON.parse(l) as AuditSinkEntry).kind)).toEqual(lines.map(() => 'audit_event'));
    expectNoDuplicateKeys(lines);
  });

  it('restarts on the same data dir without duplicating a line, even when the stream position is lost', async () => {
    const before = await auditLines();
    expect(eventsOf(before, firstId).length).toBeGreaterThanOrEqual(4);

    // 1. a plain restart: the poller goes on from its saved position
    await running().stop();
    stack = undefined;
    stack = await startLocalStack({ dataDir, port: 0, logLevel: 'silent' });
    const token = await pipelineToken();
    const second = await createIssuedRequest(token);
    await waitForTrail(second.id, ['request_created', 'request_approved', 'credentials_issued']);

    // 2. a restart with the position file gone: the stream is read again from its start, the sink drops repeats
    await running().stop();
    stack = undefined;
    await rm(join(dataDir, POSITION_FILE_NAME));
    stack = await startLocalStack({ dataDir, port: 0, logLevel: 'silent' });
    const third = await createIssuedRequest(await pipelineToken());
    await waitForTrail(third.id, ['request_created', 'request_approved', 'credentials_issued']);

    const after = await auditLines();
    expectNoDuplicateKeys(after);
    expect(after.slice(0, before.length)).toEqual(before);
    for (const id of [firstId, second.id, third.id])
      expect(verifyAuditChain(eventsOf(after, id))).toEqual({ ok: true });
  });
});
