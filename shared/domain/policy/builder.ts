/**
 * The session policy builder: what a pipeline asked for, checked to lie inside its profile's
 * guardrails, refused when it reaches for privilege escalation the profile does not name, and
 * written as the smallest deterministic policy that STS accepts (2,048 characters).
 */
import {
  EscalationRefusedError,
  OutsideGuardrailsError,
  PolicyTooLargeError,
  ValidationError,
} from '../errors.ts';
import type { Profile } from '../profile.ts';
import type { Permission, PolicyDocument, PolicyStatement } from '../types.ts';
import { canonicalActionName, expandActionPattern, lookupAction } from './catalogue.ts';
import { ESCALATION_ACTION_PATTERNS, escalationMatchedBy, isLiteralAction } from './escalation.ts';
import {
  canonicalGlob,
  findOutsideRectangles,
  GlobTooComplexError,
  globMatches,
  hasWildcard,
  type OutsideWitness,
  patternsMeet,
  type Rectangle,
  spend,
  WorkBudgetExceededError,
  withWorkBudget,
} from './glob.ts';
import {
  actionProblem,
  actionService,
  LIMITS,
  normalizeActionCase,
  quote,
  resourceProblem,
  writtenSize,
} from './patterns.ts';

/** STS's limit on an inline session policy, in characters of minified JSON. */
export const SESSION_POLICY_MAX_LENGTH = 2048;

/**
 * Work bounds, in elementary steps (automaton steps, product states, pattern comparisons; see
 * glob.ts). Checking containment is refused beyond CHECK_WORK_STEPS (a 400 that says so);
 * minimising stops improving the policy after MINIMISE_WORK_STEPS and keeps the exact union it
 * has. Together they keep one request's policy work to a few hundred milliseconds of one core,
 * whatever the body (bench/worst-body.ts measures it; docs/api-limits.md).
 */
export const CHECK_WORK_STEPS = 1_500_000;
export const MINIMISE_WORK_STEPS = 600_000;

export interface BuiltSessionPolicy {
  policy: PolicyDocument;
  /** the minified JSON STS receives as `Policy` */
  json: string;
  /** the same permissions, normalized: one entry per statement */
  permissions: Permission[];
}

/** What the builder needs of a profile. */
export type GuardrailProfile = Pick<Profile, 'name' | 'allow' | 'allowEscalation'>;

const CI = { caseInsensitive: true } as const;
const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const byAction = (a: string, b: string): number =>
  byString(a.toLowerCase(), b.toLowerCase()) || byString(a, b);

/**
 * Builds the session policy for a request on `profile`: `requested` (or, when omitted or empty,
 * the whole guardrail set), each (action, resource) pair checked exactly to lie inside the
 * guardrails. Synchronous: the IAM catalogue is read synchronously (see catalogue.ts).
 *
 * @throws ValidationError a malformed permission (or guardrail), naming the value and its index
 * @throws OutsideGuardrailsError a permission that reaches outside the guardrails, with an example
 * @throws EscalationRefusedError an escalation action the profile does not name literally
 * @throws PolicyTooLargeError the minified policy is over 2,048 characters
 */
export function buildSessionPolicy(
  profile: GuardrailProfile,
  requested?: readonly Permission[],
): BuiltSessionPolicy {
  const wholeGuardrails = requested === undefined;
  if (wholeGuardrails) {
    // a pure function of the profile (config, loaded once): built once per profile
    const known = wholeProfilePolicies.get(profile);
    if (known) return structuredClone(known);
  }
  const guardrails = normalizeGuardrails(profile);
  const permissions = wholeGuardrails ? guardrails : normalizeRequested(requested);
  const literalGuardrails: Rectangle[] = guardrails.map((g) => ({
    actions: g.actions.filter(isLiteralAction),
    resources: g.resources,
  }));
  try {
    withWorkBudget(CHECK_WORK_STEPS, () => {
      permissions.forEach((permission, index) => {
        for (const action of permission.actions) {
          for (const resource of permission.resources) {
            spend(1);
            // the guardrails are trivially inside themselves
            if (!wholeGuardrails) checkInside(profile, guardrails, index, action, resource);
            if (profile.allowEscalation !== true)
              checkEscalation(profile, literalGuardrails, index, action, resource);
          }
        }
      });
    });
  } catch (error) {
    // a bound met outside one decision (e.g. while finding an example for a message)
    if (error instanceof WorkBudgetExceededError) {
      throw new ValidationError(
        "the request is too complex to check against the guardrails within jitvend's work bound: request fewer actions or resources, or use fewer wildcards",
        { cause: error },
      );
    }
    throw error;
  }
  const statements = minimalStatements(permissions);
  const policy: PolicyDocument = { Version: '2012-10-17', Statement: statements.map(toStatement) };
  const json = JSON.stringify(policy);
  if (json.length > SESSION_POLICY_MAX_LENGTH) {
    throw new PolicyTooLargeError(
      `the session policy would be ${json.length} characters, over the ${SESSION_POLICY_MAX_LENGTH}-character limit of STS: request fewer actions or resources, or broader patterns that the guardrails allow`,
      { extra: { length: json.length, limit: SESSION_POLICY_MAX_LENGTH } },
    );
  }
  const built = { policy, json, permissions: statements };
  if (wholeGuardrails) wholeProfilePolicies.set(profile, structuredClone(built));
  return built;
}

