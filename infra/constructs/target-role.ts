/**
 * A role that jitvend vends (a profile's `roleArn`), in this account or any other. Its trust
 * policy admits only jitvend's issuing role (the issue function's role), and only:
 * - `sts:AssumeRole` and `sts:SetSourceIdentity` with a source identity like `jitvend-*`
 *   (jitvend always sets `jitvend-<requestId>`), so nobody, not even an administrator of the
 *   issuing account using that role by hand without it, can assume it around jitvend and
 *   every call made with it is traceable to a request;
 * - `sts:TagSession` with jitvend's session tags only.
 *
 * Its own permissions bound what any session can do (a session gets the intersection of
 * this policy and the session policy): give it the profile's guardrails (`allow`), no more.
 * Sessions are capped at one hour (role chaining), and jitvend's revocation deny is an inline
 * policy it adds on this role at run time (same account only, see docs/deploy.md).
 */
import { Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, nagSpelling } from '../nag.ts';

/** The session tag keys jitvend sets (shared/domain/session.ts). */
export const JITVEND_SESSION_TAG_KEYS = ['jitvend:request', 'jitvend:profile', 'jitvend:requester'];
export const JITVEND_SOURCE_IDENTITY_PATTERN = 'jitvend-*';

export interface JitVendTargetRoleProps {
  /**
   * The ARN of jitvend's issuing role: the `IssuerRoleArn` output of the jitvend stack (for a
   * role in another account, paste it; give jitvend a fixed `issuerRoleName` to know it before
   * deploying).
   */
  issuerRoleArn: string;
  /** the name the profile's roleArn uses */
  roleName?: string;
  description?: string;
  /** what the role may do: the profile's guardrails (`allow` of jitvend.config.yaml) */
  allow?: readonly { actions: readonly string[]; resources: readonly string[] }[];
  /** more permissions (managed or inline) are up to you: `role.addToPolicy`, `role.addManagedPolicy` */
}

export class JitVendTargetRole extends Construct {
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: JitVendTargetRoleProps) {
    super(scope, id);
    const sourceIdentity = { StringLike: { 'sts:SourceIdentity': JITVEND_SOURCE_IDENTITY_PATTERN } };
    const issuer = new iam.ArnPrincipal(props.issuerRoleArn);
    this.role = new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description:
        props.description ??
        'Vended by jitvend: only its issuing role, only with a jitvend-* source identity',
      assumedBy: issuer.withConditions(sourceIdentity),
      maxSessionDuration: Duration.hours(1),
    });
    this.role.assumeRolePolicy!.addStatements(
      new iam.PolicyStatement({
        sid: 'JitvendSourceIdentity',
        principals: [issuer],
        actions: ['sts:SetSourceIdentity'],
        conditions: sourceIdentity,
      }),
      new iam.PolicyStatement({
        sid: 'JitvendSessionTags',
        principals: [issuer],
        actions: ['sts:TagSession'],
        conditions: { 'ForAllValues:StringEquals': { 'aws:TagKeys': JITVEND_SESSION_TAG_KEYS } },
      }),
    );
    const allow = props.allow ?? [];
    if (allow.length > 0) {
      const policy = new iam.Policy(this, 'Guardrails', {
        statements: allow.map(
          (permission) =>
            new iam.PolicyStatement({
              actions: [...permission.actions],
              resources: [...permission.resources],
            }),
        ),
      });
      this.role.attachInlinePolicy(policy);
      const findings = new Set<string>();
      for (const permission of allow) {
        for (const action of permission.actions)
          if (action.includes('*')) findings.add(`AwsSolutions-IAM5[Action::${action}]`);
        for (const resource of permission.resources)
          if (resource.includes('*'))
            findings.add(`AwsSolutions-IAM5[Resource::${nagSpelling(this, resource)}]`);
      }
      acknowledge(
        policy,
        [...findings].map((finding) => ({
          id: finding,
          reason:
            'a guardrail of the jitvend profile vending this role: the ceiling of its sessions, which each get only the approved subset through their session policy',
        })),
      );
    }
  }

  get roleArn(): string {
    return this.role.roleArn;
  }
}
