import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { SECURITY_HUB_WORKFLOW_MODES } from './security-hub';
import { DEFAULT_NAME_PREFIX, DEFAULT_NOT_FOUND_GRACE_SECONDS, NAME_PREFIX_PATTERN, pascalPrefix } from './names';
import { applyCatalogOverrides, CatalogOverridesSchema, DEFAULT_SEVERITY_FLOOR, HIGH_SEVERITY } from './catalog/catalog';
import { ConfigError } from './errors';
import { AUTOMATION_PRINCIPAL_MESSAGE, AUTOMATION_PRINCIPAL_PATTERN, MAX_AUTOMATION_PRINCIPALS } from './automation-principals';
import { BreakerSchema, ProtectionSchema } from './brakes';

/**
 * The deployment configuration of Firebreak's CDK app (DESIGN.md §1, "Config is validated with zod at
 * synth time and comes from `cdk.json` context or a config file. Errors name the bad key.").
 *
 * It is read from the `cdk.json` context key {@link CONFIG_CONTEXT_KEY}, or from a JSON or YAML file
 * named by the context key {@link CONFIG_FILE_CONTEXT_KEY}.
 */

/** The context key that holds the configuration object. */
export const CONFIG_CONTEXT_KEY = 'firebreak';
/** The context key that names a JSON or YAML configuration file; it replaces {@link CONFIG_CONTEXT_KEY}. */
export const CONFIG_FILE_CONTEXT_KEY = 'firebreakConfigFile';

/** The state machine's overall timeout; evidence deadlines must end before it. */
export const PLAYBOOK_TIMEOUT_SECONDS = 6 * 60 * 60;

/** How often the trails are baselined by default, in minutes (`trailBaselineIntervalMinutes`). */
export const DEFAULT_TRAIL_BASELINE_INTERVAL_MINUTES = 60;

const AccountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account ID');

/**
 * An AWS Organizations organization: `o-` and 10 to 32 lowercase letters or digits ("Organization", AWS Organizations API
 * Reference, https://docs.aws.amazon.com/organizations/latest/APIReference/API_Organization.html).
 */
const OrganizationId = z.string().regex(/^o-[a-z0-9]{10,32}$/, 'must be an organization ID such as o-a1b2c3d4e5');

/**
 * A StackSets deployment target: an organizational unit (`ou-…-…`) or the organization's root (`r-…`)
 * ("StackSetAutoDeploymentTargetSummary", AWS CloudFormation API Reference,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetAutoDeploymentTargetSummary.html).
 */
const OrganizationalUnitId = z
  .string()
  .regex(/^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$/, 'must be an organizational unit ID (ou-…) or the root ID (r-…)');

/** The organization Firebreak serves (`organization` in the configuration). */
export const OrganizationSchema = z.strictObject({
  /**
   * The organization's ID. The security account's bus then admits the forwarded events of every account of the
   * organization (`aws:PrincipalOrgID`), and no other account, instead of (or besides) a `memberAccountIds` list.
   */
  id: OrganizationId,
  /**
   * Deploy the member stack to the organization with a service-managed StackSet (`<Prefix>Member`, created by the security
   * stack, which must then be deployed in the management account or a delegated administrator for StackSets). New
   * accounts of the target OUs get the stack on their own (automatic deployment); an account that leaves them loses it.
   * Absent: no StackSet (deploy the member stack with `cdk deploy` per account, or with your own StackSet).
   */
  memberStackSet: z
    .strictObject({
      /** The OUs (or the root) whose accounts get the member stack, their child OUs included. */
      organizationalUnitIds: z.array(OrganizationalUnitId).min(1).max(10),
      /**
       * `DELEGATED_ADMIN` when the security account is a delegated administrator for StackSets (the usual case),
       * `SELF` when the security stack is deployed in the management account. @default 'DELEGATED_ADMIN'
       */
      callAs: z.enum(['SELF', 'DELEGATED_ADMIN']).default('DELEGATED_ADMIN'),
      /** Keep the member stack in an account that leaves the target OUs (its roles then stay). @default false */
      retainStacksOnAccountRemoval: z.boolean().default(false),
    })
    .optional(),
});

