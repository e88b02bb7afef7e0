import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ApiCallEntry, CATALOG, CatalogEntry } from '../core/catalog/catalog';
import { TAG } from '../core/tags';
import { AWS_DENY_ALL_POLICY_NAME } from '../core/names';
import { JustifiedStatement } from './nag';
import { FirebreakNames } from './names';

/**
 * The member account's policies as data, each statement with the reason its resource or wildcard is what it is
 * (cdk-nag reads the reasons): the responder's (containment: ec2-compromise, credential-compromise,
 * cloudtrail-tamper) and the releaser's (release only). FirebreakMemberAccount attaches them; the
 * separation-of-duties test checks them with iam-simulate.
 */

/** Values of the `firebreak:role` tag that Firebreak puts on the security groups it creates (lib/core/tags.ts). */
export const FIREBREAK_SECURITY_GROUP_ROLES: readonly string[] = ['isolation', 'untrack'];
/** Value of the `firebreak:stage` tag on the member account copies that may be shared (lib/core/tags.ts). */
export const TRANSIT_SNAPSHOT_STAGE = 'transit';

/**
 * Roles the responder must never write to, whatever a finding names (besides its own role): service-linked
 * roles (`/aws-service-role/` path), Firebreak's own roles (the `firebreak-<step>` step roles, which
 * live in this account in single-account mode) and the releaser roles (separation of duties: the
 * responder must not be able to change who may undo containment).
 */
export const PROTECTED_ROLE_PATTERNS: readonly string[] = FirebreakNames.DEFAULT.protectedRolePatterns;

/** The IAM write actions the responder is explicitly denied on the protected roles. */
export const PROTECTED_ROLE_DENIED_ACTIONS: readonly string[] = ['iam:Put*', 'iam:Update*', 'iam:Delete*'];

/**
 * The explicit Deny that keeps a member role off the roles that matter most, whatever a case names:
 * the responder and the releaser roles (separation of duties: neither may change the other, nor
 * itself), service-linked roles and Firebreak's own roles.
 * @param sid - the statement's Sid.
 * @param roleNames - the configured responder and releaser role names.
 * @param actions - the denied actions.
 * @param patterns - the protected role name patterns ({@link FirebreakNames.protectedRolePatterns}).
 * @returns the statement.
 */
function protectedRolesDeny(
  sid: string,
  roleNames: readonly string[],
  actions: readonly string[],
  patterns: readonly string[],
): JustifiedStatement {
  const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}`;
  const names = [...new Set(roleNames)];
  return {
    statement: new iam.PolicyStatement({
      sid,
      effect: iam.Effect.DENY,
      actions: [...actions],
      resources: [...names.map((n) => iamArn(`role/${n}`)), ...patterns.map((p) => iamArn(`role/${p}`))],
    }),
  };
}

/**
 * The responder's permissions for credential-compromise: read the principal a finding names, and
 * revoke what leaked (deactivate the key, attach AWS's managed AWSDenyAll and remove console access for
 * a user; an inline session-revocation policy for a role), scoped to IAM users and roles of this account. Plus the
 * explicit denies that keep it off service-linked roles, itself, the releaser and Firebreak's own roles.
 * It cannot delete an inline policy: undoing a revocation is the releaser's job ({@link releaserStatements}).
 * @param responderRoleName - the responder role's name (it denies itself every IAM write).
 * @param releaserRoleName - the releaser role's name (denied too). @default 'FirebreakReleaser'
 * @param protectedPatterns - the other roles denied. @default PROTECTED_ROLE_PATTERNS (the default prefix's)
 * @returns the statements and their justifications.
 */
export function credentialStatements(
  responderRoleName: string,
  releaserRoleName = 'FirebreakReleaser',
  protectedPatterns: readonly string[] = PROTECTED_ROLE_PATTERNS,
): JustifiedStatement[] {
  const iamArn = (resource: string) => `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${resource}`;
  const users = iamArn('user/*');
  const roles = iamArn('role/*');
  const s = (props: iam.PolicyStatementProps) => new iam.PolicyStatement(props);
  const fromFinding =
    'The IAM user or role is the one the GuardDuty finding names (detail.resource.accessKeyDetails), known only at run time; the action is limited to this account.';
  // IAM defines no condition key for the name of an inline policy: PutUserPolicy supports only
  // iam:PermissionsBoundary, PutRolePolicy only iam:PermissionsBoundary and iam:RoleTemplateARN
  // ("Actions, resources, and condition keys for AWS Identity and Access Management", Service
  // Authorization Reference). So a user is contained with AWS's managed AWSDenyAll, whose attachment
  // iam:PolicyARN limits to that one ARN ("IAM: Limits managed policies that can be applied to an IAM
  // user, group, or role", IAM User Guide), and the responder cannot write an inline policy on a user.
  // Only role session revocation needs an inline policy (its document carries the cutoff); the
  // PutRolePolicy statement cannot be limited to Firebreak's policy names (lib/runtime/iam/policies.ts), and
  // the explicit denies below keep it off the roles that matter most.
  const noPolicyNameKey =
    'IAM has no condition key for the inline policy name, so writes cannot be limited to the Firebreak policy names; explicit denies exclude service-linked roles, the responder itself and the Firebreak roles.';
  return [
    {
      statement: s({
        actions: ['iam:ListAccessKeys', 'iam:ListUserPolicies', 'iam:ListAttachedUserPolicies', 'iam:GetLoginProfile', 'iam:ListUserTags'],
        resources: [users],
      }),
      reason: `${fromFinding} Read-only: the user's keys, policies and console access are the prior state and the verification; its tags tell a game-day canary.`,
    },
    {
      statement: s({ actions: ['iam:UpdateAccessKey', 'iam:DeleteLoginProfile'], resources: [users] }),
      reason: `${fromFinding} Revocation deactivates the finding's access key and removes console access when configured.`,
    },
    {
      statement: s({ actions: ['iam:AttachUserPolicy'], resources: [users], conditions: awsDenyAllOnly() }),
      reason: `${fromFinding} Revocation attaches AWS's managed AWSDenyAll to the user, and no other policy (iam:PolicyARN).`,
    },
    {
      statement: s({ actions: ['iam:GetRole', 'iam:GetRolePolicy', 'iam:ListRoleTags'], resources: [roles] }),
      reason: `${fromFinding} Read-only: the role's policies are the prior state and the verification; its tags tell a game-day canary.`,
    },
    {
      statement: s({ actions: ['iam:GetInstanceProfile'], resources: [iamArn('instance-profile/*')] }),
      reason:
        "Read-only: ec2-compromise resolves the role of the instance profile the case recorded before containment (the instance's, known only at run time), to deny that role's credentials on the contained instance; the action is limited to this account.",
    },
    {
      statement: s({ actions: ['iam:PutRolePolicy'], resources: [roles] }),
      reason: `${fromFinding} Revocation attaches the Firebreak session-revocation inline policy to the role; ec2-compromise attaches the deny scoped to the contained instance (FirebreakDenyInstanceCredentials-<instance>) to the instance's role. ${noPolicyNameKey}`,
    },
    protectedRolesDeny(
      'DenyWritesToProtectedRoles',
      [responderRoleName, releaserRoleName],
      PROTECTED_ROLE_DENIED_ACTIONS,
      protectedPatterns,
    ),
  ];
}

