/**
 * The revocation deny. Revoking (or releasing) a request puts a Deny on the target role that
 * matches exactly the session's `aws:SourceIdentity` (`jitvend-<requestId>`) and is bounded by
 * `aws:CurrentTime`: issued STS sessions cannot be ended any other way.
 *
 * Capacity. IAM gives a role 10,240 characters for all its inline policies together and
 * 6,144 per managed policy, whitespace not counted (IAM User Guide, "IAM and AWS STS quotas").
 * One policy per request (the previous design) spent ~190 characters a deny, so a role held
 * about 40 live denies and a busy CI that releases every job met the limit within minutes.
 * Now a role's denies are one list, packed into as few characters as IAM allows: ONE
 * statement per policy whose `aws:SourceIdentity` condition lists every denied session
 * (47 characters each), bounded by the latest expiry among them. The list is split into
 * shards: shard 0 is the inline policy `jitvend-denies` (what the role's other inline
 * policies leave of the 10,240), shards 1..N are customer-managed policies
 * `/jitvend/jitvend-denies-<role>-<n>` attached to the role (6,144 each). With the
 * default 8 managed shards a role holds about 1,150 live denies (docs/deploy.md).
 *
 * Races. The list lives in DynamoDB (DenyListStore), one item per role: each session is
 * added, extended or removed by one atomic write that checks only what it touches (the
 * session absent, its shard's character count within room), so revocations racing on one
 * role never lose one another nor retry for each other, and no shard ever lists more than
 * its policy can hold. Every write bumps the list's version, and IAM is only ever written
 * from a list as it stood after a write. Each writer then re-puts its shard until the latest
 * version's rendering of that shard is what it last put (see
 * shared/adapters/iam/session-revoker.ts): the last put to land is always current, with no
 * read of IAM (IAM's reads are eventually consistent).
 *
 * A deny lasts until the session's expiry plus REVOCATION_GRACE_MS (clock skew between IAM
 * and STS), rounded UP to the whole second: IAM compares `aws:CurrentTime` to a timestamp and
 * Step Functions' Wait state "considers the time value up to seconds and truncates
 * milliseconds" (Step Functions developer guide, "Wait workflow state"), so a value rounded
 * down would end the deny, or wake the workflow to remove it, up to a second early. A shard's
 * statement carries the latest bound among its entries: an entry whose bound passed stays
 * denied a little longer (harmless: request ids are never reused) until the next write of
 * its shard prunes it.
 *
 * Pure: the IAM adapter (shared/adapters/iam) and the local stand-in both use it.
 */
import { DomainError, ValidationError } from './errors.ts';

/** IAM's limit on the aggregate size of a role's inline policies (characters, whitespace excluded). */
export const ROLE_INLINE_POLICY_MAX_CHARS = 10_240;
/**
 * What jitvend leaves unused of that budget, so a policy someone adds by hand, or a second
 * revocation racing this one, still fits: a revocation is refused once the role's inline
 * policies would pass ROLE_INLINE_POLICY_MAX_CHARS minus this.
 */
export const ROLE_INLINE_POLICY_RESERVE_CHARS = 240;
/** How long after the session's expiry its deny is kept (clock skew between IAM and STS). */
export const REVOCATION_GRACE_MS = 5 * 60 * 1000;
/**
 * Prefix of the per-request deny policies of the previous version (`jitvend-revoke-<requestId>`):
 * still read (counted against the budget, deleted once lapsed), never written.
 */
export const REVOCATION_POLICY_PREFIX = 'jitvend-revoke-';
/** The one shared policy of earlier versions; still read (counted, pruned when moot), never written. */
export const LEGACY_REVOCATION_POLICY_NAME = 'jitvend-revocations';

export interface DenyStatement {
  Sid?: string;
  Effect: 'Deny';
  Action: '*';
  Resource: '*';
  Condition: {
    StringEquals: { 'aws:SourceIdentity': string | string[] };
    DateLessThan: { 'aws:CurrentTime': string };
  };
}

/** The role cannot hold another deny without passing IAM's inline policy budget. */
export class RevocationLimitError extends DomainError {
  override readonly name = 'RevocationLimitError';
  readonly kind = 'conflict';
}

