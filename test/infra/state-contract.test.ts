import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type * as z from 'zod/mini';
import { OPERATOR_PLAYBOOKS, PLAYBOOKS } from '../../lib/core/catalog/catalog';
import { stateMachineName } from '../../lib/core/names';
import { NOTHING_TO_RESTORE, RELEASE_STATE_MACHINE_NAME } from '../../lib/infra/playbooks/release/playbook';
import { PlaybookStateSchema, PreClaimStateSchema, ReleaseStateSchema } from '../../lib/core/contracts/state';
import { playbookPath, releasePath } from '../../lib/core/contracts/state-paths';
import type { closeCase } from '../../lib/runtime/playbook/shared/close-case';
import type { claimCase } from '../../lib/runtime/playbook/shared/claim-case';
import type { decideResponse } from '../../lib/runtime/playbook/shared/decide-response';
import type { guardGameDay } from '../../lib/runtime/playbook/shared/guard-gameday';
import type { normalizeFinding } from '../../lib/runtime/playbook/shared/normalize-finding';
import type { notify } from '../../lib/runtime/playbook/shared/notify';
import type { planContainment } from '../../lib/runtime/playbook/shared/plan-containment';
import type { planFunction } from '../../lib/runtime/playbook/lambda-compromise/plan-function';
import type { recordApproval } from '../../lib/runtime/playbook/shared/record-approval';
import type { recordFailure } from '../../lib/runtime/playbook/shared/record-failure';
import type { checkSnapshots } from '../../lib/runtime/playbook/ec2-compromise/check-snapshots';
import type { collectArtifacts } from '../../lib/runtime/playbook/ec2-compromise/collect-artifacts';
import type { copySnapshots } from '../../lib/runtime/playbook/ec2-compromise/copy-snapshots';
import type { containInstance } from '../../lib/runtime/playbook/ec2-compromise/contain-instance';
import type { denyInstanceCredentials } from '../../lib/runtime/playbook/ec2-compromise/deny-instance-credentials';
import type { resealIsolation } from '../../lib/runtime/playbook/ec2-compromise/reseal-isolation';
import type { shareSnapshots } from '../../lib/runtime/playbook/ec2-compromise/share-snapshots';
import type { snapshotVolumes } from '../../lib/runtime/playbook/ec2-compromise/snapshot-volumes';
import type { writeManifest } from '../../lib/runtime/playbook/ec2-compromise/write-manifest';
import type { chainInstanceContainment } from '../../lib/runtime/playbook/credential-compromise/chain-instance-containment';
import type { chainSequenceContainment } from '../../lib/runtime/playbook/attack-sequence/chain-sequence-containment';
import type { revokeCredentials } from '../../lib/runtime/playbook/credential-compromise/revoke-credentials';
import type { verifyRevocation } from '../../lib/runtime/playbook/credential-compromise/verify-revocation';
import type { releaseBucket } from '../../lib/runtime/playbook/release/release-bucket';
import type { releaseDatabase } from '../../lib/runtime/playbook/release/release-database';
import type { preserveBucket } from '../../lib/runtime/playbook/s3-compromise/preserve-bucket';
import type { preserveCredentialEvidence } from '../../lib/runtime/playbook/shared/preserve-credential-evidence';
import type { containBucket } from '../../lib/runtime/playbook/s3-compromise/contain-bucket';
import type { verifyBucketContainment } from '../../lib/runtime/playbook/s3-compromise/verify-bucket-containment';
import type { preserveDatabase } from '../../lib/runtime/playbook/rds-compromise/preserve-database';
import type { containDatabase } from '../../lib/runtime/playbook/rds-compromise/contain-database';
import type { verifyDatabaseContainment } from '../../lib/runtime/playbook/rds-compromise/verify-database-containment';
import type { restoreLogging } from '../../lib/runtime/playbook/cloudtrail-tamper/restore-logging';
import type { judgeTrailChangeStep } from '../../lib/runtime/playbook/cloudtrail-tamper/judge-trail-change';
import type { revokeActor } from '../../lib/runtime/playbook/cloudtrail-tamper/revoke-actor';
import type { verifyTamperResponse } from '../../lib/runtime/playbook/cloudtrail-tamper/verify-tamper-response';
import type { closeRelease } from '../../lib/runtime/playbook/release/close-release';
import type { loadCase } from '../../lib/runtime/playbook/release/load-case';
import type { notifyRelease } from '../../lib/runtime/playbook/release/notify-release';
import type { releaseCredentials } from '../../lib/runtime/playbook/release/release-credentials';
import type { releaseInstance } from '../../lib/runtime/playbook/release/release-instance';
import type { verifyRelease } from '../../lib/runtime/playbook/release/verify-release';
import { buildTestApp, flat } from './support';

