/**
 * The local HTTP server: the same Lambda handlers as on AWS, behind node:http, with API
 * Gateway's HTTP API (payload 2.0) event shape; plus the local-only routes under /.local/.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiResult } from '../functions/http.ts';
import { ROUTES, type RouteSpec } from '../functions/routes.ts';

export type ApiHandler = (event: ApiEvent, context: Context) => Promise<ApiResult>;

/** Extra routes of the local stack (`/.local/...`, `/`): return undefined when not theirs. */
export type LocalRoutes = (req: IncomingMessage, url: URL, body: string) => Promise<ApiResult | undefined>;

const MAX_BODY_BYTES = 256 * 1024;

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  params: string[];
  handler: ApiHandler;
}

async function compileRoutes(): Promise<CompiledRoute[]> {
  return Promise.all(
    ROUTES.map(async (spec) => {
      const params: string[] = [];
      const source = spec.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_, name: string) => {
        params.push(name);
        return '([^/]+)';
      });
      const module = (await import(`../functions/${spec.handler}/handler.ts`)) as { handler: ApiHandler };
      return { spec, pattern: new RegExp(`^${source}$`), params, handler: module.handler };
    }),
  );
}

function lambdaContext(name: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: `jitvend-local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:jitvend-local-${name}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/local/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, 29_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  body: string,
  route: CompiledRoute,
  match: RegExpExecArray,
): ApiEvent {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams)
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const pathParameters = Object.fromEntries(
    route.params.map((name, i) => [name, decodeURIComponent(match[i + 1]!)]),
  );
  const now = new Date();
  return {
    version: '2.0',
    routeKey: `${route.spec.method} ${route.spec.path}`,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(route.params.length > 0 ? { pathParameters } : {}),
    ...(body !== '' ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: `${route.spec.method} ${route.spec.path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
  };
}

function send(res: ServerResponse, result: ApiResult): void {
  const headers: Record<string, string | number | boolean> = { ...(result.headers ?? {}) };
  res.writeHead(result.statusCode ?? 200, headers as Record<string, string>);
  res.end(result.body ?? '');
}

function plainProblem(status: number, title: string, detail: string): ApiResult {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json' },
    body: JSON.stringify({ type: 'about:blank', title, status, detail }),
  };
}

export interface LocalServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startServer(options: {
  host: string;
  port: number;
  localRoutes?: LocalRoutes;
  onError?: (error: unknown) => void;
}): Promise<LocalServer> {
  const routes = await compileRoutes();
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${options.host}:${options.port}`}`);
      let body: string;
      try {
        body = await readBody(req);
      } catch {
        send(res, plainProblem(413, 'Content Too Large', `the body is over ${MAX_BODY_BYTES} bytes`));
        return;
      }
      const local = await options.localRoutes?.(req, url, body);
      if (local) {
        send(res, local);
        return;
      }
      const candidates = routes.filter((r) => r.pattern.test(url.pathname));
      if (candidates.length === 0) {
        send(res, plainProblem(404, 'Not Found', `no route ${url.pathname}`));
        return;
      }
      const route = candidates.find((r) => r.spec.method === req.method);
      if (!route) {
        const allowed = candidates.map((r) => r.spec.method).join(', ');
        send(res, {
          ...plainProblem(405, 'Method Not Allowed', `${url.pathname} allows ${allowed}`),
          headers: { allow: allowed, 'content-type': 'application/problem+json' },
        });
        return;
      }
      const match = route.pattern.exec(url.pathname)!;
      send(
        res,
        await route.handler(toEvent(req, url, body, route, match), lambdaContext(route.spec.handler)),
      );
    } catch (error) {
      options.onError?.(error);
      if (!res.headersSent) send(res, plainProblem(500, 'Internal Server Error', 'internal error'));
      else res.end();
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
