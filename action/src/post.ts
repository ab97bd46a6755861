/**
 * The action's post step (runs with `post-if: always()`: after success, failure and
 * cancellation alike). A request still waiting is cancelled, so approvers are not asked
 * for a job that is gone; an issued one is released (unless `release: false`), so its
 * credentials stop working now rather than at expiry. A job leaves nothing open.
 */
import { rm } from 'node:fs/promises';
import * as core from '@actions/core';
import type { RequestView } from '../../cli/api-types.ts';
import { ApiError, CliError } from '../../cli/errors.ts';
import { sanitize } from '../../cli/format.ts';
import { actionClient, actionIo, type WatchedClient } from './client.ts';
import { readInputs } from './inputs.ts';
import { STATE_PROFILE_DIR, STATE_REQUEST_ID } from './state.ts';

/** The post step; a failure to end the request fails it (the credentials would stay valid). */
export async function run(): Promise<void> {
  try {
    await endRequest();
  } catch (error) {
    const message =
      error instanceof CliError
        ? error.message
        : error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error);
    core.setFailed(`jitvend: could not end the request: ${sanitize(message)}`);
  } finally {
    await removeProfile();
  }
}

/** The renewing profile's directory (its cache holds a session): gone with the job. */
async function removeProfile(): Promise<void> {
  const dir = core.getState(STATE_PROFILE_DIR);
  if (!dir) return;
  await rm(dir, { recursive: true, force: true }).catch((error: unknown) =>
    core.warning(`jitvend: could not delete ${sanitize(dir)}: ${sanitize(String(error))}`),
  );
}

async function endRequest(): Promise<void> {
  const id = core.getState(STATE_REQUEST_ID);
  if (!id) {
    core.info('jitvend: no request was made in this job: nothing to end');
    return;
  }
  const inputs = readInputs((name) => core.getInput(name));
  const client = actionClient(inputs.api, inputs.audience, actionIo());
  const view = await client.getRequest(id);
  const ended = await end(client, view, inputs.release);
  core.info(`jitvend: request ${sanitize(id)}: ${ended}`);
}

async function end(client: WatchedClient, view: RequestView, release: boolean): Promise<string> {
  switch (view.status) {
    case 'pending_approval':
    case 'approved':
      try {
        const cancelled = await client.cancel(view.id);
        return `${cancelled.status} (the job ended before it was issued)`;
      } catch (error) {
        // issued in the meantime: then it is released like any issued request
        if (!(error instanceof ApiError && error.status === 409)) throw error;
        return end(client, await client.getRequest(view.id), release);
      }
    case 'issued': {
      if (!release) return `left issued until ${view.expiresAt ?? 'it expires'} (release: false)`;
      const released = await client.release(view.id);
      return `${released.status}: its credentials are denied from now on`;
    }
    default:
      return `already ${view.status}: nothing to end`;
  }
}
