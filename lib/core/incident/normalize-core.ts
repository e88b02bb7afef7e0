import { createHash } from 'node:crypto';
import * as z from 'zod';
import { InvalidInput } from '../errors';
import { findingNetworkInterfaceIds } from './finding-enis';
import {
  CATALOG,
  CatalogEntry,
  CONTAINER_RESOURCE_TYPES,
  matchApiCallEntry,
  matchCatalogEntry,
  S3_EXPOSURE_TYPE_PREFIX,
  TRIAGE_PLAYBOOK,
} from '../catalog/catalog';
import { assessFinding } from '../catalog/triage';
import { ApiCallEventSchema, GuardDutyEvent, GuardDutyEventSchema, ManualTarget, StartEnvelopeSchema } from './schema';
import { gameDaySenderOf } from './gameday';
import { parseOrThrow } from '../contracts/parse';
import { Incident } from './incident';
import type { summarizeSequence } from './sequence';
import { containerWorkloadOf } from './container-workload';
import { taskTargetOf } from './ecs-task';

/** Re-exported for the callers that validate an event here (lib/core/contracts/parse.ts holds it, so a step's handler need not load normalization). */
export { parseOrThrow };

/** How Normalize summarizes an attack sequence (`summarizeSequence`, lib/core/incident/sequence.ts). */
export type SequenceSummarizer = typeof summarizeSequence;

/** GuardDuty's placeholder IDs in sample findings ("Generating sample findings", GuardDuty User Guide). */
export const SAMPLE_PLACEHOLDER_IDS: readonly string[] = ['i-99999999', 'GeneratedFindingAccessKeyId'];

/**
 * Tells whether a GuardDuty finding is a sample (from `CreateSampleFindings`): either
 * `service.additionalInfo.sample === true`, or `additionalInfo.value` (a JSON string) holding
 * `"sample": true`, or a placeholder resource ID. DESIGN.md §2.
 */
export function isSampleFinding(event: GuardDutyEvent): boolean {
  const info = event.detail.service.additionalInfo;
  if (info?.sample === true) return true;
  if (typeof info?.value === 'string') {
    try {
      const value = JSON.parse(info.value) as unknown;
      if (value && typeof value === 'object' && (value as { sample?: unknown }).sample === true) return true;
    } catch {
      if (/"sample"\s*:\s*true/.test(info.value)) return true;
    }
  }
  const ids = [event.detail.resource.instanceDetails?.instanceId, event.detail.resource.accessKeyDetails?.accessKeyId];
  return ids.some((id) => id !== undefined && SAMPLE_PLACEHOLDER_IDS.includes(id));
}

/** The output of {@link normalizeEvent}. */
export interface NormalizedState {
  /** The incident, every field bounded ({@link boundIncident}). */
  readonly incident: Incident;
  /**
   * The event exactly as the state machine received it (inside a start envelope: its `event`), not as the
   * schemas parsed it; `{ target }` for a start on a named resource. Normalize stores it in the evidence
   * bucket and the playbook state carries only a reference to it (lib/runtime/playbook/shared/normalize-finding.ts `normalizeFinding`).
   */
  readonly event: unknown;
  readonly run: { readonly executionName: string; readonly startTime: string };
}

/**
 * At most this many bytes of JSON per incident: every string copied from an event is capped
 * ({@link boundIncident}), so that an incident fits with room to spare in a Step Functions state
 * (262,144 bytes, "Step Functions service quotas") and in an SNS message (262,144 bytes, "Publish",
 * Amazon SNS API Reference), whatever the event.
 */
export const INCIDENT_MAX_BYTES = 64 * 1024;

/** Identifiers (IDs, names, ARNs, the account, the region) longer than this many characters are refused: AWS's are far shorter, and a cut one would name another resource. */
export const INCIDENT_ID_MAX_CHARS = 1024;

/** Free text copied from an event (a title, a role, a time) is cut to this many characters. */
export const INCIDENT_TEXT_MAX_CHARS = 1024;

/** At most this many of a finding's ENI IDs are kept (the largest EC2 instance types take 80 ENIs: DescribeInstanceTypes `MaximumNetworkInterfaces`). */
export const FINDING_ENI_IDS_MAX = 128;

/** An API call's `requestParameters` larger than this (bytes of JSON) are replaced by their size and SHA-256; the whole event is in the evidence bucket. */
export const REQUEST_PARAMETERS_MAX_BYTES = 8 * 1024;

