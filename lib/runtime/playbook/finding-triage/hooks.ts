import type { PlaybookHooks } from '../hooks';

/** The registry entry of `finding-triage` (registry.ts): notify-only, it has no steps of its own and plans nothing. */
export const FINDING_TRIAGE_HOOKS: PlaybookHooks = {
  refusal: (i) => i.triage?.why ?? 'no containment exists for this resource: notify-only case',
};
