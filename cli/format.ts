import { ID_PATTERN } from '../shared/domain/limits.ts';
import type { Credentials, PreviewView, RequestView } from './api-types.ts';
import { approvalRouteOf } from './api-types.ts';

export const CREDENTIAL_FORMATS = ['env', 'json', 'credential-process'] as const;
export type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

/**
 * Text from the server, made safe for one line of a terminal or a shell comment: control
 * characters (newlines, escape sequences) and bidi overrides become spaces.
 */
export function sanitize(text: string): string {
  return text.replace(/[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu, ' ');
}

/** POSIX single-quoting: safe for `eval "$(jitvend request ...)"` whatever the value holds. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The credentials on stdout, in the format the pipeline asked for, ending with a newline. */
export function formatCredentials(
  credentials: Credentials,
  format: CredentialFormat,
  requestId: string,
): string {
  switch (format) {
    case 'env':
      return [
        `# jitvend request ${sanitize(requestId)}: credentials expire at ${sanitize(credentials.expiration)}`,
        `export AWS_ACCESS_KEY_ID=${shellQuote(credentials.accessKeyId)}`,
        `export AWS_SECRET_ACCESS_KEY=${shellQuote(credentials.secretAccessKey)}`,
        `export AWS_SESSION_TOKEN=${shellQuote(credentials.sessionToken)}`,
        // read by the AWS SDKs' environment credential provider
        `export AWS_CREDENTIAL_EXPIRATION=${shellQuote(credentials.expiration)}`,
        // for `jitvend release "$JITVEND_REQUEST_ID"` when the job is done; an id that is not
        // shaped like one (the server never makes such) is not exported at all
        ...(ID_PATTERN.test(requestId) ? [`export JITVEND_REQUEST_ID=${shellQuote(requestId)}`] : []),
        '',
      ].join('\n');
    case 'json':
      return `${JSON.stringify(
        {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
          expiration: credentials.expiration,
        },
        null,
        2,
      )}\n`;
    case 'credential-process':
      return `${JSON.stringify(credentialProcessOutput(credentials))}\n`;
  }
}

/** The AWS `credential_process` contract (version 1). */
export function credentialProcessOutput(credentials: Credentials): {
  Version: 1;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
} {
  return {
    Version: 1,
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration,
  };
}

export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `1h 5m`, `12m`, `45s`: time left, in whole units (seconds only under a minute). */
export function formatRemaining(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h}h ${m}m` : `${h}h`;
}

export function formatDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

/** Distinct people who approved so far. */
export function approvalsSoFar(view: Pick<RequestView, 'approvals'>): number {
  const people = new Set(
    (view.approvals ?? []).filter((a) => a.decision === 'approve').map((approval) => approval.person),
  );
  return people.size;
}

/**
 * The live status line while waiting, e.g.
 * `waiting for 1 of 2 approvals from platform-leads · 12m left`
 * (N = approvals still needed, M = approvals the profile requires).
 */
export function describeStatus(view: RequestView, now: number): string {
  switch (view.status) {
    case 'pending_approval': {
      const route = approvalRouteOf(view);
      if (route?.kind === 'auto') return `pending auto-approval (rule ${route.rule})`;
      if (route?.kind !== 'human') return withDeadline('waiting for approval', view, now);
      const needed = Math.max(route.minApprovals - approvalsSoFar(view), 0);
      const noun = route.minApprovals === 1 ? 'approval' : 'approvals';
      const from = route.approvers.length ? ` from ${route.approvers.map(sanitize).join(', ')}` : '';
      return withDeadline(`waiting for ${needed} of ${route.minApprovals} ${noun}${from}`, view, now);
    }
    case 'approved':
      return 'approved · issuing credentials';
    case 'issued':
      return 'issued';
    default:
      return `${view.status}${view.statusReason ? `: ${sanitize(view.statusReason)}` : ''}`;
  }
}

function withDeadline(text: string, view: RequestView, now: number): string {
  const deadline = view.approvalDeadline ? Date.parse(view.approvalDeadline) : Number.NaN;
  if (Number.isNaN(deadline)) return text;
  return deadline > now ? `${text} · ${formatRemaining(deadline - now)} left` : `${text} · deadline passed`;
}

/** `jitvend status ID --format text`. */
export function formatViewSummary(view: RequestView, now: number): string {
  const lines = [
    `request   ${view.id}`,
    `profile   ${view.profile}`,
    `status    ${describeStatus(view, now)}`,
    `requester ${view.requester}`,
    `reason    ${view.reason}`,
    `duration  ${formatDuration(view.durationSeconds)}`,
    `created   ${view.createdAt}`,
  ];
  if (view.windowSeconds !== undefined && view.windowSeconds !== view.durationSeconds)
    lines.push(
      `window    ${formatDuration(view.windowSeconds)}${view.windowEndsAt ? ` (renewable until ${view.windowEndsAt})` : ''}`,
    );
  if (view.expiresAt) lines.push(`expires   ${view.expiresAt}`);
  if (view.reuseOf) lines.push(`reuses    the approval of ${view.reuseOf} (same CI run)`);
  for (const approval of view.approvals ?? []) {
    const why = approval.reason ? ` (${approval.reason})` : '';
    lines.push(
      `decision  ${approval.decision} by ${approval.person} via ${approval.channel} at ${approval.at}${why}`,
    );
  }
  for (const permission of view.permissions ?? []) {
    lines.push(`allow     ${permission.actions.join(',')} on ${permission.resources.join(',')}`);
  }
  return `${lines.map(sanitize).join('\n')}\n`;
}

/** `jitvend preview` in text: the approval route, the duration and the session policy. */
export function formatPreview(preview: PreviewView): string {
  const route = approvalRouteOf(preview);
  const approval =
    route?.kind === 'auto'
      ? `auto-approved (rule ${route.rule})`
      : route?.kind === 'human'
        ? `${route.minApprovals} approval${route.minApprovals === 1 ? '' : 's'} from ${route.approvers.join(', ')}`
        : 'unknown';
  return [
    sanitize(`approval  ${approval}`),
    `duration  ${formatDuration(preview.durationSeconds)} (${preview.durationSeconds}s)`,
    'session policy:',
    JSON.stringify(preview.sessionPolicy, null, 2),
    '',
  ].join('\n');
}