const wholeProfilePolicies = new WeakMap<GuardrailProfile, BuiltSessionPolicy>();

/**
 * Problems of a profile's guardrails, for config validation (empty when fine): malformed or
 * missing patterns, policy variables, and wildcards that cover privilege-escalation actions
 * while the profile does not set `allowEscalation: true`.
 */
export function validateGuardrails(profile: GuardrailProfile): string[] {
  const problems: string[] = [];
  const allow: unknown = profile.allow;
  if (!Array.isArray(allow) || allow.length === 0) {
    return ['allow: a profile needs at least one guardrail statement ({actions, resources})'];
  }
  if (allow.length > LIMITS.guardrails) {
    problems.push(`allow: at most ${LIMITS.guardrails} guardrail statements, got ${allow.length}`);
  }
  allow.forEach((statement: unknown, i) => {
    problems.push(...permissionProblems(statement, `allow[${i}]`));
    if (profile.allowEscalation !== true && isPermissionLike(statement)) {
      statement.actions.forEach((action, j) => {
        if (typeof action !== 'string' || actionProblem(action) !== undefined || isLiteralAction(action))
          return;
        const escalation = escalationMatchedBy(action);
        if (escalation === undefined) return;
        const example = exampleAction(action, escalation, (x) => escalationMatchedBy(x) !== undefined);
        problems.push(
          `allow[${i}].actions[${j}] ${quote(action)} covers privilege-escalation actions (e.g. ${example}): name the ones needed literally, or set allowEscalation: true on the profile`,
        );
      });
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// shape validation and normalization

function isPermissionLike(value: unknown): value is { actions: unknown[]; resources: unknown[] } {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Permission).actions) &&
    Array.isArray((value as Permission).resources)
  );
}

function permissionProblems(value: unknown, at: string): string[] {
  if (!isPermissionLike(value)) return [`${at}: must be an object with actions and resources lists`];
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (key !== 'actions' && key !== 'resources') {
      problems.push(`${at}: unknown field ${quote(key)} (a permission has only actions and resources)`);
    }
  }
  const lists = [
    ['actions', value.actions, LIMITS.actions, actionProblem],
    ['resources', value.resources, LIMITS.resources, resourceProblem],
  ] as const;
  for (const [name, list, max, problemOf] of lists) {
    if (list.length === 0) problems.push(`${at}.${name}: must not be empty`);
    if (list.length > max) problems.push(`${at}.${name}: at most ${max} entries, got ${list.length}`);
    list.forEach((item, j) => {
      const problem = problemOf(item);
      if (problem !== undefined) problems.push(`${at}.${name}[${j}]: ${problem}`);
    });
  }
  return problems;
}

function canonicalAction(action: string): string {
  return action === '*' ? '*' : canonicalActionName(canonicalGlob(normalizeActionCase(action)));
}

function normalizePermission(p: Permission): Permission {
  return { actions: p.actions.map(canonicalAction), resources: p.resources.map(canonicalGlob) };
}

function normalizeGuardrails(profile: GuardrailProfile): Permission[] {
  const allow: unknown = profile.allow;
  const problems = Array.isArray(allow)
    ? allow.flatMap((s: unknown, i) => permissionProblems(s, `allow[${i}]`))
    : ['allow: must be a list of guardrail statements'];
  if (problems.length > 0) {
    throw new ValidationError(`profile ${profile.name} has invalid guardrails: ${problems.join('; ')}`, {
      extra: { profile: profile.name, problems },
    });
  }
  return profile.allow.map(normalizePermission);
}