/**
 * The responder's permissions for cloudtrail-tamper: read a trail's status, configuration and event
 * selectors (the prior state, what changed, the verification) and restart logging after StopLogging,
 * on the trails of this account in any region (the trail an event names may be a multi-region trail
 * whose home region is not this stack's; GetTrail and GetTrailStatus take its ARN). The actor is
 * revoked with the credential-compromise permissions ({@link credentialStatements}). Nothing here can
 * stop, delete or reconfigure a trail.
 * @returns the statements and their justifications.
 */
export function cloudTrailStatements(): JustifiedStatement[] {
  const trails = `arn:${Aws.PARTITION}:cloudtrail:*:${Aws.ACCOUNT_ID}:trail/*`;
  return [
    {
      statement: new iam.PolicyStatement({
        actions: ['cloudtrail:GetTrailStatus', 'cloudtrail:GetTrail', 'cloudtrail:GetEventSelectors', 'cloudtrail:StartLogging'],
        resources: [trails],
      }),
      reason:
        'The trail is the one the tampering event names (in its requestParameters), known only at run time, in any region of this account (a multi-region trail has one home region). Reads record the prior state; StartLogging only restarts logging, it cannot stop, delete or change a trail.',
    },
    {
      // record-trail-baselines lists the trails to baseline. DescribeTrails supports no resource-level permission (no
      // resource type: "Actions, resources, and condition keys for AWS CloudTrail", Service Authorization Reference), so
      // its Resource is "*" (iam-simulate refuses it on a trail ARN: test/infra/session-policy.test.ts).
      statement: new iam.PolicyStatement({ actions: ['cloudtrail:DescribeTrails'], resources: ['*'] }),
      reason:
        "DescribeTrails supports no resource-level permission. The proactive tamper baseline lists this account's trails (read-only: settings only, no log content) before reading each one.",
    },
    {
      // PreserveCredentialEvidence (credential-compromise, cloudtrail-tamper; issue 16, item 4) keeps the principal's
      // CloudTrail records around the finding as evidence. LookupEvents supports no resource-level permission (no
      // resource type: "Actions, resources, and condition keys for AWS CloudTrail", Service Authorization Reference).
      statement: new iam.PolicyStatement({ actions: ['cloudtrail:LookupEvents'], resources: ['*'] }),
      reason:
        "LookupEvents supports no resource-level permission. Read-only: the compromised principal's management events in this account's event history (the finding's Region and us-east-1, IAM's global events), kept as the case's evidence; it cannot change a trail or a record.",
    },
  ];
}

/**
 * The responder's permissions for s3-compromise: exactly the calls of lib/runtime/s3 (but release.ts). Reads of the
 * bucket's configuration and its object versions' metadata (ListObjectVersions needs `s3:ListBucketVersions`; no
 * `s3:GetObject`: member data is never read), and the three changes containment makes: versioning on, the bucket
 * policy (Firebreak's deny statement added), the public access block on ("Actions, resources, and condition keys for
 * Amazon S3", Service Authorization Reference: GetPublicAccessBlock and PutPublicAccessBlock are authorized as
 * `s3:GetBucketPublicAccessBlock` and `s3:PutBucketPublicAccessBlock`). The bucket resource type only: no object ARN.
 * @returns the statements and their justifications.
 */
export function bucketStatements(): JustifiedStatement[] {
  return [
    {
      statement: new iam.PolicyStatement({
        actions: [
          's3:GetBucketPolicy',
          's3:GetBucketAcl',
          's3:GetBucketPublicAccessBlock',
          's3:GetBucketVersioning',
          's3:ListBucketVersions',
          's3:PutBucketVersioning',
          's3:PutBucketPolicy',
          's3:PutBucketPublicAccessBlock',
        ],
        resources: [`arn:${Aws.PARTITION}:s3:::*`],
      }),
      reason:
        "The bucket is the one the S3 finding names, known only at run time (bucket ARNs carry no account, so the account is the role's own). Bucket-level actions only: no object is read, written or deleted; the policy change adds only Firebreak's deny statement (lib/runtime/s3).",
    },
  ];
}

/** The functions of this account, in any region (the finding's function is known only at run time). */
const lambdaFunctions = () => `arn:${Aws.PARTITION}:lambda:*:${Aws.ACCOUNT_ID}:function:*`;

