import { DescribeInstancesCommand, EC2Client, Instance } from '@aws-sdk/client-ec2';
import { InvalidInput, ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_NOT_FOUND_GRACE_SECONDS } from '../../core/names';
import '../clients/ec2';

const GONE_STATES = new Set(['terminated', 'shutting-down']);

/** Options of {@link describeTargetInstance}. */
export interface DescribeTargetOptions {
  /**
   * How long, in seconds, `InvalidInstanceID.NotFound` (or an empty answer) is retried, with waits of
   * 0.5 s, 1 s, 2 s, 4 s, then 8 s, before the instance is taken to be gone. 0 gives up at once.
   * @default DEFAULT_NOT_FOUND_GRACE_SECONDS
   */
  readonly notFoundGraceSeconds?: number;
}

/**
 * Describes the instance a playbook acts on.
 *
 * A NotFound answer is not believed at once: EC2 is eventually consistent, and an instance that was
 * just launched or changed can be missing from DescribeInstances for a while ("Eventual consistency in
 * the Amazon EC2 API", Amazon EC2 Developer Guide,
 * https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html), so it is retried with
 * backoff for `notFoundGraceSeconds` before {@link ResourceGone}. A terminated or shutting-down
 * instance is gone at once: that answer is definite.
 * @param ec2 - EC2 client in the member account.
 * @param instanceId - `i-...`.
 * @param options - the NotFound grace period.
 * @returns the instance (DescribeInstances).
 * @throws {ResourceGone} when the instance is terminated / shutting down, or still not found after the grace period.
 * @throws {InvalidInput} when the ID is malformed.
 */
export async function describeTargetInstance(ec2: EC2Client, instanceId: string, options: DescribeTargetOptions = {}): Promise<Instance> {
  const graceMs = (options.notFoundGraceSeconds ?? DEFAULT_NOT_FOUND_GRACE_SECONDS) * 1000;
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let instance: Instance | undefined;
    let notFound: unknown;
    try {
      const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      instance = out.Reservations?.[0]?.Instances?.[0];
    } catch (err) {
      if (hasAwsCode(err, 'InvalidInstanceID.Malformed')) throw new InvalidInput(`Malformed instance ID ${instanceId}`, { cause: err });
      if (!hasAwsCode(err, 'InvalidInstanceID.NotFound')) throw err;
      notFound = err;
    }
    if (instance) {
      if (GONE_STATES.has(instance.State?.Name ?? '')) throw new ResourceGone(`Instance ${instanceId} is ${instance.State?.Name}`);
      return instance;
    }
    const wait = Math.min(500 * 2 ** attempt, 8000);
    const elapsed = Date.now() - started;
    if (elapsed + wait > graceMs) {
      throw new ResourceGone(
        `Instance ${instanceId} no longer exists (not found for ${Math.round(elapsed / 1000)} s, ${attempt + 1} attempt(s))`,
        { cause: notFound },
      );
    }
    await sleep(wait);
  }
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
