import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { REGION_CODE_PATTERN } from '../../core/config';
import { InvalidInput } from '../../core/errors';
import { parseOrThrow } from '../../core/incident/normalize';
import { catalogPlaybooks } from '../../core/catalog/catalog';
import { validateEvent, EventEnvelope } from '../local/replay';
import { LAMBDA_ENV, LambdaEnvironmentSchema } from '../../core/contracts/environment';
import { FaultSchema } from './faults';

export { FaultSchema } from './faults';
export type { Fault } from './faults';

/** The execution statuses a drill can expect; `NO_MATCH` means no rule may match. */
export const EXPECTED_STATUSES = ['SUCCEEDED', 'FAILED', 'ALREADY_HANDLED', 'DRY_RUN', 'NO_MATCH'] as const;

/**
 * What the playbook must do with an unexpected event or a fault:
 * - `recover`: it handles it (retries a throttle or a 5xx, ends RESOURCE_GONE for a resource that is
 *   gone, already handled for a repeat) and ends as expected, never FAILED;
 * - `fail-loudly`: the execution ends FAILED (never SUCCEEDED), the case is FAILED with a FAILED
 *   RecordFailure entry on its timeline, and a `failed` notification was published.
 */
export const BEHAVIOURS = ['recover', 'fail-loudly'] as const;

/** A time budget: the containment's wall time and, optionally, each named step's (retries included). */
export const BudgetSchema = z
  .object({
    /** Time budget of each execution expected to end SUCCEEDED (execution wall time), in seconds. */
    containSeconds: z.number().positive(),
    /** Per step (state name → seconds): the step's time summed over its invocations (retries included). */
    stepSeconds: z
      .record(z.string(), z.number().positive())
      .superRefine((steps, ctx) => {
        for (const name of Object.keys(steps)) {
          if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name))
            ctx.addIssue({ code: 'custom', path: [name], message: 'must be a state name, e.g. Contain' });
        }
      })
      .optional(),
  })
  .strict();

/** What a drill expects of one injected event (or, with `repeat`, of the set of runs). */
export const ExpectationSchema = z
  .object({
    /** Execution status; `NO_MATCH` means no rule may match. With `repeat`: the status of every run (optional there). */
    status: z.enum(EXPECTED_STATUSES).optional(),
    /** The playbook's outcome (CONTAINED, NOTIFIED, RESOURCE_GONE, ...). With `repeat`: of the run that contained (or of every run). */
    outcome: z.string().optional(),
    /** Read-back checks that must pass: `all`, or a list of check names that must be present and pass. */
    checks: z.union([z.literal('all'), z.array(z.string()).min(1)]).default('all'),
    /** At most this many mutating calls (e.g. 0 for a dry run); with `repeat`, over all runs. */
    maxMutatingCalls: z.number().int().min(0).optional(),
    /** Whether the playbook should recover from what this injection does, or fail loudly (see {@link BEHAVIOURS}). */
    behaviour: z.enum(BEHAVIOURS, { error: `must be one of: ${BEHAVIOURS.join(', ')}` }).optional(),
    /** With `repeat`: exactly this many runs end CONTAINED, all on one case, the only case of the resource. */
    containments: z.number().int().min(0).optional(),
    /** With `repeat`: the status every run that did not contain ends with (e.g. ALREADY_HANDLED). */
    others: z.enum(EXPECTED_STATUSES).optional(),
    /** With `repeat`: the exact tally of the runs' outcomes, e.g. `{ NOTIFIED: 1, ALREADY_HANDLED: 1 }`; it sums to `repeat.times`. */
    outcomes: z
      .record(z.string(), z.number().int().min(0))
      .superRefine((tally, ctx) => {
        for (const name of Object.keys(tally)) {
          if (!/^[A-Z][A-Z_]*$/.test(name))
            ctx.addIssue({ code: 'custom', path: [name], message: 'must be an outcome, e.g. CONTAINED or ALREADY_HANDLED' });
        }
      })
      .optional(),
    /**
     * With `sameWorld`: the run ends on the previous injection's case (e.g. a RESOURCE_GONE or FAILED case
     * reopened by the next finding), read back from the ledger with its status (check `same-case`).
     */
    sameCase: z.boolean().optional(),
    /**
     * Where every ENI of the twin instance must end, read back: `isolated` (on Firebreak's isolation group alone,
     * checks `eni-isolated:<eni>`) or `unchanged` (on its own groups, `eni-unchanged:<eni>`). An EC2 finding only.
     */
    networkInterfaces: z.enum(['isolated', 'unchanged'], { error: 'must be isolated or unchanged' }).optional(),
  })
  .strict();

