/**
 * What a session did with its credentials: CloudTrail records joined to their request on the
 * session's SourceIdentity (`jitvend-<requestId>`), compared with what the request was granted.
 *
 * Pure: no AWS SDK imports. The records come through the UsageSource port (CloudTrail
 * LookupEvents, a trail's log files in S3, or local files), already parsed from CloudTrail's
 * documented record format; this module decides which of them belong to the session (exactly
 * by source identity, never by role or session-name look-alikes) and what they mean in IAM terms.
 */
import { canonicalActionName, lookupAction, serviceExists } from './policy/catalogue.ts';
import { findOutsideRectangles, globMatches } from './policy/glob.ts';
import { resourceProblem } from './policy/patterns.ts';
import { sourceIdentityFor } from './session.ts';
import type { AccessRequest, Permission } from './types.ts';

/** `userIdentity` of a CloudTrail record (the fields jitvend reads; records carry more). */
export interface CloudTrailUserIdentity {
  type?: string;
  principalId?: string;
  arn?: string;
  accountId?: string;
  accessKeyId?: string;
  userName?: string;
  invokedBy?: string;
  sessionContext?: {
    sourceIdentity?: string;
    sessionIssuer?: {
      type?: string;
      principalId?: string;
      arn?: string;
      accountId?: string;
      userName?: string;
    };
    attributes?: { creationDate?: string; mfaAuthenticated?: string };
    webIdFederationData?: unknown;
  };
}

/** One CloudTrail record (`Records[]` of a log file, or `CloudTrailEvent` of LookupEvents, parsed). */
export interface CloudTrailEvent {
  eventVersion?: string;
  userIdentity?: CloudTrailUserIdentity;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress?: string;
  userAgent?: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters?: Record<string, unknown> | null;
  responseElements?: Record<string, unknown> | null;
  requestID?: string;
  eventID?: string;
  readOnly?: boolean;
  resources?: { ARN?: string; accountId?: string; type?: string }[];
  eventType?: string;
  managementEvent?: boolean;
  recipientAccountId?: string;
  eventCategory?: string;
}

export interface TimeWindow {
  from: Date;
  to: Date;
}

/** Where to look for a session's records. */
export interface UsageWindow extends TimeWindow {
  /** where and when the session began: lets a source find the AssumeRole record itself */
  assumeRole?: TimeWindow & { roleArn: string };
}

/** What a UsageSource found: candidate records (the join happens here, in usageReport). */
export interface UsageEvents {
  events: CloudTrailEvent[];
  /** a page or object budget was reached: there may be more records than these */
  truncated: boolean;
  /** e.g. `cloudtrail:LookupEvents us-east-1`, `s3://bucket/prefix`, `local files` */
  source: string;
  /** what the source wants the reader to know (e.g. management events only) */
  notes?: string[];
}

/** Clock skew and STS latency before issue; CloudTrail delivery delay after expiry. */
export const USAGE_WINDOW_SLACK_MS = 5 * 60_000;
/** CloudTrail usually delivers a record within 5 minutes, and LookupEvents within 15 (not guaranteed). */
export const CLOUDTRAIL_SETTLE_MS = 15 * 60_000;

/**
 * The time window of an issued request's session: 5 minutes before issue to 5 minutes after
 * expiry (never later than now), and the AssumeRole record within 5 minutes of the issue time.
 */
export function usageWindow(
  request: Pick<AccessRequest, 'issuedAt' | 'expiresAt' | 'durationSeconds'>,
  roleArn: string | undefined,
  now: Date,
): UsageWindow {
  if (!request.issuedAt) throw new Error('usageWindow needs an issued request');
  const issuedAt = Date.parse(request.issuedAt);
  const expiresAt = request.expiresAt
    ? Date.parse(request.expiresAt)
    : issuedAt + request.durationSeconds * 1000;
  const from = new Date(issuedAt - USAGE_WINDOW_SLACK_MS);
  const to = new Date(Math.max(from.getTime(), Math.min(now.getTime(), expiresAt + USAGE_WINDOW_SLACK_MS)));
  const window: UsageWindow = { from, to };
  if (roleArn) {
    const assumeTo = new Date(Math.min(to.getTime(), issuedAt + USAGE_WINDOW_SLACK_MS));
    window.assumeRole = { roleArn, from, to: assumeTo };
  }
  return window;
}

// ---------------------------------------------------------------------------------------------
// The join

/** A call made with the session: its identity carries exactly this source identity. */
export function isSessionCall(event: CloudTrailEvent, sourceIdentity: string): boolean {
  return event.userIdentity?.sessionContext?.sourceIdentity === sourceIdentity;
}

