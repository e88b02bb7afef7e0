import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListRoleTagsCommand, ListUserTagsCommand } from '@aws-sdk/client-iam';
import { InvalidInput } from '../../../core/errors';
import type { Incident } from '../../../core/incident/incident';
import type { ClientFactory } from '../../clients';
import { GAMEDAY_GUARD_ACTIONS } from './gameday-check';
import '../../clients/ec2';
import '../../clients/iam';
import '../../clients/assume-role';

/**
 * The tags of a game-day event's target, read in its member account through the responder role in a session that can
 * only read tags ({@link GAMEDAY_GUARD_ACTIONS}: the guard never writes): EC2 DescribeInstances for an instance, IAM
 * ListUserTags / ListRoleTags for an access key's user or role. gameday-check.ts loads this module with `import()` when
 * a game-day event reaches the tag check, so GameDayGuard and Decide require the EC2 and IAM client packages and the
 * credential providers only then, not at every cold start (esbuild keeps the module in the one CommonJS bundle and
 * runs it on that first `import()`).
 * @param incident - an incident with `trigger: gameday` whose resource is an instance, or an access key of an IAM user or role.
 * @param clients - the client factory.
 * @returns the target's tags (an empty list when the instance has none).
 * @throws {InvalidInput} for any other resource (gameday-check.ts refuses those before it calls this).
 * @throws the SDK's error (e.g. `InvalidInstanceID.NotFound`, `NoSuchEntity`), for the caller to read.
 */
export async function readTargetTags(incident: Incident, clients: ClientFactory): Promise<{ Key?: string; Value?: string }[]> {
  const member = clients.member(incident.account, incident.region, { sessionActions: GAMEDAY_GUARD_ACTIONS });
  const r = incident.resource;
  if (r.type === 'Instance') {
    return (await member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [r.id] }))).Reservations?.[0]?.Instances?.[0]?.Tags ?? [];
  }
  if (r.type !== 'AccessKey') throw new InvalidInput(`a game-day event cannot act on a ${r.type} resource`);
  if (r.userType === 'IAMUser') return (await member.iam.send(new ListUserTagsCommand({ UserName: r.userName }))).Tags ?? [];
  return (await member.iam.send(new ListRoleTagsCommand({ RoleName: r.userName }))).Tags ?? [];
}
