/**
 * Attacks on the server's bounds (SPEC.md "Bounds"), over HTTP against the local stack and
 * against the Lambda layer: body sizes, malformed HTTP, ids, and bodies built to make the
 * policy work explode. Every attack has its expected refusal; none may be a 5xx or a reset.
 * No timing is asserted (bench/worst-body.ts measures); only that answers come.
 */
import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { bodyBytes } from '../../functions/http.ts';
import { handler as previewHandler } from '../../functions/preview-request/handler.ts';
import { MAX_BODY_BYTES } from '../../shared/api/limits.ts';
import { buildSessionPolicy } from '../../shared/domain/policy/builder.ts';
import { LIMITS } from '../../shared/domain/policy/patterns.ts';
import { estimatePackedSizeForRequest } from '../../shared/domain/session.ts';
import { call, ORDERS_PIPELINE, rawHttp, TABLE, tokenFor } from '../helpers/attack.ts';
import { useLocalStack } from '../helpers/in-process-stack.ts';

const handle = useLocalStack();
let token: string;
beforeAll(async () => {
  token = await tokenFor(handle.stack, ORDERS_PIPELINE);
});

const GOOD = {
  profile: 'orders-it',
  permissions: [{ actions: ['dynamodb:GetItem'], resources: [`${TABLE}orders-it-users`] }],
  reason: 'integration tests',
};

/** A JSON body of exactly `bytes` bytes: GOOD padded with spaces (valid JSON). */
function paddedBody(bytes: number): string {
  const json = JSON.stringify(GOOD);
  return json + ' '.repeat(bytes - Buffer.byteLength(json));
}

function host(): string {
  return new URL(handle.stack.url).host;
}

describe('body size: 64 KiB is the most, answered with 413 beyond, never a reset', () => {
  it('a body of exactly 64 KiB is read and answered (200)', async () => {
    const body = paddedBody(MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(65_536);
    const res = await call(handle.stack, 'POST', '/requests/preview', { token, body });
    expect(res.status).toBe(200);
  });

  it('one byte over 64 KiB is a 413 problem', async () => {
    const res = await call(handle.stack, 'POST', '/requests/preview', {
      token,
      body: paddedBody(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(res.type).toContain('application/problem+json');
    expect(res.body.detail).toMatch(/64 KiB/);
  });

  it('a 2 MB body gets its 413 answer, not a connection reset', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const res = await rawHttp(
      handle.stack.url,
      [
        'POST /requests/preview HTTP/1.1',
        `Host: ${host()}`,
        'Content-Type: application/json',
        `Content-Length: ${big.length}`,
      ],
      [big],
    );
    expect(res.reset).toBe(false);
    expect(res.status).toBe(413);
    expect(res.raw).toContain('"status":413');
  });

  it('a chunked body that grows over the limit is a 413 too', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const chunks: Buffer[] = [];
    for (let i = 0; i < 6; i++) {
      chunks.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    }
    chunks.push(Buffer.from('0\r\n\r\n'));
    const res = await rawHttp(
      handle.stack.url,
      [
        'POST /requests/preview HTTP/1.1',
        `Host: ${host()}`,
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
      ],
      chunks,
    );
    expect(res.reset).toBe(false);
    expect(res.status).toBe(413);
  });

  it('two different Content-Length headers are a 400 (request smuggling)', async () => {
    const res = await rawHttp(
      handle.stack.url,
      [
        'POST /requests/preview HTTP/1.1',
        `Host: ${host()}`,
        'Content-Type: application/json',
        'Content-Length: 2',
        'Content-Length: 40',
      ],
      ['{}'],
    );
    expect(res.status).toBe(400);
  });

  it('the Lambda layer refuses a base64 body over 64 KiB with 413 before decoding it', async () => {
    const raw = Buffer.alloc(MAX_BODY_BYTES + 1, 0x20).toString('base64');
    expect(bodyBytes({ body: raw, isBase64Encoded: true })).toBe(MAX_BODY_BYTES + 1);
    const event = {
      version: '2.0',
      routeKey: 'POST /requests/preview',
      rawPath: '/requests/preview',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      body: raw,
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST', path: '/requests/preview' } },
    };
    const res = await previewHandler(event as never, {} as Context);
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body!).title).toBe('Content Too Large');
  });

  it('the Lambda layer measures a plain body in bytes (multi-byte characters count)', () => {
    expect(bodyBytes({ body: 'é'.repeat(40_000), isBase64Encoded: false })).toBe(80_000);
  });
});

