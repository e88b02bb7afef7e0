import { DescribeInstancesCommand, DescribeSecurityGroupsCommand, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { PreservePriorState } from '../../ec2/preserve';
import { IsolatePriorState } from '../../ec2/isolate';
import { caseEventOf, LinkedEvent, putArtifactOnce, StoredArtifact } from '../../evidence/vault';
import { caseEvidencePrefix } from '../../evidence/manifest';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import type { TimelineEntry } from '../../ledger/ledger';
import '../../clients/ec2';
import '../../clients/assume-role';

/** The prior state the case recorded (`priorState.preserve`, `priorState.isolate`). */
type CasePriorState = { isolate?: IsolatePriorState; preserve?: PreservePriorState };

/**
 * The prior state the case recorded: Contain's result carries it as its write stored it (`recordOnce`, the first
 * observation wins, so a re-run's result is the case's record; the state is written only by Firebreak's Lambdas), so
 * no GetItem (issue 13); without that result (a state that has none), read from the case.
 */
async function priorStateOf(state: PlaybookState, deps: StepDeps): Promise<CasePriorState> {
  if (state.contain) return { preserve: state.contain.preserve.prior, isolate: state.contain.isolate.prior };
  return ((await deps.ledger.getCase(state.case.caseId))?.priorState ?? {}) as CasePriorState;
}

/**
 * The instance's description for `instance.json`, labelled with when and by whom it was taken: the one Contain carried
 * (its first round's DescribeInstances, before any change: issue 13, no call here), else a DescribeInstances now (a
 * description too large to carry, or a state without it), after containment.
 */
async function instanceDescriptionOf(
  state: PlaybookState,
  deps: StepDeps,
): Promise<{ instance: Record<string, unknown> | null; description: Record<string, string> }> {
  const carried = state.contain?.preContainmentDescription;
  if (carried)
    return {
      instance: carried.instance,
      description: {
        takenBy: carried.takenBy,
        takenAt: carried.takenAt,
        what: `the description taken before containment at ${carried.takenAt} by Contain (DescribeInstances)`,
      },
    };
  const i = state.incident;
  const takenAt = deps.now().toISOString();
  const out = await deps.clients.member(i.account, i.region).ec2.send(new DescribeInstancesCommand({ InstanceIds: [i.resource.id] }));
  const instance = out.Reservations?.[0]?.Instances?.[0];
  return {
    instance: instance ? (JSON.parse(JSON.stringify(instance)) as Record<string, unknown>) : null,
    description: {
      takenBy: 'CollectArtifacts',
      takenAt,
      what: `the description taken after containment at ${takenAt} by CollectArtifacts (DescribeInstances)`,
    },
  };
}

/**
 * CollectArtifacts: the instance's state (its description with its ENIs, taken before containment by Contain and
 * carried in its result when it fits, else described now, labelled either way: {@link instanceDescriptionOf}; the
 * security groups it had before isolation,
 * the prior state the case recorded) as `instance.json`, the console output as `console-output.json`, and the finding
 * (issue 13: two PutObjects, no read of the event). The finding is the event Normalize stored (`received-events/`,
 * content-addressed, SSE-KMS, Object Lock, its SHA-256 checked by S3 on the way in: `storeReceivedEvent`): the artifact
 * `finding.json` names that object and its SHA-256 and size as the state's reference (or the case's linked event) gives
 * them, so the manifest covers it and every read-back recomputes its hash; it is not copied. With no event (a start on a
 * named resource, no linked event of the case's finding) a placeholder that says so is written instead.
 * The ENIs are the instance description's (`NetworkInterfaces`: groups, addresses, attachment; DescribeInstances, EC2
 * API reference), not a DescribeNetworkInterfaces of their own.
 * @returns the artifacts.
 */
export async function collectArtifacts(
  state: PlaybookState,
  deps: StepDeps,
): Promise<{ artifacts: StoredArtifact[]; timeline?: TimelineEntry }> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const { s3 } = deps.clients.security();
  const i = state.incident;
  // The step writes nothing to the ledger: its timeline entry travels in its result and WriteManifest writes it, in
  // the transaction that records the manifest (issue 13).
  let timeline: TimelineEntry | undefined;
  const defer = (e: TimelineEntry) => {
    timeline = e;
  };
  const out = await runStep(
    'CollectArtifacts',
    caseTarget(state, deps.ledger),
    async () => {
      const prior = await priorStateOf(state, deps);
      const priorGroups = [...new Set(Object.values(prior.isolate?.securityGroupsByEni ?? {}).flat())];
      const [described, sgs, consoleOutput] = await Promise.all([
        instanceDescriptionOf(state, deps),
        priorGroups.length
          ? member.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: priorGroups }))
          : Promise.resolve({ SecurityGroups: [] }),
        member.ec2.send(new GetConsoleOutputCommand({ InstanceId: i.resource.id })),
      ]);
      const prefix = `${caseEvidencePrefix(i.account, state.case.caseId)}artifacts/`;
      // The event as Normalize stored it: this execution's, else the one that opened the case (a start on a named
      // instance resuming it); a case with none says so.
      const event =
        state.event ??
        caseEventOf(
          (await deps.ledger.linkedEvents(state.case.caseId)) as unknown as LinkedEvent[],
          (await deps.ledger.getCase(state.case.caseId))?.incident.finding.id ?? i.finding.id,
        );
      const { instance, description } = described;
      const docs: Record<string, unknown> = {
        'instance.json': {
          description,
          instance,
          networkInterfaces: (instance?.NetworkInterfaces as unknown[] | undefined) ?? [],
          securityGroupsBeforeIsolation: sgs.SecurityGroups ?? [],
          priorState: prior,
        },
        'console-output.json': {
          instanceId: i.resource.id,
          timestamp: consoleOutput.Timestamp,
          output: consoleOutput.Output ? Buffer.from(consoleOutput.Output, 'base64').toString('utf8') : null,
        },
      };
      if (!event)
        docs['finding.json'] = {
          event: null,
          why: 'started on a named resource: there is no event',
          trigger: i.trigger,
          operator: i.operator,
          reason: i.reason,
          resource: i.resource,
        };
      const put = ([name, doc]: [string, unknown]) =>
        putArtifactOnce(
          {
            bucket: deps.config.evidenceBucket,
            key: prefix + name,
            name,
            body: `${JSON.stringify(doc, null, 2)}\n`,
            kmsKeyId: deps.config.evidenceKeyArn,
          },
          { s3 },
        );
      const written = await Promise.all(Object.entries(docs).map(put));
      const finding: StoredArtifact[] = event
        ? [{ name: 'finding.json', bucket: event.bucket, key: event.key, sha256: event.sha256, bytes: event.bytes }]
        : [];
      return { artifacts: [...finding, ...written] };
    },
    undefined,
    { defer },
  );
  return timeline ? { ...out, timeline } : out;
}
