import type { Incident } from './incident';

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
  if (r.type === 'Instance') return `instance ${r.id}`;
  if (r.type === 'AccessKey') {
    if (r.userType === 'IAMUser') return `IAM user ${r.userName ?? '?'}${r.accessKeyId ? ` (key ${r.accessKeyId})` : ''}`;
    if (r.userType === 'AssumedRole') return `role ${r.userName ?? '?'}${r.instanceId ? ` (instance credentials of ${r.instanceId})` : ''}`;
    return `${r.userType} credentials${r.accessKeyId ? ` (key ${r.accessKeyId})` : ''}`;
  }
  if (r.type === 'GuardDutyResource') return `${r.resourceType}${r.name ? ` ${r.name}` : ''}`;
  return `${r.eventSource.replace(/\.amazonaws\.com$/, '')} ${r.eventName}${r.target ? ` on ${r.target}` : ''}`;
}

/** A read-only AWS CLI command that shows the resource of a finding-triage case, per resource type. */
function describeCommand(i: Incident): string | undefined {
  const r = i.resource;
  if (r.type !== 'GuardDutyResource' || !r.name) return undefined;
  const at = `--region ${shellQuote(i.region)}`;
  const name = shellQuote(r.name);
  switch (r.resourceType) {
    case 'S3Bucket':
    case 'S3Object':
      return `aws s3api get-bucket-policy-status --bucket ${name} ${at}`;
    case 'EKSCluster':
      return `aws eks describe-cluster --name ${name} ${at}`;
    case 'ECSCluster':
      return `aws ecs describe-clusters --clusters ${name} ${at}`;
    case 'Lambda':
      return `aws lambda get-function --function-name ${name} ${at}`;
    case 'RDSDBInstance':
      return `aws rds describe-db-instances --db-instance-identifier ${name} ${at}`;
    default:
      return undefined;
  }
}

/**
 * The exact commands to triage a case, in the order a person runs them: the case's timeline, the
 * finding itself (GuardDuty `get-findings`, in the account whose detector generated it, or the
 * delegated administrator), the resource, and, where Firebreak can contain the resource but did not
 * (a Medium finding, a victim), the command that contains it by hand.
 * @param i - the incident.
 * @param caseId - the case.
 * @returns shell commands; values from the event are quoted.
 */
export function triageCommands(i: Incident, caseId: string): string[] {
  const out = [`firebreak cases show ${shellQuote(caseId)}`];
  const region = shellQuote(i.region);
  if (i.finding.detectorId && !i.finding.id.startsWith('manual/')) {
    out.push(`aws guardduty get-findings --detector-id ${shellQuote(i.finding.detectorId)} --finding-ids ${shellQuote(i.finding.id)} --region ${region}`);
  }
  const show = describeCommand(i);
  if (show) out.push(show);
  const r = i.resource;
  const where = `--account ${shellQuote(i.account)} --region ${region}`;
  if (r.type === 'Instance') {
    out.push(`aws ec2 describe-instances --instance-ids ${shellQuote(r.id)} --region ${region}`);
    out.push(`firebreak run ec2-compromise --instance ${shellQuote(r.id)} ${where} --reason ${shellQuote(`contain after review of ${i.finding.type}`)} --wait`);
  } else if (r.type === 'AccessKey' && r.userType === 'IAMUser' && r.accessKeyId && r.userName) {
    out.push(`firebreak run credential-compromise --access-key ${shellQuote(r.accessKeyId)} --user ${shellQuote(r.userName)} ${where} --reason ${shellQuote(`revoke after review of ${i.finding.type}`)} --wait`);
  } else if (r.type === 'AccessKey' && r.userType === 'AssumedRole' && r.userName) {
    out.push(`firebreak run credential-compromise --role ${shellQuote(r.userName)} ${where} --reason ${shellQuote(`revoke sessions after review of ${i.finding.type}`)} --wait`);
  }
  return out;
}
