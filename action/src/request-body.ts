/**
 * The body of `POST /requests`: from the inputs when `profile` is given, else from the
 * repository manifest (`manifest` input, or `.jitvend.yml` in the workspace), with the
 * inputs that are set overriding the manifest's fields, as the CLI's flags do.
 */
import type { RequestBody } from '../../cli/api-types.ts';
import { UsageError } from '../../cli/errors.ts';
import { type ActionInputs, bodyFromInputs } from './inputs.ts';

export async function requestBody(
  inputs: ActionInputs,
  env: Record<string, string | undefined>,
  _cwd: string,
): Promise<RequestBody> {
  if (inputs.profile) return bodyFromInputs({ ...inputs, profile: inputs.profile }, env);
  throw new UsageError('input "profile" is required (manifest support arrives with cli/manifest.ts)');
}
