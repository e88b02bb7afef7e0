import * as z from 'zod/mini';
import './zod-locale';
import { CatalogOverridesSchema, DEFAULT_SEVERITY_FLOOR, HIGH_SEVERITY } from '../catalog/catalog';
import { ConfigError } from '../errors';
import { DEFAULT_NOT_FOUND_GRACE_SECONDS } from '../names';
import { AUTOMATION_PRINCIPAL_MESSAGE, AUTOMATION_PRINCIPAL_PATTERN } from '../automation-principals';
import { BreakerSchema, ProtectionSchema } from '../brakes';
import { SECURITY_HUB_WORKFLOW_MODES } from '../security-hub';

/**
 * The Lambda environment of the playbook steps: the one schema that both the CDK stacks (the writer, through
 * {@link stepEnvironment}, {@link chainingEnvironment}, {@link functionEnvironment}) and the runtime (the reader,
 * `loadRuntimeConfig` in lib/runtime/config.ts) use; the local runner sets the local variables through
 * {@link encodeEnvironment}. Each variable is documented here once; docs/ARCHITECTURE.md ("Runtime configuration")
 * lists them. Values are strings in the environment: the schema parses them into numbers, booleans and JSON,
 * and the writers turn those back into strings ({@link encodeValue}), so what the stack writes is what the runtime reads.
 *
 * The schema is the union of five parts, one per writer: {@link StackEnvironmentSchema} (the security account's
 * stack, every step), {@link ChainingEnvironmentSchema} (the stack, the steps that start the ec2-compromise playbook),
 * {@link FunctionEnvironmentSchema} (the `ResponderFunction` construct), {@link LambdaRuntimeEnvironmentSchema} (the
 * Lambda runtime) and {@link LocalEnvironmentSchema} (local runs only).
 */

/** An empty variable counts as unset (so its default applies), never as 0. */
const unsetIfEmpty = (v: unknown) => (v === '' ? undefined : v);

/** JSON text parsed, a syntax error being an issue of the variable (its message is JSON.parse's). */
const jsonText = z.pipe(
  z.string(),
  z.transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch (err) {
      ctx.issues.push({ code: 'custom', message: (err as Error).message, input: text });
      return z.NEVER;
    }
  }),
);

