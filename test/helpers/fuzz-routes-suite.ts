/**
 * The route fuzzer, run by test/security/fuzz-routes-*.test.ts, each file a share of the
 * routes (so the shares run side by side on the integration project's workers): every route
 * of functions/routes.ts (and so any route added there later) is fuzzed by exactly one share,
 * on the local stack: FUZZ_RUNS (10,000) generated requests per route through the stack's own
 * HTTP server in process (Node's parser, the local server, the handlers, DynamoDB Local),
 * then FUZZ_HTTP_RUNS (300) per route over a real TCP socket. Paths, query strings,
 * headers (tokens of every kind, Host, content types), bodies shaped like each route's
 * schema with hostile leaves, Slack payloads signed right and wrong, email approval forms
 * with real, spent and forged links.
 *
 * Every answer: never a 5xx, never a stack trace, never a secret (signing secrets, keys,
 * task tokens, credentials already delivered, credential-shaped strings), and every 4xx
 * from the API a problem document with a detail. Seeded: the seed is printed, FUZZ_SEED
 * replays a run, and a failure prints the inputs and a shrunk counterexample.
 */
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '../../functions/routes.ts';
import { signSlackRequest } from '../../shared/adapters/slack/signature.ts';
import {
  FUZZ_HTTP_RUNS,
  FUZZ_RUNS,
  FUZZ_SEED,
  failureReport,
  fuzz,
  judgeAnswer,
  shrunkCounterexample,
} from './fuzz.ts';
import {
  inProcessDispatcher,
  parseResponse,
  type RawRequest,
  type RawResponse,
  renderRequest,
} from './in-process-dispatch.ts';
import { api, untilStatus, useLocalStack } from './in-process-stack.ts';

const ctx = useLocalStack({ waitTimeOverrides: { WaitUntilExpiry: 600_000 } });

const ORDERS_TABLE = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-fuzz';
/** the fixtures every generator draws from: real ids, real links, real tokens */
const fx = {
  ids: [] as string[],
  approvalTokens: [] as string[],
  tokens: {} as Record<string, string>,
  host: '',
  secrets: [] as string[],
  taskTokens: [] as string[],
  /** request id → the `sub` tokens that own it: their first credentials fetch may carry credentials */
  owners: new Map<string, string>(),
};
const timings: string[] = [];

