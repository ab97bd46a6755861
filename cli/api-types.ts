/**
 * The jitvend HTTP API as the CLI sees it (SPEC.md "HTTP API"), typed from the server's own
 * zod schemas (shared/api/schemas.ts; type-only imports, so nothing of the server is bundled).
 * The CLI reads responses defensively: it names only the fields it uses, unknown fields are
 * ignored, and the approval route is also read under the names older servers sent.
 */
import type { z } from 'zod';
import type {
  approvalRouteSchema,
  createRequestSchema,
  credentialsSchema,
  permissionSchema,
  previewSchema,
  problemSchema,
  requestViewSchema,
  statusSchema,
  usageReportSchema,
} from '../shared/api/schemas.ts';

export type RequestStatus = z.infer<typeof statusSchema>;

export type Permission = z.infer<typeof permissionSchema>;

/**
 * Body of `POST /requests` and `POST /requests/preview` (`windowSeconds`: how long the approval
 * lasts; servers without approval windows answer 400 to it).
 */
export type RequestBody = z.input<typeof createRequestSchema>;

type WireRoute = z.infer<typeof approvalRouteSchema>;
/** `route` as the API names the discriminator, or `kind` (the domain's name) as older servers sent it */
type EitherName<R> = R extends { route: infer K } ? Omit<R, 'route'> & { route?: K; kind?: K } : never;
export type ApprovalRouteView = EitherName<WireRoute>;

/** where a view or preview carries its route, whichever name the server used */
interface RouteFields {
  approval?: ApprovalRouteView;
  approvalRoute?: ApprovalRouteView;
}

type WireView = z.infer<typeof requestViewSchema>;

/** The request view: the fields the CLI reads (sessionPolicy is only printed, so read as it comes). */
export type RequestView = Pick<
  WireView,
  | 'id'
  | 'profile'
  | 'requester'
  | 'status'
  | 'permissions'
  | 'durationSeconds'
  | 'reason'
  | 'approvals'
  | 'createdAt'
> &
  // windowSeconds read as optional: servers from before approval windows do not send it
  Partial<
    Pick<
      WireView,
      | 'updatedAt'
      | 'approvalDeadline'
      | 'expiresAt'
      | 'statusReason'
      | 'windowSeconds'
      | 'windowEndsAt'
      | 'reuseOf'
    >
  > &
  RouteFields & { sessionPolicy: unknown };

export type PreviewView = Pick<z.infer<typeof previewSchema>, 'durationSeconds'> &
  RouteFields & { sessionPolicy: unknown };

export type Credentials = z.infer<typeof credentialsSchema>;

type WireUsage = z.infer<typeof usageReportSchema>;
type WireCall = WireUsage['calls'][number];
type WireDenied = WireUsage['denied'][number];

/**
 * The answer of `GET /requests/{id}/usage` as the CLI reads it: the fields it prints, missing
 * lists taken as empty (cli/commands/report.ts `usageReportOf`), the status as any text.
 */
export type UsageReportView = Pick<
  WireUsage,
  'requestId' | 'sourceIdentity' | 'used' | 'grantedButUnused' | 'suggestion' | 'notes'
> &
  Partial<Pick<WireUsage, 'profile' | 'issuedAt' | 'expiresAt' | 'window' | 'source' | 'truncated'>> & {
    status?: string;
    assumeRole?: Partial<NonNullable<WireUsage['assumeRole']>> & { at: string };
    calls: (Pick<WireCall, 'eventTime' | 'eventName' | 'action' | 'resources' | 'allowedByGrant'> &
      Partial<Pick<WireCall, 'errorCode' | 'invokedBy'>>)[];
    denied: Pick<WireDenied, 'action' | 'resource' | 'count' | 'errorCode' | 'allowedByGrant'>[];
  };

/** RFC 9457 problem details, any member possibly missing (a proxy's answer, an older server). */
export type Problem = Partial<Pick<z.infer<typeof problemSchema>, 'type' | 'title' | 'status' | 'detail'>>;

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
