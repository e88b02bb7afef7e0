import { PutBucketPolicyCommand, PutPublicAccessBlockCommand, S3Client } from '@aws-sdk/client-s3';
import { NotYetConsistent } from '../../core/errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { FULL_PUBLIC_ACCESS_BLOCK, isFullyBlocked, PublicAccessBlockState, readBucketPolicy, readPublicAccessBlock } from './bucket';
import { denyPrincipalStatement, hasStatement, PolicyStatement, statementsOf, parseBucketPolicy, withStatement } from './bucket-policy';

/**
 * Containment of an S3 bucket (s3-compromise): one deny statement for the principal the finding names, added to the
 * bucket policy by read-modify-write, and, for a finding about public exposure, the bucket's public access block
 * turned fully on. Never deletes or changes an object, never removes or changes another statement.
 *
 * AWS's guidance: "Remediating a potentially compromised S3 bucket" (GuardDuty User Guide,
 * https://docs.aws.amazon.com/guardduty/latest/ug/compromised-s3.html); the `AWSSupport-ContainS3Resource` runbook
 * (https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-awssupport-contains3resource.html),
 * which blocks public access and rewrites the bucket policy after backing up the configuration; the AWS Security
 * Incident Response User Guide's containment of S3 (https://docs.aws.amazon.com/security-ir/latest/userguide/).
 *
 * **The lost-update race.** PutBucketPolicy replaces the whole policy and takes no condition (no ETag, no
 * If-Match: "PutBucketPolicy", S3 API Reference), so a change another principal puts between Firebreak's read and its
 * put is lost. Firebreak narrows the window: it reads the policy again right before the put and builds the new policy
 * from that read, and reads back after the put (the result's `policyReadBack`, and VerifyBucketContainment), so a
 * concurrent write that dropped Firebreak's statement fails verification and the step runs again. A write that lands
 * in the milliseconds between the second read and the put is overwritten: the prior policy recorded on the case and
 * the evidence copy of the policy say what was there.
 */

/** What the prior state of the case holds for a contained bucket (`priorState.bucketPolicy`, `.publicAccessBlock`). */
export interface BucketPolicyPrior {
  readonly bucket: string;
  /** The policy's text before containment, or `null` when the bucket had none. */
  readonly text: string | null;
  /** The Sid of Firebreak's statement. */
  readonly sid: string;
  readonly principalArn: string;
  /**
   * Firebreak's statement as it put it: release removes the statement with `sid` only while it is exactly this (a
   * statement under that Sid that differs is someone else's). Absent on records made before it was recorded.
   */
  readonly statement?: PolicyStatement;
}
export interface PublicAccessBlockPrior {
  readonly bucket: string;
  readonly config: PublicAccessBlockState;
}

/** Records prior state on the case (the ledger's `recordPriorState`: the first record wins); returns what is stored. */
export type PriorRecorder = <T>(key: 'bucketPolicy' | 'publicAccessBlock' | 'versioning', value: T) => Promise<T>;

/** What to contain. */
export interface BucketContainment {
  readonly bucket: string;
  /** `arn:<partition>:s3:::<bucket>`. */
  readonly bucketArn: string;
  /** The principal to deny, named exactly (`offendingPrincipal`); absent: nobody is denied. */
  readonly principal?: { readonly principalArn: string; readonly arnPatterns: readonly string[] };
  /** Turn the public access block fully on (the finding is about public exposure). */
  readonly blockPublicAccess: boolean;
}

/** What containment did or would do. */
export interface BucketContainmentResult {
  readonly bucket: string;
  /** `added`, `present` (already there), `not-named` (no principal to deny). */
  readonly policy: 'added' | 'present' | 'not-named';
  readonly sid?: string;
  readonly principalArn?: string;
  /** `turned-on`, `already-on`, `not-asked` (not an exposure finding). */
  readonly publicAccessBlock: 'turned-on' | 'already-on' | 'not-asked';
  readonly actions: PlannedAction[];
}

/**
 * Contains a bucket (see the module's comment): reads the policy and the public access block, records each prior
 * state on the case before changing it, and applies only the difference. Runs twice, twice at once, or after a crash
 * after any call to the same end state: the statement's Sid is fixed and the prior state's first record wins.
 * @param s3 - S3 in the member account (the responder role).
 * @param target - what to contain.
 * @param mode - `plan`: reads only, returns the actions (dry run: zero mutating calls, nothing recorded).
 * @param record - the prior-state recorder.
 * @throws {QuotaExceeded} when the policy would exceed 20 KB (the policy unchanged). {@link InvalidInput} when the policy
 *   holds a foreign statement under Firebreak's Sid. {@link ResourceGone} for a bucket that is gone.
 *   {@link NotYetConsistent} when the statement does not read back after the put. On any failure of the policy part, an
 *   exposed bucket's public access block is still turned on (applied mode) before the error is thrown.
 */
