import type { Permission } from './types.ts';

/** A claim matcher: every key must be present in the token's claims and match the glob (`*`, `?`). */
export type ClaimMatcher = Record<string, string>;

export interface AutoApproveRule {
  /** every requested action is classified Read or List by the IAM catalogue */
  readOnly?: boolean;
  /** the requester's claims match these globs */
  claims?: ClaimMatcher;
  /** the requested duration is at most this */
  maxDurationSeconds?: number;
}

export interface ApprovalPolicy {
  autoApprove: AutoApproveRule[];
  /** group or person names */
  approvers: string[];
  minApprovals: number;
  timeoutSeconds: number;
  /** `sameRun`: a request approved by people approves later requests of the same CI run (domain/reuse.ts) */
  reuse?: 'sameRun';
}

/** A profile as configured by the infra team (validated by shared/config.ts). */
export interface Profile {
  name: string;
  description?: string;
  roleArn: string;
  maxDurationSeconds: number;
  defaultDurationSeconds: number;
  /** how long one approval may last (a window of renewed sessions); default maxDurationSeconds */
  maxWindowSeconds?: number;
  requesters: ClaimMatcher[];
  /** the guardrails: the most any request may get */
  allow: Permission[];
  /** explicit opt-in: the guardrails may use wildcards that cover escalation actions */
  allowEscalation: boolean;
  approval: ApprovalPolicy;
}

export interface Person {
  name: string;
  slack?: string;
  email?: string;
  github?: string;
  gitlab?: string;
}

export interface JitvendConfig {
  /**
   * The issuer that requests stored before issuer-scoped identity (no `requesterIssuer`)
   * are attributed to; unset = such requests belong to nobody (docs/storage.md).
   */
  legacyRequesterIssuer?: string;
  people: Record<string, Person>;
  groups: Record<string, string[]>;
  profiles: Record<string, Profile>;
}
