import type { AuditSink, AuditSinkEntry } from '../../domain/audit-records.ts';

/**
 * Writes to several sinks in order (the durable store first, then the event bus): `write`
 * resolves once every sink has the entries and throws on the first failure, so a retry
 * repeats them all (each sink is idempotent or, for the event bus, at-least-once).
 */
export class FanoutAuditSink implements AuditSink {
  readonly #sinks: readonly AuditSink[];
  constructor(...sinks: AuditSink[]) {
    this.#sinks = sinks;
  }

  async write(entries: readonly AuditSinkEntry[]): Promise<void> {
    if (entries.length === 0) return;
    for (const sink of this.#sinks) await sink.write(entries);
  }
}
