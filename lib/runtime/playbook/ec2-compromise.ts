import { DescribeInstancesCommand, DescribeNetworkInterfacesCommand, DescribeSecurityGroupsCommand, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { PublishCommand } from '@aws-sdk/client-sns';
import { z } from 'zod';
import { EvidenceIncomplete, InvalidInput } from '../../core/errors';
import { ensureInstancePreserved, PreservePriorState } from '../ec2/preserve';
import { ensureInstanceIsolated, IsolatePriorState, IsolateResult, resealUntrackedEnis } from '../ec2/isolate';
import { isolationGroupsDecisionKey, recordedIsolationGroups } from '../ec2/isolation-groups';
import { verifyInstanceIsolated } from '../ec2/verify';
import { checkSnapshotBatch, ensureSnapshotCopies, ensureSnapshotsShared, ensureVolumeSnapshots, evidenceDeadline, SnapshotBatch } from '../ec2/evidence';
import { DescribeKeyCommand } from '@aws-sdk/client-kms';
import { recordedSnapshots } from '../evidence/provenance';
import { evidenceLedgerOf } from './evidence-ledger';
import { PlannedAction } from '../ec2/instance';
import { caseEventOf, LinkedEvent, putArtifactOnce, readObject, readStoredEvent, sha256Hex, StoredArtifact, storeReceivedEvent, StoredEventRef } from '../evidence/vault';
import { buildManifest, caseEvidencePrefix, SnapshotEvidence, snapshotChain } from '../evidence/manifest';
import { normalizeEvent, NormalizedState } from '../../core/incident/normalize';
import type { Incident } from '../../core/incident/incident';
import { describeResource, triageCommands } from '../../core/incident/describe';
import type { CaseRecord, CaseStatus } from '../ledger/ledger';
import { CATALOG, NOTIFY_ONLY_PLAYBOOKS, TRIAGE_PLAYBOOK } from '../../core/catalog/catalog';
import type { ChainRequest } from './chain';
import { gameDayRefusal } from './gameday-guard';
import { StepDeps } from './deps';
import { planRevocation, REVOCABLE_USER_TYPES } from './credential-compromise';
import { planTamperResponse } from './cloudtrail-tamper';
import { protectedRoleReason } from '../iam/revoke';
import { recordReleaseFailure } from './release';
import { caseTarget, runStep } from './run-step';
import { snsSubject } from './sns-subject';
import { CheckSnapshotsInputSchema, CloseInputSchema, FailureInputSchema, NotifyInputSchema, PlaybookState, PreClaimState, StoredEventRefSchema } from '../../core/contracts/state';

/**
 * The steps of the `ec2-compromise` playbook (DESIGN.md §3). Each is a plain async function
 * `(input, deps)`; `lambdas/<step>/index.ts` wraps it in a middy handler. Every step that acts
 * records a timeline entry on the case through {@link runStep}.
 */

/** The runbook of an incident's playbook. */
export const runbookOf = (i: Pick<Incident, 'playbook'>) => `runbooks/${i.playbook}/runbook.md`;

const labelsOf = (state: PlaybookState) => ({ caseId: state.case.caseId, findingId: state.incident.finding.id });

/** Normalize's output: the state every later step starts from. */
export interface NormalizeOutput {
  /** The incident, bounded (`boundIncident`: at most 64 KiB of JSON whatever the event). */
  readonly incident: Incident;
  /** Where the event is stored (`$.event`), or `null`: see {@link normalizeFinding}. */
  readonly event: StoredEventRef | null;
  readonly run: NormalizedState['run'];
}

/**
 * Normalize: event → `{ incident, event, run }` ({@link normalizeEvent}), where `event` is a reference to the
 * event, stored once in the evidence bucket ({@link storeReceivedEvent}: content-addressed under
 * `received-events/<account>/`, SSE-KMS under the evidence key, Object Lock), never the event itself: an
 * EventBridge event may be nearly 256 KB ("Calculating Amazon EventBridge PutEvents event entry size",
 * EventBridge User Guide) and a Step Functions state at most 262,144 bytes ("Step Functions service
 * quotas"). Steps read it back by the reference (CollectArtifacts) or use what Normalize took from it
 * (the incident, e.g. the finding's ENI IDs).
 *
 * Nothing is stored, and `event` is `null`, for a start on a named resource (there is no event) and for a dry
 * run (a sample finding or `dryRun: true`): a dry run writes nothing anywhere, not only in the member account.
 * It opens no case the event would be evidence of, the evidence bucket's Object Lock would keep every sample
 * GuardDuty generates (one per finding type at a time) undeletable for the retention period, and its plan
 * needs nothing but the incident.
 * @throws {InvalidInput} on a malformed event (nothing is stored).
 */
export async function normalizeFinding(
  input: { input: unknown; executionName: string; executionStartTime: string; playbook?: Incident['playbook'] },
  deps: Pick<StepDeps, 'config' | 'clients'>,
): Promise<NormalizeOutput> {
  const { incident, event, run } = normalizeEvent(input, deps.config.catalog);
  const named = !!event && typeof event === 'object' && 'target' in event && !('detail' in event);
  const stored = incident.dryRun || named
    ? null
    : await storeReceivedEvent(
      { bucket: deps.config.evidenceBucket, kmsKeyId: deps.config.evidenceKeyArn, account: incident.account, event },
      { s3: deps.clients.security().s3 },
    );
  return { incident, event: stored, run };
}

/** The ENI IDs the finding named, as Normalize read them (empty for a start on a named instance). */
export const findingEniIds = (i: Incident): string[] => (i.resource.type === 'Instance' ? [...(i.resource.networkInterfaceIds ?? [])] : []);

/**
 * Claim: one case per (playbook, account, region, instance), by DynamoDB conditional write. A dry
 * run claims nothing and writes nothing.
 * @returns `{ caseId, status }` for `$.case`.
 */
export async function claimCase(state: PreClaimState, deps: StepDeps): Promise<{ caseId: string; status: 'CLAIMED' | 'RESUMED' | 'ALREADY_HANDLED' | 'DRY_RUN' }> {
  if (state.incident.dryRun) return { caseId: `dry-run-${state.incident.finding.id}`, status: 'DRY_RUN' };
  const claim = await deps.ledger.claim(state.incident, state.run.executionName, deps.config.claimLeaseSeconds);
  // The stored event is evidence of the case it reached (also when it attaches to an open case).
  if (state.event) {
    const link: LinkedEvent = { ...state.event, findingId: state.incident.finding.id, linkedAt: deps.now().toISOString() };
    await deps.ledger.linkEvent(claim.caseId, link);
  }
  if (claim.status !== 'ALREADY_HANDLED') {
    await deps.ledger.appendTimeline(claim.caseId, {
      at: deps.now().toISOString(), step: 'Claim', status: 'SUCCEEDED', executionName: state.run.executionName, trigger: state.incident.trigger,
      details: { outcome: claim.status, findingId: state.incident.finding.id, findingType: state.incident.finding.type, severity: state.incident.finding.severity, eventId: state.incident.eventId },
    });
  } else {
    await notifyAttachedFinding(state, claim.caseId, deps);
  }
  return { caseId: claim.caseId, status: claim.status };
}

/** The ledger key that records that a finding of a case was told to a person (by any notification). */
const findingNoticeKey = (findingId: string) => `finding#${findingId}`;

/**
 * Never silent: a finding that attaches to an open case without running the playbook again (a different
 * finding about the same resource: a Medium finding on an instance whose case is notify-only, a second
 * finding while the first is contained or in progress) is told to a person once, as an `attached`
 * notification on the case. Repeats of a finding the case already told about (GuardDuty raising
 * `service.count`), starts by hand and chained starts publish nothing. At least once: published, then
 * recorded in the ledger; a retry after a crash in between publishes again.
 */
async function notifyAttachedFinding(state: PreClaimState, caseId: string, deps: StepDeps): Promise<void> {
  const i = state.incident;
  if (i.finding.id.startsWith('manual/')) return;
  const record = await deps.ledger.getCase(caseId);
  if (!record || record.incident.finding.id === i.finding.id || record.notifications?.[findingNoticeKey(i.finding.id)]) return;
  const summary = `${foundLine(i)}: attached to open case ${caseId} (${record.status}); the playbook did not run again for it. `
    + `${i.triage && !i.triage.containable ? i.triage.why : 'Review it with the case.'}`;
  await deps.clients.security().sns.send(new PublishCommand({
    TopicArn: deps.config.topicArn,
    Subject: subject('attached', i, caseId),
    Message: JSON.stringify({
      kind: 'attached', caseId, caseStatus: record.status, summary, resource: describeResource(i),
      runbook: runbookOf(i), runbookEntry: i.triage?.runbook, triage: triageCommands(i, caseId), incident: i,
    }, null, 2),
    MessageAttributes: { caseId: { DataType: 'String', StringValue: caseId }, kind: { DataType: 'String', StringValue: 'attached' } },
  }));
  await deps.ledger.markNotified(caseId, findingNoticeKey(i.finding.id));
  await deps.ledger.appendTimeline(caseId, {
    at: deps.now().toISOString(), step: 'Claim', status: 'INFO', executionName: state.run.executionName, trigger: i.trigger,
    details: { notified: 'attached', findingId: i.finding.id, findingType: i.finding.type, severity: i.finding.severity },
  });
}

/** The decision Decide makes. */
export interface Decision {
  readonly action: 'contain' | 'approval' | 'notify' | 'dryRun';
  readonly reason: string;
  readonly entryId?: string;
  /** Set with `contain` when the catalog entry chains into ec2-compromise (credential-compromise). */
  readonly chain?: ChainRequest;
}

/**
 * Decide: dry run (sample findings and `dryRun: true`), automatic containment (catalog mode
 * `auto`, or an engineer's manual start), or notify-only (catalog mode `notify`, or no entry).
 */
export async function decideResponse(state: PlaybookState, deps?: Pick<StepDeps, 'config' | 'clients'>): Promise<Decision> {
  const i = state.incident;
  if (i.trigger === 'gameday' && !i.dryRun) {
    if (!deps) throw new InvalidInput('a game-day event needs the member account to check its target\'s game-day tag');
    const refusal = await gameDayRefusal(i, deps);
    if (refusal) return { action: 'notify', reason: `refused: ${refusal}; nothing is contained`, entryId: i.catalogEntryId };
  }
  const decision = decide(state);
  if (decision.action !== 'contain' || i.resource.type !== 'AccessKey' || !i.resource.instanceId) return decision;
  const entry = (deps?.config.catalog ?? CATALOG).find((e) => e.id === i.catalogEntryId);
  if (entry?.kind !== 'guardduty-finding' || !entry.chainInstanceContainment) return decision;
  return { ...decision, chain: { playbook: 'ec2-compromise', instanceId: i.resource.instanceId } };
}

function decide(state: PlaybookState): Decision {
  const i = state.incident;
  if (i.dryRun) return { action: 'dryRun', reason: i.sample ? 'sample finding (CreateSampleFindings): dry run' : 'dry run requested', entryId: i.catalogEntryId };
  if (i.playbook === 'root-activity') {
    return { action: 'notify', reason: 'root activity: nothing can be revoked automatically; notify-only case, see runbooks/root-activity/runbook.md', entryId: i.catalogEntryId };
  }
  if (i.playbook === TRIAGE_PLAYBOOK) {
    return { action: 'notify', reason: i.triage?.why ?? 'no containment exists for this resource: notify-only case', entryId: i.catalogEntryId };
  }
  if (i.resource.type === 'ApiCall' && i.resource.errorCode) {
    return { action: 'notify', reason: `the call failed (${i.resource.errorCode}): it changed nothing, so nothing is contained`, entryId: i.catalogEntryId };
  }
  if (i.resource.type === 'AccessKey' && !REVOCABLE_USER_TYPES.includes(i.resource.userType)) {
    return { action: 'notify', reason: `${i.resource.userType} credentials cannot be revoked automatically: notify-only case, see runbooks/credential-compromise/runbook.md`, entryId: i.catalogEntryId };
  }
  if (i.resource.type === 'AccessKey' && i.resource.userType === 'AssumedRole') {
    const reason = protectedRoleReason(i.resource.userName ?? '');
    if (reason) return { action: 'notify', reason: `${reason}: Firebreak never touches it; notify-only case`, entryId: i.catalogEntryId };
  }
  if (i.chainedFrom) return { action: 'contain', reason: `chained from case ${i.chainedFrom}: its catalog entry sets chainInstanceContainment`, entryId: i.catalogEntryId };
  if (i.trigger === 'manual') return { action: 'contain', reason: `started by hand${i.operator ? ` by ${i.operator}` : ''}${i.reason ? `: ${i.reason}` : ''}`, entryId: i.catalogEntryId };
  if (i.mode === 'auto') return { action: 'contain', reason: `catalog entry ${i.catalogEntryId}: automatic containment at severity ${i.finding.severity}`, entryId: i.catalogEntryId };
  if (i.mode === 'approval') return { action: 'approval', reason: `catalog entry ${i.catalogEntryId}: containment waits for approval at severity ${i.finding.severity}`, entryId: i.catalogEntryId };
  if (i.mode === 'notify') {
    // The finding-type table says the resource is not compromised (a victim, an exposure, an unknown type), or the band is notify-only.
    const reason = i.triage && !i.triage.containable ? i.triage.why : `catalog entry ${i.catalogEntryId}: notify only at severity ${i.finding.severity}`;
    return { action: 'notify', reason, entryId: i.catalogEntryId };
  }
  return { action: 'notify', reason: `no catalog entry covers ${i.finding.type} (resource ${i.finding.resourceType ?? '?'}, severity ${i.finding.severity}): below the severity floor; notify-only case` };
}

/** PlanDryRun: what containment would do, from Describe calls only (zero mutating calls). */
export async function planContainment(state: PlaybookState, deps: StepDeps): Promise<{ sample: boolean; actions: PlannedAction[]; affected?: string }> {
  if (state.incident.playbook === 'credential-compromise') return planRevocation(state, deps);
  if (state.incident.playbook === 'cloudtrail-tamper') return planTamperResponse(state, deps);
  // Notify-only playbooks would change nothing: their plan is empty.
  if (NOTIFY_ONLY_PLAYBOOKS.includes(state.incident.playbook)) return { sample: state.incident.sample, actions: [] };
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const instanceId = state.incident.resource.id;
  const actions: PlannedAction[] = [];
  if (state.incident.sample) {
    // Sample findings carry placeholder IDs (i-99999999): never send them to AWS at all.
    actions.push(
      { operation: 'EC2.ModifyInstanceAttribute', target: instanceId, change: 'termination protection, shutdown=stop, DeleteOnTermination=false' },
      { operation: 'EC2.ModifyNetworkInterfaceAttribute', target: instanceId, change: 'every ENI → untrack group → isolation group' },
      { operation: 'EC2.CreateSnapshots', target: instanceId, change: 'snapshot every volume, copy into the security account' },
    );
    return { sample: true, actions };
  }
  const preserve = await ensureInstancePreserved({ instanceId, mode: 'plan' }, member);
  const isolate = await ensureInstanceIsolated({ instanceId, caseId: state.case.caseId, mode: 'plan' }, { ec2: member.ec2 });
  const snaps = await ensureVolumeSnapshots(
    { instanceId, labels: labelsOf(state), ownerAccount: member.accountId, deadline: evidenceDeadline(deps.now(), deps.config.evidenceDeadlineSeconds), mode: 'plan' },
    { ec2: member.ec2 },
  );
  actions.push(...preserve.actions, ...isolate.actions, ...snaps.actions);
  actions.push({ operation: 'EC2.CopySnapshot', target: member.accountId, change: `copy each snapshot under the transit key, share with ${deps.config.securityAccountId}, copy under the evidence key` });
  actions.push({ operation: 'S3.PutObject', target: deps.config.evidenceBucket, change: 'instance metadata, ENIs, SGs, console output, finding, manifest' });
  return { sample: false, actions };
}

/** Preserve: termination protection, shutdown=stop, volumes kept, ASG detach, target groups. */
export async function preserveInstance(state: PlaybookState, deps: StepDeps) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  return runStep('Preserve', caseTarget(state, deps.ledger), () =>
    ensureInstancePreserved(
      { instanceId: state.incident.resource.id, mode: 'apply', notFoundGraceSeconds: deps.config.notFoundGraceSeconds },
      { ...member, recordPriorState: (v: PreservePriorState) => deps.ledger.recordPriorState(state.case.caseId, 'preserve', v) },
    ),
  );
}