/**
 * The responder's permissions for lambda-compromise: exactly the Lambda calls of lib/runtime/lambda (but release.ts).
 * Reads of the function, its versions, policy, URL and reserved concurrency; PublishVersion (the evidence version) and
 * PutFunctionConcurrency (0), on the functions of this account ("Actions, resources, and condition keys for AWS
 * Lambda", Service Authorization Reference). ListFunctions and ListEventSourceMappings support no resource type
 * (`*`). The execution role's revocation uses credentialStatements' IAM GetRole, GetRolePolicy and PutRolePolicy. The
 * code download is the presigned `Code.Location` URL GetFunction returns, which needs no further permission.
 */
export function functionStatements(): JustifiedStatement[] {
  return [
    {
      statement: new iam.PolicyStatement({
        actions: [
          'lambda:GetFunction',
          'lambda:GetFunctionConcurrency',
          'lambda:GetFunctionUrlConfig',
          'lambda:GetPolicy',
          'lambda:ListVersionsByFunction',
          'lambda:PublishVersion',
          'lambda:PutFunctionConcurrency',
        ],
        resources: [lambdaFunctions()],
      }),
      reason:
        'The function is the one the Lambda finding names, known only at run time; the action is limited to this account. Containment publishes an evidence version (immutable) and sets reserved concurrency 0; it never changes the code, the configuration, the triggers or the permissions (lib/runtime/lambda).',
    },
    {
      statement: new iam.PolicyStatement({ actions: ['lambda:ListEventSourceMappings', 'lambda:ListFunctions'], resources: ['*'] }),
      reason:
        'Read-only, and these list actions support no resource type: the event source mappings are listed as evidence; ListFunctions tells whether other functions share the execution role (then it is not revoked by default).',
    },
  ];
}

/**
 * The releaser's permissions for a function: the reserved concurrency read and put back (PutFunctionConcurrency with
 * the recorded number, DeleteFunctionConcurrency when none was reserved), lib/runtime/lambda/release.ts; the role's
 * policy uses releaseCredentialStatements' IAM actions.
 */
function releaseFunctionStatements(): JustifiedStatement[] {
  return [
    {
      statement: new iam.PolicyStatement({
        actions: ['lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency'],
        resources: [lambdaFunctions()],
      }),
      reason:
        "The function is the one the case contained (its priorState), known only at run time; the action is limited to this account. Release puts back the recorded reserved concurrency only while it is still Firebreak's 0 (lib/runtime/lambda/release.ts).",
    },
  ];
}

/**
 * The responder's permissions for ecs-task-compromise: exactly the ECS calls of lib/runtime/ecs (DescribeNetworkInterfaces
 * is in the read statements already). DescribeTasks and StopTask on the task resource type of the role's own account
 * (`arn:<partition>:ecs:<region>:<account>:task/<cluster>/<id>`), DescribeServices on the service resource type;
 * DescribeTaskDefinition supports no resource-level permission, so its Resource is "*" ("Actions, resources, and
 * condition keys for Amazon Elastic Container Service", Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html). The
 * `ecs:cluster` condition key applies to these actions, but the cluster is known only at run time (the finding's), so it
 * narrows nothing here. No RunTask, UpdateService or tag call: Firebreak never starts a task or changes a service.
 * @returns the statements and their justifications.
 */
export function ecsTaskStatements(): JustifiedStatement[] {
  return [
    {
      statement: new iam.PolicyStatement({
        actions: ['ecs:DescribeTasks', 'ecs:StopTask'],
        resources: [`arn:${Aws.PARTITION}:ecs:*:${Aws.ACCOUNT_ID}:task/*`],
      }),
      reason:
        "The task is the one the ECS Runtime Monitoring finding names (its ARN checked against the finding's account and region), known only at run time; StopTask only after its evidence is preserved and, by default, a person approved (lib/runtime/ecs).",
    },
    {
      statement: new iam.PolicyStatement({
        actions: ['ecs:DescribeServices'],
        resources: [`arn:${Aws.PARTITION}:ecs:*:${Aws.ACCOUNT_ID}:service/*`],
      }),
      reason: "Read-only: the service the finding's task belongs to, preserved as evidence; known only at run time.",
    },
    {
      statement: new iam.PolicyStatement({ actions: ['ecs:DescribeTaskDefinition'], resources: ['*'] }),
      reason:
        "DescribeTaskDefinition supports no resource-level permission. Read-only: the definition of the finding's task, preserved as evidence (environment values hashed, not copied).",
    },
  ];
}

/**
 * The responder's permissions for rds-compromise: exactly the calls of lib/runtime/rds (but the release's), in one
 * statement (the responder's inline policies are near IAM's size limit): the DB instance and its cluster read
 * (DescribeDBInstances, DescribeDBClusters), the evidence chain on Firebreak's snapshot identifiers only (`firebreak-*`,
 * lib/runtime/rds/snapshot-ids.ts: Create/Copy/Describe of DB and DB cluster snapshots, their `restore` attribute read
 * and shared with the security account), public accessibility off (ModifyDBInstance). Each action is authorized only
 * on its own resource types, so listing the four together grants nothing more ("Actions, resources, and condition keys
 * for Amazon RDS", Service Authorization Reference: CreateDBSnapshot on the `db` and the `snapshot`, CopyDBSnapshot and
 * ModifyDBSnapshotAttribute on the `snapshot`, ModifyDBInstance on the `db`). The keys RDS uses through grants (the
 * transit key, the account's own keys) are in the key statements, through RDS only (`kms:ViaService`).
 * @param regions - the deployment's regions ({@link RegionScope}). @default the stack's own region only
 * @returns the statement and its justification.
 */
