/** infra/access.ts: every function jitvend deploys has decided grants, and nothing is granted twice by name. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/routes.ts';
import {
  accessOf,
  DEFAULT_ACCESS,
  FUNCTION_ACCESS,
  ISSUING_HANDLER,
  ISSUING_ROLE_HANDLERS,
} from '../../infra/access.ts';
import { PROJECT_ROOT } from '../../infra/bundle-inputs.ts';
import { stepHandler } from '../../infra/constructs/jitvend.ts';
import { WORKFLOW_STEP_NAMES } from '../../shared/domain/workflow-contract.ts';

describe('FUNCTION_ACCESS', () => {
  const deployed = [
    ...new Set(ROUTES.map((r) => r.handler)),
    ...WORKFLOW_STEP_NAMES.map(stepHandler),
    'audit-stream',
  ];

  it.each(deployed)(
    'lists %s (a route or step added without an entry deploys with the default and a warning)',
    (handler) => {
      expect(accessOf(handler).listed).toBe(true);
    },
  );

  it.each(Object.keys(FUNCTION_ACCESS))('names an existing handler: functions/%s/handler.ts', (handler) => {
    expect(existsSync(join(PROJECT_ROOT, 'functions', handler, 'handler.ts'))).toBe(true);
  });

  it('lets a handler share the issuing role only when it needs nothing that role lacks', () => {
    expect([...ISSUING_ROLE_HANDLERS]).toEqual(['renew-request']);
    const issuing = FUNCTION_ACCESS[ISSUING_HANDLER]!;
    for (const handler of ISSUING_ROLE_HANDLERS) {
      for (const capability of FUNCTION_ACCESS[handler]!) expect(issuing, handler).toContain(capability);
    }
  });

  it('gives an unlisted handler the table only', () => {
    expect(accessOf('some-new-route')).toEqual({ capabilities: DEFAULT_ACCESS, listed: false });
    expect(DEFAULT_ACCESS).toEqual(['table:read', 'table:write']);
  });

  it('keeps the sensitive capabilities to the functions that need them', () => {
    const holders = (capability: string) =>
      Object.entries(FUNCTION_ACCESS)
        .filter(([, caps]) => caps.includes(capability as never))
        .map(([handler]) => handler)
        .sort();
    expect(holders('roles:assume')).toEqual(['renew-request', 'workflow-issue']);
    expect(holders('credentials:seal')).toEqual(['workflow-issue']);
    expect(holders('credentials:open')).toEqual(['deliver-credentials']);
    expect(holders('roles:revoke')).toEqual([
      'release-request',
      'revoke-request',
      'slack-interactions',
      'workflow-expire',
    ]);
    expect(holders('workflow:start')).toEqual(['create-request']);
  });
});
