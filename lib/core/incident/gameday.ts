import { GAMEDAY_SOURCE } from '../catalog/patterns';

/**
 * The account that sent a game-day event: its top-level `account`, which EventBridge sets to the
 * account that called PutEvents (the entry has no field for it: "PutEventsRequestEntry", EventBridge
 * API Reference), and which an event forwarded by a rule to another account's bus keeps ("Sending and
 * receiving events between AWS accounts in Amazon EventBridge", EventBridge User Guide). Game-day
 * events are accepted only from the security account (lib/runtime/playbook/shared/guard-gameday.ts
 * `gameDaySenderRefusal`, before Claim); Normalize records the sender on the incident so that the
 * check does not need the raw event.
 * @param event - a parsed GuardDuty-shaped event (`source`, `account`).
 * @returns the 12-digit sender for a {@link GAMEDAY_SOURCE} event; `undefined` for any other event.
 */
export function gameDaySenderOf(event: { readonly source: string; readonly account: string }): string | undefined {
  return event.source === GAMEDAY_SOURCE ? event.account : undefined;
}
