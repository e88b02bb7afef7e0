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

type Detail = {
  updatedAt: string;
  service: { count: number; eventLastSeen: string; detection: { sequence: Sequence & { signals: unknown[] } } };
};

/**
 * An IAM attack sequence and a GuardDuty update of it that names an instance too (fixtures/README.md, "Derived in a
 * test"). `first` is `guardduty-attack-sequence-iam.json` (one ACCESS_KEY). `update` is the same finding as GuardDuty
 * updates it in place ("GuardDuty finding aggregation", GuardDuty User Guide,
 * https://docs.aws.amazon.com/guardduty/latest/ug/finding-aggregation.html: same finding ID, `service.count` raised, the
 * details of the latest occurrence): `service.count` + 1, `updatedAt`, `service.eventLastSeen` and the envelope's `time`
 * those of `guardduty-attack-sequence-ec2.json` (a day later), and that sequence's resources (its EC2_INSTANCE and
 * EC2_NETWORK_INTERFACE) and signals appended; everything else (the ID, the ARN, the sequence uid, the key) unchanged.
 * @param findingId - the finding ID of both (so that each test has its own case).
 */
export function keySequenceUpdate(findingId: string): { first: EventEnvelope; update: EventEnvelope } {
  const first = variant(readEventFile(SEQUENCE_IAM), findingId);
  const ec2 = readEventFile(SEQUENCE_EC2) as EventEnvelope & { detail: Detail };
  const update = JSON.parse(JSON.stringify(first)) as EventEnvelope & { detail: Detail; time: string };
  const d = update.detail;
  d.service.count += 1;
  d.updatedAt = ec2.detail.updatedAt;
  d.service.eventLastSeen = ec2.detail.service.eventLastSeen;
  update.time = (ec2 as { time?: string }).time!;
  d.service.detection.sequence.resources.push(...JSON.parse(JSON.stringify(ec2.detail.service.detection.sequence.resources)));
  d.service.detection.sequence.signals.push(...JSON.parse(JSON.stringify(ec2.detail.service.detection.sequence.signals)));
  return { first, update };
}
