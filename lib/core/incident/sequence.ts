import * as z from 'zod/mini';
import '../contracts/zod-locale';
import { InvalidInput } from '../errors';
import { parseOrThrow } from '../contracts/parse';
import { ManualTargetSchema } from './schema';
import type { SequenceRoute, SequenceSummary } from './sequence-summary';

/**
 * GuardDuty attack sequences (`resource.resourceType` `AttackSequence`): the `service.detection.sequence` object and
 * what Firebreak does with each resource it names.
 *
 * AWS pages (GuardDuty API Reference): "Sequence" (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_Sequence.html:
 * `uid`, `description` and `signals` required, 1–100 signals; `actors`, `resources`, `endpoints` at most 400 each;
 * `sequenceIndicators`), "ResourceV2" (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ResourceV2.html: `uid` and
 * `resourceType` required, `resourceType` one of EC2_INSTANCE, EC2_NETWORK_INTERFACE, S3_BUCKET, S3_OBJECT, ACCESS_KEY,
 * EKS_CLUSTER, KUBERNETES_WORKLOAD, CONTAINER, ECS_CLUSTER, ECS_TASK, AUTOSCALING_AUTO_SCALING_GROUP, IAM_INSTANCE_PROFILE,
 * CLOUDFORMATION_STACK, EC2_LAUNCH_TEMPLATE, EC2_VPC, EC2_IMAGE; `accountId`, `region`, `name`, `data` optional),
 * "ResourceData" (https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ResourceData.html: `accessKey`, `ec2Instance`, ...),
 * "AccessKey" (`principalId`, `userName`, `userType`), "Ec2Instance" (no instance ID field: the instance is the resource's
 * `uid`), "Signal" (`uid`, `type`, `name`, `createdAt`, `updatedAt`, `firstSeenAt`, `lastSeenAt`, `count` required).
 * The GuardDuty User Guide's "GuardDuty attack sequence finding types"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-attack-sequence-finding-types.html) lists the five types.
 *
 * Nothing a member account writes is trusted: a resource Firebreak would act on must carry an identifier of its kind's
 * exact form (an access key ID, an instance ID or instance ARN, a 12-digit account, a region), else the whole finding
 * is refused ({@link InvalidInput}) before any case or call; every other string is only shown, stripped of control
 * characters and cut.
 */

/** AWS's limits on a sequence's lists ("Sequence", GuardDuty API Reference). */
const MAX_SIGNALS = 100;
const MAX_RESOURCES = 400;

/** At most this many resources are kept on the incident (the incident is at most 64 KiB); the rest are counted. */
export const SEQUENCE_RESOURCES_KEPT = 64;
/** At most this many signals are kept on the incident; the rest are counted. */
export const SEQUENCE_SIGNALS_KEPT = 50;
/**
 * At most this many bytes of JSON for the sequence on the incident (the incident is at most 64 KiB,
 * `INCIDENT_MAX_BYTES`): past it, the named resources and then the signals are dropped from the end (the counts stay).
 * The chained resources always fit: at most {@link MAX_SEQUENCE_CHAINS}, their identifiers checked ASCII.
 */
export const SEQUENCE_MAX_BYTES = 32 * 1024;
/** At most this many chained containments per sequence; further containable resources are named for a person. */
export const MAX_SEQUENCE_CHAINS = 20;

const SequenceResourceSchema = z.object({
  uid: z.string().check(z.minLength(1)),
  resourceType: z.string().check(z.minLength(1)),
  accountId: z.optional(z.string()),
  region: z.optional(z.string()),
  name: z.optional(z.string()),
  data: z.optional(
    z.object({
      accessKey: z.optional(
        z.object({ principalId: z.optional(z.string()), userName: z.optional(z.string()), userType: z.optional(z.string()) }),
      ),
    }),
  ),
});

const SignalSchema = z.object({
  uid: z.string().check(z.minLength(1)),
  type: z.string().check(z.minLength(1)),
  name: z.optional(z.string()),
  severity: z.optional(z.number()),
});

/** `service.detection.sequence`, the fields Firebreak reads (others are stripped; the event is stored whole). */
export const SequenceSchema = z.object({
  uid: z.string().check(z.minLength(1)),
  description: z.optional(z.string()),
  signals: z.array(SignalSchema).check(z.minLength(1), z.maxLength(MAX_SIGNALS)),
  resources: z._default(z.array(SequenceResourceSchema).check(z.maxLength(MAX_RESOURCES)), []),
});
type SequenceInput = z.infer<typeof SequenceSchema>;
type SequenceResourceInput = z.infer<typeof SequenceResourceSchema>;

/** The playbooks a sequence's resource can be chained into. */
export const SEQUENCE_CHAIN_PLAYBOOKS = ['credential-compromise', 'ec2-compromise'] as const satisfies readonly SequenceRoute['playbook'][];

const AccountSchema = z.string().check(z.regex(/^\d{12}$/));

