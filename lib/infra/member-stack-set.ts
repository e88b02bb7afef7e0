import { AssetStaging, CfnStackSet, Lazy, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FirebreakConfig } from '../core/config';
import { ConfigError } from '../core/errors';
import { MemberAccountStack } from './member-account-stack';

/**
 * CloudFormation's limit on a template passed inline (`TemplateBody`), in bytes ("CloudFormation quotas", AWS
 * CloudFormation User Guide: template body size in a request, 51,200 bytes,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
 */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

/** Props of {@link FirebreakMemberStackSet}. */
export interface FirebreakMemberStackSetProps {
  /**
   * The member stack's template (an object, serialized here, with no assets and no parameters), or a function that gives
   * it at synth time: {@link memberStackSetTemplate} reads the app's own member stack once every aspect of the app ran.
   */
  readonly template: Record<string, unknown> | (() => Record<string, unknown>);
  /** The StackSet's name: letters, digits and hyphens, starting with a letter, at most 128 characters. */
  readonly stackSetName: string;
  /** The OUs (`ou-…`) or the root (`r-…`) whose accounts get the stack, child OUs included. */
  readonly organizationalUnitIds: readonly string[];
  /** The regions of the stack instances. */
  readonly regions: readonly string[];
  /**
   * Whether the stack is created from the management account (`SELF`) or from a delegated administrator for StackSets.
   * @default 'DELEGATED_ADMIN'
   */
  readonly callAs?: 'SELF' | 'DELEGATED_ADMIN';
  /** Keep the stack in an account that leaves the target OUs. @default false */
  readonly retainStacksOnAccountRemoval?: boolean;
}

/**
 * The member stack as a service-managed StackSet (`AWS::CloudFormation::StackSet`, PermissionModel `SERVICE_MANAGED`):
 * StackSets creates the roles it deploys with in every account of the target OUs, deploys the stack to each, and, with
 * automatic deployment, to every account that joins them later, and removes it from an account that leaves
 * ("AutoDeployment", AWS CloudFormation API Reference, https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_AutoDeployment.html;
 * the resource: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stackset.html).
 * StackSets never deploys to the management account ("DeploymentTargets", API Reference).
 *
 * The template is passed inline (`TemplateBody`): the member stack has no assets, so it needs no bucket that every
 * member account could read. `CAPABILITY_NAMED_IAM`: it creates the named responder and releaser roles. Managed
 * execution lets StackSets run non-conflicting operations at once.
 *
 * @throws {ConfigError} at synth when the template is over {@link MAX_TEMPLATE_BODY_BYTES}, uses assets or parameters
 *   (an instance would need values nobody gives it), or when no OU or region is given.
 */
export class FirebreakMemberStackSet extends Construct {
  /** The StackSet resource. */
  public readonly stackSet: CfnStackSet;

  constructor(scope: Construct, id: string, props: FirebreakMemberStackSetProps) {
    super(scope, id);
    if (props.organizationalUnitIds.length === 0 || props.regions.length === 0) {
      throw new ConfigError(`${this.node.path}: a StackSet needs at least one organizational unit and one region`);
    }
    const template = props.template;
    const body =
      typeof template === 'function' ? Lazy.string({ produce: () => this.templateBody(template()) }) : this.templateBody(template);
    this.stackSet = new CfnStackSet(this, 'StackSet', {
      stackSetName: props.stackSetName,
      description: `Firebreak member accounts (deployed by ${Stack.of(this).stackName}): the responder and releaser roles, the evidence transit key and the event forwarding`,
      permissionModel: 'SERVICE_MANAGED',
      callAs: props.callAs ?? 'DELEGATED_ADMIN',
      autoDeployment: { enabled: true, retainStacksOnAccountRemoval: props.retainStacksOnAccountRemoval ?? false },
      capabilities: ['CAPABILITY_NAMED_IAM'],
      managedExecution: { Active: true },
      operationPreferences: { failureTolerancePercentage: 10, maxConcurrentPercentage: 25, regionConcurrencyType: 'PARALLEL' },
      stackInstancesGroup: [
        { deploymentTargets: { organizationalUnitIds: [...props.organizationalUnitIds] }, regions: [...props.regions] },
      ],
      templateBody: body,
    });
  }

