/**
 * The shapes jitvend accepts for IAM action and resource patterns, in requests and guardrails.
 *
 * Actions: `*`, or `service:Action` where the service is letters, digits and `-` (folded to lower
 * case) and the action is letters, digits and `-` with the wildcards `*` and `?`.
 * Resources: `*`, or `arn:partition:service:region:account:resource`. In the partition, service,
 * region and account a wildcard may only be one trailing `*` (`us-*`, `*`): IAM lets a `*` that
 * ends an ARN segment run past the segment's colons, while other wildcards stay inside it; with
 * this rule both readings give the same set of ARNs, so containment decided on the whole string
 * is exactly what IAM enforces. The resource part may hold any printable ASCII character and
 * wildcards anywhere.
 * Everywhere: printable ASCII only (no whitespace, control or look-alike characters) and no
 * policy variables (`${...}`): a session policy has no business depending on request context.
 */

/**
 * How big a request may be, derived from what STS can issue: a session policy holds 2,048
 * characters of minified JSON, so nothing much bigger can ever become credentials. These
 * bounds are checked at the edge (shared/api/schemas.ts) before any containment work, and
 * again here for guardrails. See docs/api-limits.md.
 */
export const LIMITS = {
  /** permissions in one request (a statement needs at least 49 characters: at most 41 fit in 2,048) */
  permissions: 20,
  /** actions in one permission (or one guardrail statement) */
  actions: 50,
  /** resources in one permission (or one guardrail statement) */
  resources: 50,
  /** guardrail statements in one profile */
  guardrails: 100,
  /** longest action pattern (IAM's longest action names are under 100 characters) */
  actionLength: 128,
  /** longest resource pattern (half of what a whole session policy may hold) */
  resourceLength: 1024,
  /**
   * The requested permissions as written (their minified JSON, each permission's repeated
   * strings counted once): at most twice what a session policy holds. Minimising merges
   * and drops covered pairs, but never halves an honest request; anything larger could not
   * be issued, and is refused before any containment work.
   */
  writtenChars: 4096,
} as const;

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;
const ACTION = /^([A-Za-z0-9-]+):([A-Za-z0-9*?-]+)$/;
const ARN = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.+)$/;
/** partition, service, region or account: lower-case letters, digits, `-`, optionally one trailing `*` */
const ARN_SEGMENT = /^[a-z0-9-]*\*?$/;

/** A short, safe rendering of a user value for an error message. */
export function quote(value: unknown): string {
  if (typeof value !== 'string') return value === undefined ? 'undefined' : typeof value;
  const shown = value.length > 120 ? `${value.slice(0, 117)}...` : value;
  return JSON.stringify(shown);
}

function commonProblem(value: unknown, kind: string, maxLength: number): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${quote(value)}`;
  if (value.length === 0) return `${kind} must not be empty`;
  if (value.length > maxLength) return `${kind} ${quote(value)} is longer than ${maxLength} characters`;
  if (value.includes('${'))
    return `${kind} ${quote(value)} uses a policy variable (\${...}), which is not allowed`;
  if (!PRINTABLE_ASCII.test(value)) {
    return `${kind} ${quote(value)} contains whitespace, control or non-ASCII characters`;
  }
  return undefined;
}

/** Why `value` is not a valid action pattern, or `undefined` when it is. */
export function actionProblem(value: unknown): string | undefined {
  const common = commonProblem(value, 'action', LIMITS.actionLength);
  if (common !== undefined) return common;
  const action = value as string;
  if (action === '*') return undefined;
  if (!ACTION.test(action)) {
    return `action ${quote(action)} is not an IAM action: expected service:Action (e.g. dynamodb:GetItem, s3:Get*) or *`;
  }
  return undefined;
}

/** Why `value` is not a valid resource ARN pattern, or `undefined` when it is. */
export function resourceProblem(value: unknown): string | undefined {
  const common = commonProblem(value, 'resource', LIMITS.resourceLength);
  if (common !== undefined) return common;
  const resource = value as string;
  if (resource === '*') return undefined;
  const m = ARN.exec(resource);
  if (!m) {
    return `resource ${quote(resource)} is not an ARN: expected arn:partition:service:region:account:resource or *`;
  }
  const [, partition, service, region, account] = m;
  if (partition === '' || service === '') {
    return `resource ${quote(resource)} is not an ARN: the partition and the service must not be empty`;
  }
  const segments: [string, string][] = [
    ['partition', partition!],
    ['service', service!],
    ['region', region!],
    ['account', account!],
  ];
  for (const [name, segment] of segments) {
    if (!ARN_SEGMENT.test(segment)) {
      return `resource ${quote(resource)} has an invalid ${name} ${quote(segment)}: use lower-case letters, digits and -, with at most one * at the end`;
    }
  }
  return undefined;
}

/**
 * The size of requested permissions as written: the minified JSON of the permissions with
 * each permission's repeated actions and resources counted once (compared to LIMITS.writtenChars).
 */
export function writtenSize(
  permissions: readonly { actions: readonly string[]; resources: readonly string[] }[],
): number {
  return JSON.stringify(
    permissions.map((p) => ({ actions: [...new Set(p.actions)], resources: [...new Set(p.resources)] })),
  ).length;
}

/** `service:Action` with the service folded to lower case (IAM compares actions case-insensitively). */
export function normalizeActionCase(action: string): string {
  const colon = action.indexOf(':');
  return colon < 0 ? action : `${action.slice(0, colon).toLowerCase()}${action.slice(colon)}`;
}

/** The service prefix of an action pattern (`undefined` for `*`). */
export function actionService(action: string): string | undefined {
  const colon = action.indexOf(':');
  return colon < 0 ? undefined : action.slice(0, colon).toLowerCase();
}
