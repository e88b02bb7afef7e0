import { Aws } from 'aws-cdk-lib';
import { FirebreakConfig } from '../core/config';
import { FirebreakNames } from './names';

/**
 * Name of the security account's custom event bus with the default prefix (`FirebreakNames.eventBus`): member
 * accounts forward CloudTrail-delivered API calls to it; manual and game-day events go to it too.
 */
export const FIREBREAK_EVENT_BUS_NAME = FirebreakNames.DEFAULT.eventBus;

/** Alias of the member account key that snapshots are re-encrypted under before they are shared (default prefix). */
export const EVIDENCE_TRANSIT_KEY_ALIAS = FirebreakNames.DEFAULT.transitKeyAlias;

/**
 * The security account: the configured one, or (single-account mode) the deploying account.
 * @param config - the deployment configuration.
 * @returns a 12-digit account ID, or the `AWS::AccountId` token in single-account mode.
 */
export function securityAccountOf(config: FirebreakConfig): string {
  return config.securityAccountId ?? Aws.ACCOUNT_ID;
}

/**
 * The accounts the responder may act in.
 * @param config - the deployment configuration.
 * @returns the configured member accounts; `['*']` (any account) when a security account is set and
 *   no member accounts are listed; the deploying account (token) in single-account mode.
 */
export function memberAccountsOf(config: FirebreakConfig): string[] {
  if (config.securityAccountId === undefined) return [Aws.ACCOUNT_ID];
  return config.memberAccountIds.length > 0 ? [...config.memberAccountIds] : ['*'];
}
