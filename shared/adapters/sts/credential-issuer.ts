/**
 * Issues the session of an approved request with STS AssumeRole: RoleSessionName and
 * SourceIdentity `jitvend-<requestId>`, the computed session policy, the approved duration
 * and the session tags. Failures become IssueError, retryable only for throttling and STS
 * server errors, with a message naming the role and never any credentials.
 */
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  type AssumeRoleCommandOutput,
  STSClient,
} from '@aws-sdk/client-sts';
import { IssueError } from '../../domain/errors.ts';
import type { AssumeRoleInput, CredentialIssuer } from '../../domain/ports.ts';
import type { IssuedCredentials } from '../../domain/types.ts';

/** One client per module (region and credentials from the Lambda environment). */
const defaultClient = new STSClient({});

export class StsCredentialIssuer implements CredentialIssuer {
  constructor(private readonly client: STSClient = defaultClient) {}

  async assumeRole(input: AssumeRoleInput): Promise<IssuedCredentials> {
    let output: AssumeRoleCommandOutput;
    try {
      output = await this.client.send(new AssumeRoleCommand(assumeRoleCommandInput(input)));
    } catch (error) {
      throw issueErrorFor(error, input.roleArn);
    }
    const { AccessKeyId, SecretAccessKey, SessionToken, Expiration } = output.Credentials ?? {};
    if (!AccessKeyId || !SecretAccessKey || !SessionToken || !Expiration) {
      throw new IssueError(`STS AssumeRole on role ${input.roleArn} returned no complete credentials`, false);
    }
    return {
      accessKeyId: AccessKeyId,
      secretAccessKey: SecretAccessKey,
      sessionToken: SessionToken,
      expiration: new Date(Expiration).toISOString(),
    };
  }
}

/** The exact AssumeRole parameters jitvend sends (tags sorted by key; no Tags when there are none). */
export function assumeRoleCommandInput(input: AssumeRoleInput): AssumeRoleCommandInput {
  const tags = Object.entries(input.tags)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([Key, Value]) => ({ Key, Value }));
  return {
    RoleArn: input.roleArn,
    RoleSessionName: input.sourceIdentity,
    SourceIdentity: input.sourceIdentity,
    Policy: input.policy,
    DurationSeconds: input.durationSeconds,
    ...(tags.length > 0 ? { Tags: tags } : {}),
  };
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
/** the SDK's names for a request that never got an answer */
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'NetworkingError']);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Maps an AssumeRole failure to IssueError; `retryable` for throttling, 429, 5xx and network errors. */
export function issueErrorFor(error: unknown, roleArn: string): IssueError {
  const shape: SdkErrorShape = typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name.replace(/Exception$/, '') : 'UnknownError';
  const status = shape.$metadata?.httpStatusCode;
  const awsMessage = typeof shape.message === 'string' ? shortened(shape.message) : '';
  const fail = (message: string, retryable = false) => new IssueError(message, retryable, { cause: error });

  if (THROTTLING.has(name) || THROTTLING.has(`${name}Exception`) || status === 429) {
    return fail(`STS throttled AssumeRole on role ${roleArn} (${name}); retry later`, true);
  }
  switch (name) {
    case 'AccessDenied':
      return fail(
        `STS denied AssumeRole on role ${roleArn}: its trust policy must admit the vending role ` +
          'with sts:AssumeRole, sts:SetSourceIdentity (jitvend-*) and sts:TagSession',
      );
    case 'MalformedPolicyDocument':
      return fail(`STS rejected the session policy for role ${roleArn} as malformed: ${awsMessage}`);
    case 'PackedPolicyTooLarge':
      return fail(
        `the session policy and session tags for role ${roleArn} exceed STS's packed size limit: ${awsMessage}`,
      );
    case 'RegionDisabled':
      return fail(`STS is not activated in this region for the account of role ${roleArn}`);
    case 'ExpiredToken':
    case 'InvalidClientTokenId':
    case 'SignatureDoesNotMatch':
    case 'UnrecognizedClient':
      return fail(
        `STS refused the vending function's own credentials (${name}) when assuming role ${roleArn}`,
      );
    case 'ValidationError':
    case 'Validation':
    case 'InvalidParameterValue':
    case 'InvalidParameterCombination':
    case 'MissingParameter':
      return fail(`STS rejected the AssumeRole parameters for role ${roleArn}: ${awsMessage}`);
  }
  const code = typeof shape.code === 'string' ? shape.code : '';
  if (
    shape.$fault === 'server' ||
    (status !== undefined && status >= 500) ||
    TRANSIENT.has(name) ||
    TRANSIENT_CODES.has(code)
  ) {
    return fail(
      `STS AssumeRole on role ${roleArn} failed transiently (${status ?? name}); retry later`,
      true,
    );
  }
  return fail(`STS AssumeRole on role ${roleArn} failed (${name}${status ? `, HTTP ${status}` : ''})`);
}

function shortened(message: string): string {
  return message.length > 300 ? `${message.slice(0, 300)}…` : message;
}
