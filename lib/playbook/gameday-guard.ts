import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ListRoleTagsCommand, ListUserTagsCommand } from '@aws-sdk/client-iam';
import type { Incident } from '../incident/incident';
import { hasAwsCode } from '../runtime/aws-errors';
import type { StepDeps } from './deps';

/** The tag that marks a game-day canary: `firebreak:gameday=<run ID>`. */
export const GAMEDAY_TAG = 'firebreak:gameday';

/**
 * Why a game-day event must not act on its target, or `undefined` when it may: the target must carry
 * `firebreak:gameday=<the event's run ID>` (DESIGN.md §2: "A game-day event may only act on resources
 * tagged as game-day targets"). A forged or misdirected game-day event naming any other resource,
 * or one that cannot be read, contains nothing.
 * Reads only: EC2 DescribeInstances (instance tags), IAM ListUserTags / ListRoleTags.
 * @param incident - an incident with `trigger: gameday`.
 */
export async function gameDayRefusal(incident: Incident, deps: Pick<StepDeps, 'clients'>): Promise<string | undefined> {
  const runId = incident.gameDayRunId;
  if (!runId) return 'game-day event without a run ID';
  const member = deps.clients.member(incident.account, incident.region);
  const r = incident.resource;
  let tags: { Key?: string; Value?: string }[] = [];
  let what: string;
  try {
    if (r.type === 'Instance') {
      what = `instance ${r.id}`;
      tags = (await member.ec2.send(new DescribeInstancesCommand({ InstanceIds: [r.id] }))).Reservations?.[0]?.Instances?.[0]?.Tags ?? [];
    } else if (r.type === 'AccessKey' && r.userType === 'IAMUser' && r.userName) {
      what = `IAM user ${r.userName}`;
      tags = (await member.iam.send(new ListUserTagsCommand({ UserName: r.userName }))).Tags ?? [];
    } else if (r.type === 'AccessKey' && r.userType === 'AssumedRole' && r.userName) {
      what = `IAM role ${r.userName}`;
      tags = (await member.iam.send(new ListRoleTagsCommand({ RoleName: r.userName }))).Tags ?? [];
    } else {
      return `a game-day event cannot act on a ${r.type === 'AccessKey' ? r.userType : r.type} resource`;
    }
  } catch (err) {
    if (hasAwsCode(err, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed', 'NoSuchEntity', 'NoSuchEntityException')) return `${r.id} does not exist`;
    throw err;
  }
  const tag = tags.find((t) => t.Key === GAMEDAY_TAG)?.Value;
  if (tag === runId) return undefined;
  return `${what} is ${tag === undefined ? 'not a game-day canary (no firebreak:gameday tag)' : `a canary of another game day (firebreak:gameday=${tag})`}; a game-day event (run ${runId}) acts only on resources tagged firebreak:gameday=${runId}`;
}
