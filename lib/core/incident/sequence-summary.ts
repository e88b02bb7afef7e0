import type { ManualTarget } from './schema';

/**
 * An attack sequence as the incident carries it (`incident.sequence`), and the pure helpers the steps use: no zod here,
 * so that every Lambda that parses the playbook state does not carry the sequence's schemas (lib/core/incident/sequence.ts
 * parses and routes the finding's `service.detection.sequence`, and holds the schemas the chaining step checks against).
 */

/** What Firebreak does with one resource a sequence names: chain it into a playbook (`target`), or name it for a person. */
export interface SequenceRoute {
  /** GuardDuty's `uid` (ResourceV2), control characters removed, at most 256 characters. */
  readonly uid: string;
  /** GuardDuty's `resourceType` (ResourceV2: ACCESS_KEY, EC2_INSTANCE, S3_BUCKET, ...). */
  readonly resourceType: string;
  /** The resource's account: its `accountId`, or the finding's when GuardDuty gives none. */
  readonly account: string;
  readonly region: string;
  /** The chained playbook; absent when the resource is only named. */
  readonly playbook?: 'credential-compromise' | 'ec2-compromise';
  /** The chained start's target (a `{ firebreak: { target, chainedFrom } }` envelope); with `playbook`. */
  readonly target?: ManualTarget;
  /** Why, in one sentence for the case and the notification. */
  readonly why: string;
}

/** The sequence on the incident: what the case records and the chaining step acts on. */
export interface SequenceSummary {
  /** `sequence.uid`. */
  readonly uid: string;
  readonly description?: string;
  /** The first signals (`uid`, `type`: FINDING, CLOUD_TRAIL, ...; `name`: the finding type or API). */
  readonly signals: readonly { readonly uid: string; readonly type: string; readonly name?: string }[];
  /** How many signals the finding had. */
  readonly signalCount: number;
  /** Each resource and what is done with it, the chained ones first. */
  readonly resources: readonly SequenceRoute[];
  /** How many resources the finding named. */
  readonly resourceCount: number;
}

/** A route that starts a chained containment. */
export type ChainedRoute = SequenceRoute & Required<Pick<SequenceRoute, 'playbook' | 'target'>>;

/** The routes of a sequence that start a chained containment. */
export function chainedRoutes(sequence: SequenceSummary | undefined): ChainedRoute[] {
  return (sequence?.resources ?? []).filter((r): r is ChainedRoute => !!r.playbook && !!r.target);
}

/** The resource a route names, in the chained playbook's terms: the access key ID, `role/<name>`, or the instance ID (else its uid). */
export function routeResource(route: SequenceRoute): string {
  const t = route.target;
  if (!t) return route.uid;
  return t.kind === 'instance' ? t.instanceId : t.kind === 'access-key' ? t.accessKeyId : `role/${t.roleName}`;
}

/** The case's `decisions` key of a chained route: `chain#<playbook>#<account>#<resource>` (ChainSequenceContainment writes it). */
export function chainKey(route: ChainedRoute): string {
  return `chain#${route.playbook}#${route.account}#${routeResource(route)}`;
}

/**
 * What an update of a sequence adds to its case: the chain keys ({@link chainKey}) of the routes `sequence` chains that
 * the case has neither chained (`decisions["chain#…"]`) nor handled with the sequence it holds (`known`, the case's
 * incident: chained, or named in its notification). GuardDuty updates an attack sequence finding in place (same finding
 * ID, `service.count` raised, the details of the latest occurrence: "GuardDuty finding aggregation", GuardDuty User Guide,
 * https://docs.aws.amazon.com/guardduty/latest/ug/finding-aggregation.html), so its sequence may name resources the case
 * has not seen. Sorted, so that every delivery of one update gives the same list.
 * @param sequence - the incoming incident's sequence.
 * @param known - the case's incident's sequence, and its `decisions` map.
 * @returns the keys of the resources new to the case; empty when the update adds nothing.
 */
export function sequenceAdditions(
  sequence: SequenceSummary | undefined,
  known: { sequence?: SequenceSummary; decisions?: Readonly<Record<string, unknown>> },
): string[] {
  const seen = new Set([...chainedRoutes(known.sequence).map(chainKey), ...Object.keys(known.decisions ?? {})]);
  return [...new Set(chainedRoutes(sequence).map(chainKey))].filter((k) => !seen.has(k)).sort();
}
