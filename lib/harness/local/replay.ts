import * as fs from 'node:fs';
import * as z from 'zod';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CONTAINER_RESOURCE_TYPES, NOTIFY_ONLY_PLAYBOOKS } from '../../core/catalog/catalog';
import { BELOW_FLOOR_RULE_NAME } from '../../core/catalog/patterns';
import { readNotifications } from './notifications';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { InvalidInput } from '../../core/errors';
import { GuardDutyEvent, GuardDutyEventSchema } from '../../core/incident/schema';
import { isSampleFinding, parseOrThrow } from '../../core/incident/normalize';
import {
  chainLink,
  criticalPathUntil,
  ReplayReport,
  ReportExecution,
  responseSummary,
  sequentialCallsUntil,
  summarizeCalls,
} from '../report';
import type { ApiCallRecord } from '../../runtime/telemetry';
import {
  Check,
  countCreatedResources,
  EvidenceReadBack,
  instanceIsolatedCheck,
  readCaseRecord,
  verifyContainment,
  verifyUntouched,
} from './checks';
import { ENDED_FAILED } from './runner';
import type { ExecuteOptions, LocalExecutionResult } from './runner';
import type { LocalSession } from './session';
import { harnessClients } from './harness-clients';
import { buildTwinWorld, remapEvent, TwinExtras, TwinWorld } from './twin';
import { buildSequenceTwins } from './sequence-twin';
import { sequenceChainChecks } from './sequence-checks';
import { buildCredentialTwin, CredentialTwin } from './credential-twin';
import { BucketTwin, buildBucketTwin, namesBucket } from './bucket-twin';
import { buildTaskTwin, namesTask, TaskTwin } from './task-twin';
import { taskContainedChecks, taskRunningCheck, taskStoppedCheck } from './task-checks';
import { buildDbTwin, dbContainedChecks, DbTwin } from './db-twin';
import { bucketContainedChecks } from './bucket-checks';
import { buildFunctionTwin, FunctionTwin, namesFunction } from './function-twin';
import { functionContainedChecks } from './function-checks';
import { ApiCallTwin, buildApiCallTwin } from './api-call-twin';
import { ApiCallEvent, ApiCallEventSchema } from '../../core/incident/schema';
import {
  parsePolicyDocument,
  policyText,
  ROLE_SESSION_REVOCATION_POLICY_NAME,
  ROLE_VPC_RESTRICTION_POLICY_NAME,
  roleVpcRestrictionPolicy,
} from '../../runtime/iam/policies';
import { GetTrailStatusCommand } from '@aws-sdk/client-cloudtrail';
import { Check as CheckType, verifyRevocationState } from './checks';
import {
  GetRolePolicyCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAttachedUserPoliciesCommand,
  ListRolePoliciesCommand,
  ListUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { hasAwsCode } from '../../runtime/aws-errors';

/**
 * The EventBridge envelope every replayed event must have ("Amazon EventBridge events", EventBridge User Guide):
 * every top-level field of an event, so that the event replayed is the event read (`detail` is kept whole); a
 * top-level key EventBridge does not define is stripped.
 */
export const EventEnvelopeSchema = z.object({
  version: z.string().optional(),
  id: z.string().min(1),
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  account: z.string().regex(/^\d{12}$/),
  region: z.string().min(1),
  time: z.string().min(1),
  resources: z.array(z.string()).default([]),
  detail: z.record(z.string(), z.unknown()),
  /** Set by EventBridge on an event replayed from an archive. */
  'replay-name': z.string().optional(),
});
/** A validated EventBridge event. */
export type EventEnvelope = z.infer<typeof EventEnvelopeSchema>;

/**
 * Reads and validates an event file, before any AWS call.
 * @param file - path to a JSON file holding one EventBridge event.
 * @returns the event; GuardDuty findings are validated against the finding format too.
 * @throws {InvalidInput} when the file is missing, not JSON, or not a valid event (the message
 *   names the file and the first bad field).
 */
export function readEventFile(file: string): EventEnvelope {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInput(`cannot read event file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      cause: err,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InvalidInput(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return validateEvent(json, file);
}

/**
 * Validates an event: the EventBridge envelope, and for `aws.guardduty` the finding format.
 * @throws {InvalidInput} naming the first bad field.
 */
export function validateEvent(json: unknown, what = 'event'): EventEnvelope {
  const bytes = Buffer.byteLength(JSON.stringify(json) ?? '', 'utf8');
  if (bytes > MAX_EVENT_BYTES)
    throw new InvalidInput(`${what} is ${bytes} bytes; EventBridge events are at most ${MAX_EVENT_BYTES} bytes (256 KB)`);
  const envelope = parseOrThrow(EventEnvelopeSchema, json, what);
  if (envelope.source === 'aws.guardduty' && envelope['detail-type'] === 'GuardDuty Finding') {
    const gd = parseOrThrow(GuardDutyEventSchema, json, `GuardDuty finding in ${what}`);
    const r = gd.detail.resource;
    if (r.resourceType === 'Instance' && !r.instanceDetails)
      throw new InvalidInput(`Invalid GuardDuty finding in ${what}: detail.resource.instanceDetails is required for an Instance finding`);
    if (r.resourceType === 'Instance' && r.instanceDetails && r.instanceDetails.networkInterfaces.length === 0 && !isSampleFinding(gd)) {
      throw new InvalidInput(
        `Invalid GuardDuty finding in ${what}: detail.resource.instanceDetails.networkInterfaces is empty (an instance in a VPC has at least one)`,
      );
    }
    if (r.resourceType === 'AccessKey' && !r.accessKeyDetails)
      throw new InvalidInput(`Invalid GuardDuty finding in ${what}: detail.resource.accessKeyDetails is required for an AccessKey finding`);
  }
  if (API_CALL_DETAIL_TYPES.includes(envelope['detail-type'])) parseOrThrow(ApiCallEventSchema, json, `CloudTrail event in ${what}`);
  return envelope;
}

const API_CALL_DETAIL_TYPES = ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'];

/** EventBridge's maximum event size ("Amazon EventBridge quotas": 256 KB). */
export const MAX_EVENT_BYTES = 256 * 1024;

/** Options of {@link replayEvent}. */
export interface ReplayOptions {
  /** Extra resources around the twin instance (drills). */
  readonly extras?: TwinExtras;
  /** Options of every local execution (crash injection, execution name). */
  readonly execute?: ExecuteOptions;
  /** Reuse an existing twin instead of building one (a repeat of the same finding). */
  readonly twin?: TwinWorld;
  /** Reuse an existing credential twin (a repeat of the same credential finding). */
  readonly credentialTwin?: CredentialTwin;
  /** Reuse an existing bucket twin (a repeat of the same S3 finding). */
  readonly bucketTwin?: BucketTwin;
  /** Reuse an existing function twin (a repeat of the same Lambda finding). */
  readonly functionTwin?: FunctionTwin;
  /** Reuse an existing task twin (a repeat of the same ECS finding). */
  readonly taskTwin?: TaskTwin;
  /** Reuse an existing DB instance twin (a repeat of the same RDS finding). */
  readonly dbTwin?: DbTwin;
  /** Reads of the emulator before the run, to check that a repeat created nothing. */
  readonly countBefore?: boolean;
}

/** The result of {@link replayEvent}: the report, the twin and the raw executions. */
export interface ReplayResult {
  readonly report: ReplayReport;
  readonly twin?: TwinWorld;
  readonly credentialTwin?: CredentialTwin;
  readonly bucketTwin?: BucketTwin;
  readonly functionTwin?: FunctionTwin;
  /** The twin of an ECS finding's task (ecs-task-compromise). */
  readonly taskTwin?: TaskTwin;
  /** The twin of an RDS finding's DB instance (rds-compromise). */
  readonly dbTwin?: DbTwin;
  /** The event as injected (IDs remapped to the twin). */
  readonly injected: EventEnvelope;
  readonly executions: LocalExecutionResult[];
}

function eventSummary(event: EventEnvelope, gd: GuardDutyEvent | undefined): ReplayReport['event'] {
  return {
    source: event.source,
    detailType: event['detail-type'],
    findingId: gd?.detail.id,
    findingType: gd?.detail.type,
    severity: gd?.detail.severity,
    sample: gd ? isSampleFinding(gd) : false,
  };
}

/** Outcomes that change nothing in the member account (issue 14): a shadow-mode plan, a suppressed finding. */
const QUIET_OUTCOMES: readonly string[] = ['SHADOW', 'SUPPRESSED'];

/** An ENI isolation swap (a move onto a group, the DryRun included): what the isolation chain ends with. */
const isIsolationCall = (c: { operation: string }): boolean => c.operation === 'EC2.ModifyNetworkInterfaceAttribute';

/** The longest time, in milliseconds, any ENI spent on the allow-all untrack group in a run that reached Contain's end. */
function longestUntracked(executions: readonly LocalExecutionResult[]): number | undefined {
  const windows = executions.flatMap(
    (x) => (x.output?.contain as { isolate?: { untrackWindows?: { untrackedMs: number }[] } } | undefined)?.isolate?.untrackWindows ?? [],
  );
  return windows.length ? Math.max(...windows.map((w) => w.untrackedMs)) : undefined;
}

/**
 * Replays a recorded event on the local emulator (issue #2, `firebreak replay`): builds a twin of
 * its resources, remaps the IDs, routes the event through the synthesized rule patterns with the
 * emulator's matcher, runs every matched playbook (synthesized state machine, real handlers), and
 * verifies the outcome by reading the emulator back.
 * @param session - an open local session.
 * @param event - a validated event ({@link validateEvent}).
 * @returns the report (the JSON contract) and what was built.
 */
export async function replayEvent(home: LocalSession, event: EventEnvelope, options: ReplayOptions = {}): Promise<ReplayResult> {
  const started = Date.now();
  const gd = event.source === 'aws.guardduty' ? GuardDutyEventSchema.parse(event) : undefined;
  const apiCall = API_CALL_DETAIL_TYPES.includes(event['detail-type']) ? ApiCallEventSchema.parse(event) : undefined;
  // The event keeps its region when the local world has it (issue 16, "Regions"): its twins are built, and read back, there.
  const session = inRegionOf(home, gd?.detail.region ?? apiCall?.detail.awsRegion ?? event.region);
  const { twin, credentialTwin, bucketTwin, functionTwin, taskTwin, dbTwin, idMap } = await twinsFor(session, gd, apiCall, options);
  const injected = Object.keys(idMap).length ? remapEvent(event, idMap) : event;
  const before = options.countBefore ? await countCreatedResources(session.env) : undefined;
  const principalBefore = credentialTwin ? await principalState(session, credentialTwin) : undefined;
  // GuardDuty findings arrive on the default bus; CloudTrail-delivered calls are forwarded by the
  // member stack to the security account's firebreak bus.
  const routing = await session.router.route(injected, apiCall ? 'firebreak' : 'default');
  const executions = await runMatched(session, routing.stateMachines, injected, options.execute);
  const ctx: ReadBackContext = {
    session,
    gd,
    apiCall,
    twin,
    credentialTwin,
    bucketTwin,
    functionTwin,
    taskTwin,
    dbTwin,
    executions,
    before,
    principalBefore,
    started,
    countBefore: options.countBefore,
  };
  const checks: Check[] = [];
  let evidence: EvidenceReadBack = { snapshots: [] };
  if (routing.stateMachines.length === 0) checks.push(...(await noMatchChecks(ctx, routing.matched)));
  for (const x of executions) {
    const r = await executionChecks(ctx, x);
    checks.push(...r.checks);
    if (r.evidence) evidence = r.evidence;
  }
  const report = replayReport({
    event,
    gd,
    routing,
    idMap,
    executions,
    evidence,
    checks,
    started,
    memberAccount: session.env.memberAccount,
  });
  return { report, twin, credentialTwin, bucketTwin, functionTwin, taskTwin, dbTwin, injected, executions };
}

const CONTAINER_TYPES: readonly string[] = CONTAINER_RESOURCE_TYPES;

/**
 * The session as seen from a region: the member account's clients and `region` of that region, when it is one of the local
 * world's regions (`env.regions`); the session itself otherwise (an event from another region is remapped onto the home
 * region). The security account's clients stay the home region's, where the ledger, the vault and the playbooks are.
 */
export function inRegionOf(session: LocalSession, region: string): LocalSession {
  const { env } = session;
  if (region === env.region || !env.regions.includes(region)) return session;
  return { ...session, env: { ...env, region, member: harnessClients(env.endpoint, env.memberAccount, region) } };
}

/**
 * The twins of the resources a playbook acts on (an Instance finding's instance, an AccessKey finding's principal,
 * an API call's caller), unless the options give them, and the ID map that puts the event on them. Other findings
 * (S3, EKS, ...) may name an instance or a key too; finding-triage touches neither. Sample findings carry
 * placeholder IDs (i-99999999): there is nothing real to twin, and they stay placeholders.
 */
async function twinsFor(session: LocalSession, gd: GuardDutyEvent | undefined, apiCall: ApiCallEvent | undefined, options: ReplayOptions) {
  const sample = gd ? isSampleFinding(gd) : false;
  let twin = options.twin;
  // A pod or task finding that names its node's instance (catalog container-node-*) is twinned on that instance too.
  const instanceNamed = gd && (gd.detail.resource.resourceType === 'Instance' || CONTAINER_TYPES.includes(gd.detail.resource.resourceType));
  if (!twin && gd && instanceNamed && gd.detail.resource.instanceDetails && !sample) {
    twin = await buildTwinWorld(gd, session.env.member, options.extras);
  }
  let credentialTwin = options.credentialTwin;
  if (!credentialTwin && gd && gd.detail.resource.resourceType === 'AccessKey' && gd.detail.resource.accessKeyDetails && !sample) {
    credentialTwin = await buildCredentialTwin(gd, session.env.member);
  }
  // An attack sequence names its resources in detection.sequence (attack-sequence chains into the playbooks above); an
  // update of a sequence may name one the given twins lack (the first finding named a key, the update an instance too).
  if ((!twin || !credentialTwin) && gd && gd.detail.resource.resourceType === 'AttackSequence' && !sample) {
    ({ twin, credentialTwin } = await buildSequenceTwins(gd, session.env.member, options.extras, { twin, credentialTwin }));
  }
  if (!credentialTwin && apiCall) credentialTwin = await buildApiCallTwin(apiCall, session.env.member);
  let bucketTwin = options.bucketTwin;
  if (!bucketTwin && gd && namesBucket(gd) && !sample)
    bucketTwin = await buildBucketTwin(gd, session.env.member, session.env.memberAccount);
  let functionTwin = options.functionTwin;
  if (!functionTwin && gd && namesFunction(gd) && !sample) functionTwin = await buildFunctionTwin(gd, session.env.member);
  let taskTwin = options.taskTwin;
  if (!taskTwin && gd && namesTask(gd) && !sample) taskTwin = await buildTaskTwin(gd, session.env.member);
  // An RDS finding's DB instance (rds-compromise).
  let dbTwin = options.dbTwin;
  if (!dbTwin && gd && gd.detail.resource.resourceType === 'RDSDBInstance' && !sample) dbTwin = await buildDbTwin(gd, session.env.member);
  const idMap: Record<string, string> = {
    ...(twin?.idMap ?? {}),
    ...(credentialTwin?.idMap ?? {}),
    ...(bucketTwin?.idMap ?? {}),
    ...(functionTwin?.idMap ?? {}),
    ...(taskTwin?.idMap ?? {}),
    ...(dbTwin?.idMap ?? {}),
  };
  // The twin lives in the emulator's member account and region: a recorded finding from any other
  // account or region is remapped onto them like every other ID.
  const remap = (from: string, to: string) => {
    if (from !== to) idMap[from] = to;
  };
  if (gd && !sample) {
    remap(gd.detail.accountId, session.env.memberAccount);
    remap(gd.detail.region, session.env.region);
  }
  if (apiCall) {
    remap(apiCall.detail.recipientAccountId ?? apiCall.account, session.env.memberAccount);
    remap(apiCall.detail.awsRegion, session.env.region);
  }
  return { twin, credentialTwin, bucketTwin, functionTwin, taskTwin, dbTwin, idMap };
}

/**
 * Runs every matched playbook on the event, in order, then the executions a playbook started through Step
 * Functions (credential-compromise chaining into ec2-compromise), which belong to this replay too.
 */
async function runMatched(
  session: LocalSession,
  stateMachines: readonly string[],
  injected: EventEnvelope,
  execute: ExecuteOptions | undefined,
): Promise<LocalExecutionResult[]> {
  const executions: LocalExecutionResult[] = [];
  for (const id of stateMachines) executions.push(await session.runner.execute(id, injected, execute));
  const chainedArns = executions
    .flatMap((x) => [
      (x.output?.chained as { executionArn?: string } | undefined)?.executionArn,
      ...((x.output?.sequenceChains as { chains?: { executionArn: string }[] } | undefined)?.chains ?? []).map((c) => c.executionArn),
    ])
    .filter((a): a is string => !!a);
  await session.sfn.settle();
  for (const arn of chainedArns) {
    const chained = session.sfn.list().find((x) => x.executionArn === arn);
    if (chained?.result) executions.push(chained.result);
  }
  return executions;
}

/** What the read-back checks of a replay are made from. */
interface ReadBackContext {
  readonly session: LocalSession;
  readonly gd?: GuardDutyEvent;
  readonly apiCall?: ApiCallEvent;
  readonly twin?: TwinWorld;
  readonly credentialTwin?: CredentialTwin;
  readonly bucketTwin?: BucketTwin;
  readonly functionTwin?: FunctionTwin;
  /** ecs-task-compromise: the twin of the finding's task. */
  readonly taskTwin?: TaskTwin;
  /** rds-compromise: the twin of the finding's DB instance. */
  readonly dbTwin?: DbTwin;
  readonly executions: readonly LocalExecutionResult[];
  /** The emulator's resource counts before the run ({@link ReplayOptions.countBefore}). */
  readonly before?: Record<string, number>;
  readonly principalBefore?: Awaited<ReturnType<typeof principalState>>;
  /** Epoch milliseconds. */
  readonly started: number;
  readonly countBefore?: boolean;
}

/** No playbook ran: a finding below the floor is counted; one at or above it that matched nothing would be silent. */
async function noMatchChecks({ session, gd, twin }: ReadBackContext, matched: readonly string[]): Promise<Check[]> {
  const belowFloor = matched.includes(BELOW_FLOOR_RULE_NAME);
  const checks: Check[] = [
    belowFloor
      ? {
          name: 'below-floor-counted',
          passed: true,
          details: `severity ${gd?.detail.severity} is below the severity floor: counted by ${BELOW_FLOOR_RULE_NAME} (Firebreak/FindingsBelowFloor), no case`,
        }
      : {
          name: 'no-rule-matched',
          passed: !gd,
          details: gd
            ? 'a GuardDuty finding at or above the floor matched no rule: it would be silent'
            : 'no catalog rule matches this event',
        },
  ];
  if (twin) checks.push(...(await verifyUntouched(session.env, twin)));
  return checks;
}

/**
 * The read-back checks of one execution, chosen by its playbook and how it ended (the emulator read back with the
 * harness clients), and the evidence read back when it contained an instance.
 */
async function executionChecks(ctx: ReadBackContext, x: LocalExecutionResult): Promise<{ checks: Check[]; evidence?: EvidenceReadBack }> {
  const { session, twin, credentialTwin } = ctx;
  const checks: Check[] = [];
  // A response that changes nothing (notify-only, already handled, dry run) makes no member mutation. A
  // failed one may have (logging restarted before a denied revocation): its checks are the failure's.
  if (
    NOTIFY_ONLY_PLAYBOOKS.includes(x.playbook) ||
    // attack-sequence acts in no member account: its containments are the chained runs, checked as their own executions.
    x.playbook === 'attack-sequence' ||
    QUIET_OUTCOMES.includes(x.outcome ?? '') ||
    (x.outcome === 'NOTIFIED' && !twin && !credentialTwin) ||
    (x.playbook === 'cloudtrail-tamper' && x.outcome !== 'CONTAINED' && x.status !== 'FAILED' && x.status !== 'CRASHED')
  ) {
    const member = x.calls.filter((c) => c.mutating && c.account === session.env.memberAccount);
    checks.push({
      name: 'no-member-mutations',
      passed: member.length === 0,
      details: `${member.length} mutating call(s) in the member account${member.length ? `: ${member.map((c) => c.operation).join(', ')}` : ''}`,
    });
  }
  if (x.outcome === 'NOTIFIED' && x.caseId)
    checks.push(
      ...(await caseNotifiedChecks(session, x.caseId, (x.output?.incident as { finding?: { id?: string } } | undefined)?.finding?.id)),
    );
  if (x.playbook === 'cloudtrail-tamper' && x.outcome === 'CONTAINED' && credentialTwin)
    return { checks: [...checks, ...(await tamperContainedChecks(ctx, x, credentialTwin))] };
  if ((x.playbook === 'credential-compromise' || x.playbook === 'cloudtrail-tamper') && credentialTwin)
    return { checks: [...checks, ...(await credentialPlaybookChecks(ctx, x, credentialTwin))] };
  if (x.playbook === 's3-compromise' && x.outcome === 'CONTAINED' && ctx.bucketTwin && x.caseId)
    return {
      checks: [...checks, ...(await bucketContainedChecks(session.env, ctx.bucketTwin, x.caseId, x.output?.bucketContainment as never))],
    };
  if (x.playbook === 'lambda-compromise' && x.outcome === 'CONTAINED' && ctx.functionTwin && x.caseId)
    return {
      checks: [
        ...checks,
        ...(await functionContainedChecks(session.env, ctx.functionTwin, x.caseId, x.output?.functionContainment as never)),
      ],
    };
  if (x.playbook === 'ecs-task-compromise' && ctx.taskTwin) return { checks: [...checks, ...(await taskEndChecks(ctx, ctx.taskTwin, x))] };
  if (x.playbook === 'rds-compromise' && x.outcome === 'CONTAINED' && ctx.dbTwin)
    return { checks: [...checks, ...(await dbContainedChecks(session.env, ctx.dbTwin, x.caseId))] };
  // ec2-compromise chained by credential-compromise acts on the credential twin's instance, not on a twin world.
  if (x.playbook === 'ec2-compromise' && !twin && x.output?.incident && (x.output.incident as { chainedFrom?: string }).chainedFrom)
    return { checks };
  if (x.playbook === 'attack-sequence') {
    if (x.outcome === 'CONTAINED' && x.caseId) return { checks: [...checks, ...(await sequenceChainChecks(session, x))] };
    return { checks: x.status === 'DRY_RUN' ? [...checks, ...(await instanceEndChecks(ctx, x))] : checks };
  }
  if (x.outcome === 'CONTAINED' && twin && x.caseId) {
    const v = await verifyContainment(session.env, twin, x.caseId);
    return { checks: [...checks, ...v.checks], evidence: v.evidence };
  }
  return { checks: [...checks, ...(await instanceEndChecks(ctx, x))] };
}

/**
 * ecs-task-compromise on a twin task: contained, the task stopped with the evidence read back; failed part-way, the task
 * as the execution's own calls leave it (stopped by the case when a StopTask went through, else still running); not
 * contained (notify-only, denied, already handled, a dry run), the task still running.
 */
async function taskEndChecks(ctx: ReadBackContext, twin: TaskTwin, x: LocalExecutionResult): Promise<Check[]> {
  const env = ctx.session.env;
  if (x.outcome === 'CONTAINED' && x.caseId) return taskContainedChecks(env, twin, x.caseId);
  if (ENDED_FAILED.has(x.status)) {
    const stopped = x.calls.some((c) => c.operation === 'ECS.StopTask' && !c.error);
    return [stopped && x.caseId ? await taskStoppedCheck(env, twin, x.caseId) : await taskRunningCheck(env, twin)];
  }
  return [await taskRunningCheck(env, twin), ...(await instanceEndChecks(ctx, x))];
}

/**
 * cloudtrail-tamper contained: the caller's credentials revoked, and a stopped trail logging again. Restored only (route
 * `restore`, issue 14: a known automation principal, or an unknown change nobody answered): the caller left as it was.
 */
async function tamperContainedChecks(
  { session, apiCall, started, principalBefore }: ReadBackContext,
  x: LocalExecutionResult,
  credentialTwin: CredentialTwin,
): Promise<Check[]> {
  const restoredOnly = (x.output?.judgement as { route?: string } | undefined)?.route === 'restore';
  const after = restoredOnly ? await principalState(session, credentialTwin) : undefined;
  const checks = restoredOnly
    ? [{ name: 'actor-not-revoked', passed: after === principalBefore, details: `before ${principalBefore ?? '-'} after ${after}` }]
    : await verifyRevocationState(session.env, credentialTwin, started);
  const trail = (credentialTwin as ApiCallTwin).trailName;
  if (trail && apiCall?.detail.eventName === 'StopLogging') {
    const status = await session.env.member.cloudtrail.send(new GetTrailStatusCommand({ Name: trail }));
    checks.push({ name: 'trail-logging-again', passed: status.IsLogging === true, details: `${trail}: IsLogging=${status.IsLogging}` });
  }
  return checks;
}

/** credential-compromise (or an uncontained cloudtrail-tamper) on a twin principal: its state, its case, and a chained containment. */
async function credentialPlaybookChecks(ctx: ReadBackContext, x: LocalExecutionResult, credentialTwin: CredentialTwin): Promise<Check[]> {
  const { session, executions, started } = ctx;
  // A run started together with others (a concurrent repeat: countBefore is off) cannot compare the principal
  // before and after itself: the run that revokes changes it meanwhile. Its own calls still show it changed nothing.
  const checks = await credentialChecks(session, x, credentialTwin, ctx.countBefore === false ? undefined : ctx.principalBefore!, started);
  if (x.outcome === 'RESOURCE_GONE' && x.caseId) {
    checks.push(await caseResourceGone(session, x.caseId));
    if (x.playbook === 'credential-compromise' && credentialTwin.userName)
      checks.push(await userReallyGone(session, credentialTwin.userName));
  }
  const chained = x.output?.chained as { executionArn: string; instanceId: string } | undefined;
  if (chained) {
    const run = executions.find((c) => chained.executionArn.endsWith(`:${c.executionName}`));
    checks.push({
      name: 'chained-ec2-compromise-ran',
      passed: run?.status === 'SUCCEEDED' || run?.status === 'ALREADY_HANDLED',
      details: `${chained.executionArn}: ${run ? `${run.status} ${run.outcome ?? ''}` : 'not found'}`,
    });
    checks.push(await instanceIsolatedCheck(session.env.member.ec2, chained.instanceId));
  }
  return checks;
}

/** An execution that did not contain: a dry run changed nothing, a repeat created nothing, a notified or gone instance was left alone. */
async function instanceEndChecks({ session, twin, before }: ReadBackContext, x: LocalExecutionResult): Promise<Check[]> {
  if (x.status === 'DRY_RUN') {
    const mutating = x.calls.filter((c) => c.mutating);
    return [
      {
        name: 'dry-run-zero-mutating-calls',
        passed: mutating.length === 0,
        details: `${mutating.length} mutating of ${x.calls.length} call(s)${mutating.length ? `: ${mutating.map((c) => c.operation).join(', ')}` : ''}`,
      },
      ...(twin ? await verifyUntouched(session.env, twin) : []),
    ];
  }
  if (x.status === 'ALREADY_HANDLED' && before) {
    const after = await countCreatedResources(session.env);
    const diff = Object.keys(after).filter((k) => after[k] !== before[k]);
    // The ledger's timeline, a notification of a different finding attaching to the case, and Normalize storing the
    // event it received (S3 in the security account, received-events/) are not containment.
    const memberMutations = x.calls.filter(
      (c) =>
        c.mutating &&
        !c.operation.startsWith('DynamoDB.') &&
        c.operation !== 'SNS.Publish' &&
        !(c.operation === 'S3.PutObject' && c.account === session.env.securityAccount),
    );
    return [
      {
        name: 'repeat-created-nothing',
        passed: diff.length === 0,
        details: diff.length ? diff.map((k) => `${k} ${before[k]}→${after[k]}`).join(', ') : JSON.stringify(after),
      },
      {
        name: 'repeat-no-containment-calls',
        passed: memberMutations.length === 0,
        details: `${memberMutations.length} mutating call(s) outside the ledger and the notifications`,
      },
    ];
  }
  if ((x.outcome === 'NOTIFIED' || QUIET_OUTCOMES.includes(x.outcome ?? '')) && twin) return verifyUntouched(session.env, twin);
  if (x.outcome === 'RESOURCE_GONE' && x.caseId)
    return [await caseResourceGone(session, x.caseId), ...(twin ? [await instanceReallyGone(session, twin.instanceId)] : [])];
  return [];
}

/** The replay's JSON report (the contract of `firebreak replay --json`) from what ran and what was read back. */
function replayReport(r: {
  event: EventEnvelope;
  gd?: GuardDutyEvent;
  routing: { matched: string[] };
  idMap: Record<string, string>;
  executions: LocalExecutionResult[];
  evidence: EvidenceReadBack;
  checks: Check[];
  started: number;
  memberAccount: string;
}): ReplayReport {
  const { executions } = r;
  const calls: ApiCallRecord[] = executions.flatMap((x) => x.calls);
  const reportExecutions: ReportExecution[] = executions.map((x) => ({
    playbook: x.playbook,
    caseId: x.caseId,
    status: x.status === 'CRASHED' || x.status === 'TIMED_OUT' || x.status === 'ABORTED' ? 'FAILED' : x.status,
    outcome: x.outcome ?? (x.status === 'CRASHED' || x.status === 'TIMED_OUT' || x.status === 'ABORTED' ? x.status : 'FAILED'),
    durationMs: x.durationMs,
    startedAt: x.startedAt,
    stateTransitions: x.stateTransitions,
    steps: x.steps.map((s) => ({
      name: s.name,
      status: s.status,
      durationMs: s.durationMs,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      apiCalls: s.apiCalls,
      error: s.error,
    })),
    error: x.error,
    chainedFrom: (x.output?.incident as { chainedFrom?: string } | undefined)?.chainedFrom,
    plan: x.status === 'DRY_RUN' ? x.output?.plan : undefined,
    revocation: x.output?.revocation,
    decision: (x.output?.decision as { reason?: string } | undefined)?.reason,
  }));
  const firstStart = calls.length ? Math.min(...calls.map((c) => c.startedAt)) : 0;
  const isolationCalls = calls.filter((c) => c.operation === 'EC2.ModifyNetworkInterfaceAttribute');
  const lastIsolation = isolationCalls.length ? Math.max(...isolationCalls.map((c) => c.endedAt)) : undefined;
  return {
    event: eventSummary(r.event, r.gd),
    routing: { matched: r.routing.matched, playbooks: [...new Set(executions.map((x) => x.playbook))] },
    response: responseSummary(reportExecutions, r.routing.matched.includes(BELOW_FLOOR_RULE_NAME)),
    idMap: r.idMap,
    executions: reportExecutions,
    apiCalls: summarizeCalls(calls, r.memberAccount),
    evidence: r.evidence,
    checks: r.checks,
    metrics: {
      wallTimeMs: Date.now() - r.started,
      sequentialCallsToIsolation: sequentialCallsUntil(calls, isIsolationCall),
      isolationChain: criticalPathUntil(calls, isIsolationCall)?.map(chainLink),
      timeToIsolateMs: lastIsolation !== undefined && executions[0] ? lastIsolation - firstStart : undefined,
      sequentialCallsToRevocation: sequentialCallsUntil(calls, (c) => REVOKING.has(c.operation)),
      longestUntrackedMs: longestUntracked(executions),
    },
  };
}

/**
 * A notify-only case is a case a person sees: read back from the ledger (status NOTIFIED, a Notify entry
 * on its timeline) and from the notification queue (a `notify-only` message for the case that names the
 * runbook entry and the triage commands).
 */
async function caseNotifiedChecks(session: LocalSession, caseId: string, findingId?: string): Promise<CheckType[]> {
  const { item, timeline } = await readCaseRecord(session.env, caseId);
  // One notify-only message per finding of the case (a later finding that escalates the case and still is not contained is told too).
  const notes = (await readNotifications(session.env))
    .filter((n) => n.caseId === caseId && n.kind === 'notify-only')
    .filter(
      (n) =>
        findingId === undefined || (JSON.parse(n.body) as { incident?: { finding?: { id?: string } } }).incident?.finding?.id === findingId,
    );
  const body = notes[0] ? (JSON.parse(notes[0].body) as { runbookEntry?: string; triage?: string[]; summary?: string }) : undefined;
  return [
    {
      name: 'case-opened',
      passed: item?.status === 'NOTIFIED' && timeline.some((t) => t.step === 'Notify' && t.status === 'SUCCEEDED'),
      details: `case ${caseId}: status=${item?.status ?? 'missing'}, ${timeline.length} timeline entries`,
    },
    {
      name: 'case-notified',
      passed: notes.length === 1 && !!body?.summary && (body.triage ?? []).some((c) => c.startsWith(`firebreak cases show ${caseId}`)),
      details: notes.length
        ? `${notes.length} notify-only message(s) for finding ${findingId ?? '?'}; runbook entry ${body?.runbookEntry ?? '-'}; ${body?.triage?.length ?? 0} triage command(s)`
        : 'no notify-only message for the case',
    },
  ];
}

/** Reads the instance back: ResourceGone is only right when it is terminated or unknown. */
async function instanceReallyGone(session: LocalSession, instanceId: string): Promise<CheckType> {
  const out = await session.env.member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] })).catch(() => undefined);
  const state = out?.Reservations?.[0]?.Instances?.[0]?.State?.Name;
  return {
    name: 'instance-really-gone',
    passed: !state || state === 'terminated' || state === 'shutting-down',
    details: `state=${state ?? 'not found'}`,
  };
}

/** Reads the case back from the ledger: its status is RESOURCE_GONE. */
async function caseResourceGone(session: LocalSession, caseId: string): Promise<CheckType> {
  const record = (
    await session.env.security.ddb.send(new GetCommand({ TableName: session.env.ledgerTable, Key: { pk: `CASE#${caseId}`, sk: 'CASE' } }))
  ).Item;
  return { name: 'case-status-resource-gone', passed: record?.status === 'RESOURCE_GONE', details: `status=${record?.status}` };
}

/** Reads the IAM user back: for an IAM user's credential, ResourceGone is only right when the user itself is gone (a deleted key is not enough). */
async function userReallyGone(session: LocalSession, userName: string): Promise<CheckType> {
  const state = await session.env.member.iam.send(new GetUserCommand({ UserName: userName })).then(
    () => 'exists',
    (err: unknown) => {
      if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return 'not found';
      throw err;
    },
  );
  return { name: 'user-really-gone', passed: state === 'not found', details: `IAM user ${userName}: ${state}` };
}

/** Reads the role back: the scoped alternative's policy is there, exactly as Firebreak writes it, and no session revocation. */
async function vpcRestrictionCheck(session: LocalSession, roleName: string): Promise<CheckType> {
  const iam = session.env.member.iam;
  const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [];
  const doc = names.includes(ROLE_VPC_RESTRICTION_POLICY_NAME)
    ? JSON.stringify(
        parsePolicyDocument(
          (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_VPC_RESTRICTION_POLICY_NAME }))).PolicyDocument!,
        ),
      )
    : undefined;
  const passed = doc === policyText(roleVpcRestrictionPolicy()) && !names.includes(ROLE_SESSION_REVOCATION_POLICY_NAME);
  return { name: 'role-restricted-to-instance-vpc', passed, details: `inline policies: ${names.join(', ') || 'none'}` };
}

