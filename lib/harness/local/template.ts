import type * as InfraApp from '../../infra/app';
import { ConfigError } from '../../core/errors';
import { LAMBDA_ENV } from '../../core/contracts/environment';

/** A CloudFormation template, as synthesized. */
export interface CfnTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** Resolves `Ref` / `Fn::GetAtt` of one resource to a concrete value. */
export type RefResolver = (logicalId: string, type: string, attribute?: string) => string;

/** A playbook as the local runner needs it. */
export interface LocalPlaybook {
  readonly logicalId: string;
  /** The state machine's `StateMachineName`, or its logical ID. */
  readonly name: string;
  /** The ASL definition with every intrinsic resolved. */
  readonly definition: Record<string, unknown>;
}

/** An EventBridge rule of the template. */
export interface LocalRule {
  readonly logicalId: string;
  readonly name: string;
  readonly eventBusName: string;
  readonly pattern: Record<string, unknown>;
  /** Logical IDs of the state machines it targets. */
  readonly targetStateMachines: string[];
  /** Logical IDs of the Lambda functions it targets. */
  readonly targetFunctions: string[];
  /**
   * The finding buffer's message template of a rule that targets the buffer queue (`AWS::SQS::Queue`, lib/infra/finding-buffer.ts):
   * its input transformer's template, intrinsics resolved, with `<aws.events.event.json>` where the event goes. Its state
   * machine is in {@link targetStateMachines} too (the playbook the buffer starts).
   */
  readonly bufferTemplate?: string;
}

/**
 * Synthesizes Firebreak's CDK app in process, without bundling and without cdk-nag, and returns the
 * security account stack's template. This is the same template `cdk synth` writes; the local
 * runner reads playbooks, rules and Lambda environments from it. Loads the CDK app (lib/infra) on first call.
 */
export function synthesizeSecurityTemplate(context: Record<string, unknown> = {}): CfnTemplate {
  // Loaded here, not at the top: the CDK and the stacks take about a second to load, and a run whose template is
  // cached (template-cache.ts) never synthesizes.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildApp } = require('../../infra/app') as typeof InfraApp;
  const { app, security } = buildApp({ context: { 'aws:cdk:bundling-stacks': [], ...context }, nag: false });
  return app.synth().getStackByName(security.stackName).template as CfnTemplate;
}

/**
 * Resolves CloudFormation intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` without
 * variables map, `Fn::Select`, `Fn::Split`) and pseudo parameters in a value.
 * @throws {Error} on an intrinsic it does not know (so nothing unresolved reaches a handler).
 */
export function resolveIntrinsics(value: unknown, template: CfnTemplate, ref: RefResolver, pseudo: Record<string, string>): unknown {
  const r = (v: unknown): unknown => resolveIntrinsics(v, template, ref, pseudo);
  if (Array.isArray(value)) return value.map(r);
  if (!value || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 1) {
    const [k] = keys;
    const arg = obj[k];
    if (k === 'Ref') {
      const id = arg as string;
      if (id in pseudo) return pseudo[id];
      const res = template.Resources[id];
      if (!res) throw new ConfigError(`Ref to unknown resource ${id}`);
      return ref(id, res.Type);
    }
    if (k === 'Fn::GetAtt') {
      const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split('.');
      const res = template.Resources[id];
      if (!res) throw new ConfigError(`GetAtt of unknown resource ${id}`);
      return ref(id, res.Type, attr);
    }
    if (k === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return (r(parts) as unknown[]).join(sep);
    }
    if (k === 'Fn::Select') {
      const [index, list] = arg as [number, unknown];
      return (r(list) as unknown[])[Number(index)];
    }
    if (k === 'Fn::Split') {
      const [sep, s] = arg as [string, unknown];
      return String(r(s)).split(sep);
    }
    if (k === 'Fn::Sub' && typeof arg === 'string') {
      return arg.replace(/\$\{([^}]+)\}/g, (_, name: string) => {
        if (name in pseudo) return pseudo[name];
        const [id, attr] = name.split('.');
        const res = template.Resources[id];
        if (!res) throw new ConfigError(`Fn::Sub of unknown ${name}`);
        return ref(id, res.Type, attr);
      });
    }
    if (k.startsWith('Fn::')) throw new ConfigError(`Unsupported intrinsic ${k}`);
  }
  return Object.fromEntries(keys.map((k) => [k, r(obj[k])]));
}

