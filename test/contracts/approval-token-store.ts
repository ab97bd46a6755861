/** The contract of the ApprovalTokenStore port, run against the DynamoDB adapter and the in-memory fake. */
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ApprovalTokenRecord, ApprovalTokenStore } from '../../shared/domain/ports.ts';

function record(overrides: Partial<ApprovalTokenRecord> = {}): ApprovalTokenRecord {
  return {
    tokenHash: randomBytes(32).toString('hex'),
    requestId: randomUUID(),
    person: 'alice',
    expiresAt: '2099-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function approvalTokenStoreContract(
  make: () => Promise<ApprovalTokenStore> | ApprovalTokenStore,
): void {
  describe('approval tokens', () => {
    it('reads a saved record back by its hash, unused', async () => {
      const store = await make();
      const saved = record();
      await store.saveApprovalToken(saved);
      expect(await store.getApprovalToken(saved.tokenHash)).toEqual(saved);
    });

    it('answers undefined for a hash it never saw', async () => {
      const store = await make();
      expect(await store.getApprovalToken(randomBytes(32).toString('hex'))).toBeUndefined();
    });

    it('refuses to save a hash twice (a token is issued once)', async () => {
      const store = await make();
      const saved = record();
      await store.saveApprovalToken(saved);
      await expect(store.saveApprovalToken({ ...saved, person: 'bob' })).rejects.toThrow();
      expect((await store.getApprovalToken(saved.tokenHash))?.person).toBe('alice');
    });

    it('spends a token once: the first use says true and records when, every later use says false', async () => {
      const store = await make();
      const saved = record();
      await store.saveApprovalToken(saved);
      expect(await store.useApprovalToken(saved.tokenHash, '2030-01-01T12:00:00.000Z')).toBe(true);
      expect(await store.useApprovalToken(saved.tokenHash, '2030-01-01T12:01:00.000Z')).toBe(false);
      expect(await store.getApprovalToken(saved.tokenHash)).toEqual({
        ...saved,
        usedAt: '2030-01-01T12:00:00.000Z',
      });
    });

    it('never spends a token it does not hold', async () => {
      const store = await make();
      const hash = randomBytes(32).toString('hex');
      expect(await store.useApprovalToken(hash, '2030-01-01T12:00:00.000Z')).toBe(false);
      expect(await store.getApprovalToken(hash)).toBeUndefined();
    });

    it('lets exactly one of 10 racing uses spend it', async () => {
      const store = await make();
      const saved = record();
      await store.saveApprovalToken(saved);
      const uses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.useApprovalToken(saved.tokenHash, `2030-01-01T12:00:0${i}.000Z`),
        ),
      );
      expect(uses.filter(Boolean)).toHaveLength(1);
    });
  });
}
