/**
 * Everything a use case may ask for, made of fakes: the store fakes (test/fakes/*-store.ts,
 * checked by the same contract suites as the DynamoDB adapter) and recording fakes of the
 * other ports. Each test takes the fakes it asserts on from the returned object.
 */
import { loadConfig } from '../../shared/config.ts';
import type { Deps } from '../../shared/domain/deps.ts';
import type { JitvendConfig } from '../../shared/domain/profile.ts';
import { at } from '../helpers/requests.ts';
import { InMemoryApprovalTokenStore } from './approval-token-store.ts';
import {
  FakeClock,
  FakeIssuer,
  ListedUsage,
  quietWatcher,
  RecordingCallback,
  RecordingNotifier,
  RecordingRevoker,
  RecordingWorkflow,
  storeOf,
  TransparentVault,
} from './ports.ts';
import { InMemoryRequestRepository } from './request-repository.ts';
import { InMemoryTaskTokenStore } from './task-token-store.ts';

/** the sample config (jitvend.config.yaml): orders-it (1 of alice/bob, auto rule), payments-it (2 of alice/bob/carol) */
export const SAMPLE_CONFIG: JitvendConfig = loadConfig('jitvend.config.yaml');

export function fakeDeps(options: { config?: JitvendConfig; now?: string } = {}) {
  const requests = new InMemoryRequestRepository();
  const taskTokens = new InMemoryTaskTokenStore();
  const approvalTokens = new InMemoryApprovalTokenStore();
  const clock = new FakeClock(options.now ?? at(200));
  const callback = new RecordingCallback();
  const revoker = new RecordingRevoker();
  const notifier = new RecordingNotifier();
  const workflow = new RecordingWorkflow();
  const issuer = new FakeIssuer(clock);
  const vault = new TransparentVault();
  const usage = new ListedUsage();
  let ids = 0;
  const deps: Deps = {
    config: options.config ?? SAMPLE_CONFIG,
    store: storeOf(requests, taskTokens, approvalTokens),
    workflow,
    callback,
    notifier,
    revoker,
    issuer,
    vault,
    watcher: quietWatcher,
    usage,
    clock,
    newId: () => `00000000-0000-4000-8000-${String(++ids).padStart(12, '0')}`,
  };
  return {
    deps,
    requests,
    taskTokens,
    approvalTokens,
    clock,
    callback,
    revoker,
    notifier,
    workflow,
    issuer,
    vault,
    usage,
  };
}