/**
 * Isolate: every ENI (the instance's, those attached to it, those the finding names) through the untrack
 * group to the isolation group; EIPs, profile, tags. The groups are recorded on the case before any move.
 */
export async function isolateInstance(state: PlaybookState, deps: StepDeps) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const caseId = state.case.caseId;
  const known = recordedIsolationGroups((await deps.ledger.getCase(caseId))?.decisions).flatMap((g) => [g.isolationGroupId, g.untrackGroupId]);
  return runStep('Isolate', caseTarget(state, deps.ledger), () =>
    ensureInstanceIsolated(
      { instanceId: state.incident.resource.id, caseId, mode: 'apply', findingEniIds: findingEniIds(state.incident), notFoundGraceSeconds: deps.config.notFoundGraceSeconds },
      {
        ec2: member.ec2,
        knownFirebreakGroupIds: known,
        recordPriorState: (v: IsolatePriorState) => deps.ledger.recordPriorState(caseId, 'isolate', v),
        recordGroups: async (groups) => {
          await Promise.all(groups.map((g) => deps.ledger.recordDecision(caseId, isolationGroupsDecisionKey(g), g)));
        },
      },
    ),
  );
}

/** VerifyIsolation: read back from two sides against the groups Isolate used; fails loudly with VerificationFailed. */
export async function verifyIsolation(state: PlaybookState, deps: StepDeps) {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const isolate = state.isolate as Pick<IsolateResult, 'groups'> | undefined;
  if (!isolate?.groups) throw new InvalidInput('isolate is missing from the playbook state');
  return runStep('VerifyIsolation', caseTarget(state, deps.ledger), () =>
    verifyInstanceIsolated(
      { instanceId: state.incident.resource.id, groups: isolate.groups, findingEniIds: findingEniIds(state.incident), notFoundGraceSeconds: deps.config.notFoundGraceSeconds },
      { ec2: member.ec2 },
    ),
  );
}