/** Set by the security account's stack (`FirebreakSecurityAccount`) on every step's function, from the deployment config. */
export const StackEnvironmentSchema = z.object({
  /** Name of the DynamoDB case ledger table (`<prefix>-ledger`). */
  FIREBREAK_LEDGER_TABLE: z.string().check(z.minLength(1)),
  /** Name of the evidence bucket (security account). */
  FIREBREAK_EVIDENCE_BUCKET: z.string().check(z.minLength(1)),
  /** ARN of the security account's CMK of the evidence bucket and of the final snapshot copies. */
  FIREBREAK_EVIDENCE_KEY_ARN: z.string().check(z.startsWith('arn:')),
  /** Alias of the member accounts' CMK that re-encrypts snapshots before sharing (`alias/<prefix>-evidence-transit`). */
  FIREBREAK_TRANSIT_KEY_ALIAS: z._default(z.string().check(z.startsWith('alias/')), 'alias/firebreak-evidence-transit'),
  /** ARN of the SNS topic of notifications. */
  FIREBREAK_TOPIC_ARN: z.string().check(z.startsWith('arn:')),
  /** Name of the role the containment steps assume in member accounts (config `responderRoleName`; default `FirebreakResponder`). */
  FIREBREAK_RESPONDER_ROLE_NAME: z._default(z.string().check(z.minLength(1)), 'FirebreakResponder'),
  /**
   * Name of the role the release steps assume in member accounts (config `releaserRoleName`, never the responder's:
   * separation of duties); empty or unset means `FirebreakReleaser`.
   */
  FIREBREAK_RELEASER_ROLE_NAME: z.pipe(z.transform(unsetIfEmpty), z._default(z.string().check(z.minLength(1)), 'FirebreakReleaser')),
  /** The security account's ID (12 digits). */
  FIREBREAK_SECURITY_ACCOUNT_ID: z.string().check(z.regex(/^\d{12}$/)),
  /** How long an in-progress claim blocks another execution, in seconds (config `claimLeaseSeconds`; default 900). */
  FIREBREAK_CLAIM_LEASE_SECONDS: z.pipe(z.transform(unsetIfEmpty), z._default(z.coerce.number().check(z.int()).check(z.gte(0)), 900)),
  /**
   * One deadline for the snapshots and both copies of an execution's evidence, in seconds from its first
   * SnapshotVolumes (config `evidenceDeadlineSeconds`; default 7200).
   */
  FIREBREAK_EVIDENCE_DEADLINE_SECONDS: z.pipe(
    z.transform(unsetIfEmpty),
    z._default(z.coerce.number().check(z.int()).check(z.gte(1)), 7200),
  ),
  /** credential-compromise: delete an IAM user's console password too, `true` or `false` (config `removeLoginProfile`; default false). */
  FIREBREAK_REMOVE_LOGIN_PROFILE: z.pipe(
    z._default(z.enum(['true', 'false']), 'false'),
    z.transform((v) => v === 'true'),
  ),
  /**
   * credential-compromise, instance credentials: `revoke-sessions` (revoke the role's sessions) or `restrict-to-vpc`
   * (deny its credentials outside the instance's VPC) (config `instanceCredentialResponse`; default `revoke-sessions`).
   */
  FIREBREAK_INSTANCE_CREDENTIAL_RESPONSE: z._default(z.enum(['revoke-sessions', 'restrict-to-vpc']), 'revoke-sessions'),
  /**
   * ec2-compromise: also revoke every session of the contained instance's role issued before the containment, `true` or
   * `false` (config `revokeInstanceRoleSessions`; default false).
   */
  FIREBREAK_REVOKE_INSTANCE_ROLE_SESSIONS: z.pipe(
    z._default(z.enum(['true', 'false']), 'false'),
    z.transform((v) => v === 'true'),
  ),
  /**
   * lambda-compromise: revoke the execution role's older sessions even when other functions share the role, `true` or
   * `false` (config `revokeSharedLambdaRole`; default false).
   */
  FIREBREAK_REVOKE_SHARED_LAMBDA_ROLE: z.pipe(
    z._default(z.enum(['true', 'false']), 'false'),
    z.transform((v) => v === 'true'),
  ),
  /**
   * Security Hub workflow status of a case's GuardDuty findings: `off`, `resolve-on-release` or `resolve-on-containment`
   * (config `securityHubWorkflow`; default `off`: no Security Hub call).
   */
  FIREBREAK_SECURITY_HUB_WORKFLOW: z.pipe(z.transform(unsetIfEmpty), z._default(z.enum(SECURITY_HUB_WORKFLOW_MODES), 'off')),
  /** Name of Firebreak's event bus (`<prefix>`), where the paging steps put the `Firebreak Case` events (default `firebreak`). */
  FIREBREAK_EVENT_BUS_NAME: z.pipe(z.transform(unsetIfEmpty), z._default(z.string().check(z.minLength(1)), 'firebreak')),
  /** JSON of the deployment's `catalogOverrides` (entry ID → `{ mode, approvalTimeoutAction, chainInstanceContainment }`; `{}`). */
  FIREBREAK_CATALOG_OVERRIDES: z.pipe(
    z.transform(unsetIfEmpty),
    z.pipe(z.pipe(z._default(z.string(), '{}'), jsonText), CatalogOverridesSchema),
  ),
  /** How long an approval waits before its entry's timeout action applies, in seconds (config `approvalTimeoutSeconds`; default 3600). */
  FIREBREAK_APPROVAL_TIMEOUT_SECONDS: z.pipe(z.transform(unsetIfEmpty), z._default(z.coerce.number().check(z.int()).check(z.gte(1)), 3600)),
  /**
   * The severity floor (config `severityFloor`; default 4): GuardDuty findings below it are only counted; the runtime
   * builds the catalog at it.
   */
  FIREBREAK_SEVERITY_FLOOR: z.pipe(
    z.transform(unsetIfEmpty),
    z._default(z.coerce.number().check(z.gte(0)).check(z.lte(HIGH_SEVERITY)), DEFAULT_SEVERITY_FLOOR),
  ),
  /**
   * How long an instance that EC2 says is not found is looked for again before its case ends RESOURCE_GONE, in seconds,
   * 0 to 60 (config `notFoundGraceSeconds`; default 30).
   */
  FIREBREAK_NOT_FOUND_GRACE_SECONDS: z.pipe(
    z.transform(unsetIfEmpty),
    z._default(z.coerce.number().check(z.int()).check(z.gte(0)).check(z.lte(60)), DEFAULT_NOT_FOUND_GRACE_SECONDS),
  ),
  /** cloudtrail-tamper: JSON array of the automation role ARNs (config `tamperAutomationPrincipals`; default `[]`). */
  FIREBREAK_TAMPER_AUTOMATION_PRINCIPALS: z.pipe(
    z.transform(unsetIfEmpty),
    z.pipe(
      z.pipe(z._default(z.string(), '[]'), jsonText),
      z.array(z.string().check(z.regex(AUTOMATION_PRINCIPAL_PATTERN, AUTOMATION_PRINCIPAL_MESSAGE))),
    ),
  ),
  /**
   * JSON array of the member accounts Firebreak may act in, as record-trail-baselines reads them: config `memberAccountIds`,
   * or the deploying account in single-account mode; `[]` (default) with a security account and no list (any account).
   */
  FIREBREAK_MEMBER_ACCOUNT_IDS: z.pipe(
    z.transform(unsetIfEmpty),
    z.pipe(z.pipe(z._default(z.string(), '[]'), jsonText), z.array(z.string().check(z.regex(/^\d{12}$/)))),
  ),
  /** JSON of the deployment's `protection` (issue 14: tag key, instance IDs, ARNs, account IDs, role-name patterns; `{}`: the defaults). */
  FIREBREAK_PROTECTION: z.pipe(z.transform(unsetIfEmpty), z.pipe(z.pipe(z._default(z.string(), '{}'), jsonText), ProtectionSchema)),
  /** JSON of the deployment's `breaker` (issue 14: `perAccount`, `perOrganization`, `windowSeconds`; `{}`: the defaults). */
  FIREBREAK_BREAKER: z.pipe(z.transform(unsetIfEmpty), z.pipe(z.pipe(z._default(z.string(), '{}'), jsonText), BreakerSchema)),
  /**
   * The evidence bucket's Object Lock retention in days, 1 to 36500 (config `evidenceRetentionDays`; default 90): ShareAndCopySnapshots
   * locks the security account's snapshot copies for as long (EBS snapshot lock).
   */
  FIREBREAK_EVIDENCE_RETENTION_DAYS: z.pipe(
    z.transform(unsetIfEmpty),
    z._default(z.coerce.number().check(z.int()).check(z.gte(1)).check(z.lte(36500)), 90),
  ),
  /** The evidence bucket's Object Lock mode, `COMPLIANCE` or `GOVERNANCE` (config `objectLockMode`; default `COMPLIANCE`): the snapshot copies' lock mode. */
  FIREBREAK_OBJECT_LOCK_MODE: z.pipe(z.transform(unsetIfEmpty), z._default(z.enum(['GOVERNANCE', 'COMPLIANCE']), 'COMPLIANCE')),
});

