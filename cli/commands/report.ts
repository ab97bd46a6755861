import { type Command, Option } from 'commander';
import type { Permission, UsageReportView } from '../api-types.ts';
import type { CliContext } from '../context.ts';
import { CliError, ExitCode } from '../errors.ts';
import { formatJson, sanitize, shellQuote } from '../format.ts';

interface ReportOptions {
  format: 'text' | 'json';
  calls?: boolean;
}

/** `jitvend report ID` (alias `usage`): what the session did in AWS, against what it was granted. */
export function registerReport(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  program
    .command('report')
    .alias('usage')
    .description(
      'show the AWS calls made with a request’s session (from CloudTrail): used, granted but unused, denied, and a tighter --allow list for next time',
    )
    .argument('<id>', 'request id')
    .addOption(new Option('--format <format>', 'output').choices(['text', 'json']).default('text'))
    .option('--calls', 'list every call, oldest first (text format)')
    .action(async (id: string, options: ReportOptions) => {
      const { io } = context();
      const body = await context().client().usage(id);
      if (options.format === 'json') io.stdout.write(formatJson(body));
      else io.stdout.write(formatUsageReport(usageReportOf(body), { calls: options.calls ?? false }));
      done(ExitCode.ok);
    });
}

const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** The report from the API's answer, with missing lists as empty ones. */
export function usageReportOf(body: unknown): UsageReportView {
  if (!body || typeof body !== 'object' || typeof (body as { requestId?: unknown }).requestId !== 'string')
    throw new CliError('the usage answer is not a usage report', ExitCode.api);
  const r = body as Partial<UsageReportView> & { requestId: string };
  return {
    ...r,
    sourceIdentity: r.sourceIdentity ?? '',
    calls: list(r.calls),
    used: list(r.used),
    grantedButUnused: list(r.grantedButUnused),
    denied: list(r.denied),
    suggestion: list(r.suggestion),
    notes: list(r.notes),
  };
}

/** `--allow 'a,b=arn1,arn2'`: a permission as the flag `jitvend request` takes. */
export function allowFlag(permission: Permission): string {
  return `--allow ${shellQuote(`${permission.actions.join(',')}=${permission.resources.join(',')}`)}`;
}

const on = (p: Permission) => `${p.actions.join(', ')} on ${p.resources.join(', ')}`;

/** The report for people: sections used / granted but unused / denied / suggested, then notes. */
export function formatUsageReport(report: UsageReportView, options: { calls: boolean }): string {
  const lines: string[] = [];
  const header = [report.profile, report.status].filter(Boolean).join(', ');
  lines.push(`request   ${report.requestId}${header ? ` (${header})` : ''}`);
  lines.push(`session   ${report.sourceIdentity}`);
  if (report.issuedAt)
    lines.push(`issued    ${report.issuedAt}${report.expiresAt ? `, expires ${report.expiresAt}` : ''}`);
  if (report.assumeRole) {
    const a = report.assumeRole;
    const from = a.sourceIPAddress ? ` from ${a.sourceIPAddress}` : '';
    lines.push(`assumed   ${a.at}${from}${a.userAgent ? ` (${a.userAgent})` : ''}`);
  }
  if (report.source)
    lines.push(`source    ${report.source}${report.truncated ? ' (truncated: more calls may exist)' : ''}`);
  if (report.window) lines.push(`window    ${report.window.from} to ${report.window.to}`);
  lines.push('', `calls     ${report.calls.length}${options.calls ? '' : ' (list them with --calls)'}`);
  if (options.calls) {
    for (const c of report.calls) {
      const outcome = c.errorCode ? ` ${c.errorCode}` : '';
      const via = c.invokedBy ? ` via ${c.invokedBy}` : '';
      lines.push(`  ${c.eventTime}  ${c.action} on ${c.resources.join(', ')}${outcome}${via}`);
    }
  }
  lines.push('', 'used');
  if (report.used.length === 0) lines.push('  (none)');
  for (const u of report.used) lines.push(`  ${u.action} on ${u.resource}  x${u.count}`);
  lines.push('', 'granted but unused');
  if (report.grantedButUnused.length === 0) lines.push('  (none)');
  for (const p of report.grantedButUnused) lines.push(`  ${on(p)}`);
  lines.push('', 'denied');
  if (report.denied.length === 0) lines.push('  (none)');
  for (const d of report.denied) {
    const why = d.allowedByGrant
      ? 'granted, refused elsewhere: the role’s policy, a boundary, an SCP or a revocation'
      : 'not granted to this request';
    lines.push(`  ${d.action} on ${d.resource}  x${d.count} (${d.errorCode}; ${why})`);
  }
  lines.push('', 'suggested for next time');
  if (report.suggestion.length === 0) lines.push('  (nothing used)');
  for (const p of report.suggestion) lines.push(`  ${allowFlag(p)}`);
  if (report.notes.length > 0) {
    lines.push('', 'notes');
    for (const note of report.notes) lines.push(`  - ${note}`);
  }
  return `${lines.map(sanitize).join('\n')}\n`;
}
