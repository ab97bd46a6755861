/**
 * Looks at processes through /proc (Linux): the DynamoDB Local (java) serving a data dir,
 * the processes of a process group, and resident memory. Used to prove nothing is left
 * running after a crash, and by the load bench to sample memory.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** Pids of the DynamoDB Local java processes whose database lives under `<dataDir>/dynamodb`. */
export function dynamoDbLocalPids(dataDir: string): number[] {
  const dbPath = join(dataDir, 'dynamodb');
  return allPids().filter((pid) => {
    const args = cmdline(pid);
    // the java process itself (its guardian shell carries the same arguments)
    if (!args || !/(^|\/)java$/.test(args[0] ?? '')) return false;
    if (!args.some((a) => a.endsWith('DynamoDBLocal.jar'))) return false;
    const i = args.indexOf('-dbPath');
    return i >= 0 && args[i + 1] === dbPath;
  });
}

/** True while a process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Resident set size in bytes (VmRSS), or 0 if the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Pids of the process group `pgid` (the node process of `npm start`, say). */
export function groupPids(pgid: number): number[] {
  return allPids().filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[2]) === pgid;
    } catch {
      return false;
    }
  });
}

/** The command line of a process, joined by spaces. */
export function commandOf(pid: number): string {
  return (cmdline(pid) ?? []).join(' ');
}

/** Waits (bounded) until `check()` holds; false on timeout. */
export async function waitFor(check: () => boolean, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return check();
}
