import { belowFloorRuleName } from '../core/catalog/patterns';
import { ConfigError } from '../core/errors';
import { DEFAULT_NAME_PREFIX, ledgerTableName, NAME_PREFIX_PATTERN, pascalPrefix, stateMachineName } from '../core/names';
import { StepName, stepRoleName } from './steps';

/**
 * Every physical name a Firebreak deployment gives, derived from its name prefix (lib/core/names.ts), so that
 * two deployments with different prefixes share an account and region without a collision. With the default
 * prefix `firebreak` the names are the ones Firebreak has always used (`firebreak-ledger`, `firebreak-<playbook>`,
 * the bus `firebreak`, `FirebreakResponder`).
 */
export class FirebreakNames {
  /** The names of the default prefix. */
  public static readonly DEFAULT = new FirebreakNames(DEFAULT_NAME_PREFIX);

  /** The prefix, as given. */
  public readonly prefix: string;
  /** The prefix in PascalCase (`Firebreak`). */
  public readonly pascal: string;

  /**
   * @param prefix - the name prefix.
   * @throws {ConfigError} when the prefix does not match {@link NAME_PREFIX_PATTERN} (1-20 characters of
   *   lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen).
   */
  constructor(prefix: string) {
    if (!NAME_PREFIX_PATTERN.test(prefix)) {
      throw new ConfigError(
        `Invalid Firebreak name prefix ${JSON.stringify(prefix)}: must be 1-20 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen`,
      );
    }
    this.prefix = prefix;
    this.pascal = pascalPrefix(prefix);
  }

  /** The case ledger's DynamoDB table: `<prefix>-ledger`. */
  public get ledgerTable(): string {
    return ledgerTableName(this.prefix);
  }

  /** The custom event bus of the security account: `<prefix>` (`firebreak`). */
  public get eventBus(): string {
    return this.prefix;
  }

  /** The notification topic: `<prefix>-notifications`. */
  public get notificationTopic(): string {
    return `${this.prefix}-notifications`;
  }

  /** The alias of the member account's evidence transit key: `alias/<prefix>-evidence-transit`. */
  public get transitKeyAlias(): string {
    return `alias/${this.prefix}-evidence-transit`;
  }

  /** The rule that sends the end of a playbook execution without an outcome to `close-orphaned-case`. */
  /** The finding buffer's queue, `<prefix>-finding-buffer` (its DLQ: the same with `-dlq`). */
  public get findingBuffer(): string {
    return `${this.prefix}-finding-buffer`;
  }

  public get executionEndedRule(): string {
    return `${this.prefix}-playbook-execution-ended`;
  }

  /** The log group the below-floor rule writes to: `/aws/events/<prefix>-below-floor`. */
  public get belowFloorLogGroup(): string {
    return `/aws/events/${belowFloorRuleName(this.prefix)}`;
  }

  /** The CloudWatch Logs resource policy that lets EventBridge write to {@link belowFloorLogGroup}. */
  public get belowFloorLogPolicy(): string {
    return `${belowFloorRuleName(this.prefix)}-events`;
  }

  /** The prefix of the member account's forwarding rules and of their dead-letter queue: `<prefix>-forward-`. */
  public get forwardingRulePrefix(): string {
    return `${this.prefix}-forward-`;
  }

  /** The security account's stack in {@link Firebreak} and `buildApp`: `<Prefix>Security`. */
  public get securityStack(): string {
    return `${this.pascal}Security`;
  }

  /** The member account's stack in {@link Firebreak} and `buildApp`: `<Prefix>Member`. */
  public get memberStack(): string {
    return `${this.pascal}Member`;
  }

  /**
   * The member stack of a region other than the home one: `<Prefix>Member-<region>` (issue 16, "Regions").
   * @param region - the region.
   */
  public memberStackIn(region: string): string {
    return `${this.memberStack}-${region}`;
  }

  /**
   * The security stack of a region other than the home one: `<Prefix>Security-<region>`.
   * @param region - the region.
   */
  public securityStackIn(region: string): string {
    return `${this.securityStack}-${region}`;
  }

  /** The rule (security account, each region but the home one) that forwards GuardDuty findings home: `<prefix>-findings-to-home`. */
  public get findingsHomeRule(): string {
    return `${this.prefix}-findings-to-home`;
  }

  /**
   * A step's IAM role and Lambda function name in the security account (member accounts trust the role by name).
   * @param step - the step.
   * @returns `<prefix>-<step>`.
   */
  public stepRole(step: StepName): string {
    return stepRoleName(step, this.prefix);
  }

  /**
   * A playbook's state machine name (the CLI builds its ARN from the prefix too).
   * @param playbook - the playbook.
   * @returns `<prefix>-<playbook>`.
   */
  public stateMachine(playbook: string): string {
    return stateMachineName(playbook, this.prefix);
  }

  /**
   * The roles a member role must never write to, besides the responder and releaser by name: service-linked
   * roles, the security account's step roles (`<prefix>-*`, which live in the member account too in
   * single-account mode), the releaser roles, and the roles CloudFormation names after the two stacks.
   */
  public get protectedRolePatterns(): readonly string[] {
    return ['aws-service-role/*', `${this.prefix}-*`, `${this.pascal}Releaser*`, `${this.securityStack}-*`, `${this.memberStack}-*`];
  }

  /**
   * The CloudWatch dashboard (lib/infra/dashboard.ts): `<prefix>-<region>`, since a dashboard's name is unique in the
   * account across Regions ("PutDashboard", CloudWatch API Reference: letters, digits, `-` and `_`, at most 255).
   * @param region - the security stack's Region.
   */
  public dashboard(region: string): string {
    return `${this.prefix}-${region}`;
  }
}
