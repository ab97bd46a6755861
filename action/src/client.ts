/**
 * The jitvend API client of the CLI, wired to the action: the job's OIDC token, progress and
 * retries in the step log.
 */
import * as core from '@actions/core';
import { ApiClient } from '../../cli/api-client.ts';
import type { RequestView } from '../../cli/api-types.ts';
import type { CliIo, OutputStream } from '../../cli/io.ts';
import { sleep } from '../../cli/io.ts';
import { resolveTokenSource, TokenProvider } from '../../cli/token.ts';
import { VERSION } from '../../cli/version.ts';
import { ActionsIdTokenProvider } from './id-token.ts';

/** The step log as a stream: every line becomes one `core.info` line. */
export const stepLog: OutputStream = {
  isTTY: false,
  write(chunk: string) {
    for (const line of chunk.split('\n')) if (line.trim()) core.info(line);
    return true;
  },
};

export function actionIo(): CliIo {
  return {
    env: process.env,
    stdout: stepLog,
    stderr: stepLog,
    fetch: globalThis.fetch,
    now: () => Date.now(),
    sleep,
    homeDir: process.env.HOME ?? '',
  };
}

/** An ApiClient that remembers the last request view it read, for the periodic progress line. */
export class WatchedClient extends ApiClient {
  last?: RequestView;

  override async getRequest(id: string, waitSeconds?: number): Promise<RequestView> {
    const view = await super.getRequest(id, waitSeconds);
    this.last = view;
    return view;
  }
}

/**
 * The bearer token: the job's OIDC token for the audience (`permissions: id-token: write`),
 * unless the step's env gives one explicitly (`JITVEND_TOKEN` or `JITVEND_TOKEN_FILE`, as for
 * the CLI: e.g. a token from another issuer on a self-hosted runner).
 */
export function actionTokens(audience: string, io: CliIo): TokenProvider {
  if (io.env.JITVEND_TOKEN || io.env.JITVEND_TOKEN_FILE) {
    if (io.env.JITVEND_TOKEN) core.setSecret(io.env.JITVEND_TOKEN);
    return new TokenProvider(resolveTokenSource(io.env), io);
  }
  return new ActionsIdTokenProvider(audience, (aud) => core.getIDToken(aud), io.now);
}

export function actionClient(api: string, audience: string, io: CliIo): WatchedClient {
  return new WatchedClient({
    baseUrl: api,
    tokens: actionTokens(audience, io),
    io,
    userAgent: `jitvend-action/${VERSION}`,
    onRetry: (message) => core.info(`jitvend: ${message}`),
  });
}
