/**
 * The local stand-in of the SES email channel: the same tokens, stored hashes and message
 * as on AWS, written to the outbox instead of sent (`GET /.local/outbox`, the local page).
 */
import type { RuntimeSecrets } from '../functions/runtime.ts';
import type { ApprovalChannel } from '../shared/adapters/notify/fanout-notifier.ts';
import { type ApprovalEmailDeps, sendApprovalEmails } from '../shared/adapters/ses/approval-emails.ts';
import type { Clock } from '../shared/domain/ports.ts';
import type { JitvendConfig } from '../shared/domain/profile.ts';
import type { Outbox } from './outbox.ts';

export interface LocalEmailChannelDeps {
  outbox: Pick<Outbox, 'add'>;
  /** the local server's URL: links are `<publicUrl>/approvals/<token>` */
  publicUrl: string;
  /** read lazily: the runtime is built after its notifier (same as local/channels.ts) */
  runtime: () => {
    store: ApprovalEmailDeps['store'];
    clock: Clock;
    secrets: Pick<RuntimeSecrets, 'approvalTokenKey'>;
    config: Pick<JitvendConfig, 'profiles'>;
  };
}

export function localEmailChannel(deps: LocalEmailChannelDeps): ApprovalChannel {
  return {
    name: 'email',
    send(request, approvers) {
      const runtime = deps.runtime();
      return sendApprovalEmails(
        {
          publicUrl: deps.publicUrl,
          store: runtime.store,
          clock: runtime.clock,
          approvalTokenKey: runtime.secrets.approvalTokenKey,
          profileDescription: (name) => runtime.config.profiles[name]?.description,
        },
        request,
        approvers,
        async (email) => {
          deps.outbox.add({
            channel: 'email',
            to: email.to,
            requestId: email.requestId,
            text: email.message.text,
            links: [email.link],
            at: runtime.clock.now().toISOString(),
            extra: { subject: email.message.subject, html: email.message.html },
          });
        },
      );
    },
  };
}
