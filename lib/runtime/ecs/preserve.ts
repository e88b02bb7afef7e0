import { DescribeNetworkInterfacesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient, KeyValuePair, Task } from '@aws-sdk/client-ecs';
import { ResourceGone } from '../../core/errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { putArtifactOnce, sha256Hex, StoredArtifact } from '../evidence/vault';
import type { EvidenceTarget } from '../s3/preserve';
import { readTask, TaskTarget, taskNetworkInterfaceIds, taskServiceName } from './task';
import '../clients/ec2';

/**
 * Preservation of an ECS task before it is stopped (ecs-task-compromise): what a stopped task loses or what ECS forgets
 * about it, copied as JSON into the security account's evidence bucket, each with its SHA-256 (the manifest lists them):
 * - `task.json`: DescribeTasks (`include: ['TAGS']`): containers with their image digests and runtime ids, attachments
 *   (the ENI), launch type, `startedBy`, `group` (the service), the tags (StopTask deletes them; ECS shows a stopped task
 *   for about an hour only; API_StopTask, API_DescribeTasks, Amazon ECS API Reference,
 *   https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_StopTask.html);
 * - `task-definition.json`: DescribeTaskDefinition of the task's revision
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTaskDefinition.html);
 * - `network-interfaces.json`: DescribeNetworkInterfaces of the task's ENIs (IPs, security groups, subnet; awsvpc
 *   mode: a Fargate task's ENI is deleted when it stops; Amazon EC2 API Reference,
 *   https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html);
 * - `service.json`: DescribeServices of the service the task belongs to (`group` `service:<name>`), or `null`
 *   (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeServices.html).
 *
 * **Environment values are not copied.** "Environment variables specified in the task definition are readable by all
 * users and roles that are allowed the DescribeTaskDefinition action" and AWS recommends Secrets Manager or Parameter
 * Store for sensitive data ("Pass an individual environment variable to an Amazon ECS container", Amazon ECS Developer
 * Guide, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/taskdef-envfiles.html): a plain `value` may still be
 * a secret, and copying it into the security account would widen who can read it. Each `environment[].value` (in the
 * definition and in the task's overrides) is replaced by `{ sha256 }` of its bytes, so an investigator can compare it
 * with a known value; the definition's revision is immutable and stays describable in the member account. `secrets`
 * and `environmentFiles` are references (ARNs, S3 objects), not values, and are kept. The values of log and FireLens
 * options and volume driver options, which often hold a log driver's token, are hashed the same way ({@link OPTION_MAPS}).
 * A SHA-256 without salt lets whoever reads the evidence test a guess of a weak value: the evidence bucket is the
 * security account's, encrypted under the evidence key and readable by the responders only.
 * Read-only in the member account: nothing here changes the task.
 */

/** What preservation read (plan mode) or stored. */
export interface TaskPreservationResult {
  readonly taskArn: string;
  readonly lastStatus?: string;
  readonly desiredStatus?: string;
  readonly launchType?: string;
  readonly service?: string;
  readonly networkInterfaceIds: string[];
  /** Stored artifacts (none in plan mode). */
  readonly artifacts: StoredArtifact[];
  readonly actions: PlannedAction[];
}

/** An environment list with each value replaced by its SHA-256 (see the module's comment). */
function redactEnvironment(env: KeyValuePair[] | undefined): unknown[] | undefined {
  return env?.map((e) => ({ name: e.name, value: e.value === undefined ? undefined : { sha256: sha256Hex(e.value) } }));
}

/**
 * The string maps of a container definition whose values are often credentials: `logConfiguration.options` (a log
 * driver's token, e.g. `splunk-token`), `firelensConfiguration.options` and a volume's `dockerVolumeConfiguration.driverOpts`
 * ("ContainerDefinition", "LogConfiguration", Amazon ECS API Reference; AWS recommends `secretOptions` for a log driver's
 * secrets). Their values are replaced by `{ sha256 }` as environment values are; their keys are kept.
 */
const OPTION_MAPS: readonly string[] = ['options', 'driverOpts'];