async function sign(claims: Record<string, unknown>) {
  return ctx.stack.oidc.sign(claims);
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

beforeAll(async () => {
  const stack = ctx.stack;
  fx.host = new URL(stack.url).host;
  // every task token the workflow stores is a secret no answer may hold
  const store = stack.runtime.store;
  const save = store.saveTaskToken.bind(store);
  store.saveTaskToken = (id, token, expiresAt) => {
    fx.taskTokens.push(token);
    return save(id, token, expiresAt);
  };

  const pipeline = (ref: string, repo = 'acme/orders', extra: Record<string, unknown> = {}) =>
    sign({ sub: `repo:${repo}:ref:${ref}`, repository: repo, ref, ...extra });
  const now = Math.floor(Date.now() / 1000);
  const feature = await pipeline('refs/heads/fuzz', 'acme/orders', { actor: 'carol' });
  const main = await pipeline('refs/heads/main');
  const payments = await pipeline('refs/heads/fuzz', 'acme/payments', { actor: 'carol' });
  const [alice, bob, carol] = await Promise.all(
    ['alice', 'bob', 'carol'].map((p) => sign({ sub: `user:${p}`, email: `${p}@example.com` })),
  );
  const [h, p, s] = feature.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
  fx.tokens = {
    feature,
    main,
    payments,
    alice: alice!,
    bob: bob!,
    carol: carol!,
    stranger: await pipeline('refs/heads/main', 'evil/repo'),
    expired: await sign({ sub: 'repo:acme/orders:ref:refs/heads/main', exp: now - 60 }),
    early: await sign({ sub: 'repo:acme/orders:ref:refs/heads/main', nbf: now + 3600 }),
    wrongAudience: await sign({ sub: 'repo:acme/orders:ref:refs/heads/main', aud: 'sts.amazonaws.com' }),
    // the same subject, claimed by an issuer the stack does not trust (signed by the local key)
    foreignIssuer: await sign({
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:acme/orders:ref:refs/heads/fuzz',
    }),
    emailUnverified: await sign({ sub: 'user:alice2', email: 'alice@example.com', email_verified: 'False' }),
    tampered: `${h}.${b64url({ ...claims, sub: 'repo:acme/orders:ref:refs/heads/main' })}.${s}`,
    algNone: `${b64url({ alg: 'none', typ: 'JWT' })}.${p}.`,
    badSignature: `${h}.${p}.${s.slice(0, -4)}AAAA`,
  };

  // requests in several states, owned by different principals
  const create = async (token: string, body: Record<string, unknown>) => {
    const created = await api(stack, 'POST', '/requests', token, body);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body.id as string;
  };
  const readOnly = [{ actions: ['dynamodb:GetItem'], resources: [ORDERS_TABLE] }];
  const pending = await create(feature, { profile: 'orders-it', reason: 'fuzz pending' });
  const pending2 = await create(feature, { profile: 'orders-it', reason: 'fuzz pending 2' });
  const paymentsPending = await create(payments, { profile: 'payments-it', reason: 'fuzz payments' });
  const issued = await create(main, { profile: 'orders-it', permissions: readOnly, reason: 'fuzz issued' });
  const delivered = await create(main, { profile: 'orders-it', permissions: readOnly, reason: 'fuzz taken' });
  const cancelled = await create(feature, { profile: 'orders-it', reason: 'fuzz cancelled' });
  await untilStatus(stack, issued, main, 'issued');
  await untilStatus(stack, delivered, main, 'issued');
  const creds = await api(stack, 'POST', `/requests/${delivered}/credentials`, main);
  expect(creds.status).toBe(200);
  expect((await api(stack, 'POST', `/requests/${cancelled}/cancel`, feature)).status).toBe(200);
  fx.ids = [pending, pending2, paymentsPending, issued, delivered, cancelled];
  fx.owners.set(issued, main);
  for (const id of [pending, pending2, cancelled]) fx.owners.set(id, feature);
  fx.owners.set(paymentsPending, payments);

  // the email links approvers got (real tokens); wait until the workflow has sent them
  for (let i = 0; i < 100; i++) {
    const links = stack.outbox.list().flatMap((m) => m.links ?? []);
    if (links.length >= 6) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  fx.approvalTokens = stack.outbox
    .list()
    .flatMap((m) => m.links ?? [])
    .map((link) => new URL(link).pathname.split('/').pop()!);
  expect(fx.approvalTokens.length).toBeGreaterThan(0);

  const keyText = async (file: string) => (await readFile(join(ctx.dataDir, file), 'utf8')).trim();
  const approvalKey = Buffer.from(stack.runtime.secrets.approvalTokenKey);
  const vaultKey = Buffer.from(await keyText('credentials.key'), 'base64');
  const oidcKey = JSON.parse(await keyText('oidc-signing-key.json')) as { d: string };
  fx.secrets = [
    stack.runtime.secrets.slackSigningSecret,
    ...[approvalKey, vaultKey].flatMap((k) => [
      k.toString('hex'),
      k.toString('base64'),
      k.toString('base64url'),
    ]),
    oidcKey.d,
    String(creds.body.accessKeyId),
    String(creds.body.secretAccessKey),
    String(creds.body.sessionToken),
  ];
}, 120_000);

afterAll(() => {
  if (timings.length > 0) console.log(`fuzz seed ${FUZZ_SEED}\n${timings.join('\n')}`);
});

// ---------------------------------------------------------------- generators

/** encodeURIComponent that also takes lone surrogates (as the replacement character) */
const pct = (text: string) =>
  encodeURIComponent(
    text.replace(/[\uD800-\uDFFF]/g, (c, i: number, all: string) => {
      const code = c.charCodeAt(0);
      const pair =
        code < 0xdc00
          ? all.charCodeAt(i + 1) >= 0xdc00 && all.charCodeAt(i + 1) <= 0xdfff
          : all.charCodeAt(i - 1) >= 0xd800 && all.charCodeAt(i - 1) < 0xdc00;
      return pair ? c : '\uFFFD';
    }),
  );

const weird = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\r\nX-Injected: 1',
    '../../etc/passwd',
    '%',
    '%zz',
    '%00',
    '%2F..%2F',
    '%E0%A4%A',
    '%C0%AF',
    '\uD800',
    '😀',
    '<script>alert(1)</script>',
    '*slack* `code` <!channel> <@U0ALICE01>',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-shaped string, on purpose
    '${jndi:ldap://x}',
    '__proto__',
    'constructor',
    'null',
    '[]',
    '{}',
    '-1',
    '1e999',
    'NaN',
    'a'.repeat(300),
  ),
);

