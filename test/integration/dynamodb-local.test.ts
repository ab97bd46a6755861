import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JAVA_MISSING_MESSAGE, startDynamoDbLocal } from '../../local/dynamodb-local.ts';
import { ensureTable } from '../../shared/adapters/dynamodb/table.ts';

/** pids of live processes whose command line mentions `text` (Linux /proc) */
function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

async function eventuallyNoProcessMentioning(text: string, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pids = processesMentioning(text);
  while (pids.length > 0 && Date.now() < deadline) {
    await delay(100);
    pids = processesMentioning(text);
  }
  return pids;
}

describe('startDynamoDbLocal', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'jitvend-ddb-local-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps the data on disk across a restart, and stop() leaves no Java process behind', async () => {
    const first = await startDynamoDbLocal({ dataDir });
    expect(processesMentioning(dataDir).length).toBeGreaterThan(0);
    const client = new DynamoDBClient(first.clientConfig);
    await ensureTable(client, 'jitvend-restart');
    await client.send(
      new PutItemCommand({
        TableName: 'jitvend-restart',
        Item: { PK: { S: 'REQ#1' }, SK: { S: 'REQUEST' }, reason: { S: 'survives' } },
      }),
    );
    client.destroy();
    await first.stop();
    await first.stop(); // a second stop is harmless
    expect(processesMentioning(dataDir)).toEqual([]);

    const second = await startDynamoDbLocal({ dataDir });
    try {
      // any region and credentials see the same data (-sharedDb)
      const other = new DynamoDBClient({
        ...second.clientConfig,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'someoneelse', secretAccessKey: 'x' },
      });
      const { Item } = await other.send(
        new GetItemCommand({
          TableName: 'jitvend-restart',
          Key: { PK: { S: 'REQ#1' }, SK: { S: 'REQUEST' } },
        }),
      );
      other.destroy();
      expect(Item?.reason).toEqual({ S: 'survives' });
    } finally {
      await second.stop();
    }
    expect(processesMentioning(dataDir)).toEqual([]);
  });

  it('leaves no Java process behind when its parent is killed with SIGKILL', async () => {
    const moduleUrl = pathToFileURL(resolve('local/dynamodb-local.ts')).href;
    const script = [
      `import { startDynamoDbLocal } from ${JSON.stringify(moduleUrl)};`,
      `const db = await startDynamoDbLocal({ dataDir: ${JSON.stringify(dataDir)} });`,
      'console.log(JSON.stringify({ endpoint: db.endpoint }));',
      'setInterval(() => {}, 60_000);',
    ].join('\n');
    const parent = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    expect(JSON.parse(line.toString()).endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(processesMentioning(dataDir).length).toBeGreaterThan(0);

    parent.kill('SIGKILL');
    await once(parent, 'exit');
    expect(await eventuallyNoProcessMentioning(dataDir)).toEqual([]);
  });

  it('says how to install Java when there is none', async () => {
    await expect(startDynamoDbLocal({ dataDir, java: join(dataDir, 'no-java-here') })).rejects.toThrow(
      JAVA_MISSING_MESSAGE,
    );
    expect(processesMentioning(dataDir)).toEqual([]);
  });
});
