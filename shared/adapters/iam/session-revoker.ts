import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRolePolicyCommand,
  IAMClient,
  LimitExceededException,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { MAX_CONFLICT_ATTEMPTS, pauseAfterConflict } from '../../domain/conflict-retry.ts';
import { ConflictError } from '../../domain/errors.ts';
import { type Clock, type SessionRevoker, systemClock } from '../../domain/ports.ts';
import {
  DEFAULT_MANAGED_DENY_POLICIES,
  DENY_POLICY_NAME,
  type DenyEntry,
  type DenyList,
  type DenyListStore,
  denyEndsAt,
  denyUntil,
  EMPTY_DENY_LIST,
  EMPTY_MANAGED_DENY_DOCUMENT,
  isMootRevocation,
  MANAGED_DENY_POLICY_PATH,
  managedDenyPolicyName,
  planDeny,
  planRelease,
  policySize,
  RevocationLimitError,
  renderDenyShard,
  revocationPolicyName,
  roleAccountOf,
  roleNameOf,
} from '../../domain/revocation.ts';

function shardsOf(entries: readonly DenyEntry[]): number[] {
  return [...new Set(entries.map((e) => e.shard))].sort((a, b) => a - b);
}

let defaultClient: IAMClient | undefined;
function sharedClient(): IAMClient {
  defaultClient ??= new IAMClient({});
  return defaultClient;
}

/** How many times a writer re-reads the list while other writers change it before its own change lands. */
const MAX_TURNS = 50;
/** How many times a writer re-puts its shard while other writers keep committing newer versions. */
const MAX_SYNC_ROUNDS = 50;
/** IAM keeps at most 5 versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;

export interface IamSessionRevokerOptions {
  /** where each role's deny list is kept (DynamoDB) */
  denyLists: DenyListStore;
  client?: IAMClient;
  clock?: Clock;
  /** managed deny policies a role may get (config `revocation.managedPolicies`) */
  managedPolicies?: number;
}

/**
 * Revokes sessions with the role's deny list (shared/domain/revocation.ts): the list is
 * committed to DynamoDB with a conditional write on its version, then the shards it changed
 * are put to IAM: shard 0 with PutRolePolicy (`jitvend-denies`), shards 1..N as new default
 * versions of customer-managed policies under `/jitvend/`, created and attached to the role
 * on first use. A writer re-puts its shards until the latest committed version renders them
 * as it last put them, so the last put to land on a shard is always the latest list, without
 * reading IAM back (IAM's reads are eventually consistent).
 *
 * Before a deny is planned, the role's other inline policies are listed and sized (the inline
 * shard's room); per-request deny policies of the previous version are counted and deleted
 * once lapsed. A role whose managed policy quota is full is recorded (`shardLimit`) so no
 * deny is ever committed to a shard IAM cannot hold.
 *
 * IAM calls: iam:ListRolePolicies, iam:GetRolePolicy, iam:PutRolePolicy, iam:DeleteRolePolicy
 * on the profiles' roles; iam:CreatePolicy, iam:CreatePolicyVersion, iam:ListPolicyVersions,
 * iam:DeletePolicyVersion on `policy/jitvend/*`; iam:AttachRolePolicy of those policies only.
 */
export class IamSessionRevoker implements SessionRevoker {
  private readonly client: IAMClient;
  private readonly clock: Clock;
  private readonly denyLists: DenyListStore;
  private readonly managedPolicies: number;
  /** managed policy ARNs this process has seen attached */
  private readonly attached = new Set<string>();

  constructor(options: IamSessionRevokerOptions) {
    this.client = options.client ?? sharedClient();
    this.clock = options.clock ?? systemClock;
    this.denyLists = options.denyLists;
    this.managedPolicies = options.managedPolicies ?? DEFAULT_MANAGED_DENY_POLICIES;
  }

