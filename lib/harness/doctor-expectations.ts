/**
 * What `firebreak doctor` compares a deployment with: the member stack's two roles as this checkout synthesizes them
 * (their policies, resolved for one member account, and the step roles their trust must admit), and the names of the
 * security account's bus and topic. The member stack is synthesized once (lib/infra/member-account-stack.ts, the
 * template CloudFormation deploys); lib/infra/member-policies.ts stays the one source of the actions.
 */
import { App } from 'aws-cdk-lib';
import { FirebreakConfig, parseConfig } from '../core/config';
import { MemberAccountStack } from '../infra/member-account-stack';
import { forwardedEntries } from '../infra/member-policies';
import { FirebreakNames } from '../infra/names';
import { MEMBER_ACTING_STEPS, RELEASING_STEPS } from '../infra/steps';
import type { DoctorExpectations, ExpectedRole, PolicyDocument, PolicyStatement } from '../operator/doctor';

/** What the expectations are built for. */
export interface ExpectationInput {
  readonly securityAccount: string;
  readonly region: string;
  readonly partition: string;
  /** @default 'firebreak' */
  readonly prefix?: string;
  /** The organisation, when the bus admits it by `aws:PrincipalOrgID`. */
  readonly organizationId?: string;
}

type CfnResource = { Type: string; Properties?: Record<string, unknown> };

/**
 * Synthesizes the member stack for the deployment and returns the doctor's expectations.
 * @returns the expectations: the roles (policies resolved per member account by `roles(account, transitKeyArn)`), the
 *   bus and topic names, and one forwarded event's source and detail type.
 * @throws {ConfigError} when the prefix or an account is not valid configuration.
 */
export function doctorExpectations(input: ExpectationInput): DoctorExpectations {
  const prefix = input.prefix ?? 'firebreak';
  const config = parseConfig({ securityAccountId: input.securityAccount, memberAccountIds: [], region: input.region, prefix });
  const resources = memberTemplate(config);
  const names = new FirebreakNames(prefix);
  const stepRoleArns = (steps: readonly string[]) =>
    steps.map((s) => `arn:${input.partition}:iam::${input.securityAccount}:role/${names.stepRole(s as never)}`);
  const roleSpecs: [ExpectedRole['kind'], string, string[]][] = [
    ['responder', config.responderRoleName, stepRoleArns(MEMBER_ACTING_STEPS)],
    ['releaser', config.releaserRoleName, stepRoleArns(RELEASING_STEPS)],
  ];
  const forwarded = forwardedEntries()[0];
  return {
    securityAccount: input.securityAccount,
    region: input.region,
    partition: input.partition,
    busName: names.eventBus,
    topicName: names.notificationTopic,
    transitKeyAlias: names.transitKeyAlias,
    organizationId: input.organizationId,
    forwardedEvent: { source: forwarded.sources[0], detailType: forwarded.detailType },
    roles: (account, transitKeyArn) =>
      roleSpecs.map(([kind, name, trusted]) => ({
        kind,
        name,
        trustedPrincipals: trusted,
        policy: resolvePolicy(roleStatements(resources, name), { ...input, account, transitKeyArn }),
      })),
  };
}

/** The member stack's resources, synthesized once per configuration (about a second of CPU each). */
const templates = new Map<string, Record<string, CfnResource>>();

function memberTemplate(config: FirebreakConfig): Record<string, CfnResource> {
  const key = JSON.stringify(config);
  let resources = templates.get(key);
  if (!resources) {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new MemberAccountStack(app, 'DoctorMember', { config });
    resources = (app.synth().getStackByName(stack.stackName).template as { Resources: Record<string, CfnResource> }).Resources;
    templates.set(key, resources);
  }
  return resources;
}

/** The statements of every policy (inline or managed) the template attaches to the role named `roleName`. */
function roleStatements(resources: Record<string, CfnResource>, roleName: string): unknown[] {
  const roleId = Object.keys(resources).find(
    (id) => resources[id].Type === 'AWS::IAM::Role' && resources[id].Properties?.RoleName === roleName,
  );
  if (!roleId) throw new Error(`the member stack has no role ${roleName}`);
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
    .filter((r) => ((r.Properties?.Roles as { Ref?: string }[] | undefined) ?? []).some((x) => x.Ref === roleId))
    .flatMap((r) => (r.Properties!.PolicyDocument as { Statement: unknown[] }).Statement);
}

/**
 * The statements with CloudFormation's intrinsics resolved for one account: the pseudo parameters, `Fn::Join`, and the
 * transit key's ARN (`Fn::GetAtt` of the key: the deployed key's ARN when known, else any key of the account).
 */
function resolvePolicy(statements: unknown[], c: ExpectationInput & { account: string; transitKeyArn?: string }): PolicyDocument {
  const pseudo: Record<string, string> = {
    'AWS::Partition': c.partition,
    'AWS::Region': c.region,
    'AWS::AccountId': c.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') {
      if (!(o.Ref in pseudo)) throw new Error(`the member role's policy refers to ${o.Ref}, which the doctor cannot resolve`);
      return pseudo[o.Ref];
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(resolve(p))).join(sep);
    }
    if ('Fn::GetAtt' in o) return c.transitKeyArn ?? `arn:${c.partition}:kms:${c.region}:${c.account}:key/*`;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  return { Version: '2012-10-17', Statement: statements.map((s) => resolve(s) as PolicyStatement) };
}