export function databaseStatements(regions?: readonly string[]): JustifiedStatement[] {
  const { p, r, a, s } = responderScope(regions);
  const rds = (type: string, name = '*') => `arn:${p}:rds:${r}:${a}:${type}:${name}`;
  return [
    {
      statement: s({
        actions: [
          'rds:DescribeDBInstances',
          'rds:DescribeDBClusters',
          'rds:ModifyDBInstance',
          'rds:CreateDBSnapshot',
          'rds:CreateDBClusterSnapshot',
          'rds:CopyDBSnapshot',
          'rds:CopyDBClusterSnapshot',
          'rds:DescribeDBSnapshots',
          'rds:DescribeDBClusterSnapshots',
          'rds:DescribeDBSnapshotAttributes',
          'rds:DescribeDBClusterSnapshotAttributes',
          'rds:ModifyDBSnapshotAttribute',
          'rds:ModifyDBClusterSnapshotAttribute',
        ],
        // `*:firebreak-*`: the `snapshot` and `cluster-snapshot` named firebreak-* (no other type these actions take).
        resources: [rds('db'), rds('cluster'), rds('*', 'firebreak-*')],
      }),
      reason:
        "The DB instance and its cluster are the ones the RDS finding names, known only at run time; snapshots are Firebreak's only (firebreak-<stage>-<hash>, derived from the case), shared with the security account only. RDS has no condition key for the attribute ModifyDBInstance changes: Firebreak sets PubliclyAccessible false only (lib/runtime/rds/public-access.ts).",
    },
  ];
}

/**
 * The releaser's permissions for a DB instance: exactly the calls of lib/runtime/rds/public-access.ts's release
 * (`ensureDbPublicAccessRestored`): DescribeDBInstances, and ModifyDBInstance `PubliclyAccessible` back to the value the
 * case recorded.
 */
function releaseDatabaseStatements(regions?: readonly string[]): JustifiedStatement[] {
  const r = regionScope(regions).arnRegion;
  return [
    {
      statement: new iam.PolicyStatement({
        actions: ['rds:DescribeDBInstances', 'rds:ModifyDBInstance'],
        resources: [`arn:${Aws.PARTITION}:rds:${r}:${Aws.ACCOUNT_ID}:db:*`],
      }),
      reason:
        'The DB instance is the one the case contained (its priorState), known only at run time; RDS has no condition key for the attribute ModifyDBInstance changes: release sets PubliclyAccessible back to its recorded value only.',
    },
  ];
}

/**
 * The releaser's permissions for a bucket: exactly the calls of lib/runtime/s3/release.ts and the reads it compares
 * against: Firebreak's deny statement taken out of the policy (PutBucketPolicy, or DeleteBucketPolicy when it was all
 * of it and the bucket had none), the public access block put back (PutBucketPublicAccessBlock also authorizes
 * DeletePublicAccessBlock), versioning back to Suspended.
 */
function releaseBucketStatements(): JustifiedStatement[] {
  return [
    {
      statement: new iam.PolicyStatement({
        actions: [
          's3:GetBucketPolicy',
          's3:GetBucketPublicAccessBlock',
          's3:GetBucketVersioning',
          's3:PutBucketPolicy',
          's3:DeleteBucketPolicy',
          's3:PutBucketPublicAccessBlock',
          's3:PutBucketVersioning',
        ],
        resources: [`arn:${Aws.PARTITION}:s3:::*`],
      }),
      reason:
        "The bucket is the one the case contained (its priorState), known only at run time; bucket-level actions only, no object access. Release removes only Firebreak's statement and restores the recorded settings (lib/runtime/s3/release.ts).",
    },
  ];
}

/**
 * The condition that limits attaching or detaching a managed policy to AWS's `AWSDenyAll` in this
 * stack's partition (`iam:PolicyARN`, "IAM: Limits managed policies that can be applied to an IAM user,
 * group, or role", IAM User Guide; lib/runtime/iam/policies.ts).
 */
function awsDenyAllOnly(): Record<string, Record<string, string>> {
  return { ArnEquals: { 'iam:PolicyARN': `arn:${Aws.PARTITION}:iam::aws:policy/${AWS_DENY_ALL_POLICY_NAME}` } };
}

/** The tag key release removes from the instance (`firebreak:status`, value `isolated`); no other. */
export const RELEASE_DELETABLE_TAG_KEYS: readonly string[] = [TAG.status];

/**
 * The releaser's permissions (DESIGN.md §3 "release"): exactly what `lib/runtime/release` calls to put back a
 * case's recorded prior state, and the reads it compares against. Instance: each ENI's security groups,
 * the instance profile (with `iam:PassRole` to EC2 only), Elastic IPs, termination protection, shutdown
 * behaviour and DeleteOnTermination, the `firebreak:status` tag (and no other tag), target groups and
 * the Auto Scaling group. Credentials: the finding's key status, Firebreak's deny-all on a user, and
 * Firebreak's session-revocation and VPC-restriction policies on a role (deleted, or put back to the
 * document an earlier case left).
 *
 * It has none of containment's actions: it cannot create or change security groups, snapshot, copy or
 * share anything, detach, deregister, disassociate, write a user policy or remove console access; and
 * an explicit Deny keeps it off the responder role, itself, service-linked and Firebreak's own roles.
 * @param responderRoleName - the responder role's name.
 * @param releaserRoleName - the releaser role's own name.
 * @param protectedPatterns - the other roles denied. @default PROTECTED_ROLE_PATTERNS (the default prefix's)
 * @param regions - the deployment's regions ({@link RegionScope}). @default the stack's own region only
 * @returns the statements and their justifications.
 */
export function releaserStatements(
  responderRoleName: string,
  releaserRoleName: string,
  protectedPatterns: readonly string[] = PROTECTED_ROLE_PATTERNS,
  regions?: readonly string[],
): JustifiedStatement[] {
  return [
    ...releaseInstanceStatements(regions),
    ...releaseCredentialStatements(responderRoleName, releaserRoleName, protectedPatterns),
    ...releaseBucketStatements(),
    ...releaseFunctionStatements(),
    ...releaseDatabaseStatements(regions),
  ];
}

