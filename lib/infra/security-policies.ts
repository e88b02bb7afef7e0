import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { JustifiedStatement } from './nag';
import { CASE_EVENT_DETAIL_TYPE, CASE_EVENT_SOURCE } from '../core/case-event';

/**
 * The security account steps' policies as data, each statement with the reason its resource or wildcard is what it
 * is (cdk-nag reads the reasons). FirebreakSecurityAccount.grantStepAccess picks them by STEP_ACCESS.
 */

/**
 * Assuming one member role (the responder or the releaser, never both: separation of duties) in the member accounts.
 * @param roleName - the member role's name.
 * @param accounts - the member accounts (`['*']`: any account, when none are configured).
 * @returns the statement and, for any account, its justification.
 */
export function assumeMemberRoleStatement(roleName: string, accounts: readonly string[]): JustifiedStatement {
  return {
    statement: new iam.PolicyStatement({
      actions: ['sts:AssumeRole'],
      resources: accounts.map((a) => `arn:${Aws.PARTITION}:iam::${a}:role/${roleName}`),
    }),
    reason: accounts.includes('*')
      ? `No memberAccountIds are configured, so this step may act in any member account; it can only assume roles named ${roleName}, which trust this role by ARN.`
      : undefined,
  };
}

/** Reading the progress of the security account's snapshot copies (DescribeSnapshots has no resource-level permissions). */
export function describeSecuritySnapshotsStatement(): JustifiedStatement {
  return {
    statement: new iam.PolicyStatement({ actions: ['ec2:DescribeSnapshots'], resources: ['*'] }),
    reason: 'ec2:DescribeSnapshots supports no resource-level permissions; the step reads the progress of the security account copies.',
  };
}

/**
 * Setting the Security Hub workflow status of a case's GuardDuty findings (config `securityHubWorkflow`): read the
 * finding (GetFindings), update its workflow and note (BatchUpdateFindings), on the security account's own hub in this
 * Region (`arn:<partition>:securityhub:<region>:<account>:hub/default`, the resource type both actions take, "Actions,
 * resources, and condition keys for AWS Security Hub", Service Authorization Reference,
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecurityhub.html). As the Security Hub
 * administrator, that hub updates the members' findings ("Administrator accounts can update findings for their account
 * and their member accounts", API_BatchUpdateFindings).
 */
export function updateSecurityHubFindingsStatement(): JustifiedStatement {
  return {
    statement: new iam.PolicyStatement({
      actions: ['securityhub:BatchUpdateFindings', 'securityhub:GetFindings'],
      resources: [`arn:${Aws.PARTITION}:securityhub:${Aws.REGION}:${Aws.ACCOUNT_ID}:hub/default`],
    }),
  };
}

/**
 * Putting the `Firebreak Case` events on Firebreak's own bus (lib/core/case-event.ts): `events:PutEvents` on that bus only,
 * and only with the source `firebreak` and the detail type `Firebreak Case` (the PutEvents condition keys `events:source`
 * and `events:detail-type`, "Using IAM policy conditions in Amazon EventBridge", EventBridge User Guide,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html), so a paging step cannot put an event
 * that a catalog rule (GuardDuty, CloudTrail, game day) would answer.
 */
export function putCaseEventsStatement(busArn: string): JustifiedStatement {
  return {
    statement: new iam.PolicyStatement({
      actions: ['events:PutEvents'],
      resources: [busArn],
      conditions: {
        'ForAllValues:StringEquals': { 'events:source': [CASE_EVENT_SOURCE], 'events:detail-type': [CASE_EVENT_DETAIL_TYPE] },
      },
    }),
  };
}

/**
 * Copying a shared transit snapshot into the security account under the evidence key ("Copy an Amazon EBS
 * snapshot", Amazon EBS User Guide: the copier needs the source key's Decrypt and grants for EC2, and the
 * destination key's use): the copy, tag-on-create, the evidence key through EC2, and the member accounts' transit
 * keys through EC2.
 * @param evidenceKeyArn - the security account's evidence key.
 * @param memberAccounts - the member accounts (`['*']`: any account).
 * @param transitKeyAlias - the transit key's alias, for the reason.
 * @param regions - the deployment's regions: with several, a finding's snapshot is shared in its own region and copied
 *   into this one (CopySnapshot's `SourceRegion`: "the Region where you call CopySnapshot is the destination", EC2 API
 *   Reference, "CopySnapshot"), so the source snapshots, the transit keys and EC2 of every listed region are named.
 *   @default this stack's region only
 * @returns the statements and their justifications, in the policy's order.
 */