/** Incident fields that identify something: over {@link INCIDENT_ID_MAX_CHARS} they are refused, never cut. */
const ID_FIELDS = new Set([
  'account',
  'region',
  'partition',
  'eventId',
  'gameDayRunId',
  'chainedFrom',
  'resource.id',
  'resource.accessKeyId',
  'resource.userType',
  'resource.userName',
  'resource.principalId',
  'resource.sessionName',
  'resource.instanceId',
  'resource.eventId',
  'resource.eventName',
  'resource.eventSource',
  'resource.target',
  'resource.resourceType',
  'resource.name',
  'resource.arn',
  'resource.actor.type',
  'resource.actor.arn',
  'resource.actor.accountId',
  'resource.actor.principalId',
  'resource.actor.accessKeyId',
  'resource.actor.userName',
  'resource.actor.roleName',
  'finding.id',
  'finding.type',
  'finding.resourceType',
  'finding.detectorId',
]);

/**
 * Bounds an incident so that no event, legal or forged, can make it large: every identifier longer than
 * {@link INCIDENT_ID_MAX_CHARS} is refused; every other string (title, resource role, times, the operator's
 * reason) is cut to {@link INCIDENT_TEXT_MAX_CHARS} characters; an API call's `requestParameters` over
 * {@link REQUEST_PARAMETERS_MAX_BYTES} are replaced by `{ firebreakOmitted: { bytes, sha256 } }`; a finding's ENI IDs
 * are capped at {@link FINDING_ENI_IDS_MAX}. Strings inside `requestParameters` are left as they are (its size is bounded).
 * @returns the bounded incident, at most {@link INCIDENT_MAX_BYTES} bytes of JSON.
 * @throws {InvalidInput} naming the field when an identifier is too long (a legal event has none), or when the
 *   incident is still larger than {@link INCIDENT_MAX_BYTES}.
 */
export function boundIncident(incident: Incident): Incident {
  const walk = (value: unknown, path: string): unknown => {
    if (typeof value === 'string') {
      const chars = Array.from(value);
      if (chars.length <= INCIDENT_TEXT_MAX_CHARS) return value;
      if (ID_FIELDS.has(path))
        throw new InvalidInput(
          `${path} is ${chars.length} characters; an identifier Firebreak acts on is at most ${INCIDENT_ID_MAX_CHARS}`,
        );
      return `${chars.slice(0, INCIDENT_TEXT_MAX_CHARS - 1).join('')}…`;
    }
    if (path === 'resource.requestParameters' && value && typeof value === 'object') {
      const text = JSON.stringify(value);
      const bytes = Buffer.byteLength(text, 'utf8');
      return bytes <= REQUEST_PARAMETERS_MAX_BYTES
        ? value
        : { firebreakOmitted: { bytes, sha256: createHash('sha256').update(text).digest('hex') } };
    }
    if (Array.isArray(value)) return value.slice(0, FINDING_ENI_IDS_MAX).map((v) => walk(v, path));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, path ? `${path}.${k}` : k)]));
    }
    return value;
  };
  const bounded = walk(incident, '') as Incident;
  const bytes = Buffer.byteLength(JSON.stringify(bounded), 'utf8');
  if (bytes > INCIDENT_MAX_BYTES) throw new InvalidInput(`the incident is ${bytes} bytes of JSON, over ${INCIDENT_MAX_BYTES}`);
  return bounded;
}

/**
 * Parses an EventBridge GuardDuty finding event, a `{ firebreak, event }` start envelope, or a
 * `{ firebreak: { target } }` start on a named resource, into an {@link Incident}.
 *
 * @param input - `{ input, executionName, executionStartTime, playbook }`, where `input` is the state
 *   machine's input.
 * @param catalog - the effective catalog (deployment overrides applied); default {@link CATALOG}.
 * @param memberAccountIds - the deployment's member accounts (`memberAccountIds`): an attack sequence's resource in
 *   another of them is chained there, one in an account not listed is only named (default none).
 * @param summarize - how an attack sequence's `service.detection.sequence` becomes the incident's `sequence`
 *   (`summarizeSequence`, lib/core/incident/sequence.ts). {@link normalizeEvent} in `./normalize` passes it; without it an
 *   attack-sequence incident carries no `sequence` (CloseOrphanedCase: recording a failed execution needs only the
 *   resource and the finding, and its bundle stays under issue 13's 200 KB without the sequence parser).
 * @returns `{ incident, event, run }`: the incident bounded ({@link boundIncident}), the event as received
 *   (not as parsed), and the run.
 * @throws {InvalidInput} when the event is not one the playbook handles, a target is of the wrong
 *   kind for the playbook, a field the playbook needs is missing or malformed, or an identifier is
 *   longer than {@link INCIDENT_ID_MAX_CHARS}. The message names the field.
 */
