/**
 * Recording fakes of the domain's other ports, for use-case unit tests: each does the least a
 * real one does and records what it was asked, so a test asserts what a use case did.
 */
import type {
  ApprovalNotifier,
  AssumeRoleInput,
  Clock,
  CredentialIssuer,
  CredentialVault,
  RequestStore,
  RequestWatcher,
  SealedCredentials,
  SessionRevoker,
  UsageSource,
  Workflow,
} from '../../shared/domain/ports.ts';
import type { Person } from '../../shared/domain/profile.ts';
import type { AccessRequest, IssuedCredentials } from '../../shared/domain/types.ts';
import type { UsageEvents, UsageWindow } from '../../shared/domain/usage/session-records.ts';
import type { ApprovalOutput, WorkflowTaskCallback } from '../../shared/domain/workflow-contract.ts';
import type { InMemoryApprovalTokenStore } from './approval-token-store.ts';
import type { InMemoryRequestRepository } from './request-repository.ts';
import type { InMemoryTaskTokenStore } from './task-token-store.ts';

/** A clock that moves only when told. */
export class FakeClock implements Clock {
  #now: number;
  constructor(start: string | number) {
    this.#now = typeof start === 'string' ? Date.parse(start) : start;
  }
  now(): Date {
    return new Date(this.#now);
  }
  set(iso: string): void {
    this.#now = Date.parse(iso);
  }
  advance(seconds: number): void {
    this.#now += seconds * 1000;
  }
}

/** The workflow's task callback: records what was sent; `waiting` false = the task stopped waiting. */
export class RecordingCallback implements WorkflowTaskCallback {
  readonly successes: Array<{ taskToken: string; output: ApprovalOutput }> = [];
  readonly failures: Array<{ taskToken: string; error: string }> = [];
  waiting = true;
  async sendTaskSuccess(taskToken: string, output: ApprovalOutput): Promise<boolean> {
    this.successes.push({ taskToken, output });
    return this.waiting;
  }
  async sendTaskFailure(taskToken: string, error: string): Promise<boolean> {
    this.failures.push({ taskToken, error });
    return this.waiting;
  }
}

export class RecordingRevoker implements SessionRevoker {
  readonly revoked: Array<{ roleArn: string; sourceIdentity: string; expiresAt: string }> = [];
  readonly released: Array<{ roleArn: string; sourceIdentity: string }> = [];
  async revoke(input: { roleArn: string; sourceIdentity: string; expiresAt: string }): Promise<void> {
    this.revoked.push(input);
  }
  async release(input: { roleArn: string; sourceIdentity: string }): Promise<void> {
    this.released.push(input);
  }
}

export class RecordingNotifier implements ApprovalNotifier {
  readonly asked: Array<{ requestId: string; approvers: string[] }> = [];
  readonly ended: Array<{ requestId: string; approvers: string[] }> = [];
  readonly reused: Array<{ originalId: string; requestId: string; jobs: number; approvers: string[] }> = [];
  /** what requestEnded answers; an Error makes it fail */
  endedAnswer: Record<string, string> | Error = { email: 'sent' };
  async requestApproval(request: AccessRequest, approvers: Person[]): Promise<Record<string, string>> {
    this.asked.push({ requestId: request.id, approvers: approvers.map((p) => p.name) });
    return { email: 'sent' };
  }
  async requestEnded(request: AccessRequest, approvers: Person[]): Promise<Record<string, string>> {
    this.ended.push({ requestId: request.id, approvers: approvers.map((p) => p.name) });
    if (this.endedAnswer instanceof Error) throw this.endedAnswer;
    return this.endedAnswer;
  }
  async approvalReused(
    original: AccessRequest,
    request: AccessRequest,
    jobs: number,
    approvers: Person[],
  ): Promise<Record<string, string>> {
    this.reused.push({
      originalId: original.id,
      requestId: request.id,
      jobs,
      approvers: approvers.map((p) => p.name),
    });
    return { slack: 'sent' };
  }
}

export class RecordingWorkflow implements Workflow {
  readonly started: string[] = [];
  async start(request: AccessRequest): Promise<void> {
    this.started.push(request.id);
  }
}

/** Not a cipher: a vault fake that "seals" by encoding, so tests can see what went in. */
export class TransparentVault implements CredentialVault {
  async seal(requestId: string, credentials: IssuedCredentials): Promise<SealedCredentials> {
    return {
      ciphertext: Buffer.from(JSON.stringify({ requestId, credentials })).toString('base64'),
      expiration: credentials.expiration,
    };
  }
  async open(requestId: string, sealed: SealedCredentials): Promise<IssuedCredentials> {
    const opened = JSON.parse(Buffer.from(sealed.ciphertext, 'base64').toString('utf8')) as {
      requestId: string;
      credentials: IssuedCredentials;
    };
    if (opened.requestId !== requestId) throw new Error('sealed for another request');
    return opened.credentials;
  }
}

/** Issues made-up credentials that expire `durationSeconds` after the clock's now. */
export class FakeIssuer implements CredentialIssuer {
  readonly calls: AssumeRoleInput[] = [];
  constructor(private readonly clock: Clock) {}
  async assumeRole(input: AssumeRoleInput): Promise<IssuedCredentials> {
    this.calls.push(input);
    return {
      accessKeyId: 'ASIAFAKEFAKEFAKE',
      secretAccessKey: 'fake-secret',
      sessionToken: 'fake-session-token',
      expiration: new Date(this.clock.now().getTime() + input.durationSeconds * 1000).toISOString(),
    };
  }
}

/** Nothing ever changes while a long-poll waits. */
export const quietWatcher: RequestWatcher = { waitForChange: async () => undefined };

/** Usage records from a fixed list. */
export class ListedUsage implements UsageSource {
  readonly asked: Array<{ sourceIdentity: string; window: UsageWindow }> = [];
  constructor(private readonly found: UsageEvents = { events: [], truncated: false, source: 'listed' }) {}
  async eventsFor(sourceIdentity: string, window: UsageWindow): Promise<UsageEvents> {
    this.asked.push({ sourceIdentity, window });
    return this.found;
  }
}

/** The one `store` a runtime wires, made of the three store fakes (as one table holds the three). */
export function storeOf(
  requests: InMemoryRequestRepository,
  taskTokens: InMemoryTaskTokenStore,
  approvalTokens: InMemoryApprovalTokenStore,
): RequestStore {
  return {
    create: (...args) => requests.create(...args),
    get: (id) => requests.get(id),
    listRun: (run) => requests.listRun(run),
    commit: (...args) => requests.commit(...args),
    list: (query) => requests.list(query),
    listAudit: (id) => requests.listAudit(id),
    getWithCredentials: (id) => requests.getWithCredentials(id),
    saveTaskToken: (...args) => taskTokens.saveTaskToken(...args),
    takeTaskToken: (id) => taskTokens.takeTaskToken(id),
    saveApprovalToken: (record) => approvalTokens.saveApprovalToken(record),
    getApprovalToken: (hash) => approvalTokens.getApprovalToken(hash),
    useApprovalToken: (hash, usedAt) => approvalTokens.useApprovalToken(hash, usedAt),
  };
}
