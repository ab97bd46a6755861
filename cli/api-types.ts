/**
 * The jitvend HTTP API as the CLI sees it (SPEC.md "HTTP API"). The CLI is a client of the
 * wire contract, not of the server's modules, so these are plain types and the CLI reads
 * responses defensively: unknown fields are ignored, missing optional ones tolerated.
 */

export type RequestStatus =
  | 'pending_approval'
  | 'approved'
  | 'issued'
  | 'expired'
  | 'denied'
  | 'timed_out'
  | 'cancelled'
  | 'revoked'
  | 'released'
  | 'failed';

export interface Permission {
  actions: string[];
  resources: string[];
}

/** Body of `POST /requests` and `POST /requests/preview`. */
export interface RequestBody {
  profile: string;
  permissions?: Permission[];
  durationSeconds?: number;
  /** how long the approval lasts (servers without approval windows answer 400 to it) */
  windowSeconds?: number;
  reason: string;
  context?: Record<string, string>;
}

/**
 * The approval route. The API names the discriminator `route`; `kind` (the domain's name)
 * is accepted too so the CLI keeps working whichever the server sends.
 */
export type ApprovalRouteView =
  | { route?: 'auto'; kind?: 'auto'; rule: number }
  | { route?: 'human'; kind?: 'human'; approvers: string[]; minApprovals: number };

export interface ApprovalView {
  person: string;
  decision: 'approve' | 'deny';
  channel: string;
  at: string;
  reason?: string;
}

export interface RequestView {
  id: string;
  profile: string;
  requester: string;
  status: RequestStatus;
  permissions: Permission[];
  sessionPolicy: unknown;
  durationSeconds: number;
  reason: string;
  approvals: ApprovalView[];
  approval?: ApprovalRouteView;
  approvalRoute?: ApprovalRouteView;
  createdAt: string;
  updatedAt?: string;
  approvalDeadline?: string;
  expiresAt?: string;
  statusReason?: string;
}

export interface PreviewView {
  sessionPolicy: unknown;
  durationSeconds: number;
  approval?: ApprovalRouteView;
  approvalRoute?: ApprovalRouteView;
}

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ISO timestamp */
  expiration: string;
}

/** RFC 9457 problem details. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
}

/** The route of a view or preview, whichever name the server used. */
export function approvalRouteOf(view: {
  approval?: ApprovalRouteView;
  approvalRoute?: ApprovalRouteView;
}):
  | { kind: 'auto'; rule: number }
  | { kind: 'human'; approvers: string[]; minApprovals: number }
  | undefined {
  const route = view.approval ?? view.approvalRoute;
  if (!route) return undefined;
  const kind = route.route ?? route.kind;
  if (kind === 'auto' && 'rule' in route) return { kind: 'auto', rule: route.rule };
  if (kind === 'human' && 'approvers' in route)
    return {
      kind: 'human',
      approvers: Array.isArray(route.approvers) ? route.approvers : [],
      minApprovals: typeof route.minApprovals === 'number' ? route.minApprovals : 1,
    };
  return undefined;
}
