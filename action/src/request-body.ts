/**
 * The body of `POST /requests`: from the inputs alone when `profile` is given without
 * `manifest`; else from the repository manifest (the `manifest` input, or `.jitvend.yml` in
 * the workspace) with each input that is set overriding its field: the CLI's rules
 * (cli/commands/request-options.ts), with the CLI's manifest loader.
 */
import type { RequestBody } from '../../cli/api-types.ts';
import { UsageError } from '../../cli/errors.ts';
import { loadManifest, MANIFEST_FILE, requestBodyFromManifest } from '../../cli/manifest.ts';
import { type ActionInputs, bodyFromInputs, defaultReason, runContext } from './inputs.ts';

export async function requestBody(
  inputs: ActionInputs,
  env: Record<string, string | undefined>,
  workspace: string,
): Promise<RequestBody> {
  if (inputs.profile !== undefined && inputs.manifest === undefined)
    return bodyFromInputs({ ...inputs, profile: inputs.profile }, env);
  const manifest = await loadManifest({ path: inputs.manifest, cwd: workspace, env });
  if (!manifest)
    throw new UsageError(
      `input "profile" is required: there is no ${MANIFEST_FILE} in ${workspace} (or give the "manifest" input)`,
    );
  return requestBodyFromManifest(
    manifest,
    {
      ...(inputs.profile === undefined ? {} : { profile: inputs.profile }),
      permissions: inputs.permissions,
      ...(inputs.durationSeconds === undefined ? {} : { durationSeconds: inputs.durationSeconds }),
      ...(inputs.windowSeconds === undefined ? {} : { windowSeconds: inputs.windowSeconds }),
      ...(inputs.reason === undefined ? {} : { reason: inputs.reason }),
      context: runContext(env),
    },
    { reason: defaultReason(env) },
  );
}
