import {
  DeleteRolePolicyCommand,
  GetRolePolicyCommand,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { type Clock, type SessionRevoker, systemClock } from '../../domain/ports.ts';
import {
  REVOCATION_POLICY_NAME,
  revocationSid,
  revocationStatement,
  roleNameOf,
  withoutRevocation,
  withRevocation,
} from '../../domain/revocation.ts';

let defaultClient: IAMClient | undefined;
function sharedClient(): IAMClient {
  defaultClient ??= new IAMClient({});
  return defaultClient;
}

/**
 * Revokes sessions with an inline deny policy (`jitvend-revocations`) on the target role.
 * IAM has no conditional writes, so after each write the policy is read back and the
 * change re-applied if a concurrent writer overwrote it.
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
    const statement = revocationStatement(input.sourceIdentity, input.expiresAt);
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.read(roleName);
      await this.client.send(
        new PutRolePolicyCommand({
          RoleName: roleName,
          PolicyName: REVOCATION_POLICY_NAME,
          PolicyDocument: withRevocation(current, statement, this.clock.now()),
        }),
      );
      const after = await this.read(roleName);
      if (after?.includes(`"${statement.Sid}"`)) return;
    }
    throw new Error(`could not record the revocation on role ${roleName}: the policy kept changing`);
  }

  async release(input: { roleArn: string; sourceIdentity: string }): Promise<void> {
    const roleName = roleNameOf(input.roleArn);
    const sid = revocationSid(input.sourceIdentity);
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.read(roleName);
      if (current === undefined) return;
      const next = withoutRevocation(current, input.sourceIdentity, this.clock.now());
      if (next === undefined) {
        try {
          await this.client.send(
            new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME }),
          );
        } catch (error) {
          if (!(error instanceof NoSuchEntityException)) throw error;
        }
      } else {
        await this.client.send(
          new PutRolePolicyCommand({
            RoleName: roleName,
            PolicyName: REVOCATION_POLICY_NAME,
            PolicyDocument: next,
          }),
        );
      }
      const after = await this.read(roleName);
      if (!after?.includes(`"${sid}"`)) return;
    }
    throw new Error(`could not release the revocation on role ${roleName}: the policy kept changing`);
  }

  private async read(roleName: string): Promise<string | undefined> {
    try {
      const out = await this.client.send(
        new GetRolePolicyCommand({ RoleName: roleName, PolicyName: REVOCATION_POLICY_NAME }),
      );
      // IAM returns policy documents URL-encoded
      return out.PolicyDocument ? decodeURIComponent(out.PolicyDocument) : undefined;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw error;
    }
  }
}
