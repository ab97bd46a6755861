/**
 * Optimistic concurrency: every change of a request (and every audit event, whose chain
 * head lives on the request) is a conditional write, so a busy request makes writers lose
 * races. A loser re-reads and tries again after a short random pause, spreading retries.
 */
export const MAX_CONFLICT_ATTEMPTS = 25;

export function pauseAfterConflict(attempt: number): Promise<void> {
  const ceiling = Math.min(100, 4 * 2 ** Math.min(attempt, 5));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
