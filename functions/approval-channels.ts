/**
 * The approval channels on AWS, from the environment: Slack when SLACK_SECRET_ARN holds a
 * bot token, SES email when EMAIL_FROM names a verified identity. Imported only by the
 * AwaitApproval step's handler (see aws-runtime.ts ChannelFactory).
 */
import type { ApprovalChannel } from '../shared/adapters/notify/fanout-notifier.ts';
import { SesEmailChannel } from '../shared/adapters/ses/email-channel.ts';
import { slackChannel } from '../shared/adapters/slack/slack-channel.ts';
import type { ChannelFactory } from './aws-runtime.ts';

export const awsApprovalChannels: ChannelFactory = (settings, secrets, runtime) => {
  const channels: ApprovalChannel[] = [];
  if (secrets.slackBotToken) {
    channels.push(
      slackChannel({
        token: secrets.slackBotToken,
        ...(settings.SLACK_CHANNEL ? { channel: settings.SLACK_CHANNEL } : {}),
      }),
    );
  }
  if (settings.EMAIL_FROM) {
    channels.push(
      new SesEmailChannel({
        from: settings.EMAIL_FROM,
        ...(settings.SES_CONFIGURATION_SET ? { configurationSet: settings.SES_CONFIGURATION_SET } : {}),
        publicUrl: settings.PUBLIC_URL,
        store: runtime.store,
        clock: runtime.clock,
        approvalTokenKey: secrets.approvalTokenKey,
        profileDescription: (name) => runtime.config.profiles[name]?.description,
      }),
    );
  }
  return channels;
};

/** Slack alone (the release notice: email has nothing to say about it). */
export const awsSlackChannel: ChannelFactory = (settings, secrets) =>
  secrets.slackBotToken
    ? [
        slackChannel({
          token: secrets.slackBotToken,
          ...(settings.SLACK_CHANNEL ? { channel: settings.SLACK_CHANNEL } : {}),
        }),
      ]
    : [];