/** An AWS region code (`us-east-1`, `eu-west-1`, `us-gov-west-1`, `cn-north-1`). */
/** An AWS region code's shape (`us-east-1`, `eu-west-1`, `us-gov-west-1`, `cn-north-1`): the configuration's and the drills'. */
export const REGION_CODE_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const RegionCode = z.string().regex(REGION_CODE_PATTERN, 'must be an AWS region code such as us-east-1');

/** The zod schema of the deployment configuration. Unknown keys are errors. */
export const FirebreakConfigSchema = z
  .strictObject({
    /** The central security account. Absent means single-account mode (the default). */
    securityAccountId: AccountId.optional(),
    /** The member accounts the responder may act in. Empty with a security account means any account. */
    memberAccountIds: z.array(AccountId).default([]),
    /** The AWS organization of the member accounts, and optionally the member StackSet ({@link OrganizationSchema}). */
    organization: OrganizationSchema.optional(),
    /** The region both stacks deploy to. */
    region: RegionCode.default('us-east-1'),
    /**
     * Every region Firebreak responds in (issue 16): GuardDuty findings and forwarded API calls from these regions reach the
     * playbooks in the home region (`region`, which must be listed), and the responder acts in the finding's region.
     * The app then synthesizes, besides the home stacks, one member stack per other region (the transit key and forwarding
     * rules; the IAM roles are global and live only in the home member stack) and one security stack per other region (a
     * rule that forwards GuardDuty findings to the home region's default bus). At most 40, all in the home region's
     * partition (`aws`, `aws-cn`, `aws-us-gov`, ...: checked at synth), no repeats. docs/ARCHITECTURE.md, "Regions".
     * @default [region]
     */
    regions: z.array(RegionCode).min(1).max(40).optional(),
    /**
     * Default Object Lock retention of the evidence bucket, in days (1 to 36,500): every evidence object and manifest
     * version stays undeletable this long from its creation. Choose the longest of: the time an investigation and any
     * legal or regulatory hold on it can take, the retention your policies require of incident records, and the time
     * `firebreak evidence verify` must keep passing; in COMPLIANCE mode no one can shorten it, so the storage is paid
     * for that long. @default 90
     */
    evidenceRetentionDays: z.number().int().min(1).max(36500).default(90),
    /**
     * Object Lock mode of the evidence bucket's default retention. `COMPLIANCE` (the default): no one, the root user
     * included, can delete a locked version or shorten its retention until it expires, so evidence holds against an
     * attacker with administrator rights in the security account. `GOVERNANCE`: a principal with
     * `s3:BypassGovernanceRetention` could; the bucket policy then denies that action to everyone, which only someone
     * able to change the bucket policy can lift. Choose GOVERNANCE only for a test or sandbox deployment whose evidence
     * must be removable (by first changing the bucket policy).
     */
    objectLockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).default('COMPLIANCE'),
    /** Optional e-mail address subscribed to the notification topic. */
    notificationEmail: z.email('must be an e-mail address').optional(),
    /** How long an in-progress claim blocks another execution, in seconds. */
    claimLeaseSeconds: z.number().int().min(60).max(PLAYBOOK_TIMEOUT_SECONDS).default(900),
    /**
     * How long a playbook waits for \`firebreak approve\` / \`deny\` on an approval-mode finding before the
     * entry's \`approvalTimeoutAction\` applies, in seconds; it must end well before the playbook's 6 h limit.
     */
    approvalTimeoutSeconds: z
      .number()
      .int()
      .min(60)
      .max(PLAYBOOK_TIMEOUT_SECONDS - 3600)
      .default(3600),
    /** Deadline for snapshot and copy completion, in seconds; it must end before the playbook's 6 h timeout. */
    evidenceDeadlineSeconds: z
      .number()
      .int()
      .min(60)
      .max(PLAYBOOK_TIMEOUT_SECONDS - 600)
      .default(7200),
    /** credential-compromise: also delete an IAM user's console password (the deny-all policy already blocks the console). */
    removeLoginProfile: z.boolean().default(false),
    /**
     * credential-compromise, instance credentials used elsewhere: `revoke-sessions` (every session of
     * the role issued before the action) or `restrict-to-vpc` (the scoped alternative: deny the role's
     * credentials outside the instance's VPC, so the workload keeps working).
     */
    instanceCredentialResponse: z.enum(['revoke-sessions', 'restrict-to-vpc']).default('revoke-sessions'),
    /**
     * ec2-compromise: besides the deny scoped to the contained instance (always written), also revoke every session of
     * the instance's role issued before the containment (`FirebreakRevokeOlderSessions`, `aws:TokenIssueTime`). Blast
     * radius: every instance and every person using the role is denied until it gets fresh credentials (EC2 refreshes an
     * instance's role credentials on its own, and the new ones are issued after the cutoff: "Revoke IAM role temporary
     * security credentials", IAM User Guide). Off by default: the instance deny alone spares the role's other users.
     */
    revokeInstanceRoleSessions: z.boolean().default(false),
    /**
     * lambda-compromise: revoke the older sessions of a function's execution role even when other functions use the
     * role too. Revoking them breaks those functions' warm execution environments (their credentials are denied until
     * Lambda starts a new environment), so by default a shared role is not revoked: the case names the other functions
     * and a person decides (runbooks/lambda-compromise/runbook.md).
     */
    revokeSharedLambdaRole: z.boolean().default(false),
    /**
     * Security Hub workflow status of a case's GuardDuty findings (issue 16; lib/core/security-hub.ts): `off` (default:
     * Firebreak never calls Security Hub), `resolve-on-release` (NOTIFIED with a case's first page, RESOLVED when it is
     * released) or `resolve-on-containment` (RESOLVED already with the page of a contained case). Off by default because
     * it needs the security account to be the Security Hub administrator of the member accounts (else every case records
     * a denial or a finding not found), and because the workflow status is shared with every other team and tool that
     * triages in Security Hub: a deployment opts in. Only a forward change is made, never over a person's SUPPRESSED.
     * @default 'off'
     */
    securityHubWorkflow: z.enum(SECURITY_HUB_WORKFLOW_MODES).default('off'),
    /**
     * Per-entry changes to the finding catalog, by entry ID: `mode` (`auto` | `notify`) and, for
     * credential-compromise entries, `chainInstanceContainment` (also contain the instance whose
     * credentials leaked). Routing is not changed. @default {}
     */
    catalogOverrides: z._default(CatalogOverridesSchema, {}),
    /**
     * The severity floor (GuardDuty severity, 0 to 7): every GuardDuty finding at or above it opens a case or
     * is contained; findings below it are only counted (metric \`Firebreak/FindingsBelowFloor\`). It cannot
     * be above High (7.0): High findings are never hidden. @default 4 (Medium)
     */
    severityFloor: z
      .number()
      .min(0)
      .max(HIGH_SEVERITY, `must be at most ${HIGH_SEVERITY} (High findings are never below the floor)`)
      .default(DEFAULT_SEVERITY_FLOOR),
    /**
     * How long, in seconds, an instance EC2 answers "not found" for is looked for again (with backoff)
     * before its case ends RESOURCE_GONE: EC2 is eventually consistent. A terminated instance is gone at
     * once. At most 60, so that the steps that describe the instance (120 s Lambda timeouts) still end
     * RESOURCE_GONE rather than time out. @default 30
     */
    notFoundGraceSeconds: z.number().int().min(0).max(60).default(DEFAULT_NOT_FOUND_GRACE_SECONDS),
    /**
     * cloudtrail-tamper: the automation roles (full role ARNs, `*` only in the path and name: lib/core/automation-principals.ts)
     * whose logging reductions get restore-and-notify instead of a revocation of their sessions. @default []
     */
    tamperAutomationPrincipals: z
      .array(z.string().regex(AUTOMATION_PRINCIPAL_PATTERN, AUTOMATION_PRINCIPAL_MESSAGE))
      .max(MAX_AUTOMATION_PRINCIPALS)
      .default([]),
    /**
     * cloudtrail-tamper: how often, in minutes, Firebreak reads every trail of the member accounts and stores it as the
     * trail's baseline (the `record-trail-baselines` step; it also runs after each deployment). 5 to 1440; @default 60:
     * a baseline is then at most an hour older than the change it judges, for 24 runs a day of one DescribeTrails and
     * two reads per trail per account (CloudTrail's read APIs, well inside their rate limits).
     */
    trailBaselineIntervalMinutes: z.number().int().min(5).max(1440).default(DEFAULT_TRAIL_BASELINE_INTERVAL_MINUTES),
    /**
     * The name prefix of every physical name of the deployment (lib/core/names.ts, {@link NAME_PREFIX_PATTERN}), so
     * that two deployments can share an account and region. @default 'firebreak'
     */
    prefix: z
      .string()
      .regex(
        NAME_PREFIX_PATTERN,
        'must be 1-20 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen',
      )
      .default(DEFAULT_NAME_PREFIX),
    /** Name of the role the responder assumes in member accounts. @default `<Prefix>Responder` (`FirebreakResponder`) */
    responderRoleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, 'must be a valid IAM role name (1-64 characters of [A-Za-z0-9+=,.@_-])')
      .optional(),
    /**
     * Name of the role the release playbook assumes in member accounts. It is a separate role from the
     * responder's (separation of duties: the role that contains cannot release, and the other way round).
     * @default `<Prefix>Releaser` (`FirebreakReleaser`)
     */
    releaserRoleName: z
      .string()
      .regex(/^[\w+=,.@-]{1,64}$/, 'must be a valid IAM role name (1-64 characters of [A-Za-z0-9+=,.@_-])')
      .optional(),
    /**
     * Protected resources and principals (issue 14): a finding on one never contains automatically, its case waits for
     * approval and says which rule held it. `tagKey` (default `firebreak:protect`), `instanceIds`, `resourceArns`,
     * `accountIds`, `roleNamePatterns` (`*` any run). @default every list empty, the default tag key
     */
    protection: z._default(ProtectionSchema, () => ProtectionSchema.parse({})),
    /**
     * The blast-radius breaker (issue 14): at most `perAccount` (default 5) automatic containments per member account and
     * `perOrganization` (default 20) in all, in a sliding window of `windowSeconds` (default 3600); past it, cases wait for
     * approval and one page goes out per trip.
     */
    breaker: z._default(BreakerSchema, () => BreakerSchema.parse({})),
  })
  .transform((cfg) => ({
    ...cfg,
    responderRoleName: cfg.responderRoleName ?? `${pascalPrefix(cfg.prefix)}Responder`,
    releaserRoleName: cfg.releaserRoleName ?? `${pascalPrefix(cfg.prefix)}Releaser`,
    regions: cfg.regions ?? [cfg.region],
  }))
  .superRefine((cfg, ctx) => {
    try {
      applyCatalogOverrides(cfg.catalogOverrides);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['catalogOverrides'], message: (err as Error).message });
    }
    if (cfg.releaserRoleName === cfg.responderRoleName) {
      ctx.addIssue({
        code: 'custom',
        path: ['releaserRoleName'],
        message: 'must differ from responderRoleName (release is a separate permission from containment)',
      });
    }
    if (cfg.securityAccountId === undefined && cfg.memberAccountIds.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['memberAccountIds'],
        message: 'requires securityAccountId (single-account mode acts in its own account only)',
      });
    }
    if (cfg.securityAccountId === undefined && cfg.organization !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['organization'],
        message: 'requires securityAccountId (single-account mode acts in its own account only)',
      });
    }
    for (const message of regionIssues(cfg.region, cfg.regions)) ctx.addIssue({ code: 'custom', path: ['regions'], message });
    if (cfg.securityAccountId !== undefined && cfg.memberAccountIds.includes(cfg.securityAccountId)) {
      ctx.addIssue({
        code: 'custom',
        path: ['memberAccountIds'],
        message: 'must not contain securityAccountId',
      });
    }
  });

