import { AccessDenied, NotYetConsistent } from '../../../core/errors';
import { mapAwsError } from '../../aws-errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { PlannedAction, StepMode } from '../../ec2/instance';
import {
  ensureInstanceCredentialsDenied,
  instanceArnOf,
  InstanceCredentialsDenyResult,
  InstanceCredentialsPriorState,
  readRolePolicyText,
  revocationCutoffOf,
  RoleProtection,
} from '../../iam/instance-credentials';
import { ROLE_SESSION_REVOCATION_POLICY_NAME } from '../../iam/policies';
import type { StepDeps } from '../deps-base';
import { revokeRoleSessionsForCase } from '../revocation';
import '../../clients/assume-role';

/**
 * What DenyInstanceCredentials (deny-instance-credentials.ts) applies and PlanDryRun (plan.ts) plans: the instance role's
 * deny scoped to the instance and, with `revokeInstanceRoleSessions`, the role's older sessions revoked.
 */

/** The case's prior-state key of the instance deny (`priorState.instanceCredentials`). */
export const INSTANCE_CREDENTIALS_PRIOR_KEY = 'instanceCredentials';

/** What the option `revokeInstanceRoleSessions` did: every session of the role issued before `cutoff` revoked. */
export interface OlderSessionsResult {
  readonly roleName: string;
  /** ISO-8601 UTC, recorded once per case (`decisions.revocationCutoff`). */
  readonly cutoff: string;
  readonly actions: PlannedAction[];
  /** Set when the role is protected and nothing was written. */
  readonly protectedReason?: string;
  /**
   * Set when the role already carried Firebreak's revocation with this cutoff or a later one (another case's, e.g. a second
   * instance of the role contained at the same time): it revokes at least what this case's would, so nothing was written.
   */
  readonly coveredBy?: string;
  /** Set when IAM refused a call (the message): the role's older sessions are not revoked. */
  readonly accessDenied?: string;
  /** Whether the policy read back as written (apply mode). */
  readonly verified?: boolean;
}

/** `$.instanceCredentials`: what DenyInstanceCredentials did. */
export interface InstanceCredentialsResult extends InstanceCredentialsDenyResult {
  /** Only with `revokeInstanceRoleSessions` and a role that was resolved and not protected. */
  readonly olderSessions?: OlderSessionsResult;
}

/** The roles never touched: Firebreak's own and the deployment's `protection` lists. */
export function roleProtectionOf(deps: StepDeps): RoleProtection {
  return {
    protectedRoleNames: [deps.config.responderRoleName, deps.config.releaserRoleName],
    roleNamePatterns: deps.config.protection.roleNamePatterns,
    resourceArns: deps.config.protection.resourceArns,
  };
}

/**
 * The instance deny and, with the option, the role's older sessions revoked, in `mode`.
 * @param instanceProfileArn - the profile associated before containment, as recorded.
 * @param recordedRoleName - the role an earlier run of the step recorded on the case, if any (a re-run acts on it).
 */
export async function instanceCredentialsResponse(
  state: PlaybookState,
  deps: StepDeps,
  instanceProfileArn: string | undefined,
  mode: StepMode,
  recordedRoleName?: string,
): Promise<InstanceCredentialsResult> {
  const i = state.incident;
  const { iam } = deps.clients.member(i.account, i.region);
  const caseId = state.case.caseId;
  const instanceArn = instanceArnOf(i, i.resource.id);
  const deny = await ensureInstanceCredentialsDenied(
    {
      instanceId: i.resource.id,
      instanceArn,
      instanceProfileArn,
      ...(recordedRoleName ? { recordedRoleName } : {}),
      protection: roleProtectionOf(deps),
      mode,
    },
    {
      iam,
      recordPriorState:
        mode === 'apply'
          ? (v) => deps.ledger.recordPriorState<InstanceCredentialsPriorState>(caseId, INSTANCE_CREDENTIALS_PRIOR_KEY, v)
          : undefined,
    },
  ).catch((err: unknown) => {
    const denied = refusal(err);
    return {
      status: 'access-denied' as const,
      instanceArn,
      reason: `${denied}: this instance's role credentials are NOT denied`,
      actions: [],
    };
  });
  if (deny.status !== 'denied' || !deny.roleName || !deps.config.revokeInstanceRoleSessions) return deny;
  const olderSessions = await revokeOlderSessions(state, deps, deny.roleName, mode).catch((err: unknown) => ({
    roleName: deny.roleName!,
    cutoff: '',
    actions: [],
    accessDenied: `${refusal(err)}: the role's older sessions are NOT revoked`,
  }));
  return { ...deny, olderSessions };
}

/**
 * IAM's refusal of a call, as a message: an SCP, a permissions boundary or a changed responder policy must not stop the
 * playbook before the evidence (the instance is isolated already); the step's result and the notification say what was
 * not done. Any other error is thrown as it is (retried, or the case fails).
 */
function refusal(err: unknown): string {
  const mapped = mapAwsError(err);
  if (mapped instanceof AccessDenied) return mapped.message;
  throw err;
}

/** The cutoff of the role's Firebreak revocation now, read with GetRolePolicy, when it is exactly Firebreak's document. */
const currentCutoff = async (deps: StepDeps, state: PlaybookState, roleName: string) =>
  revocationCutoffOf(
    await readRolePolicyText(
      deps.clients.member(state.incident.account, state.incident.region).iam,
      roleName,
      ROLE_SESSION_REVOCATION_POLICY_NAME,
    ),
  );

/** Whether a revocation with cutoff `current` revokes at least every session one with cutoff `ours` does. */
const covers = (current: string | undefined, ours: string) => current !== undefined && Date.parse(current) >= Date.parse(ours);

/**
 * The option `revokeInstanceRoleSessions`: every session of the role issued before the case's cutoff revoked
 * ({@link revokeRoleSessionsForCase}: cutoff recorded once per case, prior document recorded before the write). A
 * Firebreak revocation already on the role with this cutoff or a later one is never replaced by this case's earlier one
 * (that would give back sessions another case revoked): two instances of one role contained at once converge on the
 * later cutoff. The write is read back: a revocation that does not cover this case's cutoff yet is `NotYetConsistent`.
 */
async function revokeOlderSessions(state: PlaybookState, deps: StepDeps, roleName: string, mode: StepMode): Promise<OlderSessionsResult> {
  const second = new Date(Math.ceil(deps.now().getTime() / 1000) * 1000).toISOString();
  const recorded = mode === 'apply' ? await deps.ledger.recordDecision(state.case.caseId, 'revocationCutoff', second) : second;
  const ours = new Date(recorded).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const before = await currentCutoff(deps, state, roleName);
  if (covers(before, ours))
    return { roleName, cutoff: ours, actions: [], coveredBy: before, ...(mode === 'apply' ? { verified: true } : {}) };
  const out = await revokeRoleSessionsForCase(state, deps, roleName, mode);
  const base = {
    roleName,
    cutoff: out.cutoff,
    actions: out.actions,
    ...(out.protectedReason ? { protectedReason: out.protectedReason } : {}),
  };
  if (mode !== 'apply' || out.protectedReason) return base;
  const after = await currentCutoff(deps, state, roleName);
  if (!covers(after, out.cutoff))
    throw new NotYetConsistent(`${roleName}: ${ROLE_SESSION_REVOCATION_POLICY_NAME} does not revoke sessions before ${out.cutoff} yet`);
  return { ...base, ...(after === out.cutoff ? {} : { coveredBy: after }), verified: true };
}
