/**
 * Usage, job 3 of 3: the report of GET /requests/{id}/usage. Joins the records to the request
 * exactly on its session's source identity and compares the calls with what was granted: what
 * was used, denied and left unused, and a tighter permission list for next time. Pure.
 */
import { lookupAction } from '../policy/catalogue.ts';
import { findOutsideRectangles, globMatches } from '../policy/glob.ts';
import { resourceProblem } from '../policy/patterns.ts';
import { sourceIdentityFor } from '../session.ts';
import type { AccessRequest, Permission } from '../types.ts';
import {
  actionFor,
  grantAllows,
  isAccessDenied,
  NO_PERMISSION_NEEDED,
  permissionsAllowing,
  resourcesFor,
  serviceOf,
} from './iam-terms.ts';
import {
  type CloudTrailEvent,
  isSessionAssumeRole,
  isSessionCall,
  type TimeWindow,
  type UsageEvents,
} from './session-records.ts';

export interface UsageCall {
  eventTime: string;
  eventSource: string;
  eventName: string;
  /** the IAM action the call is authorized as, e.g. `dynamodb:GetItem` */
  action: string;
  /** ARNs the call is authorized against; `['*']` when the record names none */
  resources: string[];
  awsRegion: string;
  errorCode?: string;
  errorMessage?: string;
  /** the request's granted permissions allow this action on these resources */
  allowedByGrant: boolean;
  eventId?: string;
  sourceIPAddress?: string;
  /** an AWS service made the call on the session's behalf (e.g. `s3.amazonaws.com` for KMS) */
  invokedBy?: string;
  note?: string;
}

export interface UsedPermission {
  action: string;
  resource: string;
  count: number;
}

export interface DeniedUsage {
  action: string;
  resource: string;
  count: number;
  errorCode: string;
  /** the grant allows it: something else refused it (the role's own policy, an SCP, a boundary, a revocation) */
  allowedByGrant: boolean;
  firstAt: string;
  errorMessage?: string;
}

export interface UsageReport {
  requestId: string;
  sourceIdentity: string;
  profile: string;
  status: AccessRequest['status'];
  issuedAt?: string;
  expiresAt?: string;
  window: { from: string; to: string };
  /** where the records came from */
  source: string;
  /** the source stopped at its budget: there may be more calls than these */
  truncated: boolean;
  assumeRole?: {
    at: string;
    sourceIPAddress?: string;
    userAgent?: string;
    awsRegion: string;
    eventId?: string;
  };
  /** every call made with the session, oldest first */
  calls: UsageCall[];
  /** calls that passed authorization (including those that failed later, e.g. not found), per action and resource */
  used: UsedPermission[];
  granted: Permission[];
  /** granted action/resource patterns that no call exercised */
  grantedButUnused: Permission[];
  /** calls refused by AWS authorization */
  denied: DeniedUsage[];
  /** a tighter permission list for next time: the concrete actions and resources used, grouped */
  suggestion: Permission[];
  notes: string[];
}

/** More resources than this for one set of actions collapse into a common-prefix pattern (when still inside the grant). */
export const MAX_SUGGESTED_RESOURCES_PER_GROUP = 10;

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Joins the records to the request exactly on its source identity and compares the calls
 * with the request's granted permissions.
 */
