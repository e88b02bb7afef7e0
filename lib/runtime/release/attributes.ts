import {
  DeleteTagsCommand,
  DescribeInstanceAttributeCommand,
  EC2Client,
  Instance,
  ModifyInstanceAttributeCommand,
} from '@aws-sdk/client-ec2';
import type { PreservePriorState } from '../ec2/preserve';
import { TAG } from '../../core/tags';
import { emptyAssessment, ReleaseAssessment } from './plan';
import '../clients/ec2';

/**
 * Assesses the instance attributes Preserve changed against its recorded prior state (read only;
 * DescribeInstanceAttribute `disableApiTermination` and `instanceInitiatedShutdownBehavior`, and the
 * instance's block device mappings): each attribute that differs gets one `ModifyInstanceAttribute`
 * (EC2 takes one attribute per call); the devices whose `DeleteOnTermination` differs share one call.
 * A recorded device no longer attached is reported as not restored.
 * @param instance - the instance as DescribeInstances returned it.
 * @param preserve - the prior state recorded by Preserve.
 * @param ec2 - EC2 client in the member account.
 * @returns the assessment (changes in phase 1).
 */
export async function assessInstanceAttributes(
  instance: Instance,
  preserve: PreservePriorState,
  ec2: EC2Client,
): Promise<ReleaseAssessment> {
  const out = emptyAssessment();
  const instanceId = instance.InstanceId!;
  const [termination, shutdown] = await Promise.all([
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'disableApiTermination' })),
    ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instanceId, Attribute: 'instanceInitiatedShutdownBehavior' })),
  ]);

  const protection = termination.DisableApiTermination?.Value ?? false;
  if (protection === preserve.disableApiTermination) {
    out.unchanged.push({ item: 'termination-protection', target: instanceId, detail: `DisableApiTermination=${protection}` });
  } else {
    out.changes.push({
      phase: 1,
      action: {
        operation: 'EC2.ModifyInstanceAttribute',
        target: instanceId,
        change: `DisableApiTermination ${protection} → ${preserve.disableApiTermination}`,
      },
      run: () =>
        ec2.send(
          new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: preserve.disableApiTermination } }),
        ),
    });
  }

  const behavior = shutdown.InstanceInitiatedShutdownBehavior?.Value ?? 'stop';
  if (behavior === preserve.shutdownBehavior) {
    out.unchanged.push({ item: 'shutdown-behavior', target: instanceId, detail: `InstanceInitiatedShutdownBehavior=${behavior}` });
  } else {
    out.changes.push({
      phase: 1,
      action: {
        operation: 'EC2.ModifyInstanceAttribute',
        target: instanceId,
        change: `InstanceInitiatedShutdownBehavior ${behavior} → ${preserve.shutdownBehavior}`,
      },
      // The `Attribute`/`Value` form, which the API reference documents for this attribute: the
      // emulator (moto 5.2.5) ignores the `InstanceInitiatedShutdownBehavior` structure.
      run: () =>
        ec2.send(
          new ModifyInstanceAttributeCommand({
            InstanceId: instanceId,
            Attribute: 'instanceInitiatedShutdownBehavior',
            Value: preserve.shutdownBehavior,
          }),
        ),
    });
  }

  assessDeleteOnTermination(instance, preserve, ec2, out);
  return out;
}

/**
 * Adds to `out` the block devices whose `DeleteOnTermination` differs from what Preserve recorded (one
 * `ModifyInstanceAttribute` for them all), the ones that match as unchanged, and a recorded device no longer
 * attached as not restored.
 */
function assessDeleteOnTermination(instance: Instance, preserve: PreservePriorState, ec2: EC2Client, out: ReleaseAssessment): void {
  const instanceId = instance.InstanceId!;
  const current = new Map(
    (instance.BlockDeviceMappings ?? [])
      .filter((b) => b.DeviceName && b.Ebs)
      .map((b) => [b.DeviceName!, b.Ebs!.DeleteOnTermination ?? false]),
  );
  const differing: { DeviceName: string; Ebs: { DeleteOnTermination: boolean } }[] = [];
  for (const [device, wanted] of Object.entries(preserve.deleteOnTermination ?? {})) {
    if (!current.has(device)) {
      out.notRestored.push({
        item: 'delete-on-termination',
        target: `${instanceId}:${device}`,
        detail: 'the device is no longer attached',
      });
    } else if (current.get(device) === wanted) {
      out.unchanged.push({ item: 'delete-on-termination', target: `${instanceId}:${device}`, detail: `DeleteOnTermination=${wanted}` });
    } else {
      differing.push({ DeviceName: device, Ebs: { DeleteOnTermination: wanted } });
    }
  }
  if (differing.length) {
    out.changes.push({
      phase: 1,
      action: {
        operation: 'EC2.ModifyInstanceAttribute',
        target: instanceId,
        change: `DeleteOnTermination ${differing.map((d) => `${d.DeviceName}=${d.Ebs.DeleteOnTermination}`).join(', ')}`,
      },
      run: () => ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, BlockDeviceMappings: differing })),
    });
  }
}

/**
 * Assesses the tags Isolate put on the instance (read only, from the instance's tags): the
 * `firebreak:status=isolated` tag marks the instance as contained, for the people and tools that
 * filter on it, so it is removed (`DeleteTags` with the value, so that only `isolated` is removed,
 * never a value someone else wrote). `firebreak:case-id` stays: it is the record of which case
 * touched the instance, and it links the instance to the case's evidence snapshots, which carry the
 * same tag (the manual release in `runbooks/ec2-compromise/runbook.md` §5 keeps it too).
 * @param instance - the instance as DescribeInstances returned it.
 * @param ec2 - EC2 client in the member account.
 * @returns the assessment (changes in phase 1).
 */
export function assessContainmentTags(instance: Instance, ec2: EC2Client): ReleaseAssessment {
  const out = emptyAssessment();
  const instanceId = instance.InstanceId!;
  const tags = new Map((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
  if (tags.get(TAG.status) === 'isolated') {
    out.changes.push({
      phase: 1,
      action: {
        operation: 'EC2.DeleteTags',
        target: instanceId,
        change: `remove ${TAG.status}=isolated (${TAG.caseId} kept as the record)`,
      },
      run: () => ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: TAG.status, Value: 'isolated' }] })),
    });
  } else {
    out.unchanged.push({ item: 'tags', target: instanceId, detail: `no ${TAG.status}=isolated tag` });
  }
  return out;
}
