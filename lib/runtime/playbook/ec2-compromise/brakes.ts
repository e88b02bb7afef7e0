import type { Instance } from '@aws-sdk/client-ec2';
import type { Hold } from '../../../core/brakes';
import type { PlaybookState, PreClaimState } from '../../../core/contracts/state';
import { Throttled } from '../../../core/errors';
import { ContainmentHeld } from '../../ec2/contain';
import type { ClaimGuard } from '../../ledger/ledger';
import { BreakerView, breakerCounts, breakerHold, countUpdates } from '../../brakes/breaker';
import { mayHold, tagHold } from '../../brakes/protection';
import type { StepDeps } from '../deps-base';

/** The brakes of a Contain run from Triage: {@link containBrakes}. */
export interface ContainBrakes {
  /** The hold on the first round's reads (`ContainDeps.brake`). */
  readonly hold: (instance: Instance) => Promise<Hold | undefined>;
  /** The breaker's count, in the claim's transaction (`ClaimRecords.guard`); absent when nothing is counted. */
  readonly guard?: ClaimGuard;
}

/**
 * The brakes on an automatic containment (issue 14), judged in Contain's first round with no sequential call added:
 * the breaker items are read beside the describes (started here, with the step), and the hold is judged once both the
 * instance (DescribeInstances, in that round) and the breaker are read:
 * - the protection tag as the instance carries it now ({@link tagHold}; the finding's tags and the lists were judged
 *   by Triage);
 * - the blast-radius breaker ({@link breakerHold}): full on the account's or the organisation's item.
 * With room, the count rides in the claim's TransactWriteItems ({@link countUpdates}, conditional on the version
 * read); a conflict (another run counted) reads the breaker again and retries, or holds when it is now full, before
 * anything was written. A manual start and a dry run are never held ({@link mayHold}); only a finding's automatic
 * containment is counted ({@link breakerCounts}: not a game-day drill); an approved case (ContainClaimed) does not come here.
 * @param state - Contain's state (Triage decided `contain`).
 * @param resumes - the case this run resumes, when it does (read with the claim): a case counted already is not held.
 */
export function containBrakes(state: PreClaimState, deps: StepDeps, resumes: () => Promise<string | undefined>): ContainBrakes {
  const i = state.incident;
  if (!mayHold(i)) return { hold: async () => undefined };
  const tagged = (instance: Instance) => tagHold(instance.Tags, deps.config.protection, 'instance');
  if (!breakerCounts(i)) return { hold: async (instance) => tagged(instance) };
  const read = deps.ledger.breaker.read(i.account);
  read.catch(() => undefined);
  let view: BreakerView | undefined;
  const limits = deps.config.breaker;
  return {
    hold: async (instance) => {
      view = await read;
      return tagged(instance) ?? breakerHold(view, limits, deps.now(), await resumes());
    },
    guard: {
      items: (caseId, now) => {
        if (!view) return [];
        const hold = breakerHold(view, limits, now, caseId);
        if (hold) throw new ContainmentHeld(hold);
        return countUpdates(view, limits, deps.config.ledgerTable, caseId, now);
      },
      cancelled: async () => {
        view = await deps.ledger.breaker.read(i.account);
      },
    },
  };
}

/** The brakes of a Contain run after Claim: {@link claimedBrakes}. */
export interface ClaimedBrakes {
  /** The hold on the first round's reads (`ContainDeps.brake`). */
  readonly hold: (instance: Instance) => Promise<Hold | undefined>;
  /** Counts the case on the breaker before the prior state is recorded; throws {@link ContainmentHeld} when it filled. */
  readonly count: () => Promise<void>;
}

/** How often ContainClaimed reads the breaker again after another execution counted first. */
const MAX_COUNT_ATTEMPTS = 20;

/**
 * The brakes of ContainClaimed when no person approved it (issue 14): an event Triage stored because it was too large to
 * travel to Contain beside the state goes Claim → ContainClaimed with Triage's `contain`, and is braked as Contain brakes
 * (the tag on the instance now; the breaker, read in the first round). No claim transaction follows here, so the count
 * is its own conditional TransactWriteItems before the prior state is recorded (a sequential call on this path only),
 * read again on a conflict. `undefined` (no brake) after an approval (`approvalOutcome`), and for a manual start or a
 * dry run.
 */
export function claimedBrakes(state: PlaybookState, deps: StepDeps): ClaimedBrakes | undefined {
  const i = state.incident;
  if (state.approvalOutcome || !mayHold(i)) return undefined;
  const caseId = state.case.caseId;
  const limits = deps.config.breaker;
  const read = breakerCounts(i) ? deps.ledger.breaker.read(i.account) : undefined;
  read?.catch(() => undefined);
  let view: BreakerView | undefined;
  return {
    hold: async (instance) => {
      const tagged = tagHold(instance.Tags, deps.config.protection, 'instance');
      view = await read;
      return tagged ?? (view ? breakerHold(view, limits, deps.now(), caseId) : undefined);
    },
    count: async () => {
      for (let n = 0; view && n < MAX_COUNT_ATTEMPTS; n++) {
        if (await deps.ledger.breaker.count(view, limits, caseId)) return;
        view = await deps.ledger.breaker.read(i.account);
        const hold = breakerHold(view, limits, deps.now(), caseId);
        if (hold) throw new ContainmentHeld(hold);
      }
      if (view) throw new Throttled(`the blast-radius breaker of account ${i.account} changed under ${MAX_COUNT_ATTEMPTS} reads in a row`);
    },
  };
}