/**
 * Moves every ENI of a case's instance that is on one of the case's recorded untrack groups onto its VPC's
 * isolation group ({@link resealUntrackedEnis}); the ENIs looked at are those attached to the instance, those
 * recorded in the prior state, and those the finding names. A case that recorded no group touches nothing.
 * @returns what was moved and what is still open.
 */
export async function resealCaseNetwork(record: CaseRecord | undefined, incident: Incident, findingEniIds: readonly string[], deps: StepDeps) {
  const recorded = recordedIsolationGroups(record?.decisions);
  if (!recorded.length) return { moved: [], stillOpen: [], checked: 0 };
  const prior = (record?.priorState as { isolate?: IsolatePriorState } | undefined)?.isolate;
  const member = deps.clients.member(incident.account, incident.region);
  return resealUntrackedEnis(
    { instanceId: incident.resource.id, recorded, knownEniIds: [...Object.keys(prior?.securityGroupsByEni ?? {}), ...findingEniIds] },
    { ec2: member.ec2 },
  );
}

/**
 * ResealIsolation, on the failure path of Isolate and VerifyIsolation: every ENI left on an untrack group
 * the case recorded goes onto its VPC's isolation group before the failure is recorded, so that no exit
 * leaves an ENI on the allow-all group ({@link resealCaseNetwork}). A dry run, or a case that recorded
 * no group, touches nothing.
 */
