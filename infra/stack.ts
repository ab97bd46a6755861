/** A stack holding one JitVend (what `cdk deploy` deploys; embed JitVend directly in your own stacks if you prefer). */
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { JitVend, type JitVendProps } from './constructs/jitvend.ts';

export interface JitVendStackProps extends StackProps {
  jitvend: JitVendProps;
}

export class JitVendStack extends Stack {
  readonly jitvend: JitVend;

  constructor(scope: Construct, id: string, props: JitVendStackProps) {
    super(scope, id, props);
    this.jitvend = new JitVend(this, 'JitVend', props.jitvend);
  }
}