export function normalizeEventWith(
  input: { input: unknown; executionName: string; executionStartTime: string; playbook?: Incident['playbook'] },
  catalog: readonly CatalogEntry[] = CATALOG,
  memberAccountIds: readonly string[] = [],
  summarize?: SequenceSummarizer,
): NormalizedState {
  const state = normalizeUnbounded(input, catalog, { memberAccountIds, summarize });
  return { ...state, incident: boundIncident(state.incident) };
}

function normalizeUnbounded(
  input: { input: unknown; executionName: string; executionStartTime: string; playbook?: Incident['playbook'] },
  catalog: readonly CatalogEntry[],
  sequences: SequenceContext,
): NormalizedState {
  let raw = input.input;
  let options: z.infer<typeof StartEnvelopeSchema>['firebreak'] | undefined;
  if (raw && typeof raw === 'object' && 'firebreak' in raw) {
    const envelope = parseOrThrow(StartEnvelopeSchema, raw, 'start envelope');
    options = envelope.firebreak;
    raw = envelope.event;
  }
  const playbook = input.playbook ?? 'ec2-compromise';
  if (options?.target) return normalizeTarget(options.target, playbook, options, input);
  // A playbook the catalog starts on CloudTrail API calls takes one (cloudtrail-tamper, root-activity): its entries' kind says so.
  if (answersApiCalls(playbook)) return normalizeApiCall(raw, playbook, options, input, catalog);
  const event = parseOrThrow(GuardDutyEventSchema, raw, 'GuardDuty finding event');
  const detail = event.detail;
  const resource = findingSubjectResource(playbook, event);
  const sample = isSampleFinding(event);
  // The node's instance only where AWS's finding names it (never guessed, never from tags): catalog `container-node-*`.
  const nodeInstance = detail.resource.instanceDetails?.instanceId !== undefined;
  const gameDay = event.source === 'firebreak.gameday' ? event.detail.firebreakGameDay?.runId : undefined;
  const entry = matchCatalogEntry(
    {
      // A game-day event is the twin of a GuardDuty finding (lib/core/catalog/patterns.ts gameDayPatternFor).
      source: gameDay ? 'aws.guardduty' : event.source,
      detailType: event['detail-type'],
      resourceType: detail.resource.resourceType,
      severity: detail.severity,
      type: detail.type,
      nodeInstance,
    },
    catalog,
  );
  const triage = assessFinding({
    type: detail.type,
    resourceType: detail.resource.resourceType,
    resourceRole: detail.service.resourceRole,
    nodeInstance,
  });
  const bandMode = entry?.mode ?? 'none';
  const incident: Incident = {
    playbook,
    account: detail.accountId,
    region: detail.region,
    partition: detail.partition,
    resource,
    finding: {
      id: detail.id,
      type: detail.type,
      severity: detail.severity,
      count: detail.service.count,
      resourceRole: detail.service.resourceRole,
      eventLastSeen: detail.service.eventLastSeen,
      title: detail.title,
      resourceType: detail.resource.resourceType,
      detectorId: detail.service.detectorId,
    },
    trigger: gameDay ? 'gameday' : (options?.trigger ?? 'auto'),
    gameDayRunId: gameDay,
    gameDaySender: gameDay ? gameDaySenderOf(event) : undefined,
    dryRun: sample || (options?.dryRun ?? false),
    sample,
    catalogEntryId: entry?.id,
    // The band's mode applies only to a finding that shows its resource compromised: a victim, an
    // exposure, a resource no playbook contains, or a type the table does not know is a case.
    mode: (bandMode === 'auto' || bandMode === 'approval' || bandMode === 'shadow') && !triage.containable ? 'notify' : bandMode,
    triage,
    eventId: event.id,
    eventTime: event.time,
    reason: options?.reason,
    operator: options?.operator,
    ...(playbook === 'attack-sequence' ? { sequence: sequenceOf(event, sequences) } : {}),
  };
  return { incident, event: raw, run: { executionName: input.executionName, startTime: input.executionStartTime } };
}

