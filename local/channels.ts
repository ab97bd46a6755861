/**
 * The local stand-ins of the approval channels: Slack and email write to the outbox what
 * would have been sent (with the approval links), so a tester can play the approver.
 */
import type { Runtime } from '../functions/runtime.ts';
import type { ApprovalChannel } from '../shared/adapters/notify/fanout-notifier.ts';
import { localEmailChannel } from './email-stand-in.ts';
import type { Outbox } from './outbox.ts';
import { localSlackChannel } from './slack-stand-in.ts';

export interface LocalChannelDeps {
  outbox: Outbox;
  publicUrl: string;
  runtime: () => Runtime;
}

export function localChannels(deps: LocalChannelDeps): ApprovalChannel[] {
  return [
    localSlackChannel({
      outbox: deps.outbox,
      publicUrl: deps.publicUrl,
      clock: { now: () => deps.runtime().clock.now() },
    }),
    localEmailChannel({ outbox: deps.outbox, publicUrl: deps.publicUrl, runtime: deps.runtime }),
  ];
}