/** `expiresAt + grace`, rounded up to the whole second (ISO, no milliseconds). */
export function denyUntil(expiresAt: string): string {
  const ms = new Date(expiresAt).getTime();
  if (!Number.isFinite(ms)) throw new ValidationError(`not a timestamp: ${expiresAt}`);
  const until = Math.ceil((ms + REVOCATION_GRACE_MS) / 1000) * 1000;
  return new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The inline policy name of a request's deny, from its source identity `jitvend-<requestId>`. */
export function revocationPolicyName(sourceIdentity: string): string {
  const id = sourceIdentity.startsWith('jitvend-') ? sourceIdentity.slice('jitvend-'.length) : sourceIdentity;
  const safe = id.replace(/[^\w+=,.@-]/g, '_');
  if (safe === '') throw new ValidationError('a revocation needs a source identity');
  return `${REVOCATION_POLICY_PREFIX}${safe}`.slice(0, 128);
}

/** The size IAM counts for a policy document: its characters without whitespace. */
export function policySize(document: string): number {
  return document.replace(/\s/g, '').length;
}

function isIdentityCondition(value: unknown): boolean {
  return typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
}

function isDenyStatement(value: unknown): value is DenyStatement {
  const s = value as DenyStatement;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.Effect === 'Deny' &&
    isIdentityCondition(s.Condition?.StringEquals?.['aws:SourceIdentity']) &&
    typeof s.Condition?.DateLessThan?.['aws:CurrentTime'] === 'string'
  );
}

function statementsOf(document: string): unknown[] {
  try {
    const doc = JSON.parse(document) as { Statement?: unknown };
    return Array.isArray(doc.Statement) ? doc.Statement : doc.Statement ? [doc.Statement] : [];
  } catch {
    return [];
  }
}

/**
 * When a jitvend deny policy stops denying anything: the latest `aws:CurrentTime` bound of its
 * statements. Undefined for a policy jitvend did not write (any other statement in it).
 */
export function denyEndsAt(document: string): Date | undefined {
  const statements = statementsOf(document);
  if (statements.length === 0 || !statements.every(isDenyStatement)) return undefined;
  const ends = statements.map((s) => new Date(s.Condition.DateLessThan['aws:CurrentTime']).getTime());
  const latest = Math.max(...ends);
  return Number.isFinite(latest) ? new Date(latest) : undefined;
}

/** Is this a deny policy of an earlier version (by name) whose every statement has lapsed at `now`? */
export function isMootRevocation(name: string, document: string, now: Date): boolean {
  if (!name.startsWith(REVOCATION_POLICY_PREFIX) && name !== LEGACY_REVOCATION_POLICY_NAME) return false;
  const ends = denyEndsAt(document);
  return ends !== undefined && ends.getTime() <= now.getTime();
}

/** The role name of `arn:aws:iam::123456789012:role/path/name`. */
export function roleNameOf(roleArn: string): string {
  const resource = roleArn.split(':').slice(5).join(':');
  const name = resource.split('/').pop();
  if (!resource.startsWith('role/') || !name) throw new ValidationError(`not a role ARN: ${roleArn}`);
  return name;
}

/** The role's account and partition, for the ARNs of its managed deny policies. */
export function roleAccountOf(roleArn: string): { partition: string; account: string } {
  const [, partition, , , account] = roleArn.split(':');
  if (!partition || !account || !/^\d{12}$/.test(account))
    throw new ValidationError(`not a role ARN: ${roleArn}`);
  return { partition, account };
}

// ---------------------------------------------------------------------------------------------
// The deny list of a role

/** The inline policy holding shard 0 of a role's deny list. */
export const DENY_POLICY_NAME = 'jitvend-denies';
/** IAM's limit on one customer-managed policy (characters, whitespace excluded). */
export const MANAGED_POLICY_MAX_CHARS = 6_144;
/** Left unused in each managed shard, so a racing writer's entry still fits. */
export const MANAGED_POLICY_RESERVE_CHARS = 96;
/** The path of jitvend's managed deny policies (the vending function may only write there). */
export const MANAGED_DENY_POLICY_PATH = '/jitvend/';
/** Managed deny policies a role gets by default (config `revocation.managedPolicies`). */
export const DEFAULT_MANAGED_DENY_POLICIES = 8;
/** IAM's highest quota of managed policies attached to one role (the default quota is 10). */
export const MAX_MANAGED_DENY_POLICIES = 20;

