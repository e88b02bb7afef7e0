import { ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import { NotYetConsistent } from '../../core/errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { readTask, TaskTarget } from './task';

/**
 * Containment of an ECS task (ecs-task-compromise): StopTask, after the task was preserved and a person approved (in
 * approval mode). "Stops a running task. Any tags associated with the task will be deleted"; the containers get SIGTERM,
 * then SIGKILL after the stop timeout (30 seconds by default); `reason` (at most 255 characters) appears in later
 * DescribeTasks (API_StopTask, Amazon ECS API Reference,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html). A stopped task cannot be started again
 * and ECS describes it for about an hour, then forgets it ("Amazon ECS task lifecycle",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html): the evidence is taken
 * before. GuardDuty's guidance for a compromised ECS task is to stop it ("Remediating Runtime Monitoring findings",
 * GuardDuty User Guide, https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-runtime-monitoring.html).
 *
 * Read, then apply the difference: a task whose `desiredStatus` or `lastStatus` is already `STOPPED` (stopped by
 * someone, by its service, by a concurrent run, or by this run before a crash) is not stopped again, and a task ECS no
 * longer describes is not running: neither is an error. StopTask itself is idempotent on a stopped task. Firebreak
 * never changes the task's service: a service replaces a stopped task from the same task definition (the runbook gives
 * a person the commands to scale it to 0 or move it to a known good image).
 */

/** What the case records before StopTask (`priorState.task`): the task's statuses as Firebreak found them. */
export interface TaskPrior {
  readonly taskArn: string;
  readonly cluster: string;
  readonly lastStatus: string | null;
  readonly desiredStatus: string | null;
}

/** Records prior state on the case (the ledger's `recordPriorState`: the first record wins); returns what is stored. */
export type TaskPriorRecorder = (key: 'task', value: TaskPrior) => Promise<TaskPrior>;

/** What containment did or would do. */
export interface TaskStopResult {
  readonly taskArn: string;
  /** `stopped` (StopTask sent now), `already-stopped` (desired or last status STOPPED), `gone` (ECS does not describe it). */
  readonly outcome: 'stopped' | 'already-stopped' | 'gone';
  /** The statuses as Firebreak found them (the recorded prior state on a re-run). */
  readonly prior?: TaskPrior;
  readonly actions: PlannedAction[];
}

/** The StopTask reason: names the case, cut to StopTask's 255 characters. */
export function stopReason(caseId: string): string {
  return `Firebreak case ${caseId}: stopped after preservation (GuardDuty Runtime Monitoring finding)`.slice(0, 255);
}

/**
 * Stops the task unless it is stopped or stopping (see the module's comment). In apply mode the prior statuses are
 * recorded on the case before StopTask.
 * @param mode - `plan`: reads only, returns the StopTask it would send.
 * @param record - the prior-state recorder (plan mode never calls it).
 * @throws the SDK's error (ClusterNotFoundException, AccessDenied, ...).
 */
export async function ensureTaskStopped(
  ecs: ECSClient,
  t: TaskTarget,
  caseId: string,
  mode: StepMode,
  record: TaskPriorRecorder,
): Promise<TaskStopResult> {
  const task = await readTask(ecs, t);
  if (!task) return { taskArn: t.taskArn, outcome: 'gone', actions: [] };
  const found: TaskPrior = {
    taskArn: t.taskArn,
    cluster: t.cluster,
    lastStatus: task.lastStatus ?? null,
    desiredStatus: task.desiredStatus ?? null,
  };
  if (found.desiredStatus === 'STOPPED' || found.lastStatus === 'STOPPED') {
    return { taskArn: t.taskArn, outcome: 'already-stopped', prior: found, actions: [] };
  }
  const actions: PlannedAction[] = [
    { operation: 'ECS.StopTask', target: t.taskArn, change: `${found.lastStatus ?? 'unknown'} → STOPPED (cannot be restarted)` },
  ];
  if (mode === 'plan') return { taskArn: t.taskArn, outcome: 'stopped', prior: found, actions };
  const prior = await record('task', found);
  await ecs.send(new StopTaskCommand({ cluster: t.cluster, task: t.taskArn, reason: stopReason(caseId) }));
  return { taskArn: t.taskArn, outcome: 'stopped', prior, actions };
}

/**
 * Reads the task back: contained when ECS will stop it (`desiredStatus` `STOPPED`; `lastStatus` follows within the
 * stop timeout) or no longer describes it.
 * @throws {NotYetConsistent} when the task's desired status is not STOPPED (the state machine retries).
 */
export async function verifyTaskStopped(
  ecs: ECSClient,
  t: TaskTarget,
): Promise<{ taskArn: string; lastStatus: string; desiredStatus: string }> {
  const task = await readTask(ecs, t);
  if (!task) return { taskArn: t.taskArn, lastStatus: 'GONE', desiredStatus: 'GONE' };
  if (task.desiredStatus !== 'STOPPED') {
    throw new NotYetConsistent(`task ${t.taskArn} desired status is ${task.desiredStatus ?? 'unknown'}, not STOPPED`);
  }
  return { taskArn: t.taskArn, lastStatus: task.lastStatus ?? 'unknown', desiredStatus: task.desiredStatus };
}
