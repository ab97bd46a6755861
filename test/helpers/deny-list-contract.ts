/**
 * The DenyListStore contract, run against the in-memory fake (test/unit/revocation.test.ts)
 * and the DynamoDB adapter on DynamoDB Local (test/security/aws-path.test.ts): what the IAM
 * adapter relies on to never lose a deny between racing writers, and never list more in a
 * shard than its policy can hold.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DenyEntry, type DenyListStore, entryChars } from '../../shared/domain/revocation.ts';

export function denyListStoreContract(name: string, make: () => DenyListStore): void {
  describe(`DenyListStore contract: ${name}`, () => {
    const role = () => `arn:aws:iam::123456789012:role/contract-${randomUUID()}`;
    const UNTIL = '2026-11-24T10:20:00Z';
    const entry = (shard = 0, until = UNTIL): DenyEntry => ({
      sourceIdentity: `jitvend-${randomUUID()}`,
      until,
      shard,
    });
    const ROOM = 10_000;

    it('has no list for a role never written', async () => {
      expect(await make().get(role())).toBeUndefined();
    });

    it('adds a session, returns the whole list after the write, and reads back the same', async () => {
      const store = make();
      const arn = role();
      const [a, b] = [entry(0), entry(2)];
      expect(await store.add(arn, a, ROOM)).toEqual({ version: 1, entries: [a] });
      const after = await store.add(arn, b, ROOM);
      expect(after?.version).toBe(2);
      expect(after?.entries).toEqual(expect.arrayContaining([a, b]));
      expect(await store.get(arn)).toEqual(after);
    });

    it('refuses a session already listed (the caller re-reads and decides)', async () => {
      const store = make();
      const arn = role();
      const a = entry(0);
      await store.add(arn, a, ROOM);
      expect(await store.add(arn, { ...a, shard: 1 }, ROOM)).toBeUndefined();
      expect((await store.get(arn))?.entries).toEqual([a]);
    });

    it('never lets a shard count more than its room, also when twenty writers race for the last places', async () => {
      const store = make();
      const arn = role();
      const room = entryChars(entry().sourceIdentity) * 5;
      const racing = Array.from({ length: 20 }, () => entry(3));
      const results = await Promise.all(racing.map((e) => store.add(arn, e, room)));
      expect(results.filter(Boolean)).toHaveLength(5);
      const list = await store.get(arn);
      expect(list?.entries).toHaveLength(5);
      expect(list?.version).toBe(5);
      // another shard still has its own room
      expect(await store.add(arn, entry(4), room)).toBeDefined();
    });

    it('extends a listed session in place, and refuses to extend one not listed', async () => {
      const store = make();
      const arn = role();
      const a = entry(1);
      await store.add(arn, a, ROOM);
      const later = { ...a, until: '2026-11-24T11:20:00Z' };
      expect((await store.extend(arn, later))?.entries).toEqual([later]);
      expect(await store.extend(arn, entry(1))).toBeUndefined();
    });

    it('removes sessions and gives their room back; refuses (changing nothing) when one is already gone', async () => {
      const store = make();
      const arn = role();
      const room = entryChars(entry().sourceIdentity) * 2;
      const [a, b] = [entry(0), entry(0)];
      await store.add(arn, a, room);
      await store.add(arn, b, room);
      expect(await store.add(arn, entry(0), room)).toBeUndefined();
      expect(await store.remove(arn, [a, entry(0)])).toBeUndefined();
      expect((await store.get(arn))?.entries).toHaveLength(2);
      expect((await store.remove(arn, [a]))?.entries).toEqual([b]);
      expect(await store.add(arn, entry(0), room)).toBeDefined();
      // two removers racing for the same session: one wins
      const results = await Promise.all([store.remove(arn, [b]), store.remove(arn, [b])]);
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('removes a hundred sessions at once (more than one write of the store may take)', async () => {
      const store = make();
      const arn = role();
      const many = Array.from({ length: 100 }, () => entry(0));
      for (const e of many) await store.add(arn, e, 100_000);
      const kept = entry(0);
      await store.add(arn, kept, 100_000);
      expect((await store.remove(arn, many))?.entries).toEqual([kept]);
    });

    it('records a shard limit: no session is added from that shard on', async () => {
      const store = make();
      const arn = role();
      await store.limitShards(arn, 2);
      expect(await store.add(arn, entry(2), ROOM)).toBeUndefined();
      expect(await store.add(arn, entry(5), ROOM)).toBeUndefined();
      const ok = await store.add(arn, entry(1), ROOM);
      expect(ok?.shardLimit).toBe(2);
    });

    it('keeps a thousand sessions of one role, and roles apart', async () => {
      const store = make();
      const [a, b] = [role(), role()];
      const many = Array.from({ length: 1_000 }, (_, i) => entry(i % 9));
      for (let at = 0; at < many.length; at += 50)
        await Promise.all(many.slice(at, at + 50).map((e) => store.add(a, e, 100_000)));
      await store.add(b, entry(0), ROOM);
      const list = await store.get(a);
      expect(list?.entries).toHaveLength(1_000);
      expect(list?.entries).toEqual(expect.arrayContaining(many));
      expect((await store.get(b))?.entries).toHaveLength(1);
    });
  });
}
