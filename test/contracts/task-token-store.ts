/** The contract of the TaskTokenStore port, run against the DynamoDB adapter and the in-memory fake. */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { TaskTokenStore } from '../../shared/domain/ports.ts';

const LATER = '2099-01-01T00:00:00.000Z';

export function taskTokenStoreContract(make: () => Promise<TaskTokenStore> | TaskTokenStore): void {
  describe('task tokens', () => {
    it('gives a saved token to the one who takes it, then nothing', async () => {
      const store = await make();
      const id = randomUUID();
      await store.saveTaskToken(id, 'token-1', LATER);
      expect(await store.takeTaskToken(id)).toBe('token-1');
      expect(await store.takeTaskToken(id)).toBeUndefined();
    });

    it('answers undefined for a request with no token', async () => {
      const store = await make();
      expect(await store.takeTaskToken(randomUUID())).toBeUndefined();
    });

    it('keeps the newest token when one is saved again (a retried AwaitApproval)', async () => {
      const store = await make();
      const id = randomUUID();
      await store.saveTaskToken(id, 'token-1', LATER);
      await store.saveTaskToken(id, 'token-2', LATER);
      expect(await store.takeTaskToken(id)).toBe('token-2');
    });

    it('gives the token to exactly one of 10 racing takers', async () => {
      const store = await make();
      const id = randomUUID();
      await store.saveTaskToken(id, 'token-1', LATER);
      const taken = await Promise.all(Array.from({ length: 10 }, () => store.takeTaskToken(id)));
      expect(taken.filter((t) => t !== undefined)).toEqual(['token-1']);
    });

    it('keeps tokens of different requests apart', async () => {
      const store = await make();
      const [a, b] = [randomUUID(), randomUUID()];
      await store.saveTaskToken(a, 'token-a', LATER);
      await store.saveTaskToken(b, 'token-b', LATER);
      expect(await store.takeTaskToken(b)).toBe('token-b');
      expect(await store.takeTaskToken(a)).toBe('token-a');
    });
  });
}