/** Reads the user's keys back: the revocation must list exactly the keys the user has (IDs and statuses), e.g. a key an attacker created. */
async function userKeysListedCheck(
  session: LocalSession,
  userName: string,
  listed: { accessKeyId: string; status: string }[] | undefined,
): Promise<CheckType> {
  const keys = (await session.env.member.iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [];
  const actual = keys
    .map((k) => `${k.AccessKeyId}:${k.Status}`)
    .sort()
    .join(',');
  const reported = (listed ?? [])
    .map((k) => `${k.accessKeyId}:${k.status}`)
    .sort()
    .join(',');
  return {
    name: 'revocation-lists-user-keys',
    passed: listed !== undefined && actual === reported,
    details: `listed ${reported || 'none'}; IAM has ${actual || 'none'}`,
  };
}

/** The calls after which a leaked credential is unusable. */
const REVOKING = new Set(['IAM.UpdateAccessKey', 'IAM.AttachUserPolicy', 'IAM.PutRolePolicy']);

/** Key statuses and inline policies of a credential twin, to tell whether a run changed anything. */
async function principalState(session: LocalSession, t: CredentialTwin): Promise<string> {
  const iam = session.env.member.iam;
  if (t.userName) {
    const gone = (err: unknown) => {
      if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return undefined;
      throw err;
    };
    const [keys, policies, attached] = await Promise.all([
      iam.send(new ListAccessKeysCommand({ UserName: t.userName })).catch(gone),
      iam.send(new ListUserPoliciesCommand({ UserName: t.userName })).catch(gone),
      iam.send(new ListAttachedUserPoliciesCommand({ UserName: t.userName })).catch(gone),
    ]);
    // A user deleted before the run (a drill's delete-resource iam-user) has no state to compare.
    if (!keys || !policies || !attached) return JSON.stringify({ user: 'not found' });
    return JSON.stringify({
      keys: (keys.AccessKeyMetadata ?? []).map((k) => `${k.AccessKeyId}:${k.Status}`).sort(),
      policies: (policies.PolicyNames ?? []).sort(),
      attached: (attached.AttachedPolicies ?? []).map((p) => p.PolicyArn!).sort(),
    });
  }
  if (t.roleName) {
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName: t.roleName }))).PolicyNames ?? [];
    const docs = await Promise.all(
      names.map((n) => iam.send(new GetRolePolicyCommand({ RoleName: t.roleName, PolicyName: n })).then((p) => `${n}:${p.PolicyDocument}`)),
    );
    return JSON.stringify(docs.sort());
  }
  return '';
}