export function copyIntoSecurityAccountStatements(
  evidenceKeyArn: string,
  memberAccounts: readonly string[],
  transitKeyAlias: string,
  regions?: readonly string[],
): JustifiedStatement[] {
  const where = regions && regions.length > 1 ? [...regions] : [Aws.REGION];
  const ec2Service = where.map((r) => `ec2.${r}.amazonaws.com`);
  const snapshots = where.map((r) => `arn:${Aws.PARTITION}:ec2:${r}::snapshot/*`);
  const snapshotIds =
    "Snapshot IDs (the shared source and the new copy) are only known at run time; the action is limited to EBS snapshots in the deployment's regions.";
  // The source key: the member account's transit key, whose ID only the member account knows.
  // With several regions, one ARN per account (any region): kms:ViaService already keeps the use to EC2 in the listed
  // regions, and an ARN per region and account would take the role over IAM's 10,240-character inline limit ("IAM and
  // AWS STS quotas", IAM User Guide) at 32 regions with one account, or 8 regions with 10 accounts.
  const keyRegions = where.length > 1 ? ['*'] : where;
  const transitKeys = keyRegions.flatMap((r) => memberAccounts.map((a) => `arn:${Aws.PARTITION}:kms:${r}:${a}:key/*`));
  const why = `The member account's transit key (${transitKeyAlias}) is created by the member stack and its key ID is not known here; use is limited to EC2 in the deployment's regions (kms:ViaService, which also keeps the keys to those regions), and the key policy in the member account admits only this use.`;
  const s = (props: iam.PolicyStatementProps) => new iam.PolicyStatement(props);
  return [
    { statement: s({ actions: ['ec2:CopySnapshot'], resources: snapshots }), reason: snapshotIds },
    {
      statement: s({
        actions: ['ec2:CreateTags'],
        resources: snapshots,
        conditions: { StringEquals: { 'ec2:CreateAction': 'CopySnapshot' } },
      }),
      reason: `${snapshotIds} Tagging is allowed only as part of CopySnapshot (ec2:CreateAction).`,
    },
    {
      // The destination key of the security account copy.
      statement: s({
        actions: [
          'kms:Encrypt',
          'kms:Decrypt',
          'kms:ReEncryptFrom',
          'kms:ReEncryptTo',
          'kms:GenerateDataKeyWithoutPlaintext',
          'kms:DescribeKey',
        ],
        resources: [evidenceKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': ec2Service } },
      }),
    },
    {
      statement: s({
        actions: ['kms:CreateGrant'],
        resources: [evidenceKeyArn],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    },
    {
      statement: s({
        actions: ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:DescribeKey'],
        resources: transitKeys,
        conditions: { StringEquals: { 'kms:ViaService': ec2Service } },
      }),
      reason: why,
    },
    {
      statement: s({
        actions: ['kms:CreateGrant'],
        resources: transitKeys,
        conditions: { StringEquals: { 'kms:ViaService': ec2Service }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
      reason: why,
    },
  ];
}

/**
 * Copying a shared DB snapshot or DB cluster snapshot into the security account under the evidence key
 * (rds-compromise; "Copying a DB snapshot" and "Sharing a DB snapshot", Amazon RDS User Guide,
 * https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CopySnapshot.html: a copy of an encrypted snapshot shared
 * from another account needs the source key's use and a KmsKeyId in the copying account; RDS uses both keys through
 * grants): CopyDBSnapshot / CopyDBClusterSnapshot and their Describe calls on Firebreak's snapshot identifiers only
 * (`firebreak-*`, lib/runtime/rds/snapshot-ids.ts), the evidence key through RDS, the member accounts' transit keys
 * through RDS.
 * @param evidenceKeyArn - the security account's evidence key.
 * @param memberAccounts - the member accounts (`['*']`: any account).
 * @param transitKeyAlias - the transit key's alias, for the reason.
 * @returns the statements and their justifications, in the policy's order.
 */
export function copyDbIntoSecurityAccountStatements(
  evidenceKeyArn: string,
  memberAccounts: readonly string[],
  transitKeyAlias: string,
): JustifiedStatement[] {
  const rdsService = `rds.${Aws.REGION}.amazonaws.com`;
  const arn = (account: string, type: string) => `arn:${Aws.PARTITION}:rds:${Aws.REGION}:${account}:${type}:firebreak-*`;
  const accounts = [Aws.ACCOUNT_ID, ...memberAccounts];
  const snapshots = accounts.flatMap((a) => [arn(a, 'snapshot'), arn(a, 'cluster-snapshot')]);
  const transitKeys = memberAccounts.map((a) => `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${a}:key/*`);
  const why = `The member account's transit key (${transitKeyAlias}) is created by the member stack and its key ID is not known here; use is limited to RDS in this region (kms:ViaService), and the key policy in the member account admits only this use.`;
  const s = (props: iam.PolicyStatementProps) => new iam.PolicyStatement(props);
  return [
    {
      statement: s({
        actions: ['rds:CopyDBSnapshot', 'rds:CopyDBClusterSnapshot', 'rds:DescribeDBSnapshots', 'rds:DescribeDBClusterSnapshots'],
        resources: snapshots,
      }),
      reason:
        "Snapshot identifiers are derived from the case at run time (firebreak-<stage>-<hash>); the actions are limited to Firebreak's identifiers in this region, in this account (the copy) and the member accounts (the shared source).",
    },
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
        resources: [evidenceKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': rdsService } },
      }),
    },
    {
      statement: s({
        actions: ['kms:CreateGrant'],
        resources: [evidenceKeyArn],
        conditions: { StringEquals: { 'kms:ViaService': rdsService }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    },
    {
      statement: s({
        actions: ['kms:Decrypt', 'kms:ReEncryptFrom', 'kms:DescribeKey'],
        resources: transitKeys,
        conditions: { StringEquals: { 'kms:ViaService': rdsService } },
      }),
      reason: why,
    },
    {
      statement: s({
        actions: ['kms:CreateGrant'],
        resources: transitKeys,
        conditions: { StringEquals: { 'kms:ViaService': rdsService }, Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
      reason: why,
    },
  ];
}

/**
 * Locking the security account's evidence snapshot copies (EBS snapshot lock, lib/runtime/ec2/snapshot-lock.ts):
 * `ec2:LockSnapshot` on EBS snapshots in this Region, and `ec2:DescribeLockedSnapshots` to read the locks first. The
 * resource of LockSnapshot is the snapshot ("Control access to Amazon EBS snapshot lock", Amazon EBS User Guide,
 * https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-iam.html, whose example grants it on
 * `arn:aws:ec2:*::snapshot/*`); a snapshot ARN carries no account, and only a snapshot's owner can lock it, so the grant
 * reaches the security account's own snapshots only. No `ec2:UnlockSnapshot`: no Firebreak role can remove or shorten a
 * lock it set (a governance lock can be shortened through LockSnapshot too, which the step never asks for:
 * `lockDecision`).
 */
export function lockSecuritySnapshotsStatements(): JustifiedStatement[] {
  return [
    {
      statement: new iam.PolicyStatement({
        actions: ['ec2:LockSnapshot'],
        resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}::snapshot/*`],
      }),
      reason:
        "The evidence copies' snapshot IDs are only known at run time; the action is limited to EBS snapshots in this region, and only their owner (the security account) can lock them.",
    },
    {
      statement: new iam.PolicyStatement({ actions: ['ec2:DescribeLockedSnapshots'], resources: ['*'] }),
      reason:
        'ec2:DescribeLockedSnapshots, like the other EC2 Describe actions, supports no resource-level permissions; the step reads the locks of its own copies before it locks them.',
    },
  ];
}