function normalizeRequested(requested: unknown): Permission[] {
  if (!Array.isArray(requested)) throw new ValidationError('permissions: must be a list');
  if (requested.length === 0) {
    throw new ValidationError(
      'permissions: must not be empty: leave permissions out to ask for the whole profile',
    );
  }
  if (requested.length > LIMITS.permissions) {
    throw new ValidationError(
      `permissions: at most ${LIMITS.permissions} permissions per request, got ${requested.length}`,
    );
  }
  const problems = requested.flatMap((p: unknown, i) => permissionProblems(p, `permissions[${i}]`));
  if (problems.length > 0) {
    throw new ValidationError(problems.join('; '), { extra: { problems } });
  }
  const written = writtenSize(requested as Permission[]);
  if (written > LIMITS.writtenChars) {
    throw new PolicyTooLargeError(
      `permissions: too large: ${written} characters as written, at most ${LIMITS.writtenChars} (a session policy holds ${SESSION_POLICY_MAX_LENGTH}): request fewer actions or resources, or broader patterns`,
      { extra: { length: written, limit: LIMITS.writtenChars } },
    );
  }
  return (requested as Permission[]).map(normalizePermission);
}

// ---------------------------------------------------------------------------------------------
// containment and escalation

/** Well-known actions, tried first when an example must illustrate a wildcard. */
const EXAMPLE_ACTIONS = [
  'iam:PassRole',
  'sts:AssumeRole',
  'iam:CreateUser',
  'iam:AttachRolePolicy',
  'organizations:LeaveOrganization',
  'sso:CreatePermissionSet',
  's3:GetObject',
  's3:PutObject',
  's3:DeleteObject',
  's3:DeleteBucket',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:DeleteTable',
  'sqs:SendMessage',
  'sqs:DeleteQueue',
  'lambda:InvokeFunction',
  'lambda:UpdateFunctionCode',
  'ec2:RunInstances',
  'ec2:TerminateInstances',
  'kms:Decrypt',
  'secretsmanager:GetSecretValue',
];

/**
 * A readable concrete action for a message: a real action matched by `pattern` that `acceptable`
 * (the property the example must show) holds for, else the raw witness found by the search.
 */
function exampleAction(pattern: string, raw: string, acceptable: (action: string) => boolean): string {
  if (!hasWildcard(pattern)) return canonicalActionName(pattern);
  const catalogued = (expandActionPattern(pattern) ?? []).map((a) => `${a.service}:${a.name}`).sort(byString);
  for (const candidate of [raw, ...EXAMPLE_ACTIONS, ...catalogued]) {
    if (hasWildcard(candidate) || lookupAction(candidate) === undefined) continue;
    if (globMatches(pattern, candidate, CI) && acceptable(candidate)) return canonicalActionName(candidate);
  }
  // no catalogued action shows it (e.g. a wildcard only future actions would match): say it in the
  // pattern's own casing rather than the search's lower case
  const spelled = pattern.replace(/\*/g, 'X').replace(/\?/g, 'X');
  if (globMatches(pattern, spelled, CI) && acceptable(spelled)) return canonicalActionName(spelled);
  return canonicalActionName(raw);
}

/** A readable ARN for a requested resource of `*` (the search's witness would be a bare character). */
function exampleResource(
  pattern: string,
  raw: string,
  action: string,
  acceptable: (resource: string) => boolean,
): string {
  if (pattern !== '*') return raw;
  const service = actionService(action) ?? 's3';
  const candidates = [
    `arn:aws:${service}:us-east-1:123456789012:example`,
    `arn:aws:${service}:::example`,
    'arn:aws:s3:::example',
  ];
  return candidates.find(acceptable) ?? raw;
}

/** Does some rectangle allow the concrete (action, resource)? */
function allows(rectangles: readonly Rectangle[], action: string, resource: string): boolean {
  return rectangles.some(
    (r) =>
      r.actions.some((a) => globMatches(a, action, CI)) && r.resources.some((p) => globMatches(p, resource)),
  );
}

function decide<T>(index: number, action: string, resource: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof WorkBudgetExceededError) {
      throw new ValidationError(
        `the request is too complex to check against the guardrails within jitvend's work bound (reached at permission ${index}, action ${quote(action)}, resource ${quote(resource)}): request fewer actions or resources, or use fewer wildcards`,
        { cause: error, extra: { permission: index } },
      );
    }
    if (error instanceof GlobTooComplexError) {
      throw new ValidationError(
        `permission ${index}: action ${action} on resource ${resource} uses too many wildcards to be checked against the guardrails; use fewer wildcards`,
        { cause: error, extra: { permission: index, action, resource } },
      );
    }
    throw error;
  }
}