/** The state machines of a template, definitions resolved. */
export function templatePlaybooks(template: CfnTemplate, ref: RefResolver, pseudo: Record<string, string>): LocalPlaybook[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, r]) => {
      const p = r.Properties ?? {};
      const text = resolveIntrinsics(p.DefinitionString, template, ref, pseudo);
      return {
        logicalId,
        name: (p.StateMachineName as string) ?? logicalId,
        definition: JSON.parse(String(text)) as Record<string, unknown>,
      };
    });
}

/** The Lambda functions of a template: logical ID → `{ step, environment }` (environment resolved). */
export function templateFunctions(
  template: CfnTemplate,
  ref: RefResolver,
  pseudo: Record<string, string>,
): Map<string, { step: string; environment: Record<string, string> }> {
  const out = new Map<string, { step: string; environment: Record<string, string> }>();
  for (const [id, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const vars = (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const step = vars[LAMBDA_ENV.FIREBREAK_STEP];
    if (typeof step !== 'string') continue;
    const environment = resolveIntrinsics(vars, template, ref, pseudo) as Record<string, string>;
    out.set(id, { step, environment });
  }
  return out;
}

/**
 * The EventBridge rules of a template, with what they target.
 * @param ref - resolves the intrinsics of a pattern (e.g. state machine ARNs); without it patterns are
 *   taken as they are.
 */
export function templateRules(template: CfnTemplate, ref?: RefResolver, pseudo: Record<string, string> = {}): LocalRule[] {
  const rules: LocalRule[] = [];
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::Events::Rule') continue;
    const p = r.Properties ?? {};
    // A schedule rule (the trail baselines' rate) matches no event: the local world runs its function when a test says.
    if (p.EventPattern === undefined) continue;
    const targets = (p.Targets as { Arn?: unknown }[] | undefined) ?? [];
    const isMachine = (id: string | undefined): id is string => !!id && template.Resources[id]?.Type === 'AWS::StepFunctions::StateMachine';
    // A buffered target names its state machine in its input transformer's template (lib/infra/finding-buffer.ts).
    const buffered = targets.filter(
      (t) => template.Resources[(t.Arn as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0] ?? '']?.Type === 'AWS::SQS::Queue',
    );
    const inTemplate = (t: { InputTransformer?: unknown }) =>
      (JSON.stringify(t.InputTransformer ?? {}).match(/"Ref":"([A-Za-z0-9]+)"/g) ?? []).map((m) => m.slice(7, -1));
    const targetStateMachines = [
      ...targets.map((t) => (t.Arn as { Ref?: string } | undefined)?.Ref).filter(isMachine),
      ...buffered.flatMap((t) => inTemplate(t as { InputTransformer?: unknown })).filter(isMachine),
    ];
    const transformer = (buffered[0] as { InputTransformer?: { InputTemplate?: unknown } } | undefined)?.InputTransformer;
    const bufferTemplate = transformer && ref ? String(resolveIntrinsics(transformer.InputTemplate, template, ref, pseudo)) : undefined;
    const targetFunctions = targets
      .map((t) => (t.Arn as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0])
      .filter((id): id is string => !!id && template.Resources[id]?.Type === 'AWS::Lambda::Function');
    const bus = busName(template, p.EventBusName);
    rules.push({
      logicalId,
      name: typeof p.Name === 'string' ? p.Name : logicalId,
      eventBusName: bus,
      pattern: (ref ? resolveIntrinsics(p.EventPattern, template, ref, pseudo) : p.EventPattern) as Record<string, unknown>,
      targetStateMachines,
      targetFunctions,
      ...(bufferTemplate ? { bufferTemplate } : {}),
    });
  }
  return rules;
}

/** The name of the bus a rule's `EventBusName` designates: a literal, a `Ref` to a bus of the template, or the default bus. */
function busName(template: CfnTemplate, value: unknown): string {
  if (typeof value === 'string') return value.split('/').pop() ?? value;
  const ref = (value as { Ref?: string } | undefined)?.Ref ?? (value as { 'Fn::GetAtt'?: string[] } | undefined)?.['Fn::GetAtt']?.[0];
  if (ref) {
    const res = template.Resources[ref];
    if (res?.Type === 'AWS::Events::EventBus' && typeof res.Properties?.Name === 'string') return res.Properties.Name;
    throw new ConfigError(`Rule bus ${JSON.stringify(value)} is not a named event bus of the template`);
  }
  return 'default';
}
