import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  LimitExceededException,
  ListRolePoliciesCommand,
  MalformedPolicyDocumentException,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { type Clock, type SessionRevoker, systemClock } from '../../domain/ports.ts';
import {
  assertRevocationFits,
  denyEndsAt,
  isMootRevocation,
  policySize,
  RevocationLimitError,
  revocationPolicyDocument,
  revocationPolicyName,
  roleNameOf,
} from '../../domain/revocation.ts';

let defaultClient: IAMClient | undefined;
function sharedClient(): IAMClient {
  defaultClient ??= new IAMClient({});
  return defaultClient;
}

/**
 * Revokes sessions with one inline deny policy per request on the target role
 * (`jitvend-revoke-<requestId>`, shared/domain/revocation.ts): PutRolePolicy of that policy
 * alone, so concurrent revocations never overwrite each other. Before writing, the role's
 * inline policies are listed and sized (ListRolePolicies + GetRolePolicy) against IAM's
 * 10,240-character budget for all of them together; denies that have lapsed are deleted on
 * the way (so one left behind by a failed cleanup never holds the budget).
 *
 * `release` deletes the request's deny only once it has lapsed (its `aws:CurrentTime` bound,
 * the session's expiry plus the grace, has passed): called early it keeps the deny, which a
 * later revocation on the role prunes. A deny that is already gone is fine (NoSuchEntity).
 *
 * IAM calls: iam:ListRolePolicies, iam:GetRolePolicy, iam:PutRolePolicy, iam:DeleteRolePolicy.
 */
export class IamSessionRevoker implements SessionRevoker {
  private readonly client: IAMClient;
  constructor(
    client?: IAMClient,
    private readonly clock: Clock = systemClock,
  ) {
    this.client = client ?? sharedClient();
  }

  async revoke(input: { roleArn: string; sourceIdentity: string; expiresAt: string }): Promise<void> {
    const roleName = roleNameOf(input.roleArn);
    const policyName = revocationPolicyName(input.sourceIdentity);
    const document = revocationPolicyDocument(input.sourceIdentity, input.expiresAt);
    const now = this.clock.now();
    const others: number[] = [];
    for (const name of await this.listPolicyNames(roleName)) {
      if (name === policyName) continue; // replaced by this write
      const current = await this.read(roleName, name);
      if (current === undefined) continue;
      if (isMootRevocation(name, current, now)) {
        await this.delete(roleName, name);
        continue;
      }
      others.push(policySize(current));
    }
    assertRevocationFits(roleName, others, policySize(document));
    try {
      await this.client.send(
        new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document }),
      );
    } catch (error) {
      // a revocation racing this one took the reserve: IAM refuses, say so the same way
      if (error instanceof LimitExceededException || error instanceof MalformedPolicyDocumentException) {
        throw new RevocationLimitError(
          `role ${roleName} cannot hold another revocation: IAM refused the deny (${error.message.slice(0, 200)})`,
          { cause: error, extra: { roleName } },
        );
      }
      throw error;
    }
  }

  async release(input: { roleArn: string; sourceIdentity: string }): Promise<void> {
    const roleName = roleNameOf(input.roleArn);
    const policyName = revocationPolicyName(input.sourceIdentity);
    const current = await this.read(roleName, policyName);
    if (current === undefined) return;
    const ends = denyEndsAt(current);
    // never before the session's expiry plus the grace: the deny is what stops a stolen session
    if (ends !== undefined && ends.getTime() > this.clock.now().getTime()) return;
    await this.delete(roleName, policyName);
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

  private async delete(roleName: string, policyName: string): Promise<void> {
    try {
      await this.client.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    } catch (error) {
      if (!(error instanceof NoSuchEntityException)) throw error;
    }
  }
}