function checkInside(
  profile: GuardrailProfile,
  guardrails: readonly Rectangle[],
  index: number,
  action: string,
  resource: string,
): void {
  const found = decide(index, action, resource, () => findOutsideRectangles(action, resource, guardrails));
  if (found === undefined) return;
  const head = `permission ${index}:`;
  const tail = `is not inside the guardrails of profile ${profile.name}`;
  let message: string;
  let example: { action: string; resource: string };
  if (found.statements.length === 0) {
    // no guardrail allows the example action at all, whatever the resource
    const x = exampleAction(
      action,
      found.action,
      (a) => !guardrails.some((g) => g.actions.some((p) => globMatches(p, a, CI))),
    );
    example = { action: x, resource: found.resource };
    message = hasWildcard(action)
      ? `${head} action ${action} ${tail}: it would also match ${x}, which no guardrail allows on any resource`
      : `${head} action ${action} ${tail}: no guardrail allows it on any resource`;
  } else {
    const r = exampleResource(
      resource,
      found.resource,
      found.action,
      (c) => !allows(guardrails, found.action, c),
    );
    const x = exampleAction(action, found.action, (a) => !allows(guardrails, a, r));
    example = { action: x, resource: r };
    message = hasWildcard(action)
      ? `${head} action ${action} on resource ${resource} ${tail}: it would also match ${x} on ${r}, which no guardrail allows`
      : `${head} resource ${resource} ${tail}: it would also match ${r}, which no guardrail allows for ${x}`;
  }
  throw new OutsideGuardrailsError(message, { extra: { permission: index, action, resource, example } });
}

function checkEscalation(
  profile: GuardrailProfile,
  literalGuardrails: readonly Rectangle[],
  index: number,
  action: string,
  resource: string,
): void {
  const found: OutsideWitness | undefined = decide(index, action, resource, () =>
    escalationMatchedBy(action) === undefined
      ? undefined
      : findOutsideRectangles(action, resource, literalGuardrails, {
          onlyActions: ESCALATION_ACTION_PATTERNS,
        }),
  );
  if (found === undefined) return;
  const r = exampleResource(
    resource,
    found.resource,
    found.action,
    (c) => !allows(literalGuardrails, found.action, c),
  );
  const x = exampleAction(
    action,
    found.action,
    (a) => escalationMatchedBy(a) !== undefined && !allows(literalGuardrails, a, r),
  );
  const fix = `the profile's guardrails must list it literally on that resource, or the profile must set allowEscalation: true`;
  const message = hasWildcard(action)
    ? `permission ${index}: action ${action} on ${resource} can match ${x} on ${r}, a privilege-escalation action that profile ${profile.name} does not name: ${fix.replace('it literally', `"${x}" literally`)}`
    : `permission ${index}: ${x} on ${r} is a privilege-escalation action that profile ${profile.name} does not name: ${fix}`;
  throw new EscalationRefusedError(message, {
    extra: { permission: index, action, resource, example: { action: x, resource: r } },
  });
}

// ---------------------------------------------------------------------------------------------
// minimal deterministic output

interface Pair {
  action: string;
  resource: string;
}

/**
 * The union of the permissions as the fewest (action, resource) pairs, grouped into statements:
 * exact duplicates merged (actions case-insensitively), every pair that the union of the other
 * remaining pairs already covers dropped (exact containment), then statements formed by merging
 * pairs that share a resource set (or an action set, whichever is shorter), everything sorted.
 */
