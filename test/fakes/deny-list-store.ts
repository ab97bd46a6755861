/**
 * An in-memory DenyListStore (a fake of our own port, for unit tests): the same conditional
 * write on the version as the DynamoDB adapter, which test/integration/deny-list-store.test.ts
 * holds to the same contract.
 */
import type { DenyList, DenyListStore } from '../../shared/domain/revocation.ts';

export class InMemoryDenyListStore implements DenyListStore {
  readonly lists = new Map<string, DenyList>();

  async get(roleArn: string): Promise<DenyList | undefined> {
    const list = this.lists.get(roleArn);
    return list ? copy(list) : undefined;
  }

  async put(roleArn: string, next: DenyList, expectedVersion: number): Promise<boolean> {
    const current = this.lists.get(roleArn)?.version ?? 0;
    if (current !== expectedVersion) return false;
    this.lists.set(roleArn, copy(next));
    return true;
  }
}

function copy(list: DenyList): DenyList {
  return { ...list, entries: list.entries.map((e) => ({ ...e })) };
}
