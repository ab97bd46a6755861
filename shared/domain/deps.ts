import type {
  Clock,
  CredentialIssuer,
  CredentialVault,
  RequestStore,
  RequestWatcher,
  Workflow,
} from './ports.ts';
import type { JitvendConfig } from './profile.ts';

/** What the use cases need: ports only. The AWS runtime and the local stack each wire their adapters. */
export interface Deps {
  config: JitvendConfig;
  store: RequestStore;
  workflow: Workflow;
  issuer: CredentialIssuer;
  vault: CredentialVault;
  watcher: RequestWatcher;
  clock: Clock;
  newId(): string;
}