/**
 * The Lambdas' environment variables an injection may set for its own run (`environment`): the timing
 * knobs of the Lambda environment (lib/core/contracts/environment.ts), so a drill can rehearse a deadline or a grace
 * period in seconds instead of their production minutes. Nothing else: the wiring variables stay the session's.
 */
export const DRILL_ENVIRONMENT = [
  LAMBDA_ENV.FIREBREAK_NOT_FOUND_GRACE_SECONDS,
  LAMBDA_ENV.FIREBREAK_EVIDENCE_DEADLINE_SECONDS,
  LAMBDA_ENV.FIREBREAK_CLAIM_LEASE_SECONDS,
] as const;

/** An injection's `environment`: names of {@link DRILL_ENVIRONMENT}, values as the runtime configuration accepts them. */
export const DrillEnvironmentSchema = z
  .record(z.string(), z.union([z.string(), z.number()], { error: 'must be a number or a string' }))
  .superRefine((vars, ctx) => {
    for (const [name, value] of Object.entries(vars)) {
      if (!(DRILL_ENVIRONMENT as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is not a variable a drill may set (one of: ${DRILL_ENVIRONMENT.join(', ')})`,
        });
        continue;
      }
      const parsed = LambdaEnvironmentSchema.shape[name as (typeof DRILL_ENVIRONMENT)[number]].safeParse(String(value));
      if (!parsed.success || String(value) === '')
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${JSON.stringify(value)} is not a valid value: ${parsed.error?.issues[0]?.message ?? 'empty'}`,
        });
    }
  });

/** The world around the twin instance, each field optional (an injection's `world` overrides the drill's field by field). */
const WorldFieldsSchema = z
  .object({
    /** Put the instance in an Auto Scaling group. */
    autoScalingGroup: z.boolean().optional(),
    /** Register the instance in a target group. */
    targetGroup: z.boolean().optional(),
    /** ENIs attached to the instance beyond those the event names. */
    extraNetworkInterfaces: z.number().int().min(0).max(14).optional(),
    /**
     * Before the event, untagged security groups named as Firebreak names its groups, `firebreak-isolation-<vpc>`
     * (with an ingress rule) and `firebreak-untrack-<vpc>` (empty), in the twin VPC: someone else's groups that
     * Isolate must neither use nor change (read back by `squatter-untouched:<group>`).
     */
    squatFirebreakGroupNames: z.boolean().optional(),
  })
  .strict();

/** A drill's `world`, with its defaults. */
export const WorldSchema = WorldFieldsSchema.transform((w) => ({
  autoScalingGroup: w.autoScalingGroup ?? false,
  targetGroup: w.targetGroup ?? false,
  extraNetworkInterfaces: w.extraNetworkInterfaces ?? 0,
  squatFirebreakGroupNames: w.squatFirebreakGroupNames ?? false,
}));
/** A drill's world (defaults applied). */
export type DrillWorld = z.output<typeof WorldSchema>;

/** An event given in the drill: a file (relative to the drill), or inline. */
export const EventSourceSchema = z.union(
  [z.string().min(1), z.object({ file: z.string().min(1) }).strict(), z.object({ inline: z.record(z.string(), z.unknown()) }).strict()],
  { error: 'must be a file path, { file: PATH } or { inline: EVENT }' },
);

/** Repeat the injection: the same event `times` times against the same twin world. */
export const RepeatSchema = z
  .object({
    times: z.number().int().min(2, 'must be at least 2').max(10, 'must be at most 10'),
    /** All at once (Promise.all, the runs start together), or one after the other. @default false */
    concurrent: z.boolean().default(false),
  })
  .strict();

/**
 * A person's answer to the approval a playbook asks for (catalog `approval` mode, or a brake's hold): while the
 * injection runs, the drill waits for each approval request the injection's executions record on a case, reads the
 * twin back (nothing changed in the member account while it waits), and answers it as `firebreak approve` / `deny`
 * does (lib/operator/approval.ts: SendTaskSuccess with the task token on the case, as the local stack's operator).
 */
export const ApprovalSchema = z
  .object({
    decision: z.enum(['approve', 'deny'], { error: 'must be approve or deny' }),
    /** Why, as a person would write it: it goes on the case timeline. */
    reason: z.string().trim().min(1, 'must say why (it goes on the case timeline)'),
  })
  .strict();

