import * as z from 'zod/mini';
import './zod-locale';
import { PlannedActionSchema } from './step-results';

/**
 * What the steps of the release playbook put on the state, each under its `ResultPath` (see
 * {@link ReleaseStateSchema} in state.ts). The steps' return types (lib/runtime/playbook/release/**,
 * lib/runtime/release) are checked against these schemas at compile time by test/infra/state-contract.test.ts.
 */

/** One item of a release that needs no change, or cannot be restored (`ReleaseItem`, lib/runtime/release/plan.ts). */
export const ReleaseItemSchema = z.object({
  item: z.enum([
    'security-groups',
    'instance-profile',
    'elastic-ip',
    'auto-scaling-group',
    'target-group',
    'termination-protection',
    'shutdown-behavior',
    'delete-on-termination',
    'tags',
    'access-key',
    'inline-policy',
    'managed-policy',
    'login-profile',
    'bucket-policy',
    'public-access-block',
    'versioning',
    'reserved-concurrency',
  ]),
  /** The resource, e.g. an ENI ID, an allocation ID, a target group ARN, `user/alice`. */
  target: z.string(),
  /** What was found, or why it cannot be restored, for a human. */
  detail: z.string(),
});

/** What every release step returns (`ReleaseResult`, lib/runtime/release/plan.ts). */
const ReleaseResultShape = {
  mode: z.enum(['apply', 'plan']),
  /** Changes made (apply) or that would be made (plan), in phase order. */
  actions: z.array(PlannedActionSchema),
  /** What already matched the recorded prior state (nothing done). */
  unchanged: z.array(ReleaseItemSchema),
  /** What cannot be restored, and why. */
  notRestored: z.array(ReleaseItemSchema),
};

/** ReleaseInstance's result (`InstanceReleaseResult`). */
export const InstanceReleaseSchema = z.object({ ...ReleaseResultShape, instanceId: z.string() });
/** ReleaseCredentials' result (`CredentialsReleaseResult`). */
export const CredentialsReleaseSchema = z.object({
  ...ReleaseResultShape,
  userName: z.optional(z.string()),
  roleName: z.optional(z.string()),
});
/** ReleaseBucket's result (`BucketReleaseStepResult`, lib/runtime/playbook/release/release-bucket.ts). */
export const BucketReleaseSchema = z.object({ ...ReleaseResultShape, bucket: z.string() });
/** ReleaseDatabase's result (`DatabaseReleaseStepResult`, lib/runtime/playbook/release/release-database.ts). */
export const DatabaseReleaseSchema = z.object({
  ...ReleaseResultShape,
  dbInstanceIdentifier: z.string(),
  outcome: z.enum(['restored', 'left', 'not-changed']),
});
/** What the NothingToRestore Pass state puts at `$.restore` (`NOTHING_TO_RESTORE`, lib/infra/playbooks/release/playbook.ts). */
export const NothingToRestoreSchema = z.object({
  actions: z.array(PlannedActionSchema).check(z.length(0)),
  unchanged: z.array(ReleaseItemSchema).check(z.length(0)),
  notRestored: z.array(ReleaseItemSchema).check(z.length(0)),
  /** Why there is nothing to restore, for a human. */
  nothing: z.string(),
});

/**
 * `$.restore` of a release: ReleaseInstance's, ReleaseBucket's, ReleaseCredentials' or NothingToRestore's result. The first
 * option that parses is taken, so the ones with a key of their own (`instanceId`, `bucket`, `nothing`) come before
 * CredentialsRelease, whose keys an instance's result also has.
 */
export const ReleaseRestoreSchema = z.union([
  InstanceReleaseSchema,
  BucketReleaseSchema,
  DatabaseReleaseSchema,
  NothingToRestoreSchema,
  CredentialsReleaseSchema,
]);
export type ReleaseRestore = z.infer<typeof ReleaseRestoreSchema>;

/** What a release undoes: an instance's isolation, credentials' revocation, or nothing (`ReleaseKind`). */
export const ReleaseKindSchema = z.enum(['instance', 'credentials', 'bucket', 'function', 'database', 'nothing']);
/** What a release undoes ({@link ReleaseKindSchema}). */
export type ReleaseKind = z.infer<typeof ReleaseKindSchema>;

/** `$.verify` of a release: what VerifyRelease read back. */
export const ReleaseVerificationSchema = z.object({ verified: z.boolean(), kind: ReleaseKindSchema });

/** `$.closed` of a release: what CloseRelease recorded. */
export const ReleaseCloseSchema = z.object({
  caseId: z.string(),
  status: z.literal('RELEASED'),
  released: z.boolean(),
  notRestored: z.array(ReleaseItemSchema),
});
