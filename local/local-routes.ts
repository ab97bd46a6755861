/**
 * Routes that exist only in the local stack, under /.local/: the local identity provider
 * and (slice 2) the outbox.
 */
import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import type { ApiResult } from '../functions/http.ts';
import { json, problem } from '../functions/http.ts';
import { describeIssues } from '../shared/zod-issues.ts';
import type { LocalOidcIssuer } from './oidc-issuer.ts';
import type { Outbox } from './outbox.ts';
import { recordSlackResponse } from './slack-stand-in.ts';
import { localPage, type WebPageDeps } from './web-page.ts';

const tokenBody = z.strictObject({ claims: z.record(z.string(), z.unknown()).default({}) });

export interface LocalRouteDeps {
  oidc: LocalOidcIssuer;
  outbox(): unknown[];
  /** where POST /.local/slack/response records Slack message updates (the outbox) */
  slackResponses?: Pick<Outbox, 'add'>;
  /** GET /: the page for people */
  page?: WebPageDeps;
}

export function localRoutes(deps: LocalRouteDeps) {
  return async (req: IncomingMessage, url: URL, body: string): Promise<ApiResult | undefined> => {
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /' && deps.page) return localPage(deps.page, url);
    switch (route) {
      case 'POST /.local/oidc/token': {
        let parsed: unknown;
        try {
          parsed = body.trim() === '' ? {} : JSON.parse(body);
        } catch {
          return problem(400, 'body: not valid JSON');
        }
        const result = tokenBody.safeParse(parsed);
        if (!result.success) return problem(400, `body: ${describeIssues(result.error.issues).join('; ')}`);
        return json(200, { token: await deps.oidc.sign(result.data.claims) });
      }
      case 'GET /.local/oidc/.well-known/jwks':
        return json(200, deps.oidc.jwks());
      case 'GET /.local/oidc/.well-known/openid-configuration':
        return json(200, {
          issuer: deps.oidc.issuerUrl,
          jwks_uri: `${url.origin}/.local/oidc/.well-known/jwks`,
          id_token_signing_alg_values_supported: ['ES256'],
        });
      case 'GET /.local/outbox':
        return json(200, deps.outbox());
      case 'POST /.local/slack/response':
        if (!deps.slackResponses) return problem(404, 'the local Slack stand-in is not wired');
        return recordSlackResponse(deps.slackResponses, url, body);
      default:
        return url.pathname.startsWith('/.local/') ? problem(404, `no local route ${route}`) : undefined;
    }
  };
}
