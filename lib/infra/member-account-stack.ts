import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FirebreakConfig } from '../core/config';
import { FirebreakMemberAccount } from './member-account';
import { MemberStackParts } from './regions';

// The member account's policies live in member-policies.ts; re-exported for the callers that import them from here.
export {
  cloudTrailStatements,
  credentialStatements,
  FIREBREAK_SECURITY_GROUP_ROLES,
  FORWARDING_RULE_PREFIX,
  forwardedEntries,
  PROTECTED_ROLE_DENIED_ACTIONS,
  PROTECTED_ROLE_PATTERNS,
  RELEASE_DELETABLE_TAG_KEYS,
  releaserStatements,
  TRANSIT_SNAPSHOT_STAGE,
} from './member-policies';

/** Properties of {@link MemberAccountStack}. */
export interface MemberAccountStackProps extends StackProps {
  /** The validated deployment configuration. */
  readonly config: FirebreakConfig;
  /** What this region's stack holds (lib/infra/regions.ts). @default everything (see FirebreakMemberAccountProps.parts) */
  readonly parts?: MemberStackParts;
}

/**
 * The member account's stack of one region, ready for StackSets: the {@link FirebreakMemberAccount} construct (the
 * responder and releaser roles in the home region, the evidence transit key, the forwarding rules) and its outputs. It
 * only composes.
 */
export class MemberAccountStack extends Stack {
  /** The member account's half of Firebreak. */
  public readonly firebreak: FirebreakMemberAccount;

  /**
   * @param scope - the app.
   * @param id - the stack ID.
   * @param props - see {@link MemberAccountStackProps}.
   * @throws {ConfigError} when the configuration's prefix is invalid.
   */
  constructor(scope: Construct, id: string, props: MemberAccountStackProps) {
    super(scope, id, props);
    // `Default`: the construct adds no level to the logical IDs, which stay the ones this stack has always had.
    this.firebreak = new FirebreakMemberAccount(this, 'Default', { config: props.config, parts: props.parts });
    const { responderRole, releaserRole, transitKey } = this.firebreak;
    if (responderRole) new CfnOutput(this, 'ResponderRoleArn', { value: responderRole.roleArn });
    if (releaserRole) new CfnOutput(this, 'ReleaserRoleArn', { value: releaserRole.roleArn });
    if (transitKey) new CfnOutput(this, 'TransitKeyArn', { value: transitKey.keyArn });
  }
}
