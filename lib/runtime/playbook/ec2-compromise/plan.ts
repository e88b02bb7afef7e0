import type { Volume } from '@aws-sdk/client-ec2';
import { ensureInstancePreserved } from '../../ec2/preserve';
import { ensureInstanceIsolated } from '../../ec2/isolate';
import { ensureVolumeSnapshots, evidenceDeadline } from '../../ec2/evidence';
import type { PlannedAction } from '../../ec2/instance';
import type { PlaybookState } from '../../../core/contracts/state';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { labelsOf } from './common';
import { instanceCredentialsResponse } from './instance-credentials';
import '../../clients/assume-role';

/**
 * The copies in words, per volume: an encrypted volume's snapshot is copied under the transit key before it is shared;
 * an unencrypted one's skips the transit copy and is shared as it is (`needsTransit`, provenance.ts).
 */
function transitPlan(volumes: readonly Volume[], memberAccount: string, securityAccount: string): PlannedAction[] {
  const ids = (encrypted: boolean) => volumes.filter((v) => !!v.Encrypted === encrypted).map((v) => v.VolumeId!);
  const [encrypted, plain] = [ids(true), ids(false)];
  const out: PlannedAction[] = [];
  if (encrypted.length)
    out.push({
      operation: 'EC2.CopySnapshot',
      target: memberAccount,
      change: `encrypted ${encrypted.join(', ')}: copy each snapshot under the transit key, share with ${securityAccount}, copy under the evidence key`,
    });
  if (plain.length)
    out.push({
      operation: 'EC2.CopySnapshot',
      target: memberAccount,
      change: `unencrypted ${plain.join(', ')}: no transit copy (skips transit), share each snapshot with ${securityAccount} only, copy under the evidence key`,
    });
  return out;
}

/**
 * The security account copies' EBS snapshot lock in words (ShareAndCopySnapshots, lib/runtime/ec2/snapshot-lock.ts): the
 * evidence bucket's Object Lock mode and retention, no cooling-off period. The copies do not exist yet: nothing is read.
 */
function lockPlan(deps: StepDeps): PlannedAction {
  return {
    operation: 'EC2.LockSnapshot',
    target: deps.config.securityAccountId,
    change: `lock each evidence copy in ${deps.config.objectLockMode.toLowerCase()} mode for ${deps.config.evidenceRetentionDays} days from its record (no cooling-off period), unless a lock at least as strong and long is in force`,
  };
}

/**
 * PlanDryRun of `ec2-compromise` (plan-registry.ts): Preserve, Isolate, DenyInstanceCredentials (IAM GetInstanceProfile and
 * GetRolePolicy) and SnapshotVolumes in plan mode (Describe and Get calls only), and the copies and artifacts in words. A sample finding carries placeholder IDs (i-99999999): nothing is sent to AWS.
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
      {
        operation: 'IAM.PutRolePolicy',
        target: instanceId,
        change: "the instance profile's role: inline deny of every request signed by this instance's credentials (ec2:SourceInstanceARN)",
      },
      { operation: 'EC2.CreateSnapshots', target: instanceId, change: 'snapshot every volume, copy into the security account' },
      lockPlan(deps),
    );
    return { sample: true, actions };
  }
  let attached: readonly Volume[] = [];
  const preserve = await ensureInstancePreserved({ instanceId, mode: 'plan' }, member);
  const isolate = await ensureInstanceIsolated({ instanceId, caseId: state.case.caseId, mode: 'plan' }, { ec2: member.ec2 });
  const credentials = await instanceCredentialsResponse(state, deps, isolate.prior.instanceProfileArn, 'plan');
  const snaps = await ensureVolumeSnapshots(
    {
      instanceId,
      labels: labelsOf(state),
      ownerAccount: member.accountId,
      deadline: evidenceDeadline(deps.now(), deps.config.evidenceDeadlineSeconds),
      mode: 'plan',
    },
    { ec2: member.ec2, volumes: (v) => (attached = v) },
  );
  actions.push(
    ...preserve.actions,
    ...isolate.actions,
    ...credentials.actions,
    ...(credentials.olderSessions?.actions ?? []),
    ...(credentials.status === 'denied'
      ? []
      : [{ operation: 'IAM.NoChange', target: instanceId, change: `no instance deny: ${credentials.reason}` }]),
    ...snaps.actions,
    ...transitPlan(attached, member.accountId, deps.config.securityAccountId),
    lockPlan(deps),
  );
  actions.push({
    operation: 'S3.PutObject',
    target: deps.config.evidenceBucket,
    change: 'instance metadata, ENIs, SGs, console output, finding, manifest',
  });
  return { sample: false, actions };
}
