/**
 * The CloudTrail usage sources and the AWS wiring of the `usage` port:
 * LookupEvents always (management events), plus a trail's S3 log files when
 * `CLOUDTRAIL_BUCKET` is set (data events). Read once per Lambda container.
 */
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import type { UsageSource } from '../../domain/ports.ts';
import type { UsageEvents, UsageWindow } from '../../domain/usage/session-records.ts';
import { readEnvironment, usageEnvironment } from '../../environment.ts';
import { CloudTrailLookupEventsSource } from './lookup-events-source.ts';
import { CloudTrailS3Source } from './s3-log-source.ts';

export { CloudTrailLookupEventsSource, CloudTrailS3Source };

/** Asks every source and puts their answers together (the domain drops duplicates by eventID). */
export class CombinedUsageSource implements UsageSource {
  constructor(private readonly sources: UsageSource[]) {}

  async eventsFor(sourceIdentity: string, window: UsageWindow): Promise<UsageEvents> {
    const answers = await Promise.all(this.sources.map((s) => s.eventsFor(sourceIdentity, window)));
    return {
      events: answers.flatMap((a) => a.events),
      truncated: answers.some((a) => a.truncated),
      source: answers.map((a) => a.source).join(' + '),
      notes: [...new Set(answers.flatMap((a) => a.notes ?? []))],
    };
  }
}

/** The `usage` port on AWS, from the Lambda environment (fails fast naming a bad variable). */
export function awsUsageSource(env: NodeJS.ProcessEnv): UsageSource {
  const settings = readEnvironment(usageEnvironment, env);
  const regions = settings.CLOUDTRAIL_REGIONS?.length ? settings.CLOUDTRAIL_REGIONS : undefined;
  const lookup = new CloudTrailLookupEventsSource({
    ...(regions ? { clients: regions.map((region) => new CloudTrailClient({ region })) } : {}),
    // with a trail in S3, "management events only" is no longer the whole story
    managementEventsOnlyNote: !settings.CLOUDTRAIL_BUCKET,
  });
  if (!settings.CLOUDTRAIL_BUCKET) return lookup;
  const prefix = settings.CLOUDTRAIL_PREFIX;
  return new CombinedUsageSource([
    lookup,
    new CloudTrailS3Source({
      bucket: settings.CLOUDTRAIL_BUCKET,
      prefix: prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`,
      regions: regions ?? (settings.AWS_REGION ? [settings.AWS_REGION] : []),
      ...(settings.CLOUDTRAIL_ORGANIZATION_ID ? { organizationId: settings.CLOUDTRAIL_ORGANIZATION_ID } : {}),
    }),
  ]);
}
