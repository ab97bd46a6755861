import type { Person } from './profile.ts';

/** The claims auditors and approvers care about, GitHub Actions and GitLab, in this order. */
export const SUMMARY_CLAIMS = [
  // GitHub Actions
  'repository',
  'ref',
  'actor',
  'run_id',
  'run_attempt',
  'workflow',
  'job_workflow_ref',
  'event_name',
  'environment',
  'sha',
  // GitLab
  'project_path',
  'user_login',
  'pipeline_id',
  'pipeline_source',
  'job_id',
  // any issuer
  'email',
] as const;

const MAX_SUMMARY_VALUE_CHARS = 512;

/** `SUMMARY_CLAIMS` present in the claims, as strings (strings, numbers and booleans only). */
export function principalSummary(claims: Record<string, unknown>): Record<string, string> {
  const summary: Record<string, string> = {};
  for (const name of SUMMARY_CLAIMS) {
    const value = claims[name];
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      summary[name] = printable(String(value), MAX_SUMMARY_VALUE_CHARS);
    }
  }
  return summary;
}

/**
 * The configured person who started the pipeline: `github` equal to the token's `actor`
 * (GitHub Actions) or `gitlab` equal to its `user_login` (GitLab). Both sites treat user
 * names case-insensitively, and so does this.
 */
export function initiatorOf(
  claims: Record<string, unknown>,
  people: Record<string, Pick<Person, 'github' | 'gitlab'>>,
): string | undefined {
  const actor = typeof claims.actor === 'string' ? claims.actor.toLowerCase() : undefined;
  const login = typeof claims.user_login === 'string' ? claims.user_login.toLowerCase() : undefined;
  for (const [name, person] of Object.entries(people)) {
    if (actor && person.github?.toLowerCase() === actor) return name;
    if (login && person.gitlab?.toLowerCase() === login) return name;
  }
  return undefined;
}

function printable(value: unknown, maxChars = 200): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters on purpose
  const safe = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return safe.length > maxChars ? `${safe.slice(0, maxChars)}…` : safe;
}
