import { DescribeInstancesCommand, EC2Client, Instance } from '@aws-sdk/client-ec2';
import { InvalidInput, ResourceGone } from '../errors';
import { hasAwsCode } from '../runtime/aws-errors';

const GONE_STATES = new Set(['terminated', 'shutting-down']);

/**
 * Describes the instance a playbook acts on.
 * @param ec2 - EC2 client in the member account.
 * @param instanceId - `i-...`.
 * @returns the instance (DescribeInstances).
 * @throws {ResourceGone} when the instance does not exist or is terminated / shutting down.
 * @throws {InvalidInput} when the ID is malformed.
 */
export async function describeTargetInstance(ec2: EC2Client, instanceId: string): Promise<Instance> {
  let instance: Instance | undefined;
  try {
    const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
    instance = out.Reservations?.[0]?.Instances?.[0];
  } catch (err) {
    if (hasAwsCode(err, 'InvalidInstanceID.NotFound')) throw new ResourceGone(`Instance ${instanceId} no longer exists`, { cause: err });
    if (hasAwsCode(err, 'InvalidInstanceID.Malformed')) throw new InvalidInput(`Malformed instance ID ${instanceId}`, { cause: err });
    throw err;
  }
  if (!instance) throw new ResourceGone(`Instance ${instanceId} no longer exists`);
  if (GONE_STATES.has(instance.State?.Name ?? '')) throw new ResourceGone(`Instance ${instanceId} is ${instance.State?.Name}`);
  return instance;
}

/** One action a containment step took or would take. */
export interface PlannedAction {
  /** `Service.Operation` that makes the change. */
  readonly operation: string;
  /** The resource changed. */
  readonly target: string;
  /** What changes, for a human. */
  readonly change: string;
}

/** Whether a step applies its changes or only plans them (dry run: zero mutating calls). */
export type StepMode = 'apply' | 'plan';
