import { App, Validations } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FirebreakConfig, loadConfig } from '../core/config';
import { MemberAccountStack } from './member-account-stack';
import { addMemberStackSet, FirebreakMemberStackSet } from './member-stack-set';
import { FirebreakNames } from './names';
import { addRegionalStacks, homeMemberParts, RegionalStacks } from './regional-stacks';
import { SecurityAccountStack } from './security-account-stack';

/** The stack ID of the security account's stack with the default prefix (`<Prefix>Security` with another). */
export const SECURITY_STACK_ID = FirebreakNames.DEFAULT.securityStack;
/** The stack ID of the member account's stack with the default prefix (`<Prefix>Member` with another). */
export const MEMBER_STACK_ID = FirebreakNames.DEFAULT.memberStack;

/** Options of {@link buildApp}. */
export interface BuildAppProps {
  /**
   * CDK context, merged over the feature flags. `{'aws:cdk:bundling-stacks': []}` skips esbuild;
   * `firebreak` or `firebreakConfigFile` gives the configuration. Context from the CDK CLI
   * (`cdk.json`, `-c`) takes precedence.
   * @default - none: the default configuration (single-account mode), bundling on
   */
  readonly context?: Record<string, unknown>;
  /**
   * The cloud assembly directory.
   * @default - the CDK CLI's, or a temporary directory
   */
  readonly outdir?: string;
  /**
   * Whether to register the cdk-nag AwsSolutions checks, so that synthesis fails on an
   * unacknowledged finding.
   * @default true
   */
  readonly nag?: boolean;
  /**
   * Whether to run aws-cdk-lib's built-in CloudFormation template validation at synthesis. It is off
   * by default because it adds about 9 s to every synthesis (the local runner synthesizes too); the
   * infra tests run cfn-lint on the templates instead.
   * @default false
   */
  readonly builtinValidation?: boolean;
  /**
   * The folder that holds one folder per Lambda step.
   * @default - `lambdas/` at the repository root
   */
  readonly lambdasDir?: string;
}

/** The app and what was built into it. */
export interface FirebreakApp {
  /** The CDK app; call `app.synth()` to write the cloud assembly. */
  readonly app: App;
  /** The validated configuration the stacks were built from. */
  readonly config: FirebreakConfig;
  /** The security account's stack. */
  readonly security: SecurityAccountStack;
  /** The member account's stack. */
  readonly member: MemberAccountStack;
  /** The member stack as a StackSet in the security stack, when `organization.memberStackSet` is configured. */
  readonly memberStackSet?: FirebreakMemberStackSet;
  /** The stacks of the other regions (`config.regions`, and the global service events' region): docs/ARCHITECTURE.md, "Regions". */
  readonly regional: RegionalStacks;
}

/**
 * Builds Firebreak's CDK app: the configuration (validated), both stacks (`<Prefix>Security` and `<Prefix>Member`,
 * by the configuration's `prefix`: `FirebreakSecurity` and `FirebreakMember` by default) and the cdk-nag checks.
 * `bin/app.ts` uses it under the CDK CLI; tests and the local runner use it to synthesize in process.
 *
 * The feature flags are aws-cdk-lib's currently recommended ones; aws-cdk-lib is pinned to an exact
 * version, so they do not change between installs.
 * @param props - see {@link BuildAppProps}.
 * @returns the app and its stacks.
 * @throws {ConfigError} when the configuration is invalid; the message names the bad key.
 */
export function buildApp(props: BuildAppProps = {}): FirebreakApp {
  const app = new App({
    context: { ...CURRENTLY_RECOMMENDED_FLAGS, ...props.context },
    outdir: props.outdir,
    builtinCloudFormationValidation: props.builtinValidation ?? false,
  });
  const config = loadConfig(app.node);
  const names = new FirebreakNames(config.prefix);
  const security = new SecurityAccountStack(app, names.securityStack, {
    description: 'Firebreak security account: routing, playbooks, evidence vault, case ledger, notifications',
    env: { account: config.securityAccountId, region: config.region },
    config,
    lambdasDir: props.lambdasDir,
  });
  const member = new MemberAccountStack(app, names.memberStack, {
    description: `Firebreak member account: the ${config.responderRoleName} and ${config.releaserRoleName} roles and the evidence transit key`,
    // Account-agnostic, so the same template deploys to every member account (StackSets).
    env: { region: config.region },
    config,
    parts: homeMemberParts(config),
  });
  const memberStackSet = addMemberStackSet(security, member, config);
  const regional = addRegionalStacks(app, config, security, (_kind, _region, stackName) => ({ id: stackName }));
  if (props.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, config, security, member, memberStackSet, regional };
}
