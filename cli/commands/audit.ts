import type { Command } from 'commander';
import { verifyAuditChain } from '../../shared/domain/audit.ts';
import type { AuditEvent } from '../../shared/domain/types.ts';
import type { CliContext } from '../context.ts';
import { CliError, ExitCode } from '../errors.ts';
import { formatJson, sanitize } from '../format.ts';

/**
 * `jitvend audit ID` prints the request's audit events (oldest first);
 * `jitvend audit verify ID` checks their hash chain with the same code the server writes it with.
 */
export function registerAudit(
  program: Command,
  context: () => CliContext,
  done: (code: number) => void,
): void {
  const audit = program.command('audit').description('show or verify the audit trail of a request');
  audit
    .command('show <id>', { isDefault: true })
    .description('print the audit events, oldest first (also: jitvend audit ID)')
    .action(async (id: string) => {
      const { io } = context();
      io.stdout.write(formatJson(await context().client().audit(id)));
      done(ExitCode.ok);
    });
  audit
    .command('verify <id>')
    .description('check the audit hash chain (exit 7 if broken)')
    .action(async (id: string) => {
      const { io } = context();
      const { events, head } = auditEventsOf(await context().client().audit(id));
      if (events.length === 0)
        throw new CliError(`audit chain of ${sanitize(id)} is empty`, ExitCode.auditBroken);
      const verdict = verifyAuditChain(events, head);
      if (!verdict.ok)
        throw new CliError(
          `audit chain of ${sanitize(id)} is broken at event ${verdict.brokenAt}: ${verdict.problem}`,
          ExitCode.auditBroken,
        );
      io.stdout.write(`audit chain of ${sanitize(id)} intact: ${events.length} events\n`);
      done(ExitCode.ok);
    });
}

/** The events from `GET /requests/{id}/audit`: a list, or `{items|events, head?}`. */
export function auditEventsOf(body: unknown): { events: AuditEvent[]; head?: string } {
  if (Array.isArray(body)) return { events: body as AuditEvent[] };
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const list = record.items ?? record.events;
    const head = record.head ?? record.auditHead;
    if (Array.isArray(list))
      return { events: list as AuditEvent[], ...(typeof head === 'string' ? { head } : {}) };
  }
  throw new CliError('the audit answer has no list of events', ExitCode.api);
}
