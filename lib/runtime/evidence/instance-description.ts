import type { Instance } from '@aws-sdk/client-ec2';

/**
 * The largest instance description Contain carries in its result (bytes of its JSON): above it, CollectArtifacts
 * describes the instance itself. Step Functions limits a state's input and output to 256 KiB ("Quotas", AWS Step
 * Functions Developer Guide: `States.DataLimitExceeded`); the state carries the incident (at most 64 KiB of event)
 * beside it, so the two together stay well under the limit however large an instance's description (a p4d's many
 * ENIs and addresses) would be.
 */
export const MAX_CARRIED_DESCRIPTION_BYTES = 64 * 1024;

/** The instance's description as Contain's first round read it (DescribeInstances), before it changed anything. */
export interface PreContainmentDescription {
  /** When Contain's survey started, just before its DescribeInstances was sent (ISO-8601 UTC). */
  readonly takenAt: string;
  /** The step that took it. */
  readonly takenBy: 'Contain';
  /** The SDK's `Instance` as JSON (dates as ISO-8601 strings). */
  readonly instance: Record<string, unknown>;
}

/**
 * The field Contain's result carries for CollectArtifacts: the description when its JSON is at most
 * {@link MAX_CARRIED_DESCRIPTION_BYTES} bytes, else nothing (CollectArtifacts then makes a DescribeInstances).
 * @param instance - the instance as Contain's DescribeInstances returned it.
 * @param takenAt - when that describe was sent.
 * @returns `{ preContainmentDescription }`, or `{}` when the description is too large to carry.
 */
export function carriedDescription(instance: Instance, takenAt: Date): { preContainmentDescription?: PreContainmentDescription } {
  const json = JSON.stringify(instance);
  if (Buffer.byteLength(json, 'utf8') > MAX_CARRIED_DESCRIPTION_BYTES) return {};
  return {
    preContainmentDescription: {
      takenAt: takenAt.toISOString(),
      takenBy: 'Contain',
      instance: JSON.parse(json) as Record<string, unknown>,
    },
  };
}
