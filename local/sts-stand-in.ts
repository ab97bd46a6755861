/**
 * The local stack's stand-in for STS AssumeRole. No AWS account is involved: it checks the
 * input the way STS (and the target role's documented trust policy) would, throws the same
 * IssueError classes as the real adapter, and hands out credentials that are obviously
 * local (`ASIAJITVENDLOCAL…`, `jitvend-local-…`) and work nowhere.
 *
 * Not emulated: STS's packed-size limit on policy plus tags (PackedPolicyTooLarge), which
 * depends on AWS's internal compression.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { IssueError } from '../shared/domain/errors.ts';
import {
  type AssumeRoleInput,
  type Clock,
  type CredentialIssuer,
  systemClock,
} from '../shared/domain/ports.ts';
import {
  isValidSourceIdentity,
  isValidTagKey,
  isValidTagValue,
  MAX_SESSION_DURATION_SECONDS,
  MAX_SESSION_POLICY_CHARS,
  MAX_SESSION_TAGS,
  MIN_SESSION_DURATION_SECONDS,
} from '../shared/domain/session.ts';
import type { IssuedCredentials } from '../shared/domain/types.ts';

export const LOCAL_ACCESS_KEY_PREFIX = 'ASIAJITVENDLOCAL';
export const LOCAL_SESSION_TOKEN_PREFIX = 'jitvend-local-';

/** What the local page may show of an issued session: never the key, secret or token. */
export interface LocalIssuedSession {
  roleArn: string;
  roleSessionName: string;
  sourceIdentity: string;
  policy: string;
  durationSeconds: number;
  tags: Record<string, string>;
  issuedAt: string;
  expiration: string;
}

export interface LocalCredentialIssuerOptions {
  clock?: Clock;
  /** how many issued sessions are remembered (oldest dropped first); default 1000 */
  maxRemembered?: number;
}

/** `arn:aws:iam::123456789012:role/[path/]name`, as AssumeRole's RoleArn must be. */
const ROLE_ARN_PATTERN = /^arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** characters STS accepts in the Policy parameter */
const POLICY_CHARS_PATTERN = /^[\t\n\r\u0020-\u00ff]+$/;
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export class LocalCredentialIssuer implements CredentialIssuer {
  private readonly clock: Clock;
  private readonly maxRemembered: number;
  private readonly issued: LocalIssuedSession[] = [];
  private readonly failures: Error[] = [];

  constructor(options: LocalCredentialIssuerOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.maxRemembered = options.maxRemembered ?? 1000;
  }

  /**
   * Makes the next call fail (queued: call it twice for two failures). `'throttled'` and
   * `'denied'` give the IssueError the real adapter gives for Throttling and AccessDenied.
   */
  failNext(failure: Error | 'throttled' | 'denied'): void {
    if (failure === 'throttled') {
      this.failures.push(
        new IssueError('STS throttled AssumeRole (local stand-in: simulated); retry later', true),
      );
    } else if (failure === 'denied') {
      this.failures.push(new IssueError('STS denied AssumeRole (local stand-in: simulated)', false));
    } else {
      this.failures.push(failure);
    }
  }

  /** Sessions issued so far, oldest first, without any secret part. */
  sessions(): LocalIssuedSession[] {
    return this.issued.map((session) => ({ ...session, tags: { ...session.tags } }));
  }

  async assumeRole(input: AssumeRoleInput): Promise<IssuedCredentials> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    validate(input);

    const now = this.clock.now();
    const expiration = new Date(now.getTime() + input.durationSeconds * 1000).toISOString();
    this.issued.push({
      roleArn: input.roleArn,
      roleSessionName: input.sourceIdentity,
      sourceIdentity: input.sourceIdentity,
      policy: input.policy,
      durationSeconds: input.durationSeconds,
      tags: { ...input.tags },
      issuedAt: now.toISOString(),
      expiration,
    });
    if (this.issued.length > this.maxRemembered)
      this.issued.splice(0, this.issued.length - this.maxRemembered);

    return {
      accessKeyId: LOCAL_ACCESS_KEY_PREFIX + randomString(UPPER_DIGITS, 20 - LOCAL_ACCESS_KEY_PREFIX.length),
      secretAccessKey: randomString(SECRET_CHARS, 40),
      sessionToken: LOCAL_SESSION_TOKEN_PREFIX + randomBytes(96).toString('base64url'),
      expiration,
    };
  }
}

