import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { forwardedEntries } from '../../lib/infra/member-account-stack';
import { parseConfig } from '../../lib/core/config';
import { ConfigError } from '../../lib/core/errors';
import { FirebreakMemberStackSet, MAX_TEMPLATE_BODY_BYTES } from '../../lib/infra/member-stack-set';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { App, Tags, aws_iam as iam } from 'aws-cdk-lib';
import { CURRENTLY_RECOMMENDED_FLAGS } from 'aws-cdk-lib/cx-api';
import { Firebreak } from '../../lib/infra/firebreak';
import { buildTestApp, SKIP_BUNDLING, Statement, templateOf } from './support';

/**
 * Issue 16, item 2: an organisation. The security account's bus admits every account of the organization (and no
 * other), and the member stack deploys to the organization's OUs as a service-managed StackSet with automatic
 * deployment. EventBridge's resource-policy evaluation is not in the emulator, so what the bus admits is proven on the
 * synthesized policy with iam-simulate, as test/infra/security-account-stack.test.ts does for the account list.
 */

const SECURITY = '222222222222';
const IN_ORG = '111111111111';
const OUTSIDE = '999999999999';
const ORG = 'o-a1b2c3d4e5';
const OU = 'ou-ab12-cdef3456';
const ORGANIZATION = { id: ORG, memberStackSet: { organizationalUnitIds: [OU, 'r-ab12'] } };
const API = 'AWS API Call via CloudTrail';

