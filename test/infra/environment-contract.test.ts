import * as fs from 'node:fs';
import * as path from 'node:path';
import { severityFloorOf } from '../../lib/core/catalog/catalog';
import {
  encodeEnvironment,
  LAMBDA_ENVIRONMENT_PARTS,
  LambdaEnvironmentSchema,
  stepEnvironment,
  StepEnvironmentValues,
} from '../../lib/core/contracts/environment';
import { ConfigError } from '../../lib/core/errors';
import { PROJECT_ROOT } from '../../lib/core/project-root';
import { CfnTemplate, RefResolver, resolveIntrinsics } from '../../lib/harness/local/template';
import { STEP_ACCESS, STEP_NAMES, StepName } from '../../lib/infra/steps';
import { loadRuntimeConfig } from '../../lib/runtime/config';
import { buildTestApp } from './support';

/**
 * The Lambda environment's one schema (lib/core/contracts/environment.ts) ties the writer and the reader: every function
 * of every synthesized stack gets exactly the variables the schema says its writers set, and `loadRuntimeConfig` reads
 * what it gets into the deployment configuration the stack was built from.
 */

const keysOf = (part: { shape: object }): string[] => Object.keys(part.shape);
const ACCOUNT = '111111111111';
const REGION = 'eu-west-1';
const PSEUDO = { 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };

/** A plausible deployed value for a resource's `Ref` or `Fn::GetAtt` (what CloudFormation would put in the variable). */
const plausible: RefResolver = (id, type, attribute) => {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  const byType: Record<string, () => string> = {
    'AWS::DynamoDB::Table': () => (attribute ? arn('dynamodb', `table/${id}`) : `table-${id}`),
    'AWS::S3::Bucket': () => (attribute ? `arn:aws:s3:::bucket-${id.toLowerCase()}` : `bucket-${id.toLowerCase()}`),
    'AWS::KMS::Key': () => arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    'AWS::SNS::Topic': () => arn('sns', `topic-${id}`),
    'AWS::StepFunctions::StateMachine': () => arn('states', `stateMachine:${id}`),
    'AWS::Events::EventBus': () => (attribute ? arn('events', `event-bus/bus-${id}`) : `bus-${id}`),
  };
  const value = byType[type];
  if (!value) throw new Error(`No plausible value for ${type} ${id}${attribute ? `.${attribute}` : ''}: add one to this test`);
  return value();
};

/** Every Lambda function of every stack of the app built from a `firebreak` context value: its variables, as written and resolved. */
function synthesizedFunctions(firebreak: Record<string, unknown>) {
  const built = buildTestApp(firebreak);
  const functions: { stack: string; id: string; variables: Record<string, unknown>; resolved: Record<string, string> }[] = [];
  for (const stack of built.app.synth().stacks) {
    const template = stack.template as CfnTemplate;
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const variables = (resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
      const resolved = resolveIntrinsics(variables, template, plausible, PSEUDO) as Record<string, string>;
      functions.push({ stack: stack.stackName, id, variables, resolved });
    }
  }
  return { config: built.config, functions };
}

/** What a step's function must get: the stack's part, the construct's, and the chaining ARNs on the steps that start ec2-compromise or credential-compromise. */
function expectedKeys(step: StepName): string[] {
  const chaining = STEP_ACCESS[step].startsEc2Playbook ? keysOf(LAMBDA_ENVIRONMENT_PARTS.chaining) : [];
  const credentialChaining = STEP_ACCESS[step].startsCredentialPlaybook ? keysOf(LAMBDA_ENVIRONMENT_PARTS.credentialChaining) : [];
  return [
    ...keysOf(LAMBDA_ENVIRONMENT_PARTS.stack),
    ...keysOf(LAMBDA_ENVIRONMENT_PARTS.function),
    ...chaining,
    ...credentialChaining,
  ].sort();
}

