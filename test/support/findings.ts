import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * GuardDuty finding events for tests, built from the project's fixtures (fixtures/events, each checked
 * against an AWS example or a GuardDuty-generated sample): the fixture of the resource type, with the
 * finding type, severity and resource role replaced. A resource type without a fixture of its own gets
 * the bare `resource: { resourceType }` that every finding carries.
 */

const FIXTURES = path.resolve(__dirname, '..', '..', 'fixtures', 'events');

/** The fixture each resource type's findings are built from. */
export const TEMPLATE_BY_RESOURCE_TYPE: Readonly<Record<string, string>> = {
  Instance: 'guardduty-ec2-bitcoin-dns.json',
  AccessKey: 'guardduty-iamuser-anomalous.json',
  S3Bucket: 'guardduty-s3-medium.json',
  S3Object: 'guardduty-malware-s3.json',
  EKSCluster: 'guardduty-eks-audit-medium.json',
  ECSCluster: 'guardduty-runtime-ecs-crypto.json',
  RDSDBInstance: 'guardduty-rds-medium.json',
  Lambda: 'guardduty-lambda-medium.json',
  AttackSequence: 'guardduty-attack-sequence-iam.json',
};

/** A GuardDuty finding event (the parts tests change). */
export interface FindingEvent {
  id: string;
  source: string;
  'detail-type': string;
  account: string;
  region: string;
  time: string;
  resources: string[];
  detail: {
    id: string;
    type: string;
    severity: number;
    resource: { resourceType: string } & Record<string, unknown>;
    service: { resourceRole?: string; count?: number } & Record<string, unknown>;
  } & Record<string, unknown>;
}

/** Reads a fixture event. */
export function readFixtureEvent(file: string): FindingEvent {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as FindingEvent;
}

/**
 * A finding of `type` on a `resourceType` resource.
 * @param role - `service.resourceRole`; `undefined` removes it (Runtime Monitoring findings carry none).
 * @param n - makes the finding's ID unique (a new finding, not a repeat).
 */
export function findingOf(type: string, resourceType: string, severity: number, role: string | undefined, n = 0): FindingEvent {
  // The Policy:S3/ exposure types on an access key name the bucket too (s3BucketDetails): their own fixture.
  const file =
    resourceType === 'AccessKey' && type.startsWith('Policy:S3/') ? 'guardduty-s3-exposure.json' : TEMPLATE_BY_RESOURCE_TYPE[resourceType];
  const base =
    file && fs.existsSync(path.join(FIXTURES, file)) ? readFixtureEvent(file) : readFixtureEvent('guardduty-iamuser-anomalous.json');
  const event = JSON.parse(JSON.stringify(base)) as FindingEvent;
  if (!file || event.detail.resource.resourceType !== resourceType) event.detail.resource = { resourceType };
  const id = `${(n + 1).toString(16).padStart(8, '0')}${Buffer.from(`${type}|${resourceType}|${severity}|${role}`).toString('hex').slice(0, 24).padEnd(24, '0')}`;
  if (typeof event.detail.arn === 'string') event.detail.arn = event.detail.arn.replace(event.detail.id, id);
  event.detail.id = id;
  event.detail.type = type;
  event.detail.severity = severity;
  event.detail.title = type;
  const service = { ...event.detail.service };
  delete service.resourceRole;
  delete (service.additionalInfo as { sample?: unknown } | undefined)?.sample;
  event.detail.service = { ...service, ...(role ? { resourceRole: role } : {}) };
  event.id = `00000000-0000-4000-8000-${id.slice(0, 12)}`;
  return event;
}
