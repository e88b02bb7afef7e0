/**
 * `firebreak doctor` (alias `preflight`, issue 16): checks, before the first real finding, that a deployment can act.
 * Per member account: the responder and releaser roles exist, their trust admits the security account's step roles that
 * assume them, and their policies allow every action the member stack grants them (lib/infra/member-policies.ts, the
 * source of truth). Per region of the security account: GuardDuty's delegated administrator, the bus and its policy,
 * the topic's confirmed subscriptions. Every function takes its clients; nothing here changes anything.
 *
 * What a PASS proves, and what it cannot: policies are read as deployed and evaluated with iam-simulate
 * (https://github.com/cloud-copilot/iam-simulate); no AssumeRole is tried as the step roles, since the CLI's identity is
 * not one of them (and moto does not enforce trust policies, so trying would prove nothing locally). A PASS cannot see
 * service or resource control policies of the organisation, permission boundaries, or the step roles' own policies in
 * the security account (those the security stack deploys, and its tests simulate).
 */
import { DescribeEventBusCommand, EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GuardDutyClient, ListOrganizationAdminAccountsCommand } from '@aws-sdk/client-guardduty';
import {
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { hasAwsCode } from '../runtime/aws-errors';

/** The outcome of one check. SKIP: the check could not be made or does not apply (the reason says which). */
export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

/** One line of the doctor's table. */
export interface DoctorCheck {
  /** e.g. `role FirebreakResponder`, `permissions FirebreakReleaser`, `guardduty admin`, `bus`, `topic`. */
  readonly check: string;
  readonly account: string;
  readonly region: string;
  readonly status: CheckStatus;
  /** Why, precisely: what was read and what it lacks. */
  readonly reason: string;
}

/** An IAM policy statement (identity, trust or resource policy). */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly NotResource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
  readonly Version: string;
  readonly Statement: readonly PolicyStatement[];
}

/** A member role as the member stack synthesizes it, resolved for one account. */
export interface ExpectedRole {
  readonly kind: 'responder' | 'releaser';
  readonly name: string;
  /** The security account's step roles that assume it (`arn:<partition>:iam::<security>:role/<prefix>-<step>`). */
  readonly trustedPrincipals: readonly string[];
  /** Every statement of its policies (inline and managed). */
  readonly policy: PolicyDocument;
}

/** What the doctor compares with (lib/harness/doctor-expectations.ts builds it from the synthesized member stack). */
export interface DoctorExpectations {
  readonly securityAccount: string;
  readonly region: string;
  readonly partition: string;
  readonly busName: string;
  readonly topicName: string;
  readonly transitKeyAlias: string;
  /** The organisation whose accounts the bus admits (`aws:PrincipalOrgID`), if any. */
  readonly organizationId?: string;
  /** One event a member account forwards (its source and detail type: the bus policy admits only those). */
  readonly forwardedEvent: { readonly source: string; readonly detailType: string };
  /** The two roles, resolved for a member account; `transitKeyArn` is the deployed transit key when it could be read. */
  roles(account: string, transitKeyArn?: string): ExpectedRole[];
}

/** Clients in a member account, through a session that may read IAM there. */
export interface MemberReader {
  readonly iam: IAMClient;
  readonly kms: KMSClient;
}

/** The doctor's clients: the security account's, and a way to read each member account. */
export interface DoctorClients {
  readonly events: EventBridgeClient;
  readonly sns: SNSClient;
  readonly guardduty: GuardDutyClient;
  /**
   * A session in the member account that can read its IAM roles and policies.
   * @throws {Error} when none can be had; the role checks of that account are then SKIP with the error's message.
   */
  memberReader(account: string): Promise<MemberReader>;
}

/**
 * Runs every check: the member accounts' roles, then the security account's GuardDuty administrator, bus and topic.
 * @param memberAccounts - the member accounts to check (12 digits each, already validated).
 * @returns one line per check, in that order.
 */
