import { DescribeInstancesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { readEventFile, replayEvent } from '../../lib/harness/local/replay';
import { isolationGroupName } from '../../lib/core/tags';
import { denyLookupEvents } from '../support/deny-lookup';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

const INSTANCE_CREDS = 'fixtures/events/guardduty-instance-credential-exfiltration.json';

async function instanceGroups(ec2: import('@aws-sdk/client-ec2').EC2Client, instanceId: string) {
  const instance = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations![0].Instances![0];
  const iso =
    (
      await ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [isolationGroupName(instance.VpcId!)] }] }),
      )
    ).SecurityGroups ?? [];
  return {
    groups: (instance.NetworkInterfaces ?? []).map((e) => (e.Groups ?? []).map((g) => g.GroupId)),
    isolationGroupIds: iso.map((g) => g.GroupId),
  };
}

describe('credential-compromise chaining into ec2-compromise (catalog chainInstanceContainment)', () => {
  describe('when the catalog entry opts in', () => {
    const local = useLocalSession({
      environment: {
        FIREBREAK_CATALOG_OVERRIDES: JSON.stringify({ 'credential-compromise-high': { chainInstanceContainment: true } }),
        FIREBREAK_CLAIM_LEASE_SECONDS: '0',
      },
    });

    it.each(['RevokeCredentials', 'ChainInstanceContainment', 'Notify'])(
      'starts exactly one chained containment when the playbook crashes right after %s and runs again',
      async (step) => {
        const crashed = await replayEvent(local.session, readEventFile(INSTANCE_CREDS), { execute: { crashAfter: step } });
        expect(crashed.executions[0].status).toBe('CRASHED');
        const caseId = crashed.executions[0].caseId!;
        const rerun = await local.session.runner.execute('credential-compromise', crashed.injected);
        expect(rerun).toMatchObject({ status: 'SUCCEEDED', outcome: 'CONTAINED', caseId });
        await local.session.sfn.settle();
        const instanceId = crashed.credentialTwin!.instanceId!;
        const chainedRuns = local.session.sfn.list().filter((x) => JSON.parse(x.input).firebreak?.target?.instanceId === instanceId);
        expect(chainedRuns).toHaveLength(1);
        expect(chainedRuns[0]).toMatchObject({ status: 'SUCCEEDED' });
        expect((rerun.output?.chained as { alreadyStarted: boolean }).alreadyStarted).toBe(step !== 'RevokeCredentials');
        const { groups, isolationGroupIds } = await instanceGroups(local.session.env.member.ec2, instanceId);
        for (const g of groups) expect(g).toEqual(isolationGroupIds);
        expect((await readCase(local.session.env, caseId)).item?.status).toBe('CONTAINED');
      },
    );

    it("revokes the role's sessions, then contains the instance through a Step Functions execution of ec2-compromise", async () => {
      const { report, credentialTwin } = await replayEvent(local.session, readEventFile(INSTANCE_CREDS));
      const [cred, ec2] = report.executions;
      expect(cred).toMatchObject({ playbook: 'credential-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED' });
      expect(cred.steps.map((s) => s.name)).toContain('ChainInstanceContainment');
      expect(ec2).toMatchObject({ playbook: 'ec2-compromise', status: 'SUCCEEDED', outcome: 'CONTAINED' });
      expect(report.checks.filter((c) => !c.passed)).toEqual([]);

      // Read back from the emulator: the instance whose credentials leaked is on the isolation group only.
      const instanceId = credentialTwin!.instanceId!;
      const { groups, isolationGroupIds } = await instanceGroups(local.session.env.member.ec2, instanceId);
      expect(isolationGroupIds).toHaveLength(1);
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) expect(g).toEqual(isolationGroupIds);

      // The chained execution, as Step Functions reports it, and the chained case pointing back.
      const sfn = new SFNClient({
        region: 'us-east-1',
        endpoint: local.session.sfn.endpoint,
        credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      });
      const chained = local.session.sfn
        .list()
        .find(
          (x) =>
            x.stateMachineArn.endsWith(':stateMachine:firebreak-ec2-compromise') &&
            JSON.parse(x.input).firebreak?.chainedFrom === cred.caseId,
        )!;
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: chained.executionArn }));
      expect(described.status).toBe('SUCCEEDED');
      expect(JSON.parse(described.input!).firebreak).toMatchObject({ target: { kind: 'instance', instanceId }, chainedFrom: cred.caseId });
      const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: chained.executionArn }))).events ?? [];
      expect(history[0].type).toBe('ExecutionStarted');
      expect(history.at(-1)!.type).toBe('ExecutionSucceeded');
      expect(history.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateEnteredEventDetails!.name)).toContain('Contain');
      const ec2Case = await readCase(local.session.env, ec2.caseId!);
      expect(ec2Case.item).toMatchObject({ status: 'CONTAINED' });
      const credCase = await readCase(local.session.env, cred.caseId!);
      expect(credCase.item?.decisions?.chain).toMatchObject({ instanceId, executionArn: chained.executionArn });

      // Replayed: the credential case is already handled, so nothing chains again.
      const before = local.session.sfn.list().length;
      const again = await replayEvent(local.session, readEventFile(INSTANCE_CREDS), { credentialTwin });
      expect(again.report.executions.map((x) => x.status)).toEqual(['ALREADY_HANDLED']);
      expect(local.session.sfn.list()).toHaveLength(before);
    });
    it('starts the chained containment even when the evidence step fails (LookupEvents denied): evidence never blocks containment', async () => {
      const event = JSON.parse(JSON.stringify(readEventFile(INSTANCE_CREDS)));
      event.detail.id = `chain-evidence-failure-${Date.now().toString(16)}`;
      const remove = denyLookupEvents();
      let result;
      try {
        result = await replayEvent(local.session, event);
        await local.session.sfn.settle();
      } finally {
        remove();
      }
      const cred = result.report.executions.find((x) => x.playbook === 'credential-compromise')!;
      expect(cred.status).toBe('FAILED');
      expect((await readCase(local.session.env, cred.caseId!)).item?.status).toBe('FAILED');
      // Read back from the emulator: the instance whose credentials leaked is on the isolation group only.
      const instanceId = result.credentialTwin!.instanceId!;
      const chainedRuns = local.session.sfn.list().filter((x) => JSON.parse(x.input).firebreak?.target?.instanceId === instanceId);
      expect(chainedRuns.map((x) => x.status)).toEqual(['SUCCEEDED']);
      const { groups, isolationGroupIds } = await instanceGroups(local.session.env.member.ec2, instanceId);
      expect(isolationGroupIds).toHaveLength(1);
      for (const g of groups) expect(g).toEqual(isolationGroupIds);
    });
  });

  describe('by default', () => {
    const local = useLocalSession();

    it('only recommends ec2-compromise and starts no execution', async () => {
      const { report, credentialTwin } = await replayEvent(local.session, readEventFile(INSTANCE_CREDS));
      expect(report.executions.map((x) => x.playbook)).toEqual(['credential-compromise']);
      expect(report.executions[0].steps.map((s) => s.name)).not.toContain('ChainInstanceContainment');
      expect(local.session.sfn.list()).toHaveLength(0);
      const { groups, isolationGroupIds } = await instanceGroups(local.session.env.member.ec2, credentialTwin!.instanceId!);
      expect(isolationGroupIds).toHaveLength(0);
      expect(groups.flat().length).toBeGreaterThan(0);
    });
  });
});
