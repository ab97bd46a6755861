/**
 * cdk-nag (v3, CDK's validation plugins) for jitvend: the AwsSolutions pack on the whole app,
 * and acknowledgements that always name the exact finding (never a whole rule) and say why.
 */
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export interface NagAcknowledgement {
  /** the full finding id, e.g. `AwsSolutions-IAM5[Resource::*]` */
  id: string;
  /** why the finding is acceptable here: specific to this resource, never "not needed" */
  reason: string;
}

export function acknowledge(scope: IConstruct, acknowledgements: NagAcknowledgement[]): void {
  Validations.of(scope).acknowledge(...acknowledgements);
}

/** Runs cdk-nag's AwsSolutions checks when the app synthesizes; any finding not acknowledged fails synth. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * How cdk-nag spells a (possibly tokenised) value in a finding id: `Fn::GetAtt` as
 * `<LogicalId.Attr>`, `Ref` as `<Name>`, `Fn::Join` joined, `${x}` of `Fn::Sub` as `<x>`.
 */
export function nagSpelling(scope: IConstruct, value: string): string {
  const visit = (node: unknown): string => {
    if (node === undefined) return '';
    if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
    const object = node as Record<string, unknown>;
    if (Array.isArray(object['Fn::Join'])) {
      const [delimiter, items] = object['Fn::Join'] as [string, unknown[]];
      return items.map(visit).join(delimiter);
    }
    if (object['Fn::Sub'] !== undefined) return visit(object['Fn::Sub']);
    if (Array.isArray(object['Fn::GetAtt'])) {
      const [resource, attribute] = object['Fn::GetAtt'] as [unknown, unknown];
      return `<${visit(resource)}.${visit(attribute)}>`;
    }
    if (object['Fn::ImportValue'] !== undefined) return visit(object['Fn::ImportValue']);
    if (object.Ref !== undefined) return `<${visit(object.Ref)}>`;
    return JSON.stringify(node);
  };
  return visit(Stack.of(scope).resolve(value));
}

/** The IAM5 finding id of a wildcard resource. */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${nagSpelling(scope, resource)}]`;
}