export async function runDoctor(
  clients: DoctorClients,
  expected: DoctorExpectations,
  memberAccounts: readonly string[],
): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const account of memberAccounts) checks.push(...(await memberChecks(clients, expected, account)));
  const others = memberAccounts.filter((a) => a !== expected.securityAccount);
  checks.push(await guardDutyCheck(clients.guardduty, expected, others.length === 0));
  checks.push(await busCheck(clients.events, expected, others));
  checks.push(await topicCheck(clients.sns, expected));
  return checks;
}

/** The checks of one member account: for each role, it exists and is trusted, and it holds its steps' actions. */
async function memberChecks(clients: DoctorClients, expected: DoctorExpectations, account: string): Promise<DoctorCheck[]> {
  const line = (check: string, status: CheckStatus, reason: string): DoctorCheck => ({
    check,
    account,
    region: expected.region,
    status,
    reason,
  });
  let reader: MemberReader;
  try {
    reader = await clients.memberReader(account);
  } catch (err) {
    const why = `cannot read the account's IAM: ${(err as Error).message}`;
    return expected.roles(account).flatMap((r) => [line(`role ${r.name}`, 'SKIP', why), line(`permissions ${r.name}`, 'SKIP', why)]);
  }
  const transitKeyArn = await reader.kms
    .send(new DescribeKeyCommand({ KeyId: expected.transitKeyAlias }))
    .then((k) => k.KeyMetadata?.Arn)
    .catch(() => undefined);
  const out: DoctorCheck[] = [];
  for (const role of expected.roles(account, transitKeyArn)) {
    const trust = await roleCheck(reader.iam, role, account);
    out.push(line(`role ${role.name}`, trust.status, trust.reason));
    if (trust.status === 'FAIL' && trust.missing) {
      out.push(line(`permissions ${role.name}`, 'SKIP', `the role does not exist`));
      continue;
    }
    const perms = await permissionsCheck(reader.iam, role, account);
    out.push(line(`permissions ${role.name}`, perms.status, perms.reason));
  }
  return out;
}

/** A policy document as IAM returns it: URL-encoded JSON ("GetRole", IAM API Reference); anything else is refused. */
export function parsePolicyDocument(text: string | undefined): PolicyDocument {
  if (!text) throw new Error('no policy document');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = JSON.parse(decodeURIComponent(text));
  }
  const statements = (doc as { Statement?: unknown }).Statement;
  if (!Array.isArray(statements) && (typeof statements !== 'object' || statements === null))
    throw new Error('the policy document has no Statement');
  return { Version: '2012-10-17', Statement: (Array.isArray(statements) ? statements : [statements]) as PolicyStatement[] };
}

/**
 * The role exists (IAM GetRole) and its trust policy, as deployed, admits each step role that assumes it: evaluated with
 * iam-simulate, the caller given an identity policy that allows sts:AssumeRole (what the security stack grants the step
 * roles), so only the trust policy decides. Judged by reading, not by trying AssumeRole (see the module's comment).
 */
async function roleCheck(
  iam: IAMClient,
  role: ExpectedRole,
  account: string,
): Promise<{ status: CheckStatus; reason: string; missing?: boolean }> {
  let trust: PolicyDocument;
  try {
    const got = await iam.send(new GetRoleCommand({ RoleName: role.name }));
    trust = parsePolicyDocument(got.Role?.AssumeRolePolicyDocument);
  } catch (err) {
    if (hasAwsCode(err, 'NoSuchEntity', 'NoSuchEntityException'))
      return { status: 'FAIL', missing: true, reason: `role ${role.name} does not exist in ${account}: deploy the member stack there` };
    return { status: 'FAIL', reason: `cannot read role ${role.name}: ${(err as Error).message}` };
  }
  const arn = `arn:${partitionOf(role)}:iam::${account}:role/${role.name}`;
  const refused: string[] = [];
  for (const principal of role.trustedPrincipals) {
    const allowed = await simulate({
      principal,
      action: 'sts:AssumeRole',
      resource: arn,
      account,
      context: { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': principal.split(':')[4] },
      identityPolicy: allowAll('sts:AssumeRole'),
      resourcePolicy: trust,
    });
    if (allowed !== true) refused.push(principal);
  }
  if (refused.length > 0)
    return {
      status: 'FAIL',
      reason: `the trust policy of ${role.name} does not admit ${refused.join(', ')} (the ${role.kind} step roles that assume it)`,
    };
  return {
    status: 'PASS',
    reason: `exists; its trust policy admits the ${role.trustedPrincipals.length} ${role.kind} step roles (read and simulated, not tried)`,
  };
}

/** The partition of a role's expected ARNs (from its first trusted principal). */
function partitionOf(role: ExpectedRole): string {
  return role.trustedPrincipals[0]?.split(':')[1] ?? 'aws';
}

/** An identity policy allowing one action everywhere. */
function allowAll(action: string): PolicyDocument {
  return { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] };
}