/** Set by the security account's stack on the steps that start the ec2-compromise playbook (`STEP_ACCESS[step].startsEc2Playbook`). */
export const ChainingEnvironmentSchema = z.object({
  /** ARN of the ec2-compromise state machine, for the chaining steps (credential-compromise's, attack-sequence's); unset on the other steps. */
  FIREBREAK_EC2_PLAYBOOK_ARN: z.pipe(z.transform(unsetIfEmpty), z.optional(z.string().check(z.startsWith('arn:')))),
});

/** Set by the security account's stack on the steps that start the credential-compromise playbook (`STEP_ACCESS[step].startsCredentialPlaybook`). */
export const CredentialChainingEnvironmentSchema = z.object({
  /** ARN of the credential-compromise state machine, for attack-sequence's chaining step; unset on the other steps. */
  FIREBREAK_CREDENTIAL_PLAYBOOK_ARN: z.pipe(z.transform(unsetIfEmpty), z.optional(z.string().check(z.startsWith('arn:')))),
});

/** Set by the `ResponderFunction` construct on its function. */
export const FunctionEnvironmentSchema = z.object({
  /** The step's folder under `lambdas/`; the local runner finds a template function's handler module by it. */
  FIREBREAK_STEP: z.optional(z.string().check(z.minLength(1))),
});