export async function resealIsolation(state: PlaybookState, deps: StepDeps) {
  if (state.incident.dryRun || !state.case || state.case.status === 'DRY_RUN' || state.case.status === 'ALREADY_HANDLED') {
    return { moved: [], stillOpen: [], checked: 0 };
  }
  const record = await deps.ledger.getCase(state.case.caseId);
  return runStep('ResealIsolation', caseTarget(state, deps.ledger), () =>
    resealCaseNetwork(record, state.incident, findingEniIds(state.incident), deps));
}

/** The case decision that holds an execution's evidence deadline (`decisions.<key>`). */
export const evidenceDeadlineKey = (executionName: string) => `evidenceDeadline#${executionName}`;

/**
 * SnapshotVolumes: CreateSnapshots of every volume the case recorded, each snapshot recorded on the case by the
 * ID the call returned, provenance-checked on a re-run (issue 11: never found by tags alone;
 * {@link ensureVolumeSnapshots}). It sets the execution's
 * one evidence deadline: `evidenceDeadlineSeconds` after the first SnapshotVolumes of the execution, recorded
 * on the case once (`decisions.evidenceDeadline#<execution>`, so a retry of this step keeps it) and carried
 * in the batch; CopySnapshots and ShareAndCopySnapshots inherit it, so the three Wait-loops together end by
 * it (issue 10: three stage deadlines of 2 h each would reach the 6 h execution timeout). A later execution
 * that resumes the case (crash, failure) starts its own.
 * @returns the batch.
 */
export async function snapshotVolumes(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const out = await runStep('SnapshotVolumes', caseTarget(state, deps.ledger), async () => {
    const deadline = await deps.ledger.recordDecision(
      state.case.caseId, evidenceDeadlineKey(state.run.executionName), evidenceDeadline(deps.now(), deps.config.evidenceDeadlineSeconds),
    );
    return ensureVolumeSnapshots(
      { instanceId: state.incident.resource.id, labels: labelsOf(state), ownerAccount: member.accountId, deadline, mode: 'apply', notFoundGraceSeconds: deps.config.notFoundGraceSeconds },
      { ec2: member.ec2, ledger: await evidenceLedgerOf(state.case.caseId, state.run.executionName, deps), now: deps.now },
    );
  });
  return out.batch;
}

