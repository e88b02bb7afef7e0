/**
 * What a deployment has that the local seed (seed.ts) only stands in for, made as the stacks make it, so that
 * `firebreak doctor` against a local stack reads a healthy deployment: the member roles with the member stack's own
 * policies and trust (the seed's roles allow `ec2:*`-style stand-ins and trust the whole security account), the
 * security account's bus with a policy admitting the member account, and the security account as GuardDuty's delegated
 * administrator. The emulator enforces no IAM, so none of this changes what the playbooks can do locally.
 */
import { CreateEventBusCommand, PutPermissionCommand } from '@aws-sdk/client-eventbridge';
import { EnableOrganizationAdminAccountCommand, GuardDutyClient, ListOrganizationAdminAccountsCommand } from '@aws-sdk/client-guardduty';
import { DeleteRolePolicyCommand, ListRolePoliciesCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { hasAwsCode } from '../../runtime/aws-errors';
import type { DoctorExpectations, ExpectedRole } from '../../operator/doctor';
import { LOCAL_CREDENTIALS } from './accounts';
import type { LocalEnvironment } from './seed';

/** Statements per inline policy: the member stack's policies, split as IAM's per-policy size limit requires. */
const STATEMENTS_PER_POLICY = 12;

/**
 * Gives the local stack's member roles the member stack's policies and trust, creates the security account's bus with a
 * policy admitting the member account, and enables the security account as GuardDuty's delegated administrator.
 * Idempotent: run again, it converges to the same state.
 */
export async function standInDeployment(env: LocalEnvironment, expected: DoctorExpectations): Promise<void> {
  for (const role of expected.roles(env.memberAccount, env.transitKeyArn)) await standInRole(env, expected, role);
  await ignore(['ResourceAlreadyExistsException'], env.security.events.send(new CreateEventBusCommand({ Name: expected.busName })));
  const busArn = `arn:aws:events:${env.region}:${env.securityAccount}:event-bus/${expected.busName}`;
  await env.security.events.send(
    new PutPermissionCommand({
      EventBusName: expected.busName,
      Policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'MemberAccountsForwardEvents',
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${env.memberAccount}:root` },
            Action: 'events:PutEvents',
            Resource: busArn,
          },
        ],
      }),
    }),
  );
  const guardduty = new GuardDutyClient({ region: env.region, endpoint: env.endpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 });
  guardduty.middlewareStack.add(
    (next) => (args) => {
      (args.request as { headers: Record<string, string> }).headers['x-moto-account-id'] = env.securityAccount;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'motoAccount' },
  );
  const admins = await guardduty.send(new ListOrganizationAdminAccountsCommand({}));
  if (!admins.AdminAccounts?.some((a) => a.AdminAccountId === env.securityAccount))
    await guardduty.send(new EnableOrganizationAdminAccountCommand({ AdminAccountId: env.securityAccount }));
}

/** One member role: the member stack's trust (the security account, its step roles only) and its policies, nothing else. */
export async function standInRole(env: LocalEnvironment, expected: DoctorExpectations, role: ExpectedRole): Promise<void> {
  const { iam } = env.member;
  await iam.send(
    new UpdateAssumeRolePolicyCommand({
      RoleName: role.name,
      PolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${expected.securityAccount}:root` },
            Action: 'sts:AssumeRole',
            Condition: { ArnEquals: { 'aws:PrincipalArn': role.trustedPrincipals } },
          },
        ],
      }),
    }),
  );
  const existing = (await iam.send(new ListRolePoliciesCommand({ RoleName: role.name }))).PolicyNames ?? [];
  for (const name of existing) await iam.send(new DeleteRolePolicyCommand({ RoleName: role.name, PolicyName: name }));
  const statements = role.policy.Statement;
  for (let i = 0; i < statements.length; i += STATEMENTS_PER_POLICY) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: role.name,
        PolicyName: `member-stack-${i / STATEMENTS_PER_POLICY + 1}`,
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: statements.slice(i, i + STATEMENTS_PER_POLICY) }),
      }),
    );
  }
}

async function ignore(codes: string[], p: Promise<unknown>): Promise<void> {
  try {
    await p;
  } catch (err) {
    if (!hasAwsCode(err, ...codes)) throw err;
  }
}
