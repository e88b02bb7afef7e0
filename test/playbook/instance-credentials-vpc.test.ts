import { GetRolePolicyCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { roleVpcRestrictionPolicy } from '../../lib/runtime/iam/policies';
import { useLocalSession } from '../support/local';

describe('credential-compromise with instanceCredentialResponse = restrict-to-vpc (the scoped alternative)', () => {
  const local = useLocalSession({ environment: { FIREBREAK_INSTANCE_CREDENTIAL_RESPONSE: 'restrict-to-vpc' } });

  it("denies the role's credentials outside the instance's VPC instead of revoking its sessions, once", async () => {
    const event = readEventFile('fixtures/events/guardduty-instance-credential-exfiltration.json');
    const { report, credentialTwin } = await replayEvent(local.session, event);
    const x = report.executions[0];
    expect(x).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED' });
    const iam = local.session.env.member.iam;
    const roleName = credentialTwin!.roleName!;
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames).toEqual(['FirebreakDenyOutsideInstanceVpc']);
    const doc = (await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: 'FirebreakDenyOutsideInstanceVpc' })))
      .PolicyDocument!;
    expect(JSON.parse(decodeURIComponent(doc))).toEqual(roleVpcRestrictionPolicy());
    expect((x.revocation as { affected: string; instanceId: string }).affected).toMatch(/outside the VPC/);
    expect((x.revocation as { instanceId: string }).instanceId).toBe(credentialTwin!.instanceId);

    const again = await replayEvent(local.session, event, { credentialTwin });
    expect(again.report.executions[0].status).toBe('ALREADY_HANDLED');
    expect((await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames).toEqual(['FirebreakDenyOutsideInstanceVpc']);
  });
});
