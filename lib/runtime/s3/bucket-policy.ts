import { createHash } from 'node:crypto';
import { InvalidInput, QuotaExceeded } from '../../core/errors';

/**
 * The one statement Firebreak adds to a bucket policy to contain an S3 bucket, and the pure read-modify-write around
 * it: add only Firebreak's statement, remove only Firebreak's statement, never change or drop another one.
 *
 * AWS's guidance: "Remediating a potentially compromised S3 bucket" (GuardDuty User Guide,
 * https://docs.aws.amazon.com/guardduty/latest/ug/compromised-s3.html): identify the principal and the bucket, then
 * restrict the principal's access to the bucket and block public access; the `AWSSupport-ContainS3Resource` runbook
 * (https://docs.aws.amazon.com/systems-manager-automation-runbooks/latest/userguide/automation-awssupport-contains3resource.html)
 * contains a bucket through its bucket policy and public access block and backs the original configuration up first.
 * Firebreak narrows less than that runbook (which denies everyone but named roles): it denies only the principal the
 * finding names, so the bucket's other users keep working.
 */

/**
 * S3's limit on a bucket policy: 20 KB ("Adding a bucket policy by using the Amazon S3 console", S3 User Guide: "Bucket
 * policies are limited to 20 KB in size"). Firebreak counts the bytes of the compact JSON it would put; S3 counts a
 * normalized form it does not document (FogSecurity/aws-size#38 measured it close to, not equal to, the text's size), so a
 * policy just under this count may still be refused: PutBucketPolicy then fails as a whole, nothing changes, and the case
 * fails loudly, as over the count.
 */
export const BUCKET_POLICY_MAX_BYTES = 20 * 1024;

/** The prefix of the Sid of Firebreak's deny statement; the rest is 16 hex digits of the SHA-256 of the principal ARN. */
export const DENY_PRINCIPAL_SID_PREFIX = 'FirebreakDenyPrincipal';

/** A statement of a bucket policy, as the member account wrote it: nothing in it is trusted or interpreted. */
export type PolicyStatement = Record<string, unknown>;

/** A bucket policy document, parsed. `Statement` is kept as S3 returned it (an object or a list). */
export interface BucketPolicyDocument {
  readonly [key: string]: unknown;
  readonly Statement?: unknown;
}

/**
 * The Sid of Firebreak's deny statement for a principal: `FirebreakDenyPrincipal<16 hex>` (letters and digits only,
 * which every policy grammar accepts: "IAM JSON policy elements: Sid", IAM User Guide).
 * @param principalArn - the principal's ARN as Firebreak names it (the first of its ARN patterns).
 */
export function denyPrincipalSid(principalArn: string): string {
  return `${DENY_PRINCIPAL_SID_PREFIX}${createHash('sha256').update(principalArn).digest('hex').slice(0, 16)}`;
}

/**
 * Firebreak's deny statement: Deny `s3:*` on the bucket and its objects to any principal whose `aws:PrincipalArn`
 * matches one of `arnPatterns` (`ArnLike`: each pattern names one principal; "AWS global condition context keys",
 * `aws:PrincipalArn`, IAM User Guide: for a role session the key holds the role's ARN, for a user the user's ARN,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
 * `Principal: "*"` with the condition denies exactly that principal and nobody else: an explicit Deny only narrows.
 * @param bucketArn - `arn:<partition>:s3:::<bucket>`.
 * @param principalArn - the principal's ARN (names the Sid).
 * @param arnPatterns - the ARN patterns of the principal (its ARN with and without an IAM path).
 */
export function denyPrincipalStatement(bucketArn: string, principalArn: string, arnPatterns: readonly string[]): PolicyStatement {
  return {
    Sid: denyPrincipalSid(principalArn),
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [bucketArn, `${bucketArn}/*`],
    Condition: { ArnLike: { 'aws:PrincipalArn': [...arnPatterns] } },
  };
}

/**
 * Parses a bucket policy's text (GetBucketPolicy's `Policy`).
 * @throws {InvalidInput} when the text is not a JSON object or its `Statement` is neither an object nor a list.
 */
export function parseBucketPolicy(text: string): BucketPolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new InvalidInput('the bucket policy is not JSON');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new InvalidInput('the bucket policy is not a JSON object');
  const s = (doc as BucketPolicyDocument).Statement;
  if (s !== undefined && (typeof s !== 'object' || s === null)) throw new InvalidInput('the bucket policy has a malformed Statement');
  return doc as BucketPolicyDocument;
}

