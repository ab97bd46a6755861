/**
 * Optimistic concurrency: every change of a request (and every audit event, whose chain
 * head lives on the request) is a conditional write, so a busy request makes writers lose
 * races. A loser re-reads and tries again after a short random pause, spreading retries.
 * The domain's loop is use-cases/update-request.ts; adapters with conditional writes of
 * their own (the deny list) pause the same way.
 */
export const MAX_CONFLICT_ATTEMPTS = 25;

/** The jittered pause before attempt `attempt` (1, 2, ...): up to 8, 16, ... 100 ms. */
export function pauseAfterConflict(attempt: number): Promise<void> {
  const ceiling = Math.min(100, 4 * 2 ** Math.min(attempt, 5));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
