import type * as z from 'zod/mini';
import { ConfigError } from '../errors';
import { PlaybookStateSchema, ReleaseStateSchema } from './state';

/** A JSONPath into the state between steps (`$.<field>` or `$.<field>.<key>`), as the state machines write it. */
export type StatePath = `$.${string}`;

/** The fields of a state schema. */
export type StateField<S extends z.ZodMiniObject> = keyof S['shape'] & string;
/** The keys one level below a field (for a union, the keys every option has). */
export type StateKey<S extends z.ZodMiniObject, F extends StateField<S>> = keyof NonNullable<z.infer<S>[F]> & string;

/**
 * The JSONPath builder of one state schema: `path('decision')` is `$.decision`, `path('decision', 'action')` is
 * `$.decision.action`. A field the schema does not declare, or a key its field does not have, is a compile error
 * (and a field is checked at run time too, for callers that cast).
 * @param schema - the state schema.
 * @returns the builder.
 * @throws {ConfigError} (the builder, at synthesis) when the field is not declared.
 */
export function statePathsOf<S extends z.ZodMiniObject>(schema: S) {
  return <F extends StateField<S>>(field: F, key?: StateKey<S, F>): StatePath => {
    if (!Object.hasOwn(schema.shape, field)) throw new ConfigError(`${field} is not a field of the state schema`);
    return key === undefined ? `$.${field}` : `$.${field}.${key}`;
  };
}

/**
 * JSONPaths into the state of the containment and triage playbooks ({@link PlaybookStateSchema}), for the state
 * machines in lib/infra: e.g. `playbookPath('isolate')` (`$.isolate`), `playbookPath('case', 'status')`.
 */
export const playbookPath = statePathsOf(PlaybookStateSchema);

/** JSONPaths into the state of the release playbook ({@link ReleaseStateSchema}), e.g. `releasePath('restore')`. */
export const releasePath = statePathsOf(ReleaseStateSchema);

/** A field of the containment and triage playbooks' state. */
export type PlaybookStateField = StateField<typeof PlaybookStateSchema>;