/** What Normalize needs for an attack sequence: the deployment's member accounts and, when given, the summarizer. */
interface SequenceContext {
  readonly memberAccountIds: readonly string[];
  readonly summarize?: SequenceSummarizer;
}

/** An attack sequence's signals and resources, each resource routed (lib/core/incident/sequence.ts). */
function sequenceOf(event: GuardDutyEvent, { memberAccountIds, summarize }: SequenceContext): Incident['sequence'] {
  const d = event.detail;
  if (d.resource.resourceType !== 'AttackSequence') {
    throw new InvalidInput(`detail.resource.resourceType is ${d.resource.resourceType}; attack-sequence needs an AttackSequence finding`);
  }
  return summarize?.(d.service.detection?.sequence, { account: d.accountId, region: d.region, memberAccountIds });
}

/**
 * The instance of an ec2-compromise case: an Instance finding's, or the node of a pod or task (`EKSCluster`,
 * `ECSCluster`) when AWS's finding names it in `resource.instanceDetails` (catalog `container-node-*`); the workload is
 * then named on the case ({@link containerWorkloadOf}).
 * @throws {InvalidInput} for any other finding, or one without `instanceDetails`.
 */
function instanceResource(event: GuardDutyEvent): Incident['resource'] {
  const r = event.detail.resource;
  const container = (CONTAINER_RESOURCE_TYPES as readonly string[]).includes(r.resourceType);
  if ((r.resourceType !== 'Instance' && !container) || !r.instanceDetails) {
    throw new InvalidInput(
      `detail.resource.resourceType is ${r.resourceType}; ec2-compromise needs an Instance finding with instanceDetails, or a pod or task finding that names its node's instanceDetails`,
    );
  }
  const workload = container ? containerWorkloadOf(r) : undefined;
  // The finding's ENIs, read at Normalize so that no later step needs the event (it is in the evidence bucket).
  return {
    type: 'Instance',
    id: r.instanceDetails.instanceId,
    networkInterfaceIds: findingNetworkInterfaceIds(event).slice(0, FINDING_ENI_IDS_MAX),
    ...(workload ? { workload } : {}),
  };
}

/**
 * The resource of a finding-triage case: GuardDuty's `detail.resource.resourceType` and whatever names
 * the resource in its details object ("Finding details", GuardDuty User Guide: `s3BucketDetails`,
 * `eksClusterDetails`, `ecsClusterDetails`, `containerDetails`, `rdsDbInstanceDetails`,
 * `rdsLimitlessDbDetails`, `lambdaDetails`, `ebsSnapshotDetails`, `ec2ImageDetails`,
 * `recoveryPointDetails`). One case per finding: `<resourceType>/<name>/finding/<findingId>`.
 */
function findingResource(event: GuardDutyEvent): Incident['resource'] {
  const r = event.detail.resource;
  const { name, arn } = resourceIdentity(r);
  const workload = containerWorkloadOf(r);
  const dbUser = dbUserOf(r.rdsDbUserDetails);
  return {
    type: 'GuardDutyResource',
    id: `${printable(r.resourceType, 64)}/${name ?? '-'}/finding/${event.detail.id}`,
    resourceType: printable(r.resourceType, 64),
    ...(name ? { name } : {}),
    ...(arn ? { arn } : {}),
    ...(workload ? { workload } : {}),
    ...(dbUser ? { dbUser } : {}),
  };
}

const DB_USER_FIELDS = ['user', 'application', 'database', 'ssl', 'authMethod'] as const;

/**
 * The database user of an RDS Protection finding, from `resource.rdsDbUserDetails` ("Finding details", GuardDuty User
 * Guide): each string field printable, at most 128 characters; anything else in the object is dropped.
 * @returns `undefined` when the finding names none.
 */
function dbUserOf(raw: unknown): Partial<Record<(typeof DB_USER_FIELDS)[number], string>> | undefined {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const details = raw as Record<string, unknown>;
  const picked = DB_USER_FIELDS.flatMap((f) => {
    const v = details[f];
    return typeof v === 'string' && v.length > 0 ? [[f, printable(v, 128)] as const] : [];
  });
  return picked.length > 0 ? Object.fromEntries(picked) : undefined;
}

/**
 * The task of an ecs-task-compromise case: `resource.ecsClusterDetails.taskDetails.arn`, kept only when it is an ECS
 * task's ARN in the finding's own partition, account, region and cluster ({@link taskTargetOf}: never from a tag or
 * anything the workload wrote); otherwise the case names the finding and says why nothing can be stopped.
 * @throws {InvalidInput} for a finding that is not on `ECSCluster`.
 */