/** a path segment: a real id, a plausible one, or hostile text (raw or percent-encoded) */
const segment = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...Array.from({ length: 6 }, (_, i) => `@id${i}`)) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,140}$/) },
  { weight: 2, arbitrary: weird.map((w) => pct(w)) },
  { weight: 1, arbitrary: weird.map((w) => w.replace(/[\s/?#]/g, '')) },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 9000 }).map((n) => 'x'.repeat(n)) },
  { weight: 2, arbitrary: fc.constantFrom('@link', '@link-tampered', '@link-expired-shape') },
);

const queryValue = fc.oneof(
  fc.constantFrom('pending_approval', 'issued', 'denied', 'bogus', '0', '1', '-1', '21', '100', '101'),
  fc.constantFrom('1.5', 'abc', '', '%', '%zz', '1e3', '0x10', 'true', '[]', '%E2%82'),
  fc.string({ maxLength: 30 }).map(pct),
  fc.base64String({ maxLength: 200 }),
);
const queryString = fc.oneof(
  { weight: 4, arbitrary: fc.constant('') },
  {
    weight: 6,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom('status', 'limit', 'cursor', 'waitSeconds', 'status[]', 'x'),
            fc.string({ maxLength: 12 }).map(pct),
          ),
          queryValue,
        ),
        { maxLength: 4 },
      )
      // never a long poll that holds (0 or 1 s only): the fuzzer is bounded in time
      .map((pairs) =>
        pairs.map(([k, v]) => (k === 'waitSeconds' && /^\d+$/.test(v) && Number(v) > 1 ? [k, '21'] : [k, v])),
      )
      .map((pairs) => `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`),
  },
  { weight: 1, arbitrary: fc.constantFrom('?', '?&&', '?%', '?a=%zz', '?cursor=%FF%FE', '?=&=') },
);

/** tokens: about one input in twelve carries a valid token that reaches the data (DynamoDB Local bounds the pace) */
const authorization = fc.oneof(
  { weight: 3, arbitrary: fc.constant(undefined) },
  { weight: 1, arbitrary: fc.constantFrom('@feature', '@main', '@payments', '@alice', '@bob', '@carol') },
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      '@stranger',
      '@expired',
      '@early',
      '@wrongAudience',
      '@foreignIssuer',
      '@emailUnverified',
      '@tampered',
      '@algNone',
      '@badSignature',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.string({ maxLength: 60 }).map((s) => `Bearer ${s}`),
      fc.constantFrom('Bearer', 'Bearer ', 'bearer @main', 'Basic YWxpY2U6cHc=', 'Bearer a.b.c', 'Bearer ..'),
      fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => `Bearer ${p.join('.')}`),
      fc.integer({ min: 5_000, max: 20_000 }).map((n) => `Bearer ${'e'.repeat(n)}`),
    ),
  },
);

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'application/json; charset=utf-8',
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/problem+json',
      'multipart/form-data; boundary=x',
      'application/jsonx',
      ';;;',
      '',
    ),
  },
);

