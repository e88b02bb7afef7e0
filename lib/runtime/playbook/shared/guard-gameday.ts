import { PublishCommand } from '@aws-sdk/client-sns';
import { describeResource } from '../../../core/incident/describe';
import type { StepDeps } from '../deps-base';
import type { PreClaimState } from '../../../core/contracts/state';
import { snsSubject } from '../sns-subject';
import { gameDayRefusal, gameDaySenderRefusal } from './gameday-check';
import '../../clients/sns';
import { caseCard, withCard } from '../../../core/chat-card';

export { GAMEDAY_GUARD_ACTIONS, GAMEDAY_TAG, gameDayRefusal, gameDaySenderRefusal } from './gameday-check';

/** The result of {@link guardGameDay} (`$.gameDay`). */
export interface GameDayGuardResult {
  /** True when the game-day event must not act: the execution ends `GAMEDAY_REFUSED`, before Claim. */
  readonly refused: boolean;
  /** Why, when refused. */
  readonly reason?: string;
}

/** The `kind` of the notification a refused game-day event sends. */
export const GAMEDAY_REFUSED_KIND = 'gameday-refused';

/**
 * GameDayGuard, the state between Normalize and Claim of every playbook that has game-day rules
 * (ec2-compromise, credential-compromise): a game-day event that must not act ({@link gameDayRefusal}:
 * not from the security account, or a target that is not its game day's canary) is refused BEFORE any
 * claim, so it can never hold the case of a real resource and make the real finding that follows end
 * ALREADY_HANDLED. A refusal claims nothing and writes nothing to the ledger; it publishes one
 * `gameday-refused` notification (no case ID: there is no case) with the reason, the run ID, the sender
 * and the resource, and the execution ends `GAMEDAY_REFUSED`. It cannot be used to flood the topic from
 * a member account: only the security account's game-day events reach a playbook (rule pattern and bus
 * policy). A dry run (sample finding) is only checked for its sender: it acts on nothing.
 * Any other incident passes without an AWS call.
 * Calls: member EC2 DescribeInstances / IAM ListUserTags / ListRoleTags (read only, through the
 * responder role, and only for a sender that is the security account); SNS Publish on a refusal.
 * @param state - Normalize's output.
 * @returns `{ refused: false }`, or `{ refused: true, reason }` once the notification is published.
 */
export async function guardGameDay(state: PreClaimState, deps: Pick<StepDeps, 'clients' | 'config'>): Promise<GameDayGuardResult> {
  const i = state.incident;
  if (i.trigger !== 'gameday') return { refused: false };
  const reason = gameDaySenderRefusal(i, deps.config.securityAccountId) ?? (i.dryRun ? undefined : await gameDayRefusal(i, deps));
  if (!reason) return { refused: false };
  const what = describeResource(i);
  await deps.clients.security().sns.send(
    new PublishCommand({
      TopicArn: deps.config.topicArn,
      // SNS subjects are ASCII without control characters, at most 100 characters ("Publish", Amazon SNS API Reference).
      Subject: snsSubject(`[Firebreak] game-day event refused: ${what} (run ${i.gameDayRunId ?? '-'})`),
      // The chat card for AWS Chatbot (`https`; no case, no thread) and this JSON, unchanged, for every other subscriber
      // (`default`). The card names the resource made inert, never the refusal's reason (it may quote the target's tags).
      ...withCard(
        JSON.stringify(
          {
            kind: GAMEDAY_REFUSED_KIND,
            summary: `A game-day event (run ${i.gameDayRunId ?? '-'}, sent by ${i.gameDaySender ?? 'an unknown account'}) about ${what} in ${i.account}/${i.region} was refused before any claim: ${reason}. Nothing was claimed or contained. If no game day of yours was running, someone is sending game-day events: look for the sender's PutEvents calls in CloudTrail.`,
            reason,
            gameDayRunId: i.gameDayRunId,
            sender: i.gameDaySender,
            resource: what,
            playbook: i.playbook,
            executionName: state.run.executionName,
            eventId: i.eventId,
          },
          null,
          2,
        ),
        caseCard({
          event: 'gameday-refused',
          playbook: i.playbook,
          account: i.account,
          region: i.region,
          resourceId: i.resource.id,
          note: 'A game-day event was refused before any claim: nothing was claimed or contained.',
        }),
      ),
      MessageAttributes: { kind: { DataType: 'String', StringValue: GAMEDAY_REFUSED_KIND } },
    }),
  );
  return { refused: true, reason };
}
