/**
 * `jitvend report ID` against an in-test fake of jitvend's own HTTP API, which serves the
 * report the server builds from the hand-written CloudTrail fixtures.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllow } from '../../cli/args.ts';
import { allowFlag } from '../../cli/commands/report.ts';
import type { CliIo } from '../../cli/io.ts';
import { main } from '../../cli/main.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import { usageReport } from '../../shared/domain/usage/report.ts';
import type { CloudTrailEvent } from '../../shared/domain/usage/session-records.ts';

const TOKEN = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvb3JkZXJzIn0.c2lnbmF0dXJl';
const ID = '3f1c2b9e-8d4a-4e7b-9c61-2a5d7e0f4b18';
const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-1';
const BUCKET = 'arn:aws:s3:::orders-it-fixtures';

const fixture = (name: string): CloudTrailEvent[] =>
  (
    JSON.parse(readFileSync(new URL(`../events/cloudtrail/${name}`, import.meta.url), 'utf8')) as {
      Records: CloudTrailEvent[];
    }
  ).Records;

const REQUEST: AccessRequest = {
  id: ID,
  profile: 'orders-it',
  requester: 'repo:acme/orders:ref:refs/heads/main',
  requesterClaims: {},
  status: 'expired',
  permissions: [
    {
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
      resources: [TABLE, `${TABLE}/index/*`],
    },
    { actions: ['s3:GetObject', 's3:PutObject'], resources: [`${BUCKET}/*`] },
  ],
  sessionPolicy: { Version: '2012-10-17', Statement: [] },
  sessionPolicyHash: 'h',
  durationSeconds: 900,
  reason: 'integration tests',
  approvals: [],
  approvalRoute: { kind: 'auto', rule: 0 },
  createdAt: '2026-03-01T11:59:50.000Z',
  updatedAt: '2026-03-01T12:15:02.000Z',
  approvalDeadline: '2026-03-01T12:29:50.000Z',
  issuedAt: '2026-03-01T12:00:02.000Z',
  expiresAt: '2026-03-01T12:15:02.000Z',
  version: 4,
  auditHead: 'x',
  auditCount: 4,
};

const REPORT = usageReport(
  REQUEST,
  {
    events: [
      'assume-role.json',
      'session-management-events.json',
      'session-data-events.json',
      'other-sessions.json',
    ].flatMap(fixture),
    source: 'cloudtrail:LookupEvents (us-east-1)',
    truncated: false,
    notes: ['LookupEvents returns management events only'],
  },
  { from: new Date('2026-03-01T11:55:02Z'), to: new Date('2026-03-01T12:20:02Z') },
);

/** A test fake of jitvend's own API: GET /requests/{id}/usage only. */
class FakeUsageApi {
  readonly paths: string[] = [];
  reply: { status: number; body: unknown } = { status: 200, body: REPORT };
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      this.paths.push(`${req.method} ${req.url}`);
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401, { 'content-type': 'application/problem+json' }).end('{"title":"Unauthorized"}');
        return;
      }
      const type = this.reply.status >= 400 ? 'application/problem+json' : 'application/json';
      res.writeHead(this.reply.status, { 'content-type': type }).end(JSON.stringify(this.reply.body));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}

const api = new FakeUsageApi();
beforeAll(() => api.start());
afterAll(() => api.stop());
beforeEach(() => {
  api.paths.length = 0;
  api.reply = { status: 200, body: REPORT };
});

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    env: { JITVEND_API: api.url, JITVEND_TOKEN: TOKEN },
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    fetch: globalThis.fetch,
    now: () => Date.parse('2026-03-02T00:00:00Z'),
    sleep: async () => {},
    homeDir: '/nonexistent',
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