/** One event a drill injects. */
export const InjectionSchema = z
  .object({
    name: z.string().min(1),
    /** Event file, relative to the drill file; or `{ file }`; or `{ inline: <the EventBridge event> }`. */
    event: EventSourceSchema,
    /** Changes to the event before injection: a repeat of a finding has the same `id` and a higher `service.count`. */
    mutate: z
      .object({
        serviceCountIncrement: z.number().int().positive().optional(),
        severity: z.number().min(0).max(10).optional(),
        /**
         * New IDs for the event (EventBridge `id`, CloudTrail `detail.eventID`, GuardDuty `detail.id`):
         * another occurrence of the same kind of event. API-call cases are keyed on the CloudTrail event
         * ID, so without it two drills replaying one fixture in a session would meet the same case.
         */
        freshIds: z.boolean().optional(),
        /**
         * The region the event comes from (issue 16, "Regions"): the event moved whole, every occurrence of its own region
         * replaced (the event's and the finding's `region`, the finding's ARN, the availability zone), as that region's
         * GuardDuty or CloudTrail would send it. The local world keeps a region it has (its second region, eu-west-1) and
         * remaps any other onto its home region.
         */
        region: z.string().regex(REGION_CODE_PATTERN, 'must be an AWS region code such as eu-west-1').optional(),
      })
      .strict()
      .optional(),
    /** Inject against the previous injection's twin world (a repeat of the same finding). @default false */
    sameWorld: z.boolean().default(false),
    /** Inject the same event several times against one twin world (each run's `service.count` one higher). */
    repeat: RepeatSchema.optional(),
    /** Faults injected at the SDK boundary while this injection runs (lib/harness/gameday/faults.ts). */
    faults: z.array(FaultSchema).min(1).optional(),
    /** Overrides the drill's budget for this injection (e.g. a fault that costs retries). */
    budget: BudgetSchema.partial().strict().optional(),
    /** Overrides fields of the drill's `world` for this injection's twin world (not with `sameWorld`). */
    world: WorldFieldsSchema.optional(),
    /** Answer every approval request this injection's executions make (see {@link ApprovalSchema}). */
    approval: ApprovalSchema.optional(),
    /** The Lambdas' environment while this injection runs (a short grace or deadline, {@link DRILL_ENVIRONMENT}), restored after it. */
    environment: DrillEnvironmentSchema.optional(),
    expect: ExpectationSchema,
  })
  .strict()
  .superRefine((i, ctx) => {
    const issue = (p: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path: p, message });
    const e = i.expect;
    if (!i.repeat) {
      if (!e.status) issue(['expect', 'status'], `is required (one of ${EXPECTED_STATUSES.join(', ')})`);
      if (e.containments !== undefined) issue(['expect', 'containments'], 'is only for an injection with repeat');
      if (e.others !== undefined) issue(['expect', 'others'], 'is only for an injection with repeat');
      if (e.outcomes !== undefined) issue(['expect', 'outcomes'], 'is only for an injection with repeat');
    } else {
      if (!e.status && e.containments === undefined && e.outcomes === undefined) {
        issue(
          ['expect'],
          'an injection with repeat needs expect.containments (and usually expect.others), expect.outcomes or expect.status',
        );
      }
      const tally = Object.values(e.outcomes ?? {}).reduce((a, n) => a + n, 0);
      if (e.outcomes && tally !== i.repeat.times)
        issue(['expect', 'outcomes'], `must add up to repeat.times (${i.repeat.times}), not ${tally}`);
    }
    if ((i.faults || i.repeat) && !e.behaviour)
      issue(['expect', 'behaviour'], `is required with faults or repeat: state whether the playbook should ${BEHAVIOURS.join(' or ')}`);
    if (e.behaviour === 'fail-loudly') {
      if (e.status && e.status !== 'FAILED')
        issue(['expect', 'status'], 'must be FAILED when behaviour is fail-loudly (the execution ends FAILED, never SUCCEEDED)');
      if (e.containments) issue(['expect', 'containments'], 'must be 0 when behaviour is fail-loudly');
    }
    if (e.behaviour === 'recover' && (e.status === 'FAILED' || e.others === 'FAILED')) {
      issue(['expect', e.status === 'FAILED' ? 'status' : 'others'], 'cannot be FAILED when behaviour is recover (use fail-loudly)');
    }
    const deletes = (i.faults ?? []).filter((f) => f.kind === 'delete-resource');
    if (deletes.length > 1) issue(['faults'], 'at most one delete-resource fault per injection');
    if (i.sameWorld && i.world) issue(['world'], "cannot be given with sameWorld (the world is the previous injection's)");
    if (e.sameCase && !i.sameWorld)
      issue(['expect', 'sameCase'], "is only for an injection with sameWorld (the previous injection's case)");
    if (e.sameCase && i.repeat) issue(['expect', 'sameCase'], 'is not for an injection with repeat (runs-share-one-case checks that)');
    if ((i.faults ?? []).filter((f) => f.kind === 'execution-timeout').length > 1)
      issue(['faults'], 'at most one execution-timeout fault per injection');
  });

/**
 * A game-day drill (`runbooks/<playbook>/drill*.yaml`, DESIGN.md §5): the world around the twin
 * instance, the events to inject in order, what each must lead to, and a time budget.
 */
