import type { Verdict } from './judge';

/**
 * Where a judged tamper case goes next (JudgeTrailChange's `route`, the JudgementOutcome Choice of the state machine).
 * Pure.
 * - `contain`: RestoreLogging → RevokeActor → VerifyTamperResponse → Notify (as before issue 14);
 * - `restore`: RestoreLogging → VerifyTamperResponse → Notify: logging restored, nobody revoked;
 * - `notify`: a notify-only case (NotifyOnly), nothing changed in the member account;
 * - `approval`: RequestApproval: a person decides.
 */
export type TamperRoute = 'contain' | 'restore' | 'notify' | 'approval';

/** What is known of an approval on the case: whether one was asked, and whether a person (not the timeout) said contain. */
export interface ApprovalSoFar {
  readonly asked: boolean;
  readonly approvedByPerson: boolean;
}

/**
 * The route of a judged call.
 * - A reduction is contained, or, by a known automation principal, restored and notified.
 * - An increase or no change is notify-only: nothing reduced logging, so nobody is revoked.
 * - An unknown change never revokes on its own: it asks a person (approval); after a person approved, it is contained (or
 *   restored for automation); when an approval was asked and nobody answered (the entry's timeout action was `contain`),
 *   logging is restored and nobody is revoked.
 * @param verdict - the judgement's verdict.
 * @param automation - the call's actor is a known automation principal (`tamperAutomationPrincipals`).
 * @param approval - the approval on the case so far.
 * @returns the route and why, in words.
 */
export function routeOf(verdict: Verdict, automation: boolean, approval: ApprovalSoFar): { route: TamperRoute; reason: string } {
  const act = automation ? 'restore' : 'contain';
  switch (verdict) {
    case 'reduces':
      return {
        route: act,
        reason: automation
          ? 'the change reduces logging and its actor is a known automation principal: logging is restored and nobody is revoked'
          : 'the change reduces logging: logging is restored and the actor is revoked',
      };
    case 'increases':
    case 'unchanged':
      return {
        route: 'notify',
        reason: `the change ${verdict === 'increases' ? 'increases logging' : 'leaves logging as it was'}: nothing is revoked (notify-only)`,
      };
    case 'unknown':
      if (approval.approvedByPerson)
        return { route: act, reason: 'whether the change reduces logging is unknown, and a person approved containment' };
      if (approval.asked)
        return {
          route: 'restore',
          reason: 'whether the change reduces logging is unknown and nobody answered the approval: logging is restored, nobody is revoked',
        };
      return {
        route: 'approval',
        reason: 'whether the change reduces logging cannot be told: a person decides (approval); nothing is revoked until then',
      };
  }
}