  async revoke(input: { roleArn: string; sourceIdentity: string; expiresAt: string }): Promise<void> {
    const { roleArn } = input;
    const roleName = roleNameOf(roleArn);
    const deny = { sourceIdentity: input.sourceIdentity, until: denyUntil(input.expiresAt) };
    const inlineOthers = await this.inlineOthers(roleName);
    let list = (await this.denyLists.get(roleArn)) ?? EMPTY_DENY_LIST;
    // each turn that does not finish means another writer changed the list (or a lapsed entry
    // went): progress for someone, so no pause
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const step = planDeny(list, deny, {
        now: this.clock.now(),
        inlineOthers,
        managedShards: this.managedPolicies,
        roleName,
      });
      if (step.kind === 'listed') {
        // a retry after a failure between the list and IAM: make sure IAM has it
        return this.sync(roleArn, [step.shard], list);
      }
      if (step.kind === 'extend') {
        const next = await this.denyLists.extend(roleArn, step.entry);
        if (next) return this.sync(roleArn, [step.entry.shard], next);
      } else if (step.kind === 'add') {
        const { shard } = step.entry;
        if (shard > 0 && !(await this.attachManaged(roleArn, shard))) {
          // the role's managed policy quota is full: never list a deny where IAM cannot hold it
          await this.denyLists.limitShards(roleArn, shard);
        } else {
          const next = await this.denyLists.add(roleArn, step.entry, step.room);
          if (next) return this.sync(roleArn, [shard], next);
        }
      } else {
        const next = await this.denyLists.remove(roleArn, step.entries);
        if (next) await this.sync(roleArn, shardsOf(step.entries), next);
      }
      list = (await this.denyLists.get(roleArn)) ?? EMPTY_DENY_LIST;
    }
    throw new ConflictError(`revocations on role ${roleName} keep racing; try again`);
  }

  async release(input: { roleArn: string; sourceIdentity: string }): Promise<void> {
    const { roleArn } = input;
    const roleName = roleNameOf(roleArn);
    await this.releaseLegacy(roleName, input.sourceIdentity);
    for (let turn = 0; turn < MAX_TURNS; turn++) {
      const list = await this.denyLists.get(roleArn);
      if (!list) return;
      const gone = planRelease(list, input.sourceIdentity, this.clock.now());
      if (gone.length === 0) return;
      const next = await this.denyLists.remove(roleArn, gone);
      if (next) return this.sync(roleArn, shardsOf(gone), next);
    }
    throw new ConflictError(`revocations on role ${roleName} keep racing; try again`);
  }

  /**
   * Puts `shards` as `list` renders them, then re-reads the list: while a newer version renders
   * one of them differently, puts that one again. Ends when what this writer last put is current.
   */
  private async sync(roleArn: string, shards: number[], list: DenyList): Promise<void> {
    const roleName = roleNameOf(roleArn);
    let current = list;
    let pending = shards;
    for (let round = 0; round < MAX_SYNC_ROUNDS && pending.length > 0; round++) {
      for (const shard of pending) await this.putShard(roleArn, roleName, shard, current);
      const latest = (await this.denyLists.get(roleArn)) ?? EMPTY_DENY_LIST;
      if (latest.version === current.version) return;
      pending = pending.filter(
        (s) => renderDenyShard(latest.entries, s) !== renderDenyShard(current.entries, s),
      );
      current = latest;
    }
    if (pending.length > 0)
      throw new ConflictError(`revocations on role ${roleName} keep racing; the deny list was not settled`);
  }

  private async putShard(roleArn: string, roleName: string, shard: number, list: DenyList): Promise<void> {
    const document = renderDenyShard(list.entries, shard);
    if (shard === 0) {
      if (document === undefined) return this.deleteInline(roleName, DENY_POLICY_NAME);
      try {
        await this.client.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: DENY_POLICY_NAME,
            PolicyDocument: document,
          }),
        );
      } catch (error) {
        // someone added inline policies past jitvend's reserve meanwhile: IAM refuses, say so the same way
        if (error instanceof LimitExceededException || error instanceof MalformedPolicyDocumentException) {
          throw new RevocationLimitError(
            `role ${roleName} cannot hold another revocation: IAM refused its deny list (${error.message.slice(0, 200)})`,
            { cause: error, extra: { roleName } },
          );
        }
        throw error;
      }
      return;
    }
    await this.putManaged(roleArn, shard, document ?? EMPTY_MANAGED_DENY_DOCUMENT);
  }

  private managedArn(roleArn: string, shard: number): string {
    const { partition, account } = roleAccountOf(roleArn);
    const name = managedDenyPolicyName(roleNameOf(roleArn), shard);
    return `arn:${partition}:iam::${account}:policy${MANAGED_DENY_POLICY_PATH}${name}`;
  }

  /** A new default version of the shard's managed policy (the oldest other version deleted when IAM keeps 5). */
  private async putManaged(roleArn: string, shard: number, document: string): Promise<void> {
    const policyArn = this.managedArn(roleArn, shard);
    for (let attempt = 0; attempt < MAX_CONFLICT_ATTEMPTS; attempt++) {
      try {
        await this.client.send(
          new CreatePolicyVersionCommand({
            PolicyArn: policyArn,
            PolicyDocument: document,
            SetAsDefault: true,
          }),
        );
        return;
      } catch (error) {
        if (error instanceof NoSuchEntityException) {
          await this.attachManaged(roleArn, shard);
          continue;
        }
        if (error instanceof LimitExceededException && (await this.dropOldestVersion(policyArn))) {
          // writers racing on one policy each dropped a version: spread their retries
          if (attempt > 0) await pauseAfterConflict(attempt);
          continue;
        }
        throw error;
      }
    }
    throw new ConflictError(`the managed deny policy ${policyArn} could not be updated; try again`);
  }

  /** Deletes the oldest non-default version; false when fewer than IAM's 5 are kept (the limit was another). */
  private async dropOldestVersion(policyArn: string): Promise<boolean> {
    const out = await this.client.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }));
    const versions = out.Versions ?? [];
    if (versions.length < MAX_POLICY_VERSIONS) return false;
    const oldest = versions
      .filter((v) => !v.IsDefaultVersion)
      .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
    if (!oldest?.VersionId) return false;
    try {
      await this.client.send(
        new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: oldest.VersionId }),
      );
    } catch (error) {
      // a racing writer deleted it first
      if (!(error instanceof NoSuchEntityException)) throw error;
    }
    return true;
  }

  /**
   * Makes sure the shard's managed policy exists (denying nothing yet) and is attached to the
   * role; false when IAM refuses the attachment for the role's managed policy quota.
   */
  private async attachManaged(roleArn: string, shard: number): Promise<boolean> {
    const policyArn = this.managedArn(roleArn, shard);
    if (this.attached.has(policyArn)) return true;
    try {
      await this.client.send(
        new CreatePolicyCommand({
          PolicyName: managedDenyPolicyName(roleNameOf(roleArn), shard),
          Path: MANAGED_DENY_POLICY_PATH,
          PolicyDocument: EMPTY_MANAGED_DENY_DOCUMENT,
          Description: 'jitvend: denies revoked and released sessions of this role (managed by jitvend)',
        }),
      );
    } catch (error) {
      if (!(error instanceof EntityAlreadyExistsException)) throw error;
    }
    try {
      await this.client.send(
        new AttachRolePolicyCommand({ RoleName: roleNameOf(roleArn), PolicyArn: policyArn }),
      );
    } catch (error) {
      if (error instanceof LimitExceededException) return false;
      throw error;
    }
    this.attached.add(policyArn);
    return true;
  }

  /** The size of the role's inline policies other than the deny list; lapsed denies of earlier versions are deleted. */
  private async inlineOthers(roleName: string): Promise<number> {
    const now = this.clock.now();
    let size = 0;
    for (const name of await this.listPolicyNames(roleName)) {
      if (name === DENY_POLICY_NAME) continue;
      const current = await this.read(roleName, name);
      if (current === undefined) continue;
      if (isMootRevocation(name, current, now)) {
        await this.deleteInline(roleName, name);
        continue;
      }
      size += policySize(current);
    }
    return size;
  }

  /** A per-request deny of the previous version: deleted once it has lapsed, like a list entry. */
  private async releaseLegacy(roleName: string, sourceIdentity: string): Promise<void> {
    const policyName = revocationPolicyName(sourceIdentity);
    const current = await this.read(roleName, policyName);
    if (current === undefined) return;
    const ends = denyEndsAt(current);
    if (ends !== undefined && ends.getTime() > this.clock.now().getTime()) return;
    await this.deleteInline(roleName, policyName);
  }

  private async listPolicyNames(roleName: string): Promise<string[]> {
    const names: string[] = [];
    let marker: string | undefined;
    do {
      const out = await this.client.send(
        new ListRolePoliciesCommand({ RoleName: roleName, ...(marker ? { Marker: marker } : {}) }),
      );
      names.push(...(out.PolicyNames ?? []));
      marker = out.IsTruncated ? out.Marker : undefined;
    } while (marker);
    return names;
  }

  private async read(roleName: string, policyName: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }),
      );
      // IAM returns policy documents URL-encoded
      return out.PolicyDocument ? decodeURIComponent(out.PolicyDocument) : undefined;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  }

  private async deleteInline(roleName: string, policyName: string): Promise<void> {
    try {
      await this.client.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
    }
  }
}
