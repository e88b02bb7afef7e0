import * as z from 'zod/mini';
import './contracts/zod-locale';

/**
 * The brakes on automatic response (issue 14): what the deployment configuration says (`protection`, `breaker`;
 * lib/core/config.ts) and what the Lambdas read back from their environment (`FIREBREAK_PROTECTION`,
 * `FIREBREAK_BREAKER`; lib/core/contracts/environment.ts). One schema each, zod/mini since the Lambdas parse them.
 * The rules themselves run in lib/runtime/brakes/.
 */

/** The default protection tag key: an instance carrying it (any value) is never contained automatically. */
export const DEFAULT_PROTECTION_TAG_KEY = 'firebreak:protect';

/** An IAM role name pattern: the role name characters (IAM User Guide, "IAM object quotas": `[\w+=,.@-]`) and `*` (any run). */
export const ROLE_NAME_PATTERN = /^[\w+=,.@*-]{1,64}$/;

/**
 * Protected resources and principals: a finding on one of them never contains automatically; its case goes to approval
 * and says which rule held it.
 */
export const ProtectionSchema = z.strictObject({
  /**
   * The tag key that protects an EC2 instance (any value), read from the finding (`instanceDetails.tags`) and from the
   * instance as it is when Contain reads it. A member account can write it: it can only hold a containment for approval.
   */
  tagKey: z._default(
    z.string().check(z.regex(/^[\w .:/=+\-@]{1,128}$/, 'must be an EC2 tag key: 1-128 letters, digits, spaces and _.:/=+-@')),
    DEFAULT_PROTECTION_TAG_KEY,
  ),
  /** Instance IDs never contained automatically. */
  instanceIds: z._default(
    z.array(z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/, 'must be an EC2 instance ID such as i-0123456789abcdef0'))),
    [],
  ),
  /**
   * ARNs never contained automatically: an instance (`arn:aws:ec2:<region>:<account>:instance/<id>`), an IAM user or role
   * (`arn:aws:iam::<account>:user/<name>`, `role/<name>`), a trail, any resource a finding names by ARN. Exact match.
   */
  resourceArns: z._default(z.array(z.string().check(z.regex(/^arn:[\w-]+:[\w-]+:[\w-]*:\d{0,12}:.+$/, 'must be an ARN'))), []),
  /** Member accounts in which nothing is contained automatically. */
  accountIds: z._default(z.array(z.string().check(z.regex(/^\d{12}$/, 'must be a 12-digit AWS account ID'))), []),
  /** IAM role names (`*` matches any run of characters) whose credentials or sessions are never revoked automatically. */
  roleNamePatterns: z._default(
    z.array(z.string().check(z.regex(ROLE_NAME_PATTERN, 'must be an IAM role name, `*` matching any run of characters'))),
    [],
  ),
});
/** The validated protection configuration. */
export type Protection = z.output<typeof ProtectionSchema>;

/**
 * The blast-radius breaker: at most `perAccount` automatic containments in one member account, and `perOrganization` in
 * all of them, within any `windowSeconds`; past it, new cases wait for approval and one page goes out per trip.
 */
export const BreakerSchema = z.strictObject({
  /** Automatic containments per member account per window. @default 5 */
  perAccount: z._default(z.number().check(z.int()).check(z.gte(1)).check(z.lte(1000)), 5),
  /** Automatic containments in all member accounts per window. @default 20 */
  perOrganization: z._default(z.number().check(z.int()).check(z.gte(1)).check(z.lte(10000)), 20),
  /** The sliding window, in seconds (60 to 7 days). @default 3600 */
  windowSeconds: z._default(
    z
      .number()
      .check(z.int())
      .check(z.gte(60))
      .check(z.lte(7 * 24 * 3600)),
    3600,
  ),
});
/** The validated breaker configuration. */
export type Breaker = z.output<typeof BreakerSchema>;

/** Which brake held a containment, and why: on the decision (`$.decision.hold`), the case and the approval request. */
export const HoldSchema = z.object({
  /** `protection` (a protected resource or principal) or `breaker` (the blast-radius breaker is tripped). */
  brake: z.enum(['protection', 'breaker']),
  /**
   * protection: `tag`, `instance-id`, `resource-arn`, `account-id`, `role-name-pattern`; breaker: `account`
   * or `organization` (which limit).
   */
  rule: z.string(),
  /** The list entry or tag that matched (protection), or the breaker's scope key (breaker). */
  entry: z.string(),
  /** Where the protection tag was read: the finding (`finding`) or the instance now (`instance`). */
  source: z.optional(z.enum(['finding', 'instance', 'config'])),
  /** In words, for the case and the page. */
  reason: z.string(),
});
/** A hold. */
export type Hold = z.infer<typeof HoldSchema>;
