import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InvalidInput } from '../errors';
import { parseOrThrow } from '../incident/normalize';
import { catalogPlaybooks } from '../catalog/catalog';

/** What a drill expects of one injected event. */
export const ExpectationSchema = z
  .object({
    /** Execution status; `NO_MATCH` means no rule may match. */
    status: z.enum(['SUCCEEDED', 'FAILED', 'ALREADY_HANDLED', 'DRY_RUN', 'NO_MATCH']),
    /** The playbook's outcome (CONTAINED, NOTIFIED, RESOURCE_GONE, ...). */
    outcome: z.string().optional(),
    /** Read-back checks that must pass: `all`, or a list of check names that must be present and pass. */
    checks: z.union([z.literal('all'), z.array(z.string()).min(1)]).default('all'),
    /** At most this many mutating calls (e.g. 0 for a dry run). */
    maxMutatingCalls: z.number().int().min(0).optional(),
  })
  .strict();

/** One event a drill injects. */
export const InjectionSchema = z
  .object({
    name: z.string().min(1),
    /** Event file, relative to the drill file. */
    event: z.string().min(1),
    /** Changes to the event before injection: a repeat of a finding has the same `id` and a higher `service.count`. */
    mutate: z.object({ serviceCountIncrement: z.number().int().positive().optional(), severity: z.number().min(0).max(10).optional() }).strict().optional(),
    /** Inject against the previous injection's twin world (a repeat of the same finding). @default false */
    sameWorld: z.boolean().default(false),
    expect: ExpectationSchema,
  })
  .strict();

/**
 * A game-day drill (`runbooks/<playbook>/drill.yaml`, DESIGN.md §5): the world around the twin
 * instance, the events to inject in order, what each must lead to, and a time budget.
 */
export const DrillSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().min(1),
    runbook: z.string().min(1),
    world: z.object({ autoScalingGroup: z.boolean().default(false), targetGroup: z.boolean().default(false) }).strict().default({ autoScalingGroup: false, targetGroup: false }),
    /** Time budget of each containment (execution wall time), in seconds. */
    budget: z.object({ containSeconds: z.number().positive() }).strict(),
    injections: z.array(InjectionSchema).min(1),
  })
  .strict();
/** A validated drill. */
export type Drill = z.infer<typeof DrillSchema>;

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
  const drill = parseOrThrow(DrillSchema, doc, `drill ${file}`);
  const dir = path.dirname(path.resolve(file));
  for (const i of drill.injections) {
    if (!fs.existsSync(path.resolve(dir, i.event))) throw new InvalidInput(`drill ${file}: injection "${i.name}" names ${i.event}, which does not exist`);
  }
  if (drill.injections[0].sameWorld) throw new InvalidInput(`drill ${file}: the first injection cannot use sameWorld`);
  if (!catalogPlaybooks().includes(drill.runbook)) {
    throw new InvalidInput(`drill ${file}: runbook "${drill.runbook}" is not a playbook of the catalog (${catalogPlaybooks().join(', ')})`);
  }
  return { drill, dir };
}
