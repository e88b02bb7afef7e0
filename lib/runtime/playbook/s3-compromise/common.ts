import { InvalidInput } from '../../../core/errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { S3BucketResource } from '../../../core/incident/incident';
import type { CaseLedger } from '../../ledger/ledger';
import type { BucketContainment, PriorRecorder } from '../../s3/contain';
import { offendingPrincipal } from '../../s3/principal';
import type { StepDeps } from '../deps-base';
import '../../clients/s3';
import '../../clients/assume-role';

/** The s3-compromise incident's bucket. @throws {InvalidInput} when the incident is not about a bucket. */
export function bucketOf(state: Pick<PlaybookState, 'incident'>): S3BucketResource {
  const r = state.incident.resource;
  if (r.type !== 'S3Bucket') throw new InvalidInput(`s3-compromise needs an S3Bucket resource, not ${r.type}`);
  return r;
}

/**
 * What ContainBucket contains for an incident: the principal the finding names, when it can be named exactly
 * (lib/runtime/s3/principal.ts) and the finding shows compromise (not an exposure-only `Policy:S3/` finding, whose
 * principal changed a configuration: a person judges it); the public access block when the finding is about exposure.
 * @returns the containment, and why no principal is denied when none is.
 */
export function containmentOf(
  state: Pick<PlaybookState, 'incident'>,
  deps: Pick<StepDeps, 'config'>,
): {
  target: BucketContainment;
  notNamed?: string;
} {
  const i = state.incident;
  const b = bucketOf(state);
  const bucketArn = `arn:${i.partition}:s3:::${b.bucketName}`;
  const exposureOnly = i.finding.type.startsWith('Policy:S3/');
  const named = exposureOnly
    ? ({
        named: false,
        why: 'an exposure finding: the public access block is turned on, no principal is denied; a person judges the change',
      } as const)
    : offendingPrincipal({ partition: i.partition, account: i.account, ...b.principal, remoteAccountId: b.remoteAccountId }, [
        deps.config.responderRoleName,
        deps.config.releaserRoleName,
      ]);
  return {
    target: {
      bucket: b.bucketName,
      bucketArn,
      principal: named.named ? { principalArn: named.principalArn, arnPatterns: named.arnPatterns } : undefined,
      blockPublicAccess: b.exposed,
    },
    ...(named.named ? {} : { notNamed: named.why }),
  };
}

/** The prior-state recorder of a case (the ledger's `recordPriorState`: the first record of a key wins). */
export function priorRecorder(ledger: CaseLedger, caseId: string): PriorRecorder {
  return (key, value) => ledger.recordPriorState(caseId, key, value);
}

/** A recorder for a dry run: records nothing (plan mode never calls it). */
export const NO_RECORDS: PriorRecorder = async (_key, value) => value;
