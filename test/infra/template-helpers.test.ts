/** The template helpers the infra tests rely on, checked on hand-written templates. */
import { describe, expect, it } from 'vitest';
import { findCycle } from './template-helpers.ts';

describe('findCycle', () => {
  it('finds a cycle through Ref, Fn::GetAtt, Fn::Sub and DependsOn', () => {
    expect(
      findCycle({
        Resources: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
          Api: { Type: 'A', Properties: { Target: { 'Fn::Sub': 'arn:${Fn.Arn}' } } },
          Fn: { Type: 'F', Properties: { Env: { 'Fn::GetAtt': ['Policy', 'Id'] } } },
          Policy: { Type: 'P', DependsOn: ['Other'], Properties: { Res: { Ref: 'Api' } } },
          Other: { Type: 'O' },
        },
      }),
    ).toEqual(['Api', 'Fn', 'Policy', 'Api']);
  });

  it('finds none in a DAG, ignoring pseudo parameters', () => {
    expect(
      findCycle({
        Resources: {
          Api: { Type: 'A', Properties: { Region: { Ref: 'AWS::Region' } } },
          Fn: { Type: 'F', Properties: { Url: { 'Fn::GetAtt': ['Api', 'ApiEndpoint'] } } },
          Route: { Type: 'R', Properties: { Api: { Ref: 'Api' }, Target: { Ref: 'Fn' } } },
        },
      }),
    ).toBeUndefined();
  });
});
