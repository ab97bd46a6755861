/**
 * An in-memory DenyListStore (a fake of our own port, for unit tests): the same atomic
 * add/extend/remove and per-shard character counts as the DynamoDB adapter, which the shared
 * contract (test/helpers/deny-list-contract.ts) holds to the same behaviour.
 */
import {
  type DenyEntry,
  type DenyList,
  type DenyListStore,
  entryChars,
} from '../../shared/domain/revocation.ts';

export class InMemoryDenyListStore implements DenyListStore {
  private readonly lists = new Map<string, DenyList>();

  async get(roleArn: string): Promise<DenyList | undefined> {
    const list = this.lists.get(roleArn);
    return list ? copy(list) : undefined;
  }

  async add(roleArn: string, entry: DenyEntry, room: number): Promise<DenyList | undefined> {
    const list = this.lists.get(roleArn) ?? { version: 0, entries: [] };
    if (list.entries.some((e) => e.sourceIdentity === entry.sourceIdentity)) return undefined;
    if (list.shardLimit !== undefined && entry.shard >= list.shardLimit) return undefined;
    const used = list.entries
      .filter((e) => e.shard === entry.shard)
      .reduce((n, e) => n + entryChars(e.sourceIdentity), 0);
    if (used + entryChars(entry.sourceIdentity) > room) return undefined;
    return this.save(roleArn, {
      ...list,
      version: list.version + 1,
      entries: [...list.entries, { ...entry }],
    });
  }

  async extend(roleArn: string, entry: DenyEntry): Promise<DenyList | undefined> {
    const list = this.lists.get(roleArn);
    const current = list?.entries.find((e) => e.sourceIdentity === entry.sourceIdentity);
    if (!list || !current) return undefined;
    const entries = list.entries.map((e) => (e === current ? { ...current, until: entry.until } : e));
    return this.save(roleArn, { ...list, version: list.version + 1, entries });
  }

  async remove(roleArn: string, entries: readonly DenyEntry[]): Promise<DenyList | undefined> {
    const list = this.lists.get(roleArn);
    const gone = new Set(entries.map((e) => e.sourceIdentity));
    if (!list || list.entries.filter((e) => gone.has(e.sourceIdentity)).length !== gone.size)
      return undefined;
    return this.save(roleArn, {
      ...list,
      version: list.version + 1,
      entries: list.entries.filter((e) => !gone.has(e.sourceIdentity)),
    });
  }

  async limitShards(roleArn: string, shard: number): Promise<void> {
    const list = this.lists.get(roleArn) ?? { version: 0, entries: [] };
    this.save(roleArn, {
      ...list,
      version: list.version + 1,
      shardLimit: Math.min(shard, list.shardLimit ?? shard),
    });
  }

  private save(roleArn: string, list: DenyList): DenyList {
    this.lists.set(roleArn, list);
    return copy(list);
  }
}

function copy(list: DenyList): DenyList {
  return { ...list, entries: list.entries.map((e) => ({ ...e })) };
}