/** The STS AssumeRole call that started the session (made by the vending role, naming the source identity). */
export function isSessionAssumeRole(event: CloudTrailEvent, sourceIdentity: string): boolean {
  return (
    event.eventSource === 'sts.amazonaws.com' &&
    event.eventName === 'AssumeRole' &&
    event.requestParameters?.sourceIdentity === sourceIdentity &&
    !isSessionCall(event, sourceIdentity)
  );
}

// ---------------------------------------------------------------------------------------------
// From a record to IAM terms

/** Event sources whose IAM service prefix is not the first label of the host name. */
const SERVICE_BY_EVENT_SOURCE: Record<string, string> = {
  'monitoring.amazonaws.com': 'cloudwatch',
  'email.amazonaws.com': 'ses',
  'tagging.amazonaws.com': 'tag',
  'runtime.sagemaker.amazonaws.com': 'sagemaker',
  'runtime.lex.amazonaws.com': 'lex',
  'bedrock-runtime.amazonaws.com': 'bedrock',
};

/** CloudTrail event names that are not the name of the IAM action that authorizes them. */
const ACTION_BY_EVENT: Record<string, string> = {
  's3:ListObjects': 's3:ListBucket',
  's3:ListObjectsV2': 's3:ListBucket',
  's3:HeadBucket': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:SelectObjectContent': 's3:GetObject',
  's3:ListObjectVersions': 's3:ListBucketVersions',
  's3:ListMultipartUploads': 's3:ListBucketMultipartUploads',
  's3:ListBuckets': 's3:ListAllMyBuckets',
  's3:DeleteObjects': 's3:DeleteObject',
  's3:CopyObject': 's3:PutObject',
  's3:UploadPart': 's3:PutObject',
  's3:UploadPartCopy': 's3:PutObject',
  's3:CreateMultipartUpload': 's3:PutObject',
  's3:CompleteMultipartUpload': 's3:PutObject',
  'dynamodb:TransactGetItems': 'dynamodb:GetItem',
  'lambda:Invoke': 'lambda:InvokeFunction',
};

/** Actions that need more than the one action jitvend maps the record to. */
const ACTION_NOTES: Record<string, string> = {
  's3:CopyObject': 'CopyObject also needs s3:GetObject on the copy source',
  's3:UploadPartCopy': 'UploadPartCopy also needs s3:GetObject on the copy source',
  'dynamodb:TransactWriteItems':
    'TransactWriteItems is authorized per item (dynamodb:PutItem, UpdateItem, DeleteItem, ConditionCheckItem)',
  'dynamodb:ExecuteStatement':
    'PartiQL statements are authorized as dynamodb:PartiQLSelect/Insert/Update/Delete',
};

/** Calls any valid AWS credentials may make: never suggested. */
const NO_PERMISSION_NEEDED = new Set(['sts:GetCallerIdentity']);

const DENIED_CODES =
  /^(Client\.)?(AccessDenied(Exception)?|UnauthorizedOperation|UnauthorizedAccess|Forbidden|AuthorizationError)$/i;

/** Does this error code mean IAM (or an SCP, a boundary, a revocation) refused the call? */
export function isAccessDenied(errorCode: string | undefined): boolean {
  return errorCode !== undefined && DENIED_CODES.test(errorCode);
}

/** The IAM service prefix of a CloudTrail event source (`dynamodb.amazonaws.com` → `dynamodb`). */
export function serviceOf(eventSource: string): string {
  const mapped = SERVICE_BY_EVENT_SOURCE[eventSource];
  if (mapped) return mapped;
  const labels = eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '').split('.');
  // `runtime.x`, `data.x`: the service is usually the last label before the domain
  for (const label of [...labels].reverse()) if (serviceExists(label)) return label;
  return labels[0]!.toLowerCase();
}

export interface MappedAction {
  /** `service:Action`, canonical spelling when the catalogue knows it */
  action: string;
  /** the catalogue knows it as an IAM action */
  known: boolean;
  note?: string;
}

