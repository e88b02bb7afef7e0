import type { IAMClient } from '@aws-sdk/client-iam';

import { ensureRoleSessionsRevoked, protectedRoleReason } from '../../../lib/runtime/iam/revoke';

describe('protectedRoleReason', () => {
  it.each([
    ['AWSServiceRoleForAutoScaling', '/aws-service-role/autoscaling.amazonaws.com/'],
    ['AWSServiceRoleForSupport', '/aws-service-role/support.amazonaws.com/'],
    // By name alone (a caller that does not know the path yet) ...
    ['AWSServiceRoleForAmazonGuardDuty', '/'],
    // ... and by path alone (service-linked roles whose name does not start with AWSServiceRoleFor).
    ['AmazonSSMRoleForInstancesQuickSetup', '/aws-service-role/ssm.amazonaws.com/'],
  ])('protects the service-linked role %s (path %s)', (name, path) => {
    expect(protectedRoleReason(name, path)).toBe(`${name} is a service-linked role`);
  });

  it.each(['FirebreakResponder', 'FirebreakReleaser', 'firebreak-revoke-credentials', 'firebreak-claim-case'])(
    "protects Firebreak's own role %s",
    (name) => {
      expect(protectedRoleReason(name)).toBe(`${name} is one of Firebreak's own roles`);
      expect(protectedRoleReason(name, '/')).toBe(`${name} is one of Firebreak's own roles`);
    },
  );

  // IAM names are not distinguished by case (CreateRole, IAM API Reference): neither is the check.
  it.each([
    ['firebreakresponder', '/', "one of Firebreak's own roles"],
    ['FIREBREAKRELEASER', '/', "one of Firebreak's own roles"],
    ['Firebreak-Claim-Case', '/', "one of Firebreak's own roles"],
    ['awsserviceroleforsupport', '/', 'a service-linked role'],
    ['SomeRole', '/AWS-Service-Role/x.amazonaws.com/', 'a service-linked role'],
  ])('protects %s (path %s) whatever its case', (name, path, why) => {
    expect(protectedRoleReason(name, path)).toBe(`${name} is ${why}`);
  });

  it("matches the deployment's own role names whatever their case", () => {
    expect(protectedRoleReason('ir-responder', '/', ['IR-Responder'])).toBe("ir-responder is one of Firebreak's own roles");
  });

  it.each([
    ['web-app-role', '/'],
    ['web-app-role', '/app/'],
    ['ci-deployer-role', undefined],
    // Prefix rules: "firebreak" elsewhere in the name does not make a role Firebreak's.
    ['my-firebreak-role', '/'],
  ])('does not protect %s (path %s)', (name, path) => {
    expect(protectedRoleReason(name, path)).toBeUndefined();
  });
});

describe('ensureRoleSessionsRevoked on a protected role', () => {
  /** A stand-in IAM client that answers GetRole and records every command it is sent. */
  function fakeIam(role: { RoleName: string; Path: string }) {
    const sent: string[] = [];
    const iam = {
      send: async (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        if (command.constructor.name === 'GetRoleCommand')
          return { Role: { ...role, Arn: `arn:aws:iam::111111111111:role${role.Path}${role.RoleName}` } };
        throw new Error(`unexpected ${command.constructor.name}`);
      },
    } as unknown as IAMClient;
    return { iam, sent };
  }

  it.each([
    ['AWSServiceRoleForAutoScaling', '/aws-service-role/autoscaling.amazonaws.com/', 'is a service-linked role'],
    ['FirebreakResponder', '/', "is one of Firebreak's own roles"],
  ])('reads %s, then neither records prior state nor writes a policy', async (roleName, path, why) => {
    const { iam, sent } = fakeIam({ RoleName: roleName, Path: path });
    const recordPriorState = jest.fn();
    const out = await ensureRoleSessionsRevoked(
      { roleName, cutoff: new Date('2025-06-01T03:07:42.512Z'), mode: 'apply' },
      { iam, recordPriorState },
    );
    expect(out.protectedReason).toBe(`${roleName} ${why}`);
    expect(out.actions).toEqual([]);
    expect(sent).toEqual(['GetRoleCommand']);
    expect(recordPriorState).not.toHaveBeenCalled();
  });
});
