/**
 * Local IAM stand-in (no IAM here): records the target roles' revocation policy, using
 * the same policy logic as the IAM adapter, and keeps it in `<dataDir>/iam-roles.json` so
 * the local page can show it and a restart keeps it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, type SessionRevoker, systemClock } from '../shared/domain/ports.ts';
import { revocationStatement, withoutRevocation, withRevocation } from '../shared/domain/revocation.ts';

export class LocalSessionRevoker implements SessionRevoker {
  private readonly file: string;
  private readonly policies: Record<string, string>;

  constructor(
    dataDir: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.file = join(dataDir, 'iam-roles.json');
    this.policies = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>)
      : {};
  }

  async revoke(input: { roleArn: string; sourceIdentity: string; expiresAt: string }): Promise<void> {
    const statement = revocationStatement(input.sourceIdentity, input.expiresAt);
    this.policies[input.roleArn] = withRevocation(this.policies[input.roleArn], statement, this.clock.now());
    this.save();
  }

  async release(input: { roleArn: string; sourceIdentity: string }): Promise<void> {
    const next = withoutRevocation(this.policies[input.roleArn], input.sourceIdentity, this.clock.now());
    if (next === undefined) delete this.policies[input.roleArn];
    else this.policies[input.roleArn] = next;
    this.save();
  }

  /** role ARN → the `jitvend-revocations` inline policy JSON */
  rolePolicies(): Record<string, string> {
    return { ...this.policies };
  }

  private save(): void {
    writeFileSync(this.file, JSON.stringify(this.policies, null, 2), { mode: 0o600 });
  }
}