/** One poll of a Wait-loop (CheckSnapshots, CheckMemberCopies, CheckSecurityCopies). */
export async function checkSnapshots(input: z.infer<typeof CheckSnapshotsInputSchema>, deps: StepDeps) {
  const ec2 = input.owner === 'security' ? deps.clients.security().ec2 : deps.clients.member(input.incident.account, input.incident.region).ec2;
  // Polls are not put on the timeline one by one: the loop's result is, by the step after it. Every poll
  // checks the batch against the case's records (issue 11).
  const record = await deps.ledger.getCase(input.case.caseId);
  if (!record) throw new InvalidInput(`Case ${input.case.caseId} does not exist`);
  return checkSnapshotBatch({ batch: input.batch, now: deps.now(), recorded: recordedSnapshots(record.evidence), caseCreatedAt: record.createdAt }, { ec2 });
}

function requireBatch(batch: SnapshotBatch | undefined, name: string): SnapshotBatch {
  if (!batch) throw new InvalidInput(`${name} is missing from the playbook state`);
  return batch;
}

/**
 * CopySnapshots: re-encrypt each recorded member snapshot under the member's transit key (shareable); the copies
 * keep the snapshots' deadline. The transit alias is resolved to its key ARN first (KMS DescribeKey: "KeyId"
 * accepts an alias ARN, AWS KMS API reference), and the copy is made under that ARN, which is what
 * DescribeSnapshots reports as its `KmsKeyId` and what its provenance is checked against.
 */
export async function copySnapshots(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const source = requireBatch(state.snapshots, 'snapshots');
  const i = state.incident;
  const out = await runStep('CopySnapshots', caseTarget(state, deps.ledger), async () => {
    const alias = `arn:${i.partition}:kms:${i.region}:${i.account}:${deps.config.transitKeyAlias}`;
    const key = (await member.kms.send(new DescribeKeyCommand({ KeyId: alias }))).KeyMetadata?.Arn;
    if (!key) throw new EvidenceIncomplete(`The transit key ${alias} has no ARN`);
    return ensureSnapshotCopies(
      { source, labels: labelsOf(state), stage: 'transit', region: i.region, ownerAccount: member.accountId, kmsKeyId: key, mode: 'apply' },
      { ec2: member.ec2, ledger: await evidenceLedgerOf(state.case.caseId, state.run.executionName, deps), now: deps.now },
    );
  });
  return out.batch;
}

/**
 * ShareAndCopySnapshots: share the recorded transit copies with the security account, copy them there under its
 * key; the copies keep the same deadline.
 */
export async function shareSnapshots(state: PlaybookState, deps: StepDeps): Promise<SnapshotBatch> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const security = deps.clients.security();
  const carried = requireBatch(state.memberCopies, 'memberCopies');
  const out = await runStep('ShareAndCopySnapshots', caseTarget(state, deps.ledger), async () => {
    const ledger = await evidenceLedgerOf(state.case.caseId, state.run.executionName, deps);
    // What is shared is what the case recorded for the transit stage, not what the state carried.
    const transit: SnapshotBatch = {
      ...carried,
      snapshotIds: carried.sourceVolumeIds.map((v) => {
        const r = ledger.recorded.find((x) => x.stage === 'transit' && x.volumeId === v);
        if (!r) throw new EvidenceIncomplete(`Case ${state.case.caseId} recorded no transit copy of ${v}`);
        return r.snapshotId;
      }),
    };
    const shared = await ensureSnapshotsShared({ batch: transit, accountId: security.accountId, mode: 'apply' }, { ec2: member.ec2 });
    const copies = await ensureSnapshotCopies(
      {
        source: transit, labels: labelsOf(state), stage: 'evidence', region: state.incident.region, ownerAccount: security.accountId,
        kmsKeyId: deps.config.evidenceKeyArn, mode: 'apply',
      },
      { ec2: security.ec2, ledger, now: deps.now },
    );
    return { ...copies, actions: [...shared, ...copies.actions] };
  });
  return out.batch;
}

/** CollectArtifacts: finding, instance metadata, ENIs, original SGs, console output, prior state → evidence bucket. */
export async function collectArtifacts(state: PlaybookState, deps: StepDeps): Promise<{ artifacts: StoredArtifact[] }> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const { s3 } = deps.clients.security();
  const i = state.incident;
  return runStep('CollectArtifacts', caseTarget(state, deps.ledger), async () => {
    const record = await deps.ledger.getCase(state.case.caseId);
    const prior = (record?.priorState ?? {}) as { isolate?: IsolatePriorState; preserve?: PreservePriorState };
    const priorGroups = [...new Set(Object.values(prior.isolate?.securityGroupsByEni ?? {}).flat())];
    const [instances, enis, sgs, consoleOutput] = await Promise.all([
      member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [i.resource.id] })),
      member.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [i.resource.id] }] })),
      priorGroups.length ? member.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: priorGroups })) : Promise.resolve({ SecurityGroups: [] }),
      member.ec2.send(new GetConsoleOutputCommand({ InstanceId: i.resource.id })),
    ]);
    const prefix = `${caseEvidencePrefix(i.account, state.case.caseId)}artifacts/`;
    // The event, byte for byte as Normalize stored it (checked against its SHA-256 on the way): this execution's,
    // else the one that opened the case (a start on a named instance resuming it); a case with none says so.
    const event = state.event ?? caseEventOf((await deps.ledger.linkedEvents(state.case.caseId)) as unknown as LinkedEvent[], record?.incident.finding.id ?? i.finding.id);
    const finding = event
      ? (await readStoredEvent(event, { s3 })).bytes.toString('utf8')
      : `${JSON.stringify({ event: null, why: 'started on a named resource: there is no event', trigger: i.trigger, operator: i.operator, reason: i.reason, resource: i.resource }, null, 2)}\n`;
    const docs: Record<string, unknown> = {
      'instance.json': instances.Reservations?.[0]?.Instances?.[0] ?? null,
      'network-interfaces.json': enis.NetworkInterfaces ?? [],
      'security-groups-before-isolation.json': sgs.SecurityGroups ?? [],
      'console-output.json': {
        instanceId: i.resource.id, timestamp: consoleOutput.Timestamp,
        output: consoleOutput.Output ? Buffer.from(consoleOutput.Output, "base64").toString("utf8") : null,
      },
      'prior-state.json': prior,
    };
    const bodies: [string, string][] = [['finding.json', finding], ...Object.entries(docs).map(([name, doc]): [string, string] => [name, `${JSON.stringify(doc, null, 2)}\n`])];
    const artifacts = await Promise.all(
      bodies.map(([name, body]) =>
        putArtifactOnce({ bucket: deps.config.evidenceBucket, key: prefix + name, name, body, kmsKeyId: deps.config.evidenceKeyArn }, { s3 }),
      ),
    );
    return { artifacts };
  });
}