/** The IAM action a record's call is authorized as (`dynamodb.amazonaws.com` + `GetItem` → `dynamodb:GetItem`). */
export function actionFor(eventSource: string, eventName: string): MappedAction {
  const service = serviceOf(eventSource);
  // Lambda's management events carry the API version: GetFunction20150331v2
  const name = service === 'lambda' ? eventName.replace(/\d{8}(v\d+)?$/, '') : eventName;
  const raw = `${service}:${name}`;
  const mapped = ACTION_BY_EVENT[raw] ?? raw;
  const known = lookupAction(mapped) !== undefined;
  const note = ACTION_NOTES[raw] ?? (known ? undefined : `${mapped} is not an IAM action in the catalogue`);
  return { action: canonicalActionName(mapped), known, ...(note ? { note } : {}) };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function partitionOf(event: CloudTrailEvent): string {
  const arn = event.userIdentity?.arn ?? event.userIdentity?.sessionContext?.sessionIssuer?.arn ?? '';
  return /^arn:([^:]+):/.exec(arn)?.[1] ?? 'aws';
}

function accountOf(event: CloudTrailEvent): string {
  return event.recipientAccountId ?? event.userIdentity?.accountId ?? '';
}

/** The resources IAM authorizes the call against, from the request parameters of common services. */
function resourcesFromParameters(event: CloudTrailEvent, service: string): string[] | undefined {
  const p = event.requestParameters ?? {};
  const partition = partitionOf(event);
  const region = event.awsRegion;
  const account = accountOf(event);
  switch (service) {
    case 'dynamodb': {
      const table = str(p.tableName);
      if (!table) return undefined;
      const tableArn = table.startsWith('arn:')
        ? table
        : `arn:${partition}:dynamodb:${region}:${account}:table/${table}`;
      const index = str(p.indexName);
      return [index ? `${tableArn}/index/${index}` : tableArn];
    }
    case 's3': {
      const bucket = str(p.bucketName);
      if (!bucket) return undefined;
      const key = str(p.key);
      return [key ? `arn:${partition}:s3:::${bucket}/${key}` : `arn:${partition}:s3:::${bucket}`];
    }
    case 'sqs': {
      // https://sqs.us-east-1.amazonaws.com/123456789012/queue-name
      const m = /^https?:\/\/[^/]+\/(\d{12})\/([^/?#]+)/.exec(str(p.queueUrl) ?? '');
      return m ? [`arn:${partition}:sqs:${region}:${m[1]}:${m[2]}`] : undefined;
    }
    case 'sns': {
      const arn = str(p.topicArn) ?? str(p.targetArn);
      return arn?.startsWith('arn:') ? [arn] : undefined;
    }
    case 'lambda': {
      const fn = str(p.functionName);
      if (!fn) return undefined;
      return [fn.startsWith('arn:') ? fn : `arn:${partition}:lambda:${region}:${account}:function:${fn}`];
    }
    case 'ssm': {
      const name = str(p.name);
      if (!name || name.startsWith('arn:')) return name ? [name] : undefined;
      return [`arn:${partition}:ssm:${region}:${account}:parameter${name.startsWith('/') ? '' : '/'}${name}`];
    }
    case 'states': {
      const arn = str(p.stateMachineArn) ?? str(p.executionArn);
      return arn ? [arn] : undefined;
    }
    case 'secretsmanager':
    case 'kms': {
      const id = str(p.secretId) ?? str(p.keyId);
      return id?.startsWith('arn:') ? [id] : undefined;
    }
    default:
      return undefined;
  }
}

/** Services whose request parameters name the authorized resource more precisely than `resources[]`. */
const PARAMETERS_FIRST = new Set(['dynamodb', 's3']);

/**
 * The ARNs a call is authorized against: for DynamoDB and S3 from the request parameters
 * (`resources[]` of an S3 record names both bucket and object, and a DynamoDB record loses the
 * index); else `resources[].ARN`; else the request parameters of other common services;
 * else `*`, with `known: false`.
 */
export function resourcesFor(
  event: CloudTrailEvent,
  service = serviceOf(event.eventSource),
): { resources: string[]; known: boolean } {
  const fromParameters = resourcesFromParameters(event, service);
  if (fromParameters && PARAMETERS_FIRST.has(service)) return { resources: fromParameters, known: true };
  const listed = (event.resources ?? [])
    .filter((r) => r.type !== 'AWS::IAM::AccessKey')
    .map((r) => r.ARN)
    .filter((arn): arn is string => typeof arn === 'string' && arn.startsWith('arn:'));
  if (listed.length > 0) return { resources: [...new Set(listed)], known: true };
  if (fromParameters) return { resources: fromParameters, known: true };
  return { resources: ['*'], known: false };
}

// ---------------------------------------------------------------------------------------------
// Against the grant

function permissionsAllowing(permissions: readonly Permission[], action: string): Permission[] {
  return permissions.filter((p) => p.actions.some((a) => globMatches(a, action, { caseInsensitive: true })));
}

/**
 * Does the grant allow `action` on every one of `resources`? An unknown resource (`*` with
 * `known` false) is judged on the action alone.
 */
export function grantAllows(
  permissions: readonly Permission[],
  action: string,
  resources: readonly string[],
  known = true,
): boolean {
  const candidates = permissionsAllowing(permissions, action);
  if (!known) return candidates.length > 0;
  return resources.every((resource) =>
    candidates.some((p) => p.resources.some((r) => globMatches(r, resource))),
  );
}

// ---------------------------------------------------------------------------------------------
// The report

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