describe('malformed HTTP is a 400, never a 500', () => {
  it.each([
    ['a Host header with a space', 'bad host'],
    ['a Host header with a path', 'example.com/evil'],
    ['a Host header with a user part', 'user@example.com'],
    ['a Host header with a bad port', 'example.com:port'],
  ])('%s', async (_, badHost) => {
    const res = await rawHttp(handle.stack.url, ['GET /health HTTP/1.1', `Host: ${badHost}`]);
    expect(res.status).toBe(400);
  });

  it.each([
    ['%ZZ (not hex)', '/requests/%ZZ'],
    ['a lone % at the end', '/requests/abc%'],
    ['%2e%2e (encoded dot-dot)', '/requests/%2e%2e/cancel'],
    ['plain ..', '/requests/../health'],
    ['overlong UTF-8 (%C0%AF)', '/requests/%C0%AF'],
    ['a protocol-relative target (//host/path)', '//evil.example/health'],
    ['an over-long URL', `/requests/${'a'.repeat(5000)}`],
  ])('a path with %s', async (_, target) => {
    const res = await rawHttp(handle.stack.url, [`GET ${target} HTTP/1.1`, `Host: ${host()}`]);
    expect(res.status).toBe(400);
  });

  it('an absolute-form target naming another host is a 400', async () => {
    const res = await rawHttp(handle.stack.url, [
      'GET http://evil.example/health HTTP/1.1',
      `Host: ${host()}`,
    ]);
    expect(res.status).toBe(400);
  });

  it.each([
    ['over 64 characters', 'a'.repeat(65)],
    ['with an encoded slash', 'abc%2Fdef'],
    ['with a dot', 'abc.def'],
  ])('an id %s in a path is a 400', async (_, id) => {
    const res = await call(handle.stack, 'GET', `/requests/${id}`, { token });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/not a valid id/);
  });

  it('an over-long id on the local page is a 400, not a 500', async () => {
    const res = await call(handle.stack, 'GET', `/?request=${'x'.repeat(3000)}`);
    expect(res.status).toBe(400);
  });

  it('an unknown but well-shaped id on the local page says no such request', async () => {
    const res = await call(handle.stack, 'GET', '/?request=00000000-0000-0000-0000-000000000000');
    expect(res.status).toBe(200);
    expect(res.text).toContain('No such request');
  });
});