function ecsTaskResource(event: GuardDutyEvent): Incident['resource'] {
  const d = event.detail;
  const r = d.resource;
  if (r.resourceType !== 'ECSCluster') {
    throw new InvalidInput(`detail.resource.resourceType is ${r.resourceType}; ecs-task-compromise needs an ECSCluster finding`);
  }
  const workload = containerWorkloadOf(r);
  const node = r.instanceDetails?.instanceId;
  const common = {
    type: 'EcsTask' as const,
    ...(workload ? { workload } : {}),
    ...(node && /^i-[0-9a-f]{8,17}$/.test(node) ? { nodeInstanceId: node } : {}),
  };
  // The ARN and cluster exactly as the finding writes them (the workload's copies are cut to 256 characters and
  // stripped of control characters, which could turn them into another task's ARN): taskTargetOf checks them whole.
  const ecs = r.ecsClusterDetails as Record<string, unknown> | undefined;
  const task = ecs?.taskDetails as Record<string, unknown> | undefined;
  const exact = (v: unknown) => (typeof v === 'string' ? v : undefined);
  try {
    const t = taskTargetOf(exact(task?.arn), {
      partition: d.partition,
      account: d.accountId,
      region: d.region,
      cluster: exact(ecs?.name),
    });
    return { ...common, id: t.taskArn, taskArn: t.taskArn, cluster: t.cluster };
  } catch (err) {
    if (!(err instanceof InvalidInput)) throw err;
    const cluster = workload?.cluster;
    return {
      ...common,
      id: `ECSCluster/${cluster ?? '-'}/finding/${d.id}`,
      ...(cluster ? { cluster } : {}),
      notActionable: err.message,
    };
  }
}

/**
 * The bucket of an s3-compromise case: the first of `resource.s3BucketDetails` (S3 Protection findings list the buckets
 * the calls touched; "Finding details", GuardDuty User Guide), the principal of `resource.accessKeyDetails`, the
 * caller's account when it is another (`service.action.awsApiCallAction.remoteAccountDetails.accountId`), and whether
 * the finding is about public exposure (a `Policy:S3/` type, the bucket's `publicAccess.effectivePermission` `PUBLIC`, or
 * an anonymous caller, `ANONYMOUS_PRINCIPAL`).
 * @throws {InvalidInput} when the finding names no bucket, or a bucket name that is not one.
 */
function bucketResource(event: GuardDutyEvent): Incident['resource'] {
  const r = event.detail.resource;
  const details = (Array.isArray(r.s3BucketDetails) ? r.s3BucketDetails : []) as unknown[];
  const names = details
    .map((d) => (d && typeof d === 'object' ? (d as { name?: unknown }).name : undefined))
    .filter((n): n is string => typeof n === 'string');
  const bucketName = names[0];
  if (!bucketName || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName)) {
    throw new InvalidInput('detail.resource.s3BucketDetails[0].name is required and must be an S3 bucket name for s3-compromise');
  }
  const first = details[0] as { publicAccess?: { effectivePermission?: unknown } };
  const k = r.accessKeyDetails;
  // GuardDuty names a caller without credentials ANONYMOUS_PRINCIPAL: the bucket is reachable by anyone.
  const exposed =
    event.detail.type.startsWith(S3_EXPOSURE_TYPE_PREFIX) ||
    first.publicAccess?.effectivePermission === 'PUBLIC' ||
    k?.userName === 'ANONYMOUS_PRINCIPAL';
  const action = event.detail.service.action as { awsApiCallAction?: { remoteAccountDetails?: { accountId?: unknown } } } | undefined;
  const remote = action?.awsApiCallAction?.remoteAccountDetails?.accountId;
  return {
    type: 'S3Bucket',
    id: `bucket/${bucketName}`,
    bucketName,
    exposed,
    ...(k ? { principal: { userType: k.userType, userName: k.userName, principalId: k.principalId, accessKeyId: k.accessKeyId } } : {}),
    ...(typeof remote === 'string' ? { remoteAccountId: printable(remote, 32) } : {}),
    ...(names.length > 1 ? { otherBuckets: names.slice(1, 33).map((n) => printable(n, 63)) } : {}),
  };
}

