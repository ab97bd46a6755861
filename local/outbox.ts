/**
 * The local outbox: every Slack message and email the local stack would have sent,
 * newest last, kept in `<dataDir>/outbox.jsonl` so a restart keeps it too.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OutboxMessage {
  channel: 'slack' | 'email';
  /** Slack user id or email address */
  to: string;
  requestId: string;
  text: string;
  /** absolute links in the message (email approval links) */
  links?: string[];
  at: string;
  /** e.g. Slack blocks or the email subject and HTML, for the local page */
  extra?: Record<string, unknown>;
}

export class Outbox {
  private readonly messages: OutboxMessage[] = [];
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'outbox.jsonl');
    if (existsSync(this.file)) {
      for (const line of readFileSync(this.file, 'utf8').split('\n')) {
        if (line.trim() !== '') this.messages.push(JSON.parse(line) as OutboxMessage);
      }
    }
  }

  add(message: OutboxMessage): void {
    this.messages.push(message);
    appendFileSync(this.file, `${JSON.stringify(message)}\n`, { mode: 0o600 });
  }

  list(): OutboxMessage[] {
    return [...this.messages];
  }
}
