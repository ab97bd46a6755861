/**
 * Local IAM stand-in (no IAM here): the inline policies of the target roles, with IAM's
 * rules for them that revocation depends on, and nothing else:
 * - ListRolePolicies, GetRolePolicy (URL-encoded document, NoSuchEntity when absent),
 *   PutRolePolicy (creates or replaces one named policy), DeleteRolePolicy (NoSuchEntity when absent);
 * - the aggregate budget: all of a role's inline policies together at most 10,240 characters,
 *   whitespace not counted; a PutRolePolicy past it fails with LimitExceeded, as IAM's does.
 *
 * LocalSessionRevoker is the real IAM adapter (IamSessionRevoker) talking to this stand-in,
 * so the local stack runs the same revocation code as AWS. The policies are kept in
 * `<dataDir>/iam-inline-policies.json` so the local page can show them and a restart keeps them.
 * A role's guardrails (what JitVendTargetRole puts on it) can be seeded, so the budget counts
 * them as it would on AWS.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  type IAMClient,
  LimitExceededException,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { IamSessionRevoker } from '../shared/adapters/iam/session-revoker.ts';
import { type Clock, type SessionRevoker, systemClock } from '../shared/domain/ports.ts';
import {
  policySize,
  REVOCATION_POLICY_PREFIX,
  ROLE_INLINE_POLICY_MAX_CHARS,
  roleNameOf,
} from '../shared/domain/revocation.ts';

type RolePolicies = Record<string, Record<string, string>>;

/** The part of IAM this stand-in answers: a role's inline policies. */
export class LocalIamStandIn {
  private readonly roles: RolePolicies;
  /** how many PutRolePolicy calls IAM would have refused for size (none, if the adapter budgets right) */
  refusedForSize = 0;

  constructor(private readonly file?: string) {
    this.roles = file && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as RolePolicies) : {};
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
    throw new Error(`the local IAM stand-in does not answer ${(command as object).constructor.name}`);
  }

  private save(): void {
    if (this.file) writeFileSync(this.file, JSON.stringify(this.roles, null, 2), { mode: 0o600 });
  }
}

function noSuchEntity(message: string): NoSuchEntityException {
  return new NoSuchEntityException({ message, $metadata: { httpStatusCode: 404 } });
}

export interface LocalSessionRevokerOptions {
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

  constructor(dataDir: string, clock: Clock = systemClock, options: LocalSessionRevokerOptions = {}) {
    this.iam = new LocalIamStandIn(join(dataDir, 'iam-inline-policies.json'));
    this.adapter = new IamSessionRevoker(this.iam as unknown as IAMClient, clock);
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
   * role ARN → the role's jitvend deny statements, as one policy view (for the local page
   * and tests); roles with none are left out. Each statement lives in its own inline policy.
   */
  rolePolicies(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [roleName, policies] of Object.entries(this.iam.snapshot())) {
      const statements = Object.entries(policies)
        .filter(([name]) => name.startsWith(REVOCATION_POLICY_PREFIX))
        .sort(([a], [b]) => a.localeCompare(b))
        .flatMap(([, doc]) => (JSON.parse(doc) as { Statement: unknown[] }).Statement);
      if (statements.length === 0) continue;
      const arn = this.arns.get(roleName) ?? `arn:aws:iam::000000000000:role/${roleName}`;
      out[arn] = JSON.stringify({ Version: '2012-10-17', Statement: statements });
    }
    return out;
  }

  /** role name → inline policy name → document, as IAM would list them */
  inlinePolicies(): Record<string, Record<string, string>> {
    return this.iam.snapshot();
  }
}