/** One simulated request. */
interface SimulatedRequest {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly account: string;
  readonly context: Record<string, string | string[]>;
  readonly identityPolicy: PolicyDocument | readonly PolicyDocument[];
  readonly resourcePolicy?: PolicyDocument;
}

/**
 * Whether IAM would allow the request, with iam-simulate.
 * @returns true or false; undefined when the request cannot be evaluated (iam-simulate's errors: a resource that is not
 *   one of the action's resource types, e.g. a statement granting several actions on several resource types, or a
 *   malformed policy).
 */
async function simulate(r: SimulatedRequest): Promise<boolean | undefined> {
  const identity = (Array.isArray(r.identityPolicy) ? r.identityPolicy : [r.identityPolicy]) as PolicyDocument[];
  const result = (await runSimulation(
    {
      request: {
        principal: r.principal,
        action: r.action,
        resource: { resource: r.resource, accountId: r.account },
        contextVariables: r.context,
      },
      identityPolicies: identity.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(r.resourcePolicy ? { resourcePolicy: r.resourcePolicy } : {}),
    } as never,
    {},
  )) as { overallResult?: string; errors?: unknown };
  if (!result.overallResult) return undefined;
  return result.overallResult === 'Allowed';
}

/**
 * The role's policies as deployed: its inline policies (ListRolePolicies, GetRolePolicy) and the default version of
 * each managed policy attached to it (ListAttachedRolePolicies, GetPolicy, GetPolicyVersion), IAM API Reference.
 */
