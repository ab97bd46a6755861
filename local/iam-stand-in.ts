/**
 * Local IAM stand-in (no IAM here): the inline and customer-managed policies of the target
 * roles, with IAM's rules for them that revocation depends on, and nothing else:
 * - ListRolePolicies, GetRolePolicy (URL-encoded document, NoSuchEntity when absent),
 *   PutRolePolicy (creates or replaces one named policy), DeleteRolePolicy (NoSuchEntity when absent);
 * - CreatePolicy (EntityAlreadyExists), CreatePolicyVersion (SetAsDefault), ListPolicyVersions,
 *   DeletePolicyVersion (never the default one), AttachRolePolicy (idempotent);
 * - IAM's quotas ("IAM and AWS STS quotas", IAM User Guide): all of a role's inline policies
 *   together at most 10,240 characters and one managed policy at most 6,144, whitespace not
 *   counted; at most 5 versions of a managed policy; at most 10 managed policies attached to a
 *   role (the default quota). Past any of them the call fails with LimitExceeded, as IAM's does.
 *
 * LocalSessionRevoker is the real IAM adapter (IamSessionRevoker) talking to this stand-in,
 * so the local stack runs the same revocation code as AWS. The policies are kept in
 * `<dataDir>/iam-inline-policies.json` and `<dataDir>/iam-managed-policies.json` so the local
 * page can show them and a restart keeps them. A role's guardrails (what JitVendTargetRole puts
 * on it) can be seeded, so the budget counts them as it would on AWS.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeleteConflictException,
  DeletePolicyVersionCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetRolePolicyCommand,
  type IAMClient,
  LimitExceededException,
  ListPolicyVersionsCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { IamSessionRevoker } from '../shared/adapters/iam/session-revoker.ts';
import { type Clock, type SessionRevoker, systemClock } from '../shared/domain/ports.ts';
import {
  type DenyListStore,
  MANAGED_POLICY_MAX_CHARS,
  policySize,
  ROLE_INLINE_POLICY_MAX_CHARS,
  roleNameOf,
} from '../shared/domain/revocation.ts';

/** IAM's default quota of managed policies attached to one role. */
export const LOCAL_MANAGED_POLICIES_PER_ROLE = 10;
const MAX_POLICY_VERSIONS = 5;

interface ManagedPolicy {
  versions: { id: string; document: string; createdAt: string }[];
  defaultVersion: string;
  nextVersion: number;
}
interface ManagedState {
  /** policy ARN → its versions */
  policies: Record<string, ManagedPolicy>;
  /** role name → attached policy ARNs */
  attached: Record<string, string[]>;
}

type RolePolicies = Record<string, Record<string, string>>;

interface DenyStatementView {
  Effect: string;
  Condition?: {
    StringEquals?: { 'aws:SourceIdentity'?: string | string[] };
    DateLessThan?: { 'aws:CurrentTime'?: string };
  };
}

/** The part of IAM this stand-in answers: a role's inline policies. */
export class LocalIamStandIn {
  private readonly roles: RolePolicies;
  /** how many PutRolePolicy calls IAM would have refused for size (none, if the adapter budgets right) */
  refusedForSize = 0;

  private readonly managed: ManagedState;

