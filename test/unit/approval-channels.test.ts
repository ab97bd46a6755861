import { describe, expect, it } from 'vitest';
import { awsApprovalChannels } from '../../functions/approval-channels.ts';
import type { AwsSettings, LoadedSecrets } from '../../functions/aws-runtime.ts';

const settings: AwsSettings = {
  TABLE_NAME: 'jitvend',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:jitvend',
  CREDENTIALS_KEY_ID: 'alias/jitvend',
  PUBLIC_URL: 'https://api.example.com',
  JITVEND_CONFIG: 'jitvend.config.yaml',
};
const secrets: LoadedSecrets = {
  slackSigningSecret: 's',
  slackBotToken: '',
  approvalTokenKey: new Uint8Array(32),
};
const runtime: Parameters<typeof awsApprovalChannels>[2] = {
  store: { saveApprovalToken: async () => undefined },
  clock: { now: () => new Date() },
  config: { profiles: {} },
};

describe('approval channels on AWS', () => {
  it('has none when neither Slack nor email is configured', () => {
    expect(awsApprovalChannels(settings, secrets, runtime)).toEqual([]);
  });

  it('notifies on Slack with a bot token, and by email with a from address', () => {
    const channels = awsApprovalChannels(
      { ...settings, EMAIL_FROM: 'jitvend@example.com' },
      { ...secrets, slackBotToken: 'xoxb-test' },
      runtime,
    );
    expect(channels.map((c) => c.name)).toEqual(['slack', 'email']);
  });
});