/** An option map with each value replaced by its SHA-256. */
function redactOptionValues(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).map(([k, v]) => [k, typeof v === 'string' ? { sha256: sha256Hex(v) } : v]));
}

/** A copy of `o` in which every `environment` array (container definitions, container overrides) and option map is redacted. */
export function redactEnvironmentValues<T>(o: T): T {
  if (Array.isArray(o)) return o.map((x) => redactEnvironmentValues(x)) as T;
  if (!o || typeof o !== 'object' || o instanceof Date) return o;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    out[k] =
      k === 'environment' && Array.isArray(v)
        ? redactEnvironment(v as KeyValuePair[])
        : OPTION_MAPS.includes(k) && v && typeof v === 'object' && !Array.isArray(v)
          ? redactOptionValues(v as Record<string, unknown>)
          : redactEnvironmentValues(v);
  }
  return out as T;
}

/** The other reads of a task: its definition, its ENIs, its service (each independent of the others). */
async function readTaskContext(clients: { ecs: ECSClient; ec2: EC2Client }, t: TaskTarget, task: Task) {
  const eniIds = taskNetworkInterfaceIds(task);
  const service = taskServiceName(task);
  const [definition, enis, services] = await Promise.all([
    task.taskDefinitionArn
      ? clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: task.taskDefinitionArn, include: ['TAGS'] }))
      : undefined,
    eniIds.length > 0
      ? clients.ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'network-interface-id', Values: eniIds }] }))
      : undefined,
    service ? clients.ecs.send(new DescribeServicesCommand({ cluster: t.cluster, services: [service] })) : undefined,
  ]);
  return { eniIds, service, definition, enis, services };
}

/**
 * Preserves a task (see the module's comment): every read made before anything is written; the artifacts written once
 * (`putArtifactOnce`: a re-run keeps the first copy, made before the task was stopped). Plan mode reads and writes nothing.
 * @param clients - ECS and EC2 in the member account (responder role).
 * @param evidence - the evidence bucket (security account), `prefix` the case's.
 * @throws {ResourceGone} when ECS no longer describes the task (and nothing was preserved before: a re-run's artifacts
 * are kept by the caller's manifest, which lists what the first run stored).
 */
export async function ensureTaskPreserved(
  clients: { ecs: ECSClient; ec2: EC2Client },
  t: TaskTarget,
  mode: StepMode,
  evidence: EvidenceTarget,
): Promise<TaskPreservationResult> {
  const task = await readTask(clients.ecs, t);
  if (!task) throw new ResourceGone(`ECS does not describe task ${t.taskArn} in cluster ${t.cluster} (stopped over an hour ago, or never)`);
  const ctx = await readTaskContext(clients, t, task);
  const base = {
    taskArn: t.taskArn,
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    launchType: task.launchType,
    service: ctx.service,
    networkInterfaceIds: ctx.eniIds,
    actions: [] as PlannedAction[],
  };
  if (mode === 'plan') return { ...base, artifacts: [] };
  const documents: Record<string, unknown> = {
    'task.json': { cluster: t.cluster, task: redactEnvironmentValues(task) },
    'task-definition.json': {
      taskDefinitionArn: task.taskDefinitionArn ?? null,
      taskDefinition: redactEnvironmentValues(ctx.definition?.taskDefinition ?? null),
      tags: ctx.definition?.tags ?? [],
    },
    'network-interfaces.json': { networkInterfaceIds: ctx.eniIds, networkInterfaces: ctx.enis?.NetworkInterfaces ?? [] },
    'service.json': { service: ctx.service ?? null, services: ctx.services?.services ?? [], failures: ctx.services?.failures ?? [] },
  };
  const artifacts: StoredArtifact[] = [];
  for (const [name, doc] of Object.entries(documents)) {
    const body = `${JSON.stringify(doc, null, 2)}\n`;
    const key = `${evidence.prefix}task/${name}`;
    artifacts.push(await putArtifactOnce({ bucket: evidence.bucket, key, name, body, kmsKeyId: evidence.kmsKeyId }, { s3: evidence.s3 }));
  }
  return { ...base, artifacts };
}
