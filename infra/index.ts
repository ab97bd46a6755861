/** The jitvend construct library: embed JitVend in your own CDK app, and JitVendTargetRole where the vended roles live. */
export { type Capability, FUNCTION_ACCESS } from './access.ts';
export { type JitvendConfigInput, resolveConfig } from './bundle-inputs.ts';
export { AccessLogsBucket } from './constructs/access-logs.ts';
export { JitVendAlarms } from './constructs/alarms.ts';
export { type ApiThrottle, JitVendApi } from './constructs/api.ts';
export { AuditSink } from './constructs/audit.ts';
export { ApprovalEmail, type ApprovalEmailProps } from './constructs/email.ts';
export { JitVendFunction } from './constructs/functions.ts';
export { JitVend, type JitVendProps } from './constructs/jitvend.ts';
export { JitVendKeys } from './constructs/keys.ts';
export { JitVendSecrets } from './constructs/secrets.ts';
export { RequestsTable } from './constructs/storage.ts';
export { JitVendTargetRole, type JitVendTargetRoleProps } from './constructs/target-role.ts';
export { type ExistingTrail, UsageTrail } from './constructs/trail.ts';
export { ApprovalWorkflow } from './constructs/workflow.ts';
export { addNagChecks } from './nag.ts';
export { JitVendStack, type JitVendStackProps } from './stack.ts';
