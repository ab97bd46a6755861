import type { Person } from './profile.ts';

/** Claims auditors and approvers care about (GitHub Actions and GitLab id_tokens). */
const SUMMARY_CLAIMS = [
  'iss',
  'sub',
  'repository',
  'repository_owner',
  'ref',
  'sha',
  'actor',
  'workflow',
  'job_workflow_ref',
  'environment',
  'run_id',
  'run_attempt',
  'event_name',
  'project_path',
  'user_login',
  'pipeline_id',
  'pipeline_source',
  'email',
] as const;

/** The requester's notable claims as strings (for the request record and approvers). */
export function claimSummary(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of SUMMARY_CLAIMS) {
    const value = claims[key];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      out[key] = String(value).slice(0, 256);
    }
  }
  return out;
}

/** The configured person who started the pipeline: GitHub `actor` or GitLab `user_login`. */
export function initiatorOf(claims: Record<string, unknown>, people: Record<string, Person>): string | undefined {
  const actor = typeof claims.actor === 'string' ? claims.actor : undefined;
  const login = typeof claims.user_login === 'string' ? claims.user_login : undefined;
  for (const [name, person] of Object.entries(people)) {
    if (actor !== undefined && person.github !== undefined && person.github.toLowerCase() === actor.toLowerCase())
      return name;
    if (login !== undefined && person.gitlab !== undefined && person.gitlab === login) return name;
  }
  return undefined;
}
