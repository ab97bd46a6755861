import type {
  ApprovalNotifier,
  Clock,
  CredentialIssuer,
  CredentialVault,
  RequestStore,
  RequestWatcher,
  SessionRevoker,
  UsageSource,
  Workflow,
} from './ports.ts';
import type { JitvendConfig } from './profile.ts';
import type { WorkflowTaskCallback } from './workflow-contract.ts';

/** What the use cases need: ports only. The AWS runtime and the local stack each wire their adapters. */
export interface Deps {
  config: JitvendConfig;
  /** requests and their audit, task tokens, approval tokens (one table holds the three ports) */
  store: RequestStore;
  workflow: Workflow;
  /** resumes the workflow's AwaitApproval task when a decision is taken */
  callback: WorkflowTaskCallback;
  notifier: ApprovalNotifier;
  revoker: SessionRevoker;
  issuer: CredentialIssuer;
  vault: CredentialVault;
  watcher: RequestWatcher;
  /** CloudTrail records of issued sessions (GET /requests/{id}/usage) */
  usage: UsageSource;
  clock: Clock;
  newId(): string;
}

/**
 * What one use case takes: the named members of Deps, and `store` narrowed to the store
 * ports (or their methods) it uses, so a test hands it exactly those (test/fakes).
 */
export type DepsWith<K extends Exclude<keyof Deps, 'store'>, S = never> = Pick<Deps, K> &
  ([S] extends [never] ? unknown : { store: S });
