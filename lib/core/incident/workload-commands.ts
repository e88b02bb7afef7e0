import type { Incident } from './incident';
import type { ContainerWorkload } from './container-workload';
import { opt, shellQuote } from './describe';

/**
 * The commands for the pod or task of a container finding (issue 15), beside the triage commands of
 * lib/core/incident/describe.ts: Notify, the attached-finding notice and the approval request add them; the orphaned-case
 * notice does not (its bundle stays under 200 KB, and `firebreak cases show` names the workload).
 */

/** The label Firebreak's runbooks put on a pod to quarantine it, and that the quarantine NetworkPolicy selects. */
export const QUARANTINE_LABEL = 'firebreak/quarantine';

/**
 * The NetworkPolicy that isolates every pod labelled {@link QUARANTINE_LABEL}`=true` in its namespace: both policy types
 * and no rule, so no ingress and no egress is allowed ("Network Policies", Kubernetes documentation, "Default deny all
 * ingress and all egress traffic": https://kubernetes.io/docs/concepts/services-networking/network-policies/; the EKS Best
 * Practices Guide's incident response, "Isolate the Pod by creating a Network Policy that denies all ingress and egress
 * traffic to the pod": https://docs.aws.amazon.com/eks/latest/best-practices/incident-response-and-forensics.html). Enforced
 * only where the cluster runs a network policy engine (the VPC CNI's, Calico, Cilium), never for `hostNetwork` pods.
 */
export const QUARANTINE_NETWORK_POLICY = JSON.stringify({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'firebreak-quarantine' },
  spec: { podSelector: { matchLabels: { [QUARANTINE_LABEL]: 'true' } }, policyTypes: ['Ingress', 'Egress'] },
});

/**
 * The kubectl commands for a pod a finding names, in the EKS Best Practices Guide's order (capture, isolate with a
 * deny-all NetworkPolicy selecting a label, cordon the node; never delete the pod before its evidence is saved):
 * `kubectl describe`, `get -o yaml`, `logs`, `label`, `apply` of {@link QUARANTINE_NETWORK_POLICY}, `cordon` of the
 * pod's node (read from the pod's `spec.nodeName`). The pod and namespace are shell-quoted, the pod as `pod/<name>`
 * so that a name can never be read as an option. Empty when the finding names no pod and namespace.
 */
function podCommands(w: ContainerWorkload, account: string): string[] {
  if (w.platform !== 'EKS' || !w.pod || !w.namespace || (w.kind && w.kind !== 'pods')) return [];
  const pod = shellQuote(`pod/${w.pod}`);
  const ns = opt('--namespace', w.namespace);
  const at = `  # in cluster ${w.cluster ?? '?'} of the member account ${account}`;
  return [
    `kubectl describe ${pod} ${ns} > pod-describe.txt${at}`,
    `kubectl get ${pod} ${ns} --output=yaml > pod.yaml${at}`,
    `kubectl logs ${pod} ${ns} --all-containers=true --timestamps=true > pod-logs.txt${at}`,
    `kubectl label ${pod} ${ns} ${QUARANTINE_LABEL}=true${at}`,
    `echo ${shellQuote(QUARANTINE_NETWORK_POLICY)} | kubectl apply ${ns} --filename=-${at}`,
    `NODE=$(kubectl get ${pod} ${ns} --output=jsonpath='{.spec.nodeName}') && kubectl cordon "$NODE"${at}`,
  ];
}

/** The read-only AWS CLI command for a task a finding names: its ENI and task definition (DescribeTasks). */
function taskCommands(w: ContainerWorkload, region: string, inMember: string): string[] {
  if (w.platform !== 'ECS' || !w.taskArn || !w.cluster) return [];
  const at = opt('--region', region);
  return [
    `aws ecs describe-tasks ${opt('--cluster', w.cluster)} ${opt('--tasks', w.taskArn)} ${at}${inMember}`,
    ...(w.taskDefinitionArn ? [`aws ecs describe-task-definition ${opt('--task-definition', w.taskDefinitionArn)} ${at}${inMember}`] : []),
  ];
}

/**
 * The commands a person may need after ecs-task-compromise stops a task: its service (`group` `service:<name>`), which
 * starts a replacement from the same task definition, scaled to 0 by hand if the image is compromised (Firebreak never
 * changes a service: runbooks/ecs-task-compromise/runbook.md); and the container instance the finding names, contained by
 * its own run. Values are shell-quoted.
 */
function stoppedTaskCommands(i: Incident, cluster: string, taskArn: string, nodeInstanceId: string | undefined): string[] {
  const at = opt('--region', i.region);
  const c = opt('--cluster', cluster);
  const inMember = `  # in the member account ${i.account}`;
  return [
    `SERVICE=$(aws ecs describe-tasks ${c} ${opt('--tasks', taskArn)} --query 'tasks[0].group' --output text ${at} | sed -n 's/^service://p')  # its service starts a replacement from the same task definition`,
    `aws ecs update-service ${c} --service "$SERVICE" --desired-count 0 ${at}${inMember}; only if the image is compromised: note desiredCount first`,
    ...(nodeInstanceId
      ? [`firebreak run ec2-compromise ${opt('--instance', nodeInstanceId)} ${at}  # the container instance, if the host is in doubt`]
      : []),
  ];
}

/**
 * The commands for the pod or task a container finding names (none for other findings): the task's DescribeTasks and
 * DescribeTaskDefinition, read-only; the pod's capture, quarantine label, deny-all NetworkPolicy and node cordon, in that
 * order. Values from the finding are shell-quoted.
 * @param i - the incident.
 */
export function workloadCommands(i: Incident): string[] {
  const r = i.resource;
  if (r.type === 'EcsTask') {
    const described = r.workload ? taskCommands(r.workload, i.region, `  # in the member account ${i.account}`) : [];
    return r.taskArn && r.cluster ? [...described, ...stoppedTaskCommands(i, r.cluster, r.taskArn, r.nodeInstanceId)] : described;
  }
  const workload = r.type === 'Instance' || r.type === 'GuardDutyResource' ? r.workload : undefined;
  if (!workload) return [];
  return [...taskCommands(workload, i.region, `  # in the member account ${i.account}`), ...podCommands(workload, i.account)];
}
