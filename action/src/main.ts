/**
 * The action's main step: take the job's OIDC token, request, wait (with progress in the
 * log), mask, export, set outputs, write the job summary. The request id is saved as state
 * first thing, so the post step can end the request whatever happens after.
 */
import { randomUUID } from 'node:crypto';
import * as core from '@actions/core';
import { fetchCredentials } from '../../cli/commands/request.ts';
import { CliContext } from '../../cli/context.ts';
import { CliError, ExitCode } from '../../cli/errors.ts';
import { describeStatus, formatDuration, sanitize } from '../../cli/format.ts';
import { withWindowFallback } from '../../cli/manifest.ts';
import { waitUntilIssued } from '../../cli/wait.ts';
import { actionClient, actionIo } from './client.ts';
import { readInputs } from './inputs.ts';
import { requestBody } from './request-body.ts';
import { STATE_REQUEST_ID } from './state.ts';
import { jobSummary } from './summary.ts';

/** While waiting, the state is repeated this often even when it does not change (time left). */
const PROGRESS_EVERY_MS = 60_000;

/** The main step; failures are reported with `core.setFailed` (exit code as the CLI's). */
export async function run(): Promise<void> {
  try {
    await requestAndExport();
  } catch (error) {
    fail(error);
  }
}

async function requestAndExport(): Promise<void> {
  const inputs = readInputs((name) => core.getInput(name));
  const io = actionIo();
  const body = await requestBody(inputs, process.env, process.env.GITHUB_WORKSPACE || process.cwd());
  const client = actionClient(inputs.api, inputs.audience, io);

  const idempotencyKey = randomUUID();
  // a server without approval windows answers 400 to windowSeconds: sent again without it, with a warning
  const created = await withWindowFallback(
    body,
    (b) => client.createRequest(b, idempotencyKey),
    (message) => core.warning(`jitvend: ${message}`),
  );
  core.saveState(STATE_REQUEST_ID, created.id);
  core.setOutput('request-id', created.id);
  core.info(`jitvend: request ${sanitize(created.id)} created (profile ${sanitize(created.profile)})`);
  const windowSeconds = (created as { windowSeconds?: unknown }).windowSeconds;
  if (typeof windowSeconds === 'number' && windowSeconds > created.durationSeconds)
    core.warning(
      `jitvend: the approval lasts ${formatDuration(windowSeconds)}, but this action exports one session's credentials (${formatDuration(created.durationSeconds)}): renewal through a credential_process profile is not implemented yet (docs/pipelines.md)`,
    );

  const ticker = setInterval(() => {
    const view = client.last ?? created;
    core.info(`jitvend: ${sanitize(view.id)}: ${describeStatus(view, io.now())}`);
  }, PROGRESS_EVERY_MS);
  let issued: typeof created;
  try {
    issued = await waitUntilIssued(client, created, {
      io,
      ...(inputs.waitTimeoutSeconds === undefined ? {} : { waitTimeoutSeconds: inputs.waitTimeoutSeconds }),
    });
  } catch (error) {
    if (error instanceof CliError && error.exitCode === ExitCode.waitTimeout)
      throw new CliError(
        `request ${created.id} still undecided after ${formatDuration(inputs.waitTimeoutSeconds ?? 0)} (input wait-timeout); the post step cancels it`,
        ExitCode.waitTimeout,
      );
    throw error;
  } finally {
    clearInterval(ticker);
  }

  const credentials = await fetchCredentials(client, issued.id, new CliContext(io, {}));
  // masked before anything else is written: from here on the runner hides them in every log line
  core.setSecret(credentials.accessKeyId);
  core.setSecret(credentials.secretAccessKey);
  core.setSecret(credentials.sessionToken);

  core.exportVariable('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  core.exportVariable('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  core.exportVariable('AWS_SESSION_TOKEN', credentials.sessionToken);
  // read by the AWS SDKs' environment credential provider
  core.exportVariable('AWS_CREDENTIAL_EXPIRATION', credentials.expiration);
  core.setOutput('expiration', credentials.expiration);
  core.info(
    `jitvend: credentials for request ${sanitize(issued.id)} exported (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), valid until ${sanitize(credentials.expiration)}`,
  );
  if (!inputs.release)
    core.info('jitvend: release: false, the request stays issued after the job until it expires');

  // the credentials are exported by now: a runner without job summaries gets a warning, not a failure
  await core.summary
    .addRaw(jobSummary({ api: inputs.api, view: issued, expiration: credentials.expiration }))
    .write()
    .catch((error: unknown) =>
      core.warning(
        `jitvend: no job summary: ${sanitize(error instanceof Error ? error.message : String(error))}`,
      ),
    );
}

function fail(error: unknown): void {
  if (error instanceof CliError) {
    core.setFailed(`jitvend: ${sanitize(error.message)}`);
    process.exitCode = error.exitCode;
    return;
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  core.setFailed(`jitvend: unexpected error: ${sanitize(message)}`);
}
