import { InvalidInput } from '../errors';

/** A task named by its ARN, checked against the finding's account and region. */
export interface TaskTarget {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  /** The cluster's name: from the task ARN (the long format), else the finding's `ecsClusterDetails.name`. */
  readonly cluster: string;
  readonly taskArn: string;
  readonly taskId: string;
}

/** Task ARNs: `arn:<partition>:ecs:<region>:<account>:task/<cluster>/<id>` (the long format) or `task/<id>` (the old). */
/** A cluster's name (CreateCluster, `clusterName`, Amazon ECS API Reference). */
const CLUSTER_NAME = /^[A-Za-z0-9_-]{1,255}$/;

const TASK_ARN = /^arn:(aws|aws-cn|aws-us-gov):ecs:([a-z0-9-]+):(\d{12}):task\/(?:([A-Za-z0-9_-]{1,255})\/)?([A-Za-z0-9-]{1,64})$/;

/**
 * The task a finding names, from its ARN only (never from a tag or anything the workload wrote): the ARN must be an ECS
 * task's in the finding's own partition, account and region ("Amazon Resource Name (ARN) and ID format", Amazon ECS
 * Developer Guide, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-account-settings.html#ecs-resource-ids).
 * @param taskArn - `ecsClusterDetails.taskDetails.arn`.
 * @param finding - the finding's partition, account and region, and `ecsClusterDetails.name`.
 * @throws {InvalidInput} when the ARN is not a task's, or names another account, region or partition, or its cluster
 * differs from the finding's cluster, or no cluster is known, or the finding's cluster is not a cluster name.
 */
export function taskTargetOf(
  taskArn: string | undefined,
  finding: { partition: string; account: string; region: string; cluster?: string },
): TaskTarget {
  const m = taskArn === undefined ? null : TASK_ARN.exec(taskArn);
  if (!m || !taskArn) throw new InvalidInput(`not an ECS task ARN: ${JSON.stringify(taskArn ?? null)}`);
  const [, partition, region, account, arnCluster, taskId] = m;
  if (partition !== finding.partition || account !== finding.account || region !== finding.region) {
    throw new InvalidInput(`task ${taskArn} is not in the finding's account ${finding.account} and region ${finding.region}`);
  }
  if (arnCluster && finding.cluster && arnCluster !== finding.cluster) {
    throw new InvalidInput(`task ${taskArn} is not in the finding's cluster ${finding.cluster}`);
  }
  const cluster = arnCluster ?? finding.cluster;
  if (!cluster) throw new InvalidInput(`task ${taskArn} names no cluster and the finding names none`);
  // DescribeTasks and StopTask take a cluster's name or ARN: only a name (CreateCluster: up to 255 letters, digits,
  // hyphens, underscores) is taken from the finding, never an ARN of another account or a spelling protection misses.
  if (!CLUSTER_NAME.test(cluster)) throw new InvalidInput(`the finding's cluster ${JSON.stringify(cluster)} is not a cluster name`);
  return { partition, account, region, cluster, taskArn, taskId };
}
