import { AWS_DENY_ALL_POLICY_NAME } from '../../core/names';
/**
 * The IAM policies Firebreak puts into member accounts to revoke credentials: inline policies on
 * roles (session revocation needs a document with the cutoff; their names are fixed, so writing one
 * again overwrites it: PutRolePolicy, IAM API reference) and, on users, AWS's managed `AWSDenyAll`.
 * These are the only policies in Firebreak allowed to use `Action: "*"`, and only with `Effect: "Deny"`.
 */

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly {
    readonly Sid: string;
    readonly Effect: 'Deny';
    readonly Action: '*';
    readonly Resource: '*';
    readonly Condition?: Record<string, Record<string, string>>;
  }[];
}

/** Inline policy that revokes a role's sessions issued before a cutoff. */
export const ROLE_SESSION_REVOCATION_POLICY_NAME = 'FirebreakRevokeOlderSessions';
/** Inline policy that denies a role's credentials outside the instance's VPC. */
export const ROLE_VPC_RESTRICTION_POLICY_NAME = 'FirebreakDenyOutsideInstanceVpc';

/**
 * The ARN of {@link AWS_DENY_ALL_POLICY_NAME} in a partition (AWS managed policies live under the
 * account `aws`: `arn:aws:iam::aws:policy/AWSDenyAll`).
 * @param partition - `aws`, `aws-cn`, `aws-us-gov`, … @default 'aws'
 */
export function awsDenyAllPolicyArn(partition = 'aws'): string {
  return `arn:${partition}:iam::aws:policy/${AWS_DENY_ALL_POLICY_NAME}`;
}

/** Whether an ARN is {@link awsDenyAllPolicyArn} in any partition. */
export function isAwsDenyAllPolicyArn(arn: string): boolean {
  return /^arn:aws(-[a-z]+)*:iam::aws:policy\/AWSDenyAll$/.test(arn);
}

/** AWSDenyAll's document (version v2) as AWS publishes it ("AWSDenyAll", AWS Managed Policy Reference); for simulations. */
export const AWS_DENY_ALL_DOCUMENT = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'DenyAll', Effect: 'Deny', Action: ['*'], Resource: '*' }],
} as const;

/**
 * Revokes every session of a role issued before `cutoff`: Deny `*` when `aws:TokenIssueTime` is
 * earlier than the cutoff. Same semantics as the console's "Revoke active sessions"
 * (AWSRevokeOlderSessions, "Revoking IAM role temporary security credentials", IAM User Guide).
 * The cutoff is the time of the action, never the finding's `eventLastSeen`, so sessions the
 * attacker opened after the finding are revoked too.
 * @param cutoff - the revocation time; rendered as ISO-8601 UTC with seconds.
 */
export function roleSessionRevocationPolicy(cutoff: Date): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FirebreakRevokeOlderSessions',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateLessThan: { 'aws:TokenIssueTime': cutoff.toISOString().replace(/\.\d{3}Z$/, 'Z') } },
      },
    ],
  };
}

/**
 * The scoped alternative for instance credentials: deny the role's credentials when used from
 * outside the VPC of the instance they were issued to, per AWS's documented conditions
 * `aws:ec2InstanceSourceVPC` / `aws:SourceVpc` and `aws:ec2InstanceSourcePrivateIPv4` /
 * `aws:VpcSourceIp` ("IAM roles for Amazon EC2", "Global condition context keys", IAM User Guide).
 * Calls AWS services make on the role's behalf (`aws:ViaAWSService`) are not affected.
 */
export function roleVpcRestrictionPolicy(): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FirebreakDenyOutsideInstanceVpc',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          // This way round, a call from the internet (no aws:SourceVpc) is denied too.
          StringNotEquals: { 'aws:SourceVpc': '${aws:ec2InstanceSourceVPC}' },
          Null: { 'ec2:SourceInstanceARN': 'false' },
          BoolIfExists: { 'aws:ViaAWSService': 'false' },
        },
      },
      {
        Sid: 'FirebreakDenyOutsideInstanceIp',
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: {
          StringNotEquals: { 'aws:VpcSourceIp': '${aws:ec2InstanceSourcePrivateIPv4}' },
          Null: { 'ec2:SourceInstanceARN': 'false' },
          BoolIfExists: { 'aws:ViaAWSService': 'false' },
        },
      },
    ],
  };
}

/** Canonical text of a policy (what Firebreak writes, and compares against on re-runs). */
export function policyText(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/** Parses a policy document as IAM returns it (URL-encoded JSON in GetUserPolicy/GetRolePolicy). */
export function parsePolicyDocument(text: string): unknown {
  let t = text;
  try {
    t = decodeURIComponent(text);
  } catch {
    /* already decoded */
  }
  return JSON.parse(t) as unknown;
}
