import { ensureInstancePreserved } from '../../ec2/preserve';
import { ensureInstanceIsolated } from '../../ec2/isolate';
import { ensureVolumeSnapshots, evidenceDeadline } from '../../ec2/evidence';
import type { PlannedAction } from '../../ec2/instance';
import { mapAwsError } from '../../aws-errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { Incident } from '../../../core/incident/incident';
import type { CaseRecord } from '../../ledger/ledger';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan, PlaybookHooks } from '../hooks';
import { networkAfterFailure } from '../shared/notice';
import { findingEniIds, labelsOf } from './common';
import { resealCaseNetwork } from './network';

/**
 * PlanDryRun of `ec2-compromise`: Preserve, Isolate and SnapshotVolumes in plan mode (Describe calls only), and the
 * copies and artifacts in words. A sample finding carries placeholder IDs (i-99999999): nothing is sent to AWS.
 * @returns the plan; `sample: true` for a sample finding.
 * @throws the SDK's errors (mapped by the handler) when a Describe call fails.
 */
async function planInstanceContainment(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
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

/**
 * CloseOrphanedCase of an `ec2-compromise` case: an execution stopped between Isolate's two moves ran no
 * ResealIsolation, so every ENI on one of the case's recorded untrack groups goes to the isolation group here
 * ({@link resealCaseNetwork}); an error becomes part of the warning (never thrown).
 * @returns the notification's `network` (moved, still open, a warning), or `undefined` for a non-instance incident.
 */
async function resealOrphan(record: CaseRecord, incident: Incident, deps: StepDeps): Promise<Record<string, unknown> | undefined> {
  if (incident.resource.type !== 'Instance') return undefined;
  try {
    // The finding's ENIs, as Normalize read them from the execution's input.
    const reseal = await resealCaseNetwork(record, incident, findingEniIds(incident), deps);
    return networkAfterFailure({ reseal });
  } catch (err) {
    const e = mapAwsError(err) as Error;
    return networkAfterFailure({ resealError: { Error: e.name, Cause: e.message } });
  }
}

/** The registry entry of `ec2-compromise` (registry.ts). */
export const EC2_COMPROMISE_HOOKS: PlaybookHooks = { plan: planInstanceContainment, onOrphaned: resealOrphan };
