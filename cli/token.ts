import { readFile } from 'node:fs/promises';
import { TokenError } from './errors.ts';
import type { CliIo } from './io.ts';

export const DEFAULT_AUDIENCE = 'jitvend';

/** Where the bearer token comes from, in precedence order (first that is set wins). */
export type TokenSource =
  | { kind: 'flag-file'; path: string }
  | { kind: 'env'; variable: 'JITVEND_TOKEN'; value: string }
  | { kind: 'env-file'; path: string }
  | { kind: 'github-actions'; requestUrl: string; requestToken: string; audience: string };

/**
 * Picks the token source:
 * 1. `--token-file PATH` (an explicit flag beats the environment)
 * 2. `JITVEND_TOKEN` (e.g. GitLab `id_tokens: { JITVEND_TOKEN: { aud: jitvend } }`)
 * 3. `JITVEND_TOKEN_FILE`
 * 4. GitHub Actions: `ACTIONS_ID_TOKEN_REQUEST_URL` + `ACTIONS_ID_TOKEN_REQUEST_TOKEN`,
 *    audience `JITVEND_AUDIENCE` or `jitvend` (the job needs `permissions: id-token: write`)
 */
export function resolveTokenSource(env: CliIo['env'], tokenFileFlag?: string): TokenSource {
  if (tokenFileFlag) return { kind: 'flag-file', path: tokenFileFlag };
  if (env.JITVEND_TOKEN) return { kind: 'env', variable: 'JITVEND_TOKEN', value: env.JITVEND_TOKEN };
  if (env.JITVEND_TOKEN_FILE) return { kind: 'env-file', path: env.JITVEND_TOKEN_FILE };
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (requestUrl && requestToken)
    return {
      kind: 'github-actions',
      requestUrl,
      requestToken,
      audience: env.JITVEND_AUDIENCE || DEFAULT_AUDIENCE,
    };
  const hint =
    env.GITHUB_ACTIONS === 'true'
      ? ' In GitHub Actions, give the job `permissions: id-token: write` so it can request an OIDC token.'
      : '';
  throw new TokenError(`no token: set JITVEND_TOKEN, JITVEND_TOKEN_FILE or --token-file.${hint}`);
}

/** Names a source in messages, never showing the token itself. */
export function describeTokenSource(source: TokenSource): string {
  switch (source.kind) {
    case 'flag-file':
      return `token file ${source.path} (--token-file)`;
    case 'env':
      return source.variable;
    case 'env-file':
      return `token file ${source.path} (JITVEND_TOKEN_FILE)`;
    case 'github-actions':
      return `GitHub Actions OIDC (audience ${source.audience})`;
  }
}

/** Seconds since the epoch at which a JWT expires, when it can be read (not verified: the API does that). */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp : undefined;
  } catch {
    return undefined;
  }
}

/** Renew a token this long before it expires. */
const RENEW_BEFORE_MS = 60_000;

/**
 * Gives the bearer token for each API call. Tokens from a file or from GitHub Actions are
 * fetched again when they are about to expire or when the API answered 401, so a pipeline
 * that waits 30 minutes for a human keeps a fresh token (GitHub's last only minutes).
 */
export class TokenProvider {
  private cached?: string;

  constructor(
    readonly source: TokenSource,
    private readonly io: Pick<CliIo, 'fetch' | 'now' | 'signal'>,
  ) {}

  /** true if asking again may give a different token */
  get renewable(): boolean {
    return this.source.kind !== 'env';
  }

  async token(): Promise<string> {
    if (this.cached && !this.expiresSoon(this.cached)) return this.cached;
    this.cached = checkToken(await this.load(), this.source);
    return this.cached;
  }

  /** Forgets the cached token (after a 401); returns whether a new one may differ. */
  invalidate(): boolean {
    this.cached = undefined;
    return this.renewable;
  }

  private expiresSoon(token: string): boolean {
    if (!this.renewable) return false;
    const exp = jwtExpiry(token);
    return exp !== undefined && exp * 1000 - this.io.now() < RENEW_BEFORE_MS;
  }

  private async load(): Promise<string> {
    const source = this.source;
    switch (source.kind) {
      case 'env':
        return source.value;
      case 'flag-file':
      case 'env-file':
        try {
          return await readFile(source.path, 'utf8');
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
          throw new TokenError(`cannot read ${describeTokenSource(source)}: ${code}`, { cause: error });
        }
      case 'github-actions':
        return fetchGitHubActionsToken(source, this.io);
    }
  }
}

function checkToken(raw: string, source: TokenSource): string {
  const token = raw.trim();
  if (!token) throw new TokenError(`the ${describeTokenSource(source)} is empty`);
  if (/[\s\p{Cc}]/u.test(token))
    throw new TokenError(`the ${describeTokenSource(source)} is not a single-line token`);
  return token;
}

async function fetchGitHubActionsToken(
  source: Extract<TokenSource, { kind: 'github-actions' }>,
  io: Pick<CliIo, 'fetch' | 'signal'>,
): Promise<string> {
  let url: URL;
  try {
    url = new URL(source.requestUrl);
  } catch {
    throw new TokenError('ACTIONS_ID_TOKEN_REQUEST_URL is not a URL');
  }
  url.searchParams.set('audience', source.audience);
  let response: Response;
  try {
    response = await io.fetch(url, {
      headers: { authorization: `Bearer ${source.requestToken}`, accept: 'application/json' },
      signal: io.signal,
    });
  } catch (error) {
    throw new TokenError(`could not reach the GitHub Actions OIDC endpoint at ${url.origin}`, {
      cause: error,
    });
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new TokenError(`the GitHub Actions OIDC endpoint answered HTTP ${response.status}`);
  }
  const body = (await response.json().catch(() => undefined)) as { value?: unknown } | undefined;
  if (typeof body?.value !== 'string') throw new TokenError('the GitHub Actions OIDC endpoint gave no token');
  return body.value;
}