/** {@link SequenceRoute} as a schema: what the chaining step checks the incident's sequence against before it acts. */
export const SequenceRouteSchema = z.object({
  /** GuardDuty's `uid`, control characters removed, at most 256 characters. */
  uid: z.string(),
  /** GuardDuty's `resourceType` (ResourceV2). */
  resourceType: z.string(),
  /** The resource's account: its `accountId`, or the finding's when GuardDuty gives none. */
  account: AccountSchema,
  region: z.string(),
  /** The chained playbook; absent when the resource is only named. */
  playbook: z.optional(z.enum(SEQUENCE_CHAIN_PLAYBOOKS)),
  /** The chained start's target (a `{ firebreak: { target, chainedFrom } }` envelope); with `playbook`. */
  target: z.optional(ManualTargetSchema),
  /** Why, in one sentence for the case and the notification. */
  why: z.string(),
});

/** {@link SequenceSummary} as a schema (the chaining step parses `incident.sequence` with it). */
export const SequenceSummarySchema = z.object({
  uid: z.string(),
  description: z.optional(z.string()),
  signals: z.array(z.object({ uid: z.string(), type: z.string(), name: z.optional(z.string()) })),
  /** How many signals the finding had (only {@link SEQUENCE_SIGNALS_KEPT} are kept). */
  signalCount: z.number(),
  resources: z.array(SequenceRouteSchema),
  /** How many resources the finding named (containable ones are kept first, then up to {@link SEQUENCE_RESOURCES_KEPT}). */
  resourceCount: z.number(),
});

/** Where the sequence's finding was generated, and the member accounts the deployment knows. */
export interface SequenceContext {
  readonly account: string;
  readonly region: string;
  /** The deployment's `memberAccountIds` (empty: no list, so no other account is known). */
  readonly memberAccountIds: readonly string[];
}

/** Strips control, format and unpaired surrogate characters and cuts to `max` code points: shown, never acted on. */
function shown(s: string, max = 256): string {
  return Array.from(s.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, ''))
    .slice(0, max)
    .join('');
}

const ACCESS_KEY_ID = /^(AKIA|ASIA)[A-Z0-9]{12,124}$/;
const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;
const INSTANCE_ARN = /^arn:aws[a-z-]*:ec2:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):instance\/(i-[0-9a-f]{8,17})$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

/** A route decision before the common fields are added; `what` names the resource in words, for the reasons. */
type Routed = Pick<SequenceRoute, 'playbook' | 'target' | 'why'> & { readonly what: string };

/** How one resource type is routed; `undefined` for a type Firebreak only names. */
type SequenceRouter = (r: SequenceResourceInput, where: { account: string; region: string }, at: string) => Routed;

function accessKeyRoute(r: SequenceResourceInput, where: { account: string; region: string }, at: string): Routed {
  if (!ACCESS_KEY_ID.test(r.uid))
    throw new InvalidInput(`${at}.uid: an ACCESS_KEY resource's uid must be an access key ID (AKIA... or ASIA...)`);
  const key = r.data?.accessKey;
  const userType = key?.userType;
  const userName = key?.userName;
  if (userName !== undefined && !IAM_NAME.test(userName))
    throw new InvalidInput(`${at}.data.accessKey.userName: must be an IAM user or role name`);
  if (userType === 'IAMUser' && userName) {
    const what = `access key ${r.uid} of IAM user ${userName}`;
    return {
      what,
      playbook: 'credential-compromise',
      target: { kind: 'access-key', accessKeyId: r.uid, userName, ...where },
      why: `${what}: chained into credential-compromise`,
    };
  }
  if (userType === 'AssumedRole' && userName) {
    const what = `session credentials ${r.uid} of role ${userName}`;
    return {
      what,
      playbook: 'credential-compromise',
      target: { kind: 'role', roleName: userName, ...where },
      why: `${what}: chained into credential-compromise (the role's sessions)`,
    };
  }
  const what = `access key ${r.uid} (${shown(userType ?? 'no userType', 64)}${userName ? ` ${userName}` : ''})`;
  return { what, why: `${what}: not revocable automatically; named for a person` };
}

function instanceRoute(r: SequenceResourceInput, where: { account: string; region: string }, at: string): Routed {
  const arn = INSTANCE_ARN.exec(r.uid);
  if (arn && (arn[1] !== where.region || arn[2] !== where.account)) {
    throw new InvalidInput(`${at}.uid: the instance ARN's account or region differs from the resource's accountId or region`);
  }
  const instanceId = arn ? arn[3] : r.uid;
  if (!INSTANCE_ID.test(instanceId))
    throw new InvalidInput(`${at}.uid: an EC2_INSTANCE resource's uid must be an instance ID (i-...) or its ARN`);
  const what = `instance ${instanceId}`;
  return {
    what,
    playbook: 'ec2-compromise',
    target: { kind: 'instance', instanceId, ...where },
    why: `${what}: chained into ec2-compromise`,
  };
}