describe('jitvend report', () => {
  it('prints used, granted but unused, denied and suggested --allow flags', async () => {
    const { code, stdout, stderr } = await run(['report', ID]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(api.paths).toEqual([`GET /requests/${ID}/usage`]);
    expect(stdout).toContain(`request   ${ID} (orders-it, expired)\n`);
    expect(stdout).toContain(`session   jitvend-${ID}\n`);
    expect(stdout).toContain('assumed   2026-03-01T12:00:01Z from 3.91.172.14');
    expect(stdout).toContain('source    cloudtrail:LookupEvents (us-east-1)\n');
    expect(stdout).toContain('calls     9 (list them with --calls)\n');
    const section = (name: string) => {
      const start = stdout.indexOf(`\n${name}\n`);
      const end = stdout.indexOf('\n\n', start + 1);
      return stdout
        .slice(start + name.length + 2, end < 0 ? undefined : end)
        .replace(/\n+$/, '')
        .split('\n');
    };
    expect(section('used')).toEqual([
      `  dynamodb:DescribeTable on ${TABLE}  x1`,
      `  dynamodb:GetItem on ${TABLE}  x2`,
      `  dynamodb:PutItem on ${TABLE}  x2`,
      `  dynamodb:Query on ${TABLE}/index/by-customer  x1`,
      `  s3:GetObject on ${BUCKET}/seed/orders.json  x1`,
      '  sts:GetCallerIdentity on *  x1',
    ]);
    expect(section('granted but unused')).toEqual([
      `  dynamodb:GetItem, dynamodb:PutItem, dynamodb:DescribeTable on ${TABLE}/index/*`,
      `  dynamodb:Query on ${TABLE}`,
      `  s3:PutObject on ${BUCKET}/*`,
    ]);
    expect(section('denied')).toEqual([
      `  dynamodb:DeleteItem on ${TABLE}  x1 (AccessDenied; not granted to this request)`,
    ]);
    expect(section('suggested for next time')).toEqual([
      `  --allow 'dynamodb:DescribeTable,dynamodb:GetItem,dynamodb:PutItem=${TABLE}'`,
      `  --allow 'dynamodb:Query=${TABLE}/index/by-customer'`,
      `  --allow 's3:GetObject=${BUCKET}/seed/orders.json'`,
    ]);
    expect(section('notes')).toEqual(['  - LookupEvents returns management events only']);
  });

  it('lists every call with --calls, and answers to the alias usage', async () => {
    const { code, stdout } = await run(['usage', ID, '--calls']);
    expect(code).toBe(0);
    expect(stdout).toContain('calls     9\n');
    expect(stdout).toContain(`  2026-03-01T12:00:10Z  dynamodb:DeleteItem on ${TABLE} AccessDenied\n`);
    expect(stdout).toContain(
      `  2026-03-01T12:00:11Z  dynamodb:PutItem on ${TABLE} ConditionalCheckFailedException\n`,
    );
  });

  it('prints the API answer as it is with --format json', async () => {
    const { code, stdout } = await run(['report', ID, '--format', 'json']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual(JSON.parse(JSON.stringify(REPORT)));
  });

  it('prints suggestions that jitvend request --allow reads back unchanged', () => {
    for (const permission of REPORT.suggestion) {
      const flag = allowFlag(permission);
      const value = flag.replace(/^--allow '(.*)'$/, '$1');
      expect(parseAllow(value)).toEqual(permission);
    }
  });

  it('exits 3 with the problem detail when the request was never issued', async () => {
    api.reply = {
      status: 409,
      body: {
        title: 'Conflict',
        status: 409,
        detail: `request ${ID} is pending_approval: it was never issued`,
      },
    };
    const { code, stdout, stderr } = await run(['report', ID]);
    expect(code).toBe(3);
    expect(stdout).toBe('');
    expect(stderr).toBe(
      `jitvend: HTTP 409 Conflict: request ${ID} is pending_approval: it was never issued\n`,
    );
  });

  it('never lets the server put control characters on the terminal', async () => {
    api.reply = { status: 200, body: { ...REPORT, notes: ['evil\u001b[2Jnote\nsecond line'] } };
    const { stdout } = await run(['report', ID]);
    expect(stdout).toContain('  - evil [2Jnote second line\n');
    expect(stdout).not.toContain('\u001b');
  });

  it('refuses an answer that is not a usage report', async () => {
    api.reply = { status: 200, body: { hello: 'world' } };
    const { code, stderr } = await run(['report', ID]);
    expect(code).toBe(3);
    expect(stderr).toBe('jitvend: the usage answer is not a usage report\n');
  });
});
