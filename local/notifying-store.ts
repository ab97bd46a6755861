/**
 * Local-only long-poll support: the local stack runs every writer in this process, so a
 * store decorator can announce each change and waiting GETs wake at once instead of polling.
 */
import { EventEmitter } from 'node:events';
import type {
  ApprovalTokenRecord,
  CommitOptions,
  IdempotencyOptions,
  ListQuery,
  RequestStore,
  RequestWatcher,
} from '../shared/domain/ports.ts';
import type { AccessRequest, AuditEvent } from '../shared/domain/types.ts';

export class NotifyingStore implements RequestStore {
  readonly changes = new EventEmitter();
  /** the newest version written through this store, per request (bounded: oldest forgotten first) */
  private readonly versions = new Map<string, AccessRequest>();
  constructor(
    private readonly inner: RequestStore,
    private readonly maxRemembered = 10_000,
  ) {
    this.changes.setMaxListeners(0);
  }

  /** The request as last written through this store, if remembered. */
  lastWritten(id: string): AccessRequest | undefined {
    return this.versions.get(id);
  }

  private announce(request: AccessRequest): void {
    this.versions.delete(request.id);
    this.versions.set(request.id, request);
    if (this.versions.size > this.maxRemembered) this.versions.delete(this.versions.keys().next().value!);
    this.changes.emit(request.id, request);
  }

  async create(
    request: AccessRequest,
    event: AuditEvent | readonly AuditEvent[],
    options?: IdempotencyOptions,
  ) {
    const result = await this.inner.create(request, event, options);
    if (result.created) this.announce(result.request);
    return result;
  }
  get(id: string) {
    return this.inner.get(id);
  }
  listRun(run: string) {
    return this.inner.listRun(run);
  }
  async commit(prev: AccessRequest, next: AccessRequest, event: AuditEvent, options?: CommitOptions) {
    await this.inner.commit(prev, next, event, options);
    this.announce(next);
  }
  list(query: ListQuery) {
    return this.inner.list(query);
  }
  listAudit(id: string) {
    return this.inner.listAudit(id);
  }
  getWithCredentials(id: string) {
    return this.inner.getWithCredentials(id);
  }
  saveTaskToken(id: string, taskToken: string, expiresAt: string) {
    return this.inner.saveTaskToken(id, taskToken, expiresAt);
  }
  takeTaskToken(id: string) {
    return this.inner.takeTaskToken(id);
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
    return new Promise<AccessRequest | undefined>((resolve) => {
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
      // a change may have landed between the caller's read and our subscription: every
      // write of this process goes through the store, which remembers the newest version
      const current = this.store.lastWritten(id);
      if (current && current.version > version) {
        done();
        resolve(current);
      }
    });
  }
}