/** Set by the Lambda runtime. */
export const LambdaRuntimeEnvironmentSchema = z.object({
  /** The function's own region (default `us-east-1` where nothing sets it). */
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
});

/** Set by the local runner only (lib/harness/local): never in a deployed function. */
export const LocalEnvironmentSchema = z.object({
  /** The emulator's endpoint, for every AWS client. */
  FIREBREAK_AWS_ENDPOINT: z.optional(z.string().check(z.url())),
  /** The Step Functions endpoint, when it differs from FIREBREAK_AWS_ENDPOINT (the local Step Functions service). */
  FIREBREAK_SFN_ENDPOINT: z.pipe(z.transform(unsetIfEmpty), z.optional(z.string().check(z.url()))),
});

/** The Lambda environment: every variable a step's function may see, each in the part of the one who sets it. */
export const LambdaEnvironmentSchema = z.object({
  ...StackEnvironmentSchema.shape,
  ...ChainingEnvironmentSchema.shape,
  ...CredentialChainingEnvironmentSchema.shape,
  ...FunctionEnvironmentSchema.shape,
  ...LambdaRuntimeEnvironmentSchema.shape,
  ...LocalEnvironmentSchema.shape,
});

/** The parts of {@link LambdaEnvironmentSchema}, by who sets them. */
export const LAMBDA_ENVIRONMENT_PARTS = {
  stack: StackEnvironmentSchema,
  chaining: ChainingEnvironmentSchema,
  credentialChaining: CredentialChainingEnvironmentSchema,
  function: FunctionEnvironmentSchema,
  lambdaRuntime: LambdaRuntimeEnvironmentSchema,
  local: LocalEnvironmentSchema,
} as const;

/** The Lambda environment, parsed (numbers, booleans and the catalog overrides as values; defaults applied). */
export type LambdaEnvironment = z.output<typeof LambdaEnvironmentSchema>;
/** The name of a variable of the Lambda environment. */
export type LambdaEnvironmentName = keyof LambdaEnvironment;

/** What a writer gives for a part of the schema: each of its variables, parsed type, none left out. */
export type WrittenValues<S extends z.ZodMiniObject> = { [K in keyof z.output<S>]-?: Exclude<z.output<S>[K], undefined> };
/** What the stack writes on every step (the values of {@link StackEnvironmentSchema}, before they become strings). */
export type StepEnvironmentValues = WrittenValues<typeof StackEnvironmentSchema>;
/** What the stack writes on the steps that start the ec2-compromise playbook. */
export type ChainingEnvironmentValues = WrittenValues<typeof ChainingEnvironmentSchema>;
/** What the stack writes on the steps that start the credential-compromise playbook. */
export type CredentialChainingEnvironmentValues = WrittenValues<typeof CredentialChainingEnvironmentSchema>;
/** What the `ResponderFunction` construct writes. */
export type FunctionEnvironmentValues = WrittenValues<typeof FunctionEnvironmentSchema>;

