import { Aws, Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ConfigError } from '../core/errors';
import { CASE_EVIDENCE_PREFIX, RECEIVED_EVENTS_PREFIX } from '../core/names';
import { acknowledge, acknowledgeGrantWildcard, NAG_PACK } from './nag';

/** Properties of {@link EvidenceVault}. */
export interface EvidenceVaultProps {
  /**
   * Default Object Lock retention of every evidence object.
   * @default Duration.days(90)
   */
  readonly retention?: Duration;
  /**
   * Object Lock mode of the default retention. `COMPLIANCE` cannot be shortened or removed by anyone,
   * the root user included, until it expires. `GOVERNANCE` can be bypassed by a principal holding
   * `s3:BypassGovernanceRetention` that sends `x-amz-bypass-governance-retention: true`; the bucket policy
   * then denies that action to everyone (see {@link EvidenceVault}).
   * @default 'COMPLIANCE'
   */
  readonly objectLockMode?: 'GOVERNANCE' | 'COMPLIANCE';
  /**
   * The customer-managed KMS key that encrypts the evidence objects.
   * @default - a new key with automatic rotation
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * The evidence bucket: S3 Object Lock with a default retention, versioning, SSE-KMS under a
 * customer-managed key, TLS-only access, all public access blocked, and server access logs written to
 * a separate log bucket (itself SSE-S3, TLS-only, versioned, public access blocked; S3 server access
 * logging does not support SSE-KMS targets).
 *
 * AWS sources: "Locking objects with Object Lock" and "Logging requests with server access logging",
 * Amazon S3 User Guide.
 */
export class EvidenceVault extends Construct {
  /** The Object Lock bucket that holds the evidence. */
  public readonly bucket: s3.Bucket;
  /** The key that encrypts the evidence objects. */
  public readonly key: kms.IKey;
  /** The bucket that receives the evidence bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link EvidenceVaultProps}.
   * @throws {ConfigError} when the retention is shorter than one day.
   */
  constructor(scope: Construct, id: string, props: EvidenceVaultProps = {}) {
    super(scope, id);
    const retention = props.retention ?? Duration.days(90);
    if (retention.toDays({ integral: false }) < 1) {
      throw new ConfigError(`${this.node.path}: the Object Lock retention must be at least 1 day`);
    }

    this.key =
      props.encryptionKey ??
      new kms.Key(this, 'Key', {
        description: 'Firebreak evidence: S3 evidence objects and the security account copies of EBS snapshots',
        enableKeyRotation: true,
        removalPolicy: RemovalPolicy.RETAIN,
      });

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(
      this.accessLogsBucket,
      `${NAG_PACK}-S1`,
      'This bucket is the server access log target of the evidence bucket; logging its own access would log into itself.',
    );

    const days = Math.ceil(retention.toDays({ integral: false }));
    const mode = props.objectLockMode ?? 'COMPLIANCE';
    this.bucket = new s3.Bucket(this, 'Bucket', {
      objectLockEnabled: true,
      objectLockDefaultRetention:
        mode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(Duration.days(days))
          : s3.ObjectLockRetention.governance(Duration.days(days)),
      versioned: true,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'evidence/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    if (mode === 'GOVERNANCE') this.denyGovernanceBypass();
    Tags.of(this).add('firebreak:component', 'evidence');
  }

  /**
   * GOVERNANCE mode only: a bucket policy statement that denies `s3:BypassGovernanceRetention` on every object to
   * every principal, so no one can delete a locked version or shorten its retention before it expires. Bypassing
   * governance retention takes that permission and the `x-amz-bypass-governance-retention: true` header on the request
   * ("To override or remove governance-mode retention settings, you must have the s3:BypassGovernanceRetention
   * permission and must explicitly include x-amz-bypass-governance-retention:true as a request header", "Object Lock
   * retention modes", Amazon S3 User Guide:
   * https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html#object-lock-retention-modes; DeleteObject,
   * PutObjectRetention: https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectRetention.html), and an explicit
   * deny in the bucket policy wins over any allow (IAM policy evaluation logic). The statement has no condition: the
   * action is only ever evaluated on a request that asks for the bypass. What it does not stop: anyone allowed
   * `s3:PutBucketPolicy` can remove the statement first (and the account's root user can always change the bucket
   * policy), which is why COMPLIANCE is the default.
   */
  private denyGovernanceBypass(): void {
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'DenyGovernanceBypass',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:BypassGovernanceRetention'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
  }

  /**
   * Lets Normalize store the events that start playbooks (lib/runtime/evidence/vault.ts `storeReceivedEvent`) and
   * nothing else: `s3:PutObject` and `s3:GetObject` (for HeadObject) on `received-events/*` only, and
   * `kms:GenerateDataKey` on the evidence key through S3 (what an SSE-KMS PutObject needs). No
   * `s3:ListBucket`: the step may not list the bucket, so S3 answers its HeadObject of a missing key with 403,
   * which it takes as absent before writing (a write it may not make fails loudly).
   * @param grantee - the principal.
   * @returns the grant of the S3 object actions.
   */
  public grantStoreReceivedEvents(grantee: iam.IGrantable): iam.Grant {
    const objects = this.bucket.arnForObjects(`${RECEIVED_EVENTS_PREFIX}*`);
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject', 's3:GetObject'], resourceArns: [objects] });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    acknowledgeGrantWildcard(
      grantee,
      objects,
      `Received events are content-addressed (${RECEIVED_EVENTS_PREFIX}<account>/<sha256>.json), so their keys are only known at run time; the grant is limited to that prefix, and Object Lock prevents overwriting or deleting a locked version.`,
    );
    return grant;
  }

  /**
   * Lets a step read back the events Normalize stored (lib/runtime/evidence/vault.ts `readStoredEvent`: rds-compromise's
   * ContainDatabase reads the finding's remote address) and nothing else: `s3:GetObject` on `received-events/*` only,
   * and `kms:Decrypt` on the evidence key through S3 only. No write, no listing.
   * @param grantee - the principal.
   * @returns the grant of the S3 object action.
   */
  public grantReadReceivedEvents(grantee: iam.IGrantable): iam.Grant {
    const objects = this.bucket.arnForObjects(`${RECEIVED_EVENTS_PREFIX}*`);
    const grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [objects] });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    acknowledgeGrantWildcard(
      grantee,
      objects,
      `Received events are content-addressed (${RECEIVED_EVENTS_PREFIX}<account>/<sha256>.json), so their keys are only known at run time; the grant is read-only and limited to that prefix.`,
    );
    return grant;
  }

  /**
   * Lets a principal write a case's evidence objects and read them back (to reuse an artifact on re-run):
   * `s3:PutObject` and `s3:GetObject` on `cases/*` only (issue 13: not the received events, which the artifacts name
   * by key and hash without reading them), `s3:ListBucket` on the bucket (so a missing object reads as 404, not 403),
   * and `kms:GenerateDataKey`, `kms:Encrypt`, `kms:Decrypt` on the evidence key through S3 only.
   * @param grantee - the principal.
   * @returns the grant of the S3 object actions.
   */
  public grantWriteEvidence(grantee: iam.IGrantable): iam.Grant {
    const objects = this.bucket.arnForObjects(`${CASE_EVIDENCE_PREFIX}*`);
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:PutObject', 's3:GetObject'],
      resourceArns: [objects],
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.bucket.bucketArn] });
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt'],
        resources: [this.key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
      }),
    );
    acknowledgeGrantWildcard(
      grantee,
      objects,
      'Evidence object keys are per case and only known at run time; the grant is limited to PutObject and GetObject under the cases/ prefix of the evidence bucket, whose Object Lock retention prevents overwriting or deleting a locked version.',
    );
    return grant;
  }
}
