import { DescribeInstancesCommand, ModifyInstanceAttributeCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { InvalidInput } from '../errors';
import { ApiCallEventSchema, GuardDutyEventSchema } from '../incident/schema';
import { isSampleFinding } from '../incident/normalize';
import type { EventEnvelope } from '../local/replay';
import type { LocalSession } from '../local/session';
import { buildTwinWorld, TwinExtras, TwinWorld } from '../local/twin';
import { buildCredentialTwin, CredentialTwin } from '../local/credential-twin';
import { buildApiCallTwin } from '../local/api-call-twin';
import type { Fault } from './faults';

/** The twin world one injection acts on (what `replayEvent` takes as `twin` / `credentialTwin`). */
export interface InjectionWorld {
  readonly twin?: TwinWorld;
  readonly credentialTwin?: CredentialTwin;
}

const API_CALL_DETAIL_TYPES = ['AWS API Call via CloudTrail', 'AWS Console Sign In via CloudTrail'];

/**
 * Builds the twin world of an event ahead of the replay, as `replayEvent` (lib/local/replay.ts)
 * would: an EC2 finding's instance world, a credential finding's principal, an API call's trail and
 * actor. Drills build it first when several runs must share it (concurrent repeats) or when a fault
 * changes it before the event arrives (a resource deleted beforehand).
 */
export async function buildInjectionWorld(session: LocalSession, event: EventEnvelope, extras: TwinExtras): Promise<InjectionWorld> {
  const member = session.env.member;
  if (event.source === 'aws.guardduty') {
    const gd = GuardDutyEventSchema.parse(event);
    if (isSampleFinding(gd)) return {};
    const r = gd.detail.resource;
    if (r.resourceType === 'Instance' && r.instanceDetails) return { twin: await buildTwinWorld(gd, member, extras) };
    if (r.resourceType === 'AccessKey' && r.accessKeyDetails) return { credentialTwin: await buildCredentialTwin(gd, member) };
    return {};
  }
  if (API_CALL_DETAIL_TYPES.includes(event['detail-type'])) return { credentialTwin: await buildApiCallTwin(ApiCallEventSchema.parse(event), member) };
  return {};
}

/**
 * Deletes a resource of the injection's world (a `delete-resource` fault), as someone outside
 * Firebreak would: the instance's termination protection is lifted (Preserve may have set it), then
 * it is terminated. Uses the harness clients, which no fault touches.
 * @returns what was deleted, e.g. `instance i-0abc (terminated)`.
 * @throws {InvalidInput} when the world has no such resource.
 */
export async function deleteWorldResource(session: LocalSession, world: InjectionWorld, fault: Fault & { kind: 'delete-resource' }): Promise<string> {
  const instanceId = world.twin?.instanceId ?? world.credentialTwin?.instanceId;
  if (!instanceId) throw new InvalidInput(`delete-resource ${fault.resource}: the injection's world has no instance (the event names none)`);
  const ec2 = session.env.member.ec2;
  await ec2.send(new ModifyInstanceAttributeCommand({ InstanceId: instanceId, DisableApiTermination: { Value: false } }));
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
  const state = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]?.State?.Name;
  return `instance ${instanceId} (${state ?? 'gone'})`;
}
