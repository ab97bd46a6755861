/**
 * What a runtime holds: the domain's ports wired to adapters, plus what the edge needs
 * (functions/runtime.ts says how it is built). A module of its own, so the AWS wiring
 * (aws-runtime.ts, loaded lazily by runtime.ts) imports no module that imports it back.
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