/** WriteManifest: SHA-256 of every artifact and the snapshot chain → manifest.json, recorded in the ledger. */
export async function writeManifest(state: PlaybookState, deps: StepDeps): Promise<{ bucket: string; key: string; sha256: string; versionId?: string }> {
  const { s3 } = deps.clients.security();
  const i = state.incident;
  const artifacts = (state.artifacts as { artifacts?: StoredArtifact[] } | undefined)?.artifacts;
  if (!artifacts) throw new InvalidInput('artifacts are missing from the playbook state');
  const final = requireBatch(state.securityCopies, 'securityCopies');
  return runStep('WriteManifest', caseTarget(state, deps.ledger), async () => {
    // The snapshot chain is the case's record (issue 11), never the tags on snapshots.
    const record = await deps.ledger.getCase(state.case.caseId);
    if (!record) throw new InvalidInput(`Case ${state.case.caseId} does not exist`);
    const snapshots: SnapshotEvidence[] = snapshotChain(recordedSnapshots(record.evidence), final.sourceVolumeIds, state.case.caseId);
    const { text } = buildManifest({
      caseId: state.case.caseId, playbook: i.playbook, account: i.account, region: i.region, resourceId: i.resource.id,
      finding: { id: i.finding.id, type: i.finding.type, severity: i.finding.severity }, createdAt: deps.now().toISOString(), artifacts, snapshots,
    });
    // A re-run may have replaced a recorded snapshot (deleted, failing provenance) after an earlier run wrote
    // manifest.json (and maybe crashed before recording it): that manifest names the old chain, so a new one is
    // written beside it, named by the chain it names, and the case points at it; the old one stays, superseded.
    const chainOf = (list: readonly SnapshotEvidence[]) => list.map((x) => [x.sourceVolumeId, x.memberSnapshotId, x.transitSnapshotId, x.snapshotId].join('/')).join(',');
    const prefix = caseEvidencePrefix(i.account, state.case.caseId);
    const put = (name: string) => putArtifactOnce({ bucket: deps.config.evidenceBucket, key: `${prefix}${name}`, name, body: text, kmsKeyId: deps.config.evidenceKeyArn }, { s3 });
    let stored = await put('manifest.json');
    if (stored.sha256 !== sha256Hex(text)) {
      const earlier = JSON.parse((await readObject(stored.bucket, stored.key, { s3 })).toString('utf8')) as { snapshots?: SnapshotEvidence[] };
      if (chainOf(earlier.snapshots ?? []) !== chainOf(snapshots)) stored = await put(`manifest-${sha256Hex(chainOf(snapshots)).slice(0, 16)}.json`);
    }
    const manifest = { bucket: stored.bucket, key: stored.key, sha256: stored.sha256, versionId: stored.versionId };
    const previous = record.evidence?.manifest as typeof manifest | undefined;
    if (previous && previous.key !== manifest.key) return deps.ledger.supersedeManifest(state.case.caseId, previous, { manifest, snapshots });
    return deps.ledger.recordManifest(state.case.caseId, manifest, snapshots);
  });
}

/** Notify: publish the case summary to SNS once per case and kind (at least once, deduplicated by the ledger). */
export async function notify(input: z.infer<typeof NotifyInputSchema>, deps: StepDeps): Promise<{ published: boolean; messageId?: string }> {
  const state = input.state;
  return runStep('Notify', caseTarget(state, deps.ledger), async () => {
    const record = await deps.ledger.getCase(state.case.caseId);
    // `contained` is told once per case; `notify-only` once per finding (a later finding that escalates a
    // notify-only case and still cannot be contained, e.g. root credentials at High, is told too).
    const key = input.kind === 'notify-only' ? `${input.kind}#${state.incident.finding.id}` : input.kind;
    if (record?.notifications?.[key]) return { published: false };
    const out = await deps.clients.security().sns.send(new PublishCommand({
      TopicArn: deps.config.topicArn,
      Subject: subject(input.kind, state.incident, state.case.caseId),
      Message: JSON.stringify({
        kind: input.kind, caseId: state.case.caseId,
        summary: summaryOf(state.incident, input.kind, (state.decision as { reason?: string } | undefined)?.reason),
        resource: describeResource(state.incident),
        runbook: runbookOf(state.incident), runbookEntry: state.incident.triage?.runbook,
        triage: triageCommands(state.incident, state.case.caseId),
        incident: state.incident, revocation: state.revocation,
        evidence: record?.evidence ?? {}, priorState: record?.priorState ?? {},
      }, null, 2),
      MessageAttributes: { caseId: { DataType: 'String', StringValue: state.case.caseId }, kind: { DataType: 'String', StringValue: input.kind } },
    }));
    await deps.ledger.markNotified(state.case.caseId, key);
    await deps.ledger.markNotified(state.case.caseId, findingNoticeKey(state.incident.finding.id));
    return { published: true, messageId: out.MessageId };
  });
}

