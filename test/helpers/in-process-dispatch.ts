/**
 * Sends raw HTTP/1.1 requests to a node:http server in the same process without a socket:
 * the request bytes go through an in-memory duplex stream handed to the server as a
 * connection (node:http documents that any Duplex may be injected so), so Node's own HTTP
 * parser, the local server's URL/Host/body handling and the handlers all run exactly as
 * for a TCP client, minus the kernel. The fuzz suites use it to afford 10,000s of inputs.
 */
import type { Server } from 'node:http';
import { Duplex } from 'node:stream';

export interface RawRequest {
  method: string;
  /** the request target exactly as written on the request line (not validated: fuzzers send anything) */
  target: string;
  /** header lines in order; a `host` header is added only when none is given and `noHost` is not set */
  headers?: Array<[string, string]>;
  body?: string | Buffer;
  /** leave the Host header out entirely */
  noHost?: boolean;
}

export interface RawResponse {
  status: number;
  /** lower-cased names; repeated headers joined with `, ` */
  headers: Record<string, string>;
  body: string;
  /** the whole answer as received (status line, headers and body) */
  raw: string;
}

/** A connected pair of in-memory duplex streams (Node 20 has no stream.duplexPair). */
function duplexPair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const ended = new Set<Duplex>();
  // the peer sees end of file once, whether this end was ended or destroyed (Node destroys
  // the socket after answering a request its parser refuses, e.g. 431)
  const endPeer = (peer: Duplex) => {
    if (ended.has(peer)) return;
    ended.add(peer);
    peer.push(null);
  };
  const make = (peer: () => Duplex) => {
    const end = new Duplex({
      read() {},
      write(chunk: Buffer, _encoding, callback) {
        if (!ended.has(peer())) peer().push(chunk);
        callback();
      },
      final(callback) {
        endPeer(peer());
        callback();
      },
      destroy(error, callback) {
        endPeer(peer());
        callback(error);
      },
    });
    // what node:http calls on real sockets; no-ops here
    Object.assign(end, {
      setTimeout: () => end,
      setNoDelay: () => end,
      setKeepAlive: () => end,
      remoteAddress: '127.0.0.1',
      remotePort: 0,
      localAddress: '127.0.0.1',
    });
    return end;
  };
  ends.push(
    make(() => ends[1]!),
    make(() => ends[0]!),
  );
  return [ends[0]!, ends[1]!];
}

/** Renders the request bytes; header names and values are written as given (CR/LF included, if a test wants them). */
export function renderRequest(request: RawRequest, host: string): Buffer {
  const headers = [...(request.headers ?? [])];
  if (!request.noHost && !headers.some(([name]) => name.toLowerCase() === 'host')) {
    headers.unshift(['host', host]);
  }
  const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(request.body);
  if (
    !headers.some(([name]) => ['content-length', 'transfer-encoding'].includes(name.toLowerCase())) &&
    (body.length > 0 || request.method === 'POST')
  ) {
    headers.push(['content-length', String(body.length)]);
  }
  headers.push(['connection', 'close']);
  const head = `${request.method} ${request.target} HTTP/1.1\r\n${headers
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/** Parses one HTTP/1.1 response (Content-Length, chunked or until close). */
export function parseResponse(bytes: Buffer): RawResponse {
  const raw = bytes.toString('utf8');
  const headEnd = bytes.indexOf('\r\n\r\n');
  if (headEnd < 0) throw new Error(`no complete HTTP response head in ${JSON.stringify(raw.slice(0, 200))}`);
  const [statusLine, ...lines] = bytes.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '');
  if (!status) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  let body = bytes.subarray(headEnd + 4);
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd < 0) break;
      const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size) || size === 0) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else if (headers['content-length'] !== undefined) {
    body = body.subarray(0, Number(headers['content-length']));
  }
  return { status: Number(status[1]), headers, body: body.toString('utf8'), raw };
}

export type Dispatcher = (request: RawRequest) => Promise<RawResponse>;

/**
 * A dispatcher bound to a listening node:http server (e.g. the local stack's `server`).
 * Each call opens one in-memory connection, writes the request with `Connection: close`,
 * and resolves with the parsed answer once the server closes it; `timeoutMs` bounds a hang.
 */
export function inProcessDispatcher(server: Server, host: string, timeoutMs = 30_000): Dispatcher {
  return (request) =>
    new Promise<RawResponse>((resolve, reject) => {
      const [client, serverEnd] = duplexPair();
      const chunks: Buffer[] = [];
      const timer = setTimeout(() => {
        client.destroy();
        serverEnd.destroy();
        reject(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      client.on('data', (chunk: Buffer) => chunks.push(chunk));
      client.on('end', () => {
        clearTimeout(timer);
        client.destroy();
        serverEnd.destroy();
        try {
          resolve(parseResponse(Buffer.concat(chunks)));
        } catch (error) {
          reject(error);
        }
      });
      client.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      server.emit('connection', serverEnd);
      client.write(renderRequest(request, host));
    });
}