/** The releaser's names and reasons, shared by its two groups of statements. */
function releaserScope(regions?: readonly string[]) {
  const p = Aws.PARTITION;
  const r = regionScope(regions).arnRegion;
  const a = Aws.ACCOUNT_ID;
  const ec2 = (type: string) => `arn:${p}:ec2:${r}:${a}:${type}/*`;
  const iamArn = (resource: string) => `arn:${p}:iam::${a}:${resource}`;
  const instances = ec2('instance');
  const s = (props: iam.PolicyStatementProps) => new iam.PolicyStatement(props);
  const fromCase =
    'The resources are the ones the case recorded at containment (its priorState), known only at run time; the action is limited to this account and region.';
  const fromCaseIam =
    'The IAM user or role is the one the case revoked (its priorState), known only at run time; the action is limited to this account.';
  const noPolicyNameKey =
    'IAM has no condition key for the inline policy name, so the action cannot be limited to the Firebreak policy names (release only ever deletes or restores those, lib/runtime/release); an explicit deny excludes the responder, the releaser itself, service-linked roles and the Firebreak roles.';
  return { p, r, a, ec2, iamArn, instances, s, fromCase, fromCaseIam, noPolicyNameKey };
}

/** Release of an instance: read, put back the ENIs' groups, attributes, profile, Elastic IPs, tag, Auto Scaling group and target groups. */
function releaseInstanceStatements(regions?: readonly string[]): JustifiedStatement[] {
  const { ec2, iamArn, instances, s, fromCase, fromCaseIam } = releaserScope(regions);
  return [
    {
      statement: s({
        actions: [
          'ec2:DescribeInstances',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeAddresses',
          'ec2:DescribeIamInstanceProfileAssociations',
          'autoscaling:DescribeAutoScalingInstances',
          'autoscaling:DescribeAutoScalingGroups',
          'elasticloadbalancing:DescribeTargetHealth',
        ],
        resources: ['*'],
      }),
      reason:
        'These EC2, Auto Scaling and ELB Describe actions support no resource-level permissions (Service Authorization Reference); release reads the current state before it changes anything.',
    },
    {
      statement: s({ actions: ['ec2:DescribeInstanceAttribute'], resources: [instances] }),
      reason: `${fromCase} Read-only: termination protection and shutdown behaviour as they are now.`,
    },
    {
      statement: s({
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [ec2('network-interface'), instances, ec2('subnet'), ec2('security-group')],
      }),
      reason: `${fromCase} Release puts each ENI back on exactly the security groups recorded for it at containment, which are the account's own groups.`,
    },
    {
      statement: s({ actions: ['ec2:ModifyInstanceAttribute'], resources: [instances, ec2('volume')] }),
      reason: `${fromCase} Release puts back termination protection, shutdown behaviour and DeleteOnTermination as recorded.`,
    },
    {
      statement: s({ actions: ['ec2:AssociateIamInstanceProfile', 'ec2:ReplaceIamInstanceProfileAssociation'], resources: [instances] }),
      reason: `${fromCase} Release re-associates the instance profile recorded at containment.`,
    },
    {
      statement: s({
        actions: ['iam:PassRole'],
        resources: [iamArn('role/*')],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
      reason: `${fromCaseIam} Associating an instance profile passes its role, to EC2 only (iam:PassedToService).`,
    },
    {
      statement: s({ actions: ['iam:GetInstanceProfile'], resources: [iamArn('instance-profile/*')] }),
      reason: `${fromCaseIam} Read-only: checks that the recorded instance profile still exists before it is associated.`,
    },
    {
      statement: s({ actions: ['ec2:AssociateAddress'], resources: [ec2('elastic-ip'), ec2('network-interface'), instances] }),
      reason: `${fromCase} Release re-associates the Elastic IPs recorded at containment with their ENI and private IP (never reassociating an address in use).`,
    },
    ...releaseInstanceTagAndMembershipStatements(regions),
  ];
}

/** Release of an instance, continued: the isolation tag, and its Auto Scaling group and target groups back. */
function releaseInstanceTagAndMembershipStatements(regions?: readonly string[]): JustifiedStatement[] {
  const { p, r, a, instances, s, fromCase } = releaserScope(regions);
  return [
    {
      statement: s({
        actions: ['ec2:DeleteTags'],
        resources: [instances],
        conditions: {
          'ForAllValues:StringEquals': { 'aws:TagKeys': [...RELEASE_DELETABLE_TAG_KEYS] },
          Null: { 'aws:TagKeys': 'false' },
        },
      }),
      reason: `${fromCase} Only the ${TAG.status} tag can be removed (aws:TagKeys); a request that names no key, which would remove every tag, is refused.`,
    },
    {
      statement: s({
        actions: ['autoscaling:AttachInstances'],
        resources: [`arn:${p}:autoscaling:${r}:${a}:autoScalingGroup:*:autoScalingGroupName/*`],
      }),
      reason: `${fromCase} Release attaches the instance back to the Auto Scaling group it was detached from.`,
    },
    {
      statement: s({
        actions: ['elasticloadbalancing:RegisterTargets'],
        resources: [`arn:${p}:elasticloadbalancing:${r}:${a}:targetgroup/*/*`],
      }),
      reason: `${fromCase} Release registers the instance back in the target groups it was deregistered from, on the recorded port.`,
    },
  ];
}

/** Release of credentials: the key's status, AWSDenyAll on a user, Firebreak's inline policies on a role; and the explicit Deny. */
function releaseCredentialStatements(
  responderRoleName: string,
  releaserRoleName: string,
  protectedPatterns: readonly string[],
): JustifiedStatement[] {
  const { iamArn, s, fromCaseIam, noPolicyNameKey } = releaserScope();
  return [
    {
      statement: s({
        actions: ['iam:ListAccessKeys', 'iam:ListAttachedUserPolicies', 'iam:GetLoginProfile'],
        resources: [iamArn('user/*')],
      }),
      reason: `${fromCaseIam} Read-only: the key's status, the managed policies attached (AWSDenyAll) and console access as they are now.`,
    },
    {
      statement: s({ actions: ['iam:UpdateAccessKey'], resources: [iamArn('user/*')] }),
      reason: `${fromCaseIam} Release sets the finding's key back to its recorded status.`,
    },
    {
      statement: s({ actions: ['iam:DetachUserPolicy'], resources: [iamArn('user/*')], conditions: awsDenyAllOnly() }),
      reason: `${fromCaseIam} Release detaches AWS's managed AWSDenyAll when containment attached it, and no other policy (iam:PolicyARN).`,
    },
    {
      statement: s({ actions: ['iam:GetRole', 'iam:GetRolePolicy'], resources: [iamArn('role/*')] }),
      reason: `${fromCaseIam} Read-only: the role's Firebreak policies as they are now.`,
    },
    {
      statement: s({ actions: ['iam:DeleteRolePolicy', 'iam:PutRolePolicy'], resources: [iamArn('role/*')] }),
      reason: `${fromCaseIam} Release deletes Firebreak's session-revocation, VPC-restriction and per-instance deny inline policies, or puts back the document an earlier case had left. ${noPolicyNameKey}`,
    },
    protectedRolesDeny(
      'DenyWritesToProtectedRoles',
      [responderRoleName, releaserRoleName],
      [...PROTECTED_ROLE_DENIED_ACTIONS, 'iam:PassRole'],
      protectedPatterns,
    ),
  ];
}

/** Prefix of the member account rules that forward API-call events to the security account (default prefix). */
export const FORWARDING_RULE_PREFIX = FirebreakNames.DEFAULT.forwardingRulePrefix;

/**
 * The catalog entries whose events the member account forwards: the API-call entries whose rule in
 * the security account listens on the `firebreak` bus.
 * @param catalog - defaults to {@link CATALOG}.
 * @returns the entries, in catalog order.
 */
export function forwardedEntries(catalog: readonly CatalogEntry[] = CATALOG): ApiCallEntry[] {
  return catalog.filter((e): e is ApiCallEntry => e.kind === 'api-call' && e.eventBus === 'firebreak');
}

/** The ARNs and conditions the responder's statements share: this account and region, the finding's resources. */
function responderScope(regions?: readonly string[]) {
  const p = Aws.PARTITION;
  const { arnRegion: r, viaServices } = regionScope(regions);
  const a = Aws.ACCOUNT_ID;
  const ec2 = (type: string) => `arn:${p}:ec2:${r}:${a}:${type}/*`;
  return {
    p,
    r,
    a,
    ec2,
    snapshots: `arn:${p}:ec2:${r}::snapshot/*`,
    instances: ec2('instance'),
    runtimeIds: 'Resource IDs come from the finding at run time; the action is limited to this account and region.',
    firebreakGroups: { StringEquals: { [`aws:ResourceTag/${TAG.role}`]: [...FIREBREAK_SECURITY_GROUP_ROLES] } },
    ec2Services: viaServices('ec2'),
    rdsServices: viaServices('rds'),
    s: (props: iam.PolicyStatementProps) => new iam.PolicyStatement(props),
  };
}

/**
 * The responder's reads (Describe*, attributes, console output) and Preserve (termination protection, shutdown behaviour, DeleteOnTermination, detaching from its Auto Scaling group, deregistering from its target groups).
 * @returns the statements and their justifications, in the policy's order.
 */
function responderReadAndPreserveStatements(regions?: readonly string[]): JustifiedStatement[] {
  const { p, r, a, ec2, instances, runtimeIds, s } = responderScope(regions);
  return [
    {
      statement: s({
        actions: [
          'ec2:DescribeInstances',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeAddresses',
          'ec2:DescribeIamInstanceProfileAssociations',
          'ec2:DescribeSnapshots',
          'ec2:DescribeVolumes',
          'autoscaling:DescribeAutoScalingInstances',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
        ],
        resources: ['*'],
      }),
      reason:
        'These EC2, Auto Scaling and ELB Describe actions support no resource-level permissions (Service Authorization Reference); they read only.',
    },
    {
      statement: s({ actions: ['ec2:DescribeInstanceAttribute', 'ec2:GetConsoleOutput'], resources: [instances] }),
      reason: `${runtimeIds} Read-only: the instance's attributes and console output are evidence.`,
    },
    {
      // Contain (preservation): termination protection, shutdown behaviour, DeleteOnTermination=false.
      statement: s({ actions: ['ec2:ModifyInstanceAttribute'], resources: [instances, ec2('volume')] }),
      reason: `${runtimeIds} Contain sets termination protection, stop-on-shutdown and DeleteOnTermination=false on the affected instance.`,
    },
    {
      statement: s({
        actions: ['autoscaling:DetachInstances'],
        resources: [`arn:${p}:autoscaling:${r}:${a}:autoScalingGroup:*:autoScalingGroupName/*`],
      }),
      reason: `${runtimeIds} Contain detaches the instance from whichever Auto Scaling group holds it.`,
    },
    {
      statement: s({
        actions: ['elasticloadbalancing:DeregisterTargets'],
        resources: [`arn:${p}:elasticloadbalancing:${r}:${a}:targetgroup/*/*`],
      }),
      reason: `${runtimeIds} Contain deregisters the instance from whichever target groups hold it.`,
    },
  ];
}

/**
 * Contain (isolation): the isolation and untrack groups (created only with the `firebreak:role` tag; rules changed and ENIs moved only on groups carrying it), every ENI moved, Elastic IPs and the instance profile removed.
 * @returns the statements and their justifications, in the policy's order.
 */
function responderIsolationStatements(regions?: readonly string[]): JustifiedStatement[] {
  const { ec2, instances, runtimeIds, firebreakGroups, s } = responderScope(regions);
  return [
    {
      statement: s({
        actions: ['ec2:CreateSecurityGroup'],
        resources: [ec2('security-group')],
        conditions: { StringEquals: { [`aws:RequestTag/${TAG.role}`]: [...FIREBREAK_SECURITY_GROUP_ROLES] } },
      }),
      reason: `New security groups have no ID yet; creation is allowed only with the ${TAG.role} tag (isolation or untrack) on the request.`,
    },
    {
      statement: s({ actions: ['ec2:CreateSecurityGroup'], resources: [ec2('vpc')] }),
      reason: `${runtimeIds} The isolation groups are created in the affected instance's VPC.`,
    },
    {
      statement: s({
        actions: [
          'ec2:AuthorizeSecurityGroupIngress',
          'ec2:AuthorizeSecurityGroupEgress',
          // No RevokeSecurityGroupIngress: a new group has no inbound rule, and only a new group's rules are changed.
          'ec2:RevokeSecurityGroupEgress',
        ],
        resources: [ec2('security-group')],
        conditions: firebreakGroups,
      }),
      reason: `Rules can be changed only on the security groups Firebreak created, identified by their ${TAG.role} tag.`,
    },
    {
      statement: s({
        actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress'],
        resources: [ec2('security-group-rule')],
      }),
      reason: 'New security group rules have no ID yet; the group they are added to must carry the Firebreak tag (statement above).',
    },
    {
      statement: s({
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [ec2('network-interface'), instances, ec2('subnet')],
      }),
      reason: `${runtimeIds} Isolation moves every ENI of the affected instance.`,
    },
    {
      statement: s({ actions: ['ec2:ModifyNetworkInterfaceAttribute'], resources: [ec2('security-group')], conditions: firebreakGroups }),
      reason: `ENIs can be moved only into the security groups Firebreak created, identified by their ${TAG.role} tag.`,
    },
    {
      statement: s({ actions: ['ec2:DisassociateAddress'], resources: [ec2('elastic-ip'), ec2('network-interface')] }),
      reason: `${runtimeIds} Isolation disassociates the instance's Elastic IPs.`,
    },
    {
      statement: s({ actions: ['ec2:DisassociateIamInstanceProfile'], resources: [instances] }),
      reason: `${runtimeIds} Isolation removes the instance profile of the affected instance.`,
    },
  ];
}

/**
 * Evidence: snapshots, transit copies, sharing with the security account only (transit copies only, never public), and Firebreak's own tags.
 * @param securityAccount - the only account a transit copy may be shared with.
 * @returns the statements and their justifications, in the policy's order.
 */
function responderSnapshotStatements(securityAccount: string, regions?: readonly string[]): JustifiedStatement[] {
  const { ec2, snapshots, instances, runtimeIds, s } = responderScope(regions);
  return [
    {
      statement: s({ actions: ['ec2:CreateSnapshots'], resources: [instances, ec2('volume'), snapshots] }),
      reason: `${runtimeIds} New snapshots have no ID yet.`,
    },
    {
      statement: s({ actions: ['ec2:CopySnapshot'], resources: [snapshots] }),
      reason:
        'Snapshot IDs (the source and the new transit copy) are only known at run time; the action is limited to EBS snapshots in this region.',
    },
    {
      statement: s({
        actions: ['ec2:ModifySnapshotAttribute'],
        resources: [snapshots],
        conditions: {
          StringEquals: { 'ec2:Add/userId': securityAccount, [`aws:ResourceTag/${TAG.stage}`]: TRANSIT_SNAPSHOT_STAGE },
          Null: { 'ec2:Add/group': 'true' },
        },
      }),
      reason: `Snapshot IDs are only known at run time; sharing is allowed only with the security account, never publicly, and only for the transit copies (${TAG.stage}=${TRANSIT_SNAPSHOT_STAGE}).`,
    },
    {
      statement: s({
        actions: ['ec2:CreateTags'],
        resources: [ec2('security-group'), snapshots],
        conditions: { StringEquals: { 'ec2:CreateAction': ['CreateSecurityGroup', 'CreateSnapshots', 'CopySnapshot'] } },
      }),
      reason:
        'Tag-on-create of the resources Firebreak creates (isolation groups, snapshots, copies), which have no ID before the call; only as part of those create actions (ec2:CreateAction).',
    },
    {
      statement: s({
        actions: ['ec2:CreateTags'],
        // Not security groups: their firebreak:role tag is what lets the responder change rules and move ENIs,
        // so the responder must never be able to put it on a group it did not create (issue 10).
        resources: [instances, ec2('volume'), snapshots],
        conditions: {
          'ForAllValues:StringLike': { 'aws:TagKeys': ['firebreak:*'] },
          Null: { 'aws:TagKeys': 'false' },
        },
      }),
      reason: `${runtimeIds} Only Firebreak's own tag keys (firebreak:*) can be written; no other tag can be added or changed.`,
    },
  ];
}

/**
 * Keys: the transit key (EC2 use, grants for AWS resources, its metadata) and the source volumes' keys (through EC2 only).
 * @param transitKeyArn - the member account's evidence transit key.
 * @returns the statements and their justifications, in the policy's order.
 */
function responderKeyStatements(
  transitKeyArn: string,
  regions: readonly string[] | undefined,
  transitKeyAlias: string,
): JustifiedStatement[] {
  const { p, r, a, ec2Services, rdsServices, s } = responderScope(regions);
  const { several } = regionScope(regions);
  // EBS snapshot copies (ec2-compromise) and DB snapshot copies (rds-compromise) use the same keys through their service.
  // Several regions: EC2 and RDS of any region (`ec2.*.amazonaws.com`), as the ARNs take any region, and RegionPolicy
  // (outsideRegionsDeny) keeps every KMS request to the listed regions; a list of each service in each region, in four
  // statements, took the responder over IAM's 10,240-character inline limit from about 24 regions.
  const via = several
    ? { StringLike: { 'kms:ViaService': ['ec2.*.amazonaws.com', 'rds.*.amazonaws.com'] } }
    : { StringEquals: { 'kms:ViaService': [...ec2Services, ...rdsServices] } };
  // Several regions: each region's member stack has its own transit key, whose ID is not known here; every one carries
  // the transit alias ("kms:ResourceAliases", AWS KMS Developer Guide, "Condition keys for AWS KMS").
  const transit = several
    ? { resources: [`arn:${p}:kms:*:${a}:key/*`], alias: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': transitKeyAlias } } }
    : { resources: [transitKeyArn], alias: {} };
  const transitReason = several
    ? "Each region's member stack creates its own transit key, whose key ID is not known here; only a key carrying the transit alias qualifies (kms:ResourceAliases), in this account."
    : undefined;
  const sourceKeys = `arn:${p}:kms:${r}:${a}:key/*`;
  const sourceKeysReason =
    'The source volumes or databases may be encrypted with any customer-managed key of this account, and CopySnapshot / CopyDBSnapshot must decrypt them; use is limited to EC2 and RDS (kms:ViaService) in this region, or with several regions in the listed ones (RegionPolicy), and CreateGrant to grants for AWS resources.';
  return [
    {
      statement: s({
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: transit.resources,
        conditions: { ...via, ...transit.alias },
      }),
      reason: transitReason,
    },
    {
      statement: s({
        actions: ['kms:CreateGrant'],
        resources: transit.resources,
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' }, ...transit.alias },
      }),
      reason: transitReason,
    },
    {
      // CopySnapshots resolves the transit alias to its key ARN (read-only key metadata), the KmsKeyId a transit copy must carry (issue 11).
      statement: s({
        actions: ['kms:DescribeKey'],
        resources: transit.resources,
        ...(several ? { conditions: transit.alias } : {}),
      }),
      reason: transitReason,
    },
    {
      statement: s({
        actions: ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:DescribeKey'],
        resources: [sourceKeys],
        conditions: via,
      }),
      reason: sourceKeysReason,
    },
    {
      statement: s({
        actions: ['kms:CreateGrant'],
        resources: [sourceKeys],
        conditions: { ...via, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
      reason: sourceKeysReason,
    },
  ];
}

/**
 * The responder's containment permissions for ec2-compromise (preserve, isolate, verify, evidence, artifacts), in
 * four groups of statements, each with its reasons.
 * @param securityAccount - the security account (12 digits, or the account token in single-account mode).
 * @param transitKeyArn - the ARN of the member account's evidence transit key (this stack's).
 * @param scope - `regions`: the deployment's regions ({@link regionScope}), @default the stack's own region only;
 *   `transitKeyAlias`: the transit keys' alias, which names the other regions' keys, @default the default prefix's
 * @returns the statements, in the policy's order.
 */
export function responderStatements(
  securityAccount: string,
  transitKeyArn: string,
  scope: { readonly regions?: readonly string[]; readonly transitKeyAlias?: string } = {},
): JustifiedStatement[] {
  const { regions, transitKeyAlias = TRANSIT_KEY_ALIAS } = scope;
  return [
    ...responderReadAndPreserveStatements(regions),
    ...responderIsolationStatements(regions),
    ...responderSnapshotStatements(securityAccount, regions),
    ...responderKeyStatements(transitKeyArn, regions, transitKeyAlias),
  ];
}

/** The transit key's alias with the default prefix. */
const TRANSIT_KEY_ALIAS = 'alias/firebreak-evidence-transit';

/** How a member role's statements name the deployment's regions: see {@link regionScope}. */
export interface RegionScope {
  /** Whether the deployment responds in more than one region. */
  readonly several: boolean;
  /** The region part of the ARNs: the stack's own (`AWS::Region`) for one region, `*` for several (then {@link outsideRegionsDeny}). */
  readonly arnRegion: string;
  /** The `kms:ViaService` values of a service in every region (`ec2.<region>.amazonaws.com`). */
  viaServices(service: string): string[];
}

/**
 * The regions a member role's statements cover. One region (the default, and a deployment with one): the stack's own,
 * as the statements have always named it. Several: the roles are global and live only in the home region's member stack
 * (docs/ARCHITECTURE.md, "Regions"), so the ARNs take any region and {@link outsideRegionsDeny} limits them to the listed
 * ones; `kms:ViaService` lists the service in each listed region.
 * @param regions - the deployment's regions (`config.regions`). @default the stack's own region only
 */
export function regionScope(regions?: readonly string[]): RegionScope {
  const several = (regions?.length ?? 0) > 1;
  return {
    several,
    arnRegion: several ? '*' : Aws.REGION,
    viaServices: (service) => (several ? regions!.map((r) => `${service}.${r}.amazonaws.com`) : [`${service}.${Aws.REGION}.amazonaws.com`]),
  };
}

/**
 * The deny that keeps a member role (responder, releaser) to the deployment's regions: every action but IAM's and STS's
 * (global services, whose calls AWS records as made in us-east-1: "aws:RequestedRegion", IAM User Guide, "AWS global
 * condition context keys") is denied when the request's region is not listed; CloudTrail's LookupEvents is also allowed in
 * the partition's global events region, where the event history holds IAM's global events (preserve-credential-evidence
 * reads a principal's records there). The `Null` guard only makes the deny apply when the request carries a region, as
 * every AWS request does; a policy simulation without one is not denied by it.
 * @param regions - the deployment's regions (`config.regions`).
 * @param globalEventsRegion - the region of the partition's global service events (lib/infra/regions.ts).
 * @returns the statements and their justification.
 */
export function outsideRegionsDeny(regions: readonly string[], globalEventsRegion: string): JustifiedStatement[] {
  const reason = 'A deny: it only takes away, from every action outside the regions the deployment responds in (IAM and STS are global).';
  const outside = (listed: readonly string[]) => ({
    StringNotEquals: { 'aws:RequestedRegion': [...new Set(listed)] },
    Null: { 'aws:RequestedRegion': 'false' },
  });
  return [
    {
      statement: new iam.PolicyStatement({
        sid: 'DenyOutsideFirebreakRegions',
        effect: iam.Effect.DENY,
        notActions: ['iam:*', 'sts:*', 'cloudtrail:LookupEvents'],
        resources: ['*'],
        conditions: outside(regions),
      }),
      reason,
    },
    {
      statement: new iam.PolicyStatement({
        sid: 'DenyLookupOutsideFirebreakRegions',
        effect: iam.Effect.DENY,
        actions: ['cloudtrail:LookupEvents'],
        resources: ['*'],
        conditions: outside([...regions, globalEventsRegion]),
      }),
      reason,
    },
  ];
}
