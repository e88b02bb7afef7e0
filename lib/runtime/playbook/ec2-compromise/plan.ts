import { ensureInstancePreserved } from '../../ec2/preserve';
import { ensureInstanceIsolated } from '../../ec2/isolate';
import { ensureVolumeSnapshots, evidenceDeadline } from '../../ec2/evidence';
import type { PlannedAction } from '../../ec2/instance';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { labelsOf } from './common';
import '../../clients/assume-role';

/**
 * PlanDryRun of `ec2-compromise` (plan-registry.ts): Preserve, Isolate and SnapshotVolumes in plan mode (Describe calls
 * only), and the copies and artifacts in words. A sample finding carries placeholder IDs (i-99999999): nothing is sent to AWS.
 * @returns the plan; `sample: true` for a sample finding.
 * @throws the SDK's errors (mapped by the handler) when a Describe call fails.
 */
export async function planInstanceContainment(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const member = deps.clients.member(state.incident.account, state.incident.region);
  const instanceId = state.incident.resource.id;
  const actions: PlannedAction[] = [];
  if (state.incident.sample) {
    // Sample findings carry placeholder IDs (i-99999999): never send them to AWS at all.
    actions.push(
      {
        operation: 'EC2.ModifyInstanceAttribute',
        target: instanceId,
        change: 'termination protection, shutdown=stop, DeleteOnTermination=false',
      },
      { operation: 'EC2.ModifyNetworkInterfaceAttribute', target: instanceId, change: 'every ENI → untrack group → isolation group' },
      { operation: 'EC2.CreateSnapshots', target: instanceId, change: 'snapshot every volume, copy into the security account' },
    );
    return { sample: true, actions };
  }
  const preserve = await ensureInstancePreserved({ instanceId, mode: 'plan' }, member);
  const isolate = await ensureInstanceIsolated({ instanceId, caseId: state.case.caseId, mode: 'plan' }, { ec2: member.ec2 });
  const snaps = await ensureVolumeSnapshots(
    {
      instanceId,
      labels: labelsOf(state),
      ownerAccount: member.accountId,
      deadline: evidenceDeadline(deps.now(), deps.config.evidenceDeadlineSeconds),
      mode: 'plan',
    },
    { ec2: member.ec2 },
  );
  actions.push(...preserve.actions, ...isolate.actions, ...snaps.actions);
  actions.push({
    operation: 'EC2.CopySnapshot',
    target: member.accountId,
    change: `copy each snapshot under the transit key, share with ${deps.config.securityAccountId}, copy under the evidence key`,
  });
  actions.push({
    operation: 'S3.PutObject',
    target: deps.config.evidenceBucket,
    change: 'instance metadata, ENIs, SGs, console output, finding, manifest',
  });
  return { sample: false, actions };
}
