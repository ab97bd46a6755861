import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/domain/errors.ts';
import {
  isValidSourceIdentity,
  isValidTagKey,
  isValidTagValue,
  sanitizeTagKey,
  sanitizeTagValue,
  sessionTagsFor,
  sourceIdentityFor,
} from '../../shared/domain/session.ts';

describe('sourceIdentityFor', () => {
  it('is jitvend-<requestId>', () => {
    expect(sourceIdentityFor('01JABCDEF0123456789XYZ')).toBe('jitvend-01JABCDEF0123456789XYZ');
  });

  it.each([
    ['a character STS refuses', 'req/1'],
    ['a space', 'req 1'],
    ['more than 64 characters in all', 'x'.repeat(57)],
  ])('refuses a request id with %s', (_, requestId) => {
    expect(() => sourceIdentityFor(requestId)).toThrow(ValidationError);
  });

  it('accepts exactly 64 characters', () => {
    expect(sourceIdentityFor('x'.repeat(56))).toHaveLength(64);
  });

  it.each([
    ['ab', true],
    ['a', false],
    ['jitvend-a_b.c,d+e=f@g-h', true],
    ['jitvend-é', false],
  ])('isValidSourceIdentity(%s) = %s', (value, valid) => {
    expect(isValidSourceIdentity(value)).toBe(valid);
  });
});

describe('sessionTagsFor', () => {
  it('names the request, the profile and the requester', () => {
    expect(
      sessionTagsFor({
        requestId: 'r1',
        profile: 'orders-it',
        requester: 'repo:acme/orders:ref:refs/heads/main',
      }),
    ).toEqual({
      'jitvend:request': 'r1',
      'jitvend:profile': 'orders-it',
      'jitvend:requester': 'repo:acme/orders:ref:refs/heads/main',
    });
  });

  it('keeps GitHub ids with @ and letters of any script', () => {
    const requester = 'repo:acme@123/orders@456:environment:prüfung';
    expect(sessionTagsFor({ requestId: 'r1', profile: 'p', requester })['jitvend:requester']).toBe(requester);
  });

  it('makes every key and value acceptable to STS', () => {
    const tags = sessionTagsFor({
      requestId: 'r1',
      profile: 'p*(1)',
      requester: `repo:acme/orders:ref:refs/heads/fix#1;\n${'x'.repeat(300)}`,
    });
    for (const [key, value] of Object.entries(tags)) {
      expect(isValidTagKey(key)).toBe(true);
      expect(isValidTagValue(value)).toBe(true);
    }
    expect(tags['jitvend:profile']).toBe('p__1_');
    expect(tags['jitvend:requester']).toHaveLength(256);
    expect(tags['jitvend:requester']?.startsWith('repo:acme/orders:ref:refs/heads/fix_1__')).toBe(true);
  });
});

describe('sanitizing', () => {
  it.each([
    ['plain', 'plain'],
    ['a b:c/d=e+f-g@h_i.j', 'a b:c/d=e+f-g@h_i.j'],
    ['semi;colon', 'semi_colon'],
    ['quote"s', 'quote_s'],
    ['tab\there', 'tab_here'],
    ['emoji 🎉', 'emoji _'],
  ])('value %j → %j', (input, output) => {
    expect(sanitizeTagValue(input)).toBe(output);
  });

  it('cuts values to 256 characters without splitting one', () => {
    const value = sanitizeTagValue('é'.repeat(300));
    expect(Array.from(value)).toHaveLength(256);
  });

  it('cuts keys to 128 characters and never leaves them empty', () => {
    expect(sanitizeTagKey('k'.repeat(200))).toHaveLength(128);
    expect(sanitizeTagKey('')).toBe('_');
  });
});