/** The resource a GuardDuty finding's incident is about, as the playbook that hosts it reads it. */
function findingSubjectResource(playbook: Incident['playbook'], event: GuardDutyEvent): Incident['resource'] {
  if (playbook === 'ec2-compromise') return instanceResource(event);
  if (playbook === TRIAGE_PLAYBOOK || playbook === 'attack-sequence') return findingResource(event);
  // rds-compromise: the finding, with the DB instance and user it names (rdsDbInstanceDetails, rdsDbUserDetails), one
  // case per DB instance (`<resourceType>/<identifier>`): a second finding on it attaches to the open case instead of
  // opening one that finds access already off, records nothing, and is left open when the first case's release turns
  // public access back on.
  if (playbook === 'rds-compromise') {
    const r = findingResource(event);
    return r.type === 'GuardDutyResource' && r.name ? { ...r, id: `${r.resourceType}/${r.name}` } : r;
  }
  if (playbook === 's3-compromise') return bucketResource(event);
  if (playbook === 'lambda-compromise') return functionResource(event);
  if (playbook === 'ecs-task-compromise') return ecsTaskResource(event);
  return credentialResource(event);
}

/**
 * The function of a lambda-compromise case: `resource.lambdaDetails` of a Lambda Protection finding ("Finding details",
 * GuardDuty User Guide): its name, ARN, version, revision ID and execution role, each kept only when it is a string.
 * @throws {InvalidInput} when the finding names no function, or a name that is not a Lambda function name.
 */
function functionResource(event: GuardDutyEvent): Incident['resource'] {
  const d = event.detail.resource.lambdaDetails as Record<string, unknown> | undefined;
  const name = d?.functionName;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new InvalidInput(
      'detail.resource.lambdaDetails.functionName is required and must be a Lambda function name for lambda-compromise',
    );
  }
  const str = (v: unknown, max: number) => (typeof v === 'string' ? { value: printable(v, max) } : undefined);
  const arn = str(d?.functionArn, 256);
  const version = str(d?.functionVersion, 32);
  const revision = str(d?.revisionId, 64);
  const role = str(d?.role, 256);
  return {
    type: 'LambdaFunction',
    id: `function/${name}`,
    functionName: name,
    ...(arn ? { functionArn: arn.value } : {}),
    ...(version ? { functionVersion: version.value } : {}),
    ...(revision ? { revisionId: revision.value } : {}),
    ...(role ? { roleArn: role.value } : {}),
  };
}

/** Where each resource type's details name it: `[details key, name fields, ARN fields]`. */
const RESOURCE_IDENTITY: readonly (readonly [string, readonly string[], readonly string[]])[] = [
  ['s3BucketDetails', ['name'], ['arn']],
  ['eksClusterDetails', ['name'], ['arn']],
  ['ecsClusterDetails', ['name'], ['arn']],
  ['containerDetails', ['name', 'id'], []],
  ['rdsDbInstanceDetails', ['dbInstanceIdentifier', 'dbClusterIdentifier'], ['dbInstanceArn']],
  ['rdsLimitlessDbDetails', ['dbShardGroupIdentifier', 'dbClusterIdentifier'], ['dbShardGroupArn']],
  ['lambdaDetails', ['functionName'], ['functionArn']],
  ['ebsSnapshotDetails', ['snapshotArn'], ['snapshotArn']],
  ['ec2ImageDetails', ['imageArn'], ['imageArn']],
  ['recoveryPointDetails', ['recoveryPointArn'], ['recoveryPointArn']],
];

function resourceIdentity(r: Record<string, unknown>): { name?: string; arn?: string } {
  for (const [key, names, arns] of RESOURCE_IDENTITY) {
    const raw = r[key];
    const details = (Array.isArray(raw) ? raw[0] : raw) as Record<string, unknown> | undefined;
    if (!details || typeof details !== 'object') continue;
    const pick = (fields: readonly string[]) =>
      fields.map((f) => details[f]).find((v): v is string => typeof v === 'string' && v.length > 0);
    const name = pick(names);
    const arn = pick(arns);
    if (name || arn) return { name: name ? printable(name) : undefined, arn: arn ? printable(arn) : undefined };
  }
  return {};
}

/**
 * The string without control, format (bidi, zero-width) or unpaired surrogate characters, at most `max`
 * code points: names a member account chose reach the operator and the ledger's keys.
 */
function printable(s: string, max = 256): string {
  return Array.from(s.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, ''))
    .slice(0, max)
    .join('');
}

