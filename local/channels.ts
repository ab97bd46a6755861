/**
 * The local stand-ins of the approval channels (Slack, email): they write to the outbox
 * what would have been sent. Filled in by the Slack and email work.
 */
import type { Runtime } from '../functions/runtime.ts';
import type { ApprovalChannel } from '../shared/adapters/notify/fanout-notifier.ts';
import type { Outbox } from './outbox.ts';

export interface LocalChannelDeps {
  outbox: Outbox;
  publicUrl: string;
  runtime: () => Runtime;
}

export function localChannels(_deps: LocalChannelDeps): ApprovalChannel[] {
  return [];
}