/**
 * The state between Step Functions steps has one schema per state machine (lib/core/contracts/state.ts), used by
 * the handlers (which parse it) and by the state machines (which name its fields through `playbookPath` /
 * `releasePath`). This test holds the two together: every JSONPath of every synthesized state machine names a field
 * (and the keys below it) its schema declares; and, at compile time, every step's return type fits the schema of the
 * field its Task writes (assignable to the schema's input, with no key the schema would strip).
 */

type AnyFn = (...args: never[]) => unknown;
type Result<F extends AnyFn> = Awaited<ReturnType<F>>;
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
/** `true` when R parses as S (R is assignable to S's input) and S strips none of R's keys. */
type Fits<R, S extends z.core.$ZodType> = [R] extends [z.input<S>]
  ? [Exclude<keyof R, KeysOfUnion<NonNullable<z.input<S>>>>] extends [never]
    ? true
    : false
  : false;
type P = typeof PlaybookStateSchema.shape;
type R = typeof ReleaseStateSchema.shape;

/** Each step's result against the field its Task writes (`ResultPath`): a mismatch fails `tsc` (and ts-jest). */
const STEP_RESULTS_FIT = {
  Normalize: true satisfies Fits<Result<typeof normalizeFinding>, typeof PreClaimStateSchema>,
  GameDayGuard: true satisfies Fits<Result<typeof guardGameDay>, P['gameDay']>,
  Claim: true satisfies Fits<Result<typeof claimCase>, P['case']>,
  Decide: true satisfies Fits<Result<typeof decideResponse>, P['decision']>,
  PlanDryRun: true satisfies Fits<Result<typeof planContainment>, P['plan']>,
  PlanFunction: true satisfies Fits<Result<typeof planFunction>, P['plan']>,
  RecordApproval: true satisfies Fits<Result<typeof recordApproval>, P['approvalOutcome']>,
  // Contain's result replaces the state (Triage → Contain claims the case: `case` and `contain`).
  Contain: true satisfies Fits<Result<typeof containInstance>, typeof PlaybookStateSchema>,
  DenyInstanceCredentials: true satisfies Fits<Result<typeof denyInstanceCredentials>, P['instanceCredentials']>,
  ResealIsolation: true satisfies Fits<Result<typeof resealIsolation>, P['reseal']>,
  SnapshotVolumes: true satisfies Fits<Result<typeof snapshotVolumes>, P['snapshots']>,
  CheckSnapshots: true satisfies Fits<Result<typeof checkSnapshots>, P['snapshotsCheck']>,
  CopySnapshots: true satisfies Fits<Result<typeof copySnapshots>, P['memberCopies']>,
  CheckMemberCopies: true satisfies Fits<Result<typeof checkSnapshots>, P['memberCopiesCheck']>,
  ShareAndCopySnapshots: true satisfies Fits<Result<typeof shareSnapshots>, P['securityCopies']>,
  CheckSecurityCopies: true satisfies Fits<Result<typeof checkSnapshots>, P['securityCopiesCheck']>,
  CollectArtifacts: true satisfies Fits<Result<typeof collectArtifacts>, P['artifacts']>,
  WriteManifest: true satisfies Fits<Result<typeof writeManifest>, P['manifest']>,
  RevokeCredentials: true satisfies Fits<Result<typeof revokeCredentials>, P['revocation']>,
  VerifyRevocation: true satisfies Fits<Result<typeof verifyRevocation>, P['verify']>,
  ChainInstanceContainment: true satisfies Fits<Result<typeof chainInstanceContainment>, P['chained']>,
  ChainSequenceContainment: true satisfies Fits<Result<typeof chainSequenceContainment>, P['sequenceChains']>,
  JudgeTrailChange: true satisfies Fits<Result<typeof judgeTrailChangeStep>, P['judgement']>,
  RestoreLogging: true satisfies Fits<Result<typeof restoreLogging>, P['restore']>,
  RevokeActor: true satisfies Fits<Result<typeof revokeActor>, P['revocation']>,
  VerifyTamperResponse: true satisfies Fits<Result<typeof verifyTamperResponse>, P['verify']>,
  Notify: true satisfies Fits<Result<typeof notify>, P['notification']>,
  CloseCase: true satisfies Fits<Result<typeof closeCase>, P['closed']>,
  RecordFailure: true satisfies Fits<Result<typeof recordFailure>, P['failure']>,
  LoadCase: true satisfies Fits<Result<typeof loadCase>, typeof ReleaseStateSchema>,
  ReleaseInstance: true satisfies Fits<Result<typeof releaseInstance>, R['restore']>,
  ReleaseCredentials: true satisfies Fits<Result<typeof releaseCredentials>, R['restore']>,
  ReleaseBucket: true satisfies Fits<Result<typeof releaseBucket>, R['restore']>,
  ReleaseDatabase: true satisfies Fits<Result<typeof releaseDatabase>, R['restore']>,
  PreserveBucket: true satisfies Fits<Result<typeof preserveBucket>, P['bucketPreservation']>,
  PreserveCredentialEvidence: true satisfies Fits<Result<typeof preserveCredentialEvidence>, P['credentialEvidence']>,
  ContainBucket: true satisfies Fits<Result<typeof containBucket>, P['bucketContainment']>,
  VerifyBucketContainment: true satisfies Fits<Result<typeof verifyBucketContainment>, P['verify']>,
  PreserveDatabase: true satisfies Fits<Result<typeof preserveDatabase>, P['databasePreservation']>,
  ContainDatabase: true satisfies Fits<Result<typeof containDatabase>, P['databaseContainment']>,
  VerifyDatabaseContainment: true satisfies Fits<Result<typeof verifyDatabaseContainment>, P['verify']>,
  NothingToRestore: true satisfies Fits<typeof NOTHING_TO_RESTORE, R['restore']>,
  VerifyRelease: true satisfies Fits<Result<typeof verifyRelease>, R['verify']>,
  CloseRelease: true satisfies Fits<Result<typeof closeRelease>, R['closed']>,
  NotifyRelease: true satisfies Fits<Result<typeof notifyRelease>, R['notification']>,
  RecordReleaseFailure: true satisfies Fits<Result<typeof recordFailure>, R['failure']>,
} satisfies Record<string, true>;

