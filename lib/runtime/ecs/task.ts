import { DescribeTasksCommand, ECSClient, Task } from '@aws-sdk/client-ecs';
import type { TaskTarget } from '../../core/incident/ecs-task';
import '../clients/ecs';

export { taskTargetOf } from '../../core/incident/ecs-task';
export type { TaskTarget } from '../../core/incident/ecs-task';

/**
 * The ECS task a GuardDuty Runtime Monitoring finding names (`resource.ecsClusterDetails.taskDetails.arn`: "Finding
 * details", GuardDuty User Guide, https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-summary.html), and
 * the one read Firebreak makes of it (DescribeTasks, Amazon ECS API Reference,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html).
 */

/**
 * The task as ECS describes it now, with its tags (`include: ['TAGS']`: StopTask deletes a task's tags, so they are
 * read before), or `undefined` when ECS does not know it (`failures[].reason` `MISSING`: a task stopped more than about
 * an hour ago is no longer described; "Amazon ECS task lifecycle", Amazon ECS Developer Guide,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html).
 * @throws the SDK's error (`ClusterNotFoundException`, AccessDenied, ...).
 */
export async function readTask(ecs: ECSClient, t: Pick<TaskTarget, 'cluster' | 'taskArn'>): Promise<Task | undefined> {
  const out = await ecs.send(new DescribeTasksCommand({ cluster: t.cluster, tasks: [t.taskArn], include: ['TAGS'] }));
  return (out.tasks ?? []).find((x) => x.taskArn === t.taskArn);
}

/** The ENI ids of a task's `ElasticNetworkInterface` attachments (awsvpc mode; detail `networkInterfaceId`). */
export function taskNetworkInterfaceIds(task: Task): string[] {
  return (task.attachments ?? [])
    .filter((a) => a.type === 'ElasticNetworkInterface')
    .flatMap((a) => (a.details ?? []).filter((d) => d.name === 'networkInterfaceId').map((d) => d.value ?? ''))
    .filter((id) => /^eni-[0-9a-f]+$/.test(id));
}

/**
 * The service a task belongs to: `group` is `service:<name>` for a service's task (DescribeTasks, `group`). RunTask
 * takes any `group`, so it is the workload's word: only a service name (CreateService: up to 255 letters, digits,
 * hyphens, underscores) is taken, never an ARN (another account's service would fail DescribeServices, and with it the
 * preservation that must precede StopTask).
 */
export function taskServiceName(task: Task): string | undefined {
  const m = /^service:([A-Za-z0-9_-]{1,255})$/.exec(task.group ?? '');
  return m ? m[1] : undefined;
}