describe('bodies built to be expensive are refused early or answered within bounds', () => {
  it('deep JSON nesting is a 400', async () => {
    const body = `${'['.repeat(30_000)}${']'.repeat(30_000)}`;
    const res = await call(handle.stack, 'POST', '/requests/preview', { token, body });
    expect(res.status).toBe(400);
  });

  it('a huge array of tiny actions is a 400 naming the limit', async () => {
    const body = JSON.stringify({
      ...GOOD,
      permissions: [{ actions: Array(10_000).fill('a:b'), resources: ['*'] }],
    });
    const res = await call(handle.stack, 'POST', '/requests/preview', { token, body });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(new RegExp(`at most ${LIMITS.actions} actions`));
  });

  it('more permissions than the limit is a 400', async () => {
    const res = await call(handle.stack, 'POST', '/requests/preview', {
      token,
      body: JSON.stringify({ ...GOOD, permissions: Array(LIMITS.permissions + 1).fill(GOOD.permissions[0]) }),
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/at most 20 permissions/);
  });

  it('permissions: [] is a 400 that says to leave the field out', async () => {
    const res = await call(handle.stack, 'POST', '/requests', {
      token,
      body: JSON.stringify({ ...GOOD, permissions: [] }),
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/leave permissions out to ask for the whole profile/);
  });

  it('permissions larger as written than a policy could hold are a 400 before any containment', async () => {
    const resources = Array.from({ length: 50 }, (_, i) => `${TABLE}orders-it-${'x'.repeat(60)}${i}`);
    const res = await call(handle.stack, 'POST', '/requests/preview', {
      token,
      body: JSON.stringify({ ...GOOD, permissions: [{ actions: ['dynamodb:GetItem'], resources }] }),
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/too large/);
  });

  /** The worst bodies bench/worst-body.ts measures: wildcard-heavy, all inside the guardrails. */
  const worst = [
    {
      name: 'star chains (*a*b*c*...)',
      permissions: [
        {
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
          resources: Array.from(
            { length: 40 },
            (_, i) => `${TABLE}orders-it-*${'a*b*c*'.repeat(1 + (i % 5))}${i}`,
          ),
        },
      ],
    },
    {
      name: '? runs that need exponential automata',
      permissions: [
        {
          actions: ['dynamodb:GetItem', 'dynamodb:Query'],
          resources: Array.from(
            { length: 40 },
            (_, i) => `${TABLE}orders-it-*${'ab'[i % 2]}${'?'.repeat(14 + (i % 8))}`,
          ),
        },
      ],
    },
  ];

  it.each(worst)(
    '$name: answered (400, 403 or 200), and /health answered meanwhile',
    async ({ permissions }) => {
      const body = JSON.stringify({ ...GOOD, permissions });
      const preview = call(handle.stack, 'POST', '/requests/preview', { token, body });
      const health = call(handle.stack, 'GET', '/health');
      const [p, h] = await Promise.all([preview, health]);
      expect([200, 400, 403]).toContain(p.status);
      expect(h.status).toBe(200);
    },
  );
});

describe('packed size: policy plus session tags checked before anyone approves', () => {
  /** resources that make a policy of about `chars` characters for dynamodb:GetItem */
  function policyOf(chars: number) {
    const base = JSON.stringify(
      buildSessionPolicy(
        { name: 'x', allowEscalation: false, allow: [{ actions: ['dynamodb:GetItem'], resources: ['*'] }] },
        [{ actions: ['dynamodb:GetItem'], resources: [`${TABLE}orders-it-a`, `${TABLE}orders-it-b`] }],
      ).policy,
    ).length;
    const extra = chars - base;
    const half = Math.floor(extra / 2);
    return [`${TABLE}orders-it-a${'x'.repeat(half)}`, `${TABLE}orders-it-b${'y'.repeat(extra - half)}`];
  }

  it('a policy under 2,048 characters that only overflows with the tags is refused at preview and create', async () => {
    const resources = policyOf(1880);
    const longSub = { ...ORDERS_PIPELINE, sub: `repo:acme/orders:ref:refs/heads/${'b'.repeat(200)}` };
    const longToken = await tokenFor(handle.stack, longSub);
    const body = JSON.stringify({ ...GOOD, permissions: [{ actions: ['dynamodb:GetItem'], resources }] });

    // the same policy with a short requester fits
    const fits = await call(handle.stack, 'POST', '/requests/preview', { token, body });
    expect(fits.status).toBe(200);
    const json = JSON.stringify(fits.body.sessionPolicy);
    expect(json.length).toBeLessThanOrEqual(2048);
    const packed = estimatePackedSizeForRequest(json, { profile: 'orders-it', requester: longSub.sub });
    expect(packed.total).toBeGreaterThan(packed.budget);

    for (const path of ['/requests/preview', '/requests']) {
      const res = await call(handle.stack, 'POST', path, { token: longToken, body });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/too large for STS/);
      expect(res.body.detail).toMatch(/fewer actions or resources/);
    }
    const mine = await call(handle.stack, 'GET', '/requests', { token: longToken });
    expect(mine.body.items).toEqual([]);
  });
});
