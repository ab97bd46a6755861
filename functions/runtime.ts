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
/** Builds the runtime on first use: the AWS wiring unless a handler (or the local stack) says otherwise. */
let factory: () => Promise<Runtime> = () => import('./aws-runtime.ts').then((m) => m.awsRuntime());

export function setRuntime(runtime: Runtime | Promise<Runtime> | undefined): void {
  current = runtime === undefined || !(runtime instanceof Promise) ? runtime : forgetOnFailure(runtime);
}

/**
 * How this container builds its runtime when first asked (e.g. AwaitApproval adds the
 * approval channels). Nothing is built until getRuntime is called.
 */
export function setRuntimeFactory(build: () => Promise<Runtime>): void {
  factory = build;
}

/**
 * The runtime, built once per container. A build that fails (a transient Secrets Manager or
 * config read error at cold start) is not kept: the next call builds again, so one bad
 * moment never fails every later invocation of the container.
 */
export async function getRuntime(): Promise<Runtime> {
  // The AWS wiring is only loaded in Lambda; the local stack always sets its runtime first.
  current ??= forgetOnFailure(factory());
  return current;
}

function forgetOnFailure(building: Promise<Runtime>): Promise<Runtime> {
  building.catch(() => {
    if (current === building) current = undefined;
  });
  return building;
}
