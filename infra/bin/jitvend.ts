/**
 * The CDK app (`cdk.json`: npx tsx infra/bin/jitvend.ts): jitvend for the sample config,
 * checked by cdk-nag. Copy this file to deploy your own config, or embed the JitVend construct.
 */
import { buildSampleApp } from '../app.ts';

buildSampleApp().app.synth();
