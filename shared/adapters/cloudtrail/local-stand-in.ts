/**
 * The local stack's stand-in for CloudTrail, which it does not have: it reads
 * CloudTrail-format JSON files from `<dataDir>/cloudtrail/*.json` (a trail's log file
 * `{"Records": [...]}` unzipped, a list of records, or one record), so a demo or a test can
 * drop the records of a session there and see `jitvend report` work end to end.
 * Nothing writes these files for you: calls made with the local STS stand-in's credentials
 * never reach AWS.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UsageSource } from '../../domain/ports.ts';
import type { CloudTrailEvent, UsageEvents, UsageWindow } from '../../domain/usage/session-records.ts';
import { mayBelongTo, recordsOf, withinWindow } from './records.ts';

export class LocalCloudTrailStandIn implements UsageSource {
  /** `dir` is `<dataDir>/cloudtrail` */
  constructor(readonly dir: string) {}

  async eventsFor(sourceIdentity: string, window: UsageWindow): Promise<UsageEvents> {
    const source = `local CloudTrail stand-in (${this.dir}/*.json)`;
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => n.endsWith('.json')).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      names = [];
    }
    const events: CloudTrailEvent[] = [];
    const notes = [
      'local stack: there is no CloudTrail; these records come from CloudTrail-format files in the data dir',
    ];
    for (const name of names) {
      let document: unknown;
      try {
        document = JSON.parse(await readFile(join(this.dir, name), 'utf8'));
      } catch {
        notes.push(`${name} is not JSON: skipped`);
        continue;
      }
      const { records } = recordsOf(document);
      events.push(...records.filter((r) => mayBelongTo(r, sourceIdentity) && withinWindow(r, window)));
    }
    return { events, truncated: false, source, notes };
  }
}