/** The statements of a policy, as a list (a single statement object is a list of one). */
export function statementsOf(doc: BucketPolicyDocument | undefined): PolicyStatement[] {
  const s = doc?.Statement;
  if (s === undefined) return [];
  return (Array.isArray(s) ? s : [s]) as PolicyStatement[];
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The result of {@link withStatement} and {@link withoutStatement}. */
export interface PolicyChange {
  /** The policy text to put; `undefined` with `change: 'delete'`. */
  readonly text?: string;
  /**
   * `none`: the policy already is what it should be; `put`: put `text`; `delete`: delete the bucket policy; `keep`:
   * release must leave Firebreak's statement in place (`reason`), a person decides.
   */
  readonly change: 'none' | 'put' | 'delete' | 'keep';
  readonly reason?: string;
}

/**
 * The bucket policy with Firebreak's statement in it: appended when no statement has its Sid, untouched when the
 * statement is already there exactly. A statement with its Sid that differs is not Firebreak's (the Sid is derived from
 * the principal ARN, so anyone can write it): replacing it could drop the member's own, broader deny, and release would
 * then remove it, so containment fails closed instead. Every other statement, and every other key of the document,
 * stays exactly as it was, in its place.
 * @param current - the policy's text now, or `undefined` when the bucket has none.
 * @param statement - Firebreak's statement ({@link denyPrincipalStatement}).
 * @returns the change to make.
 * @throws {QuotaExceeded} when the policy would be over {@link BUCKET_POLICY_MAX_BYTES} (nothing is put: fail closed).
 * @throws {InvalidInput} when the current policy is malformed, or holds a different statement with Firebreak's Sid
 *   (nothing is put: a person decides).
 */
export function withStatement(current: string | undefined, statement: PolicyStatement): PolicyChange {
  const doc: BucketPolicyDocument = current === undefined ? { Version: '2012-10-17' } : parseBucketPolicy(current);
  const list = statementsOf(doc);
  const at = list.findIndex((s) => s.Sid === statement.Sid);
  if (at >= 0 && same(list[at], statement)) return { change: 'none' };
  if (at >= 0) {
    throw new InvalidInput(
      `the bucket policy holds a statement with Firebreak's Sid ${String(statement.Sid)} that is not Firebreak's: nothing was changed; a person decides`,
    );
  }
  const next = [...list, statement];
  const text = JSON.stringify({ ...doc, Statement: next });
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > BUCKET_POLICY_MAX_BYTES) {
    throw new QuotaExceeded(
      `the bucket policy with Firebreak's deny statement would be ${bytes} bytes, over S3's ${BUCKET_POLICY_MAX_BYTES}-byte limit: nothing was changed; a person must make room or contain the principal another way`,
    );
  }
  return { change: 'put', text };
}

/**
 * The bucket policy without Firebreak's statement (release): every other statement as it is now.
 * @param current - the policy's text now, or `undefined` when the bucket has none.
 * @param sid - the Sid of Firebreak's statement.
 * @param hadPolicyBefore - whether the bucket had a policy before containment (recorded): the policy is deleted only
 *   when Firebreak's statement was all of it and there was none before.
 * @param expected - Firebreak's statement as it put it (recorded), when known: a statement with `sid` that differs
 *   from it is not Firebreak's (written under its Sid by someone else), and is kept (`keep`: a person decides).
 */
export function withoutStatement(
  current: string | undefined,
  sid: string,
  hadPolicyBefore: boolean,
  expected?: PolicyStatement,
): PolicyChange {
  if (current === undefined) return { change: 'none' };
  const doc = parseBucketPolicy(current);
  const list = statementsOf(doc);
  if (!list.some((s) => s.Sid === sid)) return { change: 'none' };
  if (expected && list.some((s) => s.Sid === sid && !same(s, expected))) {
    return {
      change: 'keep',
      reason: `the statement with Firebreak's Sid ${sid} is not the one Firebreak put (someone wrote or changed it): it is left as it is; a person decides`,
    };
  }
  const rest = list.filter((s) => s.Sid !== sid);
  if (rest.length === 0 && !hadPolicyBefore) return { change: 'delete' };
  // The bucket had a policy before, and now Firebreak's statement is all of it: someone replaced the policy since.
  // Deleting it would leave the bucket with no policy at all, which may be more open than before containment (S3
  // refuses a policy without statements, so there is no other way to take the statement out): a person decides.
  if (rest.length === 0) {
    return {
      change: 'keep',
      reason:
        "Firebreak's deny statement is now the whole bucket policy, but the bucket had a policy before containment: removing it would delete the policy, which may leave the bucket more open than before; a person decides",
    };
  }
  return { change: 'put', text: JSON.stringify({ ...doc, Statement: rest }) };
}

/** Whether a policy text holds Firebreak's statement exactly (`same` JSON). */
export function hasStatement(current: string | undefined, statement: PolicyStatement): boolean {
  if (current === undefined) return false;
  return statementsOf(parseBucketPolicy(current)).some((s) => same(s, statement));
}

/** Whether a policy text holds any statement with the Sid. */
export function hasSid(current: string | undefined, sid: string): boolean {
  if (current === undefined) return false;
  return statementsOf(parseBucketPolicy(current)).some((s) => s.Sid === sid);
}
