import { runSimulation } from '@cloud-copilot/iam-simulate';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CATALOG, PLAYBOOKS } from '../../lib/core/catalog/catalog';
import {
  BELOW_FLOOR_RULE_NAME,
  belowFloorRule,
  catalogRules,
  eventPatternFor,
  gameDayPatternFor,
  ruleNameFor,
} from '../../lib/core/catalog/patterns';
import { forwardedEntries } from '../../lib/infra/member-account-stack';
import { CLOUDTRAIL_TAMPER_TASKS } from '../../lib/infra/playbooks/cloudtrail-tamper/playbook';
import { CREDENTIAL_COMPROMISE_TASKS } from '../../lib/infra/playbooks/credential-compromise/playbook';
import { EC2_COMPROMISE_TASKS, FAILURE_RECORDING_TASKS } from '../../lib/infra/playbooks/ec2-compromise/playbook';
import { NOTHING_TO_RESTORE, RELEASE_TASKS, TASK_NOT_RESTARTABLE } from '../../lib/infra/playbooks/release/playbook';
import { ROOT_ACTIVITY_TASKS } from '../../lib/infra/playbooks/root-activity/playbook';
import { FINDING_TRIAGE_TASKS } from '../../lib/infra/playbooks/finding-triage/playbook';
import { MEMBER_ACTING_STEPS, RELEASING_STEPS, STEP_ACCESS, STEP_NAMES, stepRoleName } from '../../lib/infra/steps';
import { EXECUTION_ENDED_RULE_NAME } from '../../lib/infra/security-account-stack';
import {
  allowedActions,
  buildTestApp,
  flat,
  functionLogicalIdOf,
  list,
  roleLogicalIdOf,
  roleStatements,
  Statement,
  stateMachineDefinition,
  stateMachineLogicalIdOf,
  templateOf,
} from './support';

/** The state machine of every playbook the catalog's rules start (every one but release), in PLAYBOOKS order. */
const MACHINE_NAMES: Record<string, string> = Object.fromEntries(PLAYBOOKS.map((p) => [p, `firebreak-${p}`]));

/**
 * What a catalog rule's target is since issue 13: the finding buffer's queue, with an input transformer whose message names
 * the playbook's state machine and carries the whole event (lib/infra/finding-buffer.ts `BufferMessageInput`).
 */
