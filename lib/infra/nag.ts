import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
// cdk-nag's own flattening, so that computed finding IDs match the ones the rule pack reports.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { Construct, IConstruct } from 'constructs';
import { ConfigError } from '../core/errors';

/**
 * Helpers that acknowledge cdk-nag (AwsSolutions) findings precisely: by their exact ID (brackets
 * included, e.g. `AwsSolutions-IAM5[Resource::*]`), on the narrowest construct, with a reason that
 * says why this finding is acceptable here. TOOLCHAIN.md, "cdk-nag 3.x".
 */

/** The rule pack Firebreak is checked against. */
export const NAG_PACK = 'AwsSolutions';

/**
 * Acknowledges one cdk-nag finding on a construct and everything below it.
 * @param scope - the narrowest construct that holds the finding.
 * @param id - the finding's exact ID, e.g. `AwsSolutions-S1` or `AwsSolutions-IAM5[Resource::*]`.
 * @param reason - why the finding is acceptable; specific to this resource.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The IAM5 (wildcard permission) finding suffixes that an Allow statement produces, computed the way
 * cdk-nag computes them (`Action::<action>` and `Resource::<flattened resource>`).
 * @param scope - any construct in the statement's stack (used to resolve tokens).
 * @param statement - the statement.
 * @returns the finding suffixes, without duplicates.
 */
export function wildcardFindings(scope: IConstruct, statement: iam.PolicyStatement): string[] {
  if (statement.effect !== iam.Effect.ALLOW) return [];
  const json = Stack.of(scope).resolve(statement.toStatementJson()) as { Action?: unknown; Resource?: unknown };
  const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
  const findings = new Set<string>();
  for (const action of list(json.Action)) {
    if (typeof action === 'string' && action.includes('*')) findings.add(`Action::${action}`);
  }
  for (const resource of list(json.Resource)) {
    const flat = flattenCfnReference(resource);
    if (flat.includes('*')) findings.add(`Resource::${flat}`);
  }
  return [...findings];
}

/** The IAM5 finding ID for a wildcard finding suffix. */
export function iam5(finding: string): string {
  return `${NAG_PACK}-IAM5[${finding}]`;
}

/**
 * Acknowledges the IAM5 finding a grant on `resource` produces in the grantee's policy, when the
 * grantee's principal is a construct of this app (a role); other principals have no policy here.
 * @param grantee - who received the grant.
 * @param resource - the wildcard resource ARN (tokens allowed) that the grant names.
 * @param reason - why the wildcard is needed.
 */
export function acknowledgeGrantWildcard(grantee: iam.IGrantable, resource: string, reason: string): void {
  const principal = grantee.grantPrincipal as unknown;
  if (!Construct.isConstruct(principal)) return;
  const flat = flattenCfnReference(Stack.of(principal).resolve(resource));
  if (!flat.includes('*')) return;
  acknowledge(principal, iam5(`Resource::${flat}`), reason);
}

/** A policy statement and, when it has wildcards, why they are needed. */
export interface JustifiedStatement {
  /** The statement. */
  readonly statement: iam.PolicyStatement;
  /**
   * Why the statement's wildcard actions or resources are needed (e.g. "DescribeSnapshots supports no
   * resource-level permissions"). Required when the statement has any.
   * @default - none; the statement must then have no wildcard
   */
  readonly reason?: string;
}

/** Properties of {@link JustifiedPolicy}. */
export interface JustifiedPolicyProps {
  /**
   * The roles to attach the policy to.
   * @default - none; attach with `attachToRole`
   */
  readonly roles?: iam.IRole[];
  /** The statements, each with its justification. */
  readonly statements: readonly JustifiedStatement[];
}

/**
 * An IAM policy whose wildcard findings are acknowledged, on the policy only, with the reasons given
 * per statement. A statement with a wildcard and no reason fails construction (fails closed).
 */
export class JustifiedPolicy extends iam.Policy {
  /** The acknowledged finding IDs and their reasons. */
  public readonly acknowledgements: ReadonlyMap<string, string>;

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link JustifiedPolicyProps}.
   * @throws {ConfigError} when a statement has a wildcard action or resource and no reason.
   */
  constructor(scope: Construct, id: string, props: JustifiedPolicyProps) {
    super(scope, id, { roles: props.roles, statements: props.statements.map((s) => s.statement) });
    this.acknowledgements = acknowledgeStatements(this, props.statements);
  }
}

/**
 * A customer managed IAM policy whose wildcard findings are acknowledged as {@link JustifiedPolicy}'s: for statements
 * that would take a role's inline policies past IAM's aggregate size limit (10,240 characters; a managed policy has its
 * own, 6,144: "IAM and AWS STS quotas", IAM User Guide).
 */
export class JustifiedManagedPolicy extends iam.ManagedPolicy {
  /** The acknowledged finding IDs and their reasons. */
  public readonly acknowledgements: ReadonlyMap<string, string>;

  /**
   * @param scope - the parent construct.
   * @param id - the construct ID.
   * @param props - see {@link JustifiedPolicyProps}.
   * @throws {ConfigError} when a statement has a wildcard action or resource and no reason.
   */
  constructor(scope: Construct, id: string, props: JustifiedPolicyProps) {
    super(scope, id, { roles: props.roles, statements: props.statements.map((s) => s.statement) });
    this.acknowledgements = acknowledgeStatements(this, props.statements);
  }
}

/**
 * Acknowledges each wildcard finding of a policy's statements on the policy, with the reasons given per statement.
 * @returns the acknowledged finding IDs and their reasons.
 * @throws {ConfigError} when a statement has a wildcard and no reason (fails closed).
 */
function acknowledgeStatements(policy: Construct, statements: readonly JustifiedStatement[]): Map<string, string> {
  const reasons = new Map<string, string[]>();
  for (const { statement, reason } of statements) {
    const findings = wildcardFindings(policy, statement);
    if (findings.length > 0 && !reason) {
      throw new ConfigError(`${policy.node.path}: statement with ${findings.join(', ')} has no justification`);
    }
    for (const f of findings) reasons.set(f, [...(reasons.get(f) ?? []), reason!]);
  }
  const acks = new Map<string, string>();
  for (const [finding, why] of reasons) {
    const id = iam5(finding);
    // Statements that share a finding often share a sentence ("IDs are known at run time"): keep each once.
    const reason = [...new Set(why.flatMap((w) => w.split(/(?<=\.)\s+/)))].join(' ');
    acknowledge(policy, id, reason);
    acks.set(id, reason);
  }
  return acks;
}
