import type { ReleaseState } from '../../../core/contracts/state';
import type { MemberClients } from '../../clients';
import type { StepDeps } from '../deps-base';
import '../../clients/assume-role';

/**
 * The clients a release step acts through in the case's member account: the releaser role (`FIREBREAK_RELEASER_ROLE_NAME`),
 * never the responder's (separation of duties). Only the steps that release in a member account import this module, so
 * only their bundles carry the credential providers (STS AssumeRole).
 * @param state - the release state (the case's account and region).
 * @param deps - step dependencies (config and clients).
 * @returns the member clients, each built on first use.
 */
export function releaserClients(state: ReleaseState, deps: StepDeps): MemberClients {
  return deps.clients.member(state.case.account, state.case.region, { roleName: deps.config.releaserRoleName });
}
