import { CatalogEntry, effectiveCatalog } from '../core/catalog/catalog';
import { LAMBDA_ENV, LambdaEnvironmentSchema } from '../core/contracts/environment';
import { ConfigError } from '../core/errors';
import type { Breaker, Protection } from '../core/brakes';
import type { SecurityHubWorkflowMode } from '../core/security-hub';

/** Validated runtime configuration. */
export interface RuntimeConfig {
  /** DynamoDB case ledger table name. */
  readonly ledgerTable: string;
  /** Evidence bucket name (security account). */
  readonly evidenceBucket: string;
  /** ARN of the security account's evidence CMK. */
  readonly evidenceKeyArn: string;
  /** Alias (`alias/...`) of the member account's transit CMK. */
  readonly transitKeyAlias: string;
  /** SNS topic ARN for notifications. */
  readonly topicArn: string;
  /** Name of the role the containment steps assume in member accounts. */
  readonly responderRoleName: string;
  /** Name of the role the release steps assume in member accounts (never the responder's). */
  readonly releaserRoleName: string;
  /** The security account ID (12 digits). */
  readonly securityAccountId: string;
  /** How long an in-progress claim blocks other executions, in seconds. */
  readonly claimLeaseSeconds: number;
  /**
   * One deadline for the snapshots and both copies of an execution's evidence, in seconds from its first
   * SnapshotVolumes (the copies inherit it: lib/runtime/playbook/ec2-compromise/snapshot-volumes.ts).
   */
  readonly evidenceDeadlineSeconds: number;
  /** credential-compromise: delete an IAM user's console password too. */
  readonly removeLoginProfile: boolean;
  /** credential-compromise, instance credentials: revoke the role's sessions, or deny its credentials outside the instance's VPC. */
  readonly instanceCredentialResponse: 'revoke-sessions' | 'restrict-to-vpc';
  /** ec2-compromise: also revoke every session of the contained instance's role issued before the containment. */
  readonly revokeInstanceRoleSessions: boolean;
  /** lambda-compromise: revoke the execution role's older sessions even when other functions share it. */
  readonly revokeSharedLambdaRole: boolean;
  /** Security Hub workflow status of a case's GuardDuty findings (config `securityHubWorkflow`; `off`: no call). */
  readonly securityHubWorkflow: SecurityHubWorkflowMode;
  /** Firebreak's event bus (`<prefix>`): the `Firebreak Case` events. */
  readonly eventBusName: string;
  /** How long an approval waits before its entry's timeout action applies, in seconds. */
  readonly approvalTimeoutSeconds: number;
  /** How long an instance that EC2 says is not found is looked for again before its case ends RESOURCE_GONE, in seconds. */
  readonly notFoundGraceSeconds: number;
  /** cloudtrail-tamper: the automation role ARNs whose logging reductions are restored and notified, never revoked. */
  readonly tamperAutomationPrincipals: readonly string[];
  /**
   * The member accounts Firebreak may act in (record-trail-baselines reads their trails): the configured list, or the
   * deploying account in single-account mode; empty means any account (no list).
   */
  readonly memberAccountIds: readonly string[];
  /** The catalog at the deployment's severity floor, with its overrides applied. */
  readonly catalog: readonly CatalogEntry[];
  /** Protected resources and principals (issue 14; lib/runtime/brakes/protection.ts). */
  readonly protection: Protection;
  /** The blast-radius breaker's limits and window (issue 14; lib/runtime/brakes/breaker.ts). */
  readonly breaker: Breaker;
  /** The evidence bucket's Object Lock retention, in days: the security account's snapshot copies are locked as long. */
  readonly evidenceRetentionDays: number;
  /** The evidence bucket's Object Lock mode: the snapshot copies' EBS snapshot lock mode (lower case in the EC2 API). */
  readonly objectLockMode: 'GOVERNANCE' | 'COMPLIANCE';
  /** ARN of the ec2-compromise state machine (chaining); absent when the stack did not set it. */
  readonly ec2PlaybookArn?: string;
  /** ARN of the credential-compromise state machine (attack-sequence's chaining); absent when the stack did not set it. */
  readonly credentialPlaybookArn?: string;
  /** Emulator endpoint (local runs only). */
  readonly endpoint?: string;
  /** Step Functions endpoint override (local runs only). */
  readonly sfnEndpoint?: string;
  /** The Lambda's own region. */
  readonly region: string;
}