describe('an organisation (organization.id, organization.memberStackSet)', () => {
  const built = buildTestApp({ securityAccountId: SECURITY, organization: ORGANIZATION });
  const security = templateOf(built.security);
  const member = templateOf(built.member).toJSON() as Record<string, unknown>;

  describe('the member StackSet', () => {
    const stackSets = Object.values(security.findResources('AWS::CloudFormation::StackSet'));

    it('is service-managed with automatic deployment to the OUs, in the configured region, as a delegated administrator', () => {
      expect(stackSets).toHaveLength(1);
      expect(stackSets[0].Properties).toMatchObject({
        StackSetName: 'FirebreakMember',
        PermissionModel: 'SERVICE_MANAGED',
        CallAs: 'DELEGATED_ADMIN',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
        Capabilities: ['CAPABILITY_NAMED_IAM'],
        StackInstancesGroup: [{ DeploymentTargets: { OrganizationalUnitIds: [OU, 'r-ab12'] }, Regions: ['us-east-1'] }],
      });
    });

    it("deploys the member stack's own resources, with no parameter and no bootstrap rule (member accounts need no CDK bootstrap)", () => {
      const body = JSON.parse(stackSets[0].Properties.TemplateBody as string) as Record<string, unknown>;
      expect(body.Resources).toEqual(member.Resources);
      expect(body.Outputs).toEqual(member.Outputs);
      expect(body.Parameters).toBeUndefined();
      expect(body.Rules).toBeUndefined();
      // The app's own member stack (cdk deploy per account) keeps its bootstrap check.
      expect(Object.keys(member.Parameters as object)).toEqual(['BootstrapVersion']);
      expect(Buffer.byteLength(stackSets[0].Properties.TemplateBody as string)).toBeLessThanOrEqual(MAX_TEMPLATE_BODY_BYTES);
    });

    it('passes cfn-lint, the StackSet and the template it carries', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fb-org-'));
      try {
        const outer = path.join(dir, 'security.json');
        const inner = path.join(dir, 'member-stackset.json');
        fs.writeFileSync(outer, JSON.stringify({ Resources: { StackSet: stackSets[0] } }));
        fs.writeFileSync(inner, stackSets[0].Properties.TemplateBody as string);
        const lint = spawnSync(path.join(PROJECT_ROOT, '.firebreak', 'venv', 'bin', 'cfn-lint'), ['--', outer, inner], {
          encoding: 'utf8',
        });
        // Exit code bit mask: 2 errors, 4 warnings (cfn-lint README).
        expect({ status: (lint.status ?? 1) & 3, out: lint.stdout + lint.stderr }).toEqual({ status: 0, out: expect.any(String) });
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses at synth a template over the inline limit or one with parameters', () => {
      const stack = built.security;
      expect(
        () =>
          new FirebreakMemberStackSet(stack, 'TooBig', {
            template: { Resources: { Big: { Type: 'AWS::SNS::Topic', Metadata: 'x'.repeat(MAX_TEMPLATE_BODY_BYTES) } } },
            stackSetName: 'TooBig',
            organizationalUnitIds: [OU],
            regions: ['us-east-1'],
          }),
      ).toThrow(ConfigError);
      expect(
        () =>
          new FirebreakMemberStackSet(stack, 'WithParameters', {
            template: { Parameters: { BootstrapVersion: { Type: 'String' } }, Resources: {} },
            stackSetName: 'WithParameters',
            organizationalUnitIds: [OU],
            regions: ['us-east-1'],
          }),
      ).toThrow(/BootstrapVersion/);
    });
  });

  describe('the configuration', () => {
    it.each([
      [{ organization: { id: ORG } }, /organization: requires securityAccountId/],
      [{ securityAccountId: SECURITY, organization: { id: 'o-short' } }, /organization\.id: must be an organization ID/],
      [{ securityAccountId: SECURITY, organization: { id: ORG, memberStackSet: { organizationalUnitIds: [] } } }, /organizationalUnitIds/],
      [
        { securityAccountId: SECURITY, organization: { id: ORG, memberStackSet: { organizationalUnitIds: ['ou-1'] } } },
        /organizational unit ID/,
      ],
      [{ securityAccountId: SECURITY, organization: { id: ORG, accounts: [] } }, /unknown key "organization\.accounts"/],
    ])('refuses %j', (raw, message) => {
      expect(() => parseConfig(raw)).toThrow(message);
    });
  });

  describe('the bus admits the organization and no other account (iam-simulate)', () => {
    const busArn = `arn:aws:events:us-east-1:${SECURITY}:event-bus/firebreak`;
    const statements = Object.values(security.findResources('AWS::Events::EventBusPolicy')).map((p) => ({
      ...(p.Properties.Statement as Statement),
      Resource: busArn,
    }));

    /** PutEvents on the security bus from a principal of `account`, whose organization is `orgId` (AWS sets the key). */
    const putEvents = async (account: string, orgId: string | undefined, source: string[], detailType: string[]) =>
      (
        (await runSimulation(
          {
            request: {
              principal: `arn:aws:iam::${account}:role/FirebreakMember-ForwardingRole`,
              action: 'events:PutEvents',
              resource: { resource: busArn, accountId: SECURITY },
              // iam-simulate does not derive the principal's account or organization: given as AWS would set them.
              contextVariables: {
                'aws:PrincipalAccount': account,
                ...(orgId ? { 'aws:PrincipalOrgID': orgId } : {}),
                'events:source': source,
                'events:detail-type': detailType,
              },
            },
            identityPolicies: [
              {
                name: 'forwarding',
                policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }] },
              },
            ],
            resourcePolicy: { Version: '2012-10-17', Statement: statements },
            serviceControlPolicies: [],
            resourceControlPolicies: [],
          } as never,
          {},
        )) as { overallResult?: string }
      ).overallResult;

    it('has the organization statement and the game-day deny, and no account list', () => {
      const sids = statements.map((s) => s.Sid?.replace(/^cdk-/, '')).sort();
      expect(sids).toEqual(['GameDayEventsOnlyFromSecurityAccount', 'OrganizationForwardsEvents']);
      const org = statements.find((s) => s.Sid?.endsWith('OrganizationForwardsEvents'))!;
      expect(org).toMatchObject({ Effect: 'Allow', Principal: { AWS: '*' }, Condition: { StringEquals: { 'aws:PrincipalOrgID': ORG } } });
      const forwarded = forwardedEntries();
      expect(org.Condition!['ForAllValues:StringEquals']).toEqual({
        'events:source': [...new Set(forwarded.flatMap((e) => e.sources))].sort(),
        'events:detail-type': [...new Set(forwarded.map((e) => e.detailType))].sort(),
      });
    });

    it("admits an account of the organization's forwarded CloudTrail events", async () => {
      expect(await putEvents(IN_ORG, ORG, ['aws.cloudtrail'], [API])).toBe('Allowed');
    });

    it('refuses a forged event from outside the organization, from another organization, and a game-day event from inside it', async () => {
      expect(await putEvents(OUTSIDE, undefined, ['aws.cloudtrail'], [API])).not.toBe('Allowed');
      expect(await putEvents(OUTSIDE, 'o-zzzzzzzzzz', ['aws.cloudtrail'], [API])).not.toBe('Allowed');
      expect(await putEvents(IN_ORG, ORG, ['firebreak.gameday'], ['GuardDuty Finding'])).not.toBe('Allowed');
      expect(await putEvents(IN_ORG, ORG, ['aws.cloudtrail', 'firebreak.gameday'], [API])).not.toBe('Allowed');
      expect(await putEvents(IN_ORG, ORG, ['com.example'], [API])).not.toBe('Allowed');
    });

    it('admits both the listed accounts and the organization when both are configured; the StackSet (built by the Firebreak construct too, with the app’s aspects) follows callAs and retainStacksOnAccountRemoval', () => {
      // Through the Firebreak construct this time (the other way in: a CDK app of one's own), so both build the StackSet.
      const app = new App({ context: { ...CURRENTLY_RECOMMENDED_FLAGS, ...SKIP_BUNDLING } });
      const fb = new Firebreak(app, 'Firebreak', {
        securityAccountId: SECURITY,
        memberAccountIds: [OUTSIDE],
        options: {
          organization: { id: ORG, memberStackSet: { organizationalUnitIds: [OU], callAs: 'SELF', retainStacksOnAccountRemoval: true } },
        },
      });
      // An operator's aspects on the app (a permissions boundary, tags) reach the StackSet's roles as they reach the stack's.
      iam.PermissionsBoundary.of(app).apply(iam.ManagedPolicy.fromManagedPolicyName(fb.memberStack, 'Boundary', 'org-boundary'));
      Tags.of(app).add('owner', 'security-team');
      const both = templateOf(fb.securityStack);
      expect(fb.memberStackSet).toBeDefined();
      const memberResources = (
        templateOf(fb.memberStack).toJSON() as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
      ).Resources;
      const carried = JSON.parse(
        Object.values(both.findResources('AWS::CloudFormation::StackSet'))[0].Properties.TemplateBody as string,
      ) as {
        Resources: typeof memberResources;
      };
      expect(carried.Resources).toEqual(memberResources);
      const roles = Object.values(carried.Resources).filter((r) => r.Type === 'AWS::IAM::Role');
      expect(roles.length).toBeGreaterThanOrEqual(3);
      for (const role of roles) {
        expect(JSON.stringify(role.Properties.PermissionsBoundary)).toContain('policy/org-boundary');
        expect(role.Properties.Tags).toEqual(expect.arrayContaining([{ Key: 'owner', Value: 'security-team' }]));
      }
      const sids = Object.values(both.findResources('AWS::Events::EventBusPolicy')).map((p) =>
        (p.Properties.Statement as Statement).Sid?.replace(/^cdk-/, ''),
      );
      expect(sids.sort()).toEqual(['GameDayEventsOnlyFromSecurityAccount', 'MemberAccountsForwardEvents', 'OrganizationForwardsEvents']);
      expect(Object.values(both.findResources('AWS::CloudFormation::StackSet'))[0].Properties).toMatchObject({
        CallAs: 'SELF',
        AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      });
    });
  });

  it('the security stack stays within CloudFormation’s 500 resources with the StackSet', () => {
    expect(Object.keys((security.toJSON() as { Resources: object }).Resources).length).toBeLessThanOrEqual(500);
  });
});