export function usageReport(
  request: AccessRequest,
  found: Pick<UsageEvents, 'events'> & Partial<Omit<UsageEvents, 'events'>>,
  window?: TimeWindow,
): UsageReport {
  const sourceIdentity = sourceIdentityFor(request.id);
  const notes = new Set<string>(found.notes ?? []);
  const granted = request.permissions;

  const seen = new Set<string>();
  const unique = found.events.filter((event) => {
    const key =
      event.eventID ?? `${event.eventTime}|${event.eventSource}|${event.eventName}|${event.requestID}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  const byTime = (a: CloudTrailEvent, b: CloudTrailEvent) => byString(a.eventTime, b.eventTime);

  const assume = unique.filter((e) => isSessionAssumeRole(e, sourceIdentity)).sort(byTime)[0];
  const calls = unique
    .filter((e) => isSessionCall(e, sourceIdentity))
    .sort(byTime)
    .map((event) => toCall(event, granted, notes));

  const used = new Map<string, UsedPermission>();
  const denied = new Map<string, DeniedUsage>();
  /** used keys the grant does not seem to allow (a mapping jitvend gets wrong, or a call it cannot model) */
  const outsideGrant = new Set<string>();
  for (const call of calls) {
    for (const resource of call.resources) {
      const key = `${call.action}\n${resource}`;
      if (isAccessDenied(call.errorCode)) {
        const d = denied.get(key);
        if (d) d.count++;
        else
          denied.set(key, {
            action: call.action,
            resource,
            count: 1,
            errorCode: call.errorCode!,
            allowedByGrant: call.allowedByGrant,
            firstAt: call.eventTime,
            ...(call.errorMessage ? { errorMessage: call.errorMessage } : {}),
          });
      } else {
        const u = used.get(key);
        if (u) u.count++;
        else used.set(key, { action: call.action, resource, count: 1 });
        if (!call.allowedByGrant) outsideGrant.add(key);
      }
    }
  }
  if (request.revocation && [...denied.values()].some((d) => d.firstAt >= request.revocation!.at)) {
    notes.add(`the session was revoked at ${request.revocation.at}: calls after that are denied`);
  }

  for (const key of outsideGrant) {
    const [action, resource] = key.split('\n');
    if (NO_PERMISSION_NEEDED.has(action!)) continue;
    notes.add(
      `${action} on ${resource} succeeded although the grant does not seem to allow it: left out of the suggestion`,
    );
  }
  const usedList = [...used.values()].sort(
    (a, b) => byString(a.action, b.action) || byString(a.resource, b.resource),
  );
  const unknownResources = new Set(
    calls.filter((c) => c.resources.includes('*') && !isAccessDenied(c.errorCode)).map((c) => c.action),
  );
  if (calls.length === 0)
    notes.add(
      'no calls found: the session made none, or CloudTrail has not delivered them yet, or they are data events the source does not cover',
    );

  return {
    requestId: request.id,
    sourceIdentity,
    profile: request.profile,
    status: request.status,
    ...(request.issuedAt ? { issuedAt: request.issuedAt } : {}),
    ...(request.expiresAt ? { expiresAt: request.expiresAt } : {}),
    window: window
      ? { from: window.from.toISOString(), to: window.to.toISOString() }
      : { from: request.issuedAt ?? '', to: request.expiresAt ?? '' },
    source: found.source ?? 'unknown',
    truncated: found.truncated ?? false,
    ...(assume
      ? {
          assumeRole: {
            at: assume.eventTime,
            awsRegion: assume.awsRegion,
            ...(assume.sourceIPAddress ? { sourceIPAddress: assume.sourceIPAddress } : {}),
            ...(assume.userAgent ? { userAgent: assume.userAgent } : {}),
            ...(assume.eventID ? { eventId: assume.eventID } : {}),
          },
        }
      : {}),
    calls,
    used: usedList,
    granted,
    grantedButUnused: unusedGrants(granted, usedList, unknownResources),
    denied: [...denied.values()].sort(
      (a, b) => byString(a.action, b.action) || byString(a.resource, b.resource),
    ),
    suggestion: suggest(
      granted,
      usedList.filter((u) => !outsideGrant.has(`${u.action}\n${u.resource}`)),
      unknownResources,
      notes,
    ),
    notes: [...notes],
  };
}

function toCall(event: CloudTrailEvent, granted: readonly Permission[], notes: Set<string>): UsageCall {
  const service = serviceOf(event.eventSource);
  const mapped = actionFor(event.eventSource, event.eventName);
  const { resources, known } = resourcesFor(event, service);
  const callNotes = [mapped.note, known ? undefined : 'CloudTrail names no resource for this call'].filter(
    (n): n is string => n !== undefined,
  );
  if (mapped.note) notes.add(mapped.note);
  return {
    eventTime: event.eventTime,
    eventSource: event.eventSource,
    eventName: event.eventName,
    action: mapped.action,
    resources,
    awsRegion: event.awsRegion,
    ...(event.errorCode ? { errorCode: event.errorCode } : {}),
    ...(event.errorMessage ? { errorMessage: event.errorMessage } : {}),
    allowedByGrant: grantAllows(granted, mapped.action, resources, known),
    ...(event.eventID ? { eventId: event.eventID } : {}),
    ...(event.sourceIPAddress ? { sourceIPAddress: event.sourceIPAddress } : {}),
    ...(event.userIdentity?.invokedBy ? { invokedBy: event.userIdentity.invokedBy } : {}),
    ...(callNotes.length ? { note: callNotes.join('; ') } : {}),
  };
}

/**
 * The granted (action pattern, resource pattern) pairs no call exercised, regrouped per
 * permission: actions with the same unused resources share one entry.
 */
function unusedGrants(
  granted: readonly Permission[],
  used: readonly UsedPermission[],
  unknownResources: ReadonlySet<string>,
): Permission[] {
  const out: Permission[] = [];
  for (const permission of granted) {
    const byResources = new Map<string, { actions: string[]; resources: string[] }>();
    for (const pattern of permission.actions) {
      const matching = used.filter((u) => globMatches(pattern, u.action, { caseInsensitive: true }));
      const anyUnknown = matching.some((u) => unknownResources.has(u.action));
      const unused = permission.resources.filter(
        (r) => !anyUnknown && !matching.some((u) => u.resource !== '*' && globMatches(r, u.resource)),
      );
      if (unused.length === 0) continue;
      const key = unused.join('\n');
      const group = byResources.get(key);
      if (group) group.actions.push(pattern);
      else byResources.set(key, { actions: [pattern], resources: unused });
    }
    out.push(...byResources.values());
  }
  return out;
}

/** A resource that is a valid pattern, generalized to a prefix pattern where it holds characters a policy cannot. */
function patternFor(resource: string): string | undefined {
  if (resourceProblem(resource) === undefined) return resource;
  const cut = resource.search(/[^\x21-\x7e]|\$\{/);
  if (cut <= 0) return undefined;
  const prefix = `${resource.slice(0, cut)}*`;
  return resourceProblem(prefix) === undefined ? prefix : undefined;
}

function commonPrefix(values: readonly string[]): string {
  let prefix = values[0] ?? '';
  for (const v of values) while (!v.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

/** A prefix pattern names something narrower than a whole service when it reaches into the resource part. */
function specificEnough(prefix: string): boolean {
  const m = /^arn:[^:]+:[^:]+:[^:]*:[^:]*:(.*)$/.exec(prefix);
  return m !== null && /[^/:]+[/:][^/:]/.test(m[1]!);
}

function insideGrant(granted: readonly Permission[], actions: readonly string[], resource: string): boolean {
  return actions.every((a) => findOutsideRectangles(a, resource, granted) === undefined);
}

/**
 * The tighter permission list: each action used and allowed by the grant, on the resources it was used
 * on; resources sharing the same set of actions are grouped into one permission. A call whose
 * resource CloudTrail does not name keeps the resource patterns the grant gave that action.
 */
function suggest(
  granted: readonly Permission[],
  used: readonly UsedPermission[],
  unknownResources: ReadonlySet<string>,
  notes: Set<string>,
): Permission[] {
  const actionsByResource = new Map<string, Set<string>>();
  const add = (resource: string, action: string) => {
    const set = actionsByResource.get(resource) ?? new Set<string>();
    actionsByResource.set(resource, set);
    set.add(action);
  };
  for (const u of used) {
    if (NO_PERMISSION_NEEDED.has(u.action)) continue;
    if (!lookupAction(u.action)) continue;
    if (u.resource === '*' && unknownResources.has(u.action)) {
      const patterns = permissionsAllowing(granted, u.action).flatMap((p) => p.resources);
      for (const r of patterns.length > 0 ? patterns : ['*']) add(r, u.action);
      continue;
    }
    const pattern = patternFor(u.resource);
    if (pattern === undefined) {
      notes.add(`${u.resource} cannot be written in a policy: left out of the suggestion`);
      continue;
    }
    add(pattern, u.action);
  }
  const groups = new Map<string, Permission>();
  for (const [resource, actions] of actionsByResource) {
    const sorted = [...actions].sort(byString);
    const key = sorted.join(',');
    const group = groups.get(key);
    if (group) group.resources.push(resource);
    else groups.set(key, { actions: sorted, resources: [resource] });
  }
  const out: Permission[] = [];
  for (const group of groups.values()) {
    group.resources.sort(byString);
    if (group.resources.length > MAX_SUGGESTED_RESOURCES_PER_GROUP) {
      const prefix = commonPrefix(group.resources);
      const pattern = `${prefix}*`;
      if (specificEnough(prefix) && insideGrant(granted, group.actions, pattern)) {
        notes.add(
          `${group.resources.length} resources of ${group.actions.join(', ')} suggested as ${pattern}`,
        );
        group.resources = [pattern];
      }
    }
    out.push(group);
  }
  return out.sort(
    (a, b) =>
      byString(a.actions.join(','), b.actions.join(',')) || byString(a.resources[0]!, b.resources[0]!),
  );
}