/**
 * What is wrong with a deployment's regions: the home region not listed, or a repeat. (A region of another partition is
 * refused at synth, by lib/infra/regions.ts: core does not import the SDK's partition map.)
 * @param home - the home region (`region`).
 * @param regions - the regions listed.
 * @returns one message per problem; empty when the regions are valid.
 */
export function regionIssues(home: string, regions: readonly string[]): string[] {
  const issues: string[] = [];
  if (!regions.includes(home)) issues.push(`must include the home region ${home} (the key "region")`);
  const repeated = regions.filter((r, i) => regions.indexOf(r) !== i);
  if (repeated.length) issues.push(`lists ${[...new Set(repeated)].join(', ')} more than once`);
  return issues;
}

/** The validated deployment configuration, defaults applied. */
export type FirebreakConfig = z.output<typeof FirebreakConfigSchema>;
/** The configuration as written by a user (every defaulted field optional). */
export type FirebreakConfigInput = z.input<typeof FirebreakConfigSchema>;

/** Anything that reads CDK context, such as `app.node`. */
export interface ContextReader {
  tryGetContext(key: string): unknown;
}

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * Directory that a relative `firebreakConfigFile` is resolved against.
   * @default process.cwd()
   */
  readonly cwd?: string;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (where ? `${where}.${k}` : k));
    return `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`;
  }
  return `${where || '(root)'}: ${issue.message}`;
}