/**
 * The resource types a sequence's resources are contained through, by ResourceV2 `resourceType`: the extension point
 * for another playbook (an S3 containment adds `S3_BUCKET` here, with its playbook in {@link SEQUENCE_CHAIN_PLAYBOOKS}).
 * Every other type is named in the case and its notification, and nothing is done.
 */
export const SEQUENCE_ROUTERS: Readonly<Record<string, SequenceRouter>> = {
  ACCESS_KEY: accessKeyRoute,
  EC2_INSTANCE: instanceRoute,
};

/**
 * What Firebreak does with one resource of a sequence.
 * @param r - the resource as parsed.
 * @param ctx - the finding's account and region, and the deployment's member accounts.
 * @param at - its path, for the error.
 * @throws {InvalidInput} when an account, region or the identifier of a resource it could act on is malformed.
 */
export function routeSequenceResource(r: SequenceResourceInput, ctx: SequenceContext, at: string): SequenceRoute {
  const account = r.accountId ?? ctx.account;
  const region = r.region ?? ctx.region;
  if (!/^\d{12}$/.test(account)) throw new InvalidInput(`${at}.accountId: must be a 12-digit account ID`);
  if (!REGION.test(region)) throw new InvalidInput(`${at}.region: must be a region such as us-east-1`);
  const base = { uid: shown(r.uid), resourceType: shown(r.resourceType, 64), account, region };
  const router = Object.hasOwn(SEQUENCE_ROUTERS, r.resourceType) ? SEQUENCE_ROUTERS[r.resourceType] : undefined;
  if (!router) return { ...base, why: `${base.resourceType} ${base.uid}: Firebreak has no containment for it; named for a person` };
  const { what, ...routed } = router(r, { account, region }, at);
  if (routed.playbook && account !== ctx.account && !ctx.memberAccountIds.includes(account)) {
    return { ...base, why: `${what} is in account ${account}, which the deployment does not list: named, nothing done` };
  }
  return { ...base, ...routed };
}

/**
 * Parses a finding's `service.detection.sequence` and routes each resource ({@link routeSequenceResource}). Duplicate
 * targets are chained once; past {@link MAX_SEQUENCE_CHAINS} containable resources the rest are named.
 * @param raw - `detail.service.detection.sequence` as received.
 * @param ctx - the finding's account and region, and the deployment's member accounts.
 * @returns the summary for the incident: containable resources first.
 * @throws {InvalidInput} when the sequence is missing or malformed, or a resource it could act on is (nothing is touched).
 */
export function summarizeSequence(raw: unknown, ctx: SequenceContext): SequenceSummary {
  const at = 'detail.service.detection.sequence';
  if (raw === undefined) throw new InvalidInput(`${at} is missing: an AttackSequence finding carries its sequence`);
  const s: SequenceInput = parseOrThrow(SequenceSchema, raw, 'attack sequence');
  const seen = new Set<string>();
  const routes = s.resources.map((r, n) => routeSequenceResource(r, ctx, `${at}.resources.${n}`));
  let chains = 0;
  const deduped = routes.flatMap((route): SequenceRoute[] => {
    if (!route.target) return [route];
    const key = JSON.stringify(route.target);
    if (seen.has(key)) return [];
    seen.add(key);
    if (++chains <= MAX_SEQUENCE_CHAINS) return [route];
    const { uid, resourceType, account, region } = route;
    return [
      { uid, resourceType, account, region, why: `${resourceType} ${uid}: over ${MAX_SEQUENCE_CHAINS} containments per sequence; named` },
    ];
  });
  const ordered = [...deduped.filter((r) => r.target), ...deduped.filter((r) => !r.target)];
  return withinBudget({
    uid: shown(s.uid),
    ...(s.description ? { description: shown(s.description, 1024) } : {}),
    signals: s.signals
      .slice(0, SEQUENCE_SIGNALS_KEPT)
      .map((g) => ({ uid: shown(g.uid, 128), type: shown(g.type, 32), ...(g.name ? { name: shown(g.name, 128) } : {}) })),
    signalCount: s.signals.length,
    resources: ordered.slice(0, SEQUENCE_RESOURCES_KEPT),
    resourceCount: s.resources.length,
  });
}

/** The summary cut to {@link SEQUENCE_MAX_BYTES}: named resources dropped from the end first, then signals (never a chained resource). */
function withinBudget(summary: SequenceSummary): SequenceSummary {
  const bytes = (x: SequenceSummary) => Buffer.byteLength(JSON.stringify(x), 'utf8');
  let out = summary;
  while (bytes(out) > SEQUENCE_MAX_BYTES) {
    const last = out.resources.at(-1);
    if (last && !last.target) out = { ...out, resources: out.resources.slice(0, -1) };
    else if (out.signals.length > 0) out = { ...out, signals: out.signals.slice(0, -1) };
    else break;
  }
  return out;
}
