/**
 * The sample app: jitvend for the sample config (jitvend.config.yaml), and the target roles
 * of its profiles in a second stack, as an infra team would deploy them. Shared by
 * infra/bin/jitvend.ts (`cdk synth`, `cdk deploy`) and the infra tests, so both see one app.
 *
 * Account and region are pinned, so `cdk synth` needs no credentials and no network.
 */
import { join } from 'node:path';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { LoadedConfig } from '../shared/config.ts';
import { PROJECT_ROOT } from './bundle-inputs.ts';
import type { JitVendProps } from './constructs/jitvend.ts';
import { JitVendTargetRole } from './constructs/target-role.ts';
import { addNagChecks } from './nag.ts';
import { JitVendStack } from './stack.ts';

/** The sample config's account and region (its role ARNs live in 123456789012). */
export const SAMPLE_ENV = { account: '123456789012', region: 'us-east-1' } as const;
export const SAMPLE_CONFIG_PATH = join(PROJECT_ROOT, 'jitvend.config.yaml');
/** A fixed issuing role name: target roles (in any account) can trust it by ARN, before jitvend exists. */
export const SAMPLE_ISSUER_ROLE_NAME = 'jitvend-issuer';

export interface SampleAppOptions {
  /** where the cloud assembly goes (the CLI sets CDK_OUTDIR) */
  outdir?: string;
  /** run esbuild for every function @default true; tests skip it (the template is the same but for asset hashes) */
  bundling?: boolean;
  /** run cdk-nag's AwsSolutions checks at synth @default true */
  nag?: boolean;
  /** JitVend props to change (tests) */
  jitvend?: Partial<JitVendProps>;
}

export interface SampleApp {
  app: App;
  jitvend: JitVendStack;
  targets: TargetRolesStack;
}

export function buildSampleApp(options: SampleAppOptions = {}): SampleApp {
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: {
      // the alarm topic is referenced across stacks: keep CloudFormation exports (the producer is protected)
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...(options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
    },
  });
  const alerts = new AlertsStack(app, 'JitvendAlerts', { env: SAMPLE_ENV });
  const jitvend = new JitVendStack(app, 'Jitvend', {
    env: SAMPLE_ENV,
    description: 'jitvend: just-in-time AWS credentials for CI pipelines',
    jitvend: {
      config: SAMPLE_CONFIG_PATH,
      slack: {},
      email: { from: 'jitvend <jitvend@example.com>' },
      alarmTopic: alerts.topic,
      issuerRoleName: SAMPLE_ISSUER_ROLE_NAME,
      ...options.jitvend,
    },
  });
  const targets = new TargetRolesStack(app, 'JitvendTargets', {
    env: SAMPLE_ENV,
    description: 'The roles jitvend vends for the sample config',
    config: jitvend.jitvend.config,
    // by ARN, as another account would: no cross-stack reference
    issuerRoleArn: `arn:aws:iam::${SAMPLE_ENV.account}:role/${SAMPLE_ISSUER_ROLE_NAME}`,
  });
  // IAM refuses a trust policy naming a role that does not exist yet
  targets.addStackDependency(jitvend, 'target roles trust the issuing role, which must exist first');
  if (options.nag !== false) addNagChecks(app);
  return { app, jitvend, targets };
}

/** Where the alarms go: an SNS topic encrypted with its own key (subscribe the on-call to it). */
export class AlertsStack extends Stack {
  readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    const key = new kms.Key(this, 'Key', {
      description: 'jitvend alarm notifications',
      enableKeyRotation: true,
    });
    key.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey');
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: 'jitvend alarms',
      masterKey: key,
      enforceSSL: true,
    });
  }
}

export interface TargetRolesStackProps extends StackProps {
  config: LoadedConfig;
  issuerRoleArn: string;
}

/** A JitVendTargetRole for each profile whose role lives in this stack's account. */
export class TargetRolesStack extends Stack {
  readonly roles: Map<string, JitVendTargetRole> = new Map();

  constructor(scope: Construct, id: string, props: TargetRolesStackProps) {
    super(scope, id, props);
    for (const profile of Object.values(props.config.profiles)) {
      const match = /^arn:[^:]+:iam::(\d{12}):role\/([\w+=,.@-]+)$/.exec(profile.roleArn);
      if (!match || match[1] !== this.account) continue;
      this.roles.set(
        profile.name,
        new JitVendTargetRole(this, profile.name, {
          issuerRoleArn: props.issuerRoleArn,
          roleName: match[2]!,
          description: `jitvend profile ${profile.name}: ${profile.description ?? ''}`.trim().slice(0, 1000),
          allow: profile.allow,
        }),
      );
    }
  }
}