export async function deployedPolicies(iam: IAMClient, roleName: string): Promise<PolicyDocument[]> {
  const out: PolicyDocument[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(new ListRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const name of page.PolicyNames ?? []) {
      const p = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
      out.push(parsePolicyDocument(p.PolicyDocument));
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  do {
    const page = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    for (const attached of page.AttachedPolicies ?? []) {
      const policy = await iam.send(new GetPolicyCommand({ PolicyArn: attached.PolicyArn }));
      const version = await iam.send(
        new GetPolicyVersionCommand({ PolicyArn: attached.PolicyArn, VersionId: policy.Policy?.DefaultVersionId }),
      );
      out.push(parsePolicyDocument(version.PolicyVersion?.Document));
    }
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return out;
}

/** A request the expected policy allows: one action on one of its resources, with a context its conditions accept. */
export interface Witness {
  /** The same for the variants of one action on one resource pattern: the first the expected policy allows is used. */
  readonly grant: number;
  readonly action: string;
  readonly resource: string;
  readonly context: Record<string, string | string[]>;
}

/** What a wildcard in an expected ARN or `*Like` condition value is replaced by (matching no protected-role pattern). */
const SAMPLE = 'doctor-sample';

/**
 * The requests that stand for an expected policy's grants: for each Allow statement, each action on each resource
 * (wildcards in an ARN replaced by a sample name, or by two, `sample/sample`, for the resource types whose ID has two
 * parts, such as an ECS task's `<cluster>/<id>`; `*` alone, for actions with no resource type, kept), with context values that meet its conditions (`*Equals`, `*Like`, `Bool`,
 * `Null: false`; negated operators and `Null: true` are met by leaving the key out).
 */
export function witnesses(policy: PolicyDocument): Witness[] {
  const out: Witness[] = [];
  let grant = 0;
  for (const s of policy.Statement) {
    if (s.Effect !== 'Allow' || s.Action === undefined || s.Resource === undefined) continue;
    const context = contextMeeting(s.Condition ?? {});
    for (const action of list(s.Action))
      for (const resource of list(s.Resource)) {
        grant += 1;
        for (const sample of resource === '*' ? ['*'] : [SAMPLE, `${SAMPLE}/${SAMPLE}`])
          out.push({ grant, action, resource: resource === '*' ? '*' : resource.replace(/\*/g, sample).replace(/\?/g, 'x'), context });
      }
  }
  return out;
}

/** Context values that meet a statement's conditions (see {@link witnesses}). */
function contextMeeting(condition: NonNullable<PolicyStatement['Condition']>): Record<string, string | string[]> {
  const context: Record<string, string | string[]> = {};
  for (const [operator, keys] of Object.entries(condition)) {
    const set = /^For(All|Any)Values:/.test(operator);
    const base = operator.replace(/^For(All|Any)Values:/, '').replace(/IfExists$/, '');
    for (const [key, raw] of Object.entries(keys)) {
      const first = String(list(raw as string | string[])[0]);
      if (/Not/.test(base) || (base === 'Null' && first === 'true')) continue;
      if (base === 'Null' && key in context) continue; // `Null: false` is met by the value another operator gave
      const value = base === 'Null' ? SAMPLE : /Like$/.test(base) ? first.replace(/\*/g, SAMPLE) : first;
      context[key] = set ? [value] : value;
    }
  }
  return context;
}

/** Every value as a list. */
function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The witnesses the expected policy allows, by policy and account (the same for every run of one process). */
const standing = new Map<string, Witness[]>();

/**
 * The witnesses the expected policy itself allows: a witness it does not (a resource that is not one of the action's
 * types) stands for nothing. Cached per expected policy and request shape.
 */
async function standingWitnesses(
  policy: PolicyDocument,
  all: readonly Witness[],
  request: (w: Witness) => Omit<SimulatedRequest, 'identityPolicy'>,
): Promise<Witness[]> {
  const key = JSON.stringify([policy, all.length ? request(all[0]).principal : '']);
  let out = standing.get(key);
  if (!out) {
    out = [];
    const allowedGrants = new Set<number>();
    for (const w of all) {
      if (allowedGrants.has(w.grant)) continue;
      if ((await simulate({ ...request(w), identityPolicy: policy })) === true) {
        allowedGrants.add(w.grant);
        out.push(w);
      }
    }
    standing.set(key, out);
  }
  return out;
}

/**
 * The key policy a KMS request is simulated under: the default one, which lets the account's IAM policies decide
 * ("Default key policy", AWS KMS Developer Guide: without a key policy statement for the account, IAM policies grant
 * nothing on a key). The member stack's transit key has it; the check is of the role's policies, not of key policies.
 */
function accountKeyPolicy(account: string, partition: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:${partition}:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

/** Whether an action pattern of a policy (`ec2:Describe*`, `*`) matches an action (IAM matches them case-insensitively). */
function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return re.test(action);
}

/**
 * The role holds what its steps call: each {@link witnesses witness} of the expected policy that the expected policy
 * itself allows must be allowed by the deployed policies (simulated); an action no witness can stand for (a resource
 * pattern such as `rds:…:*:firebreak-*` that names no one resource type) must at least be in an Allow statement of the
 * deployed policies (by name). A missing action is named, with the resource it was tried on.
 */
async function permissionsCheck(iam: IAMClient, role: ExpectedRole, account: string): Promise<{ status: CheckStatus; reason: string }> {
  let deployed: PolicyDocument[];
  try {
    deployed = await deployedPolicies(iam, role.name);
  } catch (err) {
    return { status: 'FAIL', reason: `cannot read the policies of ${role.name}: ${(err as Error).message}` };
  }
  const partition = partitionOf(role);
  const principal = `arn:${partition}:iam::${account}:role/${role.name}`;
  const missing = new Map<string, string>();
  const all = witnesses(role.policy);
  const covered = new Set<string>();
  const grants = new Set<number>();
  const request = (w: Witness) => ({
    principal,
    action: w.action,
    resource: w.resource,
    account,
    context: w.context,
    ...(w.action.startsWith('kms:') ? { resourcePolicy: accountKeyPolicy(account, partition) } : {}),
  });
  for (const w of await standingWitnesses(role.policy, all, request)) {
    if (missing.has(w.action) || grants.has(w.grant)) continue;
    grants.add(w.grant);
    covered.add(w.action);
    if ((await simulate({ ...request(w), identityPolicy: deployed })) !== true) missing.set(w.action, w.resource);
  }
  const byName = [...new Set(all.map((w) => w.action))].filter((a) => !covered.has(a));
  const allowedByName = (action: string) =>
    deployed.some((d) => d.Statement.some((st) => st.Effect === 'Allow' && list(st.Action).some((p) => actionMatches(p, action))));
  for (const action of byName) if (!allowedByName(action)) missing.set(action, 'any resource');
  if (missing.size > 0)
    return {
      status: 'FAIL',
      reason: `${role.name} is not allowed ${[...missing].map(([a, r]) => `${a} (on ${r})`).join(', ')}, which its steps call`,
    };
  return {
    status: 'PASS',
    reason: `allows all ${grants.size} action-resource grants of the member stack's ${role.kind} policy (simulated)${byName.length ? `, and ${byName.length} more actions by name` : ''}`,
  };
}

/**
 * GuardDuty's delegated administrator for the organisation is the security account (GuardDuty
 * ListOrganizationAdminAccounts, https://docs.aws.amazon.com/guardduty/latest/APIReference/API_ListOrganizationAdminAccounts.html:
 * only the organisation's management account may call it, so from any other account the check is SKIP with that
 * reason). Not applicable in single-account mode (no member account but the security account itself).
 */
async function guardDutyCheck(guardduty: GuardDutyClient, expected: DoctorExpectations, singleAccount: boolean): Promise<DoctorCheck> {
  const line = (status: CheckStatus, reason: string): DoctorCheck => ({
    check: 'guardduty admin',
    account: expected.securityAccount,
    region: expected.region,
    status,
    reason,
  });
  if (singleAccount) return line('SKIP', 'not applicable: single-account mode (the findings are the account’s own)');
  let admins: { AdminAccountId?: string; AdminStatus?: string }[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await guardduty.send(new ListOrganizationAdminAccountsCommand({ NextToken: token }));
      admins = admins.concat(page.AdminAccounts ?? []);
      token = page.NextToken;
    } while (token);
  } catch (err) {
    if (hasAwsCode(err, 'AccessDeniedException', 'BadRequestException'))
      return line(
        'SKIP',
        `ListOrganizationAdminAccounts refused (${(err as Error).name}): only the organisation's management account may call it; run doctor with its --profile, or check the GuardDuty console's Settings`,
      );
    throw err;
  }
  const enabled = admins.filter((a) => a.AdminStatus === 'ENABLED').map((a) => a.AdminAccountId);
  if (enabled.includes(expected.securityAccount))
    return line('PASS', `the security account is GuardDuty's delegated administrator in ${expected.region}`);
  return line(
    'FAIL',
    enabled.length === 0
      ? `GuardDuty has no delegated administrator in ${expected.region}: findings of member accounts never reach the security account`
      : `GuardDuty's delegated administrator in ${expected.region} is ${enabled.join(', ')}, not the security account`,
  );
}

/**
 * The security account's bus exists (EventBridge DescribeEventBus) and its policy admits each member account's forwarded
 * events: events:PutEvents by a role of the member account with one forwarded source and detail type, and the
 * organisation's ID as `aws:PrincipalOrgID` when the bus admits an organisation, evaluated with iam-simulate.
 */
async function busCheck(events: EventBridgeClient, expected: DoctorExpectations, members: readonly string[]): Promise<DoctorCheck> {
  const line = (status: CheckStatus, reason: string): DoctorCheck => ({
    check: `bus ${expected.busName}`,
    account: expected.securityAccount,
    region: expected.region,
    status,
    reason,
  });
  let policyText: string | undefined;
  let arn: string;
  try {
    const bus = await events.send(new DescribeEventBusCommand({ Name: expected.busName }));
    policyText = bus.Policy;
    arn = bus.Arn!;
  } catch (err) {
    if (hasAwsCode(err, 'ResourceNotFoundException'))
      return line('FAIL', `the bus ${expected.busName} does not exist: deploy the security stack`);
    throw err;
  }
  if (members.length === 0) return line('PASS', 'exists (single-account mode: the member stack forwards on the same account)');
  if (!policyText) return line('FAIL', `the bus has no policy: no member account can forward events to it`);
  let policy: PolicyDocument;
  try {
    policy = parsePolicyDocument(policyText);
  } catch (err) {
    return line('FAIL', `the bus policy cannot be read: ${(err as Error).message}`);
  }
  const refused: string[] = [];
  for (const account of members) {
    const principal = `arn:${expected.partition}:iam::${account}:role/doctor-forwarding`;
    const allowed = await simulate({
      principal,
      action: 'events:PutEvents',
      resource: arn,
      account: expected.securityAccount,
      context: {
        'aws:PrincipalArn': principal,
        'aws:PrincipalAccount': account,
        ...(expected.organizationId ? { 'aws:PrincipalOrgID': expected.organizationId } : {}),
        'events:source': expected.forwardedEvent.source,
        'events:detail-type': expected.forwardedEvent.detailType,
      },
      identityPolicy: allowAll('events:PutEvents'),
      resourcePolicy: policy,
    });
    if (allowed !== true) refused.push(account);
  }
  if (refused.length > 0) return line('FAIL', `the bus policy does not admit the forwarded events of ${refused.join(', ')}`);
  return line('PASS', `exists; its policy admits the forwarded events of ${members.join(', ')}`);
}

/**
 * The notification topic has at least one confirmed subscription (SNS ListSubscriptionsByTopic: an unconfirmed one is
 * listed with the ARN `PendingConfirmation`, https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html). None
 * confirmed is a failure: pages would reach nobody.
 */
async function topicCheck(sns: SNSClient, expected: DoctorExpectations): Promise<DoctorCheck> {
  const topicArn = `arn:${expected.partition}:sns:${expected.region}:${expected.securityAccount}:${expected.topicName}`;
  const line = (status: CheckStatus, reason: string): DoctorCheck => ({
    check: `topic ${expected.topicName}`,
    account: expected.securityAccount,
    region: expected.region,
    status,
    reason,
  });
  const subscriptions: { SubscriptionArn?: string; Protocol?: string }[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken: token }));
      subscriptions.push(...(page.Subscriptions ?? []));
      token = page.NextToken;
    } while (token);
  } catch (err) {
    if (hasAwsCode(err, 'NotFound', 'NotFoundException'))
      return line('FAIL', `the topic ${topicArn} does not exist: deploy the security stack`);
    throw err;
  }
  const confirmed = subscriptions.filter((s) => s.SubscriptionArn?.startsWith('arn:'));
  const pending = subscriptions.filter((s) => s.SubscriptionArn === 'PendingConfirmation');
  if (confirmed.length > 0)
    return line('PASS', `${confirmed.length} confirmed subscription(s) (${[...new Set(confirmed.map((s) => s.Protocol))].join(', ')})`);
  return line(
    'FAIL',
    subscriptions.length === 0
      ? 'no subscription: pages would reach nobody; subscribe an address and confirm it'
      : `no confirmed subscription (${pending.length} pending confirmation: ${[...new Set(pending.map((s) => s.Protocol))].join(', ')}): pages would reach nobody until one is confirmed`,
  );
}

/**
 * The doctor's table, aligned: check, account, region, status, reason (the lines go through the CLI's safe output).
 * @returns the header, one line per check, and a summary line.
 */
export function renderDoctor(checks: readonly DoctorCheck[]): string[] {
  const rows = [
    ['CHECK', 'ACCOUNT', 'REGION', 'RESULT', 'REASON'],
    ...checks.map((c) => [c.check, c.account, c.region, c.status, c.reason]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const lines = rows.map((r) => r.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).join('  '));
  const count = (s: CheckStatus) => checks.filter((c) => c.status === s).length;
  return [...lines, `${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`];
}