async function credentialChecks(
  session: LocalSession,
  x: LocalExecutionResult,
  t: CredentialTwin,
  before: string | undefined,
  started: number,
): Promise<CheckType[]> {
  const after = await principalState(session, t);
  const memberMutations = x.calls.filter((c) => c.mutating && c.operation.startsWith('IAM.'));
  if (x.outcome === 'CONTAINED') {
    const revocation = (x.output?.revocation ?? {}) as { affected?: string; instanceId?: string; recommendation?: string; scope?: string };
    const checks =
      revocation.scope === 'restrict-to-vpc' && t.roleName
        ? [await vpcRestrictionCheck(session, t.roleName)]
        : await verifyRevocationState(session.env, t, started);
    if (x.playbook === 'credential-compromise' && t.userName)
      checks.push(
        await userKeysListedCheck(
          session,
          t.userName,
          (x.output?.revocation as { userKeys?: { accessKeyId: string; status: string }[] } | undefined)?.userKeys,
        ),
      );
    if (t.roleName)
      checks.push({
        name: 'report-says-all-sessions-affected',
        passed: /every session of role/.test(revocation.affected ?? ''),
        details: revocation.affected ?? '-',
      });
    if (t.instanceId)
      checks.push({
        name: 'report-names-the-instance',
        passed: revocation.instanceId === t.instanceId && /ec2-compromise/.test(revocation.recommendation ?? ''),
        details: `${revocation.instanceId ?? '-'}: ${revocation.recommendation ?? '-'}`,
      });
    return checks;
  }
  if (x.status === 'ALREADY_HANDLED' || x.outcome === 'NOTIFIED' || x.status === 'DRY_RUN') {
    return [
      ...(before === undefined
        ? []
        : [
            {
              name: 'principal-unchanged',
              passed: after === before,
              details: after === before ? 'no key status or policy changed' : `before ${before} after ${after}`,
            },
          ]),
      { name: 'no-iam-mutations', passed: memberMutations.length === 0, details: `${memberMutations.length} mutating IAM call(s)` },
    ];
  }
  return [];
}
