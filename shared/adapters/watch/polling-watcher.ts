import type { Clock, RequestStore, RequestWatcher } from '../../domain/ports.ts';
import { systemClock } from '../../domain/ports.ts';
import type { AccessRequest } from '../../domain/types.ts';

/**
 * Long-poll support on AWS, where writers run in other Lambdas: re-reads the request
 * (one consistent GetItem) every `intervalMs` until its version changes or time is up.
 */
export class PollingWatcher implements RequestWatcher {
  constructor(
    private readonly store: RequestStore,
    private readonly intervalMs = 1000,
    private readonly clock: Clock = systemClock,
  ) {}

  async waitForChange(id: string, version: number, timeoutMs: number): Promise<AccessRequest | undefined> {
    const deadline = this.clock.now().getTime() + timeoutMs;
    for (;;) {
      const left = deadline - this.clock.now().getTime();
      if (left <= 0) return undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.intervalMs, left)));
      const current = await this.store.get(id);
      if (current && current.version !== version) return current;
    }
  }
}
