import { DescribeSecurityGroupsCommand, DescribeSnapshotsCommand } from '@aws-sdk/client-ec2';
import { ListRolesCommand, ListUsersCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand } from '@aws-sdk/client-s3';

import { EventEnvelope, readEventFile, replayEvent } from '../../lib/harness/local/replay';
import type { LocalEnvironment } from '../../lib/harness/local/seed';
import { readNotifications } from '../../lib/harness/local/notifications';
import { useLocalSession } from '../support/local';
import { readCase } from '../support/read-back';

/**
 * finding-triage (issue 9, "never silent"): a Medium finding of each family that no playbook contains opens
 * a case that a person sees. Read back independently: the ledger (the case, its status, its timeline, the
 * assessment), the notification the topic delivered (summary, resource, runbook entry, triage commands),
 * and the member account (nothing created, changed or removed).
 */

/** A census of the member account: what a containment would create or change. */
async function memberCensus(env: LocalEnvironment) {
  const m = env.member;
  const [groups, snapshots, users, roles, buckets] = await Promise.all([
    m.ec2.send(new DescribeSecurityGroupsCommand({})),
    m.ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] })),
    m.iam.send(new ListUsersCommand({})),
    m.iam.send(new ListRolesCommand({})),
    m.s3.send(new ListBucketsCommand({})),
  ]);
  return JSON.stringify({
    groups: (groups.SecurityGroups ?? [])
      .map((g) => `${g.GroupId}:${JSON.stringify(g.IpPermissions)}:${JSON.stringify(g.IpPermissionsEgress)}`)
      .sort(),
    snapshots: (snapshots.Snapshots ?? []).map((s) => s.SnapshotId).sort(),
    users: (users.Users ?? []).map((u) => u.UserName).sort(),
    roles: (roles.Roles ?? []).map((r) => r.RoleName).sort(),
    buckets: (buckets.Buckets ?? []).map((b) => b.Name).sort(),
  });
}

/** Family, fixture, runbook entry, and the rule that routes it (a pod or task finding without its node: `container-workload`). */
const FAMILIES: [string, string, string, string?][] = [
  [
    'EKS audit logs',
    'guardduty-eks-audit-medium.json',
    'runbooks/findings/eks-audit.md#discovery-kubernetes-toripcaller',
    'firebreak-container-workload',
  ],
  // S3 buckets, Lambda functions, RDS databases, ECS tasks and attack sequences have their own playbooks
  // (test/playbook/s3-compromise.test.ts, lambda-compromise.test.ts, rds-compromise.test.ts, ecs-task-compromise.test.ts,
  // attack-sequence.test.ts).
];

describe('finding-triage playbook (synthesized state machine, real handlers, emulator)', () => {
  const local = useLocalSession();

  it.each(FAMILIES)(
    'a Medium %s finding opens a notified case and changes nothing in the member account',
    async (_family, file, runbookEntry, rule = 'firebreak-finding-triage') => {
      const { env } = local.session;
      const event = readEventFile(`fixtures/events/${file}`) as EventEnvelope & { detail: { severity: number; id: string; type: string } };
      const medium = { ...event, detail: { ...event.detail, severity: 5 } };
      const before = await memberCensus(env);

      const { report } = await replayEvent(local.session, medium);
      expect(report.routing.matched).toEqual([rule]);
      const caseId = report.executions[0]?.caseId;
      expect(caseId).toMatch(/^fb-\d{8}-[0-9a-f]{10}$/);

      // The ledger: one NOTIFIED case for this finding, with the assessment and a Notify entry on its timeline.
      const { item, timeline } = await readCase(env, caseId!);
      expect(item).toMatchObject({ status: 'NOTIFIED', playbook: 'finding-triage', account: '111111111111' });
      expect(item!.resourceId).toMatch(new RegExp(`/finding/${event.detail.id}$`));
      expect(item!.incident.triage).toMatchObject({ playbook: 'finding-triage', containable: false, runbook: runbookEntry });
      expect(timeline.map((t) => `${t.step}:${t.status}`)).toEqual(
        expect.arrayContaining(['Claim:SUCCEEDED', 'Notify:SUCCEEDED', 'CloseCase:SUCCEEDED']),
      );

      // The notification the topic delivered: exactly one for the case, with what a person needs to act.
      const notes = (await readNotifications(env)).filter((n) => n.caseId === caseId);
      expect(notes.map((n) => n.kind)).toEqual(['notify-only']);
      const body = JSON.parse(notes[0].body) as { summary: string; resource: string; runbookEntry: string; triage: string[] };
      expect(body.summary).toContain(event.detail.type);
      expect(body.summary).toContain('case opened, nothing contained');
      expect(body.runbookEntry).toBe(runbookEntry);
      expect(body.triage[0]).toBe(`firebreak cases show ${caseId}`);
      expect(body.triage[1]).toContain(`--finding-ids=${event.detail.id}`);

      // The member account: nothing created, changed or removed.
      expect(await memberCensus(env)).toBe(before);
    },
  );

  it('a repeat of a finding is already handled; a new finding on the same resource is a new case', async () => {
    const event = readEventFile('fixtures/events/guardduty-eks-audit-medium.json') as EventEnvelope & {
      detail: { id: string; service: { count: number } };
    };
    const first = await replayEvent(local.session, { ...event, detail: { ...event.detail, id: 'aaaa0000aaaa0000aaaa0000aaaa0000' } });
    const repeat = await replayEvent(local.session, {
      ...event,
      detail: { ...event.detail, id: 'aaaa0000aaaa0000aaaa0000aaaa0000', service: { ...event.detail.service, count: 9 } },
    });
    const other = await replayEvent(local.session, { ...event, detail: { ...event.detail, id: 'bbbb0000bbbb0000bbbb0000bbbb0000' } });
    expect(repeat.report.executions[0]).toMatchObject({ status: 'ALREADY_HANDLED', caseId: first.report.executions[0].caseId });
    expect(other.report.executions[0]).toMatchObject({ status: 'SUCCEEDED', outcome: 'NOTIFIED' });
    expect(other.report.executions[0].caseId).not.toBe(first.report.executions[0].caseId);
    const notes = (await readNotifications(local.session.env)).filter((n) => n.caseId === first.report.executions[0].caseId);
    expect(notes).toHaveLength(1);
  });
});