/** One denied session: its source identity, the end of its deny (ISO, whole seconds), its shard. */
export interface DenyEntry {
  sourceIdentity: string;
  until: string;
  /** 0: the inline policy; n ≥ 1: the managed policy `jitvend-denies-<role>-<n>` */
  shard: number;
}

export interface DenyList {
  /** bumped by every write; 0 means nothing stored yet */
  version: number;
  entries: DenyEntry[];
  /** the first managed shard IAM would not attach (the role's managed policy quota): none from it on is used */
  shardLimit?: number;
}

/**
 * Where a role's deny list is kept (DynamoDB on AWS and locally). Every change is one atomic
 * write of the entries it touches, so writers racing on one role never need to retry for
 * each other: each shard keeps a character count, and an entry is added only while its shard
 * stays within `room`. Each write returns the whole list as it stands right after it.
 */
export interface DenyListStore {
  /** the latest list (a strongly consistent read), or undefined when none was written */
  get(roleArn: string): Promise<DenyList | undefined>;
  /**
   * Adds a session not yet listed to `entry.shard` if the shard's count plus its
   * `entryChars` stays within `room` and the shard is below `shardLimit`. Undefined when it
   * does not fit, or the session is already listed (re-read and decide again).
   */
  add(roleArn: string, entry: DenyEntry, room: number): Promise<DenyList | undefined>;
  /** Sets a listed session's end to `entry.until` (same shard); undefined when it is not listed. */
  extend(roleArn: string, entry: DenyEntry): Promise<DenyList | undefined>;
  /** Removes these listed sessions; undefined (nothing changed) when one of them is no longer listed. */
  remove(roleArn: string, entries: readonly DenyEntry[]): Promise<DenyList | undefined>;
  /** Records that managed shards from `shard` on cannot be attached to the role. */
  limitShards(roleArn: string, shard: number): Promise<void>;
}

export const EMPTY_DENY_LIST: DenyList = { version: 0, entries: [] };

/** What one session adds to its shard's document: its source identity quoted, and a comma. */
export function entryChars(sourceIdentity: string): number {
  return sourceIdentity.length + 3;
}

/** The name of managed shard `shard` of a role's deny list (role names are at most 64 characters). */
export function managedDenyPolicyName(roleName: string, shard: number): string {
  return `${DENY_POLICY_NAME}-${roleName}-${shard}`;
}

/**
 * What a managed shard holds when it denies nothing: a managed policy cannot be empty, so one
 * statement that can never match (no session has the source identity `jitvend-`, and its bound
 * is long past).
 */
export const EMPTY_MANAGED_DENY_DOCUMENT = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'JitvendDeniesNothing',
      Effect: 'Deny',
      Action: '*',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceIdentity': 'jitvend-' },
        DateLessThan: { 'aws:CurrentTime': '2000-01-01T00:00:00Z' },
      },
    },
  ],
});

/**
 * The policy document of one shard: one Deny listing its sessions, bounded by the latest of
 * their bounds; undefined when the shard holds none. Deterministic (sorted), so two writers
 * rendering the same entries put the same document.
 */
export function renderDenyShard(entries: readonly DenyEntry[], shard: number): string | undefined {
  const mine = entries.filter((e) => e.shard === shard);
  if (mine.length === 0) return undefined;
  const ids = [...new Set(mine.map((e) => e.sourceIdentity))].sort();
  const until = mine.map((e) => e.until).sort()[mine.length - 1]!;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'JitvendDenies',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          StringEquals: { 'aws:SourceIdentity': ids.length === 1 ? ids[0] : ids },
          DateLessThan: { 'aws:CurrentTime': until },
        },
      },
    ],
  });
}

/** How many characters shard `shard` may use. `inlineOthers`: the size of the role's other inline policies. */
export function shardCapacity(shard: number, inlineOthers: number): number {
  if (shard === 0) return ROLE_INLINE_POLICY_MAX_CHARS - ROLE_INLINE_POLICY_RESERVE_CHARS - inlineOthers;
  return MANAGED_POLICY_MAX_CHARS - MANAGED_POLICY_RESERVE_CHARS;
}

/**
 * The characters of a shard's document besides its sessions' `entryChars`: a shard whose
 * counted entries stay within `shardCapacity - SHARD_OVERHEAD_CHARS` renders within capacity.
 */
