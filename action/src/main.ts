/**
 * The action's main step: take the job's OIDC token, request, wait (with progress in the
 * log), mask, export, set outputs, write the job summary. The request id is saved as state
 * first thing, so the post step can end the request whatever happens after.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import type { Credentials, RequestBody, RequestView } from '../../cli/api-types.ts';
import { fetchCredentials } from '../../cli/commands/request.ts';
import { CliContext } from '../../cli/context.ts';
import { CliError, ExitCode } from '../../cli/errors.ts';
import { describeStatus, formatDuration, sanitize } from '../../cli/format.ts';
import { explainWindowRefusal } from '../../cli/manifest.ts';
import { DEFAULT_AUDIENCE } from '../../cli/token.ts';
import { waitUntilIssued } from '../../cli/wait.ts';
import { actionClient, actionIo } from './client.ts';
import { PROFILE_NAME, writeRenewingProfile } from './config-profile.ts';
import { type ActionInputs, readInputs } from './inputs.ts';
import { requestBody } from './request-body.ts';
import { STATE_PROFILE_DIR, STATE_REQUEST_ID } from './state.ts';
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
  // a server without approval windows refusing windowSeconds fails the step, naming the field
  const created = await explainWindowRefusal(body, (b) => client.createRequest(b, idempotencyKey));
  core.saveState(STATE_REQUEST_ID, created.id);
  core.setOutput('request-id', created.id);
  core.info(`jitvend: request ${sanitize(created.id)} created (profile ${sanitize(created.profile)})`);

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

  core.setOutput('expiration', credentials.expiration);
  const windowEnd = issued.windowEndsAt;
  const renewing =
    windowEnd !== undefined &&
    Date.parse(windowEnd) > Date.parse(credentials.expiration) &&
    (await exportRenewingProfile(inputs, body, issued, credentials, windowEnd));
  if (!renewing) exportKeys(issued, credentials);
  if (!inputs.release)
    core.info('jitvend: release: false, the request stays issued after the job until it expires');

  // the credentials are exported by now: a runner without job summaries gets a warning, not a failure
  await core.summary
    .addRaw(
      jobSummary({
        api: inputs.api,
        view: issued,
        expiration: credentials.expiration,
        ...(renewing && windowEnd ? { renewedUntil: windowEnd } : {}),
      }),
    )
    .write()
    .catch((error: unknown) =>
      core.warning(
        `jitvend: no job summary: ${sanitize(error instanceof Error ? error.message : String(error))}`,
      ),
    );
}

/** One session: the three keys (and the expiry the SDKs read) in the job's environment. */
function exportKeys(issued: RequestView, credentials: Credentials): void {
  core.exportVariable('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  core.exportVariable('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  core.exportVariable('AWS_SESSION_TOKEN', credentials.sessionToken);
  // read by the AWS SDKs' environment credential provider
  core.exportVariable('AWS_CREDENTIAL_EXPIRATION', credentials.expiration);
  core.info(
    `jitvend: credentials for request ${sanitize(issued.id)} exported (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), valid until ${sanitize(credentials.expiration)}`,
  );
}

/**
 * A window longer than the session: an AWS config profile whose credential_process renews
 * inside the window (config-profile.ts), exported as AWS_CONFIG_FILE and AWS_PROFILE instead
 * of the keys (keys in the environment would win over the profile in every SDK). False when
 * no profile could be written (the caller exports one session's keys).
 */
async function exportRenewingProfile(
  inputs: ActionInputs,
  body: RequestBody,
  issued: RequestView,
  credentials: Credentials,
  windowEnd: string,
): Promise<boolean> {
  const parentDir = process.env.RUNNER_TEMP;
  if (!parentDir) {
    core.warning(
      'jitvend: RUNNER_TEMP is not set: no renewing profile written, one session exported (renew with `jitvend renew`)',
    );
    return false;
  }
  let profile: Awaited<ReturnType<typeof writeRenewingProfile>>;
  try {
    profile = await writeRenewingProfile({
      parentDir,
      api: inputs.api,
      body,
      first: { requestId: issued.id, credentials, windowEndsAt: windowEnd },
      node: process.execPath,
      cli: bundledCli(),
    });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    core.warning(`jitvend: no renewing profile (${sanitize(error.message)}): one session exported`);
    return false;
  }
  core.saveState(STATE_PROFILE_DIR, profile.dir);
  core.exportVariable('AWS_CONFIG_FILE', profile.configFile);
  core.exportVariable('AWS_PROFILE', PROFILE_NAME);
  // the credential_process asks the job's OIDC token for the same audience
  if (inputs.audience !== DEFAULT_AUDIENCE) core.exportVariable('JITVEND_AUDIENCE', inputs.audience);
  core.setOutput('config-file', profile.configFile);
  core.setOutput('window-ends-at', windowEnd);
  core.info(
    `jitvend: request ${sanitize(issued.id)}: the approval lasts until ${sanitize(windowEnd)}, longer than one session (until ${sanitize(credentials.expiration)}): ` +
      `AWS_CONFIG_FILE and AWS_PROFILE=${PROFILE_NAME} exported, a profile whose credential_process renews the session inside the window`,
  );
  return true;
}

/** The CLI bundle committed beside this one (action/dist/jitvend.cjs). */
function bundledCli(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'jitvend.cjs');
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
