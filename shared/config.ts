/**
 * The config file (the contract with infra teams): YAML, path from JITVEND_CONFIG,
 * validated once at start with errors that name the file, the field and what is wrong.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { approverPeople } from './domain/approval.ts';
import { validateGuardrails } from './domain/policy/builder.ts';
import type { JitvendConfig, Profile } from './domain/profile.ts';
import { DEFAULT_MANAGED_DENY_POLICIES, MAX_MANAGED_DENY_POLICIES } from './domain/revocation.ts';
import { MAX_WINDOW_SECONDS } from './domain/window.ts';
import { describeIssues } from './zod-issues.ts';

export const DEFAULT_CONFIG_PATH = 'jitvend.config.yaml';
export const MIN_DURATION_SECONDS = 900;
/** STS role chaining cap: the vending function's own role makes every AssumeRole a chained one. */
export const MAX_DURATION_SECONDS = 3600;

const name = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');
const claimMatcher = z
  .record(z.string().min(1), z.string().min(1, 'must be a non-empty glob'))
  .refine((m) => Object.keys(m).length > 0, 'must name at least one claim');
const duration = z
  .number()
  .int('must be a whole number of seconds')
  .min(MIN_DURATION_SECONDS, `must be at least ${MIN_DURATION_SECONDS} (STS minimum)`)
  .max(MAX_DURATION_SECONDS, `must be at most ${MAX_DURATION_SECONDS} (STS role chaining cap)`);

const permission = z.strictObject({
  actions: z.array(z.string().min(1)).min(1, 'must list at least one action'),
  resources: z.array(z.string().min(1)).min(1, 'must list at least one resource'),
});

const autoApproveRule = z
  .strictObject({
    readOnly: z.boolean().optional(),
    claims: claimMatcher.optional(),
    maxDurationSeconds: duration.optional(),
  })
  .refine(
    (r) => r.readOnly !== undefined || r.claims !== undefined || r.maxDurationSeconds !== undefined,
    'an empty rule would approve every request: give it at least one condition',
  );

const profileSchema = z
  .strictObject({
    description: z.string().optional(),
    roleArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
        'must be an IAM role ARN like arn:aws:iam::123456789012:role/name',
      ),
    maxDurationSeconds: duration.default(MAX_DURATION_SECONDS),
    defaultDurationSeconds: duration.default(MIN_DURATION_SECONDS),
    /** how long one approval may last, renewed session by session (default: one session) */
    maxWindowSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .max(MAX_WINDOW_SECONDS, `must be at most ${MAX_WINDOW_SECONDS} (12 hours)`)
      .optional(),
    requesters: z.array(claimMatcher).min(1, 'must list at least one requester, or nobody could request it'),
    allow: z.array(permission).min(1, 'must list at least one guardrail'),
    allowEscalation: z.boolean().default(false),
    approval: z.strictObject({
      autoApprove: z.array(autoApproveRule).default([]),
      approvers: z.array(name).default([]),
      minApprovals: z.number().int().min(1).default(1),
      // at most 30 days: a request that long unanswered is stale, and its approval links with it
      timeoutSeconds: z
        .number()
        .int('must be a whole number of seconds')
        .positive()
        .max(2_592_000, 'must be at most 2592000 (30 days)')
        .default(1800),
      /** `sameRun`: the jobs of one CI run share one human approval (shared/domain/reuse.ts) */
      reuse: z.enum(['sameRun'], 'must be sameRun (or left out)').optional(),
    }),
  })
  .refine((p) => p.defaultDurationSeconds <= p.maxDurationSeconds, {
    message: 'must not be above maxDurationSeconds',
    path: ['defaultDurationSeconds'],
  })
  .refine((p) => p.maxWindowSeconds === undefined || p.maxWindowSeconds >= p.maxDurationSeconds, {
    message: 'must not be below maxDurationSeconds (a window holds at least one session)',
    path: ['maxWindowSeconds'],
  });

const personSchema = z.strictObject({
  slack: z
    .string()
    .regex(/^[UW][A-Z0-9]{2,}$/, 'must be a Slack user id like U0ALICE01')
    .optional(),
  email: z.email().optional(),
  github: z.string().min(1).optional(),
  gitlab: z.string().min(1).optional(),
});

