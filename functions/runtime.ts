/**
 * The runtime: the domain's ports wired to adapters, plus what the edge needs. It is a
 * value, never a global: each handler module exports a factory taking the part of it that
 * the handler uses, and a default `handler` bound to the AWS wiring (aws-runtime.ts), built
 * lazily on the first call of the Lambda container (`onAws`). The local stack builds its
 * runtime once and calls the same factories (functions/handlers.ts).
 */
import type { Context } from 'aws-lambda';
import type { ChannelFactory } from './aws-runtime.ts';
import { lazily } from './lazily.ts';
import type { Runtime } from './runtime-types.ts';

// the shape lives apart so the AWS wiring, which this module loads lazily, imports nothing from here
export type { Runtime, RuntimeSecrets } from './runtime-types.ts';

/** What a use case takes as its first argument: the ports it declares it needs. */
export type UseCaseDeps<F extends (deps: never, ...rest: never[]) => unknown> = Parameters<F>[0];

export interface AwsWiringOptions {
  /**
   * The approval channels this function's notifier carries (only AwaitApproval and the release
   * notice post to approvers), loaded with the wiring so their clients stay out of other bundles.
   */
  channels?: () => Promise<ChannelFactory>;
}

/**
 * The AWS runtime of this container, built on first use (the AWS SDK is imported then, not
 * when the handler module loads) and built again after a failed build.
 */
export function awsRuntimeOnce(options: AwsWiringOptions = {}): () => Promise<Runtime> {
  return lazily(async () => {
    const [aws, channels] = await Promise.all([awsWiring(), options.channels?.()]);
    return aws.awsRuntime(process.env, channels ? { channels } : {});
  });
}

const awsWiring = lazily(() => import('./aws-runtime.ts'));

/** Puts the invocation's Lambda context on the log lines (after the wiring is built). */
export async function withLambdaContext(context: Context | undefined): Promise<void> {
  if (context) (await awsWiring()).addLambdaContext(context);
}

/**
 * A workflow step bound to the AWS wiring: `make` is called once with the runtime, on the
 * first invocation. An invocation whose wiring failed fails (Step Functions retries it), and
 * the next one wires again. Step errors propagate unwrapped: Retry and Catch match their `name`.
 */
export function stepOnAws<I, O>(
  make: (runtime: Runtime) => (input: I) => Promise<O>,
  options: AwsWiringOptions = {},
): (input: I, context?: Context) => Promise<O> {
  const runtime = awsRuntimeOnce(options);
  const step = lazily(async () => make(await runtime()));
  return async (input, context) => {
    const run = await step();
    await withLambdaContext(context);
    return run(input);
  };
}
