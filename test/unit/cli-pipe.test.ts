/**
 * `jitvend --help | head -1`: the reader closes the pipe early. The built CLI (dist/cli, as
 * `npm ci` builds it) stops quietly with status 0, as Unix tools do, not with an EPIPE stack trace.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'jitvend.cjs');

it('stops quietly when the reader of its output goes away', async () => {
  const child = spawn(process.execPath, [bin, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // the reader is gone before the help is written (as `head -1` once it has its line)
  child.stdout.destroy();
  const [code] = await once(child, 'exit');
  expect(stderr).not.toMatch(/EPIPE|at .*:\d+:\d+/);
  expect(code).toBe(0);
});