  /** The template as the StackSet carries it; checked for CloudFormation's inline limit and for parameters. */
  private templateBody(template: Record<string, unknown>): string {
    const body = JSON.stringify(template);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_TEMPLATE_BODY_BYTES) {
      throw new ConfigError(
        `${this.node.path}: the member template is ${bytes} bytes, over the ${MAX_TEMPLATE_BODY_BYTES} a StackSet takes inline`,
      );
    }
    const parameters = Object.keys((template.Parameters as Record<string, unknown> | undefined) ?? {});
    if (parameters.length > 0) {
      throw new ConfigError(
        `${this.node.path}: the member template declares parameters (${parameters.join(', ')}); a StackSet instance would have no value for them`,
      );
    }
    return body;
  }
}

/**
 * The member stack's template as a StackSet deploys it: the app's own `<Prefix>Member` stack, read at synth time, after
 * every aspect of the app ran (a permissions boundary or tags an operator applies to the app reach the StackSet's roles
 * as they reach the stack's), without CDK's bootstrap-version parameter and rule: a StackSet's accounts need not be
 * bootstrapped, and the template has no assets.
 * @param member - the app's member stack.
 * @returns a function that gives the template; call it only during synthesis.
 * @throws {ConfigError} (when called) if the member stack has assets: a StackSet could not publish them.
 */
export function memberStackSetTemplate(member: MemberAccountStack): () => Record<string, unknown> {
  return () => {
    // Stack._toCloudFormation is the template the stack synthesizes (aws-cdk-lib's own synthesis and
    // `Template.fromStack` call it); it is internal, hence the cast.
    const template = (member as unknown as { _toCloudFormation(): Record<string, unknown> })._toCloudFormation();
    const {
      Parameters: parameters,
      Rules: rules,
      ...rest
    } = template as {
      Parameters?: Record<string, unknown>;
      Rules?: Record<string, unknown>;
    } & Record<string, unknown>;
    const otherParameters = Object.fromEntries(Object.entries(parameters ?? {}).filter(([k]) => k !== 'BootstrapVersion'));
    const otherRules = Object.fromEntries(Object.entries(rules ?? {}).filter(([k]) => k !== 'CheckBootstrapVersion'));
    // Every file or image asset (a Lambda's code, an S3 asset) is staged by an AssetStaging construct.
    if (member.node.findAll().some((c) => c instanceof AssetStaging)) {
      throw new ConfigError(`${member.node.path}: the member stack uses assets, which a StackSet cannot publish to member accounts`);
    }
    return {
      ...rest,
      ...(Object.keys(otherParameters).length ? { Parameters: otherParameters } : {}),
      ...(Object.keys(otherRules).length ? { Rules: otherRules } : {}),
    };
  };
}

/**
 * Adds a member StackSet to the security stack when the configuration asks for one (`organization.memberStackSet`),
 * deploying `member`'s template to its own region, or to `regions` (lib/infra/regional-stacks.ts: the other regions whose
 * member templates are the same share one StackSet): the home region's holds the named IAM roles, which are global, so no
 * other region's may hold them, and the global service events' rules live in one region.
 * @param securityStack - the security account's stack (deployed where StackSets may be administered).
 * @param member - one of the app's member stacks, whose template the StackSet carries.
 * @param config - the validated configuration.
 * @param id - the construct ID. @default 'MemberStackSet' (the home region's)
 * @param group - the instances' `regions` (@default `member`'s region) and the `stackSetName` (@default `member`'s stack name).
 * @returns the StackSet construct, or undefined when none is configured.
 * @throws {ConfigError} see {@link FirebreakMemberStackSet}.
 */
export function addMemberStackSet(
  securityStack: Stack,
  member: MemberAccountStack,
  config: FirebreakConfig,
  id = 'MemberStackSet',
  group: { readonly regions?: readonly string[]; readonly stackSetName?: string } = {},
): FirebreakMemberStackSet | undefined {
  const stackSet = config.organization?.memberStackSet;
  if (!stackSet) return undefined;
  return new FirebreakMemberStackSet(securityStack, id, {
    template: memberStackSetTemplate(member),
    stackSetName: group.stackSetName ?? member.stackName,
    organizationalUnitIds: stackSet.organizationalUnitIds,
    regions: group.regions ?? [member.region],
    callAs: stackSet.callAs,
    retainStacksOnAccountRemoval: stackSet.retainStacksOnAccountRemoval,
  });
}
