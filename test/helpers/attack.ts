/**
 * Small tools for the attack suites (test/security/): a local-issuer token, JSON calls, and raw
 * HTTP/1.1 over a socket for what fetch refuses to send (bad Host, duplicate Content-Length,
 * broken percent-encoding, absolute-form targets).
 */
import { connect } from 'node:net';
import type { LocalStack } from '../../local/stack.ts';

export const ORDERS_PIPELINE = {
  sub: 'repo:acme/orders:ref:refs/heads/feature',
  repository: 'acme/orders',
  ref: 'refs/heads/feature',
  actor: 'carol',
};

export const TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/';

export async function tokenFor(stack: LocalStack, claims: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.url}/.local/oidc/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ claims }),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

export interface Answer {
  status: number;
  type: string;
  text: string;
  body: Record<string, unknown>;
}

/** One call with a raw body (string or bytes), read whole; never throws on a status. */
export async function call(
  stack: LocalStack,
  method: string,
  path: string,
  options: { token?: string; body?: string | Uint8Array; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = {};
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body };
}

/**
 * Raw HTTP/1.1: writes `head` (request line and headers, CRLF-joined, without the blank line),
 * then `body` chunks, and reads the answer until the server closes or `Connection: close`
 * completes. Resolves with the status line's code and the raw answer; `reset` when the
 * connection was reset before any answer arrived.
 */
export function rawHttp(
  url: string,
  head: string[],
  body: (string | Buffer)[] = [],
): Promise<{ status: number; raw: string; reset: boolean }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let raw = '';
    let reset = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in 60 s; got: ${raw.slice(0, 200)}`));
    }, 60_000);
    socket.on('data', (chunk: Buffer) => {
      raw += chunk.toString('latin1');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = raw === '';
      else reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
      resolve({ status: match ? Number(match[1]) : 0, raw, reset });
    });
    socket.on('connect', () => {
      socket.write(`${[...head, 'Connection: close'].join('\r\n')}\r\n\r\n`);
      for (const piece of body) socket.write(piece);
      socket.end();
    });
  });
}
