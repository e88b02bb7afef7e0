import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { buildCatalog, Playbook, PLAYBOOKS } from '../core/catalog/catalog';
import { belowFloorRule, catalogRules, EventPattern, GAMEDAY_SOURCE, prefixedRuleNameFor } from '../core/catalog/patterns';
import { FirebreakConfig } from '../core/config';
import { chainingEnvironment, credentialChainingEnvironment, stepEnvironment } from '../core/contracts/environment';
import { ConfigError } from '../core/errors';
import { memberAccountsOf, securityAccountOf } from './accounts';
import { CaseLedger } from './case-ledger';
import { EvidenceVault } from './evidence-vault';
import { BufferMessageInput, FindingBuffer } from './finding-buffer';
import { forwardedEntries } from './member-policies';
import { deadLetterQueue, queueDepthAlarm, anyOccurrenceAlarm } from './alarms';
import { acknowledgeGrantWildcard, JustifiedStatement } from './nag';
import { FirebreakNames } from './names';
import { notificationTopic } from './notifications';
import { PLAYBOOK_REGISTRY, PlaybookConstructs, RegisteredPlaybook } from './playbooks/registry';
import { ResponderFunction } from './responder-function';
import {
  assumeMemberRoleStatement,
  copyDbIntoSecurityAccountStatements,
  copyIntoSecurityAccountStatements,
  lockSecuritySnapshotsStatements,
  describeSecuritySnapshotsStatement,
  updateSecurityHubFindingsStatement,
  putCaseEventsStatement,
} from './security-policies';
import { STEP_ACCESS, STEP_NAMES, StepName } from './steps';
import { TrailBaselines } from './trail-baselines';
import { FirebreakDashboard } from './dashboard';

/** The execution statuses the execution-ended rule matches: the ends a playbook may not have recorded. */
export const EXECUTION_ENDED_STATUSES: readonly string[] = ['FAILED', 'TIMED_OUT', 'ABORTED'];

/** Properties of {@link FirebreakSecurityAccount}. */
export interface FirebreakSecurityAccountProps {
  /**
   * The validated deployment configuration (`parseConfig`): accounts, region, evidence retention, severity floor,
   * catalog overrides, role names, and the name prefix (`config.prefix`) that every physical name starts with.
   */
  readonly config: FirebreakConfig;
  /**
   * The folder that holds one folder per Lambda step.
   * @default - `lambdas/` at the repository root
   */
  readonly lambdasDir?: string;
  /**
   * How many times EventBridge retries starting a playbook before the event goes to the catalog rules' DLQ (0-185).
   * @default 20
   */
  readonly targetRetryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event before it goes to the catalog rules' DLQ (60 seconds to 24 hours).
   * @default Duration.hours(2)
   */
  readonly targetMaxEventAge?: Duration;
}

/**
 * Converts a pattern in CloudFormation's form (as the catalog generates it) to the L2 form, which
 * renders back to the same JSON.
 */
function toRulePattern(pattern: EventPattern): events.EventPattern {
  const { 'detail-type': detailType, ...rest } = pattern;
  return { ...(rest as events.EventPattern), ...(detailType === undefined ? {} : { detailType: detailType as string[] }) };
}

/** The indefinite article of a playbook name ("an ec2-compromise", "a root-activity"). */
function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

