/**
 * Usage, job 2 of 3: a CloudTrail record in IAM terms, the action it is authorized as and the
 * resources it is authorized against, and whether a grant allows it. Pure.
 */
import { canonicalActionName, lookupAction, serviceExists } from '../policy/catalogue.ts';
import { globMatches } from '../policy/glob.ts';
import type { Permission } from '../types.ts';
import type { CloudTrailEvent } from './session-records.ts';

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
export const NO_PERMISSION_NEEDED: ReadonlySet<string> = new Set(['sts:GetCallerIdentity']);

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

export function permissionsAllowing(permissions: readonly Permission[], action: string): Permission[] {
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
