import type { ApiClient } from './api-client.ts';
import { MAX_WAIT_SECONDS } from './api-client.ts';
import type { RequestView } from './api-types.ts';
import { CliError, ExitCode, isFailedEnd, RequestEndedError } from './errors.ts';
import { approvalsSoFar, describeStatus, formatDuration } from './format.ts';
import type { CliIo } from './io.ts';
import { StatusLine } from './status-line.ts';

/** A long poll that came back sooner than this with nothing new is followed by a pause. */
const EARLY_ANSWER_MS = 1_000;
const PAUSE_AFTER_EARLY_ANSWER_MS = 2_000;

export interface WaitOptions {
  io: Pick<CliIo, 'now' | 'sleep' | 'stderr' | 'signal'>;
  /** give up (exit 6) after this long; the API's approval deadline applies anyway */
  waitTimeoutSeconds?: number;
}

/**
 * Follows a request with long-poll GETs (`waitSeconds=20`) until it is issued, showing the
 * status line. Throws RequestEndedError when it ends without credentials.
 */
export async function waitUntilIssued(
  client: ApiClient,
  first: RequestView,
  options: WaitOptions,
): Promise<RequestView> {
  const { io } = options;
  const started = io.now();
  const deadline =
    options.waitTimeoutSeconds === undefined ? undefined : started + options.waitTimeoutSeconds * 1000;
  const line = new StatusLine(io.stderr, `jitvend: ${first.id}: `);
  let view = first;
  try {
    for (;;) {
      const current = view;
      line.show(stateKey(current), () => describeStatus(current, io.now()));
      if (view.status === 'issued') return view;
      if (isFailedEnd(view.status)) throw new RequestEndedError(view.id, view.status, view.statusReason);
      let waitSeconds = MAX_WAIT_SECONDS;
      if (deadline !== undefined) {
        const left = deadline - io.now();
        if (left <= 0)
          throw new CliError(
            `request ${view.id} still ${view.status} after ${formatDuration(options.waitTimeoutSeconds ?? 0)} (--wait-timeout)`,
            ExitCode.waitTimeout,
          );
        waitSeconds = Math.min(MAX_WAIT_SECONDS, Math.max(1, Math.ceil(left / 1000)));
      }
      const asked = io.now();
      const next = await client.getRequest(view.id, waitSeconds);
      // a server (or proxy) that does not hold long polls must not turn this into a busy loop
      if (stateKey(next) === stateKey(view) && io.now() - asked < EARLY_ANSWER_MS)
        await io.sleep(PAUSE_AFTER_EARLY_ANSWER_MS, io.signal);
      view = next;
    }
  } finally {
    line.close();
  }
}

/** What makes the status line worth printing again in a log. */
function stateKey(view: RequestView): string {
  return `${view.status}/${approvalsSoFar(view)}/${view.approvals?.length ?? 0}`;
}
