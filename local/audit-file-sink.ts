/**
 * The local audit sink: a directory of JSON-lines files, one per UTC day of the entries,
 * `<dataDir>/audit/<yyyy-mm-dd>.jsonl`, one entry per line (the same entries the S3 sink
 * stores one object each). Idempotent on redelivery: it remembers the key of every entry it
 * holds (read back from the files at start), so the stream poller may deliver a record twice
 * (after a crash between writing and saving its position) and the line is still written once.
 */
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuditSink, type AuditSinkEntry, entryDay } from '../shared/domain/audit-records.ts';
import type { Logger } from '../shared/domain/ports.ts';

export const AUDIT_DIR_NAME = 'audit';

export class AuditFileSink implements AuditSink {
  readonly #keys: Set<string>;
  /** writes are chained, so lines never interleave and a key is checked after the write before it */
  #queue: Promise<void> = Promise.resolve();

  private constructor(
    readonly dir: string,
    keys: Set<string>,
  ) {
    this.#keys = keys;
  }

  /** Opens (creating if needed) `<dataDir>/audit/` and reads back the keys already written. */
  static async open(dataDir: string): Promise<AuditFileSink> {
    const dir = join(dataDir, AUDIT_DIR_NAME);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const keys = new Set<string>();
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.jsonl')).sort()) {
      const file = join(dir, name);
      const text = await readFile(file, 'utf8');
      for (const line of text.split('\n')) {
        const key = keyOfLine(line);
        if (key !== undefined) keys.add(key);
      }
      // a line torn by a crash must not swallow the next one
      if (text.length > 0 && !text.endsWith('\n')) await appendFile(file, '\n');
    }
    return new AuditFileSink(dir, keys);
  }

  write(entries: readonly AuditSinkEntry[]): Promise<void> {
    const run = this.#queue.then(async () => {
      for (const entry of entries) {
        if (this.#keys.has(entry.key)) continue;
        await appendFile(join(this.dir, `${entryDay(entry)}.jsonl`), `${JSON.stringify(entry)}\n`, {
          mode: 0o600,
        });
        this.#keys.add(entry.key);
      }
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** How many distinct entries the directory holds. */
  get size(): number {
    return this.#keys.size;
  }
}

function keyOfLine(line: string): string | undefined {
  if (line.trim() === '') return undefined;
  try {
    const key = (JSON.parse(line) as { key?: unknown }).key;
    return typeof key === 'string' ? key : undefined;
  } catch {
    return undefined; // a torn line: its entry is written again on redelivery
  }
}

/**
 * The local stand-in for the EventBridge publisher: one log line per event that would have
 * been put on the bus (detail-type and ids only).
 */
export class LoggedEventPublisher implements AuditSink {
  constructor(private readonly logger: Logger) {}

  async write(entries: readonly AuditSinkEntry[]): Promise<void> {
    for (const entry of entries) {
      const detailType = entry.kind === 'audit_event' ? entry.event.type : entry.kind;
      const requestId = entry.kind === 'audit_event' ? entry.event.requestId : entry.requestId;
      const seq = entry.kind === 'audit_event' ? entry.event.seq : entry.seq;
      this.logger.info(`event bus (local): jitvend ${detailType}`, { requestId, seq });
    }
  }
}