describe.each([
  ['the default configuration', {}],
  [
    'a configuration that changes every value the stack writes',
    {
      prefix: 'blue',
      responderRoleName: 'IrResponder',
      releaserRoleName: 'IrReleaser',
      claimLeaseSeconds: 120,
      evidenceDeadlineSeconds: 3000,
      removeLoginProfile: true,
      instanceCredentialResponse: 'restrict-to-vpc',
      revokeInstanceRoleSessions: true,
      revokeSharedLambdaRole: true,
      securityHubWorkflow: 'resolve-on-containment',
      approvalTimeoutSeconds: 1800,
      severityFloor: 5.5,
      notFoundGraceSeconds: 10,
      tamperAutomationPrincipals: ['arn:aws:iam::111111111111:role/automation/*'],
      protection: { tagKey: 'ir:protect', accountIds: ['444444444444'], roleNamePatterns: ['Break*Glass'] },
      breaker: { perAccount: 3, perOrganization: 9, windowSeconds: 900 },
      evidenceRetentionDays: 400,
      objectLockMode: 'GOVERNANCE',
      catalogOverrides: { 'credential-compromise-high': { chainInstanceContainment: true }, 'ec2-compromise-medium': { mode: 'approval' } },
    },
  ],
])('the Lambda environment of %s', (_name, firebreak) => {
  const { config, functions } = synthesizedFunctions(firebreak);

  it('is on every step function, and only on those', () => {
    const steps = functions.map((f) => f.variables.FIREBREAK_STEP);
    expect([...steps].sort()).toEqual([...STEP_NAMES].sort());
  });

  it('holds exactly the variables the schema says the stack and the construct write', () => {
    for (const fn of functions) {
      const step = fn.variables.FIREBREAK_STEP as StepName;
      expect([fn.id, Object.keys(fn.variables).sort()]).toEqual([fn.id, expectedKeys(step)]);
    }
    const chaining = functions.filter((f) => 'FIREBREAK_EC2_PLAYBOOK_ARN' in f.variables).map((f) => f.variables.FIREBREAK_STEP);
    expect(chaining.sort()).toEqual(['chain-instance-containment', 'chain-sequence-containment']);
    const credentialChaining = functions
      .filter((f) => 'FIREBREAK_CREDENTIAL_PLAYBOOK_ARN' in f.variables)
      .map((f) => f.variables.FIREBREAK_STEP);
    expect(credentialChaining).toEqual(['chain-sequence-containment']);
  });

  it('is read by loadRuntimeConfig into the configuration the stack was built from', () => {
    for (const fn of functions) {
      const runtime = loadRuntimeConfig({ ...fn.resolved, AWS_REGION: REGION });
      expect(runtime).toMatchObject({
        responderRoleName: config.responderRoleName,
        releaserRoleName: config.releaserRoleName,
        transitKeyAlias: `alias/${config.prefix}-evidence-transit`,
        securityAccountId: ACCOUNT,
        claimLeaseSeconds: config.claimLeaseSeconds,
        evidenceDeadlineSeconds: config.evidenceDeadlineSeconds,
        removeLoginProfile: config.removeLoginProfile,
        instanceCredentialResponse: config.instanceCredentialResponse,
        revokeInstanceRoleSessions: config.revokeInstanceRoleSessions,
        revokeSharedLambdaRole: config.revokeSharedLambdaRole,
        securityHubWorkflow: config.securityHubWorkflow,
        approvalTimeoutSeconds: config.approvalTimeoutSeconds,
        notFoundGraceSeconds: config.notFoundGraceSeconds,
        tamperAutomationPrincipals: config.tamperAutomationPrincipals,
        // Single-account mode: the deploying account is the one member.
        memberAccountIds: config.securityAccountId === undefined ? [ACCOUNT] : config.memberAccountIds,
        protection: config.protection,
        breaker: config.breaker,
        evidenceRetentionDays: config.evidenceRetentionDays,
        objectLockMode: config.objectLockMode,
        region: REGION,
      });
      const entry = runtime.catalog.find((e) => e.id === 'credential-compromise-high');
      const chained = entry?.kind === 'guardduty-finding' ? entry.chainInstanceContainment : undefined;
      expect(chained).toBe(config.catalogOverrides['credential-compromise-high']?.chainInstanceContainment ?? false);
      expect(severityFloorOf(runtime.catalog)).toBe(config.severityFloor);
      expect(runtime.ec2PlaybookArn === undefined).toBe(!STEP_ACCESS[fn.variables.FIREBREAK_STEP as StepName].startsEc2Playbook);
      expect(runtime.credentialPlaybookArn === undefined).toBe(
        !STEP_ACCESS[fn.variables.FIREBREAK_STEP as StepName].startsCredentialPlaybook,
      );
    }
  });
});