const hostHeader = fc.oneof(
  { weight: 19, arbitrary: fc.constant('@host') },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '@none',
      '',
      '[::1',
      'a b',
      'x:99999',
      '%',
      'éxample.com',
      '127.0.0.1:',
      ':80',
      'a@b',
    ),
  },
);

const action = fc.oneof(
  fc.constantFrom(
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:Query',
    'dynamodb:*',
    's3:GetObject',
    '*',
  ),
  fc.constantFrom(
    'iam:PassRole',
    'sts:AssumeRole',
    'DynamoDB:getitem',
    'dynamodb:Get?tem',
    'dynamodb:',
    ':',
    'a:b:c',
  ),
  weird,
);
const resource = fc.oneof(
  fc.constantFrom(
    ORDERS_TABLE,
    'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*',
    'arn:aws:s3:::acme-orders-it-fixtures/x',
    '*',
    'arn:aws:dynamodb:*:*:table/*',
    'arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-a/index/*',
  ),
  weird,
);
const permission = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      actions: fc.array(action, { maxLength: 4 }),
      resources: fc.array(resource, { maxLength: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      actions: fc.array(action, { maxLength: 2 }),
      resources: fc.array(resource, { maxLength: 2 }),
      NotAction: fc.constant(['iam:*']),
      Condition: fc.constant({}),
    }),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);
