import { Aws, Duration, RemovalPolicy, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { eventPatternFor } from '../core/catalog/patterns';
import { FirebreakConfig } from '../core/config';
import { securityAccountOf } from './accounts';
import {
  bucketStatements,
  functionStatements,
  ecsTaskStatements,
  databaseStatements,
  cloudTrailStatements,
  credentialStatements,
  forwardedEntries,
  releaserStatements,
  responderStatements,
  outsideRegionsDeny,
} from './member-policies';
import { FirebreakNames } from './names';
import { globalEventsRegion, isGlobalServiceEntry, MemberStackParts } from './regions';
import { deadLetterQueue } from './alarms';
import { JustifiedManagedPolicy, JustifiedPolicy } from './nag';
import { MEMBER_ACTING_STEPS, RELEASING_STEPS, StepName } from './steps';

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** Properties of {@link FirebreakMemberAccount}. */
export interface FirebreakMemberAccountProps {
  /**
   * The validated deployment configuration (`parseConfig`): the security account whose step roles the responder
   * and releaser roles trust, the region of its bus, the role names, and the name prefix (`config.prefix`).
   */
  readonly config: FirebreakConfig;
  /**
   * What this region's stack holds (lib/infra/regions.ts, `memberStackParts`): the roles (home region only: IAM is
   * global), the transit key and regional forwarding rules, the global service events' forwarding rules.
   * @default everything: one stack holding the whole member half (the home stack of a one-region deployment in us-east-1)
   */
  readonly parts?: MemberStackParts;
}

/**
 * The member account's half of Firebreak (DESIGN.md §1), a construct for any stack (MemberAccountStack is one, ready
 * for StackSets): the responder role that the security
 * account's member-acting step roles assume, with a least-privilege policy for preserve, isolate,
 * verify, evidence and artifacts (ec2-compromise), for revoking and verifying credentials
 * (credential-compromise) and for restarting a trail's logging (cloudtrail-tamper); the releaser role
 * that only the release playbook's step roles assume, with exactly what release needs to put back a
 * case's recorded prior state and none of containment's actions (separation of duties); the evidence
 * transit key (`alias/firebreak-evidence-transit`) that snapshots are re-encrypted under before they
 * are shared with the security account (snapshots under the default `aws/ebs` key cannot be shared:
 * "Share an Amazon EBS snapshot", Amazon EBS User Guide); and one forwarding rule per API-call catalog
 * entry, which sends the matching CloudTrail-delivered events of this account's default bus to the
 * security account's `firebreak` bus.
 *
 * IAM, STS (global endpoint) and console sign-in events are global service events: CloudTrail records
 * them, and EventBridge delivers them, in us-east-1 only. The forwarding rules for `aws.iam` and
 * `aws.signin` (root-activity) therefore only ever match in a member stack deployed in us-east-1; a
 * deployment whose region is not us-east-1 must also run the forwarding rules there.
 */
export class FirebreakMemberAccount extends Construct {
  /** The responder role (`FirebreakResponder` by default); absent from a stack without `parts.roles`. */
  public readonly responderRole?: iam.Role;
  /** The releaser role (`FirebreakReleaser` by default): release only; absent from a stack without `parts.roles`. */
  public readonly releaserRole?: iam.Role;
  /** The evidence transit key; absent from a stack without `parts.regional`. */
  public readonly transitKey?: kms.Key;
  /** The ARNs of the security account roles the responder role trusts, by step. */
  public readonly trustedRoleArns: Readonly<Partial<Record<StepName, string>>>;
  /** The ARNs of the security account roles the releaser role trusts (the release steps'), by step. */
  public readonly trustedReleaseRoleArns: Readonly<Partial<Record<StepName, string>>>;
  /** The rules that forward API-call events to the security account's `firebreak` bus, by catalog entry ID. */
  public readonly forwardingRules: ReadonlyMap<string, events.Rule>;
  /** The role EventBridge uses to put forwarded events on the security account's bus. */
  public readonly forwardingRole: iam.Role;
  /** The dead-letter queue of the forwarding rules' targets. */
  public readonly forwardingDeadLetterQueue: sqs.Queue;

  /** The deployment's physical names (its prefix). */
  public readonly names: FirebreakNames;

  /**
   * @param scope - the stack (every name it creates is fixed by the prefix, so one per account, region and prefix).
   * @param id - the construct ID (`Default` keeps the logical IDs of a stack that held these resources itself).
   * @param props - see {@link FirebreakMemberAccountProps}.
   * @throws {ConfigError} when the prefix is invalid.
   */
  constructor(scope: Construct, id: string, props: FirebreakMemberAccountProps) {
    super(scope, id);
    const { config } = props;
    const parts = props.parts ?? { roles: true, regional: true, globalEvents: true };
    const names = new FirebreakNames(config.prefix);
    this.names = names;
    const securityAccount = securityAccountOf(config);
    const trusted: Partial<Record<StepName, string>> = {};
    for (const step of MEMBER_ACTING_STEPS) trusted[step] = `arn:${Aws.PARTITION}:iam::${securityAccount}:role/${names.stepRole(step)}`;
    this.trustedRoleArns = trusted;
    const releasers: Partial<Record<StepName, string>> = {};
    for (const step of RELEASING_STEPS) releasers[step] = `arn:${Aws.PARTITION}:iam::${securityAccount}:role/${names.stepRole(step)}`;
    this.trustedReleaseRoleArns = releasers;

    if (parts.regional) {
      this.transitKey = this.createTransitKey(securityAccount);
      Tags.of(this.transitKey).add('firebreak:component', 'evidence');
    }
    if (parts.roles) {
      // The home stack's transit key names the key in a one-region deployment; with several, the policy names every
      // region's by its alias (member-policies.ts, responderKeyStatements).
      const transitKeyArn = this.transitKey?.keyArn ?? `arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`;
      ({ responder: this.responderRole, releaser: this.releaserRole } = this.createRoles(config, securityAccount, transitKeyArn));
    }

    const forwarding = this.addForwardingRules(config, securityAccount, parts);
    this.forwardingRules = forwarding.rules;
    this.forwardingRole = forwarding.role;
    this.forwardingDeadLetterQueue = forwarding.deadLetterQueue;
  }

  /**
   * The responder and releaser roles (global: the home region's stack only), trusting the security account's step roles by
   * ARN, with their policies, and with several regions the deny outside them.
   */
  private createRoles(
    config: FirebreakConfig,
    securityAccount: string,
    transitKeyArn: string,
  ): { responder: iam.Role; releaser: iam.Role } {
    const names = this.names;
    const regions = config.regions;
    const responder = new iam.Role(this, 'Responder', {
      roleName: config.responderRoleName,
      description: 'Firebreak responder: assumed by the security account playbook steps that act in this account',
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.AccountPrincipal(securityAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': Object.values(this.trustedRoleArns) },
      }),
    });
    const releaser = new iam.Role(this, 'Releaser', {
      roleName: config.releaserRoleName,
      description: "Firebreak releaser: assumed only by the security account release playbook steps, to undo a case's containment",
      maxSessionDuration: Duration.hours(1),
      assumedBy: new iam.AccountPrincipal(securityAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': Object.values(this.trustedReleaseRoleArns) },
      }),
    });
    new JustifiedPolicy(releaser, 'Policy', {
      roles: [releaser],
      statements: releaserStatements(config.responderRoleName, config.releaserRoleName, names.protectedRolePatterns, regions),
    });
    new JustifiedPolicy(responder, 'Policy', {
      roles: [responder],
      statements: [
        ...responderStatements(securityAccount, transitKeyArn, { regions, transitKeyAlias: names.transitKeyAlias }),
        ...credentialStatements(config.responderRoleName, config.releaserRoleName, names.protectedRolePatterns),
        ...cloudTrailStatements(),
        ...bucketStatements(),
      ],
    });
    // lambda-, ecs-task- and rds-compromise's calls in managed policies of their own: the inline policies above are near
    // IAM's 10,240-character aggregate limit for a role's inline policies ("IAM and AWS STS quotas", IAM User Guide).
    new JustifiedManagedPolicy(responder, 'WorkloadPolicy', {
      roles: [responder],
      statements: [...functionStatements(), ...ecsTaskStatements()],
    });
    new JustifiedManagedPolicy(responder, 'DatabasePolicy', { roles: [responder], statements: databaseStatements(regions) });
    // Several regions: the ARNs above take any region; this deny keeps both roles to the listed ones.
    if (regions.length > 1)
      new JustifiedManagedPolicy(responder, 'RegionPolicy', {
        roles: [responder, releaser],
        statements: outsideRegionsDeny(regions, globalEventsRegion(config.region)),
      });
    Tags.of(responder).add('firebreak:component', 'responder');
    Tags.of(releaser).add('firebreak:component', 'releaser');
    return { responder, releaser };
  }

  /**
   * The evidence transit key (`alias/<prefix>-evidence-transit`), whose key policy lets the security account copy
   * the snapshots shared under it: Decrypt, DescribeKey and ReEncryptFrom through EC2 and RDS only (EBS snapshots;
   * rds-compromise's DB snapshots: "Sharing a DB snapshot", RDS User Guide), and grants for AWS resources ("Copy an
   * Amazon EBS snapshot", Amazon EBS User Guide).
   * @param securityAccount - the security account.
   */
  private createTransitKey(securityAccount: string): kms.Key {
    const key = new kms.Key(this, 'TransitKey', {
      alias: this.names.transitKeyAlias,
      description: 'Firebreak evidence transit: EBS snapshot copies shared with the security account',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const ec2Service = `ec2.${Aws.REGION}.amazonaws.com`;
    // The security account copies the shared snapshot under its own key ("Copy an Amazon EBS snapshot",
    // Amazon EBS User Guide): it needs to decrypt the source and let EC2 create a grant.
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SecurityAccountCopiesSharedSnapshots',
        principals: [new iam.AccountPrincipal(securityAccount)],
        actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:ReEncryptFrom'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': [ec2Service, `rds.${Aws.REGION}.amazonaws.com`] } },
      }),
    );
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'SecurityAccountGrantsForEc2',
        principals: [new iam.AccountPrincipal(securityAccount)],
        actions: ['kms:CreateGrant'],
        resources: ['*'],
        conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
      }),
    );
    return key;
  }

  /**
   * One rule per forwarded catalog entry on this account's default bus, with the entry's own pattern
   * (so failed calls, `errorCode` present, are not forwarded), targeting the security account's
   * `firebreak` bus in the configured region (in single-account mode, this account's). EventBridge puts
   * the events with a role that may only `events:PutEvents` on that bus and that only EventBridge, for
   * this account's forwarding rules, can assume.
   */
  private addForwardingRules(
    config: FirebreakConfig,
    securityAccount: string,
    parts: MemberStackParts,
  ): { rules: Map<string, events.Rule>; role: iam.Role; deadLetterQueue: sqs.Queue } {
    // The security stack's region (config.region), not this stack's: a member stack deployed in
    // us-east-1 for the global service events forwards across regions.
    const busArn = `arn:${Aws.PARTITION}:events:${config.region}:${securityAccount}:event-bus/${this.names.eventBus}`;
    const bus = events.EventBus.fromEventBusArn(this, 'SecurityBus', busArn);
    const role = new iam.Role(this, 'ForwardingRole', {
      description: `Firebreak: EventBridge forwards API-call events to the security account ${this.names.eventBus} bus`,
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnLike: {
          'aws:SourceArn': `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${this.names.forwardingRulePrefix}*`,
        },
      }),
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [busArn] }));
    const forwardingDlq = deadLetterQueue(
      this,
      'ForwardingDlq',
      `${this.names.forwardingRulePrefix}dlq`,
      "This queue is itself the dead-letter queue of the forwarding rules' targets (events the security account bus refused or could not take).",
    );
    const rules = new Map<string, events.Rule>();
    for (const entry of forwardedEntries()) {
      if (!(isGlobalServiceEntry(entry) ? parts.globalEvents : parts.regional)) continue;
      const pattern = eventPatternFor(entry);
      const { 'detail-type': detailType, ...rest } = pattern;
      const rule = new events.Rule(this, `Forward${pascal(entry.id)}`, {
        ruleName: `${this.names.forwardingRulePrefix}${entry.id}`,
        description: `Forward to the security account: ${entry.description}`.slice(0, 512),
        eventPattern: { ...(rest as events.EventPattern), detailType: detailType as string[] },
        // The policy above is the role's only permission; the target must not add its own.
        targets: [new targets.EventBus(bus, { role: role.withoutPolicyUpdates(), deadLetterQueue: forwardingDlq })],
      });
      Tags.of(rule).add('firebreak:component', 'routing');
      Tags.of(rule).add('firebreak:catalog-entry', entry.id);
      rules.set(entry.id, rule);
    }
    for (const c of [role, forwardingDlq]) Tags.of(c).add('firebreak:component', 'routing');
    return { rules, role, deadLetterQueue: forwardingDlq };
  }
}