describe('the Lambda environment schema', () => {
  it('is the union of its parts, no variable in two', () => {
    const parts = Object.values(LAMBDA_ENVIRONMENT_PARTS).flatMap(keysOf);
    expect(new Set(parts).size).toBe(parts.length);
    expect([...parts].sort()).toEqual(keysOf(LambdaEnvironmentSchema).sort());
  });

  it('parses back what the writer writes, and refuses a missing or unknown variable', () => {
    const values: StepEnvironmentValues = {
      FIREBREAK_LEDGER_TABLE: 't',
      FIREBREAK_EVIDENCE_BUCKET: 'b',
      FIREBREAK_EVIDENCE_KEY_ARN: 'arn:aws:kms:us-east-1:222222222222:key/k',
      FIREBREAK_TRANSIT_KEY_ALIAS: 'alias/x',
      FIREBREAK_TOPIC_ARN: 'arn:aws:sns:us-east-1:222222222222:t',
      FIREBREAK_RESPONDER_ROLE_NAME: 'R',
      FIREBREAK_RELEASER_ROLE_NAME: 'L',
      FIREBREAK_SECURITY_ACCOUNT_ID: '222222222222',
      FIREBREAK_CLAIM_LEASE_SECONDS: 60,
      FIREBREAK_EVIDENCE_DEADLINE_SECONDS: 600,
      FIREBREAK_REMOVE_LOGIN_PROFILE: true,
      FIREBREAK_INSTANCE_CREDENTIAL_RESPONSE: 'restrict-to-vpc',
      FIREBREAK_REVOKE_INSTANCE_ROLE_SESSIONS: true,
      FIREBREAK_REVOKE_SHARED_LAMBDA_ROLE: true,
      FIREBREAK_SECURITY_HUB_WORKFLOW: 'resolve-on-release',
      FIREBREAK_EVENT_BUS_NAME: 'blue',
      FIREBREAK_CATALOG_OVERRIDES: { 'ec2-compromise-medium': { mode: 'approval' } },
      FIREBREAK_APPROVAL_TIMEOUT_SECONDS: 900,
      FIREBREAK_SEVERITY_FLOOR: 5.5,
      FIREBREAK_NOT_FOUND_GRACE_SECONDS: 0,
      FIREBREAK_TAMPER_AUTOMATION_PRINCIPALS: ['arn:aws:iam::111111111111:role/deploy'],
      FIREBREAK_MEMBER_ACCOUNT_IDS: ['111111111111', '333333333333'],
      FIREBREAK_PROTECTION: {
        tagKey: 'x:protect',
        instanceIds: ['i-0123456789abcdef0'],
        resourceArns: [],
        accountIds: [],
        roleNamePatterns: ['Admin*'],
      },
      FIREBREAK_BREAKER: { perAccount: 2, perOrganization: 4, windowSeconds: 600 },
      FIREBREAK_EVIDENCE_RETENTION_DAYS: 365,
      FIREBREAK_OBJECT_LOCK_MODE: 'GOVERNANCE',
    };
    const written = stepEnvironment(values);
    expect(Object.values(written).every((v) => typeof v === 'string')).toBe(true);
    expect(LambdaEnvironmentSchema.parse(written)).toMatchObject(values);
    const missing: Partial<StepEnvironmentValues> = { ...values };
    delete missing.FIREBREAK_TOPIC_ARN;
    expect(() => stepEnvironment(missing as StepEnvironmentValues)).toThrow(/FIREBREAK_TOPIC_ARN/);
    expect(() => stepEnvironment({ ...values, FIREBREAK_TYPO: 'x' } as StepEnvironmentValues)).toThrow(ConfigError);
    expect(() => encodeEnvironment({ FIREBREAK_TYPO: 'x' } as never)).toThrow(/FIREBREAK_TYPO/);
  });

  it('is the table of docs/ARCHITECTURE.md, "Runtime configuration (Lambda environment)"', () => {
    const text = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'ARCHITECTURE.md'), 'utf8');
    const section = text.split('\n## Runtime configuration (Lambda environment)\n')[1]?.split('\n## ')[0] ?? '';
    const rows = [...section.matchAll(/^\| `?([A-Z][A-Z0-9_]+)`? \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual(keysOf(LambdaEnvironmentSchema).sort());
  });
});
