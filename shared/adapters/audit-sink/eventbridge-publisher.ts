import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { AuditSink, AuditSinkEntry } from '../../domain/audit-records.ts';

let defaultClient: EventBridgeClient | undefined;
function sharedClient(): EventBridgeClient {
  defaultClient ??= new EventBridgeClient({});
  return defaultClient;
}

/** The `source` of every jitvend event on EventBridge. */
export const EVENT_SOURCE = 'jitvend';
/** PutEvents takes at most 10 entries per call. */
const MAX_ENTRIES_PER_CALL = 10;

export interface EventBridgeAuditPublisherOptions {
  eventBusName: string;
  /** defaults to the module-level client, built once per container */
  client?: EventBridgeClient;
}

/**
 * Publishes audit entries on an event bus, so other systems can react (alerts on
 * `audit_event_deleted`, a SIEM, a chat-ops bot): source `jitvend`, detail-type = the audit
 * event's type (`request_created`, ...) or the tamper record's kind (`audit_event_deleted`,
 * `audit_event_modified`, `audit_event_invalid`), detail = the audit event (plus `hashValid`)
 * or the tamper record. Audit events never hold secrets. EventBridge is at-least-once: consumers
 * deduplicate on `detail.requestId` + `detail.seq` (+ `detail.hash`).
 */
export class EventBridgeAuditPublisher implements AuditSink {
  readonly #eventBusName: string;
  readonly #client: EventBridgeClient;

  constructor(options: EventBridgeAuditPublisherOptions) {
    this.#eventBusName = options.eventBusName;
    this.#client = options.client ?? sharedClient();
  }

  async write(entries: readonly AuditSinkEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += MAX_ENTRIES_PER_CALL) {
      const chunk = entries.slice(i, i + MAX_ENTRIES_PER_CALL).map((entry) => this.putEventsEntry(entry));
      const out = await this.#client.send(new PutEventsCommand({ Entries: chunk }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).flatMap((e) => (e.ErrorCode ? [e.ErrorCode] : []));
        throw new Error(
          `EventBridge rejected ${out.FailedEntryCount} audit event(s): ${[...new Set(codes)].join(', ')}`,
        );
      }
    }
  }

  /** The exact PutEvents entry for an audit sink entry. */
  putEventsEntry(entry: AuditSinkEntry): PutEventsRequestEntry {
    return {
      EventBusName: this.#eventBusName,
      Source: EVENT_SOURCE,
      DetailType: eventDetailType(entry),
      Detail: JSON.stringify(eventDetail(entry)),
      Time: new Date(entry.at),
    };
  }
}

export function eventDetailType(entry: AuditSinkEntry): string {
  return entry.kind === 'audit_event' ? entry.event.type : entry.kind;
}

export function eventDetail(entry: AuditSinkEntry): Record<string, unknown> {
  if (entry.kind === 'audit_event') return { ...entry.event, hashValid: entry.hashValid };
  const { kind: _kind, key: _key, ...record } = entry;
  return record;
}
