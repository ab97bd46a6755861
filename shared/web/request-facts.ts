/**
 * What an approver needs to know about a request, as plain strings: shared by the approval
 * email (text and HTML) and the approval page, so both always say the same thing.
 * Values here are NOT escaped: the renderers escape them.
 */
import type { AccessRequest } from '../domain/types.ts';
import { windowSecondsOf } from '../domain/window.ts';

/**
 * Requester text as one line of plain text, for every place approvers read it: line breaks,
 * tabs and other control characters become one space; format characters (bidi overrides and
 * isolates, zero-width characters) and lone surrogates are dropped. The API refuses such
 * text (shared/api/schemas.ts); this also holds for anything stored before it did.
 */
export function plainLine(text: string): string {
  return text
    .replace(/[\p{Cf}\p{Cs}]/gu, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .trim();
}

export interface RequestFacts {
  repository: string;
  branch: string;
  /** who started the pipeline (the token's actor / user_login), if known */
  startedBy: string | undefined;
  /** the CI run, when the claims have the exact shapes the CI gives them */
  runUrl: string | undefined;
  runLabel: string | undefined;
  duration: string;
  /**
   * the approval window when it is longer than one session, e.g. `4 h (sessions of 1 h,
   * renewed inside it)`; undefined for a one-session request
   */
  window: string | undefined;
  /** e.g. `0 of 1` or `1 of 2 (alice)` */
  approvals: string;
  /** approvals still needed for the request to be approved */
  remaining: number;
  /** `2026-11-24 10:05 UTC` */
  deadline: string;
  /** the exact session policy, pretty-printed JSON */
  policy: string;
  /** the requester's reason, one line of plain text */
  reason: string;
  /** the requester's context entries, each key and value one line of plain text */
  context: [string, string][];
}

export function requestFacts(request: AccessRequest): RequestFacts {
  const claims = request.requesterClaims;
  const run = runOf(claims, request.requesterIssuer);
  return {
    repository: plainLine(claims.repository ?? claims.project_path ?? request.requester),
    branch: plainLine(claims.ref ?? 'unknown'),
    startedBy: optionalLine(claims.actor ?? claims.user_login ?? request.initiator),
    runUrl: run?.url,
    runLabel: run?.label,
    duration: formatDuration(request.durationSeconds),
    window: formatWindow(request),
    approvals: approvalsSoFar(request),
    remaining: remainingApprovals(request),
    deadline: formatInstant(request.approvalDeadline),
    policy: JSON.stringify(request.sessionPolicy, null, 2),
    reason: plainLine(request.reason),
    context: Object.entries(request.context ?? {}).map(([k, v]) => [plainLine(k), plainLine(v)]),
  };
}

function optionalLine(text: string | undefined): string | undefined {
  return text === undefined ? undefined : plainLine(text);
}

/**
 * The CI run's link: GitHub Actions (`repository` + `run_id`, github.com) or a GitLab
 * pipeline (`project_path` + `pipeline_id`, on the GitLab instance that issued the token:
 * the host comes from the configured issuer, never from a claim). Only for the exact shapes
 * the CI gives these claims.
 */
export function runOf(
  claims: Record<string, string>,
  issuer?: string,
): { url: string; label: string } | undefined {
  const { repository, run_id: runId } = claims;
  if (repository && runId) {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository) || !/^\d{1,20}$/.test(runId)) return undefined;
    return { url: `https://github.com/${repository}/actions/runs/${runId}`, label: `#${runId}` };
  }
  return gitlabPipelineOf(claims, issuer);
}

function gitlabPipelineOf(
  claims: Record<string, string>,
  issuer: string | undefined,
): { url: string; label: string } | undefined {
  const { project_path: project, pipeline_id: pipelineId } = claims;
  if (!issuer || !project || !pipelineId || !/^\d{1,20}$/.test(pipelineId)) return undefined;
  const segments = project.split('/');
  if (segments.length < 2 || segments.some((s) => !/^[A-Za-z0-9_.-]+$/.test(s) || /^\.+$/.test(s)))
    return undefined;
  let base: URL;
  try {
    base = new URL(issuer);
  } catch {
    return undefined;
  }
  if (base.protocol !== 'https:' || base.username || base.password || base.search || base.hash)
    return undefined;
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  return { url: `${root}/${project}/-/pipelines/${pipelineId}`, label: `pipeline #${pipelineId}` };
}

/**
 * What one approval covers when it is longer than one session: `4 h (sessions of 1 h, renewed
 * inside it)`. Undefined when the window is one session (approvers see the duration alone).
 */
export function formatWindow(
  request: Pick<AccessRequest, 'durationSeconds' | 'windowSeconds'>,
): string | undefined {
  const window = windowSecondsOf(request);
  if (window <= request.durationSeconds) return undefined;
  return `${formatDuration(window)} (sessions of ${formatDuration(request.durationSeconds)}, renewed inside it)`;
}

/** How long an approval lasts, in words: the window when longer than a session, else the duration. */
export function formatApprovalLength(
  request: Pick<AccessRequest, 'durationSeconds' | 'windowSeconds'>,
): string {
  const window = formatWindow(request);
  return window ? `a window of ${window}` : formatDuration(request.durationSeconds);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return [hours > 0 ? `${hours} h` : '', minutes > 0 ? `${minutes} min` : '', rest > 0 ? `${rest} s` : '']
    .filter((p) => p !== '')
    .join(' ');
}

/** `2026-11-24 10:05 UTC`; the input as is when it is no date. */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  if (!Number.isFinite(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `in 29 min`, `in 1 h 5 min`, or `passed`. */
export function timeLeft(iso: string, now: Date): string {
  const seconds = Math.floor((new Date(iso).getTime() - now.getTime()) / 1000);
  if (!Number.isFinite(seconds) || seconds <= 0) return 'passed';
  return `in ${formatDuration(seconds < 60 ? seconds : seconds - (seconds % 60))}`;
}

export function approvalsSoFar(request: AccessRequest): string {
  const approved = request.approvals.filter((a) => a.decision === 'approve').map((a) => a.person);
  const needed = request.approvalRoute.kind === 'human' ? request.approvalRoute.minApprovals : 0;
  return `${approved.length} of ${needed}${approved.length > 0 ? ` (${approved.join(', ')})` : ''}`;
}

export function remainingApprovals(request: AccessRequest): number {
  const needed = request.approvalRoute.kind === 'human' ? request.approvalRoute.minApprovals : 0;
  const approved = new Set(request.approvals.filter((a) => a.decision === 'approve').map((a) => a.person));
  return Math.max(0, needed - approved.size);
}

/** Human words for a status: `pending_approval` → `waiting for approval`. */
export function statusWords(status: AccessRequest['status']): string {
  switch (status) {
    case 'pending_approval':
      return 'waiting for approval';
    case 'timed_out':
      return 'timed out';
    default:
      return status;
  }
}