/**
 * Reads and validates the runtime configuration from the Lambda environment, by its one schema
 * (`LambdaEnvironmentSchema`, lib/core/contracts/environment.ts: what the stacks write, each variable documented).
 * @param env - the environment, default `process.env`.
 * @returns the validated configuration.
 * @throws {ConfigError} when a variable is missing or malformed; the message names it.
 */
export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const parsed = LambdaEnvironmentSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`Invalid runtime configuration: ${issue.path.join('.')}: ${issue.message}`, { cause: parsed.error });
  }
  const e = parsed.data;
  let catalog: readonly CatalogEntry[];
  try {
    catalog = effectiveCatalog(e.FIREBREAK_CATALOG_OVERRIDES, e.FIREBREAK_SEVERITY_FLOOR);
  } catch (err) {
    const variable = LAMBDA_ENV.FIREBREAK_CATALOG_OVERRIDES;
    throw new ConfigError(`Invalid runtime configuration: ${variable}: ${(err as Error).message}`, { cause: err });
  }
  return {
    ledgerTable: e.FIREBREAK_LEDGER_TABLE,
    evidenceBucket: e.FIREBREAK_EVIDENCE_BUCKET,
    evidenceKeyArn: e.FIREBREAK_EVIDENCE_KEY_ARN,
    transitKeyAlias: e.FIREBREAK_TRANSIT_KEY_ALIAS,
    topicArn: e.FIREBREAK_TOPIC_ARN,
    responderRoleName: e.FIREBREAK_RESPONDER_ROLE_NAME,
    releaserRoleName: e.FIREBREAK_RELEASER_ROLE_NAME,
    securityAccountId: e.FIREBREAK_SECURITY_ACCOUNT_ID,
    claimLeaseSeconds: e.FIREBREAK_CLAIM_LEASE_SECONDS,
    evidenceDeadlineSeconds: e.FIREBREAK_EVIDENCE_DEADLINE_SECONDS,
    removeLoginProfile: e.FIREBREAK_REMOVE_LOGIN_PROFILE,
    instanceCredentialResponse: e.FIREBREAK_INSTANCE_CREDENTIAL_RESPONSE,
    revokeInstanceRoleSessions: e.FIREBREAK_REVOKE_INSTANCE_ROLE_SESSIONS,
    revokeSharedLambdaRole: e.FIREBREAK_REVOKE_SHARED_LAMBDA_ROLE,
    securityHubWorkflow: e.FIREBREAK_SECURITY_HUB_WORKFLOW,
    eventBusName: e.FIREBREAK_EVENT_BUS_NAME,
    approvalTimeoutSeconds: e.FIREBREAK_APPROVAL_TIMEOUT_SECONDS,
    notFoundGraceSeconds: e.FIREBREAK_NOT_FOUND_GRACE_SECONDS,
    tamperAutomationPrincipals: e.FIREBREAK_TAMPER_AUTOMATION_PRINCIPALS,
    memberAccountIds: e.FIREBREAK_MEMBER_ACCOUNT_IDS,
    catalog,
    protection: e.FIREBREAK_PROTECTION,
    breaker: e.FIREBREAK_BREAKER,
    evidenceRetentionDays: e.FIREBREAK_EVIDENCE_RETENTION_DAYS,
    objectLockMode: e.FIREBREAK_OBJECT_LOCK_MODE,
    ec2PlaybookArn: e.FIREBREAK_EC2_PLAYBOOK_ARN,
    credentialPlaybookArn: e.FIREBREAK_CREDENTIAL_PLAYBOOK_ARN,
    endpoint: e.FIREBREAK_AWS_ENDPOINT,
    sfnEndpoint: e.FIREBREAK_SFN_ENDPOINT,
    region: e.AWS_REGION,
  };
}
