import { GetRolePolicyCommand, IAMClient, ListUserPoliciesCommand } from '@aws-sdk/client-iam';
import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import { hasAwsCode } from '../../aws-errors';
import { caseEvidencePrefix } from '../../evidence/manifest';
import { LOOKUP_BYTE_CAP, lookupAroundFinding, RegionLookup } from '../../evidence/principal-events';
import {
  CasePrincipal,
  casePrincipalOf,
  LOOKUP_MAX_RESULTS,
  LOOKUP_PAGE_CAP,
  LOOKUP_WINDOW_BEFORE_MS,
  lookupAttributeOf,
  lookupRegions,
  lookupWindow,
} from '../../evidence/principal-lookup';
import { caseEventOf, LinkedEvent, putArtifactOnce, StoredArtifact } from '../../evidence/vault';
import { parsePolicyDocument, ROLE_SESSION_REVOCATION_POLICY_NAME, ROLE_VPC_RESTRICTION_POLICY_NAME } from '../../iam/policies';
import { listAttachedUserPolicyArns } from '../../iam/principals';
import { recordArtifactManifest } from '../artifact-manifest';
import type { StepDeps } from '../deps-base';
import { caseTarget, runStep } from '../run-step';
import '../../clients/assume-role';
import '../../clients/iam';

/**
 * PreserveCredentialEvidence (credential-compromise and cloudtrail-tamper, one function for both; issue 16, item 4): the
 * case's evidence in the vault, after containment (the credential is revoked first: revoking a leaked key never waits
 * on a slow, rate-limited LookupEvents), each artifact a separate write-once object with its SHA-256 in the manifest:
 * - `finding.json`: the event the case was opened from, as Normalize stored it (`received-events/`, referenced, not copied);
 * - `credential/cloudtrail-events.json`: the principal's CloudTrail records around the finding
 *   (lib/runtime/evidence/principal-events.ts: one lookup attribute, 24 h before the finding to now split at the
 *   finding's time, the finding's Region and its partition's global events Region (us-east-1 in `aws`), at most 10 pages of 50 and 8 MiB of records per Region,
 *   `truncated` recorded);
 * - `credential/policies-before.json`: the principal's policies as containment recorded them before it changed anything
 *   (the case's `priorState.user` or `priorState.role`, written before the first change: revocation.ts);
 * - `credential/policies-after.json`: the principal's policies read back now (the user's inline policy names and
 *   attached policy ARNs, AWSDenyAll among them; the role's Firebreak inline policies' documents);
 * then `manifest.json`, recorded on the case with the step's timeline entry ({@link recordArtifactManifest}).
 * Every object is written once (`If-None-Match: *`): a re-run, a concurrent run or a run after a crash keeps the first
 * run's objects and hashes. A failure fails the step (its timeline entry FAILED, the case FAILED through RecordFailure)
 * and changes nothing of the containment already made.
 * @throws {InvalidInput} on a dry run (PlanDryRun plans it) or an incident that names no principal.
 * @throws {ResourceGone} when the IAM user is gone (its policies cannot be read back).
 */
