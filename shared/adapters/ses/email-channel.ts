/**
 * The `email` approval channel on AWS: one SES v2 SendEmail per approver with an email
 * address, each carrying that approver's personal link to the confirmation page
 * (GET /approvals/{token}). See docs/email.md for the SES setup.
 */
import { SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import type { Person } from '../../domain/profile.ts';
import type { AccessRequest } from '../../domain/types.ts';
import type { ApprovalChannel } from '../notify/fanout-notifier.ts';
import { type ApprovalEmailDeps, type OutgoingApprovalEmail, sendApprovalEmails } from './approval-emails.ts';

/** One client per module (region and credentials from the Lambda environment). */
const defaultClient = new SESv2Client({});

export interface SesEmailChannelOptions extends ApprovalEmailDeps {
  /** a verified SES identity, e.g. `jitvend <jitvend@example.com>` */
  from: string;
  /** SES configuration set (event publishing, suppression, dedicated IPs) */
  configurationSet?: string;
  client?: SESv2Client;
}

export class SesEmailChannel implements ApprovalChannel {
  readonly name = 'email';
  readonly #client: SESv2Client;

  constructor(private readonly options: SesEmailChannelOptions) {
    if (options.from.trim() === '') throw new Error('SesEmailChannel: a from address is required');
    this.#client = options.client ?? defaultClient;
  }

  send(request: AccessRequest, approvers: Person[]): Promise<string> {
    return sendApprovalEmails(this.options, request, approvers, async (email) => {
      await this.#client.send(new SendEmailCommand(sendEmailInput(email, this.options)));
    });
  }
}

export function sendEmailInput(
  email: OutgoingApprovalEmail,
  options: Pick<SesEmailChannelOptions, 'from' | 'configurationSet'>,
): SendEmailCommandInput {
  return {
    FromEmailAddress: options.from,
    Destination: { ToAddresses: [email.to] },
    Content: {
      Simple: {
        Subject: { Data: email.message.subject, Charset: 'UTF-8' },
        Body: {
          Text: { Data: email.message.text, Charset: 'UTF-8' },
          Html: { Data: email.message.html, Charset: 'UTF-8' },
        },
      },
    },
    ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
  };
}
