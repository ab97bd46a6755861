/**
 * The runtime the handlers use: the domain's ports wired to adapters. Built once per
 * Lambda container (never per request). The local stack and tests install theirs with
 * setRuntime before the first request.
 */
import type { Deps } from '../shared/domain/deps.ts';
import type { Logger, TokenVerifier } from '../shared/domain/ports.ts';

export interface Runtime extends Deps {
  verifier: TokenVerifier;
  logger: Logger;
  /** the API's public base URL, e.g. for links in messages */
  publicUrl: string;
  secrets: RuntimeSecrets;
}

/** Secrets the HTTP edge needs; loaded once (Secrets Manager on AWS, env or data dir locally). */
export interface RuntimeSecrets {
  /** verifies POST /slack/interactions (Slack app's signing secret) */
  slackSigningSecret: string;
  /** HMAC key that signs email approval tokens (32 bytes) */
  approvalTokenKey: Uint8Array;
}

let current: Runtime | Promise<Runtime> | undefined;

export function setRuntime(runtime: Runtime | Promise<Runtime> | undefined): void {
  current = runtime;
}

export async function getRuntime(): Promise<Runtime> {
  if (current === undefined) {
    // The AWS wiring is only loaded in Lambda; the local stack always sets its runtime first.
    current = import('./aws-runtime.ts').then((m) => m.awsRuntime());
  }
  return current;
}
