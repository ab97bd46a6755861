/**
 * The HTTP API (API Gateway HTTP API, Lambda proxy payload 2.0), built from the ROUTES table
 * of functions/routes.ts: a route added there deploys with no change here.
 *
 * Authentication is the handlers' (functions/http.ts: OidcVerifier with the config's issuers
 * and per-issuer audiences, JWKS cached per container), so every environment verifies the
 * same way and a bad token is a problem+json 401 as SPEC.md says. An API Gateway JWT
 * authorizer can be added in front (`jwtAuthorizer`) only when the config trusts exactly one
 * issuer: an authorizer takes one issuer and one audience list, and its own 401 body is not
 * problem+json. docs/deploy.md argues the choice.
 *
 * The stage throttles, and logs one JSON line per request WITHOUT the path: `/approvals/{token}`
 * carries a bearer-like token, so the log has the route key (the path template) instead.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import * as authorizers from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../functions/routes.ts';
import { acknowledge } from '../nag.ts';

export interface ApiThrottle {
  /** steady-state requests per second for the whole API */
  rateLimit: number;
  burstLimit: number;
}

export interface JitVendApiProps {
  routes: readonly RouteSpec[];
  /** the function serving each handler folder named by the routes */
  functions: ReadonlyMap<string, lambda.IFunction>;
  logsKey: kms.IKey;
  logRetention: logs.RetentionDays;
  /** @default 50 requests per second, bursts of 100 */
  throttle?: ApiThrottle;
  /** a JWT authorizer in front of the `oidc` routes (defence in depth; one issuer only) */
  jwtAuthorizer?: { issuer: string; audience: string[] };
  removalPolicy?: RemovalPolicy;
}

/** Why each public route (auth 'none') needs no authorizer. */
const PUBLIC_ROUTE_REASONS: Record<string, string> = {
  '/health': 'liveness probe (SPEC.md: anyone); answers {"status":"ok"} and reads nothing',
  '/openapi.json': 'the OpenAPI document is public by SPEC.md; generated from the schemas, no data',
  '/slack/interactions':
    'Slack cannot send a bearer token; every request is verified in the handler with the Slack signing secret (v0 HMAC-SHA256, 5-minute window) before anything is read',
  '/approvals/{token}':
    'approvers follow an email link: the path token is HMAC-signed, single-use, expiring and bound to one request and one approver, verified in the handler',
};

/** The access log line: no path, no query, no headers (tokens never reach the log). */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
};

export class JitVendApi extends Construct {
  readonly httpApi: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: JitVendApiProps) {
    super(scope, id);
    this.httpApi = new apigwv2.HttpApi(this, 'HttpApi', {
      description: 'jitvend: just-in-time AWS credentials for CI pipelines',
      createDefaultStage: false,
    });
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      encryptionKey: props.logsKey,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const throttle = props.throttle ?? { rateLimit: 50, burstLimit: 100 };
    this.stage = new apigwv2.HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: apigw.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FORMAT)),
      },
    });

    const authorizer = props.jwtAuthorizer
      ? new authorizers.HttpJwtAuthorizer('OidcAuthorizer', props.jwtAuthorizer.issuer, {
          jwtAudience: props.jwtAuthorizer.audience,
        })
      : undefined;
    const integrationsByHandler = new Map<string, integrations.HttpLambdaIntegration>();
    for (const route of props.routes) {
      const fn = props.functions.get(route.handler);
      if (!fn)
        throw new Error(
          `JitVendApi: no function for handler ${route.handler} (${route.method} ${route.path})`,
        );
      let integration = integrationsByHandler.get(route.handler);
      if (!integration) {
        integration = new integrations.HttpLambdaIntegration(`${pascal(route.handler)}Integration`, fn, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
        });
        integrationsByHandler.set(route.handler, integration);
      }
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [apigwv2.HttpMethod[route.method]],
        integration,
        ...(route.auth === 'oidc' && authorizer ? { authorizer } : {}),
      });
      if (route.auth === 'oidc' && !authorizer) {
        acknowledge(created!, [
          {
            id: 'AwsSolutions-APIG4',
            reason: `${route.method} ${route.path} requires an OIDC bearer token, verified in the handler against the config's issuers and per-issuer audiences (functions/http.ts, docs/deploy.md)`,
          },
        ]);
      } else if (route.auth === 'none') {
        acknowledge(created!, [
          {
            id: 'AwsSolutions-APIG4',
            reason: `${route.method} ${route.path} is public: ${
              PUBLIC_ROUTE_REASONS[route.path] ?? 'declared auth: none in functions/routes.ts'
            }`,
          },
        ]);
      }
    }
  }

  /** The API's URL (the `$default` stage serves at the root). */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }
}

export function pascal(kebab: string): string {
  return kebab
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
}
