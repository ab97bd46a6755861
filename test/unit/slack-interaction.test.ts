import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowedResponseUrl,
  ephemeral,
  parseInteraction,
  postResponse,
} from '../../shared/adapters/slack/interaction.ts';

const ID = '6f1c2a40-0b7e-4d5e-9a51-1f2e3d4c5b6a';
const HOOK = 'https://hooks.slack.com/actions/T0001/1234/abcdef';

function form(payload: unknown): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function click(overrides: Record<string, unknown> = {}, action: Record<string, unknown> = {}) {
  return {
    type: 'block_actions',
    user: { id: 'U0ALICE01', username: 'alice', team_id: 'T0001' },
    team: { id: 'T0001', domain: 'acme' },
    response_url: HOOK,
    actions: [{ action_id: 'jitvend_approve', block_id: 'jitvend_decision', value: ID, type: 'button' }].map(
      (a) => ({ ...a, ...action }),
    ),
    ...overrides,
  };
}

describe('parsing an interaction payload', () => {
  it('reads the user, the action, the request id and the response_url', () => {
    expect(parseInteraction(form(click()))).toEqual({
      userId: 'U0ALICE01',
      teamId: 'T0001',
      action: 'jitvend_approve',
      requestId: ID,
      responseUrl: HOOK,
    });
  });

  it.each([
    ['no payload field', 'foo=bar', 'body: the form field payload is required'],
    ['a payload that is not JSON', 'payload=%7Bnope', 'payload: not valid JSON'],
    [
      'another payload type',
      form(click({ type: 'view_submission' })),
      'only block_actions payloads are handled',
    ],
    ['an unknown action', form(click({}, { action_id: 'other_button' })), 'actions[0].action_id'],
    ['a value that is not a request id', form(click({}, { value: 'r1 OR 1=1' })), 'not a request id'],
    ['no actions', form(click({ actions: [] })), 'actions'],
    ['a malformed user id', form(click({ user: { id: '<@U1>' } })), 'not a Slack user id'],
  ])('refuses %s with a 400', (_name, body, message) => {
    expect(() => parseInteraction(body)).toThrow(message);
    try {
      parseInteraction(body);
    } catch (error) {
      expect((error as { kind?: string }).kind).toBe('validation');
    }
  });
});

describe('which response_url may be called', () => {
  it.each([
    ['Slack', HOOK, 'https://jitvend.example.com', true],
    ['Slack on another port', 'https://hooks.slack.com:8443/actions/x', 'https://jitvend.example.com', false],
    ['Slack over http', 'http://hooks.slack.com/actions/x', 'https://jitvend.example.com', false],
    ['a look-alike host', 'https://hooks.slack.com.evil.example/x', 'https://jitvend.example.com', false],
    ['credentials in the URL', 'https://a:b@hooks.slack.com/actions/x', 'https://jitvend.example.com', false],
    [
      'the instance metadata service',
      'http://169.254.169.254/latest/meta-data/',
      'https://jitvend.example.com',
      false,
    ],
    ['not a URL', 'hooks.slack.com/actions', 'https://jitvend.example.com', false],
    [
      'the local stand-in, on a loopback stack',
      'http://127.0.0.1:8787/.local/slack/response?to=U1',
      'http://127.0.0.1:8787',
      true,
    ],
    ['another local route', 'http://127.0.0.1:8787/.local/oidc/token', 'http://127.0.0.1:8787', false],
    ['another loopback port', 'http://127.0.0.1:9999/.local/slack/response', 'http://127.0.0.1:8787', false],
    [
      'the API itself outside /.local/slack/',
      'http://127.0.0.1:8787/requests',
      'http://127.0.0.1:8787',
      false,
    ],
    [
      'a /.local/ URL on AWS',
      'https://jitvend.example.com/.local/slack/response',
      'https://jitvend.example.com',
      false,
    ],
  ])('%s', (_name, url, publicUrl, allowed) => {
    expect(allowedResponseUrl(url, publicUrl) !== undefined).toBe(allowed);
  });
});

describe('posting to a response_url', () => {
  let server: Server;
  let base: string;
  const bodies: unknown[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (req.url === '/slow') return; // never answers
        if (req.url === '/redirect') {
          res.writeHead(302, { location: 'http://169.254.169.254/' }).end();
          return;
        }
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('posts the JSON answer', async () => {
    await expect(postResponse(new URL(`${base}/ok`), ephemeral('why'))).resolves.toEqual({ ok: true });
    expect(bodies).toEqual([{ response_type: 'ephemeral', replace_original: false, text: 'why' }]);
  });

  it('gives up after the timeout instead of holding Slack', async () => {
    const started = Date.now();
    await expect(postResponse(new URL(`${base}/slow`), ephemeral('x'), { timeoutMs: 150 })).resolves.toEqual({
      ok: false,
      reason: 'timed out',
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('never follows a redirect', async () => {
    const result = await postResponse(new URL(`${base}/redirect`), ephemeral('x'));
    expect(result.ok).toBe(false);
  });
});
