import { describe, expect, it } from 'vitest';
import type { Profile } from '../../shared/domain/profile.ts';
import { isRequester, matchesClaims } from '../../shared/domain/requesters.ts';

const github = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:acme/orders:ref:refs/heads/main',
  repository: 'acme/orders',
  repository_id: 123456,
  ref: 'refs/heads/main',
  environment: 'ci',
  run_attempt: 1,
  runner_environment: 'github-hosted',
  private: true,
  job_workflow_ref: 'acme/orders/.github/workflows/it.yml@refs/heads/main',
  nested: { repository: 'acme/orders' },
  list: ['acme/orders'],
  nothing: null,
};

describe('matchesClaims', () => {
  it.each([
    [{ repository: 'acme/orders' }, true],
    [{ repository: 'acme/*' }, true],
    [{ repository: 'acme/order?' }, true],
    [{ repository: 'acme/billing' }, false],
    [{ repository: 'Acme/Orders' }, false], // case-sensitive
    [{ repository: 'acme/orders', ref: 'refs/heads/main' }, true],
    [{ repository: 'acme/orders', ref: 'refs/heads/release-*' }, false], // every key must match
    [{ sub: 'repo:acme/orders:ref:refs/heads/*' }, true],
    [{ repository_id: '123456' }, true], // numbers are compared as strings
    [{ repository_id: '1234*' }, true],
    [{ private: 'true' }, true], // booleans too
    [{ private: 'false' }, false],
    [{ environment: 'prod' }, false],
    [{ team: '*' }, false], // a missing claim never matches, not even *
    [{ nested: '*' }, false], // objects, arrays and null are not matched
    [{ list: '*' }, false],
    [{ nothing: '*' }, false],
    [{ constructor: '*' }, false], // only the token's own claims count
    [{ toString: '*' }, false],
    [{}, false], // an empty matcher matches nobody
  ])('%j → %s', (matcher, expected) => {
    expect(matchesClaims(matcher, github)).toBe(expected);
  });

  it('anchors the glob at both ends', () => {
    expect(matchesClaims({ repository: 'acme' }, github)).toBe(false);
    expect(matchesClaims({ repository: 'orders' }, github)).toBe(false);
    expect(matchesClaims({ repository: '*orders' }, github)).toBe(true);
  });
});

describe('isRequester', () => {
  const profile = (requesters: Profile['requesters']) => ({ requesters });

  it('admits a caller matched by any entry', () => {
    const p = profile([{ repository: 'acme/billing' }, { repository: 'acme/orders', ref: 'refs/heads/*' }]);
    expect(isRequester(p, github)).toBe(true);
    expect(isRequester(p, { ...github, repository: 'evil/orders' })).toBe(false);
  });

  it('admits nobody when the list is empty', () => {
    expect(isRequester(profile([]), github)).toBe(false);
  });

  it('works with GitLab claims', () => {
    const gitlab = { project_path: 'acme/orders', ref: 'main', pipeline_source: 'push', project_id: 42 };
    expect(isRequester(profile([{ project_path: 'acme/*', pipeline_source: 'push' }]), gitlab)).toBe(true);
    expect(isRequester(profile([{ project_path: 'acme/*', pipeline_source: 'schedule' }]), gitlab)).toBe(
      false,
    );
  });
});