/** Every variable's name, as itself: `LAMBDA_ENV.FIREBREAK_STEP` is `'FIREBREAK_STEP'`, and a misspelt name does not compile. */
export const LAMBDA_ENV = Object.fromEntries(Object.keys(LambdaEnvironmentSchema.shape).map((k) => [k, k])) as {
  readonly [K in LambdaEnvironmentName]: K;
};

/**
 * A value as the environment holds it: a string as it is (CDK tokens included), a number or a boolean through
 * `String`, anything else (the catalog overrides) as JSON.
 */
export function encodeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Some variables of the Lambda environment as strings, in the order given (the local runner's endpoints and region).
 * @throws {ConfigError} when a name is not one of the schema's (a misspelt one is also a compile error).
 */
export function encodeEnvironment(values: Partial<WrittenValues<typeof LambdaEnvironmentSchema>>): Record<string, string> {
  const names = Object.keys(LambdaEnvironmentSchema.shape);
  const unknown = Object.keys(values).filter((k) => !names.includes(k));
  if (unknown.length > 0) throw new ConfigError(`Not a variable of the Lambda environment: ${unknown.join(', ')}`);
  return Object.fromEntries(
    Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, encodeValue(v)]),
  );
}

/** Every variable of a part, as strings in the schema's order; each must be given, and nothing else. */
function writePart<S extends z.ZodMiniObject>(part: S, values: WrittenValues<S>): Record<string, string> {
  const names = Object.keys(part.shape);
  const given = values as Record<string, unknown>;
  const missing = names.filter((k) => given[k] === undefined);
  const unknown = Object.keys(given).filter((k) => !names.includes(k));
  if (missing.length > 0) throw new ConfigError(`Lambda environment: no value for ${missing.join(', ')}`);
  if (unknown.length > 0) throw new ConfigError(`Not a variable of the Lambda environment: ${unknown.join(', ')}`);
  return Object.fromEntries(names.map((k) => [k, encodeValue(given[k])]));
}

/**
 * The environment the security account's stack writes on every step's function.
 * @param values - every variable of {@link StackEnvironmentSchema}, as the deployment config holds it (numbers,
 *   booleans, the catalog overrides) or as a CDK token (names, ARNs); a missing or unknown one is a compile error.
 * @returns name → string, in the schema's order.
 * @throws {ConfigError} when a value is missing or a name is unknown (a caller that got around the type).
 */
export function stepEnvironment(values: StepEnvironmentValues): Record<string, string> {
  return writePart(StackEnvironmentSchema, values);
}

/**
 * The environment the stack adds on the steps that start the ec2-compromise playbook.
 * @param values - the state machine's ARN (a CDK token).
 * @returns name → string.
 * @throws {ConfigError} as {@link stepEnvironment}.
 */
export function chainingEnvironment(values: ChainingEnvironmentValues): Record<string, string> {
  return writePart(ChainingEnvironmentSchema, values);
}

/**
 * The environment the stack adds on the steps that start the credential-compromise playbook (attack-sequence's chaining).
 * @param values - the state machine's ARN (a CDK token).
 * @returns name → string.
 * @throws {ConfigError} as {@link stepEnvironment}.
 */
export function credentialChainingEnvironment(values: CredentialChainingEnvironmentValues): Record<string, string> {
  return writePart(CredentialChainingEnvironmentSchema, values);
}

/**
 * The environment the `ResponderFunction` construct writes on its function.
 * @param values - the step and Node's options.
 * @returns name → string.
 * @throws {ConfigError} as {@link stepEnvironment}.
 */
export function functionEnvironment(values: FunctionEnvironmentValues): Record<string, string> {
  return writePart(FunctionEnvironmentSchema, values);
}
