import { jwtExpiry, TokenProvider } from '../../cli/token.ts';

/** Fetch a fresh token this long before the cached one expires. */
const RENEW_BEFORE_MS = 60_000;

/**
 * The job's OIDC token through `core.getIDToken(audience)` (which also masks it in the
 * log), fetched again when it is about to expire or the API answered 401: GitHub's tokens
 * last minutes, a wait for a human may last half an hour.
 */
export class ActionsIdTokenProvider extends TokenProvider {
  private current?: string;

  constructor(
    audience: string,
    private readonly getIdToken: (audience: string) => Promise<string>,
    private readonly clock: () => number,
  ) {
    super(
      { kind: 'github-actions', requestUrl: '', requestToken: '', audience },
      { fetch: globalThis.fetch, now: clock },
    );
  }

  override get renewable(): boolean {
    return true;
  }

  override async token(): Promise<string> {
    if (this.current && !this.nearExpiry(this.current)) return this.current;
    const source = this.source as Extract<typeof this.source, { kind: 'github-actions' }>;
    this.current = (await this.getIdToken(source.audience)).trim();
    return this.current;
  }

  override invalidate(): boolean {
    this.current = undefined;
    return true;
  }

  private nearExpiry(token: string): boolean {
    const exp = jwtExpiry(token);
    return exp !== undefined && exp * 1000 - this.clock() < RENEW_BEFORE_MS;
  }
}
