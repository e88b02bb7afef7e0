import type { Incident } from './incident';
import type { ContainerWorkload } from './container-workload';

/**
 * How a case is told to the person on call: the resource in words, and the exact commands to triage
 * it. Every notification carries both (issue 9, "never silent": the finding's summary, the resource,
 * its runbook entry and the exact triage commands).
 */

/**
 * Quotes a value for a POSIX shell: as it is when it holds only characters that need no quoting,
 * else in single quotes (a `'` inside becomes `'\''`). Names here come from the member account.
 */
export function shellQuote(value: string): string {
  return /^[A-Za-z0-9._:/@=+,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The resource of an incident in a few words: `instance i-0abc`, `IAM user alice (key AKIA…)`,
 * `role web (sessions)`, `S3Bucket example-bucket`, `CloudTrail StopLogging by …`.
 */
export function describeResource(i: Incident): string {
  const r = i.resource;
  if (r.type === 'Instance') return `instance ${r.id}${r.workload ? `, the node of ${describeWorkload(r.workload)}` : ''}`;
  if (r.type === 'AccessKey') {
    if (r.userType === 'IAMUser') return `IAM user ${r.userName ?? '?'}${r.accessKeyId ? ` (key ${r.accessKeyId})` : ''}`;
    if (r.userType === 'AssumedRole') return `role ${r.userName ?? '?'}${r.instanceId ? ` (instance credentials of ${r.instanceId})` : ''}`;
    return `${r.userType} credentials${r.accessKeyId ? ` (key ${r.accessKeyId})` : ''}`;
  }
  if (r.type === 'GuardDutyResource')
    return `${r.resourceType}${r.name ? ` ${r.name}` : ''}${r.workload ? ` (${describeWorkload(r.workload)})` : ''}${r.dbUser ? `, ${describeDbUser(r.dbUser)}` : ''}`;
  if (r.type === 'S3Bucket') {
    const p = r.principal;
    return `S3 bucket ${r.bucketName}${p ? ` (used by ${p.userType} ${p.userName ?? p.principalId ?? '?'})` : ''}${r.exposed ? ', public' : ''}`;
  }
  if (r.type === 'LambdaFunction') return `Lambda function ${r.functionName}${r.functionVersion ? ` (${r.functionVersion})` : ''}`;
  if (r.type === 'EcsTask') {
    const node = r.nodeInstanceId ? ` on container instance ${r.nodeInstanceId}` : '';
    return `ECS task ${r.taskArn ?? r.workload?.taskArn ?? '?'}${r.cluster ? ` in cluster ${r.cluster}` : ''}${node}`;
  }
  return `${r.eventSource.replace(/\.amazonaws\.com$/, '')} ${r.eventName}${r.target ? ` on ${r.target}` : ''}`;
}

/**
 * The database user of an RDS finding in words: `DB user "app_reader" (database "orders", application "psql", auth
 * "PASSWORD", ssl "true")`. Each value is the finding's, JSON-quoted (a quote or backslash in it is escaped), so a
 * name chosen in the member account cannot pass for Firebreak's own words.
 */
function describeDbUser(u: NonNullable<Extract<Incident['resource'], { type: 'GuardDutyResource' }>['dbUser']>): string {
  const q = (v: string | undefined) => JSON.stringify(v ?? '?');
  const rest = [
    u.database !== undefined ? `database ${q(u.database)}` : undefined,
    u.application !== undefined ? `application ${q(u.application)}` : undefined,
    u.authMethod !== undefined ? `auth ${q(u.authMethod)}` : undefined,
    u.ssl !== undefined ? `ssl ${q(u.ssl)}` : undefined,
  ].filter((x): x is string => x !== undefined);
  return `DB user ${q(u.user)}${rest.length > 0 ? ` (${rest.join(', ')})` : ''}`;
}

/** A pod (`pod web/frontend-x2k4q`) or a task (`task arn:aws:ecs:…`) in words. */
function describeWorkload(w: ContainerWorkload): string {
  if (w.platform === 'EKS') return `${w.kind === 'pods' || !w.kind ? 'pod' : w.kind} ${w.namespace ?? '?'}/${w.pod ?? '?'}`;
  return `task ${w.taskArn ?? '?'}`;
}

/**
 * An option with its value as one word, `--name=value`: a value that starts with `-` can then never be
 * read as an option of its own (names come from the member account; the AWS CLI reads its global options,
 * such as `--endpoint-url`, anywhere on the line).
 */
export function opt(name: string, value: string): string {
  return `${name}=${shellQuote(value)}`;
}

/** A read-only AWS CLI command that shows the resource of a finding-triage case, per resource type. */
function describeCommand(i: Incident): string | undefined {
  const r = i.resource;
  if (r.type !== 'GuardDutyResource' || !r.name) return undefined;
  const at = opt('--region', i.region);
  switch (r.resourceType) {
    case 'S3Bucket':
    case 'S3Object':
      return `aws s3api get-bucket-policy-status ${opt('--bucket', r.name)} ${at}`;
    case 'EKSCluster':
      return `aws eks describe-cluster ${opt('--name', r.name)} ${at}`;
    case 'ECSCluster':
      return `aws ecs describe-clusters ${opt('--clusters', r.name)} ${at}`;
    case 'Lambda':
      return `aws lambda get-function ${opt('--function-name', r.name)} ${at}`;
    case 'RDSDBInstance':
      return r.arn?.includes(':cluster:')
        ? `aws rds describe-db-clusters ${opt('--db-cluster-identifier', r.name)} ${at}`
        : `aws rds describe-db-instances ${opt('--db-instance-identifier', r.name)} ${at}`;
    default:
      return undefined;
  }
}

/**
 * The exact commands to triage a case, in the order a person runs them: the case's timeline, the
 * finding itself (GuardDuty `get-findings`, in the member account whose detector generated it), the
 * resource, and, where Firebreak can contain the resource but did not (a Medium finding, a victim), the
 * command that contains it by hand. Commands to run in the member account end with a comment naming it;
 * every value is an `--option=value` word, shell-quoted.
 * @param i - the incident.
 * @param caseId - the case.
 * @returns shell commands; values from the event are quoted.
 */
export function triageCommands(i: Incident, caseId: string): string[] {
  const inMember = `  # in the member account ${i.account}`;
  const out = [`firebreak cases show ${shellQuote(caseId)}`];
  if (i.finding.detectorId && !i.finding.id.startsWith('manual/')) {
    out.push(
      `aws guardduty get-findings ${opt('--detector-id', i.finding.detectorId)} ${opt('--finding-ids', i.finding.id)} ${opt('--region', i.region)}${inMember}`,
    );
  }
  const show = describeCommand(i);
  if (show) out.push(`${show}${inMember}`);
  const r = i.resource;
  if (r.type === 'S3Bucket') {
    out.push(`aws s3api get-bucket-policy ${opt('--bucket', r.bucketName)} ${opt('--region', i.region)}${inMember}`);
    out.push(`aws s3api get-public-access-block ${opt('--bucket', r.bucketName)} ${opt('--region', i.region)}${inMember}`);
  }
  if (r.type === 'LambdaFunction') {
    out.push(`aws lambda get-function ${opt('--function-name', r.functionName)} ${opt('--region', i.region)}${inMember}`);
    out.push(`aws lambda get-function-concurrency ${opt('--function-name', r.functionName)} ${opt('--region', i.region)}${inMember}`);
  }
  const where = `${opt('--account', i.account)} ${opt('--region', i.region)}`;
  if (r.type === 'Instance') {
    out.push(`aws ec2 describe-instances ${opt('--instance-ids', r.id)} ${opt('--region', i.region)}${inMember}`);
    out.push(
      `firebreak run ec2-compromise ${opt('--instance', r.id)} ${where} ${opt('--reason', `contain after review of ${i.finding.type}`)} --wait`,
    );
  } else if (r.type === 'AccessKey' && r.userType === 'IAMUser' && r.accessKeyId && r.userName) {
    out.push(
      `firebreak run credential-compromise ${opt('--access-key', r.accessKeyId)} ${opt('--user', r.userName)} ${where} ${opt('--reason', `revoke after review of ${i.finding.type}`)} --wait`,
    );
  } else if (r.type === 'AccessKey' && r.userType === 'AssumedRole' && r.userName) {
    out.push(
      `firebreak run credential-compromise ${opt('--role', r.userName)} ${where} ${opt('--reason', `revoke sessions after review of ${i.finding.type}`)} --wait`,
    );
  }
  return out;
}
