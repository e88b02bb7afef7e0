import { partition } from '@aws-sdk/core/client';
import { CatalogEntry } from '../core/catalog/catalog';
import { eventPatternFor } from '../core/catalog/patterns';
import { FirebreakConfig } from '../core/config';
import { ConfigError } from '../core/errors';

/**
 * The sources of global service events: IAM, STS (its global endpoint) and console sign-in. CloudTrail records them, and
 * EventBridge delivers them, in one region of the partition only ("Understanding global service events", AWS CloudTrail
 * User Guide, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-concepts.html#cloudtrail-concepts-global-service-events:
 * "For most global services, events are logged as occurring in US East (N. Virginia) Region"). Sign-in: an IAM user's
 * ConsoleLogin may be recorded in another region (a regional sign-in endpoint), but the root user's is recorded in
 * us-east-1 ("AWS Management Console sign-in events", AWS CloudTrail User Guide: "If you sign-in as the root user,
 * CloudTrail records the event in us-east-1"), and the only sign-in entry of the catalog is the root's
 * (root-activity-console; test/infra/multi-region.test.ts pins the list).
 */
export const GLOBAL_SERVICE_SOURCES: readonly string[] = ['aws.iam', 'aws.sts', 'aws.signin'];

/** The region where each partition's global service events are delivered (the partition's IAM endpoint region). */
const GLOBAL_EVENTS_REGION: Readonly<Record<string, string>> = { aws: 'us-east-1', 'aws-cn': 'cn-north-1', 'aws-us-gov': 'us-gov-west-1' };

/**
 * The region where EventBridge delivers the global service events of `home`'s partition (`us-east-1` for `aws`,
 * `cn-north-1` for `aws-cn`, `us-gov-west-1` for `aws-us-gov`), by the SDK's own partition map (`partition` of
 * `@aws-sdk/core`).
 * @param home - the home region (`config.region`).
 * @returns the region; `home` itself for a partition Firebreak does not know (its forwarding rules then stay at home).
 */
export function globalEventsRegion(home: string): string {
  return GLOBAL_EVENTS_REGION[partition(home).name] ?? home;
}

/**
 * Whether a catalog entry matches only global service events (its sources are all {@link GLOBAL_SERVICE_SOURCES}), so
 * that its forwarding rule belongs in the {@link globalEventsRegion} only.
 */
export function isGlobalServiceEntry(entry: CatalogEntry): boolean {
  const sources = eventPatternFor(entry).source;
  return Array.isArray(sources) && sources.length > 0 && sources.every((s) => GLOBAL_SERVICE_SOURCES.includes(String(s)));
}

/** What one region's member stack holds (see {@link memberStackParts}). */
export interface MemberStackParts {
  /** The responder and releaser roles (global: the home region's stack only). */
  readonly roles: boolean;
  /** The transit key and the forwarding rules of the regional API-call entries (every responding region). */
  readonly regional: boolean;
  /** The forwarding rules of the global service events' entries ({@link globalEventsRegion} only). */
  readonly globalEvents: boolean;
}

/**
 * The member stacks of a deployment, one per region, with what each holds: the home region's holds the roles; every
 * responding region's holds the transit key and the regional forwarding rules; the {@link globalEventsRegion}'s holds the
 * global service events' forwarding rules, and is added (with only those) when that region is not one of `regions`, so
 * that IAM and sign-in events are forwarded exactly once.
 * @param config - the validated configuration (`region`, `regions`).
 * @returns the regions, home first, then `regions`' order, then the global events region when it is not listed.
 */
export function memberStackParts(config: Pick<FirebreakConfig, 'region' | 'regions'>): { region: string; parts: MemberStackParts }[] {
  assertOnePartition(config);
  const global = globalEventsRegion(config.region);
  const others = config.regions.filter((r) => r !== config.region);
  return [
    { region: config.region, parts: { roles: true, regional: true, globalEvents: global === config.region } },
    ...others.map((region) => ({ region, parts: { roles: false, regional: true, globalEvents: region === global } })),
    ...(config.regions.includes(global) ? [] : [{ region: global, parts: { roles: false, regional: false, globalEvents: true } }]),
  ];
}

/**
 * Refuses regions of more than one partition: one deployment cannot span partitions (an IAM role of `aws` cannot be
 * assumed from `aws-cn`; "AWS partitions"), by the SDK's own partition map (`partition` of `@aws-sdk/core`).
 * @throws {ConfigError} naming the regions outside the home region's partition.
 */
export function assertOnePartition(config: Pick<FirebreakConfig, 'region' | 'regions'>): void {
  const home = partition(config.region).name;
  const other = config.regions.filter((r) => partition(r).name !== home);
  if (other.length)
    throw new ConfigError(
      `Invalid Firebreak configuration: regions ${other.join(', ')} not in the home region's partition (${home}); one deployment cannot span partitions`,
    );
}