/** Role session ARNs and principal IDs (`AROA...:session`) carry the session name after the colon. */
function credentialResource(event: GuardDutyEvent): Incident['resource'] {
  const r = event.detail.resource;
  if (r.resourceType !== 'AccessKey' || !r.accessKeyDetails) {
    throw new InvalidInput(
      `detail.resource.resourceType is ${r.resourceType}; credential-compromise needs an AccessKey finding with accessKeyDetails`,
    );
  }
  const k = r.accessKeyDetails;
  const sessionName =
    k.userType === 'AssumedRole' && k.principalId?.includes(':') ? k.principalId.split(':').slice(1).join(':') : undefined;
  const instanceFinding = /InstanceCredentialExfiltration/.test(event.detail.type);
  const instanceId = instanceFinding && sessionName && /^i-[0-9a-f]{8,17}$/.test(sessionName) ? sessionName : undefined;
  if ((k.userType === 'IAMUser' || k.userType === 'AssumedRole') && !k.userName) {
    throw new InvalidInput(`detail.resource.accessKeyDetails.userName is required for userType ${k.userType}`);
  }
  // A role's case is per finding: revoking sessions is a point in time, so a new finding on the same
  // role (credentials stolen again later) must revoke again, while repeats of one finding must not.
  const id =
    k.userType === 'IAMUser'
      ? k.accessKeyId
      : k.userType === 'AssumedRole'
        ? `role/${k.userName}/finding/${event.detail.id}`
        : k.userType === 'Root'
          ? 'root'
          : `${k.userType}/${k.userName ?? k.accessKeyId}`;
  return {
    type: 'AccessKey',
    id,
    accessKeyId: k.accessKeyId,
    userType: k.userType,
    userName: k.userName,
    principalId: k.principalId,
    sessionName,
    instanceId,
  };
}

/** Whether the catalog starts the playbook on CloudTrail API-call events (its entries are `api-call` ones), not on findings. */
function answersApiCalls(playbook: Incident['playbook']): boolean {
  return CATALOG.some((e) => e.playbook === playbook && e.kind === 'api-call');
}

/**
 * Normalizes a CloudTrail-delivered API call (cloudtrail-tamper, root-activity): the account is the
 * one that recorded the call (`recipientAccountId`), the region is `awsRegion`, the actor comes from
 * `userIdentity` (for an assumed role, the role is `sessionContext.sessionIssuer.userName`).
 * @throws {InvalidInput} when the event is not a valid API-call event.
 */
function normalizeApiCall(
  raw: unknown,
  playbook: Incident['playbook'],
  options: z.infer<typeof StartEnvelopeSchema>['firebreak'] | undefined,
  input: { executionName: string; executionStartTime: string },
  catalog: readonly CatalogEntry[],
): NormalizedState {
  const event = parseOrThrow(ApiCallEventSchema, raw, 'CloudTrail API call event');
  const d = event.detail;
  const u = d.userIdentity;
  const params = (d.requestParameters ?? undefined) as Record<string, unknown> | undefined;
  const target =
    typeof params?.name === 'string'
      ? params.name
      : typeof params?.trailName === 'string'
        ? params.trailName
        : typeof params?.detectorId === 'string'
          ? params.detectorId
          : undefined;
  const entry = matchApiCallEntry(
    {
      source: event.source,
      detailType: event['detail-type'],
      eventSource: d.eventSource,
      eventName: d.eventName,
      userIdentityType: u.type,
      errorCode: d.errorCode,
    },
    catalog,
  );
  const account = d.recipientAccountId ?? u.accountId ?? event.account;
  const incident: Incident = {
    playbook,
    account,
    region: d.awsRegion,
    partition: partitionOfRegion(d.awsRegion),
    resource: {
      type: 'ApiCall',
      id: `event/${d.eventID}`,
      eventId: d.eventID,
      eventName: d.eventName,
      eventSource: d.eventSource,
      target,
      actor: {
        type: u.type,
        arn: u.arn,
        accountId: u.accountId,
        principalId: u.principalId,
        accessKeyId: u.accessKeyId,
        userName: u.type === 'IAMUser' ? u.userName : undefined,
        roleName: u.type === 'AssumedRole' ? u.sessionContext?.sessionIssuer?.userName : undefined,
        issuerArn: u.type === 'AssumedRole' ? u.sessionContext?.sessionIssuer?.arn : undefined,
      },
      requestParameters: params ?? null,
      errorCode: d.errorCode,
      callTime: d.eventTime,
    },
    finding: { id: d.eventID, type: `${d.eventSource}:${d.eventName}` },
    trigger: options?.trigger ?? 'auto',
    dryRun: options?.dryRun ?? false,
    sample: false,
    catalogEntryId: entry?.id,
    mode: entry?.mode ?? 'none',
    eventId: event.id,
    eventTime: event.time,
    reason: options?.reason,
    operator: options?.operator,
  };
  return { incident, event: raw, run: { executionName: input.executionName, startTime: input.executionStartTime } };
}