export const SHARD_OVERHEAD_CHARS = (() => {
  const ids = ['jitvend-a', 'jitvend-b'];
  const doc = renderDenyShard(
    ids.map((sourceIdentity) => ({ sourceIdentity, until: '2000-01-01T00:00:00Z', shard: 0 })),
    0,
  )!;
  return policySize(doc) - ids.reduce((sum, id) => sum + entryChars(id), 0) + 1;
})();

/** The most `entryChars` a shard may count (what the store's `add` is given as `room`). */
export function shardRoom(shard: number, inlineOthers: number): number {
  return shardCapacity(shard, inlineOthers) - SHARD_OVERHEAD_CHARS;
}

/** The `entryChars` a shard of the list counts today. */
export function shardChars(list: DenyList, shard: number): number {
  return list.entries
    .filter((e) => e.shard === shard)
    .reduce((sum, e) => sum + entryChars(e.sourceIdentity), 0);
}

/** The entries whose deny has lapsed at `now` (their bound passed): removable. */
export function lapsedEntries(list: DenyList, now: Date): DenyEntry[] {
  return list.entries.filter((e) => new Date(e.until).getTime() <= now.getTime());
}

/** What to do to deny a session, given the list as last read. */
export type DenyStep =
  /** already denied at least that long: make sure IAM has its shard */
  | { kind: 'listed'; shard: number }
  /** listed with an earlier end: extend it in place */
  | { kind: 'extend'; entry: DenyEntry }
  /** add it to this shard (the first it fits in), within `room` */
  | { kind: 'add'; entry: DenyEntry; room: number }
  /** no shard has room, but these entries have lapsed: remove them, then decide again */
  | { kind: 'prune'; entries: DenyEntry[] };

/**
 * Decides how to deny a session: the first shard it fits in (inline first, then managed shards
 * 1..`managedShards`, never from `shardLimit` on). Refused with RevocationLimitError, naming the
 * role and its figures, when no shard has room and nothing has lapsed: before IAM's limit,
 * never by IAM halfway.
 */
export function planDeny(
  list: DenyList,
  deny: { sourceIdentity: string; until: string },
  options: { now: Date; inlineOthers: number; managedShards: number; roleName: string },
): DenyStep {
  const existing = list.entries.find((e) => e.sourceIdentity === deny.sourceIdentity);
  if (existing) {
    if (existing.until >= deny.until) return { kind: 'listed', shard: existing.shard };
    return { kind: 'extend', entry: { ...existing, until: deny.until } };
  }
  const lastShard = Math.min(options.managedShards, (list.shardLimit ?? Number.POSITIVE_INFINITY) - 1);
  const size = entryChars(deny.sourceIdentity);
  for (let shard = 0; shard <= lastShard; shard++) {
    const room = shardRoom(shard, options.inlineOthers);
    if (shardChars(list, shard) + size <= room) return { kind: 'add', entry: { ...deny, shard }, room };
  }
  const lapsed = lapsedEntries(list, options.now);
  if (lapsed.length > 0) return { kind: 'prune', entries: lapsed };
  throw new RevocationLimitError(
    `role ${options.roleName} cannot hold another revocation: it already denies ${list.entries.length} live sessions, ` +
      `which fill its inline policy budget (IAM allows ${ROLE_INLINE_POLICY_MAX_CHARS} characters for all of a ` +
      `role's inline policies together; the others use ${options.inlineOthers}) and ${Math.max(0, lastShard)} managed deny ` +
      `policies of ${MANAGED_POLICY_MAX_CHARS} characters. Each denied session stays listed until it expires ` +
      '(plus 5 minutes): try again then, or raise revocation.managedPolicies (docs/deploy.md)',
    {
      extra: {
        roleName: options.roleName,
        liveDenies: list.entries.length,
        managedPolicies: Math.max(0, lastShard),
        limit: ROLE_INLINE_POLICY_MAX_CHARS,
      },
    },
  );
}

/**
 * What releasing a session's deny removes: nothing while its deny holds (never before the
 * session's expiry plus the grace) or when it is not listed; else every lapsed entry, it among them.
 */
export function planRelease(list: DenyList, sourceIdentity: string, now: Date): DenyEntry[] {
  const entry = list.entries.find((e) => e.sourceIdentity === sourceIdentity);
  if (!entry || new Date(entry.until).getTime() > now.getTime()) return [];
  return lapsedEntries(list, now);
}
