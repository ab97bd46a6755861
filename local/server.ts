/**
 * The local HTTP server: the same Lambda handlers as on AWS, behind node:http, with API
 * Gateway's HTTP API (payload 2.0) event shape; plus the local-only routes under /.local/.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { ApiEvent, ApiHandler, ApiResult } from '../functions/http.ts';
import { ROUTES, type RouteSpec } from '../functions/routes.ts';
import { MAX_BODY_BYTES } from '../shared/api/limits.ts';

/** Extra routes of the local stack (`/.local/...`, `/`): return undefined when not theirs. */
export type LocalRoutes = (req: IncomingMessage, url: URL, body: string) => Promise<ApiResult | undefined>;

/**
 * After a body goes over the limit, the rest is read and dropped (never buffered) up to this
 * much, so the client gets its 413 answer instead of a connection reset; a sender that goes on
 * past it is cut off.
 */
const MAX_DISCARD_BYTES = 8 * 1024 * 1024;
/** The longest request target (path and query) answered; longer is a 400. */
const MAX_TARGET_CHARS = 4096;
/** A DNS name or IPv4 address, or a bracketed IPv6 address, with an optional port. */
const HOST_HEADER =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?$/;
/** `%` not followed by two hex digits */
const BAD_PERCENT = /%(?![0-9A-Fa-f]{2})/;
/** a `.` or `..` path segment, written plainly or percent-encoded */
const DOT_SEGMENT = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|$)/i;

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  params: string[];
  handler: ApiHandler;
}

function compileRoutes(handlerFor: (handler: string) => ApiHandler): CompiledRoute[] {
  return ROUTES.map((spec) => {
    const params: string[] = [];
    const source = spec.path.replace(/[.]/g, '\\.').replace(/\{(\w+)\}/g, (_, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
    return { spec, pattern: new RegExp(`^${source}$`), params, handler: handlerFor(spec.handler) };
  });
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

type BodyRead = { ok: true; body: string } | { ok: false };

/**
 * The body, at most MAX_BODY_BYTES; `{ ok: false }` once it is longer (by Content-Length or as
 * it arrives, chunked or not). Resolves only after the whole body was read (the excess dropped),
 * so the 413 reaches the client instead of a reset.
 */
function readBody(req: IncomingMessage): Promise<BodyRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const declared = Number(req.headers['content-length'] ?? 0);
    let tooLarge = Number.isFinite(declared) && declared > MAX_BODY_BYTES;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      if (tooLarge) {
        chunks.length = 0;
        if (size > MAX_BODY_BYTES + MAX_DISCARD_BYTES) {
          resolve({ ok: false });
          req.socket.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(tooLarge ? { ok: false } : { ok: true, body: Buffer.concat(chunks).toString('utf8') }),
    );
    req.on('error', reject);
  });
}

/** The request's URL, or why it is malformed (a 400): bad Host, target or percent-encoding. */
function parseTarget(req: IncomingMessage, fallbackHost: string): URL | string {
  const host = req.headers.host ?? fallbackHost;
  if (!HOST_HEADER.test(host)) return 'malformed Host header';
  const target = req.url ?? '/';
  if (target.length > MAX_TARGET_CHARS) return `the URL is longer than ${MAX_TARGET_CHARS} characters`;
  // origin-form only: `//x/y` would be read as another host, `http://...` names one
  if (!target.startsWith('/') || target.startsWith('//'))
    return 'malformed URL: expected a path starting with one /';
  const [path = '/'] = target.split('?', 1);
  if (BAD_PERCENT.test(target)) return 'malformed percent-encoding in the URL';
  if (DOT_SEGMENT.test(path)) return 'malformed URL: . and .. path segments are not allowed';
  let url: URL;
  try {
    url = new URL(target, `http://${host}`);
  } catch {
    return 'malformed URL';
  }
  try {
    decodeURIComponent(url.pathname);
  } catch {
    return 'malformed percent-encoding in the URL (not UTF-8)';
  }
  return url;
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
  /** the handler of each route, by RouteSpec.handler (functions/handlers.ts) */
  handlerFor: (handler: string) => ApiHandler;
  localRoutes?: LocalRoutes;
  onError?: (error: unknown) => void;
}): Promise<LocalServer> {
  const routes = compileRoutes(options.handlerFor);
  const server = createServer(async (req, res) => {
    try {
      const read = await readBody(req);
      if (!read.ok) {
        res.shouldKeepAlive = false;
        send(
          res,
          plainProblem(413, 'Content Too Large', `the body is over ${MAX_BODY_BYTES} bytes (64 KiB)`),
        );
        return;
      }
      const body = read.body;
      const url = parseTarget(req, `${options.host}:${options.port}`);
      if (typeof url === 'string') {
        send(res, plainProblem(400, 'Bad Request', url));
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
