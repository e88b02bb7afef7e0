import { readEventFile, EventEnvelope } from '../../lib/harness/local/replay';

export const SEQUENCE_IAM = 'fixtures/events/guardduty-attack-sequence-iam.json';
export const SEQUENCE_EC2 = 'fixtures/events/guardduty-attack-sequence-ec2.json';

type Sequence = { resources: Record<string, unknown>[] };
const sequenceOf = (e: EventEnvelope) => (e.detail as { service: { detection: { sequence: Sequence } } }).service.detection.sequence;

/**
 * An attack sequence naming an access key and an instance, derived from the two recorded sequences (fixtures/README.md,
 * "Derived in a test"): the EC2 instance-group sequence with the IAM sequence's ACCESS_KEY resource added to its resources.
 * @param mutate - changes to the derived event's sequence resources (a malformed one, another account, ...).
 */
export function keyAndInstanceSequence(mutate: (resources: Record<string, unknown>[]) => void = () => undefined): EventEnvelope {
  const ec2 = JSON.parse(JSON.stringify(readEventFile(SEQUENCE_EC2))) as EventEnvelope;
  const key = sequenceOf(readEventFile(SEQUENCE_IAM)).resources[0];
  const resources = sequenceOf(ec2).resources;
  resources.push(JSON.parse(JSON.stringify(key)));
  mutate(resources);
  return ec2;
}

/**
 * The event with another finding ID (so that it opens its own case in a session that already ran the original), and
 * optionally marked as a GuardDuty sample (`service.additionalInfo.sample`, as `CreateSampleFindings` marks its findings).
 */
export function variant(event: EventEnvelope, findingId: string, options: { sample?: boolean } = {}): EventEnvelope {
  const e = JSON.parse(JSON.stringify(event)) as EventEnvelope & { detail: Record<string, unknown> & { service: Record<string, unknown> } };
  const old = e.detail.id as string;
  e.detail.id = findingId;
  e.detail.arn = (e.detail.arn as string).replace(old, findingId);
  if (options.sample) e.detail.service.additionalInfo = { value: '{"sample":true}', type: 'default', sample: true };
  return e;
}