/** The SNS subject of a notification about a case: the case ID first, then {@link snsSubject}'s rule (printable ASCII, under 100 characters). */
export function subject(kind: string, i: Incident, caseId: string): string {
  const what = { contained: 'contained', 'notify-only': 'needs review', failed: 'containment FAILED', 'resource-gone': 'resource gone', attached: 'new finding' }[kind] ?? kind;
  // The case ID first, so that it survives the cut (snsSubject: printable ASCII, under 100 characters).
  return snsSubject(`[Firebreak] ${caseId} ${what}: ${describeResource(i)} (${i.finding.type}, sev ${i.finding.severity})`);
}

/** What was found, on what, where. */
function foundLine(i: Incident): string {
  return `${i.finding.title ?? i.finding.type} (${i.finding.type}, severity ${i.finding.severity ?? '-'}) on ${describeResource(i)} in ${i.account}/${i.region}`;
}

/** The notification's first line: what was found, on what, and what Firebreak did. */
function summaryOf(i: Incident, kind: string, reason?: string): string {
  return `${foundLine(i)}: ${kind === 'contained' ? 'contained' : `case opened, nothing contained${reason ? `: ${reason}` : ''}`}`;
}

/** CloseCase / CloseNotified: sets the final case status. */
export async function closeCase(input: z.infer<typeof CloseInputSchema>, deps: StepDeps): Promise<{ caseId: string; status: CaseStatus }> {
  const state = input.state;
  return runStep('CloseCase', caseTarget(state, deps.ledger), async () => {
    await deps.ledger.finish(state.case.caseId, input.outcome, undefined, state.run.executionName);
    return { caseId: state.case.caseId, status: input.outcome };
  });
}

/**
 * What identifies an event that Normalize refused (the state is still the execution's input, or a start
 * envelope around it): the EventBridge ID and source, and for a GuardDuty finding its ID, type, account,
 * region, severity and resource type. Strings are cut to 256 characters; nothing is trusted or acted on.
 */
