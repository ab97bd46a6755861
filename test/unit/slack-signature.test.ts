import { describe, expect, it } from 'vitest';
import { signSlackRequest, verifySlackSignature } from '../../shared/adapters/slack/signature.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW = new Date('2026-11-24T10:00:00.000Z');
const TS = Math.floor(NOW.getTime() / 1000);
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';
const signed = signSlackRequest(SECRET, TS, BODY);

describe('Slack v0 signature', () => {
  it('matches the example in Slack documentation', () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack (worked example)
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = signSlackRequest(SECRET, 1531420618, body);
    expect(headers['x-slack-signature']).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });

  it.each([
    ['a valid signature', {}, { ok: true }],
    ['another secret', { secret: 'not-the-secret' }, { ok: false, reason: 'signature does not match' }],
    ['a modified body', { body: `${BODY}x` }, { ok: false, reason: 'signature does not match' }],
    [
      'a timestamp 301 s in the past',
      { now: new Date(NOW.getTime() + 301_000) },
      { ok: false, reason: 'timestamp is 301 s from now (more than 300 s)' },
    ],
    [
      'a timestamp 301 s in the future',
      { now: new Date(NOW.getTime() - 301_000) },
      { ok: false, reason: 'timestamp is 301 s from now (more than 300 s)' },
    ],
    ['a timestamp exactly 300 s old', { now: new Date(NOW.getTime() + 300_000) }, { ok: true }],
    [
      'no timestamp header',
      { timestamp: undefined },
      { ok: false, reason: 'missing X-Slack-Request-Timestamp header' },
    ],
    [
      'no signature header',
      { signature: undefined },
      { ok: false, reason: 'missing X-Slack-Signature header' },
    ],
    [
      'an empty signature header',
      { signature: '' },
      { ok: false, reason: 'missing X-Slack-Signature header' },
    ],
    [
      'a non-numeric timestamp',
      { timestamp: `${TS}abc` },
      { ok: false, reason: 'timestamp is not a number of seconds' },
    ],
    [
      'a signature of another version',
      { signature: signed['x-slack-signature'].replace('v0=', 'v1=') },
      { ok: false, reason: 'signature is not of the form v0=<64 hex digits>' },
    ],
    [
      'a truncated signature',
      { signature: signed['x-slack-signature'].slice(0, -2) },
      { ok: false, reason: 'signature is not of the form v0=<64 hex digits>' },
    ],
    [
      'an empty secret, even with a matching signature',
      { secret: '' },
      { ok: false, reason: 'no Slack signing secret is configured' },
    ],
  ])('%s', (_name, overrides, expected) => {
    const result = verifySlackSignature({
      secret: SECRET,
      timestamp: signed['x-slack-request-timestamp'],
      signature: signed['x-slack-signature'],
      body: BODY,
      now: NOW,
      ...overrides,
    });
    expect(result).toEqual(expected);
  });

  it('refuses an empty secret even when the signature was made with the empty secret', () => {
    const forged = signSlackRequest('', TS, BODY);
    expect(
      verifySlackSignature({
        secret: '',
        timestamp: forged['x-slack-request-timestamp'],
        signature: forged['x-slack-signature'],
        body: BODY,
        now: NOW,
      }).ok,
    ).toBe(false);
  });

  it('verifies the raw bytes (a Buffer body) the same as the string', () => {
    const result = verifySlackSignature({
      secret: SECRET,
      timestamp: signed['x-slack-request-timestamp'],
      signature: signed['x-slack-signature'],
      body: Buffer.from(BODY, 'utf8'),
      now: NOW,
    });
    expect(result).toEqual({ ok: true });
  });

  it('never puts the secret or a signature in the reason', () => {
    const result = verifySlackSignature({
      secret: SECRET,
      timestamp: String(TS),
      signature: `v0=${'0'.repeat(64)}`,
      body: BODY,
      now: NOW,
    });
    expect(result.ok).toBe(false);
    const reason = result.ok ? '' : result.reason;
    expect(reason).not.toContain(SECRET);
    expect(reason).not.toContain('0000');
    expect(reason).not.toContain(signed['x-slack-signature'].slice(3));
  });
});
