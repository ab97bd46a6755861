/**
 * The HTTP routes of SPEC.md and the handler that serves each. The CDK API and the local
 * server are both built from this table, so they cannot drift apart.
 */
export interface RouteSpec {
  method: 'GET' | 'POST';
  /** API Gateway path syntax */
  path: string;
  /** folder under functions/ holding handler.ts */
  handler: string;
  /** public routes take no bearer token */
  auth: 'oidc' | 'none';
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/requests', handler: 'create-request', auth: 'oidc' },
  { method: 'POST', path: '/requests/preview', handler: 'preview-request', auth: 'oidc' },
  { method: 'GET', path: '/requests', handler: 'list-requests', auth: 'oidc' },
  { method: 'GET', path: '/requests/{id}', handler: 'get-request', auth: 'oidc' },
  { method: 'POST', path: '/requests/{id}/cancel', handler: 'cancel-request', auth: 'oidc' },
  { method: 'POST', path: '/requests/{id}/credentials', handler: 'deliver-credentials', auth: 'oidc' },
  { method: 'POST', path: '/requests/{id}/renew', handler: 'renew-request', auth: 'oidc' },
  { method: 'GET', path: '/requests/{id}/audit', handler: 'request-audit', auth: 'oidc' },
  { method: 'POST', path: '/requests/{id}/decision', handler: 'decide-request', auth: 'oidc' },
  { method: 'POST', path: '/requests/{id}/revoke', handler: 'revoke-request', auth: 'oidc' },
  { method: 'POST', path: '/requests/{id}/release', handler: 'release-request', auth: 'oidc' },
  { method: 'GET', path: '/requests/{id}/usage', handler: 'request-usage', auth: 'oidc' },
  { method: 'POST', path: '/slack/interactions', handler: 'slack-interactions', auth: 'none' },
  { method: 'GET', path: '/approvals/{token}', handler: 'approval-page', auth: 'none' },
  { method: 'POST', path: '/approvals/{token}', handler: 'approval-decision', auth: 'none' },
  { method: 'GET', path: '/health', handler: 'health', auth: 'none' },
  { method: 'GET', path: '/openapi.json', handler: 'openapi', auth: 'none' },
];