function rawEventIdentity(state: Record<string, unknown>): Record<string, string | number | undefined> {
  const envelope = (state.firebreak && typeof state.event === 'object' ? state.event : state) as Record<string, unknown> | undefined;
  const detail = (envelope?.detail ?? {}) as Record<string, unknown>;
  const resource = (detail.resource ?? {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.slice(0, 256) : undefined);
  return {
    eventId: str(envelope?.id), source: str(envelope?.source), detailType: str(envelope?.['detail-type']),
    findingId: str(detail.id), type: str(detail.type) ?? str(detail.eventName), account: str(detail.accountId) ?? str(detail.recipientAccountId) ?? str(envelope?.account),
    region: str(detail.region) ?? str(detail.awsRegion), severity: typeof detail.severity === 'number' ? detail.severity : undefined, resourceType: str(resource.resourceType),
  };
}

/** ResealIsolation's result on a failed state, with a warning a person cannot miss when an ENI is still open. */
export function networkAfterFailure(state: Record<string, unknown>): Record<string, unknown> | undefined {
  const reseal = state.reseal as { moved?: string[]; stillOpen?: { networkInterfaceId: string; error: string }[] } | undefined;
  const resealError = state.resealError as { Error?: string; Cause?: string } | undefined;
  if (!reseal && !resealError) return undefined;
  const open = reseal?.stillOpen ?? [];
  return {
    ...reseal,
    ...(resealError ? { resealError: { name: resealError.Error, message: (resealError.Cause ?? '').slice(0, 2000) } } : {}),
    ...(open.length || resealError
      ? { warning: `ENIs may still be on Firebreak's allow-all untrack group${open.length ? ` (${open.map((o) => o.networkInterfaceId).join(', ')})` : ''}: move each onto the isolation group by hand now (runbooks/ec2-compromise/runbook.md)` }
      : {}),
  };
}

/** The ledger key that records that a person was told an execution failed (RecordFailure or {@link closeOrphanedCase}). */
export const failedNoticeKey = (executionName: string) => `failed#${executionName}`;

/**
 * RecordFailure / RecordResourceGone: marks the case `FAILED` (resumable at once by a later execution: the
 * claim stops blocking) or `RESOURCE_GONE` (final), puts the error on the timeline and notifies. A dry run
 * records nothing. A release execution's failure is recorded by {@link recordReleaseFailure} instead.
 *
 * The case is the one on the state or, when the state has none because Claim failed (issue 11: under
 * transient faults Claim can fail for good, and the failure must still reach a case a person is told of),
 * {@link CaseLedger.failedCaseFor}: the case whose claim this execution holds (Claim wrote it, then failed or
 * timed out: it is finished too, so the next finding about the resource claims and contains at once instead of
 * being `ALREADY_HANDLED` for the rest of a dead execution's lease, issue 10), or, when the resource has no
 * claim, a new case written FAILED with its claim (never IN_PROGRESS, so it blocks no one). A claim held by
 * another execution or a finished case is left alone and named in the notification (`openCase`). A game-day
 * event never opens a case here (it is not a finding, and it may have failed before GameDayGuard checked its
 * target): it finds only the claim it holds, and is told without a case otherwise.
 *
 * Safe to run again (the recorder's Retry, {@link RECORD_FAILURE_RETRY} in lib/infra/playbook-states.ts): the
 * case is found again, and the `failed` notification is published once per execution (`failed#<execution>`
 * recorded after the publish; a retry after a crash in between publishes again: at least once).
 * @throws {Error} the SDK's errors (mapped to Throttled / TransientAwsError by the handler) when the ledger or
 *   SNS fail; the recorder retries them, and when its attempts are spent the execution ends FAILED and the
 *   playbook's Failed alarm (`ExecutionsFailed`) tells the topic.
 */
export async function recordFailure(input: z.infer<typeof FailureInputSchema>, deps: StepDeps): Promise<{ caseId?: string; status: string; notified: boolean; openedCase?: boolean }> {
  // The release playbook shares this step; its state carries the release request.
  if (input.state.release) return recordReleaseFailure(input, deps);
  const { state, outcome } = input;
  let caseId = state.case && state.case.status !== 'DRY_RUN' && state.case.status !== 'ALREADY_HANDLED' ? state.case.caseId : undefined;
  const executionName = state.run?.executionName;
  const error = { name: state.error.Error, message: (state.error.Cause ?? '').slice(0, 4000) };
  if (state.incident?.dryRun) return { caseId, status: outcome, notified: false };
  let opened = false;
  let openCase: { caseId: string; status: CaseStatus } | undefined;
  if (!caseId && !state.case && state.incident && executionName) {
    // A game-day event opens a case only through Claim, after GameDayGuard passed it: one that failed before (the
    // guard itself failing) may name any resource, not a canary, so it finds its own claim at most.
    if (outcome === 'FAILED' && state.incident.trigger !== 'gameday') {
      const found = await deps.ledger.failedCaseFor(state.incident, executionName, { error });
      if (found.relation === 'other') openCase = { caseId: found.caseId, status: found.claimStatus };
      else caseId = found.caseId;
      opened = found.relation === 'opened';
    } else {
      const claim = await deps.ledger.findClaim(state.incident);
      if (claim?.status === 'IN_PROGRESS' && claim.owner === executionName) caseId = claim.caseId;
    }
  }
  if (caseId) {
    await deps.ledger.appendTimeline(caseId, {
      at: deps.now().toISOString(), step: outcome === 'RESOURCE_GONE' ? 'RecordResourceGone' : 'RecordFailure', status: 'FAILED',
      executionName, trigger: state.incident?.trigger, error,
      ...(opened ? { details: { openedBy: 'RecordFailure', why: 'Claim did not return a case; the case was opened FAILED to record the failure' } } : {}),
    });
    if (!opened) await deps.ledger.finish(caseId, outcome, { error }, executionName);
    // A case the failure path opened or found had no Claim that linked the event (Claim failed): link it here.
    const stored = StoredEventRefSchema.safeParse((state as { event?: unknown }).event);
    if (stored.success && state.incident) {
      const link: LinkedEvent = { ...stored.data, findingId: state.incident.finding.id, linkedAt: deps.now().toISOString() };
      await deps.ledger.linkEvent(caseId, link);
    }
  }
  const kind = outcome === 'RESOURCE_GONE' ? 'resource-gone' : 'failed';
  const record = caseId ? await deps.ledger.getCase(caseId) : undefined;
  // A case reopened by a later finding whose resource is still gone was told so already: once is enough.
  // Never when an ENI may still be on the allow-all group: that warning is always told.
  if (caseId && kind === 'resource-gone' && !networkAfterFailure(state)?.warning && record?.notifications?.['resource-gone']) {
    return { caseId, status: outcome, notified: false };
  }
  // A retry of this recorder after its publish: told already.
  if (caseId && executionName && kind === 'failed' && record?.notifications?.[failedNoticeKey(executionName)]) {
    return { caseId, status: outcome, notified: false, ...(opened ? { openedCase: true } : {}) };
  }
  // Before Normalize succeeded there is no incident: name the event as it came, so a person can find it.
  const raw = state.incident ? undefined : rawEventIdentity(state);
  await deps.clients.security().sns.send(new PublishCommand({
    TopicArn: deps.config.topicArn,
    Subject: state.incident
      ? subject(kind, state.incident, caseId ?? openCase?.caseId ?? '(none)')
      : snsSubject(`[Firebreak] playbook failed before a case was opened: ${raw?.type ?? 'unreadable event'}${raw?.account ? ` in ${raw.account}` : ''}`),
    Message: JSON.stringify({
      kind, caseId, incident: state.incident, event: raw, error, runbook: state.incident ? runbookOf(state.incident) : undefined,
      // The resource's case when it is another execution's (or finished): this execution did not touch it.
      ...(openCase ? { openCase } : {}),
      // What the failure path did to the network (ResealIsolation): ENIs moved off the allow-all group, and any still on it.
      network: networkAfterFailure(state),
    }, null, 2),
    ...(caseId ? { MessageAttributes: { caseId: { DataType: 'String', StringValue: caseId }, kind: { DataType: 'String', StringValue: kind } } } : {}),
  }));
  if (caseId && kind === 'resource-gone') await deps.ledger.markNotified(caseId, 'resource-gone');
  // Told: the status-change step (closeOrphanedCase) does not tell it again for this execution.
  if (caseId && executionName && outcome === 'FAILED') await deps.ledger.markNotified(caseId, failedNoticeKey(executionName));
  return { caseId, status: outcome, notified: true, ...(opened ? { openedCase: true } : {}) };
}