/**
 * Validates a raw configuration object and applies the defaults.
 * @param raw - the object from cdk.json context or from a config file.
 * @param origin - where it came from, for the error message (e.g. `cdk.json context "firebreak"`).
 * @returns the validated configuration.
 * @throws {ConfigError} when a key is malformed or unknown; the message names the key.
 */
export function parseConfig(raw: unknown, origin = `context "${CONFIG_CONTEXT_KEY}"`): FirebreakConfig {
  const parsed = FirebreakConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const details = parsed.error.issues.map(describeIssue).join('; ');
    throw new ConfigError(`Invalid Firebreak configuration (${origin}): ${details}`, { cause: parsed.error });
  }
  return parsed.data;
}

function readConfigFile(file: string, cwd: string): unknown {
  const fullPath = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(fullPath, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read the Firebreak config file named by "${CONFIG_FILE_CONTEXT_KEY}": ${fullPath}`, { cause: err });
  }
  try {
    return /\.ya?ml$/i.test(fullPath) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`The Firebreak config file ${fullPath} is not valid ${/\.ya?ml$/i.test(fullPath) ? 'YAML' : 'JSON'}`, {
      cause: err,
    });
  }
}

function contextValue(value: unknown): unknown {
  // `cdk synth -c firebreak='{"region":"eu-west-1"}'` passes a string.
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch (err) {
    throw new ConfigError(`Context "${CONFIG_CONTEXT_KEY}" is a string that is not JSON`, { cause: err });
  }
}

/**
 * Reads the deployment configuration from CDK context.
 *
 * When the context key `firebreakConfigFile` names a file (`.json`, `.yaml` or `.yml`), that file is
 * the whole configuration and the `firebreak` context key is ignored. Otherwise the `firebreak`
 * context key is used; when it is absent every default applies (single-account mode).
 * @param context - where context is read from, usually `app.node`.
 * @param options - see {@link LoadConfigOptions}.
 * @returns the validated configuration.
 * @throws {ConfigError} when the file cannot be read or parsed, or a key is malformed or unknown; the
 *   message names the key.
 */
export function loadConfig(context: ContextReader, options: LoadConfigOptions = {}): FirebreakConfig {
  const file = context.tryGetContext(CONFIG_FILE_CONTEXT_KEY);
  if (file !== undefined && file !== null && file !== '') {
    if (typeof file !== 'string') throw new ConfigError(`Context "${CONFIG_FILE_CONTEXT_KEY}" must be a file path`);
    return parseConfig(readConfigFile(file, options.cwd ?? process.cwd()), `file ${file}`);
  }
  return parseConfig(contextValue(context.tryGetContext(CONFIG_CONTEXT_KEY)), `context "${CONFIG_CONTEXT_KEY}"`);
}
