import { ApiClient, DEFAULT_API, isLoopback, parseApiUrl } from './api-client.ts';
import type { CliIo } from './io.ts';
import { resolveTokenSource, TokenProvider } from './token.ts';
import { VERSION } from './version.ts';

/** Options every command takes (commander global options). */
export interface GlobalOptions {
  api?: string;
  tokenFile?: string;
}

/** What a command needs: the io, the API URL, and a client built once, only when needed. */
export class CliContext {
  private tokens?: TokenProvider;
  private apiClient?: ApiClient;

  constructor(
    readonly io: CliIo,
    private readonly globals: GlobalOptions,
  ) {}

  /** `--api`, else `JITVEND_API`, else the local stack. */
  get api(): string {
    return parseApiUrl(this.globals.api || this.io.env.JITVEND_API || DEFAULT_API).href.replace(/\/+$/, '');
  }

  client(): ApiClient {
    if (!this.apiClient) {
      const url = new URL(this.api);
      if (url.protocol === 'http:' && !isLoopback(url))
        this.io.stderr.write(`jitvend: warning: the token is sent over plain http to ${url.host}\n`);
      this.apiClient = this.clientWith(this.io.signal);
    }
    return this.apiClient;
  }

  /** A client with its own abort signal: used to cancel a request after the CLI was interrupted. */
  clientWith(signal: AbortSignal | undefined): ApiClient {
    this.tokens ??= new TokenProvider(resolveTokenSource(this.io.env, this.globals.tokenFile), {
      fetch: this.io.fetch,
      now: this.io.now,
      signal: this.io.signal,
    });
    return new ApiClient({
      baseUrl: this.api,
      tokens: this.tokens,
      io: { fetch: this.io.fetch, sleep: this.io.sleep, signal },
      userAgent: `jitvend-cli/${VERSION}`,
      onRetry: (message) => this.io.stderr.write(`jitvend: ${message}\n`),
    });
  }
}
