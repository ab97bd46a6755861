/** In-memory TaskTokenStore, checked by the contract suite of test/contracts/task-token-store.ts. */
import type { TaskTokenStore } from '../../shared/domain/ports.ts';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export class InMemoryTaskTokenStore implements TaskTokenStore {
  readonly #tokens = new Map<string, { taskToken: string; expiresAt: string }>();

  async saveTaskToken(id: string, taskToken: string, expiresAt: string): Promise<void> {
    await tick();
    this.#tokens.set(id, { taskToken, expiresAt });
  }

  async takeTaskToken(id: string): Promise<string | undefined> {
    await tick();
    // no await between the read and the delete: of racing takers exactly one gets it
    const stored = this.#tokens.get(id);
    this.#tokens.delete(id);
    return stored?.taskToken;
  }

  /** Inspection (no port), as on the DynamoDB adapter: the token stored, without taking it. */
  async getTaskToken(id: string): Promise<string | undefined> {
    return this.#tokens.get(id)?.taskToken;
  }
}
