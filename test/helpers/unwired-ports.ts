/**
 * Every port of the domain's Deps as a stand-in that fails loudly when called: a handler test
 * passes the ports its handler uses and spreads these for the rest, typed, without casts. A
 * handler that starts using another port fails its test naming the port and method.
 */
import type { Deps } from '../../shared/domain/deps.ts';
import type { RequestStore } from '../../shared/domain/ports.ts';

function unwired(port: string, method: string): () => never {
  return () => {
    throw new Error(
      `this test wires no ${port}.${method}: the handler under test was not expected to call it`,
    );
  };
}

/** A RequestStore whose every method throws (spread it and override what the test serves). */
export function unwiredStore(): RequestStore {
  const no = (method: string) => unwired('store', method);
  return {
    create: no('create'),
    get: no('get'),
    commit: no('commit'),
    list: no('list'),
    listAudit: no('listAudit'),
    getCredentials: no('getCredentials'),
    getWithCredentials: no('getWithCredentials'),
    saveTaskToken: no('saveTaskToken'),
    getTaskToken: no('getTaskToken'),
    takeTaskToken: no('takeTaskToken'),
    saveApprovalToken: no('saveApprovalToken'),
    getApprovalToken: no('getApprovalToken'),
    useApprovalToken: no('useApprovalToken'),
  };
}

/** All of Deps unwired, config empty. */
export function unwiredDeps(): Deps {
  return {
    config: { people: {}, groups: {}, profiles: {} },
    store: unwiredStore(),
    workflow: { start: unwired('workflow', 'start') },
    callback: {
      sendTaskSuccess: unwired('callback', 'sendTaskSuccess'),
      sendTaskFailure: unwired('callback', 'sendTaskFailure'),
    },
    notifier: { requestApproval: unwired('notifier', 'requestApproval') },
    revoker: { revoke: unwired('revoker', 'revoke'), release: unwired('revoker', 'release') },
    issuer: { assumeRole: unwired('issuer', 'assumeRole') },
    vault: { seal: unwired('vault', 'seal'), open: unwired('vault', 'open') },
    watcher: { waitForChange: unwired('watcher', 'waitForChange') },
    usage: { eventsFor: unwired('usage', 'eventsFor') },
    clock: { now: unwired('clock', 'now') },
    newId: unwired('newId', 'call'),
  };
}
