/**
 * GitLab CI's id_tokens claims work where GitHub's do: requester rules (`project_path`,
 * `pipeline_id`, `pipeline_source`), the initiator check (`user_login`), what approvers see
 * (repository, who started it) and the run link (`pipeline_id`, where GitHub has `run_id`).
 */
import { describe, expect, it } from 'vitest';
import { approvalRequestMessage } from '../../shared/adapters/slack/blocks.ts';
import { initiatorOf, principalSummary } from '../../shared/domain/claims.ts';
import { isRequester } from '../../shared/domain/requesters.ts';
import type { AccessRequest } from '../../shared/domain/types.ts';
import { requestFacts, runOf } from '../../shared/web/request-facts.ts';

const GITLAB = 'https://gitlab.example.com';
/** the claims of a GitLab CI id_token (https://docs.gitlab.com/ci/secrets/id_token_authentication/) */
const TOKEN_CLAIMS = {
  iss: GITLAB,
  sub: 'project_path:acme/orders:ref_type:branch:ref:main',
  aud: 'jitvend',
  namespace_path: 'acme',
  project_id: '42',
  project_path: 'acme/orders',
  user_login: 'Bob',
  user_email: 'bob@example.com',
  pipeline_id: '1212',
  pipeline_source: 'push',
  job_id: '9001',
  ref: 'main',
  ref_type: 'branch',
  ref_protected: 'true',
};

describe('GitLab claims', () => {
  it.each([
    [{ project_path: 'acme/orders' }, true],
    [{ project_path: 'acme/*', pipeline_source: 'push', ref_protected: 'true' }, true],
    [{ project_path: 'acme/*', pipeline_source: 'schedule' }, false],
    [{ pipeline_id: '1212' }, true],
    [{ pipeline_id: '1*' }, true],
    [{ project_path: 'acme/payments' }, false],
    // a GitHub rule never matches a GitLab token
    [{ repository: 'acme/orders' }, false],
  ])('requester rule %j matches: %s', (rule, expected) => {
    expect(isRequester({ requesters: [rule] }, TOKEN_CLAIMS)).toBe(expected);
    // GitLab may send ids as numbers: matched as their text
    expect(isRequester({ requesters: [rule] }, { ...TOKEN_CLAIMS, pipeline_id: 1212 })).toBe(expected);
  });

  it('the initiator is the person whose gitlab name is the token user_login (case-insensitive)', () => {
    const people = { alice: { gitlab: 'alice' }, bob: { github: 'bobby', gitlab: 'bob' } };
    expect(initiatorOf(TOKEN_CLAIMS, people)).toBe('bob');
    expect(initiatorOf({ ...TOKEN_CLAIMS, user_login: 'carol' }, people)).toBeUndefined();
    // a GitHub name is not a GitLab login
    expect(initiatorOf({ ...TOKEN_CLAIMS, user_login: 'bobby' }, people)).toBeUndefined();
  });

  it('keeps project_path, user_login, pipeline_id, pipeline_source and job_id for auditors', () => {
    expect(principalSummary(TOKEN_CLAIMS)).toMatchObject({
      project_path: 'acme/orders',
      user_login: 'Bob',
      pipeline_id: '1212',
      pipeline_source: 'push',
      job_id: '9001',
      ref: 'main',
    });
  });

  it.each([
    [GITLAB, `${GITLAB}/acme/orders/-/pipelines/1212`],
    [`${GITLAB}/`, `${GITLAB}/acme/orders/-/pipelines/1212`],
    // a GitLab served under a path
    ['https://example.com/gitlab', 'https://example.com/gitlab/acme/orders/-/pipelines/1212'],
  ])('links the pipeline on the issuing instance %s', (issuer, url) => {
    expect(runOf({ project_path: 'acme/orders', pipeline_id: '1212' }, issuer)).toEqual({
      url,
      label: 'pipeline #1212',
    });
  });

  it.each([
    ['no issuer known', { project_path: 'acme/orders', pipeline_id: '1212' }, undefined],
    [
      'a plain http issuer',
      { project_path: 'acme/orders', pipeline_id: '1212' },
      'http://gitlab.example.com',
    ],
    ['a pipeline id that is not a number', { project_path: 'acme/orders', pipeline_id: '12x' }, GITLAB],
    ['a project path with dots for a segment', { project_path: 'acme/../admin', pipeline_id: '1' }, GITLAB],
    ['a project path with a scheme', { project_path: 'https://evil.example/x', pipeline_id: '1' }, GITLAB],
    ['a project without a group', { project_path: 'orders', pipeline_id: '1' }, GITLAB],
  ])('no link for %s', (_why, claims, issuer) => {
    expect(runOf(claims, issuer)).toBeUndefined();
  });

  it('GitHub runs still link to github.com, whatever the issuer', () => {
    expect(
      runOf({ repository: 'acme/orders', run_id: '77' }, 'https://token.actions.githubusercontent.com'),
    ).toEqual({
      url: 'https://github.com/acme/orders/actions/runs/77',
      label: '#77',
    });
  });

  const request: AccessRequest = {
    id: 'req-gl',
    profile: 'orders-it',
    requester: TOKEN_CLAIMS.sub,
    requesterIssuer: GITLAB,
    requesterClaims: principalSummary(TOKEN_CLAIMS),
    status: 'pending_approval',
    permissions: [],
    sessionPolicy: { Version: '2012-10-17', Statement: [] },
    sessionPolicyHash: 'h',
    durationSeconds: 900,
    reason: 'tests',
    approvals: [],
    approvalRoute: { kind: 'human', approvers: ['alice'], minApprovals: 1 },
    createdAt: '2026-11-29T10:00:00.000Z',
    updatedAt: '2026-11-29T10:00:00.000Z',
    approvalDeadline: '2026-11-29T10:30:00.000Z',
    version: 1,
    auditHead: 'h',
    auditCount: 1,
  };

  it('approvers see the GitLab project, who started it and the pipeline (email and page facts)', () => {
    expect(requestFacts(request)).toMatchObject({
      repository: 'acme/orders',
      branch: 'main',
      startedBy: 'Bob',
      runUrl: `${GITLAB}/acme/orders/-/pipelines/1212`,
      runLabel: 'pipeline #1212',
    });
  });

  it('the Slack message links the GitLab pipeline', () => {
    const text = JSON.stringify(approvalRequestMessage(request).blocks);
    expect(text).toContain(`<${GITLAB}/acme/orders/-/pipelines/1212|pipeline #1212>`);
    expect(text).toContain('Started by\\nBob');
    expect(text).toContain('Repository\\nacme/orders');
  });
});
