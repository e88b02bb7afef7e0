import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, CfnStackSet, DefaultStackSynthesizer, Stack } from 'aws-cdk-lib';
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
  /** The member stack's synthesized template (an object, serialized here), with no assets and no bootstrap rule. */
  readonly template: Record<string, unknown>;
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
    const body = JSON.stringify(props.template);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > MAX_TEMPLATE_BODY_BYTES) {
      throw new ConfigError(
        `${this.node.path}: the member template is ${bytes} bytes, over the ${MAX_TEMPLATE_BODY_BYTES} a StackSet takes inline`,
      );
    }
    const parameters = Object.keys((props.template.Parameters as Record<string, unknown> | undefined) ?? {});
    if (parameters.length > 0) {
      throw new ConfigError(
        `${this.node.path}: the member template declares parameters (${parameters.join(', ')}); a StackSet instance would have no value for them`,
      );
    }
    if (props.organizationalUnitIds.length === 0 || props.regions.length === 0) {
      throw new ConfigError(`${this.node.path}: a StackSet needs at least one organizational unit and one region`);
    }
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
}

/**
 * The member stack's template as a StackSet deploys it: the same construct and configuration as the app's
 * `<Prefix>Member` stack, synthesized in an app of its own (with the scope's context, hence the same feature flags) with
 * no bootstrap-version rule (a StackSet's accounts need not be bootstrapped for CDK: the template has no assets), in a
 * temporary directory removed afterwards.
 * @param scope - any construct of the app (its context is copied).
 * @param config - the validated configuration (the same object the app's stacks are built from).
 * @param stackName - the member stack's name (`<Prefix>Member`).
 * @returns the template object.
 */
export function memberStackSetTemplate(scope: Construct, config: FirebreakConfig, stackName: string): Record<string, unknown> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-member-stackset-'));
  try {
    const app = new App({ context: scope.node.getAllContext(), outdir });
    new MemberAccountStack(app, stackName, {
      env: { region: config.region },
      config,
      synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    });
    return app.synth().getStackByName(stackName).template as Record<string, unknown>;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Adds the member StackSet to the security stack when the configuration asks for one (`organization.memberStackSet`).
 * The member stack holds named IAM roles, which are global, so it deploys to one region per account: the configured one.
 * @param securityStack - the security account's stack (deployed where StackSets may be administered).
 * @param config - the validated configuration.
 * @param memberStackName - the member stack's name, which the StackSet takes too.
 * @returns the StackSet construct, or undefined when none is configured.
 * @throws {ConfigError} see {@link FirebreakMemberStackSet}.
 */
export function addMemberStackSet(
  securityStack: Stack,
  config: FirebreakConfig,
  memberStackName: string,
): FirebreakMemberStackSet | undefined {
  const stackSet = config.organization?.memberStackSet;
  if (!stackSet) return undefined;
  return new FirebreakMemberStackSet(securityStack, 'MemberStackSet', {
    template: memberStackSetTemplate(securityStack, config, memberStackName),
    stackSetName: memberStackName,
    organizationalUnitIds: stackSet.organizationalUnitIds,
    regions: [config.region],
    callAs: stackSet.callAs,
    retainStacksOnAccountRemoval: stackSet.retainStacksOnAccountRemoval,
  });
}
