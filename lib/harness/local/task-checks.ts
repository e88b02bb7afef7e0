import { DescribeTasksCommand } from '@aws-sdk/client-ecs';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { sha256Hex } from '../../runtime/evidence/vault';
import type { Check } from './checks';
import { readCaseRecord } from './checks';
import type { LocalEnvironment } from './seed';
import type { TaskTwin } from './task-twin';

/** The artifacts PreserveTask stores for a task of a service (lib/runtime/ecs, ecs-task-compromise). */
const TASK_ARTIFACTS = ['network-interfaces.json', 'service.json', 'task-definition.json', 'task.json'];

/** The twin's task as the emulator describes it (the harness's ECS client, not the playbook's). */
async function describeTwinTask(env: LocalEnvironment, twin: TaskTwin) {
  const out = await env.member.ecs.send(new DescribeTasksCommand({ cluster: twin.cluster, tasks: [twin.taskArn] }));
  return out.tasks?.[0];
}

/**
 * The twin's task still running (`lastStatus` and `desiredStatus` RUNNING), read back from the emulator: what a case
 * waiting for approval, a denied one or a notify-only one leaves (check `task-running`).
 */
export async function taskRunningCheck(env: LocalEnvironment, twin: TaskTwin): Promise<Check> {
  const task = await describeTwinTask(env, twin);
  return {
    name: 'task-running',
    passed: task?.lastStatus === 'RUNNING' && task.desiredStatus === 'RUNNING',
    details: task ? `${twin.taskArn}: lastStatus ${task.lastStatus}, desiredStatus ${task.desiredStatus}` : `${twin.taskArn} not found`,
  };
}

/**
 * The read-back of a contained ECS task (ecs-task-compromise), from the emulator with the harness's clients:
 * - `task-stopped`: DescribeTasks gives the task STOPPED (desired and last status), with a `stoppedReason` naming the case;
 * - `task-evidence-manifest`: the case's `evidence.manifest` in the security account's evidence bucket, encrypted with the
 *   evidence key, its bytes at the SHA-256 the ledger records, naming task.json (of this task), task-definition.json,
 *   network-interfaces.json and service.json, each stored at the SHA-256 the manifest gives, and no container
 *   environment value copied (the twin's stands-for-a-secret value, `not-for-evidence-…`).
 * @param caseId - the execution's case.
 */
export async function taskContainedChecks(env: LocalEnvironment, twin: TaskTwin, caseId: string): Promise<Check[]> {
  return [await taskStoppedCheck(env, twin, caseId), await taskManifestCheck(env, twin, caseId)];
}

/** `task-stopped`: DescribeTasks gives the twin's task STOPPED (desired and last status), with a `stoppedReason` naming the case. */
export async function taskStoppedCheck(env: LocalEnvironment, twin: TaskTwin, caseId: string): Promise<Check> {
  const task = await describeTwinTask(env, twin);
  return {
    name: 'task-stopped',
    passed: task?.lastStatus === 'STOPPED' && task.desiredStatus === 'STOPPED' && (task.stoppedReason ?? '').includes(caseId),
    details: task
      ? `${twin.taskArn}: lastStatus ${task.lastStatus}, desiredStatus ${task.desiredStatus}, stoppedReason ${JSON.stringify(task.stoppedReason ?? '')}`
      : `${twin.taskArn} not found`,
  };
}

async function taskManifestCheck(env: LocalEnvironment, twin: TaskTwin, caseId: string): Promise<Check> {
  const name = 'task-evidence-manifest';
  const { item } = await readCaseRecord(env, caseId);
  const ref = (item?.evidence as { manifest?: { bucket: string; key: string; sha256: string } } | undefined)?.manifest;
  if (!ref) return { name, passed: false, details: 'the case records no manifest' };
  const s3 = env.security.s3;
  const read = async (key: string) =>
    Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: key }))).Body!.transformToByteArray());
  const [body, head] = await Promise.all([read(ref.key), s3.send(new HeadObjectCommand({ Bucket: ref.bucket, Key: ref.key }))]);
  const problems: string[] = [];
  if (sha256Hex(body) !== ref.sha256) problems.push('manifest bytes differ from the SHA-256 the ledger records');
  if (head.ServerSideEncryption !== 'aws:kms' || head.SSEKMSKeyId !== env.evidenceKeyArn)
    problems.push('manifest not under the evidence key');
  const manifest = JSON.parse(body.toString('utf8')) as { artifacts: { name: string; key: string; sha256: string }[] };
  const names = manifest.artifacts.map((a) => a.name).sort();
  if (names.join() !== TASK_ARTIFACTS.join()) problems.push(`artifacts ${names.join(', ')} (want ${TASK_ARTIFACTS.join(', ')})`);
  for (const a of manifest.artifacts) {
    const bytes = await read(a.key);
    if (sha256Hex(bytes) !== a.sha256) problems.push(`${a.name}: hash mismatch`);
    if (bytes.includes('not-for-evidence-')) problems.push(`${a.name}: a container environment value was copied`);
    if (a.name === 'task.json' && (JSON.parse(bytes.toString('utf8')) as { task?: { taskArn?: string } }).task?.taskArn !== twin.taskArn)
      problems.push('task.json is not the twin task');
  }
  return {
    name,
    passed: problems.length === 0,
    details: problems.length ? problems.join('; ') : `${manifest.artifacts.length} artifacts at their SHA-256, no environment value copied`,
  };
}
