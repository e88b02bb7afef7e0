import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { FirebreakConfig } from '../core/config';
import { FirebreakMemberAccount } from './member-account';

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
}

/**
 * The member account's stack, ready for StackSets: the {@link FirebreakMemberAccount} construct (the responder and
 * releaser roles, the evidence transit key, the forwarding rules) and its outputs. It only composes.
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
    this.firebreak = new FirebreakMemberAccount(this, 'Default', { config: props.config });
    new CfnOutput(this, 'ResponderRoleArn', { value: this.firebreak.responderRole.roleArn });
    new CfnOutput(this, 'ReleaserRoleArn', { value: this.firebreak.releaserRole.roleArn });
    new CfnOutput(this, 'TransitKeyArn', { value: this.firebreak.transitKey.keyArn });
  }
}
