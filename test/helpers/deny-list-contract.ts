/**
 * The DenyListStore contract, run against the in-memory fake (test/unit/revocation.test.ts)
 * and the DynamoDB adapter on DynamoDB Local (test/security/aws-path.test.ts): what the IAM
 * adapter relies on to never lose a deny between racing writers.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { DenyList, DenyListStore } from '../../shared/domain/revocation.ts';

export function denyListStoreContract(name: string, make: () => DenyListStore): void {
  describe(`DenyListStore contract: ${name}`, () => {
    const role = () => `arn:aws:iam::123456789012:role/contract-${randomUUID()}`;
    const list = (version: number, ids: string[], shardLimit?: number): DenyList => ({
      version,
      entries: ids.map((id, i) => ({
        sourceIdentity: `jitvend-${id}`,
        until: '2026-11-24T10:20:00Z',
        shard: i % 3,
      })),
      ...(shardLimit !== undefined ? { shardLimit } : {}),
    });

    it('has no list for a role never written', async () => {
      expect(await make().get(role())).toBeUndefined();
    });

    it('writes the first version only where none is stored, and reads back exactly what was written', async () => {
      const store = make();
      const arn = role();
      expect(await store.put(arn, list(1, ['a', 'b'], 4), 0)).toBe(true);
      expect(await store.get(arn)).toEqual(list(1, ['a', 'b'], 4));
      // a second "first" writer loses
      expect(await store.put(arn, list(1, ['c']), 0)).toBe(false);
      expect(await store.get(arn)).toEqual(list(1, ['a', 'b'], 4));
    });

    it('writes a next version only over the version it read: of two racing writers exactly one wins', async () => {
      const store = make();
      const arn = role();
      await store.put(arn, list(1, ['a']), 0);
      const results = await Promise.all([
        store.put(arn, list(2, ['a', 'b']), 1),
        store.put(arn, list(2, ['a', 'c']), 1),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      const stored = await store.get(arn);
      expect(stored?.version).toBe(2);
      expect(stored?.entries).toHaveLength(2);
      expect(await store.put(arn, list(3, []), 1)).toBe(false);
      expect(await store.put(arn, list(3, []), 2)).toBe(true);
      expect(await store.get(arn)).toEqual(list(3, []));
    });

    it('keeps a thousand entries of one role (about 70 KB), and roles apart', async () => {
      const store = make();
      const [a, b] = [role(), role()];
      const ids = Array.from({ length: 1_000 }, () => randomUUID());
      expect(await store.put(a, list(1, ids), 0)).toBe(true);
      expect(await store.put(b, list(1, ['x']), 0)).toBe(true);
      expect((await store.get(a))?.entries).toEqual(list(1, ids).entries);
      expect((await store.get(b))?.entries).toHaveLength(1);
    });
  });
}