export async function preserveCredentialEvidence(state: PlaybookState, deps: StepDeps) {
  const i = state.incident;
  if (i.dryRun) throw new InvalidInput('PreserveCredentialEvidence does not run on a dry run (PlanDryRun plans it)');
  const principal = casePrincipalOf(state);
  const { s3 } = deps.clients.security();
  return runStep('PreserveCredentialEvidence', caseTarget(state, deps.ledger), async (run) => {
    const prefix = caseEvidencePrefix(i.account, state.case.caseId);
    const record = await deps.ledger.getCase(state.case.caseId);
    if (!record) throw new InvalidInput(`Case ${state.case.caseId} does not exist`);
    const now = deps.now();
    const span = lookupWindow(findingTimeOf(state), now);
    // Split at the finding's time (lookupAroundFinding): the records up to the finding are never pushed out by later ones.
    const window = { ...span, at: new Date(Date.parse(span.start) + LOOKUP_WINDOW_BEFORE_MS).toISOString() };
    const lookup = lookupAttributeOf(principal);
    const regions: RegionLookup[] = [];
    if (lookup) {
      for (const region of lookupRegions(i.region)) {
        const { cloudtrail } = deps.clients.member(i.account, region);
        regions.push(await lookupAroundFinding(cloudtrail, { lookup, ...window, region }));
      }
    }
    const { iam } = deps.clients.member(i.account, i.region);
    const docs: Record<string, unknown> = {
      'cloudtrail-events.json': {
        principal,
        lookupAttribute: lookup ?? null,
        notLookedUp: lookup ? undefined : `a ${principal.type} principal has no lookup attribute: read its records in the console`,
        window: { ...window, beforeFindingMs: LOOKUP_WINDOW_BEFORE_MS },
        pageCap: LOOKUP_PAGE_CAP,
        byteCap: LOOKUP_BYTE_CAP,
        pageSize: LOOKUP_MAX_RESULTS,
        truncated: regions.some((r) => r.truncated),
        regions,
      },
      'policies-before.json': policiesBefore(record.priorState),
      'policies-after.json': { readAt: now.toISOString(), ...(await policiesAfter(iam, principal)) },
    };
    const artifacts: StoredArtifact[] = [];
    const event =
      state.event ??
      caseEventOf((await deps.ledger.linkedEvents(state.case.caseId)) as unknown as LinkedEvent[], record.incident.finding.id);
    if (event) artifacts.push({ name: 'finding.json', bucket: event.bucket, key: event.key, sha256: event.sha256, bytes: event.bytes });
    else
      docs['finding.json'] = {
        event: null,
        why: 'started on a named resource: there is no event',
        trigger: i.trigger,
        resource: i.resource,
      };
    for (const [name, doc] of Object.entries(docs)) {
      const body = `${JSON.stringify(doc, null, 2)}\n`;
      const key = `${prefix}credential/${name}`;
      artifacts.push(
        await putArtifactOnce({ bucket: deps.config.evidenceBucket, key, name, body, kmsKeyId: deps.config.evidenceKeyArn }, { s3 }),
      );
    }
    const manifest = await recordArtifactManifest(state, deps, run, s3, prefix, artifacts);
    const eventsFound = regions.reduce((n, r) => n + r.events.length, 0);
    return { artifacts, manifest, eventsFound, truncated: regions.some((r) => r.truncated), regions: regions.map((r) => r.region) };
  });
}

/** The finding's time: the API call's own time for a tamper case, else the event's (ISO-8601 UTC). */
function findingTimeOf(state: PlaybookState): string {
  const r = state.incident.resource;
  return (r.type === 'ApiCall' && r.callTime) || state.incident.eventTime;
}

/** `policies-before.json`: the principal's state as containment recorded it before its first change. */
function policiesBefore(priorState: Record<string, unknown>): Record<string, unknown> {
  const { user, role } = priorState as { user?: unknown; role?: unknown };
  return {
    source: 'the case prior state, recorded by containment before its first change (priorState.user / priorState.role)',
    user: user ?? null,
    role: role ?? null,
    ...(user || role
      ? {}
      : {
          why: 'containment recorded no prior state: nobody was revoked (a protected role, a restore-only route, or another principal type)',
        }),
  };
}

/** A role's inline policy read back, or null when it has none of that name. */
async function rolePolicy(iam: IAMClient, roleName: string, policyName: string): Promise<unknown> {
  try {
    const out = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    return out.PolicyDocument ? parsePolicyDocument(out.PolicyDocument) : null;
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException')) return null;
    throw err;
  }
}

/**
 * `policies-after.json`: the user's inline policy names and attached policy ARNs (ListUserPolicies,
 * ListAttachedUserPolicies), or the role's Firebreak inline policies (GetRolePolicy), as read now.
 */
async function policiesAfter(iam: IAMClient, p: CasePrincipal): Promise<Record<string, unknown>> {
  if (p.type === 'IAMUser' && p.userName) {
    const [inline, attached] = await Promise.all([
      iam.send(new ListUserPoliciesCommand({ UserName: p.userName })),
      listAttachedUserPolicyArns(iam, p.userName),
    ]);
    return { user: { userName: p.userName, inlinePolicies: inline.PolicyNames ?? [], attachedPolicies: attached } };
  }
  if (p.type === 'AssumedRole' && p.roleName) {
    const policies = Object.fromEntries(
      await Promise.all(
        [ROLE_SESSION_REVOCATION_POLICY_NAME, ROLE_VPC_RESTRICTION_POLICY_NAME].map(async (n) => [
          n,
          await rolePolicy(iam, p.roleName!, n),
        ]),
      ),
    );
    return { role: { roleName: p.roleName, firebreakInlinePolicies: policies } };
  }
  return { why: `a ${p.type} principal has no policies Firebreak reads` };
}