function randomString(alphabet: string, length: number): string {
  let result = '';
  for (let i = 0; i < length; i++) result += alphabet[randomInt(alphabet.length)];
  return result;
}

/** The checks STS makes before issuing, in its order, with the same error classes. */
function validate(input: AssumeRoleInput): void {
  const { roleArn } = input;
  const invalid = (detail: string) =>
    new IssueError(`STS rejected the AssumeRole parameters for role ${roleArn}: ${detail}`, false);

  if (roleArn.length < 20 || roleArn.length > 2048 || !ROLE_ARN_PATTERN.test(roleArn)) {
    throw new IssueError(
      `STS rejected the AssumeRole parameters: ${JSON.stringify(roleArn.slice(0, 200))} is not a role ARN`,
      false,
    );
  }
  if (!isValidSourceIdentity(input.sourceIdentity)) {
    throw invalid(
      'RoleSessionName and SourceIdentity must be 2 to 64 characters of A-Z a-z 0-9 _ . , + = @ - ' +
        `(got ${input.sourceIdentity.length} characters)`,
    );
  }
  if (
    !Number.isInteger(input.durationSeconds) ||
    input.durationSeconds < MIN_SESSION_DURATION_SECONDS ||
    input.durationSeconds > MAX_SESSION_DURATION_SECONDS
  ) {
    throw invalid(
      `DurationSeconds ${input.durationSeconds} is outside ${MIN_SESSION_DURATION_SECONDS} to ` +
        `${MAX_SESSION_DURATION_SECONDS} (the 1 hour limit of role chaining)`,
    );
  }

  const tags = Object.entries(input.tags);
  if (tags.length > MAX_SESSION_TAGS) {
    throw invalid(`${tags.length} session tags, at most ${MAX_SESSION_TAGS} are allowed`);
  }
  const seen = new Set<string>();
  for (const [key, value] of tags) {
    if (!isValidTagKey(key)) throw invalid(`session tag key ${JSON.stringify(key.slice(0, 130))} is invalid`);
    if (!isValidTagValue(value)) throw invalid(`the value of session tag ${key} is invalid`);
    const folded = key.toLowerCase();
    if (seen.has(folded)) throw invalid(`session tag key ${key} is duplicated (keys are case-insensitive)`);
    seen.add(folded);
  }

  const malformed = (detail: string) =>
    new IssueError(`STS rejected the session policy for role ${roleArn} as malformed: ${detail}`, false);
  if (input.policy.length > MAX_SESSION_POLICY_CHARS) {
    throw malformed(
      `the policy has ${input.policy.length} characters, more than the ${MAX_SESSION_POLICY_CHARS} allowed`,
    );
  }
  if (!POLICY_CHARS_PATTERN.test(input.policy)) throw malformed('the policy contains characters STS refuses');
  let document: unknown;
  try {
    document = JSON.parse(input.policy);
  } catch {
    throw malformed('the policy is not valid JSON');
  }
  checkPolicyGrammar(document, malformed);

  // The target role's trust policy (see SPEC.md) only admits `jitvend-*` source identities.
  if (!input.sourceIdentity.startsWith('jitvend-')) {
    throw new IssueError(
      `STS denied AssumeRole on role ${roleArn}: the trust policy only admits jitvend-* source identities`,
      false,
    );
  }
}

function checkPolicyGrammar(document: unknown, malformed: (detail: string) => IssueError): void {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw malformed('the policy must be a JSON object');
  }
  const { Version, Statement } = document as Record<string, unknown>;
  if (Version !== undefined && Version !== '2012-10-17' && Version !== '2008-10-17') {
    throw malformed(`unknown policy Version ${JSON.stringify(Version)}`);
  }
  const statements = Array.isArray(Statement) ? Statement : Statement === undefined ? [] : [Statement];
  if (statements.length === 0) throw malformed('the policy has no Statement');
  for (const statement of statements) {
    if (typeof statement !== 'object' || statement === null || Array.isArray(statement)) {
      throw malformed('each Statement must be an object');
    }
    const s = statement as Record<string, unknown>;
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny')
      throw malformed('each Statement needs Effect Allow or Deny');
    if (s.Action === undefined && s.NotAction === undefined) throw malformed('a Statement has no Action');
    if (s.Resource === undefined && s.NotResource === undefined)
      throw malformed('a Statement has no Resource');
  }
}
