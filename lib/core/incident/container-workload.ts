import * as z from 'zod/mini';

/**
 * The container workload a GuardDuty finding names, as the finding names it: the EKS cluster, namespace and pod
 * (`resource.eksClusterDetails.name`, `resource.kubernetesDetails.kubernetesWorkloadDetails`: `name`, `namespace`,
 * `type` `pods`), or the ECS cluster and task (`resource.ecsClusterDetails.name`, `.taskDetails.arn`, `.definitionArn`)
 * ("Finding details", GuardDuty User Guide: https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings-summary.html;
 * "Remediating Runtime Monitoring findings": https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-runtime-monitoring.html).
 * Everything here comes from the member account's workload and is only named on the case and in the notification,
 * shell-quoted in the commands (lib/core/incident/describe.ts): Firebreak acts on none of it.
 */
export const ContainerWorkloadSchema = z.object({
  /** `EKS` for a pod, `ECS` for a task. */
  platform: z.enum(['EKS', 'ECS']),
  cluster: z.optional(z.string()),
  /** EKS: the pod's namespace. */
  namespace: z.optional(z.string()),
  /** EKS: the workload's name (a pod's, when `kind` is `pods`). */
  pod: z.optional(z.string()),
  /** EKS: `kubernetesWorkloadDetails.type` (`pods`, `deployments`, ...). */
  kind: z.optional(z.string()),
  /** ECS: the task's ARN. */
  taskArn: z.optional(z.string()),
  /** ECS: the task definition's ARN. */
  taskDefinitionArn: z.optional(z.string()),
});
/** A container workload named by a finding. */
export type ContainerWorkload = z.infer<typeof ContainerWorkloadSchema>;

/** A string field of an object GuardDuty gives, or `undefined` for anything else. */
function field(o: unknown, key: string): string | undefined {
  const v = o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined;
  return typeof v === 'string' && v.length > 0 ? v.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '').slice(0, 256) : undefined;
}

/** The object at a key, or `undefined`. */
function child(o: unknown, key: string): unknown {
  return o && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>)[key] : undefined;
}

/**
 * The workload of a finding on `EKSCluster` or `ECSCluster`, read field by field (every field optional: a member
 * account's findings are not trusted to have any shape), control characters removed, each value at most 256 characters.
 * @param resource - `detail.resource` of the finding.
 * @returns the workload, or `undefined` for another resource type.
 */
export function containerWorkloadOf(resource: Record<string, unknown>): ContainerWorkload | undefined {
  if (resource.resourceType === 'EKSCluster') {
    const w = child(child(resource, 'kubernetesDetails'), 'kubernetesWorkloadDetails');
    return strip({
      platform: 'EKS',
      cluster: field(resource.eksClusterDetails, 'name'),
      namespace: field(w, 'namespace'),
      pod: field(w, 'name'),
      kind: field(w, 'type'),
    });
  }
  if (resource.resourceType === 'ECSCluster') {
    const task = child(resource.ecsClusterDetails, 'taskDetails');
    return strip({
      platform: 'ECS',
      cluster: field(resource.ecsClusterDetails, 'name'),
      taskArn: field(task, 'arn'),
      taskDefinitionArn: field(task, 'definitionArn'),
    });
  }
  return undefined;
}

function strip(w: ContainerWorkload): ContainerWorkload {
  return Object.fromEntries(Object.entries(w).filter(([, v]) => v !== undefined)) as ContainerWorkload;
}