const createBody = fc.record(
  {
    profile: fc.oneof(fc.constantFrom('orders-it', 'payments-it', 'nope', ''), weird),
    permissions: fc.oneof(fc.array(permission, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
    durationSeconds: fc.oneof(
      fc.constantFrom(900, 3600, 3601, 899, 0, -1, 1.5, 1e21),
      fc.integer(),
      fc.string({ maxLength: 5 }),
    ),
    windowSeconds: fc.oneof(fc.constantFrom(900, 43_200, 43_201), fc.integer()),
    reason: fc.oneof(fc.constantFrom('integration tests'), weird, fc.string({ maxLength: 1200 })),
    context: fc.oneof(
      fc.dictionary(weird, weird, { maxKeys: 5 }),
      fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/), fc.string({ maxLength: 80 }), {
        maxKeys: 20,
      }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    NotAction: fc.constant('*'),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);
const decisionBody = fc.record(
  {
    decision: fc.oneof(
      fc.constantFrom('approve', 'deny', 'APPROVE', 'maybe', ''),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    reason: fc.oneof(fc.string({ maxLength: 600 }), weird),
    person: fc.constantFrom('alice', 'bob'),
  },
  { requiredKeys: [] },
);

/** A body for a JSON route: the route's own shape with hostile leaves, any JSON, or bytes. */
function jsonBodyFor(shape: fc.Arbitrary<unknown>) {
  return fc.oneof(
    { weight: 6, arbitrary: shape.map((v) => JSON.stringify(v)) },
    { weight: 2, arbitrary: fc.json({ maxDepth: 3 }) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '{', '{"profile":', 'null', '[]', '"x"', '{"__proto__":{"x":1}}'),
    },
  );
}

const slackUser = fc.oneof(
  fc.constantFrom('U0ALICE01', 'U0BOB0001', 'U0CAROL01', 'U0NOBODY1'),
  fc.string({ maxLength: 12 }),
);
const slackPayload = fc.record(
  {
    type: fc.oneof(fc.constant('block_actions'), fc.constantFrom('view_submission', 'shortcut', '')),
    user: fc.oneof(fc.record({ id: slackUser }), fc.jsonValue({ maxDepth: 1 })),
    team: fc.option(fc.record({ id: fc.string({ maxLength: 40 }) })),
    response_url: fc.oneof(
      { weight: 6, arbitrary: fc.constant('@local-response') },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'http://169.254.169.254/latest/meta-data/',
          'http://127.0.0.1:1/.local/slack/response',
          'https://hooks.slack.com.evil.example/x',
          'https://user:pw@hooks.slack.com/x',
          'file:///etc/passwd',
          '',
        ),
      },
      { weight: 1, arbitrary: weird },
    ),
    actions: fc.oneof(
      fc.array(
        fc.record({
          action_id: fc.oneof(fc.constantFrom('jitvend_approve', 'jitvend_deny', 'jitvend_revoke'), weird),
          value: fc.oneof(fc.constantFrom(...Array.from({ length: 6 }, (_, i) => `@id${i}`)), weird),
        }),
        { maxLength: 3 },
      ),
      fc.jsonValue({ maxDepth: 1 }),
    ),
  },
  { requiredKeys: ['type', 'user', 'actions', 'response_url'] },
);
const slackSignature = fc.constantFrom(
  'valid',
  'valid',
  'valid',
  'stale',
  'future',
  'wrong-secret',
  'garbage',
  'none',
  'upper',
);
const slackBody = fc.oneof(
  { weight: 8, arbitrary: slackPayload.map((p) => `payload=${pct(JSON.stringify(p))}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'payload=', 'payload=%zz', 'payload={}&payload={}', 'payload=null'),
  },
);

const formBody = fc.oneof(
  fc
    .record(
      {
        decision: fc.oneof(fc.constantFrom('approve', 'deny'), weird),
        reason: fc.oneof(fc.string({ maxLength: 600 }), weird),
        extra: weird,
      },
      { requiredKeys: [] },
    )
    .map((f) => new URLSearchParams(f as Record<string, string>).toString()),
  fc.constantFrom('decision=approve&decision=deny', 'decision=%zz', '', '=&=', 'decision'),
  fc.string({ maxLength: 100 }),
);

const method = (route: RouteSpec) =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(route.method) },
    { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') },
  );

interface FuzzInput {
  method: string;
  segments: string[];
  suffix: string;
  query: string;
  authorization: string | undefined;
  contentType: string | undefined;
  host: string;
  idempotencyKey: string | undefined;
  extraHeaders: Array<[string, string]>;
  body: string;
  slackSignature: string;
}

function inputs(route: RouteSpec): fc.Arbitrary<FuzzInput> {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].length;
  const body =
    route.handler === 'slack-interactions'
      ? slackBody
      : route.handler === 'approval-decision'
        ? formBody
        : route.handler === 'create-request' || route.handler === 'preview-request'
          ? jsonBodyFor(createBody)
          : route.handler === 'decide-request'
            ? jsonBodyFor(decisionBody)
            : fc.oneof(
                { weight: 6, arbitrary: fc.constant('') },
                { weight: 1, arbitrary: jsonBodyFor(createBody) },
              );
  return fc.record({
    method: method(route),
    segments: fc.array(segment, { minLength: params, maxLength: params }),
    suffix: fc.oneof(
      { weight: 20, arbitrary: fc.constant('') },
      { weight: 1, arbitrary: fc.constantFrom('/', '//', '/x', '/..', '/%2e%2e', '#frag', ';x=1') },
    ),
    query: queryString,
    authorization,
    contentType:
      route.handler === 'slack-interactions' || route.handler === 'approval-decision'
        ? fc.oneof(
            { weight: 8, arbitrary: fc.constant('application/x-www-form-urlencoded') },
            { weight: 1, arbitrary: contentType },
          )
        : contentType,
    host: hostHeader,
    idempotencyKey: fc.oneof(
      { weight: 6, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', '') },
      { weight: 1, arbitrary: fc.string({ maxLength: 300 }).map((s) => s.replace(/[\r\n]/g, '')) },
    ),
    extraHeaders: fc.array(
      fc.oneof(
        fc.tuple(
          fc.constantFrom('x-forwarded-for', 'x-amzn-trace-id', 'cookie', 'origin', 'accept'),
          fc.string({ maxLength: 40 }),
        ),
        fc.tuple(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 40 })),
      ),
      { maxLength: 2 },
    ),
    body,
    slackSignature,
  });
}

/** Renders one generated input for a route into raw request bytes' parts (tokens, ids and links resolved). */
function toRequest(route: RouteSpec, input: FuzzInput): RawRequest {
  const resolveSegment = (s: string): string => {
    if (s.startsWith('@id')) return fx.ids[Number(s.slice(3)) % fx.ids.length]!;
    const link = fx.approvalTokens[input.body.length % Math.max(1, fx.approvalTokens.length)] ?? 'x';
    if (s === '@link') return link;
    if (s === '@link-tampered') return `${link.slice(0, -3)}${link.endsWith('A') ? 'B' : 'A'}AA`;
    if (s === '@link-expired-shape') return `${link.split('.')[0]}.${b64url({ exp: 1 })}`;
    return s;
  };
  let i = 0;
  const path = route.path.replace(/\{(\w+)\}/g, () => resolveSegment(input.segments[i++] ?? ''));
  const headers: Array<[string, string]> = [];
  if (input.host !== '@none') headers.push(['host', input.host === '@host' ? fx.host : input.host]);
  if (input.authorization !== undefined) {
    const value = input.authorization.startsWith('@')
      ? `Bearer ${fx.tokens[input.authorization.slice(1)]}`
      : input.authorization.replace(/@(\w+)/, (whole, name: string) => fx.tokens[name] ?? whole);
    headers.push(['authorization', value]);
  }
  if (input.contentType !== undefined) headers.push(['content-type', input.contentType]);
  if (input.idempotencyKey !== undefined) headers.push(['idempotency-key', input.idempotencyKey]);
  for (const [name, value] of input.extraHeaders) headers.push([name, value.replace(/[\r\n\0]/g, '')]);
  let body = input.body.replace(/%40id(\d)|@id(\d)/g, (_, a?: string, b?: string) => fx.ids[Number(a ?? b)]!);
  if (route.handler === 'slack-interactions') {
    body = body.replace(
      /%40local-response|@local-response/g,
      encodeURIComponent(`${ctx.stack.url}/.local/slack/response?to=U0ALICE01&requestId=${fx.ids[0]}`),
    );
    const now = Math.floor(Date.now() / 1000);
    const secret = ctx.stack.runtime.secrets.slackSigningSecret;
    const signed = (ts: number, key = secret) => Object.entries(signSlackRequest(key, ts, body));
    const signature: Record<string, () => Array<[string, string]>> = {
      valid: () => signed(now),
      stale: () => signed(now - 301),
      future: () => signed(now + 301),
      'wrong-secret': () => signed(now, `${secret}x`),
      garbage: () => [
        ['x-slack-request-timestamp', String(now)],
        ['x-slack-signature', `v0=${'0'.repeat(64)}`],
      ],
      none: () => [],
      upper: () => signed(now).map(([k, v]) => [k, v.toUpperCase()] as [string, string]),
    };
    headers.push(...(signature[input.slackSignature]?.() ?? []));
  }
  return {
    method: input.method,
    target: `${path}${input.suffix}${input.query}`,
    headers,
    body,
    noHost: input.host === '@none',
  };
}

/** The judge of one answer for a route, with the fixture's secrets. */
function judge(route: RouteSpec, request: RawRequest, response: RawResponse): string | undefined {
  const auth = request.headers?.find(([n]) => n === 'authorization')?.[1] ?? '';
  const id = /\/requests\/([^/?#]+)\/credentials/.exec(request.target)?.[1];
  const owner = id ? fx.owners.get(id) : undefined;
  // the owner's first fetch of an issued request's credentials is the one answer that may carry them
  const mayCarryCredentials =
    route.handler === 'deliver-credentials' && owner !== undefined && auth === `Bearer ${owner}`;
  const why = judgeAnswer(request, response, {
    secrets: [...fx.secrets, ...fx.taskTokens],
    mayCarryCredentials,
    html: route.handler === 'approval-page' || route.handler === 'approval-decision',
  });
  if (!why && mayCarryCredentials && response.status === 200) {
    // delivered once: these values may never appear again, anywhere
    const creds = JSON.parse(response.body) as Record<string, string>;
    fx.secrets.push(creds.accessKeyId!, creds.secretAccessKey!, creds.sessionToken!);
  }
  return why;
}

/** One request over a real TCP connection to the stack's port (raw bytes, like any client). */
function overTcp(request: RawRequest): Promise<RawResponse> {
  const { port, hostname: host } = new URL(ctx.stack.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host);
    const chunks: Buffer[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error('no answer within 30 s')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks)));
      } catch (error) {
        reject(error);
      }
    });
    socket.write(renderRequest(request, fx.host));
  });
}

async function run(route: RouteSpec, transport: 'in-process' | 'tcp') {
  const name = `${route.method} ${route.path}`;
  const runs = transport === 'tcp' ? FUZZ_HTTP_RUNS : FUZZ_RUNS;
  // the TCP sample draws other inputs than the in-process run
  const seed = transport === 'tcp' ? FUZZ_SEED + 1 : FUZZ_SEED;
  const send = transport === 'tcp' ? overTcp : inProcessDispatcher(ctx.stack.httpServer, fx.host);
  const arbitrary = inputs(route);
  const result = await fuzz({
    arbitrary,
    runs,
    seed,
    concurrency: transport === 'tcp' ? 8 : 32,
    toRequest: (input) => toRequest(route, input),
    send,
    judge: (request, response) => judge(route, request, response),
  });
  const codes = Object.entries(result.statuses)
    .map(([code, n]) => `${code}×${n}`)
    .join(' ');
  timings.push(
    `${transport.padEnd(10)} ${name.padEnd(36)} ${runs} inputs in ${(result.ms / 1000).toFixed(1)} s  ${codes}`,
  );
  if (result.failures.length > 0) {
    const shrunk = await shrunkCounterexample({
      arbitrary,
      seed,
      upTo: result.failures[0]!.index,
      check: async (input) => {
        const request = toRequest(route, input);
        try {
          return judge(route, request, await send(request));
        } catch (error) {
          return String(error);
        }
      },
    });
    expect.fail(`${failureReport(name, seed, result.failures)}\n${shrunk}`);
  }
  // the stack is still up and answering after the route's worst inputs
  // (a fresh TCP connection: a pooled keep-alive one may have been closed by the server meanwhile)
  expect((await overTcp({ method: 'GET', target: '/health' })).status).toBe(200);
}

/**
 * The fuzz suites for share `share` (1-based) of `shares`: the routes whose index in ROUTES
 * is `share - 1` modulo `shares`. Importing this module sets up the file's local stack and
 * fixtures.
 */
export function fuzzRoutes(share: number, shares: number): void {
  const mine = ROUTES.filter((_, index) => index % shares === share - 1);
  describe(`fuzzing every route in process (${FUZZ_RUNS} inputs each, seed ${FUZZ_SEED}), share ${share} of ${shares}`, () => {
    for (const route of mine) {
      it(
        `${route.method} ${route.path}: never a 5xx, a stack trace or a secret`,
        () => run(route, 'in-process'),
        300_000,
      );
    }
  });

  describe(`fuzzing every route over TCP (${FUZZ_HTTP_RUNS} inputs each), share ${share} of ${shares}`, () => {
    for (const route of mine) {
      it(
        `${route.method} ${route.path}: never a 5xx, a stack trace or a secret`,
        () => run(route, 'tcp'),
        300_000,
      );
    }
  });
}
