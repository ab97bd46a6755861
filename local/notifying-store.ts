/**
 * Local-only long-poll support: the local stack runs every writer in this process, so a
 * store decorator can announce each change and waiting GETs wake at once instead of polling.
 */
import { EventEmitter } from 'node:events';
import type {
  ApprovalTokenRecord,
  CommitOptions,
  ListQuery,
  RequestStore,
  RequestWatcher,
} from '../shared/domain/ports.ts';
import type { AccessRequest, AuditEvent } from '../shared/domain/types.ts';

export class NotifyingStore implements RequestStore {
  readonly changes = new EventEmitter();
  constructor(private readonly inner: RequestStore) {
    this.changes.setMaxListeners(0);
  }

  async create(request: AccessRequest, event: AuditEvent, options?: { idempotencyKey?: string }) {
    const result = await this.inner.create(request, event, options);
    if (result.created) this.changes.emit(request.id, result.request);
    return result;
  }
  get(id: string) {
    return this.inner.get(id);
  }
  async commit(prev: AccessRequest, next: AccessRequest, event: AuditEvent, options?: CommitOptions) {
    await this.inner.commit(prev, next, event, options);
    this.changes.emit(next.id, next);
  }
  list(query: ListQuery) {
    return this.inner.list(query);
  }
  listAudit(id: string) {
    return this.inner.listAudit(id);
  }
  getCredentials(id: string) {
    return this.inner.getCredentials(id);
  }
  saveTaskToken(id: string, taskToken: string, expiresAt: string) {
    return this.inner.saveTaskToken(id, taskToken, expiresAt);
  }
  getTaskToken(id: string) {
    return this.inner.getTaskToken(id);
  }
  deleteTaskToken(id: string) {
    return this.inner.deleteTaskToken(id);
  }
  saveApprovalToken(record: ApprovalTokenRecord) {
    return this.inner.saveApprovalToken(record);
  }
  getApprovalToken(tokenHash: string) {
    return this.inner.getApprovalToken(tokenHash);
  }
  useApprovalToken(tokenHash: string, usedAt: string) {
    return this.inner.useApprovalToken(tokenHash, usedAt);
  }
}

/** Wakes long-polls from the NotifyingStore's announcements. */
export class EventWatcher implements RequestWatcher {
  constructor(private readonly store: NotifyingStore) {}

  async waitForChange(id: string, version: number, timeoutMs: number): Promise<AccessRequest | undefined> {
    const { changes } = this.store;
    return new Promise<AccessRequest | undefined>((resolve, reject) => {
      const onChange = (request: AccessRequest) => {
        if (request.version === version) return;
        done();
        resolve(request);
      };
      const timer = setTimeout(() => {
        done();
        resolve(undefined);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        changes.off(id, onChange);
      };
      changes.on(id, onChange);
      // a change may have landed between the caller's read and our subscription
      this.store.get(id).then(
        (current) => {
          if (current && current.version !== version) {
            done();
            resolve(current);
          }
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }
}