const issuerSchema = z.strictObject({
  /** exactly as the tokens spell `iss`; no fragment, query or whitespace (OIDC issuers have none) */
  issuer: z.url().refine((u) => !/[#?\s]/.test(u), 'must be an issuer URL with no "#", "?" or whitespace'),
  audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  jwksUri: z.url().optional(),
  /**
   * may this issuer's tokens name configured people (approvers deciding through the API or the
   * CLI, by their verified `email` claim)? Only an identity provider for humans; never a CI issuer.
   */
  people: z.boolean().default(false),
});

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

export const configSchema = z.strictObject({
  /** trusted OIDC issuers; default: GitHub Actions with audience `jitvend` */
  issuers: z
    .array(issuerSchema)
    .min(1, 'must list at least one issuer')
    .default([{ issuer: GITHUB_ACTIONS_ISSUER, audience: 'jitvend', people: false }]),
  /**
   * the issuer that requests stored before issuer-scoped identity (no requesterIssuer) belong
   * to; default the first issuer not marked `people` (docs/storage.md, "Requests from before")
   */
  legacyRequesterIssuer: z.string().optional(),
  people: z.record(name, personSchema).default({}),
  groups: z.record(name, z.array(name)).default({}),
  profiles: z
    .record(name, profileSchema)
    .refine((p) => Object.keys(p).length > 0, 'must define at least one profile'),
  /** how revoked and released sessions are denied on the profiles' roles (docs/deploy.md, "Revocation capacity") */
  revocation: z
    .strictObject({
      /**
       * customer-managed deny policies jitvend may attach to each role, beside its inline one;
       * each holds about 125 live denies. IAM attaches at most 10 managed policies to a role by
       * default (20 with a quota increase), the role's own permissions included.
       */
      managedPolicies: z
        .number()
        .int()
        .min(0)
        .max(MAX_MANAGED_DENY_POLICIES)
        .default(DEFAULT_MANAGED_DENY_POLICIES),
    })
    .default({ managedPolicies: DEFAULT_MANAGED_DENY_POLICIES }),
});

export type ConfigFile = z.infer<typeof configSchema>;

export interface LoadedConfig extends JitvendConfig {
  issuers: ConfigFile['issuers'];
  /** `legacyRequesterIssuer` as the file gives it (the resolved value is `legacyRequesterIssuer`) */
  legacyRequesterIssuerConfigured?: string;
  revocation: ConfigFile['revocation'];
  /** where it was read from */
  path: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly path: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${path}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Cross-field checks zod cannot express: references between people, groups and profiles, guardrails. */
function crossCheck(file: ConfigFile): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  file.issuers.forEach((entry, i) => {
    // `iss` is compared exactly, so two spellings of one issuer would be two identities
    const loose = entry.issuer.toLowerCase().replace(/\/+$/, '');
    const first = seen.get(loose);
    if (first === undefined) seen.set(loose, i);
    else
      problems.push(
        `issuers[${i}].issuer: the same issuer as issuers[${first}] (up to case or a trailing "/"): list it once, spelled exactly as its tokens' iss`,
      );
  });
  if (
    file.legacyRequesterIssuer !== undefined &&
    !file.issuers.some((entry) => entry.issuer === file.legacyRequesterIssuer)
  ) {
    problems.push('legacyRequesterIssuer: must be one of issuers[].issuer');
  }
  const people = new Set(Object.keys(file.people));
  for (const [group, members] of Object.entries(file.groups)) {
    if (people.has(group)) problems.push(`groups.${group}: a person has the same name`);
    members.forEach((member, i) => {
      if (!people.has(member)) problems.push(`groups.${group}[${i}]: "${member}" is not a person in people`);
    });
  }
  for (const [profileName, profile] of Object.entries(file.profiles)) {
    const at = `profiles.${profileName}`;
    profile.approval.approvers.forEach((entry, i) => {
      if (!file.groups[entry] && !people.has(entry))
        problems.push(`${at}.approval.approvers[${i}]: "${entry}" is neither a group nor a person`);
    });
    const domainProfile = toProfile(profileName, profile);
    const approvers = approverPeople(file, domainProfile).length;
    const { minApprovals, autoApprove } = profile.approval;
    if (minApprovals > approvers && !(approvers === 0 && autoApprove.length > 0)) {
      problems.push(
        `${at}.approval.minApprovals: needs ${minApprovals} distinct approvers but approvers name ${approvers}`,
      );
    }
    for (const problem of validateGuardrails(domainProfile)) {
      problems.push(`${at}.allow: ${problem}`);
    }
  }
  return problems;
}

function toProfile(profileName: string, p: ConfigFile['profiles'][string]): Profile {
  return {
    name: profileName,
    ...(p.description !== undefined ? { description: p.description } : {}),
    roleArn: p.roleArn,
    maxDurationSeconds: p.maxDurationSeconds,
    defaultDurationSeconds: p.defaultDurationSeconds,
    maxWindowSeconds: p.maxWindowSeconds ?? p.maxDurationSeconds,
    requesters: p.requesters,
    allow: p.allow,
    allowEscalation: p.allowEscalation,
    approval: p.approval,
  };
}

/** Parses and validates config text; throws ConfigError naming every bad field. */
export function parseConfig(text: string, path: string): LoadedConfig {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      path,
      doc.errors.map((e) => `YAML: ${e.message.split('\n')[0]}`),
    );
  }
  const parsed = configSchema.safeParse(doc.toJS() ?? {});
  if (!parsed.success) throw new ConfigError(path, describeIssues(parsed.error.issues));
  const file = parsed.data;
  const problems = crossCheck(file);
  if (problems.length > 0) throw new ConfigError(path, problems);
  const profiles: Record<string, Profile> = {};
  for (const [profileName, p] of Object.entries(file.profiles))
    profiles[profileName] = toProfile(profileName, p);
  const people: LoadedConfig['people'] = {};
  for (const [personName, p] of Object.entries(file.people)) people[personName] = { name: personName, ...p };
  const legacyRequesterIssuer =
    file.legacyRequesterIssuer ?? (file.issuers.find((i) => !i.people) ?? file.issuers[0])?.issuer;
  return {
    issuers: file.issuers,
    ...(legacyRequesterIssuer !== undefined ? { legacyRequesterIssuer } : {}),
    ...(file.legacyRequesterIssuer !== undefined
      ? { legacyRequesterIssuerConfigured: file.legacyRequesterIssuer }
      : {}),
    people,
    groups: file.groups,
    profiles,
    revocation: file.revocation,
    path,
  };
}

/**
 * Reads and validates a config file (default jitvend.config.yaml in the working directory).
 * Callers name the file: the Lambda runtime and the local stack from JITVEND_CONFIG
 * (shared/environment.ts), the CDK construct from its props.
 */
export function loadConfig(path: string = DEFAULT_CONFIG_PATH): LoadedConfig {
  const full = resolve(path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError(full, [
      code === 'ENOENT' ? 'file not found (set JITVEND_CONFIG)' : `cannot read: ${code}`,
    ]);
  }
  return parseConfig(text, full);
}
