import { Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import { IConstruct } from 'constructs';
import { buildApp, BuildAppProps, FirebreakApp } from '../../lib/infra/app';

/** Test helpers for the CDK app: synthesis without esbuild, template walking, acknowledgements. */

/** Context that skips esbuild bundling (TOOLCHAIN.md, "To skip esbuild in template-only tests"). */
export const SKIP_BUNDLING: Record<string, unknown> = { 'aws:cdk:bundling-stacks': [] };

/** Builds the app from a `firebreak` context value, without bundling. */
export function buildTestApp(firebreak?: Record<string, unknown>, props: Omit<BuildAppProps, 'context'> = {}): FirebreakApp {
  return buildApp({
    ...props,
    context: { ...SKIP_BUNDLING, ...(firebreak === undefined ? {} : { firebreak }) },
  });
}

/** A CloudFormation value with its intrinsics flattened the way cdk-nag does (`<Logical.Arn>`, `<AWS::Region>`). */
export function flat(value: unknown): string {
  return flattenCfnReference(value);
}

/** A policy statement as it appears in a template. */
export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: unknown;
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Sid?: string;
}

/** Every value as a list. */
export function list<T>(v: T | T[] | undefined): T[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** Every policy statement anywhere in a template (IAM, key, bucket, queue, topic policies). */
export function allStatements(template: Template): { logicalId: string; statement: Statement }[] {
  const out: { logicalId: string; statement: Statement }[] = [];
  const visit = (logicalId: string, node: unknown): void => {
    if (Array.isArray(node)) return node.forEach((n) => visit(logicalId, n));
    if (node === null || typeof node !== 'object') return;
    const obj = node as Record<string, unknown>;
    if (Array.isArray(obj.Statement)) {
      for (const s of obj.Statement as Statement[]) out.push({ logicalId, statement: s });
    }
    for (const v of Object.values(obj)) visit(logicalId, v);
  };
  for (const [logicalId, resource] of Object.entries(template.toJSON().Resources as Record<string, unknown>)) {
    visit(logicalId, resource);
  }
  return out;
}

/** The statements of every AWS::IAM::Policy and AWS::IAM::ManagedPolicy attached to a role, by the role's logical ID. */
export function roleStatements(template: Template, roleLogicalId: string): Statement[] {
  // Inline policies and the customer managed policies attached to the role (rds-compromise's).
  const policies = { ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::ManagedPolicy') };
  return Object.values(policies)
    .filter((p) => list(p.Properties.Roles).some((r: unknown) => (r as { Ref?: string }).Ref === roleLogicalId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/** The actions a role is allowed, over all its policies. */
export function allowedActions(template: Template, roleLogicalId: string): Set<string> {
  return new Set(
    roleStatements(template, roleLogicalId)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => list(s.Action)),
  );
}

/** One state of an ASL definition. */
export interface AslState {
  Type: string;
  Next?: string;
  Resource?: string;
  Parameters?: unknown;
  ResultPath?: string;
  Retry?: unknown;
  Catch?: unknown;
  Choices?: unknown[];
  Default?: string;
  [key: string]: unknown;
}

/** The logical ID of the state machine named `name`. */
export function stateMachineLogicalIdOf(template: Template, name: string): string {
  const ids = Object.keys(template.findResources('AWS::StepFunctions::StateMachine', { Properties: { StateMachineName: name } }));
  if (ids.length !== 1) throw new Error(`expected one state machine named ${name}, found ${ids.length}`);
  return ids[0];
}

/**
 * The definition of the state machine named `name` (or of the template's only state machine),
 * intrinsics flattened to strings.
 */
export function stateMachineDefinition(
  template: Template,
  name?: string,
): { StartAt: string; TimeoutSeconds?: number; States: Record<string, AslState> } {
  const machines =
    name === undefined
      ? Object.values(template.findResources('AWS::StepFunctions::StateMachine'))
      : [template.toJSON().Resources[stateMachineLogicalIdOf(template, name)]];
  if (machines.length !== 1) throw new Error(`expected one state machine, found ${machines.length}`);
  const body = machines[0].Properties.DefinitionString;
  const text =
    typeof body === 'string' ? body : (body['Fn::Join'][1] as unknown[]).map((p) => (typeof p === 'string' ? p : flat(p))).join('');
  return JSON.parse(text);
}

/** An acknowledgement recorded with `Validations.of(scope).acknowledge()`. */
export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded under a scope. */
export function acknowledgementsUnder(scope: IConstruct): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const c of scope.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: c.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}

/** The logical ID of the Lambda function whose FIREBREAK_STEP is `step`. */
export function functionLogicalIdOf(template: Template, step: string): string {
  const fns = template.findResources('AWS::Lambda::Function', {
    Properties: { Environment: { Variables: { FIREBREAK_STEP: step } } },
  });
  const ids = Object.keys(fns);
  if (ids.length !== 1) throw new Error(`expected one function for step ${step}, found ${ids.length}`);
  return ids[0];
}

/** The logical ID of the role a function runs as. */
export function roleLogicalIdOf(template: Template, functionLogicalId: string): string {
  const fn = template.toJSON().Resources[functionLogicalId];
  return fn.Properties.Role['Fn::GetAtt'][0];
}

/** The stack's template. */
export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}