/** A schema with its optional / nullable wrappers removed (read from zod core's definitions, `_zod.def`). */
function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let s = schema;
  while (s._zod.def.type === 'optional' || s._zod.def.type === 'nullable') s = (s._zod.def as z.core.$ZodOptionalDef).innerType;
  return s;
}

/**
 * Whether `segments` (a JSONPath below `$`, split on `.`) names something the schema declares: each segment a key
 * of an object (of one option, for a union), or anything below a record or an `unknown`.
 */
function declares(schema: z.core.$ZodType, segments: readonly string[]): boolean {
  if (!segments.length) return true;
  const s = unwrap(schema);
  const def = s._zod.def;
  if (def.type === 'union') return (def as z.core.$ZodUnionDef).options.some((o) => declares(o, segments));
  if (def.type === 'record' || def.type === 'unknown') return true;
  if (def.type !== 'object') return false;
  const [head, ...rest] = segments;
  const shape = (def as z.core.$ZodObjectDef).shape;
  return Object.hasOwn(shape, head) && declares(shape[head], rest);
}

/** Every JSONPath (`$.…`, not the context object's `$$.…`) a state reads or writes, with where it is. */
function pathsOf(stateName: string, state: Record<string, unknown>): { where: string; path: string }[] {
  const out: { where: string; path: string }[] = [];
  const add = (where: string, v: unknown) => {
    if (typeof v === 'string' && v.startsWith('$.')) out.push({ where: `${stateName}.${where}`, path: v });
  };
  const walk = (where: string, v: unknown): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(`${where}[${i}]`, x));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        const at = where ? `${where}.${k}` : k;
        // A path-valued field: `ResultPath`, `InputPath`, `OutputPath`, `ItemsPath`, `Variable`, `SecondsPath`,
        // a comparison's `…Path`, and a Parameters / ResultSelector key ending `.$`.
        if (k.endsWith('.$') || k.endsWith('Path') || k === 'Variable') add(at, x);
        // Not a state's own Result (a Pass state's literal value).
        if (k !== 'Result') walk(at, x);
      }
    }
  };
  walk('', state);
  return out;
}

