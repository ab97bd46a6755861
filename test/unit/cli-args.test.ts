import { describe, expect, it } from 'vitest';
import { parseAllow, parseContextEntry, parseDuration, parseWholeNumber } from '../../cli/args.ts';
import { UsageError } from '../../cli/errors.ts';

describe('--allow ACTIONS=RESOURCES', () => {
  it.each([
    [
      's3:GetObject=arn:aws:s3:::bucket/*',
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] },
    ],
    [
      'dynamodb:GetItem,dynamodb:Query=arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*',
      {
        actions: ['dynamodb:GetItem', 'dynamodb:Query'],
        resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders-it-*'],
      },
    ],
    [
      's3:GetObject=arn:aws:s3:::a/*,arn:aws:s3:::b/*',
      { actions: ['s3:GetObject'], resources: ['arn:aws:s3:::a/*', 'arn:aws:s3:::b/*'] },
    ],
    // IAM names may contain "=" and ",": only the first "=" and a comma before "arn:" or "*" split
    [
      'iam:GetRole=arn:aws:iam::123456789012:role/team=a,b',
      { actions: ['iam:GetRole'], resources: ['arn:aws:iam::123456789012:role/team=a,b'] },
    ],
    ['sqs:Send*,sqs:Get?ueueUrl=*', { actions: ['sqs:Send*', 'sqs:Get?ueueUrl'], resources: ['*'] }],
    ['s3:ListBucket=arn:aws:s3:::a,*', { actions: ['s3:ListBucket'], resources: ['arn:aws:s3:::a', '*'] }],
  ])('%s', (value, permission) => {
    expect(parseAllow(value)).toEqual(permission);
  });

  it.each([
    ['s3:GetObject', /expected ACTIONS=RESOURCES/],
    ['=arn:aws:s3:::b', /empty action/],
    ['s3:GetObject,=arn:aws:s3:::b', /empty action/],
    ['s3:GetObject=', /no resource/],
    ['GetObject=arn:aws:s3:::b', /"GetObject" is not an IAM action/],
    ['s3:Get Object=arn:aws:s3:::b', /is not an IAM action/],
    ['s3:GetObject=bucket/*', /"bucket\/\*" is not a resource ARN/],
    ['s3:GetObject=arn:aws:s3:::b/x y', /is not a resource ARN/],
    ['s3:GetObject=arn:aws:s3:::b/\u0007', /is not a resource ARN/],
  ])('rejects %j', (value, message) => {
    expect(() => parseAllow(value)).toThrow(UsageError);
    expect(() => parseAllow(value)).toThrow(message);
  });
});

describe('durations', () => {
  it.each([
    ['900', 900],
    ['900s', 900],
    ['15m', 900],
    ['1h', 3600],
    ['1h30m', 5400],
    ['2m30s', 150],
    [' 20M ', 1200],
  ])('%j is %i seconds', (value, seconds) => {
    expect(parseDuration(value)).toBe(seconds);
  });

  it.each(['', 'soon', '15 m', '-5m', '1.5h', '0', '0m', 'm', '1d', '15m1h'])('rejects %j', (value) => {
    expect(() => parseDuration(value)).toThrow(UsageError);
  });
});

describe('--context key=value', () => {
  it('splits at the first "="', () => {
    expect(parseContextEntry('run_url=https://ci/x?a=b')).toEqual(['run_url', 'https://ci/x?a=b']);
    expect(parseContextEntry('empty=')).toEqual(['empty', '']);
  });

  it.each(['novalue', '=value'])('rejects %j', (value) => {
    expect(() => parseContextEntry(value)).toThrow(/expected key=value/);
  });
});

describe('whole numbers', () => {
  it('accepts values in range and rejects the rest', () => {
    expect(parseWholeNumber('20', { min: 1, max: 20 })).toBe(20);
    for (const bad of ['0', '21', '1.5', 'x', '-1', ''])
      expect(() => parseWholeNumber(bad, { min: 1, max: 20 })).toThrow(UsageError);
  });
});