function bufferedTarget(
  template: Template,
  target: { Arn: unknown; InputTransformer?: { InputTemplate?: unknown } },
): { queue: string; machine?: string } {
  const queue = (target.Arn as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt']?.[0] ?? '';
  expect(template.toJSON().Resources[queue]?.Properties?.QueueName).toBe('firebreak-finding-buffer');
  const text = JSON.stringify(target.InputTransformer?.InputTemplate);
  expect(text).toContain('<aws.events.event.json>');
  return { queue, machine: /"Ref":"([A-Za-z0-9]+)"/.exec(text)?.[1] };
}

const RUNTIME_VARIABLES = [
  'FIREBREAK_LEDGER_TABLE',
  'FIREBREAK_EVIDENCE_BUCKET',
  'FIREBREAK_EVIDENCE_KEY_ARN',
  'FIREBREAK_TRANSIT_KEY_ALIAS',
  'FIREBREAK_TOPIC_ARN',
  'FIREBREAK_RESPONDER_ROLE_NAME',
  'FIREBREAK_RELEASER_ROLE_NAME',
  'FIREBREAK_SECURITY_ACCOUNT_ID',
  'FIREBREAK_CLAIM_LEASE_SECONDS',
  'FIREBREAK_EVIDENCE_DEADLINE_SECONDS',
];

/** The states of the approval path (lib/infra/playbook-states.ts), in every playbook that contains. */
const APPROVAL_STATES = ['RequestApproval', 'ApprovalTimedOut', 'RecordApproval', 'ApprovalOutcome'];
/** The game-day guard between Normalize and Claim (playbooks with game-day rules). */
const GAMEDAY_STATES = ['GameDayCheck', 'GameDayGuard', 'GameDayOutcome', 'GameDayRefused'];
/** Shadow mode's path (issue 14), in every playbook that contains: PlanShadow → CloseShadow → Shadow → Done. */
const SHADOW_STATES = ['PlanShadow', 'CloseShadow', 'Shadow'];
/** The suppressed path (issue 14), in every playbook built on the triage front: CloseSuppressed → Suppressed → Done. */
const SUPPRESSION_STATES = ['CloseSuppressed', 'Suppressed'];
/** ClaimOutcome's (and ContainOutcome's) choice of a suppressed case. */
const SUPPRESSED_CHOICE = { Variable: '$.case.suppression', IsPresent: true, Next: 'CloseSuppressed' };
/** DecideOutcome's choice of a shadow-mode decision. */
const SHADOW_CHOICE = { Variable: '$.decision.action', StringEquals: 'shadow', Next: 'PlanShadow' };
const ALREADY_HANDLED_CHOICE = { Variable: '$.case.status', StringEquals: 'ALREADY_HANDLED', Next: 'AlreadyHandled' };

/** The shadow and suppressed paths' wiring (issue 14); `shadow` false for a playbook that never contains. */
function expectBrakePaths(s: Record<string, { Next?: string; [k: string]: unknown }>, shadow: boolean): void {
  expect(s.CloseSuppressed).toMatchObject({
    ResultPath: '$.closed',
    Parameters: { 'state.$': '$', outcome: 'SUPPRESSED' },
    Next: 'Suppressed',
  });
  expect(s.Suppressed).toEqual({ Type: 'Pass', Result: 'SUPPRESSED', ResultPath: '$.outcome', Next: 'Done' });
  if (!shadow) return expect(s.PlanShadow).toBeUndefined();
  expect(s.PlanShadow).toMatchObject({ ResultPath: '$.plan', Next: 'CloseShadow' });
  expect(s.CloseShadow).toMatchObject({ ResultPath: '$.closed', Parameters: { 'state.$': '$', outcome: 'SHADOW' }, Next: 'Shadow' });
  expect(s.Shadow).toEqual({ Type: 'Pass', Result: 'SHADOW', ResultPath: '$.outcome', Next: 'Done' });
}

/**
 * Normalize → GameDayCheck (a game-day event → GameDayGuard, anything else → Claim) → GameDayGuard
 * (`$.gameDay`, the shared Retry and Catch) → GameDayOutcome (refused → GameDayRefused → Done, else Claim):
 * a refused game-day event never reaches Claim.
 */
function expectGameDayGuardBeforeClaim(
  s: Record<string, { Next?: string; [k: string]: unknown }>,
  retry: unknown,
  catches: unknown,
  [first, then]: [string, string] = ['Normalize', 'Claim'],
): void {
  expect(s[first].Next).toBe('GameDayCheck');
  expect(s.GameDayCheck).toEqual({
    Type: 'Choice',
    Choices: [{ Variable: '$.incident.trigger', StringEquals: 'gameday', Next: 'GameDayGuard' }],
    Default: then,
  });
  expect(s.GameDayGuard).toMatchObject({ Type: 'Task', ResultPath: '$.gameDay', Next: 'GameDayOutcome', Retry: retry, Catch: catches });
  expect(s.GameDayOutcome).toEqual({
    Type: 'Choice',
    Choices: [{ Variable: '$.gameDay.refused', BooleanEquals: true, Next: 'GameDayRefused' }],
    Default: then,
  });
  expect(s.GameDayRefused).toEqual({ Type: 'Pass', Result: 'GAMEDAY_REFUSED', ResultPath: '$.outcome', Next: 'Done' });
  expect(s.Claim.Next).toBe('ClaimOutcome');
}

/** A playbook's Lambda Tasks invoked by ARN: all but RequestApproval, which waits for a task token. */
function lambdaTasks<T extends Record<string, unknown>>(tasks: T): T {
  return Object.fromEntries(Object.entries(tasks).filter(([n]) => n !== 'RequestApproval')) as T;
}

const STATE_NAMES = [
  'Triage',
  'TriageOutcome',
  'Claim',
  'ClaimOutcome',
  'AlreadyHandled',
  'DecideOutcome',
  'PlanDryRun',
  'DryRunDone',
  'NotifyOnly',
  'CloseNotified',
  'Contain',
  'ContainOutcome',
  'ContainClaimedOutcome',
  'ContainClaimed',
  'ResealIsolation',
  'ResealOutcome',
  'DenyInstanceCredentials',
  'SnapshotVolumes',
  'CheckSnapshots',
  'SnapshotsDone',
  'WaitForSnapshots',
  'CopySnapshots',
  'CheckMemberCopies',
  'MemberCopiesDone',
  'WaitForMemberCopies',
  'ShareAndCopySnapshots',
  'CheckSecurityCopies',
  'SecurityCopiesDone',
  'WaitForSecurityCopies',
  'CollectArtifacts',
  'WriteManifest',
  'Notify',
  'Contained',
  'RecordResourceGone',
  'ResourceGoneDone',
  'RecordFailure',
  'PlaybookFailed',
  'Done',
];

const RETRY = [
  {
    ErrorEquals: [
      'Throttled',
      'TransientAwsError',
      'Lambda.ServiceException',
      'Lambda.AWSLambdaException',
      'Lambda.SdkClientException',
      'Lambda.TooManyRequestsException',
      'Sandbox.Timedout',
      'Lambda.Unknown',
      'States.Timeout',
    ],
    IntervalSeconds: 2,
    MaxAttempts: 4,
    BackoffRate: 2,
    JitterStrategy: 'FULL',
  },
];
/** The failure recorders': the same errors, 10 retries, each wait capped at 60 s (issue 11). */
const RECORD_RETRY = [{ ...RETRY[0], MaxAttempts: 10, MaxDelaySeconds: 60 }];
/** ec2-compromise's evidence stages that create: 2 s ×2 capped at 30 s, 10 retries (210 s, beyond the 120 s lease), no jitter. */
const EVIDENCE_CREATE = {
  ErrorEquals: ['EvidenceCreateInProgress'],
  IntervalSeconds: 2,
  MaxAttempts: 10,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: 'NONE',
};
const EVIDENCE_CREATES = ['SnapshotVolumes', 'CopySnapshots', 'ShareAndCopySnapshots'];
/**
 * The Retry a Task state has: the recorders', the evidence stages' that create (which first wait out another
 * execution's lease on their create calls), or `own` (the standard one unless given).
 */
const retryOf = (name: string, own: unknown = RETRY) =>
  FAILURE_RECORDING_TASKS.includes(name) ? RECORD_RETRY : EVIDENCE_CREATES.includes(name) ? [EVIDENCE_CREATE, ...RETRY] : own;
/** RequestApproval's: its States.Timeout is the approval timeout, caught, never retried. */
const APPROVAL_RETRY = [{ ...RETRY[0], ErrorEquals: RETRY[0].ErrorEquals.filter((e) => e !== 'States.Timeout') }];
const CATCH = [
  { ErrorEquals: ['ResourceGone'], ResultPath: '$.error', Next: 'RecordResourceGone' },
  { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
];
const NOT_YET_CONSISTENT = { ErrorEquals: ['NotYetConsistent'], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 1.5 };
const UNKNOWN_DECISION = {
  Type: 'Pass',
  Result: { Error: 'UnknownDecision', Cause: 'Decide returned an action this playbook does not handle' },
  ResultPath: '$.error',
  Next: 'RecordFailure',
};
const MEMBERS = ['111111111111', '333333333333'];
const SECURITY = '222222222222';
/** The proactive tamper baseline's rules (lib/infra/trail-baselines.ts), not catalog rules. */
const TRAIL_BASELINE_RULE_NAMES = ['firebreak-trail-baselines', 'firebreak-trail-baselines-deployed'];

describe('SecurityAccountStack', () => {
  let template: Template;
  beforeAll(() => {
    template = templateOf(buildTestApp().security);
  });

  describe('evidence vault', () => {
    const bucketWithObjectLock = () => {
      const buckets = template.findResources('AWS::S3::Bucket', { Properties: { ObjectLockEnabled: true } });
      expect(Object.keys(buckets)).toHaveLength(1);
      const [id, bucket] = Object.entries(buckets)[0];
      return { id, props: bucket.Properties };
    };

    it('is an Object Lock bucket with versioning and the configured default retention', () => {
      const { props } = bucketWithObjectLock();
      expect(props.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(props.ObjectLockConfiguration).toEqual({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Days: 90, Mode: 'COMPLIANCE' } },
      });
    });

    it('encrypts with a customer-managed KMS key that rotates', () => {
      const { props } = bucketWithObjectLock();
      const sse = props.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault;
      expect(sse.SSEAlgorithm).toBe('aws:kms');
      const keyId = sse.KMSMasterKeyID['Fn::GetAtt'][0];
      expect(template.toJSON().Resources[keyId]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
    });

    it('blocks all public access and allows TLS only', () => {
      const { id, props } = bucketWithObjectLock();
      expect(props.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it('writes server access logs to a separate encrypted, versioned, TLS-only, private bucket', () => {
      const { props } = bucketWithObjectLock();
      const logBucketId = props.LoggingConfiguration.DestinationBucketName.Ref;
      const logBucket = template.toJSON().Resources[logBucketId];
      expect(logBucket.Properties).toMatchObject({
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logBucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' }, Action: 's3:PutObject' }),
          ]),
        },
      });
    });

    it('in COMPLIANCE mode (the default) needs no bypass statement: COMPLIANCE has no bypass', () => {
      const statements = Object.values(template.findResources('AWS::S3::BucketPolicy')).flatMap(
        (p) => p.Properties.PolicyDocument.Statement as { Action: unknown }[],
      );
      expect(statements.filter((st) => JSON.stringify(st.Action).includes('BypassGovernanceRetention'))).toEqual([]);
    });

    it('in GOVERNANCE mode, denies s3:BypassGovernanceRetention on every evidence object to everyone', () => {
      const t = templateOf(buildTestApp({ objectLockMode: 'GOVERNANCE' }).security);
      t.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Days: 90, Mode: 'GOVERNANCE' } } },
      });
      const bucketId = Object.entries(t.findResources('AWS::S3::Bucket')).find(([, r]) => r.Properties.ObjectLockEnabled)![0];
      t.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Sid: 'DenyGovernanceBypass',
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:BypassGovernanceRetention',
              Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
            },
          ]),
        },
      });
    });

    it('takes the retention and mode from the configuration', () => {
      const t = templateOf(buildTestApp({ evidenceRetentionDays: 365, objectLockMode: 'COMPLIANCE' }).security);
      t.hasResourceProperties('AWS::S3::Bucket', {
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Days: 365, Mode: 'COMPLIANCE' } } },
      });
    });
  });

  describe('case ledger', () => {
    it('is an on-demand table keyed pk/sk with PITR, a rotating CMK and deletion protection', () => {
      const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
      expect(tables).toHaveLength(1);
      const [table] = tables;
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.Properties).toMatchObject({
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      });
      const keyId = table.Properties.SSESpecification.KMSMasterKeyId['Fn::GetAtt'][0];
      expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
    });
  });

  describe('notification topic', () => {
    it('is encrypted with a rotating CMK and accepts TLS only', () => {
      const [topicId, topic] = Object.entries(template.findResources('AWS::SNS::Topic'))[0];
      const keyId = topic.Properties.KmsMasterKeyId['Fn::GetAtt'][0];
      expect(template.toJSON().Resources[keyId].Properties.EnableKeyRotation).toBe(true);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    });

    it('subscribes the notification e-mail only when one is configured', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      const t = templateOf(buildTestApp({ notificationEmail: 'soc@example.com' }).security);
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'soc@example.com' });
    });
  });

  describe('routing', () => {
    it('creates the custom event bus "firebreak"', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'firebreak' });
    });

    it('creates one rule per catalog entry on the bus the entry names, a game-day rule per containing GuardDuty entry, and the below-floor rule, with the catalog patterns', () => {
      const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
        (r) => ![BELOW_FLOOR_RULE_NAME, EXECUTION_ENDED_RULE_NAME, ...TRAIL_BASELINE_RULE_NAMES].includes(r.Properties.Name),
      );
      expect(rules).toHaveLength(catalogRules(CATALOG).length);
      const busId = Object.keys(template.findResources('AWS::Events::EventBus', { Properties: { Name: 'firebreak' } }))[0];
      for (const { entry, eventBus, ruleName, pattern } of catalogRules(CATALOG)) {
        const rule = rules.find((r) => r.Properties.Name === ruleName);
        expect(rule).toBeDefined();
        // `default`: EventBusName omitted (the account's default bus); `firebreak`: the custom bus.
        expect([ruleName, rule!.Properties.EventBusName]).toEqual([ruleName, eventBus === 'firebreak' ? { Ref: busId } : undefined]);
        if (ruleName === ruleNameFor(entry)) {
          expect(rule!.Properties.EventPattern).toEqual(pattern);
          expect(pattern).toEqual(eventPatternFor(entry));
        } else {
          // Single-account mode: only the deployment's own account may send game-day events.
          expect(rule!.Properties.EventPattern).toEqual({ ...pattern, account: [{ Ref: 'AWS::AccountId' }] });
          expect(pattern).toMatchObject({ source: ['firebreak.gameday'], detail: { firebreakGameDay: { runId: [{ exists: true }] } } });
        }
        expect(rule!.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'firebreak:component', Value: 'routing' }]));
      }
    });

    it('matches, in every game-day rule, only events whose account is the security account', () => {
      const t = templateOf(buildTestApp({ securityAccountId: SECURITY, memberAccountIds: MEMBERS }).security);
      const gameDay = Object.values(t.findResources('AWS::Events::Rule')).filter((r) =>
        String(r.Properties.Name).startsWith('firebreak-gameday-'),
      );
      expect(gameDay.length).toBe(catalogRules(CATALOG).filter((r) => r.ruleName.startsWith('firebreak-gameday-')).length);
      for (const rule of gameDay) {
        const { entry } = catalogRules(CATALOG).find((r) => r.ruleName === rule.Properties.Name)!;
        expect([rule.Properties.Name, rule.Properties.EventPattern.account]).toEqual([rule.Properties.Name, [SECURITY]]);
        expect(rule.Properties.EventPattern).toEqual(gameDayPatternFor(entry as never, SECURITY));
      }
    });

    it("targets its playbook's state machine with retries, a maximum event age and the one encrypted, TLS-only DLQ of every catalog rule", () => {
      const resources = template.toJSON().Resources;
      const dlqs = new Set<string>();
      const rules = Object.values(template.findResources('AWS::Events::Rule')).filter(
        (r) => ![BELOW_FLOOR_RULE_NAME, EXECUTION_ENDED_RULE_NAME, ...TRAIL_BASELINE_RULE_NAMES].includes(r.Properties.Name),
      );
      for (const rule of rules) {
        const entry = catalogRules(CATALOG).find((r) => r.ruleName === rule.Properties.Name)!.entry;
        expect(rule.Properties.Targets).toHaveLength(1);
        const [target] = rule.Properties.Targets;
        expect([entry.id, bufferedTarget(template, target).machine]).toEqual([
          entry.id,
          stateMachineLogicalIdOf(template, MACHINE_NAMES[entry.playbook]),
        ]);
        expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) });
        const queueId = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
        expect(resources[queueId].Type).toBe('AWS::SQS::Queue');
        expect(resources[queueId].Properties.SqsManagedSseEnabled).toBe(true);
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: queueId }],
          PolicyDocument: {
            Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
          },
        });
        dlqs.add(queueId);
      }
      // One DLQ for all (SQS's 20-statement policy quota; CloudFormation's 500 resources): its messages name the rule (RULE_ARN).
      expect(dlqs.size).toBe(1);
      expect(resources[[...dlqs][0]].Properties.QueueName).toBe('firebreak-routing-dlq');
      const dlqPolicy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find(
        (p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: [...dlqs][0] }]),
      )!;
      const sends = dlqPolicy.Properties.PolicyDocument.Statement.filter((st: { Effect: string }) => st.Effect === 'Allow');
      expect(sends).toHaveLength(1);
      expect(sends[0].Action).toBe('sqs:SendMessage');
      expect(sends[0].Condition.ArnEquals['aws:SourceArn']).toHaveLength(catalogRules(CATALOG).length);
    });

    it('routes credential-compromise-high and -medium to the credential-compromise state machine, each with a DLQ', () => {
      const machineId = stateMachineLogicalIdOf(template, 'firebreak-credential-compromise');
      const rules = Object.values(template.findResources('AWS::Events::Rule'));
      for (const id of ['credential-compromise-high', 'credential-compromise-medium']) {
        const entry = CATALOG.find((e) => e.id === id)!;
        expect(entry.playbook).toBe('credential-compromise');
        const rule = rules.find((r) => r.Properties.Name === ruleNameFor(entry))!;
        expect(rule.Properties.EventPattern.detail.resource).toEqual({ resourceType: ['AccessKey'] });
        // The Policy:S3/ exposure types on AccessKey go to s3-compromise (s3-exposure-*).
        expect(rule.Properties.EventPattern.detail.type).toEqual([{ 'anything-but': { prefix: 'Policy:S3/' } }]);
        const [target] = rule.Properties.Targets;
        expect(bufferedTarget(template, target).machine).toBe(machineId);
        const queueId = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
        expect(template.toJSON().Resources[queueId].Type).toBe('AWS::SQS::Queue');
        expect(template.toJSON().Resources[queueId].Properties.QueueName).toBe('firebreak-routing-dlq');
      }
    });

    it('listens for GuardDuty findings on the default bus and for API calls on the firebreak bus', () => {
      // The catalog today: findings on `default`, forwarded API calls on `firebreak`.
      const buses = Object.fromEntries(
        catalogRules(CATALOG).map(({ ruleName, eventBus }) => [ruleName.replace(/^firebreak-/, ''), eventBus]),
      );
      expect(buses).toEqual({
        'ec2-compromise-high': 'default',
        'ec2-compromise-medium': 'default',
        'credential-compromise-high': 'default',
        'credential-compromise-medium': 'default',
        's3-compromise-high': 'default',
        's3-compromise-medium': 'default',
        'rds-compromise-high': 'default',
        'rds-compromise-medium': 'default',
        's3-exposure-high': 'default',
        's3-exposure-medium': 'default',
        'lambda-compromise-high': 'default',
        'lambda-compromise-medium': 'default',
        'ecs-task-high': 'default',
        'ecs-task-medium': 'default',
        'attack-sequence-high': 'default',
        'attack-sequence-medium': 'default',
        'container-node-high': 'default',
        'container-node-medium': 'default',
        'container-workload': 'default',
        'finding-triage': 'default',
        // Game-day events (firebreak.gameday) come on the firebreak bus: aws.* sources cannot be forged.
        'gameday-ec2-compromise-high': 'firebreak',
        'gameday-ec2-compromise-medium': 'firebreak',
        'gameday-credential-compromise-high': 'firebreak',
        'gameday-credential-compromise-medium': 'firebreak',
        'gameday-s3-compromise-high': 'firebreak',
        'gameday-s3-compromise-medium': 'firebreak',
        'gameday-rds-compromise-high': 'firebreak',
        'gameday-rds-compromise-medium': 'firebreak',
        'gameday-s3-exposure-high': 'firebreak',
        'gameday-s3-exposure-medium': 'firebreak',
        'gameday-lambda-compromise-high': 'firebreak',
        'gameday-lambda-compromise-medium': 'firebreak',
        'gameday-ecs-task-high': 'firebreak',
        'gameday-ecs-task-medium': 'firebreak',
        'gameday-container-node-high': 'firebreak',
        'gameday-container-node-medium': 'firebreak',
        'cloudtrail-tamper-trail': 'firebreak',
        'cloudtrail-tamper-guardduty': 'firebreak',
        'root-activity-console': 'firebreak',
        'root-activity-access-key': 'firebreak',
      });
    });

    it('counts GuardDuty findings below the severity floor: a rule to a log group (events.amazonaws.com may write to it) and a metric filter by finding type; no state machine', () => {
      const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r) => r.Properties.Name === BELOW_FLOOR_RULE_NAME)!;
      expect(rule.Properties.EventPattern).toEqual(belowFloorRule(4).pattern);
      expect(rule.Properties.EventBusName).toBeUndefined();
      const [logGroupId] = Object.keys(
        template.findResources('AWS::Logs::LogGroup', { Properties: { LogGroupName: '/aws/events/firebreak-below-floor' } }),
      );
      expect(logGroupId).toBeDefined();
      expect(rule.Properties.Targets).toHaveLength(1);
      expect(rule.Properties.Targets[0].Arn).toEqual({
        'Fn::Join': ['', ['arn:aws:logs:us-east-1:', { Ref: 'AWS::AccountId' }, ':log-group:', { Ref: logGroupId }]],
      });
      const [ruleId] = Object.entries(template.findResources('AWS::Events::Rule')).find(
        ([, r]) => r.Properties.Name === BELOW_FLOOR_RULE_NAME,
      )!;
      const policies = Object.values(template.findResources('AWS::Logs::ResourcePolicy'));
      expect(policies).toHaveLength(1);
      const doc = JSON.parse(
        policies[0].Properties.PolicyDocument['Fn::Join']
          ? JSON.stringify(policies[0].Properties.PolicyDocument)
          : policies[0].Properties.PolicyDocument,
      );
      // Only EventBridge, only these two actions, only this log group, only for the below-floor rule.
      expect(JSON.stringify(doc)).toContain('events.amazonaws.com');
      expect(JSON.stringify(doc)).toContain('logs:CreateLogStream');
      expect(JSON.stringify(doc)).toContain('logs:PutLogEvents');
      expect(JSON.stringify(doc)).toContain(`"Fn::GetAtt":["${ruleId}","Arn"]`);
      expect(JSON.stringify(doc)).not.toMatch(/"logs:\*"|"\*"/);
      expect(rule.Properties.Targets[0].DeadLetterConfig.Arn['Fn::GetAtt'][1]).toBe('Arn');
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: logGroupId },
        MetricTransformations: [
          Match.objectLike({
            MetricNamespace: 'Firebreak',
            MetricName: 'FindingsBelowFloor',
            Dimensions: [{ Key: 'FindingType', Value: '$.detail.type' }],
          }),
        ],
      });
    });

    it('takes the severity floor from the configuration: the medium and triage rules start at it, the counting rule ends at it', () => {
      const t = templateOf(buildTestApp({ severityFloor: 2 }).security);
      const rules = Object.values(t.findResources('AWS::Events::Rule'));
      const pattern = (name: string) => rules.find((r) => r.Properties.Name === name)!.Properties.EventPattern.detail.severity;
      expect(pattern('firebreak-ec2-compromise-medium')).toEqual([{ numeric: ['>=', 2, '<', 7] }]);
      expect(pattern('firebreak-finding-triage')).toEqual([{ numeric: ['>=', 2] }]);
      expect(pattern(BELOW_FLOOR_RULE_NAME)).toEqual([{ numeric: ['<', 2] }]);
      const fn = Object.values(t.findResources('AWS::Lambda::Function')).find(
        (f) => f.Properties.Environment?.Variables?.FIREBREAK_STEP === 'normalize-finding',
      )!;
      expect(fn.Properties.Environment.Variables.FIREBREAK_SEVERITY_FLOOR).toBe('2');
    });

    it('passes the NotFound grace period to the Lambdas that describe the instance', () => {
      const t = templateOf(buildTestApp({ notFoundGraceSeconds: 45 }).security);
      const fn = Object.values(t.findResources('AWS::Lambda::Function')).find(
        (f) => f.Properties.Environment?.Variables?.FIREBREAK_STEP === 'contain-instance',
      )!;
      expect(fn.Properties.Environment.Variables.FIREBREAK_NOT_FOUND_GRACE_SECONDS).toBe('45');
    });

    it('routes cloudtrail-tamper and root-activity API calls from the firebreak bus to their state machines, each with a DLQ', () => {
      const busId = Object.keys(template.findResources('AWS::Events::EventBus', { Properties: { Name: 'firebreak' } }))[0];
      const rules = Object.values(template.findResources('AWS::Events::Rule'));
      for (const [id, playbook] of [
        ['cloudtrail-tamper-trail', 'cloudtrail-tamper'],
        ['cloudtrail-tamper-guardduty', 'cloudtrail-tamper'],
        ['root-activity-console', 'root-activity'],
        ['root-activity-access-key', 'root-activity'],
      ]) {
        const entry = CATALOG.find((e) => e.id === id)!;
        expect([id, entry.playbook]).toEqual([id, playbook]);
        const rule = rules.find((r) => r.Properties.Name === ruleNameFor(entry))!;
        expect([id, rule.Properties.EventBusName]).toEqual([id, { Ref: busId }]);
        // Failed calls changed nothing: the pattern requires errorCode to be absent.
        expect([id, rule.Properties.EventPattern.detail.errorCode]).toEqual([id, [{ exists: false }]]);
        const [target] = rule.Properties.Targets;
        expect([id, bufferedTarget(template, target).machine]).toEqual([id, stateMachineLogicalIdOf(template, MACHINE_NAMES[playbook])]);
        const queueId = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
        expect([id, template.toJSON().Resources[queueId].Properties.QueueName]).toEqual([id, 'firebreak-routing-dlq']);
      }
    });

    describe('firebreak bus resource policy', () => {
      const busPolicies = (t: Template) => Object.values(t.findResources('AWS::Events::EventBusPolicy'));

      /** The bus policy's statements, by Sid (CDK prefixes `cdk-`), each with the bus ARN as its resource. */
      const statementsOf = (t: Template, busArn?: string) =>
        Object.fromEntries(
          busPolicies(t).map((p) => {
            const st = p.Properties.Statement as Statement & { Sid: string };
            return [st.Sid.replace(/^cdk-/, ''), busArn ? { ...st, Resource: busArn } : st];
          }),
        ) as Record<string, Statement & { Sid: string }>;

      it('lets exactly the configured member accounts put, on the firebreak bus, only what their forwarding rules forward', () => {
        const t = templateOf(buildTestApp({ securityAccountId: SECURITY, memberAccountIds: MEMBERS }).security);
        const busId = Object.keys(t.findResources('AWS::Events::EventBus', { Properties: { Name: 'firebreak' } }))[0];
        const policies = busPolicies(t);
        expect(policies).toHaveLength(2);
        for (const policy of policies) expect(policy.Properties.EventBusName).toEqual({ Ref: busId });
        const { MemberAccountsForwardEvents: statement } = statementsOf(t);
        expect(statement.Effect).toBe('Allow');
        expect(statement.Action).toBe('events:PutEvents');
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
        expect(list((statement.Principal as { AWS: string | string[] }).AWS).sort()).toEqual(MEMBERS.map((a) => `arn:aws:iam::${a}:root`));
        // What the member stack's forwarding rules forward (forwardedEntries), and nothing else: no firebreak.gameday.
        const forwarded = forwardedEntries();
        expect(statement.Condition).toEqual({
          'ForAllValues:StringEquals': {
            'events:source': [...new Set(forwarded.flatMap((e) => e.sources))].sort(),
            'events:detail-type': [...new Set(forwarded.map((e) => e.detailType))].sort(),
          },
        });
        expect(JSON.stringify(statement.Condition)).not.toContain('firebreak.gameday');
      });

      it('denies game-day events to every account but the security account', () => {
        const t = templateOf(buildTestApp({ securityAccountId: SECURITY, memberAccountIds: MEMBERS }).security);
        const { GameDayEventsOnlyFromSecurityAccount: deny } = statementsOf(t);
        expect(deny).toMatchObject({
          Effect: 'Deny',
          Action: 'events:PutEvents',
          Principal: { AWS: '*' },
          Condition: {
            'ForAnyValue:StringEquals': { 'events:source': ['firebreak.gameday'] },
            StringNotEquals: { 'aws:PrincipalAccount': SECURITY },
          },
        });
      });

      it('admits no account in single-account mode (the forwarding rule is in the same account) nor when no member is listed', () => {
        expect(busPolicies(template)).toEqual([]);
        // Nor is there a member StackSet without `organization.memberStackSet` (test/infra/organization.test.ts).
        expect(template.findResources('AWS::CloudFormation::StackSet')).toEqual({});
        expect(busPolicies(templateOf(buildTestApp({ securityAccountId: SECURITY }).security))).toEqual([]);
      });

      it("admits a member account's forwarded CloudTrail events, refuses its game-day events and any other account, and admits the security account's game-day events (iam-simulate)", async () => {
        const t = templateOf(buildTestApp({ securityAccountId: SECURITY, memberAccountIds: MEMBERS }).security);
        const busArn = `arn:aws:events:us-east-1:${SECURITY}:event-bus/firebreak`;
        const putEvents = async (account: string, source: string[], detailType: string[]) =>
          (await runSimulation(
            {
              request: {
                principal: `arn:aws:iam::${account}:role/FirebreakMember-ForwardingRole`,
                action: 'events:PutEvents',
                resource: { resource: busArn, accountId: SECURITY },
                // iam-simulate does not derive aws:PrincipalAccount from the principal: given here as AWS would set it.
                contextVariables: { 'aws:PrincipalAccount': account, 'events:source': source, 'events:detail-type': detailType },
              },
              identityPolicies: [
                {
                  name: 'forwarding',
                  policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }] },
                },
              ],
              resourcePolicy: { Version: '2012-10-17', Statement: Object.values(statementsOf(t, busArn)) },
              serviceControlPolicies: [],
              resourceControlPolicies: [],
            } as never,
            {},
          )) as { overallResult?: string; ignoredContextKeys?: string[]; errors?: unknown };
        const api = 'AWS API Call via CloudTrail';
        const allowed = await putEvents(MEMBERS[0], ['aws.cloudtrail'], [api]);
        expect(allowed.overallResult).toBe('Allowed');
        expect((await putEvents(MEMBERS[1], ['aws.signin', 'aws.iam'], ['AWS Console Sign In via CloudTrail', api])).overallResult).toBe(
          'Allowed',
        );
        expect((await putEvents('999999999999', ['aws.cloudtrail'], [api])).overallResult).not.toBe('Allowed');
        // A member's game-day event: not admitted, alone or among forwarded events.
        expect((await putEvents(MEMBERS[0], ['firebreak.gameday'], ['GuardDuty Finding'])).overallResult).not.toBe('Allowed');
        expect((await putEvents(MEMBERS[0], ['aws.cloudtrail', 'firebreak.gameday'], [api])).overallResult).not.toBe('Allowed');
        // Any other source or detail type is not admitted either (so the condition keys are evaluated, not ignored).
        expect((await putEvents(MEMBERS[0], ['aws.cloudtrail'], ['GuardDuty Finding'])).overallResult).not.toBe('Allowed');
        expect((await putEvents(MEMBERS[0], ['com.example'], [api])).overallResult).not.toBe('Allowed');
        // The security account's own game-day events are not denied (same account: its identity policy suffices).
        expect((await putEvents(SECURITY, ['firebreak.gameday'], ['GuardDuty Finding'])).overallResult).toBe('Allowed');
      });
    });

    it("lets only close-orphaned-case and the buffer's starter describe executions, only of the claiming playbooks", () => {
      const readers = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).some((st) =>
          list(st.Action).some((x) => x.startsWith('states:Describe')),
        ),
      );
      // close-orphaned-case: an input the status-change event left out; start-playbook: whether a slot's execution still runs.
      expect(readers.map(([, p]) => p.Properties.Roles[0].Ref).sort()).toEqual(
        ['close-orphaned-case', 'start-playbook'].map((s) => roleLogicalIdOf(template, functionLogicalIdOf(template, s))).sort(),
      );
      for (const [, policy] of readers) expectDescribesClaimingExecutions(policy);
    });

    it('lets only share-snapshots lock snapshots (EBS snapshot lock, this region only), and no step unlock or delete one', () => {
      const statements = (p: ReturnType<Template['findResources']>[string]) =>
        p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[];
      const policies = Object.values(template.findResources('AWS::IAM::Policy'));
      const lockers = policies.filter((p) => statements(p).some((st) => list(st.Action).includes('ec2:LockSnapshot')));
      expect(lockers.map((p) => p.Properties.Roles[0].Ref)).toEqual([
        roleLogicalIdOf(template, functionLogicalIdOf(template, 'share-snapshots')),
      ]);
      const lock = statements(lockers[0]).find((st) => list(st.Action).includes('ec2:LockSnapshot'))!;
      // (CDK merges it with CopySnapshot's statement: the same resource.)
      expect(list(lock.Resource as string | string[]).map(flat)).toEqual(['arn:<AWS::Partition>:ec2:<AWS::Region>::snapshot/*']);
      const actions = policies.flatMap((p) => statements(p).flatMap((st) => list(st.Action)));
      expect(actions.filter((a) => ['ec2:UnlockSnapshot', 'ec2:DeleteSnapshot', 'ec2:*'].includes(a))).toEqual([]);
    });

    function expectDescribesClaimingExecutions(policy: ReturnType<Template['findResources']>[string]): void {
      const st = (policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]).find((x) =>
        list(x.Action).includes('states:DescribeExecution'),
      )!;
      expect(list(st.Action)).toEqual(['states:DescribeExecution']);
      expect((st.Resource as unknown[]).map(flat).sort()).toEqual(
        Object.values(MACHINE_NAMES)
          .map((name) => `arn:aws:states:us-east-1:<AWS::AccountId>:execution:<${stateMachineLogicalIdOf(template, name)}.Name>:*`)
          .sort(),
      );
    }

    it('runs record-trail-baselines on its schedule and after each deployment of this stack, with a DLQ and an error alarm', () => {
      const resources = template.toJSON().Resources;
      const fnId = functionLogicalIdOf(template, 'record-trail-baselines');
      const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
        TRAIL_BASELINE_RULE_NAMES.includes(r.Properties.Name),
      );
      type RuleProps = {
        ScheduleExpression?: string;
        EventPattern?: unknown;
        EventBusName?: unknown;
        Targets: { Arn: unknown; DeadLetterConfig: { Arn: { 'Fn::GetAtt': string[] } } }[];
      };
      const byName: Record<string, RuleProps> = Object.fromEntries(rules.map((r) => [r.Properties.Name, r.Properties]));
      expect(byName['firebreak-trail-baselines'].ScheduleExpression).toBe('rate(1 hour)');
      expect(byName['firebreak-trail-baselines-deployed'].EventPattern).toEqual({
        source: ['aws.cloudformation'],
        'detail-type': ['CloudFormation Stack Status Change'],
        detail: { 'stack-id': [{ Ref: 'AWS::StackId' }], 'status-details': { status: ['CREATE_COMPLETE', 'UPDATE_COMPLETE'] } },
      });
      for (const rule of Object.values(byName)) {
        expect(rule.EventBusName).toBeUndefined();
        expect(rule.Targets).toHaveLength(1);
        expect(rule.Targets[0].Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
        const queueId = rule.Targets[0].DeadLetterConfig.Arn['Fn::GetAtt'][0];
        expect(resources[queueId].Properties).toMatchObject({ QueueName: 'firebreak-trail-baselines-dlq', SqsManagedSseEnabled: true });
      }
      // A run that fails (an account could not be read) tells the topic.
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fnId } }],
        AlarmActions: [{ Ref: Object.keys(template.findResources('AWS::SNS::Topic'))[0] }],
      });
      // The interval is the configuration's.
      const custom = templateOf(buildTestApp({ trailBaselineIntervalMinutes: 15 }).security);
      custom.hasResourceProperties('AWS::Events::Rule', { Name: 'firebreak-trail-baselines', ScheduleExpression: 'rate(15 minutes)' });
    });

    it('sends the ends FAILED, TIMED_OUT and ABORTED of the claiming playbooks (not release) to close-orphaned-case, with a DLQ', () => {
      const resources = template.toJSON().Resources;
      const [ruleId, rule] = Object.entries(template.findResources('AWS::Events::Rule')).find(
        ([, r]) => r.Properties.Name === EXECUTION_ENDED_RULE_NAME,
      )!;
      expect(rule.Properties.EventBusName).toBeUndefined();
      expect(rule.Properties.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: Object.values(MACHINE_NAMES).map((name) => ({ Ref: stateMachineLogicalIdOf(template, name) })),
        },
      });
      expect(rule.Properties.Targets).toHaveLength(1);
      const [target] = rule.Properties.Targets;
      const fnId = functionLogicalIdOf(template, 'close-orphaned-case');
      expect(target.Arn).toEqual({ 'Fn::GetAtt': [fnId, 'Arn'] });
      expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: expect.any(Number), MaximumEventAgeInSeconds: expect.any(Number) });
      const queueId = target.DeadLetterConfig.Arn['Fn::GetAtt'][0];
      expect(resources[queueId].Properties).toMatchObject({ QueueName: `${EXECUTION_ENDED_RULE_NAME}-dlq`, SqsManagedSseEnabled: true });
      // An invocation that fails for good (Lambda's two async retries spent) lands in the same DLQ, whose alarm tells the topic.
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
      // EventBridge may invoke the function for this rule only.
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
      });
      // No playbook invokes it.
      for (const name of [...Object.values(MACHINE_NAMES), 'firebreak-release']) {
        expect([name, JSON.stringify(stateMachineDefinition(template, name)).includes(fnId)]).toEqual([name, false]);
      }
    });

    it("raises an alarm to the topic when a DLQ receives an event (the below-floor rule's too)", () => {
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/SQS' } }));
      // The catalog rules' shared DLQ, the execution-ended rule's, the below-floor rule's, the finding buffer's DLQ and the trail baselines' DLQ.
      expect(alarms).toHaveLength(1 + 4);
      for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    });
  });

  describe('Lambda functions', () => {
    it('has one function per step, each nodejs22.x on arm64 with FIREBREAK_STEP and the runtime variables', () => {
      const fns = Object.values(template.findResources('AWS::Lambda::Function'));
      expect(fns.map((f) => f.Properties.Environment.Variables.FIREBREAK_STEP).sort()).toEqual([...STEP_NAMES].sort());
      for (const fn of fns) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: 256,
          TracingConfig: { Mode: 'Active' },
          Handler: 'index.handler',
        });
        expect(fn.Properties.Timeout).toBeGreaterThanOrEqual(60);
        expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(expect.arrayContaining(RUNTIME_VARIABLES));
      }
    });

    it('gives every function its own log group with a retention and its own deterministically named role', () => {
      const resources = template.toJSON().Resources;
      for (const step of STEP_NAMES) {
        const fnId = functionLogicalIdOf(template, step);
        const fn = resources[fnId];
        const logGroup = resources[fn.Properties.LoggingConfig.LogGroup.Ref];
        expect(logGroup.Properties.RetentionInDays).toBeGreaterThan(0);
        const role = resources[roleLogicalIdOf(template, fnId)];
        expect(role.Properties.RoleName).toBe(stepRoleName(step));
        expect(role.Properties.RoleName.length).toBeLessThanOrEqual(64);
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
        const logs = roleStatements(template, roleLogicalIdOf(template, fnId)).find((s) => list(s.Action).includes('logs:PutLogEvents'));
        expect(logs?.Resource).toEqual({ 'Fn::GetAtt': [fn.Properties.LoggingConfig.LogGroup.Ref, 'Arn'] });
      }
      const roleNames = STEP_NAMES.map((s) => resources[roleLogicalIdOf(template, functionLogicalIdOf(template, s))].Properties.RoleName);
      expect(new Set(roleNames).size).toBe(STEP_NAMES.length);
    });

    it('grants each step only the access its table entry names', () => {
      for (const step of STEP_NAMES) {
        const access = STEP_ACCESS[step];
        const actions = allowedActions(template, roleLogicalIdOf(template, functionLogicalIdOf(template, step)));
        const has = (a: string) => actions.has(a);
        expect([step, has('sts:AssumeRole')]).toEqual([step, access.actsInMember || access.releasesInMember]);
        expect([step, access.actsInMember && access.releasesInMember]).toEqual([step, false]);
        expect([step, has('dynamodb:PutItem')]).toEqual([step, access.ledger]);
        expect([step, has('s3:PutObject')]).toEqual([step, access.evidenceBucket || access.storesReceivedEvents]);
        expect([step, has('sns:Publish')]).toEqual([step, access.notifications]);
        expect([step, has('ec2:DescribeSnapshots')]).toEqual([step, access.describeSecuritySnapshots]);
        expect([step, has('ec2:CopySnapshot')]).toEqual([step, access.copyIntoSecurityAccount]);
        for (const a of actions) expect(a).not.toMatch(/^(iam|ec2:Modify|ec2:Create(?!Tags)|ec2:Delete|ec2:Terminate)/);
      }
    });

    it.each([
      'collect-artifacts',
      'write-manifest',
      'preserve-bucket',
      'preserve-task',
      'preserve-database',
      'preserve-credential-evidence',
    ] as const)(
      'lets %s write and read evidence objects under cases/ only, never the received events (it names them, issue 13)',
      (step) => {
        expect(STEP_NAMES.filter((s) => STEP_ACCESS[s].evidenceBucket).sort()).toEqual([
          'collect-artifacts',
          'preserve-bucket',
          'preserve-credential-evidence',
          'preserve-database',
          'preserve-function',
          'preserve-task',
          'write-manifest',
        ]);
        const statements = roleStatements(template, roleLogicalIdOf(template, functionLogicalIdOf(template, step)));
        const objects = statements.filter((st) => list(st.Action).some((a) => a === 's3:GetObject' || a === 's3:PutObject'));
        const resources = objects.flatMap((st) => list(st.Resource).map(flat));
        expect(resources.length).toBeGreaterThan(0);
        for (const r of resources) expect(r).toMatch(/\/cases\/\*$/);
      },
    );

    it.each(['normalize-finding', 'contain-instance'] as const)(
      'lets %s write received events under received-events/ only, without listing or reading the rest of the bucket',
      (step) => {
        // Normalize (and Triage), and Contain when it follows Triage (issue 13).
        expect(STEP_NAMES.filter((s) => STEP_ACCESS[s].storesReceivedEvents)).toEqual(['normalize-finding', 'contain-instance']);
        const statements = roleStatements(template, roleLogicalIdOf(template, functionLogicalIdOf(template, step)));
        const s3 = statements.filter((st) => list(st.Action).some((a) => String(a).startsWith('s3:')));
        expect(s3.flatMap((st) => list(st.Action)).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
        const resources = s3.flatMap((st) => list(st.Resource).map(flat));
        expect(resources.length).toBeGreaterThan(0);
        for (const r of resources) expect(r).toMatch(/\/received-events\/\*$/);
        // Through S3 (contain-instance also uses the ledger's and the topic's keys, through their services).
        const kms = statements.filter(
          (st) => list(st.Action).some((a) => String(a).startsWith('kms:')) && JSON.stringify(st.Condition ?? {}).includes('s3.'),
        );
        expect(kms.flatMap((st) => list(st.Action))).toEqual(['kms:GenerateDataKey']);
        expect(kms.every((st) => JSON.stringify(st.Condition ?? {}).includes('kms:ViaService'))).toBe(true);
        if (step === 'normalize-finding') {
          const all = statements.filter((st) => list(st.Action).some((a) => String(a).startsWith('kms:')));
          expect(all).toEqual(kms);
        }
      },
    );

    it('lets member-acting steps assume only the responder role', () => {
      for (const step of MEMBER_ACTING_STEPS) {
        const statements = roleStatements(template, roleLogicalIdOf(template, functionLogicalIdOf(template, step)));
        const assume = statements.filter((s) => list(s.Action).includes('sts:AssumeRole'));
        expect(assume.flatMap((s) => list(s.Resource).map(flat))).toEqual([
          'arn:<AWS::Partition>:iam::<AWS::AccountId>:role/FirebreakResponder',
        ]);
      }
    });

    it('lets the release steps assume only the releaser role, and no other step assume it', () => {
      expect(RELEASING_STEPS).toEqual([
        'release-instance',
        'release-credentials',
        'release-bucket',
        'release-function',
        'release-database',
        'verify-release',
      ]);
      for (const step of STEP_NAMES) {
        const statements = roleStatements(template, roleLogicalIdOf(template, functionLogicalIdOf(template, step)));
        const assumed = statements.filter((s) => list(s.Action).includes('sts:AssumeRole')).flatMap((s) => list(s.Resource).map(flat));
        const expected = RELEASING_STEPS.includes(step)
          ? ['arn:<AWS::Partition>:iam::<AWS::AccountId>:role/FirebreakReleaser']
          : MEMBER_ACTING_STEPS.includes(step)
            ? ['arn:<AWS::Partition>:iam::<AWS::AccountId>:role/FirebreakResponder']
            : [];
        expect([step, assumed]).toEqual([step, expected]);
      }
    });

    it("names the configured member accounts and releaser role in the release steps' AssumeRole resources", () => {
      const t = templateOf(
        buildTestApp({ securityAccountId: SECURITY, memberAccountIds: MEMBERS, releaserRoleName: 'IrReleaser' }).security,
      );
      for (const step of RELEASING_STEPS) {
        const statements = roleStatements(t, roleLogicalIdOf(t, functionLogicalIdOf(t, step)));
        const resources = statements.filter((s) => list(s.Action).includes('sts:AssumeRole')).flatMap((s) => list(s.Resource).map(flat));
        expect([step, resources.sort()]).toEqual([step, MEMBERS.map((a) => `arn:<AWS::Partition>:iam::${a}:role/IrReleaser`)]);
      }
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ FIREBREAK_RELEASER_ROLE_NAME: 'IrReleaser', FIREBREAK_RESPONDER_ROLE_NAME: 'FirebreakResponder' }),
        },
      });
    });

    it('names the configured member accounts and responder role in the AssumeRole resources', () => {
      const t = templateOf(
        buildTestApp({
          securityAccountId: '222222222222',
          memberAccountIds: ['111111111111', '333333333333'],
          responderRoleName: 'IrResponder',
        }).security,
      );
      const statements = roleStatements(t, roleLogicalIdOf(t, functionLogicalIdOf(t, 'contain-instance')));
      const resources = statements.filter((s) => list(s.Action).includes('sts:AssumeRole')).flatMap((s) => list(s.Resource).map(flat));
      expect(resources.sort()).toEqual([
        'arn:<AWS::Partition>:iam::111111111111:role/IrResponder',
        'arn:<AWS::Partition>:iam::333333333333:role/IrResponder',
      ]);
      t.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ FIREBREAK_RESPONDER_ROLE_NAME: 'IrResponder', FIREBREAK_SECURITY_ACCOUNT_ID: '222222222222' }),
        },
      });
    });
  });

  describe('ec2-compromise state machine', () => {
    let definition: ReturnType<typeof stateMachineDefinition>;
    beforeAll(() => {
      definition = stateMachineDefinition(template, 'firebreak-ec2-compromise');
    });

    it('is a Standard machine with logging at level ALL, tracing and a 6 h timeout', () => {
      const machine = template.toJSON().Resources[stateMachineLogicalIdOf(template, 'firebreak-ec2-compromise')];
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
        },
        TracingConfiguration: { Enabled: true },
      });
      expect(machine.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'firebreak:component', Value: 'playbook' }]));
      expect(definition.TimeoutSeconds).toBe(6 * 3600);
      expect(definition.StartAt).toBe('Triage');
      expect((definition as Record<string, unknown>).QueryLanguage).toBeUndefined();
    });

    it('has exactly the contract state names', () => {
      expect(Object.keys(definition.States).sort()).toEqual(
        [
          ...STATE_NAMES,
          ...APPROVAL_STATES,
          ...GAMEDAY_STATES,
          ...SHADOW_STATES,
          ...SUPPRESSION_STATES,
          'Notified',
          'UnknownDecision',
        ].sort(),
      );
    });

    it("invokes each Task state's step function by ARN (payloadResponseOnly)", () => {
      for (const [name, step] of Object.entries(lambdaTasks(EC2_COMPROMISE_TASKS))) {
        const state = definition.States[name];
        expect(state.Type).toBe('Task');
        expect(state.Resource).toBe(`<${functionLogicalIdOf(template, step)}.Arn>`);
      }
      const tasks = Object.entries(definition.States)
        .filter(([, s]) => s.Type === 'Task')
        .map(([n]) => n);
      expect(tasks.sort()).toEqual(Object.keys(EC2_COMPROMISE_TASKS).sort());
    });

    it("gives every Lambda Task a TimeoutSeconds 30 s longer than its function's timeout", () => {
      const resources = template.toJSON().Resources;
      for (const [name, step] of Object.entries(lambdaTasks(EC2_COMPROMISE_TASKS))) {
        const timeout = resources[functionLogicalIdOf(template, step)].Properties.Timeout;
        expect([name, definition.States[name].TimeoutSeconds]).toEqual([name, timeout + 30]);
      }
    });

    it('gives every Task the Retry, and every Task but the failure recorders the Catch', () => {
      for (const name of Object.keys(lambdaTasks(EC2_COMPROMISE_TASKS))) {
        const state = definition.States[name];
        const reseal = { ...RETRY[0], MaxAttempts: 6 };
        // DenyInstanceCredentials reads the deny back: NotYetConsistent is waited out first (IAM, issue 15).
        const own = name === 'DenyInstanceCredentials' ? [NOT_YET_CONSISTENT, ...RETRY] : RETRY;
        expect([name, state.Retry]).toEqual([name, name === 'ResealIsolation' ? [reseal, ...RETRY] : retryOf(name, own)]);
        // The steps that move ENIs (and read their isolation back, issue 13) fail through ResealIsolation, which then
        // records the failure whatever happens to it.
        const catches = FAILURE_RECORDING_TASKS.includes(name)
          ? undefined
          : ['Contain', 'ContainClaimed'].includes(name)
            ? [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ResealIsolation' }]
            : name === 'ResealIsolation'
              ? [{ ErrorEquals: ['States.ALL'], ResultPath: '$.resealError', Next: 'ResealOutcome' }]
              : CATCH;
        expect([name, state.Catch]).toEqual([name, catches]);
      }
      expect(definition.States.ResealIsolation.Next).toBe('ResealOutcome');
      expect(definition.States.ResealOutcome).toEqual({
        Type: 'Choice',
        Choices: [{ Variable: '$.error.Error', StringEquals: 'ResourceGone', Next: 'RecordResourceGone' }],
        Default: 'RecordFailure',
      });
    });

    it('passes the documented Parameters and ResultPaths', () => {
      const s = definition.States;
      expect(s.Triage.Parameters).toEqual({
        'input.$': '$',
        'executionName.$': '$$.Execution.Name',
        'executionStartTime.$': '$$.Execution.StartTime',
        triage: true,
      });
      // The results of Triage, Contain and ContainClaimed replace the state: ResultPath "$", left implicit (the ASL
      // default) because the local runner's aws-local-stepfunctions reads an explicit "$" as a key named "$".
      // Contain gets the execution's input to store the event, and returns the state without it.
      for (const name of ['Triage', 'Contain', 'ContainClaimed']) expect([name, s[name].ResultPath]).toEqual([name, undefined]);
      expect(s.Contain.Parameters).toEqual({ 'state.$': '$', 'input.$': '$$.Execution.Input' });
      expect(s.ContainClaimed.Parameters).toEqual({ 'state.$': '$' });
      const expected: Record<string, [string, unknown]> = {
        Claim: ['$.case', undefined],
        PlanDryRun: ['$.plan', undefined],
        NotifyOnly: ['$.notification', { 'state.$': '$', kind: 'notify-only' }],
        CloseNotified: ['$.closed', { 'state.$': '$', outcome: 'NOTIFIED' }],
        ResealIsolation: ['$.reseal', undefined],
        DenyInstanceCredentials: ['$.instanceCredentials', undefined],
        SnapshotVolumes: ['$.snapshots', undefined],
        CheckSnapshots: ['$.snapshotsCheck', { 'incident.$': '$.incident', 'case.$': '$.case', 'batch.$': '$.snapshots', owner: 'member' }],
        CopySnapshots: ['$.memberCopies', undefined],
        CheckMemberCopies: [
          '$.memberCopiesCheck',
          { 'incident.$': '$.incident', 'case.$': '$.case', 'batch.$': '$.memberCopies', owner: 'member' },
        ],
        ShareAndCopySnapshots: ['$.securityCopies', undefined],
        CheckSecurityCopies: [
          '$.securityCopiesCheck',
          { 'incident.$': '$.incident', 'case.$': '$.case', 'batch.$': '$.securityCopies', owner: 'security' },
        ],
        CollectArtifacts: ['$.artifacts', undefined],
        WriteManifest: ['$.manifest', undefined],
        Notify: ['$.notification', { 'state.$': '$', kind: 'contained', close: 'CONTAINED' }],
        RecordResourceGone: ['$.failure', { 'state.$': '$', outcome: 'RESOURCE_GONE' }],
        RecordFailure: ['$.failure', { 'state.$': '$', outcome: 'FAILED' }],
      };
      for (const [name, [resultPath, parameters]] of Object.entries(expected)) {
        expect([name, s[name].ResultPath, s[name].Parameters]).toEqual([name, resultPath, parameters]);
      }
    });

    it('wires the containment path, the poll loops and the terminal states', () => {
      const s = definition.States;
      const next = (name: string) => s[name].Next;
      expectGameDayGuardBeforeClaim(s, RETRY, CATCH, ['Triage', 'TriageOutcome']);
      // Triage → Contain, which claims, for a containment whose event Triage left to it; Claim for anything else.
      expect(s.TriageOutcome).toEqual({
        Type: 'Choice',
        Choices: [
          {
            And: [
              { Variable: '$.decision.action', StringEquals: 'contain' },
              { Variable: '$.event', IsNull: true },
            ],
            Next: 'Contain',
          },
        ],
        Default: 'Claim',
      });
      expect(next('Claim')).toBe('ClaimOutcome');
      expect(s.ClaimOutcome.Choices).toEqual([ALREADY_HANDLED_CHOICE, SUPPRESSED_CHOICE]);
      expect(s.ClaimOutcome.Default).toBe('DecideOutcome');
      expect(s.AlreadyHandled).toEqual({ Type: 'Pass', Result: 'ALREADY_HANDLED', ResultPath: '$.outcome', Next: 'Done' });
      expect(s.DecideOutcome.Choices).toEqual([
        { Variable: '$.decision.action', StringEquals: 'dryRun', Next: 'PlanDryRun' },
        { Variable: '$.decision.action', StringEquals: 'notify', Next: 'NotifyOnly' },
        { Variable: '$.decision.action', StringEquals: 'contain', Next: 'ContainClaimed' },
        { Variable: '$.decision.action', StringEquals: 'approval', Next: 'RequestApproval' },
        SHADOW_CHOICE,
      ]);
      expectBrakePaths(s, true);
      expect(['PlanDryRun', 'NotifyOnly', 'CloseNotified'].map(next)).toEqual(['DryRunDone', 'CloseNotified', 'Notified']);
      expect(next('Contain')).toBe('ContainOutcome');
      expect(s.ContainOutcome).toEqual({
        Type: 'Choice',
        Choices: [
          ALREADY_HANDLED_CHOICE,
          SUPPRESSED_CHOICE,
          // A brake held the containment (issue 14): Contain claimed the case, changed nothing, and it waits for approval.
          { Variable: '$.decision.action', StringEquals: 'approval', Next: 'RequestApproval' },
        ],
        // The instance role's deny, after the isolation and before the evidence (issue 15).
        Default: 'DenyInstanceCredentials',
      });
      // Contain reads its isolation back itself (issue 13): no VerifyIsolation state.
      expect(s.VerifyIsolation).toBeUndefined();
      expect(['ContainClaimed', 'DenyInstanceCredentials', 'SnapshotVolumes'].map(next)).toEqual([
        'ContainClaimedOutcome',
        'SnapshotVolumes',
        'CheckSnapshots',
      ]);
      // Not after an approval (an event Triage stored), ContainClaimed is braked as Contain is (issue 14).
      expect(s.ContainClaimedOutcome).toEqual({
        Type: 'Choice',
        Choices: [
          {
            And: [{ Not: { Variable: '$.approvalOutcome', IsPresent: true } }, { Variable: '$.decision.action', StringEquals: 'approval' }],
            Next: 'RequestApproval',
          },
        ],
        Default: 'DenyInstanceCredentials',
      });
      for (const [check, choice, wait, then, path] of [
        ['CheckSnapshots', 'SnapshotsDone', 'WaitForSnapshots', 'CopySnapshots', '$.snapshotsCheck.status'],
        ['CheckMemberCopies', 'MemberCopiesDone', 'WaitForMemberCopies', 'ShareAndCopySnapshots', '$.memberCopiesCheck.status'],
        ['CheckSecurityCopies', 'SecurityCopiesDone', 'WaitForSecurityCopies', 'CollectArtifacts', '$.securityCopiesCheck.status'],
      ]) {
        expect(next(check)).toBe(choice);
        expect(s[choice].Choices).toEqual([{ Variable: path, StringEquals: 'completed', Next: then }]);
        expect(s[choice].Default).toBe(wait);
        expect(s[wait]).toEqual({ Type: 'Wait', Seconds: 15, Next: check });
      }
      expect(['CopySnapshots', 'ShareAndCopySnapshots'].map(next)).toEqual(['CheckMemberCopies', 'CheckSecurityCopies']);
      // Notify closes the case in its own write (issue 13): no CloseCase state.
      expect(s.CloseCase).toBeUndefined();
      expect(['CollectArtifacts', 'WriteManifest', 'Notify'].map(next)).toEqual(['WriteManifest', 'Notify', 'Contained']);
      for (const [pass, outcome] of [
        ['DryRunDone', 'DRY_RUN'],
        ['Notified', 'NOTIFIED'],
        ['Contained', 'CONTAINED'],
        ['ResourceGoneDone', 'RESOURCE_GONE'],
      ]) {
        expect(s[pass]).toEqual({ Type: 'Pass', Result: outcome, ResultPath: '$.outcome', Next: 'Done' });
      }
      expect(next('RecordResourceGone')).toBe('ResourceGoneDone');
      expect(next('RecordFailure')).toBe('PlaybookFailed');
      expect(s.PlaybookFailed).toEqual({ Type: 'Fail', Error: 'PlaybookFailed', Cause: 'A playbook step failed; see the case timeline' });
      expect(s.Done).toEqual({ Type: 'Succeed' });
    });

    it('lets its role invoke exactly the step functions, by unqualified ARN', () => {
      const machine = template.toJSON().Resources[stateMachineLogicalIdOf(template, 'firebreak-ec2-compromise')];
      const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0];
      const invoke = roleStatements(template, roleId).filter((st) => list(st.Action).includes('lambda:InvokeFunction'));
      const resources = invoke.flatMap((st) => list(st.Resource).map(flat)).sort();
      const expected = [...new Set(Object.values(EC2_COMPROMISE_TASKS))]
        .map((step) => `<${functionLogicalIdOf(template, step)}.Arn>`)
        .sort();
      expect(resources).toEqual(expected);
    });
  });

  describe('credential-compromise state machine', () => {
    const NAME = 'firebreak-credential-compromise';
    let definition: ReturnType<typeof stateMachineDefinition>;
    beforeAll(() => {
      definition = stateMachineDefinition(template, NAME);
    });

    it('is a Standard machine with logging at level ALL, tracing and a 1 h timeout', () => {
      const machine = template.toJSON().Resources[stateMachineLogicalIdOf(template, NAME)];
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
        },
        TracingConfiguration: { Enabled: true },
      });
      expect(machine.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'firebreak:component', Value: 'playbook' },
          { Key: 'firebreak:playbook', Value: 'credential-compromise' },
        ]),
      );
      const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(template.toJSON().Resources[logGroupId].Properties.LogGroupName).toBe(`/aws/vendedlogs/states/${NAME}`);
      expect(definition.TimeoutSeconds).toBe(3600);
      expect(definition.StartAt).toBe('Normalize');
      expect((definition as Record<string, unknown>).QueryLanguage).toBeUndefined();
    });

    it('has exactly the contract state names', () => {
      expect(Object.keys(definition.States).sort()).toEqual(
        [
          'Normalize',
          'Claim',
          'ClaimOutcome',
          'AlreadyHandled',
          'Decide',
          'DecideOutcome',
          'PlanDryRun',
          'DryRunDone',
          'NotifyOnly',
          'CloseNotified',
          'Notified',
          'RevokeCredentials',
          'VerifyRevocation',
          'PreserveCredentialEvidence',
          'ChainOutcome',
          'ChainInstanceContainment',
          'Notify',
          'CloseCase',
          'Contained',
          'UnknownDecision',
          'RecordResourceGone',
          'ResourceGoneDone',
          'RecordFailure',
          'PlaybookFailed',
          'Done',
          ...APPROVAL_STATES,
          ...GAMEDAY_STATES,
          ...SHADOW_STATES,
          ...SUPPRESSION_STATES,
        ].sort(),
      );
    });

    it("invokes each Task state's step function by ARN, sharing the common steps with ec2-compromise", () => {
      for (const [name, step] of Object.entries(lambdaTasks(CREDENTIAL_COMPROMISE_TASKS))) {
        const state = definition.States[name];
        expect([name, state.Type]).toEqual([name, 'Task']);
        expect([name, state.Resource]).toEqual([name, `<${functionLogicalIdOf(template, step)}.Arn>`]);
      }
      const tasks = Object.entries(definition.States)
        .filter(([, s]) => s.Type === 'Task')
        .map(([n]) => n);
      expect(tasks.sort()).toEqual(Object.keys(CREDENTIAL_COMPROMISE_TASKS).sort());
      // One function per step: the shared steps are the very functions ec2-compromise invokes.
      const ec2 = stateMachineDefinition(template, 'firebreak-ec2-compromise').States;
      // ec2-compromise's Triage is Normalize's function (normalize-finding); it has no Decide.
      expect(definition.States.Normalize.Resource).toEqual(ec2.Triage.Resource);
      for (const shared of ['Claim', 'PlanDryRun', 'NotifyOnly', 'CloseNotified', 'Notify', 'RecordFailure']) {
        expect([shared, definition.States[shared].Resource]).toEqual([shared, ec2[shared].Resource]);
      }
      // ec2-compromise has no CloseCase state (its Notify closes, issue 13): the same function as its CloseNotified.
      expect(definition.States.CloseCase.Resource).toEqual(ec2.CloseNotified.Resource);
    });

    it('gives every Task the Retry (VerifyRevocation waits out NotYetConsistent first), and every Task but the failure recorders the Catch', () => {
      const notYetConsistent = { ErrorEquals: ['NotYetConsistent'], IntervalSeconds: 2, MaxAttempts: 5, BackoffRate: 1.5 };
      for (const name of Object.keys(lambdaTasks(CREDENTIAL_COMPROMISE_TASKS))) {
        const state = definition.States[name];
        expect([name, state.Retry]).toEqual([name, name === 'VerifyRevocation' ? [notYetConsistent, ...RETRY] : retryOf(name)]);
        expect([name, state.Catch]).toEqual([name, FAILURE_RECORDING_TASKS.includes(name) ? undefined : CATCH]);
      }
    });

    it('passes the documented Parameters and ResultPaths', () => {
      const s = definition.States;
      expect(s.Normalize.Parameters).toEqual({
        'input.$': '$',
        'executionName.$': '$$.Execution.Name',
        'executionStartTime.$': '$$.Execution.StartTime',
        playbook: 'credential-compromise',
      });
      // Replaces the state, with ResultPath left implicit (the local runner reads an explicit "$" as a key).
      expect(s.Normalize.ResultPath).toBeUndefined();
      const expected: Record<string, [string, unknown]> = {
        Claim: ['$.case', undefined],
        Decide: ['$.decision', undefined],
        PlanDryRun: ['$.plan', undefined],
        NotifyOnly: ['$.notification', { 'state.$': '$', kind: 'notify-only' }],
        CloseNotified: ['$.closed', { 'state.$': '$', outcome: 'NOTIFIED' }],
        RevokeCredentials: ['$.revocation', undefined],
        VerifyRevocation: ['$.verify', undefined],
        Notify: ['$.notification', { 'state.$': '$', kind: 'contained' }],
        CloseCase: ['$.closed', { 'state.$': '$', outcome: 'CONTAINED' }],
        RecordResourceGone: ['$.failure', { 'state.$': '$', outcome: 'RESOURCE_GONE' }],
        RecordFailure: ['$.failure', { 'state.$': '$', outcome: 'FAILED' }],
      };
      for (const [name, [resultPath, parameters]] of Object.entries(expected)) {
        expect([name, s[name].ResultPath, s[name].Parameters]).toEqual([name, resultPath, parameters]);
      }
    });

    it('wires triage, the revocation path and the terminal states', () => {
      const s = definition.States;
      const next = (name: string) => s[name].Next;
      expectGameDayGuardBeforeClaim(s, RETRY, CATCH);
      expect(next('Claim')).toBe('ClaimOutcome');
      expect(s.ClaimOutcome.Choices).toEqual([ALREADY_HANDLED_CHOICE, SUPPRESSED_CHOICE]);
      expect(s.ClaimOutcome.Default).toBe('Decide');
      expect(s.AlreadyHandled).toEqual({ Type: 'Pass', Result: 'ALREADY_HANDLED', ResultPath: '$.outcome', Next: 'Done' });
      expect(next('Decide')).toBe('DecideOutcome');
      expect(s.DecideOutcome.Choices).toEqual([
        { Variable: '$.decision.action', StringEquals: 'dryRun', Next: 'PlanDryRun' },
        { Variable: '$.decision.action', StringEquals: 'notify', Next: 'NotifyOnly' },
        { Variable: '$.decision.action', StringEquals: 'contain', Next: 'RevokeCredentials' },
        { Variable: '$.decision.action', StringEquals: 'approval', Next: 'RequestApproval' },
        SHADOW_CHOICE,
      ]);
      expectBrakePaths(s, true);
      expect(s.DecideOutcome.Default).toBe('UnknownDecision');
      expect(s.UnknownDecision).toEqual({
        Type: 'Pass',
        Result: { Error: 'UnknownDecision', Cause: 'Decide returned an action this playbook does not handle' },
        ResultPath: '$.error',
        Next: 'RecordFailure',
      });
      expect(['PlanDryRun', 'NotifyOnly', 'CloseNotified'].map(next)).toEqual(['DryRunDone', 'CloseNotified', 'Notified']);
      // The evidence after every containment (issue 16, item 4): the revocation verified, then the chain, then the evidence.
      expect(
        ['RevokeCredentials', 'VerifyRevocation', 'ChainInstanceContainment', 'PreserveCredentialEvidence', 'Notify', 'CloseCase'].map(
          next,
        ),
      ).toEqual(['VerifyRevocation', 'ChainOutcome', 'PreserveCredentialEvidence', 'Notify', 'CloseCase', 'Contained']);
      // Chaining into ec2-compromise only when Decide asked for it (catalog chainInstanceContainment).
      expect(s.ChainOutcome.Choices).toEqual([{ Variable: '$.decision.chain', IsPresent: true, Next: 'ChainInstanceContainment' }]);
      expect(s.ChainOutcome.Default).toBe('PreserveCredentialEvidence');
      expect(s.ChainInstanceContainment.ResultPath).toBe('$.chained');
      for (const [pass, outcome] of [
        ['DryRunDone', 'DRY_RUN'],
        ['Notified', 'NOTIFIED'],
        ['Contained', 'CONTAINED'],
        ['ResourceGoneDone', 'RESOURCE_GONE'],
      ]) {
        expect(s[pass]).toEqual({ Type: 'Pass', Result: outcome, ResultPath: '$.outcome', Next: 'Done' });
      }
      expect(next('RecordResourceGone')).toBe('ResourceGoneDone');
      expect(next('RecordFailure')).toBe('PlaybookFailed');
      expect(s.PlaybookFailed).toEqual({ Type: 'Fail', Error: 'PlaybookFailed', Cause: 'A playbook step failed; see the case timeline' });
      expect(s.Done).toEqual({ Type: 'Succeed' });
    });

    it('lets its role invoke exactly the step functions it uses, by unqualified ARN', () => {
      const machine = template.toJSON().Resources[stateMachineLogicalIdOf(template, NAME)];
      const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0];
      const invoke = roleStatements(template, roleId).filter((st) => list(st.Action).includes('lambda:InvokeFunction'));
      const resources = invoke.flatMap((st) => list(st.Resource).map(flat)).sort();
      const expected = [...new Set(Object.values(CREDENTIAL_COMPROMISE_TASKS))]
        .map((step) => `<${functionLogicalIdOf(template, step)}.Arn>`)
        .sort();
      expect(resources).toEqual(expected);
      expect(resources).toHaveLength(14);
    });

    it("lets only the chaining steps start ec2-compromise (and attack-sequence's credential-compromise), and tells them which state machines", () => {
      const ec2Machine = stateMachineLogicalIdOf(template, 'firebreak-ec2-compromise');
      const credentialMachine = stateMachineLogicalIdOf(template, 'firebreak-credential-compromise');
      // Besides the EventBridge rules' roles (one per playbook), which start their own playbook.
      // And the finding buffer's starter, which starts the catalog's playbooks (test/infra/finding-buffer.test.ts).
      const starters = Object.entries(template.findResources('AWS::IAM::Policy')).filter(
        ([id, p]) =>
          !/StateMachineEventsRole/.test(id) &&
          !id.startsWith('StartPlaybookRole') &&
          (p.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).some((st) =>
            list(st.Action).includes('states:StartExecution'),
          ),
      );
      expect(starters).toHaveLength(2);
      const resources = Object.fromEntries(
        ['chain-instance-containment', 'chain-sequence-containment'].map((step) => {
          const starts = roleStatements(template, roleLogicalIdOf(template, functionLogicalIdOf(template, step))).filter((x) =>
            list(x.Action).includes('states:StartExecution'),
          );
          for (const st of starts) expect(list(st.Action)).toEqual(['states:StartExecution']);
          return [step, starts.flatMap((st) => list(st.Resource).map(flat)).sort()];
        }),
      );
      expect(resources).toEqual({
        'chain-instance-containment': [`<${ec2Machine}>`],
        'chain-sequence-containment': [`<${credentialMachine}>`, `<${ec2Machine}>`].sort(),
      });
      const env = (step: string) => template.toJSON().Resources[functionLogicalIdOf(template, step)].Properties.Environment.Variables;
      expect(flat(env('chain-instance-containment').FIREBREAK_EC2_PLAYBOOK_ARN)).toBe(`<${ec2Machine}>`);
      expect(env('chain-instance-containment').FIREBREAK_CREDENTIAL_PLAYBOOK_ARN).toBeUndefined();
      expect(flat(env('chain-sequence-containment').FIREBREAK_EC2_PLAYBOOK_ARN)).toBe(`<${ec2Machine}>`);
      expect(flat(env('chain-sequence-containment').FIREBREAK_CREDENTIAL_PLAYBOOK_ARN)).toBe(`<${credentialMachine}>`);
    });

    it('raises Failed, TimedOut and Aborted alarms to the topic', () => {
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
      const machineId = stateMachineLogicalIdOf(template, NAME);
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/States' } })).filter(
        (a) => JSON.stringify(a.Properties.Dimensions).includes(machineId),
      );
      expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    });
  });

  describe('a failure that cannot be recorded or told still raises an alarm (issue 11)', () => {
    it.each([
      'firebreak-ec2-compromise',
      'firebreak-credential-compromise',
      'firebreak-cloudtrail-tamper',
      'firebreak-root-activity',
      'firebreak-finding-triage',
      'firebreak-attack-sequence',
      'firebreak-release',
    ])('%s: RecordFailure retries 10 times, then the execution fails, and ExecutionsFailed alarms the topic', (name) => {
      const s = stateMachineDefinition(template, name).States;
      for (const recorder of FAILURE_RECORDING_TASKS) {
        expect([recorder, s[recorder].Retry, s[recorder].Catch]).toEqual([recorder, RECORD_RETRY, undefined]);
      }
      // Nothing after RecordFailure but the Fail state: a RecordFailure that fails for good fails the execution.
      expect(s.RecordFailure.Next).toBe('PlaybookFailed');
      expect(s.PlaybookFailed.Type).toBe('Fail');
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
      const machineId = stateMachineLogicalIdOf(template, name);
      const failed = Object.values(
        template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/States', MetricName: 'ExecutionsFailed' } }),
      ).filter((a) => JSON.stringify(a.Properties.Dimensions).includes(machineId));
      expect(failed).toHaveLength(1);
      // Any failed execution in 5 minutes ("Step Functions metrics", ExecutionsFailed: Sum), to the operators' topic.
      expect(failed[0].Properties).toMatchObject({
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: machineId } }],
        AlarmActions: [{ Ref: topicId }],
      });
    });
  });

  /** The checks every playbook state machine shares: type, logging, tracing, timeout, tags, role, alarms. */
  const machineBasics = (name: string, playbook: string, timeoutSeconds: number, tasks: Readonly<Record<string, string>>) => {
    it(`is a Standard machine with logging at level ALL, tracing and a ${timeoutSeconds} s timeout`, () => {
      const machine = template.toJSON().Resources[stateMachineLogicalIdOf(template, name)];
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        LoggingConfiguration: {
          Level: 'ALL',
          IncludeExecutionData: true,
          Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: expect.anything() } }],
        },
        TracingConfiguration: { Enabled: true },
      });
      expect(machine.Properties.Tags).toEqual(
        expect.arrayContaining([
          { Key: 'firebreak:component', Value: 'playbook' },
          { Key: 'firebreak:playbook', Value: playbook },
        ]),
      );
      const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(template.toJSON().Resources[logGroupId].Properties.LogGroupName).toBe(`/aws/vendedlogs/states/${name}`);
      const definition = stateMachineDefinition(template, name);
      expect(definition.TimeoutSeconds).toBe(timeoutSeconds);
      expect(definition.StartAt).toBe('Normalize');
      expect((definition as Record<string, unknown>).QueryLanguage).toBeUndefined();
    });

    it("invokes each Task state's step function by ARN, sharing the common steps with ec2-compromise", () => {
      const definition = stateMachineDefinition(template, name);
      for (const [state, step] of Object.entries(lambdaTasks(tasks))) {
        expect([state, definition.States[state].Type]).toEqual([state, 'Task']);
        expect([state, definition.States[state].Resource]).toEqual([state, `<${functionLogicalIdOf(template, step)}.Arn>`]);
      }
      const taskStates = Object.entries(definition.States)
        .filter(([, st]) => st.Type === 'Task')
        .map(([n]) => n);
      expect(taskStates.sort()).toEqual(Object.keys(tasks).sort());
      const ec2 = stateMachineDefinition(template, 'firebreak-ec2-compromise').States;
      expect(definition.States.Normalize.Resource).toEqual(ec2.Triage.Resource);
      for (const shared of ['Claim', 'PlanDryRun', 'NotifyOnly', 'CloseNotified', 'RecordFailure']) {
        expect([shared, definition.States[shared].Resource]).toEqual([shared, ec2[shared].Resource]);
      }
    });

    it('lets its role invoke exactly the step functions it uses, by unqualified ARN', () => {
      const machine = template.toJSON().Resources[stateMachineLogicalIdOf(template, name)];
      const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0];
      const invoke = roleStatements(template, roleId).filter((st) => list(st.Action).includes('lambda:InvokeFunction'));
      const resources = invoke.flatMap((st) => list(st.Resource).map(flat)).sort();
      const expected = [...new Set(Object.values(tasks))].map((step) => `<${functionLogicalIdOf(template, step)}.Arn>`).sort();
      expect(resources).toEqual(expected);
    });

    it('raises Failed, TimedOut and Aborted alarms to the topic', () => {
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
      const machineId = stateMachineLogicalIdOf(template, name);
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/States' } })).filter(
        (a) => JSON.stringify(a.Properties.Dimensions).includes(`"${machineId}"`),
      );
      expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    });
  };

  /** The triage front's wiring, shared by the playbooks built on playbook-states.ts. */
  const expectTriage = (s: Record<string, { Next?: string; [k: string]: unknown }>, contain: string | undefined) => {
    const next = (name: string) => s[name].Next;
    expect(['Normalize', 'Claim'].map(next)).toEqual(['Claim', 'ClaimOutcome']);
    expect(s.ClaimOutcome.Choices).toEqual([ALREADY_HANDLED_CHOICE, SUPPRESSED_CHOICE]);
    expect(s.ClaimOutcome.Default).toBe('Decide');
    expect(s.AlreadyHandled).toEqual({ Type: 'Pass', Result: 'ALREADY_HANDLED', ResultPath: '$.outcome', Next: 'Done' });
    expect(next('Decide')).toBe('DecideOutcome');
    expect(s.DecideOutcome.Choices).toEqual([
      { Variable: '$.decision.action', StringEquals: 'dryRun', Next: 'PlanDryRun' },
      { Variable: '$.decision.action', StringEquals: 'notify', Next: 'NotifyOnly' },
      ...(contain ? [{ Variable: '$.decision.action', StringEquals: 'contain', Next: contain }] : []),
      ...(contain ? [{ Variable: '$.decision.action', StringEquals: 'approval', Next: 'RequestApproval' }] : []),
      ...(contain ? [SHADOW_CHOICE] : []),
    ]);
    expectBrakePaths(s, !!contain);
    expect(s.DecideOutcome.Default).toBe('UnknownDecision');
    expect(s.UnknownDecision).toEqual(UNKNOWN_DECISION);
    expect(['PlanDryRun', 'NotifyOnly', 'CloseNotified'].map(next)).toEqual(['DryRunDone', 'CloseNotified', 'Notified']);
    for (const [pass, outcome] of [
      ['DryRunDone', 'DRY_RUN'],
      ['Notified', 'NOTIFIED'],
      ['ResourceGoneDone', 'RESOURCE_GONE'],
    ]) {
      expect(s[pass]).toEqual({ Type: 'Pass', Result: outcome, ResultPath: '$.outcome', Next: 'Done' });
    }
    expect(next('RecordResourceGone')).toBe('ResourceGoneDone');
    expect(next('RecordFailure')).toBe('PlaybookFailed');
    expect(s.PlaybookFailed).toEqual({ Type: 'Fail', Error: 'PlaybookFailed', Cause: 'A playbook step failed; see the case timeline' });
    expect(s.Done).toEqual({ Type: 'Succeed' });
  };

  describe('cloudtrail-tamper state machine', () => {
    const NAME = 'firebreak-cloudtrail-tamper';
    let definition: ReturnType<typeof stateMachineDefinition>;
    beforeAll(() => {
      definition = stateMachineDefinition(template, NAME);
    });

    machineBasics(NAME, 'cloudtrail-tamper', 3600, CLOUDTRAIL_TAMPER_TASKS);

    it('has exactly the contract state names', () => {
      expect(Object.keys(definition.States).sort()).toEqual(
        [
          'Normalize',
          'Claim',
          'ClaimOutcome',
          'AlreadyHandled',
          'Decide',
          'DecideOutcome',
          'PlanDryRun',
          'DryRunDone',
          'NotifyOnly',
          'CloseNotified',
          'Notified',
          'JudgeTrailChange',
          'JudgementOutcome',
          'UnknownRoute',
          'RestoreLogging',
          'ActorOutcome',
          'RevokeActor',
          'VerifyTamperResponse',
          'PreserveCredentialEvidence',
          'Notify',
          'CloseCase',
          'Contained',
          'UnknownDecision',
          'RecordResourceGone',
          'ResourceGoneDone',
          'RecordFailure',
          'PlaybookFailed',
          'Done',
          ...APPROVAL_STATES,
          ...SHADOW_STATES,
          ...SUPPRESSION_STATES,
        ].sort(),
      );
    });

    it('gives every Task the Retry (VerifyTamperResponse waits out NotYetConsistent first), and every Task but the failure recorders the Catch', () => {
      for (const name of Object.keys(lambdaTasks(CLOUDTRAIL_TAMPER_TASKS))) {
        const state = definition.States[name];
        expect([name, state.Retry]).toEqual([name, name === 'VerifyTamperResponse' ? [NOT_YET_CONSISTENT, ...RETRY] : retryOf(name)]);
        expect([name, state.Catch]).toEqual([name, FAILURE_RECORDING_TASKS.includes(name) ? undefined : CATCH]);
      }
    });

    it('passes the documented Parameters and ResultPaths', () => {
      const s = definition.States;
      expect(s.Normalize.Parameters).toEqual({
        'input.$': '$',
        'executionName.$': '$$.Execution.Name',
        'executionStartTime.$': '$$.Execution.StartTime',
        playbook: 'cloudtrail-tamper',
      });
      expect(s.Normalize.ResultPath).toBeUndefined();
      const expected: Record<string, [string, unknown]> = {
        Claim: ['$.case', undefined],
        Decide: ['$.decision', undefined],
        PlanDryRun: ['$.plan', undefined],
        NotifyOnly: ['$.notification', { 'state.$': '$', kind: 'notify-only' }],
        CloseNotified: ['$.closed', { 'state.$': '$', outcome: 'NOTIFIED' }],
        JudgeTrailChange: ['$.judgement', undefined],
        RestoreLogging: ['$.restore', undefined],
        RevokeActor: ['$.revocation', undefined],
        VerifyTamperResponse: ['$.verify', undefined],
        Notify: ['$.notification', { 'state.$': '$', kind: 'contained' }],
        CloseCase: ['$.closed', { 'state.$': '$', outcome: 'CONTAINED' }],
        RecordResourceGone: ['$.failure', { 'state.$': '$', outcome: 'RESOURCE_GONE' }],
        RecordFailure: ['$.failure', { 'state.$': '$', outcome: 'FAILED' }],
      };
      for (const [name, [resultPath, parameters]] of Object.entries(expected)) {
        expect([name, s[name].ResultPath, s[name].Parameters]).toEqual([name, resultPath, parameters]);
      }
    });

    it('wires triage, the tamper-response path and the terminal states', () => {
      const s = definition.States;
      expectTriage(s, 'JudgeTrailChange');
      expect(
        [
          'JudgeTrailChange',
          'RestoreLogging',
          'RevokeActor',
          'VerifyTamperResponse',
          'PreserveCredentialEvidence',
          'Notify',
          'CloseCase',
        ].map((n) => s[n].Next),
      ).toEqual([
        'JudgementOutcome',
        'ActorOutcome',
        'VerifyTamperResponse',
        'PreserveCredentialEvidence',
        'Notify',
        'CloseCase',
        'Contained',
      ]);
      // Issue 14: a reduction is contained, an automation principal's restored, an increase notified, an unknown asked.
      const route = (value: string, next: string) => ({ Variable: '$.judgement.route', StringEquals: value, Next: next });
      expect([s.JudgementOutcome.Choices, s.JudgementOutcome.Default]).toEqual([
        [
          route('contain', 'RestoreLogging'),
          route('restore', 'RestoreLogging'),
          route('notify', 'NotifyOnly'),
          route('approval', 'RequestApproval'),
        ],
        'UnknownRoute',
      ]);
      expect([s.ActorOutcome.Choices, s.ActorOutcome.Default]).toEqual([[route('restore', 'VerifyTamperResponse')], 'RevokeActor']);
      expect(s.UnknownRoute.Next).toBe('RecordFailure');
      expect(s.ApprovalOutcome.Choices).toEqual([
        { Variable: '$.approvalOutcome.action', StringEquals: 'contain', Next: 'JudgeTrailChange' },
      ]);
      expect(s.Contained).toEqual({ Type: 'Pass', Result: 'CONTAINED', ResultPath: '$.outcome', Next: 'Done' });
    });

    it('uses the four cloudtrail-tamper steps, which act in member accounts and write the ledger', () => {
      for (const step of ['judge-trail-change', 'restore-logging', 'revoke-actor', 'verify-tamper-response'] as const) {
        expect([step, STEP_ACCESS[step]]).toEqual([
          step,
          expect.objectContaining({ actsInMember: true, ledger: true, timeoutSeconds: 60 }),
        ]);
        expect(template.toJSON().Resources[functionLogicalIdOf(template, step)].Properties.Timeout).toBe(60);
      }
    });
  });

  // The two notify-only playbooks share their shape: root-activity and finding-triage.
  describe.each([
    ['root-activity', ROOT_ACTIVITY_TASKS],
    ['finding-triage', FINDING_TRIAGE_TASKS],
  ] as const)('%s state machine (notify-only)', (playbook, TASKS) => {
    const NAME = `firebreak-${playbook}`;
    let definition: ReturnType<typeof stateMachineDefinition>;
    beforeAll(() => {
      definition = stateMachineDefinition(template, NAME);
    });

    machineBasics(NAME, playbook, 15 * 60, TASKS);

    it('has exactly the contract state names: no containment path', () => {
      expect(Object.keys(definition.States).sort()).toEqual(
        [
          'Normalize',
          'Claim',
          'ClaimOutcome',
          'AlreadyHandled',
          'Decide',
          'DecideOutcome',
          'PlanDryRun',
          'DryRunDone',
          'NotifyOnly',
          'CloseNotified',
          'Notified',
          'UnknownDecision',
          'RecordResourceGone',
          'ResourceGoneDone',
          'RecordFailure',
          'PlaybookFailed',
          'Done',
          ...SUPPRESSION_STATES,
        ].sort(),
      );
    });

    it('gives every Task the Retry, and every Task but the failure recorders the Catch', () => {
      for (const name of Object.keys(TASKS)) {
        const state = definition.States[name];
        expect([name, state.Retry]).toEqual([name, retryOf(name)]);
        expect([name, state.Catch]).toEqual([name, FAILURE_RECORDING_TASKS.includes(name) ? undefined : CATCH]);
      }
    });

    it('passes the documented Parameters and ResultPaths', () => {
      const s = definition.States;
      expect(s.Normalize.Parameters).toEqual({
        'input.$': '$',
        'executionName.$': '$$.Execution.Name',
        'executionStartTime.$': '$$.Execution.StartTime',
        playbook,
      });
      expect(s.Normalize.ResultPath).toBeUndefined();
      const expected: Record<string, [string, unknown]> = {
        Claim: ['$.case', undefined],
        Decide: ['$.decision', undefined],
        PlanDryRun: ['$.plan', undefined],
        NotifyOnly: ['$.notification', { 'state.$': '$', kind: 'notify-only' }],
        CloseNotified: ['$.closed', { 'state.$': '$', outcome: 'NOTIFIED' }],
        RecordResourceGone: ['$.failure', { 'state.$': '$', outcome: 'RESOURCE_GONE' }],
        RecordFailure: ['$.failure', { 'state.$': '$', outcome: 'FAILED' }],
      };
      for (const [name, [resultPath, parameters]] of Object.entries(expected)) {
        expect([name, s[name].ResultPath, s[name].Parameters]).toEqual([name, resultPath, parameters]);
      }
    });

    it('wires triage without a contain choice: any other decision goes to UnknownDecision', () => {
      expectTriage(definition.States, undefined);
    });

    it("acts in member accounts only through read-only steps: Decide (game-day tags) and the dry run's plan", () => {
      const acting = Object.values(TASKS).filter((step) => MEMBER_ACTING_STEPS.includes(step));
      expect(acting.sort()).toEqual(['decide-response', 'plan-containment']);
    });
  });

  describe('release state machine', () => {
    const NAME = 'firebreak-release';
    let definition: ReturnType<typeof stateMachineDefinition>;
    beforeAll(() => {
      definition = stateMachineDefinition(template, NAME);
    });

    it('is a Standard machine with logging at level ALL, tracing and a 1 h timeout, started by no rule', () => {
      const machineId = stateMachineLogicalIdOf(template, NAME);
      const machine = template.toJSON().Resources[machineId];
      expect(machine.Properties).toMatchObject({
        StateMachineType: 'STANDARD',
        LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
        TracingConfiguration: { Enabled: true },
      });
      expect(machine.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'firebreak:playbook', Value: 'release' }]));
      const logGroupId = machine.Properties.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'][0];
      expect(template.toJSON().Resources[logGroupId].Properties.LogGroupName).toBe(`/aws/vendedlogs/states/${NAME}`);
      expect(definition.TimeoutSeconds).toBe(3600);
      expect(definition.StartAt).toBe('LoadCase');
      expect((definition as Record<string, unknown>).QueryLanguage).toBeUndefined();
      const targets = Object.values(template.findResources('AWS::Events::Rule')).flatMap((r) => r.Properties.Targets);
      expect(targets.filter((x) => JSON.stringify(x.Arn).includes(machineId))).toEqual([]);
      const outputs = template.toJSON().Outputs;
      expect(outputs.ReleaseStateMachineArn.Value).toEqual({ Ref: machineId });
    });

    it('has exactly the contract state names', () => {
      expect(Object.keys(definition.States).sort()).toEqual(
        [
          'LoadCase',
          'LoadOutcome',
          'AlreadyReleased',
          'ReleaseTarget',
          'ReleaseInstance',
          'ReleaseCredentials',
          'ReleaseBucket',
          'ReleaseFunction',
          'ReleaseDatabase',
          'NothingToRestore',
          'TaskNotRestartable',
          'UnknownReleaseTarget',
          'VerifyRelease',
          'CloseRelease',
          'NotifyRelease',
          'Released',
          'RecordResourceGone',
          'ResourceGoneDone',
          'RecordFailure',
          'PlaybookFailed',
          'Done',
        ].sort(),
      );
    });

    it("invokes each Task state's step function by ARN; RecordFailure is the step every playbook shares", () => {
      for (const [state, step] of Object.entries(RELEASE_TASKS)) {
        expect([state, definition.States[state].Type]).toEqual([state, 'Task']);
        expect([state, definition.States[state].Resource]).toEqual([state, `<${functionLogicalIdOf(template, step)}.Arn>`]);
      }
      const tasks = Object.entries(definition.States)
        .filter(([, st]) => st.Type === 'Task')
        .map(([n]) => n);
      expect(tasks.sort()).toEqual(Object.keys(RELEASE_TASKS).sort());
      const ec2 = stateMachineDefinition(template, 'firebreak-ec2-compromise').States;
      expect(definition.States.RecordFailure.Resource).toBe(ec2.RecordFailure.Resource);
    });

    it('gives every Task the Retry (VerifyRelease waits out NotYetConsistent first), and every Task but the failure recorders the Catch', () => {
      for (const name of Object.keys(RELEASE_TASKS)) {
        const state = definition.States[name];
        expect([name, state.Retry]).toEqual([name, name === 'VerifyRelease' ? [NOT_YET_CONSISTENT, ...RETRY] : retryOf(name)]);
        expect([name, state.Catch]).toEqual([name, FAILURE_RECORDING_TASKS.includes(name) ? undefined : CATCH]);
      }
    });

    it('passes the documented Parameters and ResultPaths', () => {
      const s = definition.States;
      expect(s.LoadCase.Parameters).toEqual({
        'input.$': '$',
        'executionName.$': '$$.Execution.Name',
        'executionStartTime.$': '$$.Execution.StartTime',
      });
      expect(s.LoadCase.ResultPath).toBeUndefined();
      const expected: Record<string, [string, unknown]> = {
        ReleaseInstance: ['$.restore', undefined],
        ReleaseCredentials: ['$.restore', undefined],
        VerifyRelease: ['$.verify', undefined],
        CloseRelease: ['$.closed', undefined],
        NotifyRelease: ['$.notification', undefined],
        // The execution's name: when LoadCase fails, the state has no `run` yet.
        RecordResourceGone: ['$.failure', { 'state.$': '$', outcome: 'RESOURCE_GONE', 'executionName.$': '$$.Execution.Name' }],
        RecordFailure: ['$.failure', { 'state.$': '$', outcome: 'FAILED', 'executionName.$': '$$.Execution.Name' }],
      };
      for (const [name, [resultPath, parameters]] of Object.entries(expected)) {
        expect([name, s[name].ResultPath, s[name].Parameters]).toEqual([name, resultPath, parameters]);
      }
    });

    it("wires LoadCase, the choice on the case's playbook, the release path and the terminal states", () => {
      const s = definition.States;
      const next = (name: string) => s[name].Next;
      expect(next('LoadCase')).toBe('LoadOutcome');
      expect(s.LoadOutcome.Choices).toEqual([{ Variable: '$.case.status', StringEquals: 'ALREADY_RELEASED', Next: 'AlreadyReleased' }]);
      expect(s.LoadOutcome.Default).toBe('ReleaseTarget');
      expect(s.AlreadyReleased).toEqual({ Type: 'Pass', Result: 'ALREADY_RELEASED', ResultPath: '$.outcome', Next: 'Done' });
      expect(s.ReleaseTarget.Choices).toEqual([
        { Variable: '$.case.playbook', StringEquals: 'ec2-compromise', Next: 'ReleaseInstance' },
        { Variable: '$.case.playbook', StringEquals: 'credential-compromise', Next: 'ReleaseCredentials' },
        {
          And: [
            { Variable: '$.case.playbook', StringEquals: 'cloudtrail-tamper' },
            { Variable: '$.case.actorRevoked', BooleanEquals: true },
          ],
          Next: 'ReleaseCredentials',
        },
        { Variable: '$.case.playbook', StringEquals: 'cloudtrail-tamper', Next: 'NothingToRestore' },
        { Variable: '$.case.playbook', StringEquals: 's3-compromise', Next: 'ReleaseBucket' },
        { Variable: '$.case.playbook', StringEquals: 'lambda-compromise', Next: 'ReleaseFunction' },
        { Variable: '$.case.playbook', StringEquals: 'ecs-task-compromise', Next: 'TaskNotRestartable' },
        { Variable: '$.case.playbook', StringEquals: 'rds-compromise', Next: 'ReleaseDatabase' },
      ]);
      expect(s.ReleaseTarget.Default).toBe('UnknownReleaseTarget');
      expect(s.UnknownReleaseTarget).toMatchObject({ Type: 'Pass', ResultPath: '$.error', Next: 'RecordFailure' });
      expect(s.NothingToRestore).toEqual({ Type: 'Pass', Result: NOTHING_TO_RESTORE, ResultPath: '$.restore', Next: 'CloseRelease' });
      // A stopped ECS task cannot be restarted: nothing to undo (no member call).
      expect(s.TaskNotRestartable).toEqual({ Type: 'Pass', Result: TASK_NOT_RESTARTABLE, ResultPath: '$.restore', Next: 'CloseRelease' });
      expect(
        ['ReleaseInstance', 'ReleaseCredentials', 'ReleaseBucket', 'ReleaseFunction', 'VerifyRelease', 'CloseRelease', 'NotifyRelease'].map(
          next,
        ),
      ).toEqual(['VerifyRelease', 'VerifyRelease', 'VerifyRelease', 'VerifyRelease', 'CloseRelease', 'NotifyRelease', 'Released']);
      expect(s.Released).toEqual({ Type: 'Pass', Result: 'RELEASED', ResultPath: '$.outcome', Next: 'Done' });
      expect(s.ResourceGoneDone).toEqual({ Type: 'Pass', Result: 'RESOURCE_GONE', ResultPath: '$.outcome', Next: 'Done' });
      expect(next('RecordResourceGone')).toBe('ResourceGoneDone');
      expect(next('RecordFailure')).toBe('PlaybookFailed');
      expect(s.PlaybookFailed).toEqual({ Type: 'Fail', Error: 'PlaybookFailed', Cause: 'A playbook step failed; see the case timeline' });
      expect(s.Done).toEqual({ Type: 'Succeed' });
    });

    it('lets its role invoke exactly the step functions it uses, by unqualified ARN', () => {
      const machine = template.toJSON().Resources[stateMachineLogicalIdOf(template, NAME)];
      const roleId = machine.Properties.RoleArn['Fn::GetAtt'][0];
      const invoke = roleStatements(template, roleId).filter((st) => list(st.Action).includes('lambda:InvokeFunction'));
      const resources = invoke.flatMap((st) => list(st.Resource).map(flat)).sort();
      const expected = [...new Set(Object.values(RELEASE_TASKS))].map((step) => `<${functionLogicalIdOf(template, step)}.Arn>`).sort();
      expect(resources).toEqual(expected);
      expect(resources).toHaveLength(10);
    });

    it('raises Failed, TimedOut and Aborted alarms to the topic', () => {
      const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0];
      const machineId = stateMachineLogicalIdOf(template, NAME);
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm', { Properties: { Namespace: 'AWS/States' } })).filter(
        (a) => JSON.stringify(a.Properties.Dimensions).includes(`"${machineId}"`),
      );
      expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual(['ExecutionsAborted', 'ExecutionsFailed', 'ExecutionsTimedOut']);
      for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    });

    it('uses steps of its own that never assume the responder role', () => {
      for (const step of new Set(Object.values(RELEASE_TASKS))) {
        expect([step, STEP_ACCESS[step].actsInMember]).toEqual([step, false]);
      }
      expect(
        Object.values(RELEASE_TASKS)
          .filter((step) => STEP_ACCESS[step].releasesInMember)
          .sort(),
      ).toEqual([...RELEASING_STEPS].sort());
    });
  });

  describe.each([
    ['firebreak-ec2-compromise', 'ContainClaimed'],
    ['firebreak-credential-compromise', 'RevokeCredentials'],
    ['firebreak-cloudtrail-tamper', 'JudgeTrailChange'],
  ])('%s approval path', (name, firstContainState) => {
    it('waits for a task token with the approval timeout, catches the timeout, records the decision, then contains or notifies', () => {
      const s = stateMachineDefinition(template, name).States;
      expect(s.RequestApproval).toMatchObject({
        Type: 'Task',
        Resource: 'arn:<AWS::Partition>:states:::lambda:invoke.waitForTaskToken',
        Parameters: {
          FunctionName: `<${functionLogicalIdOf(template, 'request-approval')}.Arn>`,
          Payload: { 'state.$': '$', 'taskToken.$': '$$.Task.Token' },
        },
        TimeoutSeconds: 3600,
        ResultPath: '$.approval',
        Next: 'RecordApproval',
        Retry: APPROVAL_RETRY,
      });
      expect(s.RequestApproval.Catch).toEqual([
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.approvalError', Next: 'ApprovalTimedOut' },
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordFailure' },
      ]);
      expect(s.ApprovalTimedOut).toEqual({
        Type: 'Pass',
        Result: { decision: 'timeout' },
        ResultPath: '$.approval',
        Next: 'RecordApproval',
      });
      expect(s.RecordApproval).toMatchObject({
        Resource: `<${functionLogicalIdOf(template, 'record-approval')}.Arn>`,
        ResultPath: '$.approvalOutcome',
        Next: 'ApprovalOutcome',
        Catch: CATCH,
      });
      expect(s.ApprovalOutcome).toEqual({
        Type: 'Choice',
        Choices: [{ Variable: '$.approvalOutcome.action', StringEquals: 'contain', Next: firstContainState }],
        Default: 'NotifyOnly',
      });
    });
  });

  it('gives the approval timeout to the Lambdas and lets only RequestApproval publish among the approval steps', () => {
    const fn = template.toJSON().Resources[functionLogicalIdOf(template, 'record-approval')];
    expect(fn.Properties.Environment.Variables.FIREBREAK_APPROVAL_TIMEOUT_SECONDS).toBe('3600');
    expect(STEP_ACCESS['request-approval']).toMatchObject({ notifications: true, ledger: true, actsInMember: false });
    expect(STEP_ACCESS['record-approval']).toMatchObject({ notifications: false, ledger: true, actsInMember: false });
  });
});
