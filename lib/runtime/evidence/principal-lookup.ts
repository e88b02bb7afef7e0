import { partition } from '@aws-sdk/core/client';
import type { PlaybookState } from '../../core/contracts/state';
import { InvalidInput } from '../../core/errors';
import type { PlannedAction } from '../ec2/instance';

/**
 * Which CloudTrail records of a case's principal PreserveCredentialEvidence keeps, and its dry-run plan: pure, no AWS
 * call (PlanDryRun's bundle takes it without the lookup). The lookup itself and the AWS pages behind these figures are
 * in principal-events.ts.
 */

/** How far before the finding's time the lookup starts: 24 hours (ms). */
export const LOOKUP_WINDOW_BEFORE_MS = 24 * 60 * 60 * 1000;
/** LookupEvents' largest page: 50 events ("The default number of results returned is 50, with a maximum of 50"). */
export const LOOKUP_MAX_RESULTS = 50;
/** At most this many pages per Region (500 events): the rest is left out and the lookup recorded truncated. */
export const LOOKUP_PAGE_CAP = 10;
/** Two LookupEvents per second per account and Region: one call every 500 ms at most. */
export const LOOKUP_MIN_INTERVAL_MS = 500;
/** How many times a throttled page is waited out (1 s, 2 s, 4 s) before the lookup fails. */
export const LOOKUP_THROTTLE_RETRIES = 3;
/** The Region where CloudTrail records IAM's (a global service's) events in the `aws` partition. */
export const GLOBAL_EVENTS_REGION = 'us-east-1';
/**
 * The Region of each partition's global service events (as lib/infra/regions.ts, `globalEventsRegion`, whose member-role
 * RegionPolicy lets LookupEvents read there): a finding of GovCloud or China is looked up in its own partition, where
 * the responder role exists ("Understanding global service events", AWS CloudTrail User Guide).
 */
const GLOBAL_EVENTS_REGIONS: Readonly<Record<string, string>> = {
  aws: GLOBAL_EVENTS_REGION,
  'aws-cn': 'cn-north-1',
  'aws-us-gov': 'us-gov-west-1',
};

/** The one lookup attribute of a principal's lookup, and why that one. */
export interface PrincipalLookup {
  readonly key: 'Username' | 'AccessKeyId';
  readonly value: string;
  readonly why: string;
}

/** The principal of a credential or tamper case, as the incident names it. */
export interface CasePrincipal {
  /** `IAMUser`, `AssumedRole`, `Root`, ... */
  readonly type: string;
  readonly userName?: string;
  readonly roleName?: string;
  readonly accessKeyId?: string;
  readonly sessionName?: string;
}

/**
 * The lookup attribute for a principal: `Username` for an IAM user; for a role session its `AccessKeyId` (its
 * temporary key), else `Username` with its session name (CloudTrail's user name of an assumed-role event); none for
 * another type (Root, a service), whose records a person reads in the console.
 */
export function lookupAttributeOf(p: CasePrincipal): PrincipalLookup | undefined {
  if (p.type === 'IAMUser' && p.userName)
    return { key: 'Username', value: p.userName, why: 'every call of the IAM user, whichever of its keys signed it' };
  if (p.type === 'AssumedRole' && p.accessKeyId)
    return { key: 'AccessKeyId', value: p.accessKeyId, why: "the session's temporary key: this session only, not the role's others" };
  if (p.type === 'AssumedRole' && p.sessionName)
    return { key: 'Username', value: p.sessionName, why: 'the role session name (no key named)' };
  return undefined;
}

/** The lookup's window: ISO-8601 UTC, from {@link LOOKUP_WINDOW_BEFORE_MS} before the finding's time to `now`. */
export function lookupWindow(findingTime: string, now: Date): { start: string; end: string } {
  const t = Date.parse(findingTime);
  const at = Number.isNaN(t) ? now.getTime() : Math.min(t, now.getTime());
  return { start: new Date(at - LOOKUP_WINDOW_BEFORE_MS).toISOString(), end: now.toISOString() };
}

/**
 * The Regions to look in: the finding's, and its partition's global events Region for IAM's events (us-east-1 in `aws`;
 * once when they are the same; none for a partition not in {@link GLOBAL_EVENTS_REGIONS}, never another partition's).
 */
export function lookupRegions(findingRegion: string): string[] {
  const global = GLOBAL_EVENTS_REGIONS[partition(findingRegion).name] ?? findingRegion;
  return findingRegion === global ? [findingRegion] : [findingRegion, global];
}

/**
 * The principal of a credential-compromise incident (its AccessKey resource) or of a cloudtrail-tamper one (the
 * API call's actor).
 * @throws {InvalidInput} for another kind of incident.
 */
export function casePrincipalOf(state: Pick<PlaybookState, 'incident'>): CasePrincipal {
  const r = state.incident.resource;
  if (r.type === 'AccessKey') {
    const role = r.userType === 'AssumedRole';
    return {
      type: r.userType,
      ...(role ? { roleName: r.userName } : { userName: r.userName }),
      accessKeyId: r.accessKeyId,
      sessionName: r.sessionName,
    };
  }
  if (r.type === 'ApiCall') {
    const a = r.actor;
    const session = a.type === 'AssumedRole' ? a.arn?.split('/').pop() : undefined;
    return { type: a.type, userName: a.userName, roleName: a.roleName, accessKeyId: a.accessKeyId, sessionName: session };
  }
  throw new InvalidInput(`PreserveCredentialEvidence needs an AccessKey or ApiCall incident, got ${r.type}`);
}

/**
 * The dry-run plan of the credential evidence (PlanDryRun of credential-compromise and cloudtrail-tamper): what
 * PreserveCredentialEvidence would read and write, from the incident alone (no call).
 */
export function credentialEvidencePlan(principal: CasePrincipal, findingRegion: string): PlannedAction[] {
  const lookup = lookupAttributeOf(principal);
  return [
    {
      operation: 'CloudTrail.LookupEvents',
      target: lookup ? `${lookup.key}=${lookup.value}` : principal.type,
      change: lookup
        ? `read only, in ${lookupRegions(findingRegion).join(' and ')}, 24 h before the finding to now, at most ${LOOKUP_PAGE_CAP} pages of ${LOOKUP_MAX_RESULTS} per Region`
        : `none: a ${principal.type} principal has no lookup attribute`,
    },
    {
      operation: 'S3.PutObject',
      target: 'evidence vault',
      change: 'cloudtrail-events.json, policies-before.json, policies-after.json and manifest.json, written once (after containment)',
    },
  ];
}