/**
 * Whether a playbook acts on a kind of named target: ec2-compromise on an instance, credential-compromise on an
 * access key or a role, no other playbook on any (it takes a finding or CloudTrail event).
 * @throws {InvalidInput} when it does not, naming what the playbook takes.
 */
export function assertTargetFits(playbook: Incident['playbook'], kind: ManualTarget['kind']): void {
  const fits = playbook === 'ec2-compromise' ? kind === 'instance' : playbook === 'credential-compromise' ? kind !== 'instance' : false;
  if (!fits) {
    const wants =
      playbook === 'ec2-compromise'
        ? '--instance'
        : playbook === 'credential-compromise'
          ? '--access-key with --user, or --role'
          : 'a finding or CloudTrail event (no manual target)';
    throw new InvalidInput(`firebreak.target: ${playbook} cannot act on a ${kind} target; it takes ${wants}`);
  }
}

/**
 * The partition of a region, by the AWS SDK's partition table's `regionRegex` (aws-sdk-js-v3,
 * packages/util-endpoints/src/lib/aws/partitions.json: `aws-cn` `^cn\-\w+\-\d+$`, `aws-us-gov` `^us\-gov\-\w+\-\d+$`,
 * `aws-iso` `^us\-iso\-\w+\-\d+$`, `aws-iso-b` `^us\-isob\-\w+\-\d+$`; "Partitions", AWS Fault Isolation Boundaries:
 * https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html): a named target carries a
 * region and no partition, and the ARNs built from the incident (the instance's `ec2:SourceInstanceARN`) must be its own.
 */
function partitionOfRegion(region: string): string {
  if (/^cn-\w+-\d+$/.test(region)) return 'aws-cn';
  if (/^us-gov-\w+-\d+$/.test(region)) return 'aws-us-gov';
  if (/^us-iso-\w+-\d+$/.test(region)) return 'aws-iso';
  if (/^us-isob-\w+-\d+$/.test(region)) return 'aws-iso-b';
  return 'aws';
}

/**
 * Builds the incident of a start on a named resource (`firebreak run`, or a playbook chaining into
 * another). The case key is the resource's, exactly as a finding about it would give, so a manual
 * run on a resource that a finding already contained is `ALREADY_HANDLED`, and a second manual run
 * attaches to the first one's case. There is no finding: `finding.id` is `manual/<execution name>`.
 * @throws {InvalidInput} when the target kind does not fit the playbook.
 */
function normalizeTarget(
  target: ManualTarget,
  playbook: Incident['playbook'],
  options: z.infer<typeof StartEnvelopeSchema>['firebreak'],
  input: { executionName: string; executionStartTime: string },
): NormalizedState {
  assertTargetFits(playbook, target.kind);
  const resource: Incident['resource'] =
    target.kind === 'instance'
      ? { type: 'Instance', id: target.instanceId }
      : target.kind === 'access-key'
        ? { type: 'AccessKey', id: target.accessKeyId, accessKeyId: target.accessKeyId, userType: 'IAMUser', userName: target.userName }
        : // A manual role revocation is its own case, one at a time: a second run attaches to it.
          { type: 'AccessKey', id: `role/${target.roleName}/manual`, userType: 'AssumedRole', userName: target.roleName };
  const kindName = target.kind === 'instance' ? 'Instance' : target.kind === 'access-key' ? 'AccessKey' : 'Role';
  const incident: Incident = {
    playbook,
    account: target.account,
    region: target.region,
    partition: partitionOfRegion(target.region),
    resource,
    finding: { id: `manual/${input.executionName}`, type: `Firebreak:Manual/${kindName}` },
    trigger: options.trigger,
    dryRun: options.dryRun,
    sample: false,
    mode: 'none',
    eventId: input.executionName,
    eventTime: input.executionStartTime,
    reason: options.reason,
    operator: options.operator,
    chainedFrom: options.chainedFrom,
  };
  return { incident, event: { target }, run: { executionName: input.executionName, startTime: input.executionStartTime } };
}