function minimalStatements(permissions: readonly Permission[]): Permission[] {
  const spelling = new Map<string, string>();
  for (const p of permissions) {
    for (const a of p.actions) {
      const key = a.toLowerCase();
      const known = spelling.get(key);
      if (known === undefined || a < known) spelling.set(key, a);
    }
  }
  const unique = new Map<string, Pair>();
  for (const p of permissions) {
    for (const a of p.actions) {
      const action = spelling.get(a.toLowerCase())!;
      for (const resource of p.resources)
        unique.set(`${action.toLowerCase()}\u0000${resource}`, { action, resource });
    }
  }
  const pairs = [...unique.values()].sort(
    (x, y) => byAction(x.action, y.action) || byString(x.resource, y.resource),
  );
  const actionsMeet = memoPairs((a, b) => patternsMeet(a, b, CI));
  const resourcesMeet = memoPairs((a, b) => patternsMeet(a, b));
  const kept = new Set(pairs);
  /** the kept pairs by action, so a pair is compared only with pairs whose action meets its own */
  const keptByAction = new Map<string, Set<Pair>>();
  for (const p of pairs) keptByAction.set(p.action, (keptByAction.get(p.action) ?? new Set()).add(p));
  try {
    // bounded: past MINIMISE_WORK_STEPS the pairs not yet tried stay (the union is the same,
    // only less compact); deterministic, since steps are counted, not timed
    withWorkBudget(MINIMISE_WORK_STEPS, () => {
      for (const pair of pairs) {
        const byActionOf = new Map<string, string[]>();
        spend(COMPARISON_STEPS * keptByAction.size);
        for (const [action, group] of keptByAction) {
          if (!actionsMeet(action, pair.action)) continue;
          spend(COMPARISON_STEPS * group.size);
          for (const o of group) {
            if (o === pair || !resourcesMeet(o.resource, pair.resource)) continue;
            byActionOf.set(o.action, [...(byActionOf.get(o.action) ?? []), o.resource]);
          }
        }
        if (byActionOf.size === 0) continue;
        const rectangles = [...byActionOf].map(([a, resources]) => ({ actions: [a], resources }));
        try {
          if (findOutsideRectangles(pair.action, pair.resource, rectangles) === undefined) {
            kept.delete(pair);
            keptByAction.get(pair.action)!.delete(pair);
          }
        } catch (error) {
          // one search too complex to finish: keep that pair (the union stays exact)
          if (error instanceof WorkBudgetExceededError || !(error instanceof GlobTooComplexError))
            throw error;
        }
      }
    });
  } catch (error) {
    if (!(error instanceof WorkBudgetExceededError)) throw error;
  }
  const remaining = [...kept];
  const byResources = group(
    remaining,
    (p) => p.action,
    (p) => p.resource,
  ).map(([actions, resources]) => ({
    actions,
    resources,
  }));
  const byActions = group(
    remaining,
    (p) => p.resource,
    (p) => p.action,
  ).map(([resources, actions]) => ({
    actions,
    resources,
  }));
  const sorted = (statements: Permission[]) =>
    statements
      .map((s) => ({ actions: [...s.actions].sort(byAction), resources: [...s.resources].sort(byString) }))
      .sort((x, y) => byString(statementKey(x), statementKey(y)));
  const a = sorted(byResources);
  const b = sorted(byActions);
  return JSON.stringify(a.map(toStatement)).length <= JSON.stringify(b.map(toStatement)).length ? a : b;
}

/** what one comparison of two patterns (a memo lookup) costs, in automaton steps */
const COMPARISON_STEPS = 4;

/** A symmetric two-argument predicate remembered for one minimisation. */
function memoPairs(fn: (a: string, b: string) => boolean): (a: string, b: string) => boolean {
  const memo = new Map<string, boolean>();
  return (a, b) => {
    const key = a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
    let known = memo.get(key);
    if (known === undefined) {
      known = fn(a, b);
      memo.set(key, known);
    }
    return known;
  };
}

function statementKey(s: Permission): string {
  return `${s.actions.map((a) => a.toLowerCase()).join(',')}\u0000${s.resources.join(',')}`;
}

/** Groups `keyOf` values that share the same set of `memberOf` values: [keys, values][]. */
function group(
  pairs: readonly Pair[],
  keyOf: (p: Pair) => string,
  memberOf: (p: Pair) => string,
): [string[], string[]][] {
  const values = new Map<string, Set<string>>();
  for (const p of pairs) {
    const k = keyOf(p);
    const set = values.get(k) ?? new Set<string>();
    set.add(memberOf(p));
    values.set(k, set);
  }
  const groups = new Map<string, [string[], string[]]>();
  for (const [k, set] of values) {
    const list = [...set].sort(byString);
    const id = list.join('\u0000');
    const entry = groups.get(id) ?? [[], list];
    entry[0].push(k);
    groups.set(id, entry);
  }
  return [...groups.values()];
}

function toStatement(p: Permission): PolicyStatement {
  return {
    Effect: 'Allow',
    Action: p.actions.length === 1 ? p.actions[0]! : p.actions,
    Resource: p.resources.length === 1 ? p.resources[0]! : p.resources,
  };
}

/**
 * The policy with its keys in IAM's usual order (Version, Statement; Effect, Action,
 * Resource). Storage (DynamoDB maps) does not keep key order, and the JSON sent to STS and
 * shown to approvers must be the one that was built and hashed.
 */
export function orderedPolicy(doc: PolicyDocument): PolicyDocument {
  return {
    Version: doc.Version,
    Statement: doc.Statement.map((s) => ({ Effect: s.Effect, Action: s.Action, Resource: s.Resource })),
  };
}
