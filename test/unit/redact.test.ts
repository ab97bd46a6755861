import { describe, expect, it } from 'vitest';
import { REDACTED, redact, redactingLogger } from '../../shared/adapters/logging/redact.ts';

describe('log redaction', () => {
  it.each([
    ['an AWS access key id', 'key ASIAJITVENDLOCALR437 used', `key ${REDACTED} used`],
    ['an OIDC token', 'Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', `Bearer ${REDACTED}`],
    ['a Slack bot token', 'token xoxb-1234567890-abcdefghij', `token ${REDACTED}`],
    ['a local session token', 'jitvend-local-ADGP86yRvDGpG5vTx7mBpRMaMK5h', REDACTED],
    [
      'an approval link token',
      '/approvals/v1.eyJyIjoiN2Q5ZTYyNTQtNGU4MyJ9.YLE0LFLd6rt-bK3AyygM6TILDV6z1LNhDoYXq7v0sFk',
      `/approvals/${REDACTED}`,
    ],
  ])('masks %s inside text', (_, text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it('masks fields named like secrets, at any depth, and keeps the rest', () => {
    expect(
      redact({
        requestId: 'r1',
        credentials: { accessKeyId: 'x' },
        nested: { taskToken: 'opaque', sessionToken: 'opaque', count: 3, empty: '' },
        list: [{ secretAccessKey: 'abc' }],
      }),
    ).toEqual({
      requestId: 'r1',
      credentials: REDACTED,
      nested: { taskToken: REDACTED, sessionToken: REDACTED, count: 3, empty: '' },
      list: [{ secretAccessKey: REDACTED }],
    });
  });

  it('wraps a logger: message and fields are redacted before they are written', () => {
    const lines: unknown[] = [];
    const logger = redactingLogger({
      info: (m, f) => lines.push([m, f]),
      warn: (m, f) => lines.push([m, f]),
      error: (m, f) => lines.push([m, f]),
    });
    logger.error('failed for ASIAJITVENDLOCALR437', { authorization: 'Bearer abc', requestId: 'r1' });
    expect(lines).toEqual([[`failed for ${REDACTED}`, { authorization: REDACTED, requestId: 'r1' }]]);
  });
});
