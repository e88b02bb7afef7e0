import type { Incident } from '../../../core/incident/incident';
import { hasAwsCode } from '../../aws-errors';
import type { StepDeps } from '../deps-base';

/** Whether a game-day event may act (reads only): used by GameDayGuard (gameday-guard.ts) and Decide (decide.ts). */

/** What GameDayGuard may do in the member account: read the target's tags, nothing else (its AssumeRole session policy). */
export const GAMEDAY_GUARD_ACTIONS = ['ec2:DescribeInstances', 'iam:ListUserTags', 'iam:ListRoleTags'] as const;

/** The tag that marks a game-day canary: `firebreak:gameday=<run ID>`. */
export const GAMEDAY_TAG = 'firebreak:gameday';

/**
 * Why a game-day event must not act at all because of who sent it, or `undefined` when it may: game-day
 * events are accepted only from the security account (in single-account mode, the deployment's own).
 * The game-day rules already match only that sender (lib/core/catalog/patterns.ts `gameDayPatternFor`) and the
 * bus policy denies game-day events to every other account; this is the check in the code, for an
 * execution started any other way. Pure: no AWS call.
 * @param incident - a normalized incident; anything but `trigger: gameday` passes.
 * @param securityAccountId - the security account's 12-digit ID (runtime config).
 */
export function gameDaySenderRefusal(incident: Pick<Incident, 'trigger' | 'gameDaySender'>, securityAccountId: string): string | undefined {
  if (incident.trigger !== 'gameday') return undefined;
  if (!incident.gameDaySender) return 'the game-day event names no sender account';
  if (incident.gameDaySender === securityAccountId) return undefined;
  return `the game-day event was sent by account ${incident.gameDaySender}, not by the security account ${securityAccountId}; game-day events are accepted only from the security account`;
}

/**
 * Why a game-day event must not act on its target, or `undefined` when it may: it must come from the
 * security account ({@link gameDaySenderRefusal}, checked first, before any AWS call), and the target must carry
 * `firebreak:gameday=<the event's run ID>` (DESIGN.md §2: "A game-day event may only act on resources
 * tagged as game-day targets"). A forged or misdirected game-day event naming any other resource,
 * or one that cannot be read, contains nothing.
 * Reads only: EC2 DescribeInstances (instance tags), IAM ListUserTags / ListRoleTags.
 * @param incident - an incident with `trigger: gameday`.
 */
export async function gameDayRefusal(incident: Incident, deps: Pick<StepDeps, 'clients' | 'config'>): Promise<string | undefined> {
  const sender = gameDaySenderRefusal(incident, deps.config.securityAccountId);
  if (sender) return sender;
  const runId = incident.gameDayRunId;
  if (!runId) return 'game-day event without a run ID';
  const r = incident.resource;
  const what =
    r.type === 'Instance'
      ? `instance ${r.id}`
      : r.type === 'AccessKey' && r.userType === 'IAMUser' && r.userName
        ? `IAM user ${r.userName}`
        : r.type === 'AccessKey' && r.userType === 'AssumedRole' && r.userName
          ? `IAM role ${r.userName}`
          : undefined;
  if (!what) return `a game-day event cannot act on a ${r.type === 'AccessKey' ? r.userType : r.type} resource`;
  let tags: { Key?: string; Value?: string }[];
  try {
    // Loaded here, on the game-day path only: the EC2 and IAM clients and the member credentials (STS) are not
    // required when the Lambda starts (gameday-tags.ts).
    const { readTargetTags } = await import('./gameday-tags');
    tags = await readTargetTags(incident, deps.clients);
  } catch (err) {
    if (hasAwsCode(err, 'InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed', 'NoSuchEntity', 'NoSuchEntityException'))
      return `${r.id} does not exist`;
    throw err;
  }
  const tag = tags.find((t) => t.Key === GAMEDAY_TAG)?.Value;
  if (tag === runId) return undefined;
  return `${what} is ${tag === undefined ? 'not a game-day canary (no firebreak:gameday tag)' : `a canary of another game day (firebreak:gameday=${tag})`}; a game-day event (run ${runId}) acts only on resources tagged firebreak:gameday=${runId}`;
}
