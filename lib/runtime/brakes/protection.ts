import { globRegExp } from '../../core/glob';
import type { Hold, Protection } from '../../core/brakes';
import type { Incident } from '../../core/incident/incident';
import type { Decision } from '../playbook/shared/decide';

/**
 * Protected resources and principals (issue 14, item 1): pure rules, no AWS call. A finding on a protected resource or
 * principal never contains automatically: the decision becomes `approval` (the approval path: RequestApproval →
 * `firebreak approve|deny`) and carries the rule that held it ({@link Hold}). Only an automatic containment is held:
 * a manual start (`firebreak run`) and an approved case are a person's decision already.
 *
 * The protection tag is member-writable: anyone with `ec2:CreateTags` in the member account can set it. It can only
 * move a containment into approval (a person is paged and the case is open), never hide it or contain anything.
 */

/** A tag as EC2 (`Key`/`Value`) or GuardDuty (`key`/`value`) writes it. */
export type AnyTag = { readonly Key?: string; readonly Value?: string } | { readonly key?: string; readonly value?: string };

const keyOf = (t: AnyTag): string | undefined => ('Key' in t ? t.Key : 'key' in t ? t.key : undefined);

/** Whether an automatic containment of this incident may be held (not a manual start, not a dry run). */
export const mayHold = (i: Incident): boolean => i.trigger !== 'manual' && !i.dryRun;

/**
 * The hold of a tag set that carries the protection tag key (any value).
 * @param tags - the instance's tags (DescribeInstances) or the finding's (`instanceDetails.tags`).
 * @param source - where they were read.
 */
export function tagHold(tags: readonly AnyTag[] | undefined, protection: Protection, source: 'finding' | 'instance'): Hold | undefined {
  if (!tags?.some((t) => keyOf(t) === protection.tagKey)) return undefined;
  const where = source === 'finding' ? 'the finding says the instance carries' : 'the instance carries';
  return {
    brake: 'protection',
    rule: 'tag',
    entry: protection.tagKey,
    source,
    reason: `protected: ${where} the tag ${protection.tagKey}; containment waits for approval`,
  };
}

/**
 * An IAM role name pattern (`*` any run of characters) as a regular expression, anchored ({@link globRegExp}), without
 * regard to case: IAM does not distinguish role names by case ("IAM user, group, role, and policy names must be unique
 * within the account. Names are not distinguished by case": CreateRole, IAM API Reference), so `BreakGlass*` written in
 * the config protects the role `breakglass-admin` too; a brake errs toward holding.
 */
const patternRegex = (pattern: string) => globRegExp(pattern, '.*', 'i');

/** The IAM role names an incident acts on or is about: an assumed role's, an API call's caller's. */
export function roleNamesOf(i: Incident): string[] {
  const r = i.resource;
  if (r.type === 'AccessKey' && r.userType === 'AssumedRole' && r.userName) return [r.userName];
  if (r.type === 'AccessKey' && r.id.startsWith('role/')) return [r.id.split('/')[1]];
  if (r.type === 'ApiCall' && r.actor.roleName) return [r.actor.roleName];
  if (r.type === 'S3Bucket' && r.principal?.userType === 'AssumedRole' && r.principal.userName) return [r.principal.userName];
  if (r.type === 'LambdaFunction' && r.roleArn) return [r.roleArn.split('/').pop()!];
  return [];
}

/** The ARNs an incident's resource or principal is known by. */
export function arnsOf(i: Incident): string[] {
  const r = i.resource;
  const iam = (kind: string, name: string) => `arn:${i.partition}:iam::${i.account}:${kind}/${name}`;
  switch (r.type) {
    case 'Instance':
      return [`arn:${i.partition}:ec2:${i.region}:${i.account}:instance/${r.id}`];
    case 'AccessKey':
      if (r.userType === 'IAMUser' && r.userName) return [iam('user', r.userName)];
      return roleNamesOf(i).map((n) => iam('role', n));
    case 'ApiCall':
      return [r.actor.arn, ...roleNamesOf(i).map((n) => iam('role', n)), r.target?.startsWith('arn:') ? r.target : undefined].filter(
        (a): a is string => !!a,
      );
    case 'GuardDutyResource':
      return r.arn ? [r.arn] : [];
    case 'S3Bucket':
      return [
        `arn:${i.partition}:s3:::${r.bucketName}`,
        ...(r.principal?.userType === 'IAMUser' && r.principal.userName ? [iam('user', r.principal.userName)] : []),
        ...roleNamesOf(i).map((n) => iam('role', n)),
      ];
    case 'LambdaFunction':
      return [
        r.functionArn ?? `arn:${i.partition}:lambda:${i.region}:${i.account}:function:${r.functionName}`,
        ...roleNamesOf(i).map((n) => iam('role', n)),
      ];
    case 'EcsTask':
      // The task and its cluster: a protected cluster's ARN holds its tasks.
      return [r.taskArn, r.cluster ? `arn:${i.partition}:ecs:${i.region}:${i.account}:cluster/${r.cluster}` : undefined].filter(
        (a): a is string => !!a,
      );
  }
}

/**
 * The hold of the configured lists (account IDs, instance IDs, ARNs, role-name patterns), first match in that order.
 * @returns the hold, or `undefined` when no list names the incident.
 */
export function listHold(i: Incident, protection: Protection): Hold | undefined {
  const held = (rule: string, entry: string, what: string): Hold => ({
    brake: 'protection',
    rule,
    entry,
    source: 'config',
    reason: `protected: ${what} is in protection.${rule === 'account-id' ? 'accountIds' : rule === 'instance-id' ? 'instanceIds' : rule === 'resource-arn' ? 'resourceArns' : 'roleNamePatterns'} (${entry}); containment waits for approval`,
  });
  if (protection.accountIds.includes(i.account)) return held('account-id', i.account, `account ${i.account}`);
  if (i.resource.type === 'Instance' && protection.instanceIds.includes(i.resource.id))
    return held('instance-id', i.resource.id, `instance ${i.resource.id}`);
  const arn = arnsOf(i).find((a) => protection.resourceArns.includes(a));
  if (arn) return held('resource-arn', arn, arn);
  for (const name of roleNamesOf(i)) {
    const pattern = protection.roleNamePatterns.find((p) => patternRegex(p).test(name));
    if (pattern) return held('role-name-pattern', pattern, `role ${name}`);
  }
  return undefined;
}

/** The tags a GuardDuty finding says its instance carries (`detail.resource.instanceDetails.tags`), or none. */
export function findingTagsOf(event: unknown): AnyTag[] {
  const tags = (event as { detail?: { resource?: { instanceDetails?: { tags?: unknown } } } } | null)?.detail?.resource?.instanceDetails
    ?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is AnyTag => !!t && typeof t === 'object') : [];
}

/**
 * The decision with the protection applied: a `contain` decision on a protected resource or principal becomes
 * `approval` with its {@link Hold}; any other decision, a manual start and a dry run are unchanged.
 * @param decision - the decision as made without brakes.
 * @param i - the incident.
 * @param protection - the deployment's protection.
 * @param findingTags - the tags the finding carries (ec2-compromise's Triage), if any.
 */
export function protectedDecision(decision: Decision, i: Incident, protection: Protection, findingTags: readonly AnyTag[] = []): Decision {
  if (decision.action !== 'contain' || !mayHold(i)) return decision;
  const hold = listHold(i, protection) ?? (i.resource.type === 'Instance' ? tagHold(findingTags, protection, 'finding') : undefined);
  return hold ? { ...decision, action: 'approval', reason: hold.reason, hold } : decision;
}
