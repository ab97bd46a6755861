/**
 * The environment of jitvend's Lambda functions, defined once: every variable's name and what
 * it must hold. The CDK constructs set variables by these names (infra/constructs/functions.ts
 * types `addEnvironment` by `EnvironmentName`, so a name not defined here does not compile), and
 * the AWS wiring reads them through the schemas below, once per container, failing fast with
 * the variable named (functions/aws-runtime.ts, the audit stream handler, the CloudTrail usage
 * source). Variables Lambda itself sets (AWS_REGION, LAMBDA_TASK_ROOT) are read here too.
 */
import { z } from 'zod';
import { describeIssues } from './zod-issues.ts';

const secretArn = z.string().startsWith('arn:', 'must be a Secrets Manager secret ARN');

const regionList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1')));

/** The variables the CDK stack sets, by name. */
export const ENVIRONMENT = {
  TABLE_NAME: z.string().min(3).describe('the requests table'),
  STATE_MACHINE_ARN: z.string().startsWith('arn:').describe('the approval workflow'),
  CREDENTIALS_KEY_ID: z.string().min(1).describe('KMS key that seals credentials until delivery'),
  PUBLIC_URL: z.url().describe("the API's public base URL, for links"),
  JITVEND_CONFIG: z.string().default('jitvend.config.yaml').describe('the config file in the bundle'),
  IAM_DATA_DIR: z
    .string()
    .min(1)
    .optional()
    .describe("the IAM action catalogue's data (`actions/<service>.json`) shipped in the bundle"),
  SLACK_SECRET_ARN: secretArn
    .optional()
    .describe('JSON `{signingSecret, botToken}` of the Slack app; unset: no Slack (interactions get 401)'),
  SLACK_CHANNEL: z
    .string()
    .min(1)
    .optional()
    .describe('post approval requests to this channel instead of messaging each approver'),
  APPROVAL_TOKEN_KEY_SECRET_ARN: secretArn
    .optional()
    .describe('the key that signs email approval links (the key is the SHA-256 of the secret string)'),
  EMAIL_FROM: z.string().min(3).optional().describe('a verified SES identity; unset: no email'),
  SES_CONFIGURATION_SET: z.string().min(1).optional(),
  CLOUDTRAIL_REGIONS: regionList
    .optional()
    .describe("regions whose event history and log folders to search (default: the function's region)"),
  CLOUDTRAIL_BUCKET: z
    .string()
    .min(3)
    .optional()
    .describe('the bucket a trail that logs data events delivers to; unset: LookupEvents only'),
  CLOUDTRAIL_PREFIX: z.string().default(''),
  CLOUDTRAIL_ORGANIZATION_ID: z
    .string()
    .regex(/^o-[a-z0-9]{10,32}$/)
    .optional(),
  AUDIT_BUCKET: z.string().min(3).describe('S3 bucket of the audit trail'),
  EVENT_BUS_NAME: z.string().min(1).optional().describe('event bus for audit events; unset: none published'),
  AUDIT_KMS_KEY_ID: z.string().min(1).optional().describe('KMS key for SSE-KMS of audit objects'),
};

/** A variable the CDK stack may set on a function. */
export type EnvironmentName = keyof typeof ENVIRONMENT;

/** Set by Lambda itself. */
const LAMBDA_SET = {
  AWS_REGION: z.string().optional(),
  LAMBDA_TASK_ROOT: z.string().optional(),
};

/** What the runtime of the API and workflow functions reads (functions/aws-runtime.ts). */
export const runtimeEnvironment = z.object({
  TABLE_NAME: ENVIRONMENT.TABLE_NAME,
  STATE_MACHINE_ARN: ENVIRONMENT.STATE_MACHINE_ARN,
  CREDENTIALS_KEY_ID: ENVIRONMENT.CREDENTIALS_KEY_ID,
  PUBLIC_URL: ENVIRONMENT.PUBLIC_URL,
  JITVEND_CONFIG: ENVIRONMENT.JITVEND_CONFIG,
  IAM_DATA_DIR: ENVIRONMENT.IAM_DATA_DIR,
  SLACK_SECRET_ARN: ENVIRONMENT.SLACK_SECRET_ARN,
  SLACK_CHANNEL: ENVIRONMENT.SLACK_CHANNEL,
  APPROVAL_TOKEN_KEY_SECRET_ARN: ENVIRONMENT.APPROVAL_TOKEN_KEY_SECRET_ARN,
  EMAIL_FROM: ENVIRONMENT.EMAIL_FROM,
  SES_CONFIGURATION_SET: ENVIRONMENT.SES_CONFIGURATION_SET,
  LAMBDA_TASK_ROOT: LAMBDA_SET.LAMBDA_TASK_ROOT,
});

/** What the CloudTrail usage source reads (GET /requests/{id}/usage). */
export const usageEnvironment = z.object({
  CLOUDTRAIL_REGIONS: ENVIRONMENT.CLOUDTRAIL_REGIONS,
  AWS_REGION: LAMBDA_SET.AWS_REGION,
  CLOUDTRAIL_BUCKET: ENVIRONMENT.CLOUDTRAIL_BUCKET,
  CLOUDTRAIL_PREFIX: ENVIRONMENT.CLOUDTRAIL_PREFIX,
  CLOUDTRAIL_ORGANIZATION_ID: ENVIRONMENT.CLOUDTRAIL_ORGANIZATION_ID,
});

/** What the audit stream consumer reads. */
export const auditStreamEnvironment = z.object({
  AUDIT_BUCKET: ENVIRONMENT.AUDIT_BUCKET,
  EVENT_BUS_NAME: ENVIRONMENT.EVENT_BUS_NAME,
  AUDIT_KMS_KEY_ID: ENVIRONMENT.AUDIT_KMS_KEY_ID,
});

/**
 * What the local stack reads (`npm start`, local/stack.ts): its own variables, set on no
 * function. local/main.ts reads JITVEND_DATA_DIR before this module loads, to spawn DynamoDB
 * Local under it first (loading zod would delay Java's start); the stack validates it here.
 */
export const localStackEnvironment = z.object({
  PORT: z
    .string()
    .regex(/^\d{1,5}$/, 'must be a TCP port number (0 picks a free one)')
    .transform(Number)
    .pipe(z.number().max(65_535, 'must be a TCP port number, at most 65535'))
    .default(8787)
    .describe('the port the local API listens on (127.0.0.1)'),
  JITVEND_DATA_DIR: z
    .string()
    .transform((dir) => dir || '.jitvend') // set but empty: the default, as local/main.ts reads it
    .default('.jitvend')
    .describe('where the local stack keeps its data'),
  JITVEND_CONFIG: ENVIRONMENT.JITVEND_CONFIG,
  SLACK_SIGNING_SECRET: z
    .string()
    .min(1)
    .optional()
    .describe("the local Slack stand-in's signing secret (default: a documented local-only value)"),
});

/** Parses `env` with `schema`; throws `<what>: <each problem, the variable named>`. */
export function readEnvironment<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv,
  what = 'jitvend environment',
): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) throw new Error(`${what}: ${describeIssues(parsed.error.issues).join('; ')}`);
  return parsed.data;
}
