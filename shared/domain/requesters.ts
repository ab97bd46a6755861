/**
 * Who may request a profile: its `requesters` are claim matchers, and a token's claims satisfy a
 * matcher when every key of the matcher is a claim of the token whose value matches the glob
 * (case-sensitive; `*` any sequence, `?` one character).
 */
import { globMatches } from './policy/glob.ts';
import type { ClaimMatcher, Profile } from './profile.ts';

/** The claim as a string when it is a string, number or boolean; otherwise `undefined`. */
function claimValue(claims: Record<string, unknown>, key: string): string | undefined {
  if (!Object.hasOwn(claims, key)) return undefined;
  const value = claims[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Does every key of `matcher` name a claim (string, number or boolean, stringified) that matches
 * its glob? An empty matcher matches nobody: a requester entry must say something about the caller.
 */
export function matchesClaims(matcher: ClaimMatcher, claims: Record<string, unknown>): boolean {
  const entries = Object.entries(matcher);
  if (entries.length === 0) return false;
  return entries.every(([key, pattern]) => {
    const value = claimValue(claims, key);
    return value !== undefined && typeof pattern === 'string' && globMatches(pattern, value);
  });
}

/** May a caller with these claims request the profile? Any requester entry matching is enough; none = nobody. */
export function isRequester(profile: Pick<Profile, 'requesters'>, claims: Record<string, unknown>): boolean {
  return profile.requesters.some((matcher) => matchesClaims(matcher, claims));
}