  constructor(
    private readonly file?: string,
    private readonly managedFile?: string,
  ) {
    this.roles = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RolePolicies) : {};
    this.managed =
      managedFile && existsSync(managedFile)
        ? (JSON.parse(readFileSync(managedFile, 'utf8')) as ManagedState)
        : { policies: {}, attached: {} };
  }

  /** role name → attached managed policy ARN → its default version's document */
  attachedPolicies(): Record<string, Record<string, string>> {
    const out: Record<string, Record<string, string>> = {};
    for (const [role, arns] of Object.entries(this.managed.attached)) {
      out[role] = {};
      for (const arn of arns) {
        const policy = this.managed.policies[arn];
        const version = policy?.versions.find((v) => v.id === policy.defaultVersion);
        if (version) out[role][arn] = version.document;
      }
    }
    return out;
  }

  /** Puts a policy as an administrator would (e.g. a role's guardrails), without the budget check. */
  seed(roleName: string, policyName: string, document: string): void {
    this.roles[roleName] = { ...this.roles[roleName], [policyName]: document };
    this.save();
  }

  /** role name → policy name → document */
  snapshot(): RolePolicies {
    return structuredClone(this.roles);
  }

  /** IAMClient#send for the four inline-policy calls; anything else is refused. */
  async send(command: unknown): Promise<Record<string, unknown>> {
    if (command instanceof ListRolePoliciesCommand) {
      return { PolicyNames: Object.keys(this.roles[command.input.RoleName!] ?? {}), IsTruncated: false };
    }
    if (command instanceof GetRolePolicyCommand) {
      const { RoleName, PolicyName } = command.input;
      const document = this.roles[RoleName!]?.[PolicyName!];
      if (document === undefined)
        throw noSuchEntity(`The role policy with name ${PolicyName} cannot be found.`);
      return { RoleName, PolicyName, PolicyDocument: encodeURIComponent(document) };
    }
    if (command instanceof PutRolePolicyCommand) {
      const { RoleName, PolicyName, PolicyDocument } = command.input;
      const role = { ...this.roles[RoleName!], [PolicyName!]: PolicyDocument! };
      const total = Object.values(role).reduce((sum, doc) => sum + policySize(doc), 0);
      if (total > ROLE_INLINE_POLICY_MAX_CHARS) {
        this.refusedForSize++;
        throw new LimitExceededException({
          message: `Maximum policy size of ${ROLE_INLINE_POLICY_MAX_CHARS} bytes exceeded for role ${RoleName}`,
          $metadata: { httpStatusCode: 409 },
        });
      }
      this.roles[RoleName!] = role;
      this.save();
      return {};
    }
    if (command instanceof DeleteRolePolicyCommand) {
      const { RoleName, PolicyName } = command.input;
      const role = this.roles[RoleName!];
      if (!role || !(PolicyName! in role))
        throw noSuchEntity(`The role policy with name ${PolicyName} cannot be found.`);
      delete role[PolicyName!];
      if (Object.keys(role).length === 0) delete this.roles[RoleName!];
      this.save();
      return {};
    }
    const managed = this.sendManaged(command);
    if (managed) return managed;
    throw new Error(`the local IAM stand-in does not answer ${(command as object).constructor.name}`);
  }

  private sendManaged(command: unknown): Record<string, unknown> | undefined {
    if (command instanceof CreatePolicyCommand) {
      const { PolicyName, Path, PolicyDocument } = command.input;
      // kept by path and name: the stand-in is one account, whichever the caller names
      const arn = `policy${Path ?? '/'}${PolicyName}`;
      if (this.managed.policies[arn]) {
        throw new EntityAlreadyExistsException({
          message: `A policy called ${PolicyName} already exists. Duplicate names are not allowed.`,
          $metadata: { httpStatusCode: 409 },
        });
      }
      assertManagedSize(PolicyDocument!);
      this.managed.policies[arn] = {
        versions: [{ id: 'v1', document: PolicyDocument!, createdAt: new Date().toISOString() }],
        defaultVersion: 'v1',
        nextVersion: 2,
      };
      this.saveManaged();
      return { Policy: { Arn: `arn:aws:iam::123456789012:${arn}`, PolicyName, DefaultVersionId: 'v1' } };
    }
    if (command instanceof CreatePolicyVersionCommand) {
      const { PolicyArn, PolicyDocument, SetAsDefault } = command.input;
      const policy = this.policyOf(PolicyArn!);
      if (policy.versions.length >= MAX_POLICY_VERSIONS) {
        throw new LimitExceededException({
          message: `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
          $metadata: { httpStatusCode: 409 },
        });
      }
      assertManagedSize(PolicyDocument!);
      const id = `v${policy.nextVersion++}`;
      policy.versions.push({ id, document: PolicyDocument!, createdAt: new Date().toISOString() });
      if (SetAsDefault) policy.defaultVersion = id;
      this.saveManaged();
      return { PolicyVersion: { VersionId: id, IsDefaultVersion: SetAsDefault === true } };
    }
    if (command instanceof ListPolicyVersionsCommand) {
      const policy = this.policyOf(command.input.PolicyArn!);
      return {
        Versions: policy.versions.map((v) => ({
          VersionId: v.id,
          IsDefaultVersion: v.id === policy.defaultVersion,
          CreateDate: new Date(v.createdAt),
        })),
        IsTruncated: false,
      };
    }
    if (command instanceof DeletePolicyVersionCommand) {
      const { PolicyArn, VersionId } = command.input;
      const policy = this.policyOf(PolicyArn!);
      if (VersionId === policy.defaultVersion) {
        throw new DeleteConflictException({
          message: 'Cannot delete the default version of a policy.',
          $metadata: { httpStatusCode: 409 },
        });
      }
      if (!policy.versions.some((v) => v.id === VersionId))
        throw noSuchEntity(`Policy version ${VersionId} does not exist.`);
      policy.versions = policy.versions.filter((v) => v.id !== VersionId);
      this.saveManaged();
      return {};
    }
    if (command instanceof AttachRolePolicyCommand) {
      const { RoleName, PolicyArn } = command.input;
      this.policyOf(PolicyArn!);
      const key = policyKey(PolicyArn!);
      const attached = this.managed.attached[RoleName!] ?? [];
      if (attached.includes(key)) return {};
      if (attached.length >= LOCAL_MANAGED_POLICIES_PER_ROLE) {
        throw new LimitExceededException({
          message: `Cannot exceed quota for PoliciesPerRole: ${LOCAL_MANAGED_POLICIES_PER_ROLE}`,
          $metadata: { httpStatusCode: 409 },
        });
      }
      this.managed.attached[RoleName!] = [...attached, key];
      this.saveManaged();
      return {};
    }
    return undefined;
  }

  /** Attaches a managed policy as an administrator would (e.g. the role's own permissions), without jitvend. */
  seedAttached(roleName: string, policyArn: string, document: string): void {
    const key = policyKey(policyArn);
    this.managed.policies[key] ??= {
      versions: [{ id: 'v1', document, createdAt: new Date().toISOString() }],
      defaultVersion: 'v1',
      nextVersion: 2,
    };
    const attached = this.managed.attached[roleName] ?? [];
    if (!attached.includes(key)) this.managed.attached[roleName] = [...attached, key];
    this.saveManaged();
  }

  private policyOf(arn: string): ManagedPolicy {
    const policy = this.managed.policies[policyKey(arn)];
    if (!policy) throw noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
    return policy;
  }

  private save(): void {
    if (this.file) writeFileSync(this.file, JSON.stringify(this.roles, null, 2), { mode: 0o600 });
  }

  /** Kept on disk: every policy's versions, with the document of its default version only (all the stand-in reads). */
  private saveManaged(): void {
    if (!this.managedFile) return;
    const policies: ManagedState['policies'] = {};
    for (const [key, policy] of Object.entries(this.managed.policies)) {
      policies[key] = {
        ...policy,
        versions: policy.versions.map((v) => (v.id === policy.defaultVersion ? v : { ...v, document: '' })),
      };
    }
    writeFileSync(this.managedFile, JSON.stringify({ ...this.managed, policies }), { mode: 0o600 });
  }
}

/** `policy/<path><name>` of a policy ARN: the stand-in is one account. */
function policyKey(arn: string): string {
  const at = arn.indexOf(':policy/');
  return at === -1 ? arn : arn.slice(at + 1);
}

function assertManagedSize(document: string): void {
  if (policySize(document) > MANAGED_POLICY_MAX_CHARS) {
    throw new LimitExceededException({
      message: `Cannot exceed quota for PolicySize: ${MANAGED_POLICY_MAX_CHARS}`,
      $metadata: { httpStatusCode: 409 },
    });
  }
}

function noSuchEntity(message: string): NoSuchEntityException {
  return new NoSuchEntityException({ message, $metadata: { httpStatusCode: 404 } });
}

export interface LocalSessionRevokerOptions {
  /** where the roles' deny lists are kept: the local stack passes its DynamoDB Local table */
  denyLists: DenyListStore;
  /** config `revocation.managedPolicies` */
  managedPolicies?: number;
  /** profiles whose guardrails are seeded as the role's inline policy (as JitVendTargetRole does) */
  profiles?: Record<
    string,
    { roleArn: string; allow: readonly { actions: readonly string[]; resources: readonly string[] }[] }
  >;
}

/** The local stack's SessionRevoker: the real IAM adapter over the IAM stand-in. */
export class LocalSessionRevoker implements SessionRevoker {
  readonly iam: LocalIamStandIn;
  private readonly adapter: IamSessionRevoker;
  /** role name → the role ARN revocations named it by (for the page) */
  private readonly arns = new Map<string, string>();

  /** `dataDir` undefined: IAM's state is kept in memory only (tests) */
  constructor(dataDir: string | undefined, clock: Clock = systemClock, options: LocalSessionRevokerOptions) {
    this.iam = dataDir
      ? new LocalIamStandIn(
          join(dataDir, 'iam-inline-policies.json'),
          join(dataDir, 'iam-managed-policies.json'),
        )
      : new LocalIamStandIn();
    this.adapter = new IamSessionRevoker({
      client: this.iam as unknown as IAMClient,
      clock,
      denyLists: options.denyLists,
      ...(options.managedPolicies !== undefined ? { managedPolicies: options.managedPolicies } : {}),
    });
    for (const profile of Object.values(options.profiles ?? {})) {
      if (profile.allow.length === 0) continue;
      const name = roleNameOf(profile.roleArn);
      this.arns.set(name, profile.roleArn);
      const document = JSON.stringify({
        Version: '2012-10-17',
        Statement: profile.allow.map((a) => ({
          Effect: 'Allow',
          Action: [...a.actions],
          Resource: [...a.resources],
        })),
      });
      this.iam.seed(name, 'Guardrails', document);
    }
  }

  async revoke(input: { roleArn: string; sourceIdentity: string; expiresAt: string }): Promise<void> {
    this.arns.set(roleNameOf(input.roleArn), input.roleArn);
    await this.adapter.revoke(input);
  }

  async release(input: { roleArn: string; sourceIdentity: string }): Promise<void> {
    await this.adapter.release(input);
  }

  /**
   * role ARN → the role's deny statements (inline and attached managed policies, jitvend's and
   * any other), as one policy view for the local page and tests; roles with none are left out.
   */
  rolePolicies(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [roleName, statements] of Object.entries(this.denyStatements())) {
      const arn = this.arns.get(roleName) ?? `arn:aws:iam::000000000000:role/${roleName}`;
      out[arn] = JSON.stringify({ Version: '2012-10-17', Statement: statements });
    }
    return out;
  }

  /**
   * Whether a call by the session with this source identity, on this role, at `at`, meets a
   * Deny of the role's policies (inline and attached managed): what IAM would answer for the
   * `aws:SourceIdentity` + `aws:CurrentTime` conditions jitvend's denies use.
   */
  isDenied(roleArn: string, sourceIdentity: string, at: Date): boolean {
    return this.deniedSessions(roleArn, at).has(sourceIdentity);
  }

  /** Every source identity a Deny of the role's policies matches at `at`. */
  deniedSessions(roleArn: string, at: Date): Set<string> {
    const denied = new Set<string>();
    for (const s of this.denyStatements()[roleNameOf(roleArn)] ?? []) {
      const ids = s.Condition?.StringEquals?.['aws:SourceIdentity'];
      const until = s.Condition?.DateLessThan?.['aws:CurrentTime'];
      if (ids === undefined || until === undefined || at.getTime() >= new Date(until).getTime()) continue;
      for (const id of Array.isArray(ids) ? ids : [ids]) denied.add(id);
    }
    return denied;
  }

  private denyStatements(): Record<string, DenyStatementView[]> {
    const out: Record<string, DenyStatementView[]> = {};
    const add = (roleName: string, document: string) => {
      const doc = JSON.parse(document) as { Statement: DenyStatementView | DenyStatementView[] };
      const statements = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter(
        (s) => s.Effect === 'Deny',
      );
      if (statements.length > 0) out[roleName] = [...(out[roleName] ?? []), ...statements];
    };
    for (const [roleName, policies] of Object.entries(this.iam.snapshot()))
      for (const [, doc] of Object.entries(policies).sort(([a], [b]) => a.localeCompare(b)))
        add(roleName, doc);
    for (const [roleName, policies] of Object.entries(this.iam.attachedPolicies()))
      for (const [, doc] of Object.entries(policies).sort(([a], [b]) => a.localeCompare(b)))
        add(roleName, doc);
    return out;
  }

  /** role name → attached managed policy ARN → its default version's document */
  managedPolicies(): Record<string, Record<string, string>> {
    return this.iam.attachedPolicies();
  }

  /** role name → inline policy name → document, as IAM would list them */
  inlinePolicies(): Record<string, Record<string, string>> {
    return this.iam.snapshot();
  }
}
