/** In-memory ApprovalTokenStore, checked by the contract suite of test/contracts/approval-token-store.ts. */
import type { ApprovalTokenRecord, ApprovalTokenStore } from '../../shared/domain/ports.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InMemoryApprovalTokenStore implements ApprovalTokenStore {
  readonly #records = new Map<string, ApprovalTokenRecord>();

  async saveApprovalToken(record: ApprovalTokenRecord): Promise<void> {
    await tick();
    if (this.#records.has(record.tokenHash))
      throw new Error('an approval token with this hash is stored already');
    this.#records.set(record.tokenHash, { ...record });
  }

  async getApprovalToken(tokenHash: string): Promise<ApprovalTokenRecord | undefined> {
    await tick();
    const record = this.#records.get(tokenHash);
    return record ? { ...record } : undefined;
  }

  async useApprovalToken(tokenHash: string, usedAt: string): Promise<boolean> {
    await tick();
    const record = this.#records.get(tokenHash);
    if (!record || record.usedAt !== undefined) return false;
    record.usedAt = usedAt;
    return true;
  }
}
