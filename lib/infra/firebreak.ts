import { Duration } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FirebreakConfig, FirebreakConfigInput, parseConfig } from '../core/config';
import { MemberAccountStack } from './member-account-stack';
import { addMemberStackSet, FirebreakMemberStackSet } from './member-stack-set';
import { FirebreakMemberAccount } from './member-account';
import { FirebreakNames } from './names';
import { addRegionalStacks, homeMemberParts, RegionalStacks } from './regional-stacks';
import { SecurityAccountStack } from './security-account-stack';
import { FirebreakSecurityAccount } from './security-account';

/** The deployment configuration a {@link Firebreak} takes besides its two required props and its prefix. */
export type FirebreakOptions = Omit<FirebreakConfigInput, 'securityAccountId' | 'memberAccountIds' | 'prefix'>;

/** Properties of {@link Firebreak}. */
export interface FirebreakProps {
  /**
   * The security (central) account: the security half's stack deploys there, and only its step roles may assume
   * the member roles.
   */
  readonly securityAccountId: string;
  /**
   * The member accounts: the only accounts admitted to the security account's bus (forwarded API calls), and the
   * accounts the responder may act in. Empty: the responder may act in any account and no account is admitted
   * to the bus.
   */
  readonly memberAccountIds: readonly string[];
  /**
   * The name prefix every physical name starts with (table, state machines, roles, rules, bus, topic, key alias,
   * log groups, queues; `NAME_PREFIX_PATTERN`: 1-20 characters of lowercase letters, digits and hyphens), so that
   * two installs with different prefixes can share an account and region. The two stacks are named
   * `<Prefix>Security` and `<Prefix>Member`.
   * @default 'firebreak'
   */
  readonly prefix?: string;
  /**
   * The rest of the deployment configuration (`FirebreakConfigSchema`: region, evidence retention, notification
   * e-mail, severity floor, catalog overrides, role names, ...).
   * @default - every default (region us-east-1; roles `<Prefix>Responder` and `<Prefix>Releaser`)
   */
  readonly options?: FirebreakOptions;
  /**
   * The folder that holds one folder per Lambda step.
   * @default - `lambdas/` at the repository root
   */
  readonly lambdasDir?: string;
  /**
   * How many times EventBridge retries starting a playbook before the event goes to the rule's DLQ.
   * @default 20
   */
  readonly targetRetryAttempts?: number;
  /**
   * How long EventBridge keeps retrying an event before it goes to the rule's DLQ.
   * @default Duration.hours(2)
   */
  readonly targetMaxEventAge?: Duration;
}

/**
 * Firebreak in a CDK app of one's own: the security account's stack (`<Prefix>Security`, in the security account
 * and the configured region) and the member account's stack (`<Prefix>Member`, account-agnostic for StackSets),
 * each a thin stack around its half ({@link FirebreakSecurityAccount}, {@link FirebreakMemberAccount}). Use the
 * halves directly to put Firebreak in stacks of one's own.
 *
 * ```ts
 * const app = new App();
 * new Firebreak(app, 'Firebreak', { securityAccountId: '222222222222', memberAccountIds: ['111111111111'] });
 * ```
 * The configuration is validated at construction (`parseConfig`): a bad prefix or key throws before anything is
 * synthesized.
 */
export class Firebreak extends Construct {
  /** The validated configuration both halves were built from. */
  public readonly config: FirebreakConfig;
  /** The deployment's physical names. */
  public readonly names: FirebreakNames;
  /** The security account's stack. */
  public readonly securityStack: SecurityAccountStack;
  /** The member account's stack. */
  public readonly memberStack: MemberAccountStack;
  /** The member stack as a StackSet in the security stack, when `options.organization.memberStackSet` is configured. */
  public readonly memberStackSet?: FirebreakMemberStackSet;
  /** The stacks of the other regions (`options.regions`, and the global service events' region): docs/ARCHITECTURE.md, "Regions". */
  public readonly regional: RegionalStacks;

  /**
   * @param scope - an App or a Stage (the two stacks are created in it, under this construct).
   * @param id - the construct ID; two installs in one app need two IDs (and two prefixes).
   * @param props - see {@link FirebreakProps}.
   * @throws {ConfigError} when the configuration is invalid (a bad account ID, prefix or key); the message names the key.
   */
  constructor(scope: Construct, id: string, props: FirebreakProps) {
    super(scope, id);
    this.config = parseConfig(
      { ...props.options, securityAccountId: props.securityAccountId, memberAccountIds: [...props.memberAccountIds], prefix: props.prefix },
      `Firebreak ${this.node.path}`,
    );
    this.names = new FirebreakNames(this.config.prefix);
    this.securityStack = new SecurityAccountStack(this, 'Security', {
      stackName: this.names.securityStack,
      description: 'Firebreak security account: routing, playbooks, evidence vault, case ledger, notifications',
      env: { account: this.config.securityAccountId, region: this.config.region },
      config: this.config,
      lambdasDir: props.lambdasDir,
      targetRetryAttempts: props.targetRetryAttempts,
      targetMaxEventAge: props.targetMaxEventAge,
    });
    this.memberStack = new MemberAccountStack(this, 'Member', {
      stackName: this.names.memberStack,
      description: `Firebreak member account: the ${this.config.responderRoleName} and ${this.config.releaserRoleName} roles and the evidence transit key`,
      // Account-agnostic, so the same template deploys to every member account (StackSets).
      env: { region: this.config.region },
      config: this.config,
      parts: homeMemberParts(this.config),
    });
    this.memberStackSet = addMemberStackSet(this.securityStack, this.memberStack, this.config);
    // `Member-<region>` and `Security-<region>` under this construct, named `<Prefix>Member-<region>`, `<Prefix>Security-<region>`.
    this.regional = addRegionalStacks(this, this.config, this.securityStack, (kind, region, stackName) => ({
      id: `${kind === 'member' ? 'Member' : 'Security'}-${region}`,
      stackName,
    }));
  }

  /** The security account's half. */
  public get security(): FirebreakSecurityAccount {
    return this.securityStack.firebreak;
  }

  /** The member account's half. */
  public get member(): FirebreakMemberAccount {
    return this.memberStack.firebreak;
  }
}
