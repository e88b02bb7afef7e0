import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GuardDutyClient } from '@aws-sdk/client-guardduty';
import { IAMClient } from '@aws-sdk/client-iam';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../core/config';
import { InvalidInput } from '../../core/errors';
import { connect, Connection, ConnectOptions } from '../../operator/connection';
import { DoctorClients, MemberReader, renderDoctor, runDoctor } from '../../operator/doctor';
import { ExitCode, Output } from '../output';
import { loadHarness } from './load-harness';

/** Options of `firebreak doctor`. */
export interface DoctorCommandOptions extends ConnectOptions {
  /** The member accounts to check. @default the connection's default account (locally, the member account) */
  readonly account?: string[];
  /** The role assumed in each member account to read its IAM roles and policies. */
  readonly readRole?: string;
  /** The organisation the bus admits (`organization.id` of the configuration). */
  readonly organizationId?: string;
  readonly json?: boolean;
}

const ACCOUNT = /^\d{12}$/;
/** IAM role names: 1-64 of letters, digits and `+=,.@_-` ("CreateRole", IAM API Reference). */
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const ORGANIZATION = /^o-[a-z0-9]{10,32}$/;

/** Checks the options before any call. @throws {InvalidInput} naming the option. */
export function assertDoctorOptions(o: DoctorCommandOptions): void {
  for (const a of o.account ?? []) if (!ACCOUNT.test(a)) throw new InvalidInput(`--account ${a}: expected a 12-digit account ID`);
  if (o.readRole !== undefined && !ROLE_NAME.test(o.readRole))
    throw new InvalidInput(`--read-role ${o.readRole}: expected an IAM role name (1-64 letters, digits and +=,.@_-)`);
  if (o.organizationId !== undefined && !ORGANIZATION.test(o.organizationId))
    throw new InvalidInput(`--organization-id ${o.organizationId}: expected an organization ID such as o-a1b2c3d4e5`);
}

/**
 * `firebreak doctor` (alias `preflight`): checks the deployment's member roles, GuardDuty administrator, bus and topic
 * (lib/operator/doctor.ts) and prints one line per check, or `--json`.
 * @returns 0 when nothing failed (skips included), 1 when a check failed.
 * @throws {InvalidInput} for a malformed option (exit 2, no AWS call).
 */
export async function doctorCommand(o: DoctorCommandOptions, output: Output): Promise<number> {
  assertDoctorOptions(o);
  const configured = o.local || o.endpoint ? {} : configuredDefaults();
  const c = await connect(o);
  const accounts = o.account?.length ? o.account : configured.memberAccountIds?.length ? configured.memberAccountIds : [c.defaultAccount];
  const members = [...new Set(accounts)];
  const { doctorExpectations } = await loadHarness(() => import('../../harness/doctor-expectations'));
  const expected = doctorExpectations({
    securityAccount: c.securityAccount,
    region: c.region,
    partition: c.partition,
    prefix: c.prefix,
    organizationId: o.organizationId ?? configured.organizationId,
  });
  const readRole = o.readRole ?? (c.kind === 'local' ? expected.roles(members[0])[0].name : undefined);
  const clients: DoctorClients = {
    events: new EventBridgeClient(c.clientConfig),
    sns: new SNSClient(c.clientConfig),
    guardduty: new GuardDutyClient(c.clientConfig),
    memberReader: (account) => memberReader(c, account, readRole),
  };
  const checks = await runDoctor(clients, expected, members);
  const failed = checks.some((x) => x.status === 'FAIL');
  if (o.json) output.out(JSON.stringify({ ok: !failed, checks }, null, 2));
  else for (const line of renderDoctor(checks)) output.out(line);
  return failed ? ExitCode.Failed : ExitCode.Ok;
}

/**
 * What the deployment's configuration says, when the CLI runs where it was deployed from: the member accounts
 * (`memberAccountIds`) and the organisation (`organization.id`) of `cdk.json`'s `firebreak` context (or of the file its
 * `firebreakConfigFile` names), the defaults of `--account` and `--organization-id`. Nothing when there is no cdk.json.
 * @throws {InvalidInput} when the configuration is invalid (ConfigError's message names the key).
 */
export function configuredDefaults(cwd = process.cwd()): { memberAccountIds?: string[]; organizationId?: string } {
  const file = path.join(cwd, 'cdk.json');
  if (!fs.existsSync(file)) return {};
  try {
    const context = ((JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> }).context ?? {}) as Record<
      string,
      unknown
    >;
    const config = loadConfig({ tryGetContext: (key) => context[key] }, { cwd });
    return { memberAccountIds: config.memberAccountIds, organizationId: config.organization?.id };
  } catch (err) {
    throw new InvalidInput(`cdk.json: ${(err as Error).message.split('\n')[0]}`);
  }
}

/**
 * A session that reads a member account's IAM: the read role assumed there (locally, the responder role: the emulator
 * enforces no trust policy), or the CLI's own credentials in its own account.
 * @throws {Error} when no read role is given for another account (the role checks are then SKIP with this reason).
 */
async function memberReader(c: Connection, account: string, readRole: string | undefined): Promise<MemberReader> {
  if (readRole === undefined) {
    if (account === c.securityAccount) return { iam: new IAMClient(c.clientConfig), kms: new KMSClient(c.clientConfig) };
    throw new Error(
      'give --read-role NAME, a role in the member account the CLI may assume with read access to IAM and KMS (e.g. the SecurityAudit managed policy)',
    );
  }
  const session = await c.sts.send(
    new AssumeRoleCommand({ RoleArn: `arn:${c.partition}:iam::${account}:role/${readRole}`, RoleSessionName: 'firebreak-doctor' }),
  );
  const k = session.Credentials!;
  const cfg = {
    ...c.clientConfig,
    credentials: { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey!, sessionToken: k.SessionToken },
  };
  return { iam: new IAMClient(cfg), kms: new KMSClient(cfg) };
}
