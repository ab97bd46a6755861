import { redactingLogger } from '../shared/adapters/logging/redact.ts';
import type { Logger } from '../shared/domain/ports.ts';

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 } as const;
export type LogLevel = keyof typeof LEVELS;

/** The local stack's logger: one readable line per event on stderr. Callers never pass secrets. */
export function consoleLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => {
    process.stderr.write(`${line}\n`);
  },
): Logger {
  const at = LEVELS[level];
  const log =
    (lvl: Exclude<LogLevel, 'silent' | 'debug'>) => (message: string, fields?: Record<string, unknown>) => {
      if (LEVELS[lvl] < at) return;
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
      write(`[jitvend] ${lvl.padEnd(5)} ${message}${extra}`);
    };
  return redactingLogger({ info: log('info'), warn: log('warn'), error: log('error') });
}