export const DrillSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().min(1),
    runbook: z.string().min(1),
    /** The world around the twin instance (each injection may override fields of it). */
    world: WorldSchema.default({ autoScalingGroup: false, targetGroup: false, extraNetworkInterfaces: 0, squatFirebreakGroupNames: false }),
    /** Time budget of each containment (execution wall time), and optionally of named steps, in seconds. */
    budget: BudgetSchema,
    /** Seed of the faults' `rate` draws. @default the drill's name */
    seed: z.union([z.string().min(1), z.number().int()]).optional(),
    injections: z.array(InjectionSchema).min(1),
  })
  .strict();
/** A validated drill. */
export type Drill = z.infer<typeof DrillSchema>;
/** A validated injection. */
export type Injection = Drill['injections'][number];

/** The world of an injection: the drill's, with the injection's `world` fields over it. */
export function injectionWorld(drill: Drill, injection: Injection): DrillWorld {
  const own = Object.fromEntries(Object.entries(injection.world ?? {}).filter(([, v]) => v !== undefined));
  return { ...drill.world, ...own };
}

/**
 * The event of an injection, validated (the EventBridge envelope, and the finding format for a
 * GuardDuty finding). Its IDs are the recorded ones; the replay remaps them onto the twin world.
 * @throws {InvalidInput} naming the injection and the first bad field.
 */
export function injectionEvent(injection: Injection, dir: string): EventEnvelope {
  const src = injection.event;
  if (typeof src === 'object' && 'inline' in src) return validateEvent(src.inline, `inline event of injection "${injection.name}"`);
  const file = typeof src === 'string' ? src : src.file;
  const resolved = path.resolve(dir, file);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(resolved, 'utf8'));
  } catch (err) {
    throw new InvalidInput(
      `injection "${injection.name}": cannot read ${file} as JSON: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      { cause: err },
    );
  }
  return validateEvent(json, file);
}

/**
 * Reads and validates a drill file.
 * @returns the drill and the folder its relative paths are resolved against.
 * @throws {InvalidInput} when the file is missing, not YAML, invalid, or names an event file that does not exist.
 */
export function readDrill(file: string): { drill: Drill; dir: string } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InvalidInput(`cannot read drill ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InvalidInput(`${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  return { drill: validateDrill(doc, file), dir: path.dirname(path.resolve(file)) };
}

/**
 * Validates a parsed drill document (what {@link readDrill} does after parsing the YAML).
 * @param file - the drill's path, for messages and to resolve event files against.
 * @throws {InvalidInput} naming the field.
 */
export function validateDrill(doc: unknown, file: string): Drill {
  const drill = parseOrThrow(DrillSchema, doc, `drill ${file}`);
  const dir = path.dirname(path.resolve(file));
  for (const i of drill.injections) {
    const src = i.event;
    if (typeof src === 'object' && 'inline' in src) {
      validateEvent(src.inline, `drill ${file}: inline event of injection "${i.name}"`);
      continue;
    }
    const f = typeof src === 'string' ? src : src.file;
    if (!fs.existsSync(path.resolve(dir, f)))
      throw new InvalidInput(`drill ${file}: injection "${i.name}" names ${f}, which does not exist`);
  }
  if (drill.injections[0].sameWorld) throw new InvalidInput(`drill ${file}: the first injection cannot use sameWorld`);
  if (!catalogPlaybooks().includes(drill.runbook)) {
    throw new InvalidInput(`drill ${file}: runbook "${drill.runbook}" is not a playbook of the catalog (${catalogPlaybooks().join(', ')})`);
  }
  return drill;
}

/** Drill files in a runbook folder: `drill.yaml`, `drill-<anything>.yaml`. */
const DRILL_FILE = /^drill([-_.][A-Za-z0-9._-]+)?\.ya?ml$/;

/**
 * Every drill file: `<runbooksDir>/<folder>/drill*.yaml`, sorted (what `firebreak gameday --all` runs).
 * @param runbooksDir - the runbooks folder. @default 'runbooks'
 * @returns paths joined onto `runbooksDir` (relative when it is).
 */
export function listDrills(runbooksDir = 'runbooks'): string[] {
  if (!fs.existsSync(runbooksDir)) return [];
  const out: string[] = [];
  for (const folder of fs.readdirSync(runbooksDir, { withFileTypes: true })) {
    if (!folder.isDirectory() || folder.name.startsWith('.')) continue;
    for (const f of fs.readdirSync(path.join(runbooksDir, folder.name), { withFileTypes: true })) {
      if (f.isFile() && DRILL_FILE.test(f.name)) out.push(path.join(runbooksDir, folder.name, f.name));
    }
  }
  return out.sort();
}