/** A playbook's overall timeout as the alarms say it: `6 h`, `15 min`. */
function timeoutText(timeout: Duration): string {
  const minutes = timeout.toMinutes();
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`;
}

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}
/**
 * The security (central) account's half of Firebreak (DESIGN.md §1), a construct for any stack (SecurityAccountStack
 * is one): KMS keys, the evidence vault, the case
 * ledger, the notification topic, the `firebreak` event bus, one Lambda per playbook step, the
 * `ec2-compromise`, `credential-compromise`, `cloudtrail-tamper`, `root-activity`, `finding-triage` and `release`
 * playbooks, one EventBridge rule per catalog entry, each with a DLQ and an alarm, and the rule that counts
 * GuardDuty findings below the severity floor (a log group and the metric `Firebreak/FindingsBelowFloor`,
 * by finding type: never a case). A rule listens on the bus its
 * catalog entry names: GuardDuty findings (the delegated administrator's included) arrive on the
 * default bus; CloudTrail-delivered API calls of the member accounts arrive on the `firebreak` bus,
 * forwarded by each member stack's rules (MemberAccountStack), which the bus's resource policy admits
 * from the configured member accounts only. The `release` playbook has no rule: it is started by hand.
 *
 * Separation of duties: the containment steps may assume only the responder role in member accounts,
 * the release steps only the releaser role ({@link STEP_ACCESS}).
 */
export class FirebreakSecurityAccount extends Construct {
  /** The evidence vault. */
  public readonly evidence: EvidenceVault;
  /** The case ledger. */
  public readonly ledger: CaseLedger;
  /** The notification topic. */
  public readonly topic: sns.Topic;
  /** The key that encrypts the topic. */
  public readonly notificationKey: kms.Key;
  /** The custom event bus `firebreak`. */
  public readonly bus: events.EventBus;
  /** The step functions, by step. */
  public readonly functions: Readonly<Record<StepName, ResponderFunction>>;
  /** Every playbook's construct, by playbook name, as lib/infra/playbooks/registry.ts registers them. */
  public readonly playbooks: PlaybookConstructs;
  /** The `ec2-compromise` playbook (`playbooks['ec2-compromise']`). */
  public readonly ec2Compromise: PlaybookConstructs['ec2-compromise'];
  /** The `credential-compromise` playbook (`playbooks['credential-compromise']`). */
  public readonly credentialCompromise: PlaybookConstructs['credential-compromise'];
  /** The `cloudtrail-tamper` playbook (`playbooks['cloudtrail-tamper']`). */
  public readonly cloudTrailTamper: PlaybookConstructs['cloudtrail-tamper'];
  /** The `root-activity` playbook (`playbooks['root-activity']`). */
  public readonly rootActivity: PlaybookConstructs['root-activity'];
  /** The `finding-triage` playbook: a case for every finding above the floor that no containment takes. */
  public readonly findingTriage: PlaybookConstructs['finding-triage'];
  /** The `release` playbook (started by hand, never by a rule). */
  public readonly release: PlaybookConstructs['release'];
  /** The log group that keeps GuardDuty findings below the severity floor; its metric filter counts them. */
  public readonly belowFloorLog: logs.LogGroup;
  /** The catalog rules, by catalog entry ID. */
  public readonly rules: ReadonlyMap<string, { rule: events.Rule; deadLetterQueue: sqs.Queue }>;
  /** The finding buffer: the catalog rules' target, drained by the `start-playbook` step. */
  public readonly buffer: FindingBuffer;
  /** The rule that closes the case of a playbook execution that ended without an outcome (`<prefix>-playbook-execution-ended`). */
  public readonly executionEndedRule: { rule: events.Rule; deadLetterQueue: sqs.Queue };

  /** The proactive tamper baseline: its schedule rule and its after-deployment rule (lib/infra/trail-baselines.ts). */
  public readonly trailBaselines: TrailBaselines;
  /** The deployment's CloudWatch dashboard (docs/ARCHITECTURE.md, "Metrics and dashboard"). */
  public readonly dashboard: FirebreakDashboard;

  /** The deployment's physical names (its prefix). */
  public readonly names: FirebreakNames;

  /**
   * @param scope - the stack (every name it creates is fixed by the prefix, so one per account, region and prefix).
   * @param id - the construct ID (`Default` keeps the logical IDs of a stack that held these resources itself).
   * @param props - see {@link FirebreakSecurityAccountProps}.
   * @throws {ConfigError} when the prefix is invalid, or a catalog entry names a playbook this construct does not build.
   */
  constructor(scope: Construct, id: string, props: FirebreakSecurityAccountProps) {
    super(scope, id);
    const { config } = props;
    const names = new FirebreakNames(config.prefix);
    this.names = names;
    this.evidence = new EvidenceVault(this, 'Evidence', {
      retention: Duration.days(config.evidenceRetentionDays),
      objectLockMode: config.objectLockMode,
    });
    this.ledger = new CaseLedger(this, 'Ledger', { tableName: names.ledgerTable });
    ({ key: this.notificationKey, topic: this.topic } = notificationTopic(this, config, this.names, 'Firebreak notifications (SNS topic)'));
    this.bus = new events.EventBus(this, 'Bus', { eventBusName: names.eventBus });
    Tags.of(this.bus).add('firebreak:component', 'routing');
    this.admitMemberAccounts(config);
    const functions = this.createFunctions(config, props.lambdasDir);
    this.functions = functions;

    const playbooks = this.createPlaybooks(config);
    this.playbooks = playbooks;
    this.ec2Compromise = playbooks['ec2-compromise'];
    this.credentialCompromise = playbooks['credential-compromise'];
    this.cloudTrailTamper = playbooks['cloudtrail-tamper'];
    this.rootActivity = playbooks['root-activity'];
    this.findingTriage = playbooks['finding-triage'];
    this.release = playbooks.release;
    const started = this.catalogStateMachines();
    this.buffer = new FindingBuffer(this, 'FindingBuffer', {
      queueName: names.findingBuffer,
      starter: functions['start-playbook'],
      topic: this.topic,
    });
    this.grantStartCatalogPlaybooks();
    this.rules = this.addCatalogRules(started, props);
    this.belowFloorLog = this.addBelowFloorRule(config, props);
    this.executionEndedRule = this.addExecutionEndedRule(Object.values(started), props);
    this.grantDescribeClaimingExecutions();
    this.addPlaybookAlarms();
    this.trailBaselines = new TrailBaselines(this, 'TrailBaselines', {
      recorder: functions['record-trail-baselines'],
      interval: Duration.minutes(config.trailBaselineIntervalMinutes),
      ruleNamePrefix: this.names.prefix,
      topic: this.topic,
    });
    this.dashboard = this.addDashboard();
  }

  /**
   * The deployment's dashboard (lib/infra/dashboard.ts): the case metrics of this prefix, every dead-letter queue and
   * alarm built above (found in the construct tree, so one added later is on it too).
   */
  private addDashboard(): FirebreakDashboard {
    const built = this.node.findAll();
    return new FirebreakDashboard(this, 'Dashboard', {
      dashboardName: this.names.dashboard(Stack.of(this).region),
      service: this.names.eventBus,
      deadLetterQueues: built.filter((c): c is sqs.Queue => c instanceof sqs.Queue && /Dlq$/.test(c.node.id)),
      alarms: built.filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm),
    });
  }

  /**
   * One construct per registered playbook (lib/infra/playbooks/registry.ts, registry order), named `<prefix>-<playbook>`,
   * with the deployment's approval timeout. The steps that start ec2-compromise executions (`startsEc2Playbook`)
   * may start them and get the state machine's ARN as `FIREBREAK_EC2_PLAYBOOK_ARN`; those that start
   * credential-compromise executions (`startsCredentialPlaybook`) likewise, as `FIREBREAK_CREDENTIAL_PLAYBOOK_ARN`.
   */
  private createPlaybooks(config: FirebreakConfig): PlaybookConstructs {
    const approvalTimeout = Duration.seconds(config.approvalTimeoutSeconds);
    const built: Partial<Record<RegisteredPlaybook, PlaybookConstructs[RegisteredPlaybook]>> = {};
    for (const [playbook, { constructId, create }] of Object.entries(PLAYBOOK_REGISTRY)) {
      built[playbook as RegisteredPlaybook] = create(this, constructId, {
        functions: this.functions,
        stateMachineName: this.names.stateMachine(playbook),
        approvalTimeout,
      });
    }
    const playbooks = built as PlaybookConstructs;
    const ec2 = playbooks['ec2-compromise'].stateMachine;
    const credential = playbooks['credential-compromise'].stateMachine;
    for (const fn of Object.values(this.functions)) {
      const { startsEc2Playbook, startsCredentialPlaybook } = STEP_ACCESS[fn.step];
      const chaining = {
        ...(startsEc2Playbook ? chainingEnvironment({ FIREBREAK_EC2_PLAYBOOK_ARN: ec2.stateMachineArn }) : {}),
        ...(startsCredentialPlaybook
          ? credentialChainingEnvironment({ FIREBREAK_CREDENTIAL_PLAYBOOK_ARN: credential.stateMachineArn })
          : {}),
      };
      if (startsEc2Playbook) ec2.grantStartExecution(fn);
      if (startsCredentialPlaybook) credential.grantStartExecution(fn);
      for (const [name, value] of Object.entries(chaining)) fn.function.addEnvironment(name, value);
    }
    return playbooks;
  }

  /** The state machines of the playbooks the catalog's rules start (every one but release), by playbook. */
  private catalogStateMachines(): Record<Playbook, sfn.StateMachine> {
    // In the catalog's order (PLAYBOOKS), whatever the registry's: the rules' arrays of state machines follow it.
    return Object.fromEntries(PLAYBOOKS.map((playbook) => [playbook, this.playbooks[playbook].stateMachine])) as Record<
      Playbook,
      sfn.StateMachine
    >;
  }

  /**
   * One function per step (`<prefix>-<step>`), with its grants and the Lambdas' environment, written through the one schema
   * both the stack and the runtime use (`stepEnvironment`, lib/core/contracts/environment.ts).
   */
  private createFunctions(config: FirebreakConfig, lambdasDir: string | undefined): Record<StepName, ResponderFunction> {
    const environment = stepEnvironment({
      FIREBREAK_LEDGER_TABLE: this.ledger.table.tableName,
      FIREBREAK_EVIDENCE_BUCKET: this.evidence.bucket.bucketName,
      FIREBREAK_EVIDENCE_KEY_ARN: this.evidence.key.keyArn,
      FIREBREAK_TRANSIT_KEY_ALIAS: this.names.transitKeyAlias,
      FIREBREAK_TOPIC_ARN: this.topic.topicArn,
      FIREBREAK_RESPONDER_ROLE_NAME: config.responderRoleName,
      FIREBREAK_RELEASER_ROLE_NAME: config.releaserRoleName,
      FIREBREAK_SECURITY_ACCOUNT_ID: securityAccountOf(config),
      FIREBREAK_CLAIM_LEASE_SECONDS: config.claimLeaseSeconds,
      FIREBREAK_EVIDENCE_DEADLINE_SECONDS: config.evidenceDeadlineSeconds,
      FIREBREAK_REMOVE_LOGIN_PROFILE: config.removeLoginProfile,
      FIREBREAK_INSTANCE_CREDENTIAL_RESPONSE: config.instanceCredentialResponse,
      FIREBREAK_REVOKE_INSTANCE_ROLE_SESSIONS: config.revokeInstanceRoleSessions,
      FIREBREAK_REVOKE_SHARED_LAMBDA_ROLE: config.revokeSharedLambdaRole,
      FIREBREAK_SECURITY_HUB_WORKFLOW: config.securityHubWorkflow,
      FIREBREAK_EVENT_BUS_NAME: this.bus.eventBusName,
      FIREBREAK_CATALOG_OVERRIDES: config.catalogOverrides,
      FIREBREAK_APPROVAL_TIMEOUT_SECONDS: config.approvalTimeoutSeconds,
      FIREBREAK_SEVERITY_FLOOR: config.severityFloor,
      FIREBREAK_NOT_FOUND_GRACE_SECONDS: config.notFoundGraceSeconds,
      FIREBREAK_TAMPER_AUTOMATION_PRINCIPALS: config.tamperAutomationPrincipals,
      // The deploying account (a token) in single-account mode; `[]` (any account) with a security account and no list.
      FIREBREAK_MEMBER_ACCOUNT_IDS: config.securityAccountId === undefined ? [Aws.ACCOUNT_ID] : [...config.memberAccountIds],
      FIREBREAK_PROTECTION: config.protection,
      FIREBREAK_BREAKER: config.breaker,
      FIREBREAK_EVIDENCE_RETENTION_DAYS: config.evidenceRetentionDays,
      FIREBREAK_OBJECT_LOCK_MODE: config.objectLockMode,
    });
    const functions = {} as Record<StepName, ResponderFunction>;
    for (const step of STEP_NAMES) {
      const access = STEP_ACCESS[step];
      const fn = new ResponderFunction(this, pascal(step), {
        step,
        environment,
        lambdasDir,
        roleName: this.names.stepRole(step),
        functionName: this.names.stepRole(step),
        timeout: access.timeoutSeconds === undefined ? undefined : Duration.seconds(access.timeoutSeconds),
      });
      this.grantStepAccess(fn, config);
      functions[step] = fn;
    }
    return functions;
  }

  /** The finding buffer's starter may start the playbooks the catalog's rules start, and no other state machine. */
  private grantStartCatalogPlaybooks(): void {
    for (const fn of Object.values(this.functions).filter((f) => STEP_ACCESS[f.step].startsCatalogPlaybooks)) {
      for (const sm of Object.values(this.catalogStateMachines())) sm.grantStartExecution(fn);
    }
  }

  /** close-orphaned-case reads an execution's input when its status-change event left it out (over 248 KB). */
  private grantDescribeClaimingExecutions(): void {
    for (const fn of Object.values(this.functions).filter((f) => STEP_ACCESS[f.step].describesPlaybookExecutions)) {
      const claiming = Object.values(this.catalogStateMachines());
      const executions = claiming.map((sm) =>
        Stack.of(this).formatArn({
          service: 'states',
          resource: 'execution',
          resourceName: `${sm.stateMachineName}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      );
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: executions }));
      for (const arn of executions) {
        acknowledgeGrantWildcard(
          fn,
          arn,
          'Execution names are chosen when an execution starts (EventBridge, the CLI); only DescribeExecution, only on the executions of the claiming playbooks.',
        );
      }
    }
  }

  /**
   * Lets the configured member accounts, and every account of the configured organization (`organization.id`), put
   * events on the `firebreak` bus: their MemberAccountStack
   * forwards CloudTrail-delivered API calls to it (a rule whose target is an event bus in another
   * account: "Sending and receiving events between AWS accounts in Amazon EventBridge", EventBridge
   * User Guide). In single-account mode the forwarding rule is in this very account, which needs no
   * resource policy; with a security account and neither member accounts nor an organization, no account is
   * admitted (an Allow for every account would make the bus writable by anyone).
   *
   * Nothing a member account can write is trusted, so members may put only what their forwarding rules
   * forward (`forwardedEntries`: `aws.*` sources, which PutEvents refuses to anyone but AWS, and the
   * CloudTrail detail types), through the PutEvents condition keys `events:source` and
   * `events:detail-type`, multi-valued (one value per entry) hence `ForAllValues:` ("Using IAM policy
   * conditions in Amazon EventBridge", EventBridge User Guide,
   * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html; the example "Send
   * events to a custom bus in a different account", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-bus-example-policy-cross-account-custom-bus-source.html).
   * And an explicit Deny keeps game-day events ({@link GAMEDAY_SOURCE}) to the security account, whatever
   * other statement is added later: a game-day event from a member would otherwise take a case's claim.
   */
  private admitMemberAccounts(config: FirebreakConfig): void {
    const organizationId = config.organization?.id;
    if (config.securityAccountId === undefined || (config.memberAccountIds.length === 0 && organizationId === undefined)) return;
    const forwarded = forwardedEntries();
    const onlyForwarded = {
      'ForAllValues:StringEquals': {
        'events:source': [...new Set(forwarded.flatMap((e) => e.sources))].sort(),
        'events:detail-type': [...new Set(forwarded.map((e) => e.detailType))].sort(),
      },
    };
    if (config.memberAccountIds.length > 0) {
      this.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'MemberAccountsForwardEvents',
          principals: config.memberAccountIds.map((a) => new iam.AccountPrincipal(a)),
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: onlyForwarded,
        }),
      );
    }
    if (organizationId !== undefined) {
      // Every account of the organization, and no other: `aws:PrincipalOrgID` is the organization of the calling
      // principal's account, set by AWS and not by the caller ("AWS global condition context keys", IAM User Guide,
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid;
      // PutPermission, EventBridge API Reference: Principal "*" with the organization ID in the condition grants every
      // account of the organization, https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html).
      this.bus.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'OrganizationForwardsEvents',
          principals: [new iam.AnyPrincipal()],
          actions: ['events:PutEvents'],
          resources: [this.bus.eventBusArn],
          conditions: { ...onlyForwarded, StringEquals: { 'aws:PrincipalOrgID': organizationId } },
        }),
      );
    }
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'GameDayEventsOnlyFromSecurityAccount',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: {
          'ForAnyValue:StringEquals': { 'events:source': [GAMEDAY_SOURCE] },
          StringNotEquals: { 'aws:PrincipalAccount': config.securityAccountId },
        },
      }),
    );
  }

  /**
   * Grants one step exactly what {@link STEP_ACCESS} says it needs: the member role it may assume, the ledger, the
   * evidence bucket, the topic, the security account's snapshots (policies as data: security-policies.ts).
   * @param fn - the step's function.
   * @param config - the validated configuration (member accounts, role names).
   */
  public grantStepAccess(fn: ResponderFunction, config: FirebreakConfig): void {
    const access = STEP_ACCESS[fn.step];
    const statements: JustifiedStatement[] = [];
    // Separation of duties: a containment step assumes only the responder role, a release step only
    // the releaser role (STEP_ACCESS never gives a step both).
    const memberRole = access.actsInMember ? config.responderRoleName : access.releasesInMember ? config.releaserRoleName : undefined;
    if (memberRole) statements.push(assumeMemberRoleStatement(memberRole, memberAccountsOf(config)));
    if (access.ledger) this.ledger.grantCaseReadWrite(fn);
    if (access.evidenceBucket) this.evidence.grantWriteEvidence(fn);
    if (access.storesReceivedEvents) this.evidence.grantStoreReceivedEvents(fn);
    if (access.notifications) this.grantPublishNotifications(fn);
    if (access.describeSecuritySnapshots) statements.push(describeSecuritySnapshotsStatement());
    if (access.copyIntoSecurityAccount) {
      statements.push(
        ...copyIntoSecurityAccountStatements(
          this.evidence.key.keyArn,
          memberAccountsOf(config),
          this.names.transitKeyAlias,
          config.regions,
        ),
      );
    }
    if (access.copiesDbIntoSecurityAccount) {
      statements.push(
        ...copyDbIntoSecurityAccountStatements(this.evidence.key.keyArn, memberAccountsOf(config), this.names.transitKeyAlias),
      );
    }
    if (access.readsReceivedEvents) this.evidence.grantReadReceivedEvents(fn);
    if (access.updatesSecurityHubFindings && config.securityHubWorkflow !== 'off') statements.push(updateSecurityHubFindingsStatement());
    if (access.emitsCaseEvents) statements.push(putCaseEventsStatement(this.bus.eventBusArn));
    if (access.locksSecuritySnapshots) statements.push(...lockSecuritySnapshotsStatements());
    if (statements.length > 0) fn.addJustifiedPolicy('StepAccess', statements);
  }

  /**
   * Lets a principal publish to the notification topic: `sns:Publish` on the topic, and the topic key's
   * `kms:GenerateDataKey` and `kms:Decrypt` through SNS in this region only (`kms:ViaService`). A publisher to an
   * encrypted topic needs both key actions ("Encryption at rest", Amazon SNS Developer Guide). Not
   * `topic.grantPublish`, whose key grant has no `kms:ViaService` condition: the key would be usable outside SNS.
   * @param grantee - the principal (a step's function).
   * @returns nothing; the statements are added to the grantee's policy.
   */
  public grantPublishNotifications(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [this.topic.topicArn] }));
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.notificationKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Aws.REGION}.amazonaws.com` } },
      }),
    );
  }

  private addCatalogRules(
    playbooks: Record<Playbook, sfn.IStateMachine>,
    props: FirebreakSecurityAccountProps,
  ): Map<string, { rule: events.Rule; deadLetterQueue: sqs.Queue }> {
    const rules = new Map<string, { rule: events.Rule; deadLetterQueue: sqs.Queue }>();
    // One dead-letter queue for every catalog rule (its messages carry the rule's ARN: the RULE_ARN attribute, "Using
    // dead-letter queues to process undelivered events", EventBridge User Guide): a queue, a policy and an alarm per rule
    // took three of the stack's 500 resources each ("CloudFormation quotas").
    const routing = this.ruleDeadLetterQueue(
      'CatalogRules',
      `${this.names.prefix}-routing`,
      `Firebreak: a finding or event matched by a catalog rule could not reach the finding buffer; see queue ${this.names.prefix}-routing-dlq (each message's RULE_ARN attribute names the rule)`,
    );
    Tags.of(routing.queue).add('firebreak:component', 'routing');
    Tags.of(routing.alarm).add('firebreak:component', 'routing');
    for (const { entry, ruleName, pattern, eventBus } of catalogRules(
      buildCatalog(props.config.severityFloor),
      securityAccountOf(props.config),
      this.names.prefix,
    )) {
      const stateMachine = playbooks[entry.playbook];
      if (!stateMachine)
        throw new ConfigError(`Catalog entry ${entry.id} names playbook ${entry.playbook}, which this stack does not build`);
      const id = pascal(ruleName.slice(this.names.prefix.length + 1));
      const rule = new events.Rule(this, `${id}Rule`, {
        ruleName,
        description: entry.description,
        // `default`: the account's default bus (EventBusName omitted); `firebreak`: the custom bus.
        eventBus: eventBus === 'firebreak' ? this.bus : undefined,
        eventPattern: toRulePattern(pattern),
        // Through the finding buffer (docs/ARCHITECTURE.md, "The finding buffer"): the message names the playbook and its
        // state machine, and carries the event as EventBridge delivers it (`<aws.events.event.json>`).
        targets: [
          new BufferTarget(this.buffer.queue, new BufferMessageInput(entry.playbook, stateMachine.stateMachineArn), routing.queue, {
            retryAttempts: props.targetRetryAttempts ?? 20,
            maxEventAge: props.targetMaxEventAge ?? Duration.hours(2),
          }),
        ],
      });
      Tags.of(rule).add('firebreak:component', 'routing');
      Tags.of(rule).add('firebreak:catalog-entry', entry.id);
      rules.set(ruleName === prefixedRuleNameFor(entry, this.names.prefix) ? entry.id : ruleName.slice(this.names.prefix.length + 1), {
        rule,
        deadLetterQueue: routing.queue,
      });
    }
    // One statement per queue for every catalog rule (ArnEquals on their exact ARNs), not one per rule as the
    // aws-events-targets SqsQueue target adds them: an SQS policy holds at most 20 statements and 8,192 bytes ("Amazon SQS
    // policy quotas", SQS Developer Guide), which one statement per rule passed at 29 rules.
    const sources = [...rules.values()].map(({ rule }) => rule.ruleArn);
    for (const queue of [this.buffer.queue, routing.queue])
      queue.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: queue === routing.queue ? ['sqs:SendMessage'] : ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          resources: [queue.queueArn],
          conditions: { ArnEquals: { 'aws:SourceArn': sources } },
        }),
      );
    return rules;
  }

  /**
   * GuardDuty findings below the severity floor: never a case, always counted. The rule's target is a
   * log group (kept a year, so a finding below the floor can still be looked up), whose metric filter
   * counts them as `Firebreak/FindingsBelowFloor` by `FindingType`. EventBridge writes to the log group
   * under a CloudWatch Logs resource policy that lets `events.amazonaws.com` CreateLogStream and
   * PutLogEvents on it, and the group's name starts with `/aws/events` ("How can I add a CloudWatch log
   * group as a target to an EventBridge rule?", AWS Knowledge Center,
   * https://repost.aws/knowledge-center/cloudwatch-log-group-eventbridge); the policy is an
   * `AWS::Logs::ResourcePolicy` here rather than the custom resource `targets.CloudWatchLogGroup` would add
   * (a Lambda function of its own).
   */
  private addBelowFloorRule(config: FirebreakConfig, props: FirebreakSecurityAccountProps): logs.LogGroup {
    const { ruleName, pattern } = belowFloorRule(config.severityFloor, this.names.prefix);
    // A counter, not evidence: deleted with the stack, so that a new deployment can create it again.
    const logGroup = new logs.LogGroup(this, 'BelowFloorLog', {
      logGroupName: this.names.belowFloorLogGroup,
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const { queue: deadLetterQueue, alarm } = this.ruleDeadLetterQueue(
      'BelowFloor',
      ruleName,
      `Firebreak: a finding below the severity floor could not be counted; see queue ${ruleName}-dlq`,
    );
    const rule = new events.Rule(this, 'BelowFloorRule', {
      ruleName,
      description: `GuardDuty findings below the severity floor (${config.severityFloor}): counted (Firebreak/FindingsBelowFloor), never a case.`,
      eventPattern: toRulePattern(pattern),
    });
    rule.addTarget({
      bind: () => ({
        arn: Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          resourceName: logGroup.logGroupName,
        }),
        deadLetterConfig: { arn: deadLetterQueue.queueArn },
        retryPolicy: {
          maximumRetryAttempts: props.targetRetryAttempts ?? 20,
          maximumEventAgeInSeconds: (props.targetMaxEventAge ?? Duration.hours(2)).toSeconds(),
        },
      }),
    });
    // EventBridge may write to the log group for this rule only (aws:SourceArn: no other rule of any account can use the grant).
    new logs.ResourcePolicy(this, 'BelowFloorLogPolicy', {
      resourcePolicyName: this.names.belowFloorLogPolicy,
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
          conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
        }),
      ],
    });
    // EventBridge sends to the DLQ by its service principal, for this rule only.
    deadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [deadLetterQueue.queueArn],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    );
    new logs.MetricFilter(this, 'BelowFloorMetric', {
      logGroup,
      filterPattern: logs.FilterPattern.exists('$.detail.type'),
      metricNamespace: 'Firebreak',
      metricName: 'FindingsBelowFloor',
      metricValue: '1',
      dimensions: { FindingType: '$.detail.type' },
    });
    for (const c of [logGroup, rule, deadLetterQueue, alarm]) Tags.of(c).add('firebreak:component', 'routing');
    return logGroup;
  }

  /**
   * A playbook execution that times out, is stopped, or fails outside its own error handling runs no
   * RecordFailure: its case would stay IN_PROGRESS under a dead owner, and nobody would be told. Step
   * Functions sends every status change of a Standard execution to the default bus ("EventBridge
   * (CloudWatch Events) for Step Functions execution status changes", Step Functions Developer Guide,
   * https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html); this rule matches the ends
   * FAILED, TIMED_OUT and ABORTED of the playbooks that claim cases (every one but release, which holds no
   * claim) and invokes `close-orphaned-case` (lib/runtime/playbook/shared/close-orphaned-case.ts), with a DLQ and its alarm
   * like every rule. A FAILED execution that ran RecordFailure has nothing left to do there.
   *
   * EventBridge invokes a Lambda target asynchronously, so the rule's retries and DLQ cover only the delivery;
   * an invocation that fails (the ledger or the topic failing for good) is retried twice by Lambda and then
   * discarded ("Asynchronous invocation", "Retaining records of asynchronous invocations", Lambda Developer
   * Guide). Its on-failure destination is the same DLQ, whose alarm tells the topic.
   * @param stateMachines - the claiming playbooks' state machines.
   */
  private addExecutionEndedRule(
    stateMachines: sfn.IStateMachine[],
    props: FirebreakSecurityAccountProps,
  ): { rule: events.Rule; deadLetterQueue: sqs.Queue } {
    const ruleName = this.names.executionEndedRule;
    const { queue: deadLetterQueue, alarm } = this.ruleDeadLetterQueue(
      'ExecutionEnded',
      ruleName,
      `Firebreak: the end of a playbook execution could not be recorded on its case; see queue ${ruleName}-dlq`,
    );
    const rule = new events.Rule(this, 'ExecutionEndedRule', {
      ruleName,
      description:
        'A Firebreak playbook execution that failed, timed out or was aborted: close its case FAILED if it is still in progress, and tell.',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...EXECUTION_ENDED_STATUSES], stateMachineArn: stateMachines.map((m) => m.stateMachineArn) },
      },
      targets: [
        new targets.LambdaFunction(this.functions['close-orphaned-case'].function, {
          deadLetterQueue,
          retryAttempts: props.targetRetryAttempts ?? 20,
          maxEventAge: props.targetMaxEventAge ?? Duration.hours(2),
        }),
      ],
    });
    this.functions['close-orphaned-case'].function.configureAsyncInvoke({
      onFailure: new destinations.SqsDestination(deadLetterQueue),
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
    });
    for (const c of [rule, deadLetterQueue, alarm]) Tags.of(c).add('firebreak:component', 'routing');
    return { rule, deadLetterQueue };
  }

  /**
   * The dead-letter queue of a rule's target (SQS-managed encryption, TLS only, 14 days) and the alarm its
   * depth raises to the notification topic.
   * @param id - the rule's construct ID prefix (`<id>Dlq`, `<id>DlqAlarm`).
   */
  private ruleDeadLetterQueue(id: string, ruleName: string, alarmDescription: string): { queue: sqs.Queue; alarm: cloudwatch.Alarm } {
    const queue = deadLetterQueue(
      this,
      `${id}Dlq`,
      `${ruleName}-dlq`,
      `This queue is itself the dead-letter queue of EventBridge rule ${ruleName}'s target; its depth raises an alarm to the notification topic.`,
    );
    const alarm = queueDepthAlarm(this, `${id}DlqAlarm`, alarmDescription, queue, this.topic);
    return { queue, alarm };
  }

  /**
   * A Failed, a TimedOut and an Aborted alarm per playbook, to the notification topic ("Step Functions metrics":
   * ExecutionsFailed, ExecutionsTimedOut, ExecutionsAborted). An aborted execution (stopped by a person or a
   * deployment) ran no RecordFailure either.
   */
  private addPlaybookAlarms(): void {
    const playbooks = (Object.keys(this.playbooks) as RegisteredPlaybook[]).map((name) => ({
      id: PLAYBOOK_REGISTRY[name].constructId,
      name,
      timeout: timeoutText(this.playbooks[name].timeout),
      stateMachine: this.playbooks[name].stateMachine,
    }));
    // Any one in five minutes alarms; no data is no failure.
    const alarm = (id: string, alarmDescription: string, metric: cloudwatch.IMetric) =>
      anyOccurrenceAlarm(this, id, alarmDescription, metric);
    const every = { period: Duration.minutes(5), statistic: 'Sum' };
    const alarms = playbooks.flatMap(({ id, name, timeout, stateMachine: sm }) => [
      // Also the notice of last resort when RecordFailure itself could not record or tell (issue 11): the execution fails.
      alarm(
        `${id}FailedAlarm`,
        `Firebreak: ${article(name)} ${name} execution failed; see its case timeline, or the execution's history when no case or notification names it`,
        sm.metricFailed(every),
      ),
      alarm(
        `${id}TimedOutAlarm`,
        `Firebreak: ${article(name)} ${name} execution hit its ${timeout} timeout without recording an outcome`,
        sm.metricTimedOut(every),
      ),
      alarm(
        `${id}AbortedAlarm`,
        `Firebreak: ${article(name)} ${name} execution was stopped before it recorded an outcome; see its case timeline`,
        sm.metricAborted(every),
      ),
    ]);
    for (const alarm of alarms) {
      alarm.addAlarmAction(new cwActions.SnsAction(this.topic));
      Tags.of(alarm).add('firebreak:component', 'playbook');
    }
  }
}

