/**
 * Approvers are asked once per request, person and channel: the fan-out claims each
 * (request, channel, person) in a ledger before sending (a conditional put in the requests
 * table, DynamoDB mocked with aws-sdk-client-mock), gives it back when the send fails; and
 * the approval timeout is bounded (at most 30 days), refused at start naming the field.
 */
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { afterEach, describe, expect, it } from 'vitest';
import { type ApprovalChannel, FanoutNotifier } from '../../shared/adapters/notify/fanout-notifier.ts';
import {
  DynamoDbNotificationLedger,
  MemoryNotificationLedger,
} from '../../shared/adapters/notify/notification-ledger.ts';
import { ConfigError, parseConfig } from '../../shared/config.ts';
import type { Person } from '../../shared/domain/profile.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';

const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());

const logger = { info: () => {}, warn: () => {}, error: () => {} };
const alice: Person = { name: 'alice', email: 'alice@example.com', slack: 'U0ALICE01' };
const bob: Person = { name: 'bob', email: 'bob@example.com' };
const request = { id: 'req-1' } as AccessRequest;

function recordingChannel(name: string, failFirst = false) {
  const sent: string[][] = [];
  let calls = 0;
  const channel: ApprovalChannel = {
    name,
    async send(_request, approvers) {
      calls++;
      if (failFirst && calls === 1) throw new Error(`${name} is down`);
      sent.push(approvers.map((p) => p.name));
      return 'sent';
    },
  };
  return { channel, sent };
}

describe('FanoutNotifier with a ledger: once per request, person and channel', () => {
  it('a second requestApproval (a retried AwaitApproval) sends nothing more', async () => {
    const slack = recordingChannel('slack');
    const email = recordingChannel('email');
    const notifier = new FanoutNotifier(
      [slack.channel, email.channel],
      logger,
      new MemoryNotificationLedger(),
    );
    expect(await notifier.requestApproval(request, [alice, bob])).toEqual({ slack: 'sent', email: 'sent' });
    expect(await notifier.requestApproval(request, [alice, bob])).toEqual({
      slack: 'already notified',
      email: 'already notified',
    });
    expect(slack.sent).toEqual([['alice', 'bob']]);
    expect(email.sent).toEqual([['alice', 'bob']]);
  });

  it('only the people not yet reached get a message (an approver added to the group later)', async () => {
    const email = recordingChannel('email');
    const notifier = new FanoutNotifier([email.channel], logger, new MemoryNotificationLedger());
    await notifier.requestApproval(request, [alice]);
    await notifier.requestApproval(request, [alice, bob]);
    expect(email.sent).toEqual([['alice'], ['bob']]);
  });

  it('a channel that failed is tried again on the next attempt (its claims are given back)', async () => {
    const slack = recordingChannel('slack', true);
    const email = recordingChannel('email');
    const notifier = new FanoutNotifier(
      [slack.channel, email.channel],
      logger,
      new MemoryNotificationLedger(),
    );
    const first = await notifier.requestApproval(request, [alice]);
    expect(first).toEqual({ slack: 'failed: slack is down', email: 'sent' });
    const second = await notifier.requestApproval(request, [alice]);
    expect(second).toEqual({ slack: 'sent', email: 'already notified' });
    expect(email.sent).toEqual([['alice']]);
  });
});

describe('DynamoDbNotificationLedger (requests table, DynamoDB mocked)', () => {
  const ledger = () =>
    new DynamoDbNotificationLedger({
      tableName: 'jitvend-requests',
      client: DynamoDBDocumentClient.from(new DynamoDBClient({})),
      now: () => new Date('2026-11-24T10:00:00.000Z'),
    });

  it('claims with a conditional put next to the request', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await ledger().claim('req-1', 'email', 'alice')).toBe(true);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'jitvend-requests',
      Item: expect.objectContaining({ PK: 'REQ#req-1', SK: 'NOTIFIED#email#alice', person: 'alice' }),
      ConditionExpression: 'attribute_not_exists(PK)',
    });
  });

  it('answers false when the claim exists (ConditionalCheckFailed), and deletes on unclaim', async () => {
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(DeleteCommand).resolves({});
    expect(await ledger().claim('req-1', 'email', 'alice')).toBe(false);
    await ledger().unclaim('req-1', 'email', 'alice');
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { PK: 'REQ#req-1', SK: 'NOTIFIED#email#alice' },
    });
  });
});

describe('approval.timeoutSeconds is bounded', () => {
  const config = (timeout: number) => `
people:
  alice: { email: alice@example.com }
profiles:
  p:
    roleArn: arn:aws:iam::123456789012:role/r
    requesters: [{ repository: "acme/orders" }]
    allow:
      - actions: ["dynamodb:GetItem"]
        resources: ["arn:aws:dynamodb:us-east-1:123456789012:table/t-*"]
    approval:
      approvers: [alice]
      timeoutSeconds: ${timeout}
`;
  it('accepts 30 days exactly', () => {
    expect(parseConfig(config(2_592_000), 't.yaml').profiles.p!.approval.timeoutSeconds).toBe(2_592_000);
  });

  it('refuses more than 30 days, naming the field', () => {
    let problems: string[] = [];
    try {
      parseConfig(config(2_592_001), 't.yaml');
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems.join('\n')).toContain(
      'profiles.p.approval.timeoutSeconds: must be at most 2592000 (30 days)',
    );
  });
});