export async function ensureBucketContained(
  s3: S3Client,
  target: BucketContainment,
  mode: StepMode,
  record: PriorRecorder,
): Promise<BucketContainmentResult> {
  const actions: PlannedAction[] = [];
  let policy: Pick<BucketContainmentResult, 'policy' | 'sid' | 'principalArn'> = { policy: 'not-named' };
  try {
    if (target.principal) policy = await containPolicy(s3, target, mode, record, actions);
  } catch (err) {
    // The two parts are independent narrowings: when the statement cannot go in (QuotaExceeded, a foreign statement
    // under Firebreak's Sid, S3 refusing the put), an exposed bucket still gets its public access block, then the step fails.
    if (mode === 'plan' || !target.blockPublicAccess) throw err;
    await blockPublicAccess(s3, target.bucket, mode, record, actions);
    throw err;
  }
  const pab = target.blockPublicAccess ? await blockPublicAccess(s3, target.bucket, mode, record, actions) : ('not-asked' as const);
  return { bucket: target.bucket, ...policy, publicAccessBlock: pab, actions };
}

async function containPolicy(
  s3: S3Client,
  target: BucketContainment,
  mode: StepMode,
  record: PriorRecorder,
  actions: PlannedAction[],
): Promise<Pick<BucketContainmentResult, 'policy' | 'sid' | 'principalArn'>> {
  const { principalArn, arnPatterns } = target.principal!;
  const statement = denyPrincipalStatement(target.bucketArn, principalArn, arnPatterns);
  const sid = statement.Sid as string;
  const first = await readBucketPolicy(s3, target.bucket);
  // Fails closed (QuotaExceeded) before anything is recorded or written when the statement would not fit.
  if (withStatement(first, statement).change === 'none') return { policy: 'present', sid, principalArn };
  actions.push({ operation: 'S3.PutBucketPolicy', target: target.bucket, change: `add statement ${sid}: Deny s3:* to ${principalArn}` });
  if (mode === 'plan') return { policy: 'added', sid, principalArn };
  await record<BucketPolicyPrior>('bucketPolicy', { bucket: target.bucket, text: first ?? null, sid, principalArn, statement });
  // Narrow the lost-update window: build from a read made right before the put.
  const latest = await readBucketPolicy(s3, target.bucket);
  const change = withStatement(latest, statement);
  if (change.change === 'put') await s3.send(new PutBucketPolicyCommand({ Bucket: target.bucket, Policy: change.text! }));
  await verifyPolicyAfterPut(s3, target.bucket, latest, statement);
  return { policy: 'added', sid, principalArn };
}

/**
 * Reads the policy back after the put: Firebreak's statement is there and so is every statement the put was built
 * from. A concurrent writer that replaced the policy since fails it ({@link NotYetConsistent}: the step runs again).
 */
async function verifyPolicyAfterPut(s3: S3Client, bucket: string, basis: string | undefined, statement: PolicyStatement): Promise<void> {
  const back = await readBucketPolicy(s3, bucket);
  if (!hasStatement(back, statement)) throw new NotYetConsistent(`bucket ${bucket}: the policy does not hold ${String(statement.Sid)} yet`);
  const now = statementsOf(back === undefined ? undefined : parseBucketPolicy(back)).map((s) => JSON.stringify(s));
  const lost = statementsOf(basis === undefined ? undefined : parseBucketPolicy(basis)).filter(
    (s) => s.Sid !== statement.Sid && !now.includes(JSON.stringify(s)),
  );
  if (lost.length)
    throw new NotYetConsistent(`bucket ${bucket}: the policy changed while Firebreak wrote it (${lost.length} statement(s) differ)`);
}

async function blockPublicAccess(
  s3: S3Client,
  bucket: string,
  mode: StepMode,
  record: PriorRecorder,
  actions: PlannedAction[],
): Promise<BucketContainmentResult['publicAccessBlock']> {
  const current = await readPublicAccessBlock(s3, bucket);
  if (isFullyBlocked(current)) return 'already-on';
  actions.push({ operation: 'S3.PutPublicAccessBlock', target: bucket, change: 'turn every public access block setting on' });
  if (mode === 'plan') return 'turned-on';
  await record<PublicAccessBlockPrior>('publicAccessBlock', { bucket, config: current });
  await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: { ...FULL_PUBLIC_ACCESS_BLOCK } }));
  return 'turned-on';
}

/** What VerifyBucketContainment read back. */
export interface BucketContainmentCheck {
  readonly bucket: string;
  readonly statement: boolean;
  readonly publicAccessBlock: boolean;
}

/**
 * Reads the containment back: the policy holds Firebreak's statement (when a principal was named) and the public
 * access block is fully on (when asked).
 * @throws {NotYetConsistent} naming what does not read back.
 */
export async function verifyBucketContained(s3: S3Client, target: BucketContainment): Promise<BucketContainmentCheck> {
  let statement = true;
  if (target.principal) {
    const expected = denyPrincipalStatement(target.bucketArn, target.principal.principalArn, target.principal.arnPatterns);
    statement = hasStatement(await readBucketPolicy(s3, target.bucket), expected);
  }
  const publicAccessBlock = target.blockPublicAccess ? isFullyBlocked(await readPublicAccessBlock(s3, target.bucket)) : true;
  if (!statement || !publicAccessBlock) {
    const what = [!statement && "Firebreak's deny statement", !publicAccessBlock && 'the full public access block'].filter(Boolean);
    throw new NotYetConsistent(`bucket ${target.bucket}: ${what.join(' and ')} does not read back`);
  }
  return { bucket: target.bucket, statement, publicAccessBlock };
}