/** Every state machine of the synthesized app: its name and states. */
function stateMachines(): { name: string; states: Record<string, Record<string, unknown>> }[] {
  const { app } = buildTestApp();
  const out: { name: string; states: Record<string, Record<string, unknown>> }[] = [];
  for (const stack of app.node.children) {
    if (!(stack instanceof Stack)) continue;
    const resources = Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine');
    for (const r of Object.values(resources)) {
      const body = r.Properties.DefinitionString;
      const text =
        typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : flat(p))).join('');
      out.push({ name: r.Properties.StateMachineName, states: statesOf(JSON.parse(text)) });
    }
  }
  return out;
}

/** The states of a definition, those of Map and Parallel branches included. */
function statesOf(definition: { States: Record<string, Record<string, unknown>> }): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    out[name] = state;
    for (const branch of [
      ...((state.Branches as (typeof definition)[]) ?? []),
      ...(state.ItemProcessor ? [state.ItemProcessor as typeof definition] : []),
    ]) {
      Object.assign(out, statesOf(branch));
    }
  }
  return out;
}

describe('the state between steps has one schema, used by the state machines and the handlers', () => {
  const machines = stateMachines();
  const schemaOf = (name: string) => (name === RELEASE_STATE_MACHINE_NAME ? ReleaseStateSchema : PlaybookStateSchema);

  it('synthesizes every playbook', () => {
    // One per playbook of the catalog and per operator playbook: the template's, against the catalog's names.
    expect(machines.map((m) => m.name).sort()).toEqual([...PLAYBOOKS, ...OPERATOR_PLAYBOOKS].map((p) => stateMachineName(p)).sort());
  });

  it.each(machines.map((m) => [m.name, m] as const))('every JSONPath of %s names a field its state schema declares', (_name, machine) => {
    const paths = Object.entries(machine.states).flatMap(([name, state]) => pathsOf(name, state));
    expect(paths.length).toBeGreaterThan(0);
    const schema = schemaOf(machine.name);
    const undeclared = paths.filter((p) => !declares(schema, p.path.slice(2).split('.')));
    expect(undeclared).toEqual([]);
  });

  it('finds a path in every kind of place it looks, and refuses an undeclared one', () => {
    const found = pathsOf('S', {
      ResultPath: '$.decision',
      InputPath: '$.case',
      Parameters: { 'batch.$': '$.snapshots', 'name.$': '$$.Execution.Name', fixed: '$.not-a-path' },
      Choices: [{ Not: { Variable: '$.case.status', StringEqualsPath: '$.outcome' } }],
      Catch: [{ ResultPath: '$.error' }],
      Result: { 'x.$': '$.ignored' },
    }).map((p) => p.path);
    expect(found.sort()).toEqual(['$.case', '$.case.status', '$.decision', '$.error', '$.outcome', '$.snapshots']);
    expect(declares(PlaybookStateSchema, ['decision', 'action'])).toBe(true);
    expect(declares(PlaybookStateSchema, ['decision', 'actions'])).toBe(false);
    expect(declares(PlaybookStateSchema, ['decisions'])).toBe(false);
    expect(declares(ReleaseStateSchema, ['isolate'])).toBe(false);
  });

  it('builds the JSONPaths the state machines use from the schemas', () => {
    expect(playbookPath('decision', 'action')).toBe('$.decision.action');
    expect(releasePath('restore')).toBe('$.restore');
    // A field the schema does not declare is refused at run time too (for a caller that casts its way past the type).
    expect(() => playbookPath('nope' as 'case')).toThrow('nope is not a field of the state schema');
    expect(Object.values(STEP_RESULTS_FIT).every(Boolean)).toBe(true);
  });
});