/**
 * A catalog rule's target: the finding buffer queue with the rule's message, retry policy and the shared dead-letter
 * queue (`AWS::Events::Rule` Target: `Arn`, `InputTransformer`, `RetryPolicy`, `DeadLetterConfig`). Unlike the
 * aws-events-targets SqsQueue target it adds no statement to either queue's policy: the security account adds one
 * statement per queue for every rule (SQS's 20-statement policy quota).
 */
class BufferTarget implements events.IRuleTarget {
  /**
   * @param queue - the finding buffer queue.
   * @param message - the rule's message ({@link BufferMessageInput}).
   * @param deadLetterQueue - where EventBridge puts an event it could not deliver.
   * @param retry - retry attempts (0-185) and maximum event age (60 s - 24 h) of the target's retry policy.
   * @throws {ConfigError} when either is outside EventBridge's range (RetryPolicy, EventBridge API Reference).
   */
  constructor(
    private readonly queue: sqs.IQueue,
    private readonly message: events.RuleTargetInput,
    private readonly deadLetterQueue: sqs.IQueue,
    private readonly retry: { readonly retryAttempts: number; readonly maxEventAge: Duration },
  ) {
    const { retryAttempts, maxEventAge } = retry;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185)
      throw new ConfigError(`targetRetryAttempts must be an integer from 0 to 185, not ${retryAttempts}`);
    const age = maxEventAge.toSeconds();
    if (age < 60 || age > 86400) throw new ConfigError(`targetMaxEventAge must be 60 seconds to 24 hours, not ${age} seconds`);
  }

  /** The target's properties (no policy change). */
  public bind(): events.RuleTargetConfig {
    return {
      arn: this.queue.queueArn,
      input: this.message,
      targetResource: this.queue,
      deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
      retryPolicy: { maximumRetryAttempts: this.retry.retryAttempts, maximumEventAgeInSeconds: this.retry.maxEventAge.toSeconds() },
    };
  }
}
