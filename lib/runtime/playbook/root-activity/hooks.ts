import type { PlaybookHooks } from '../hooks';

/** The registry entry of `root-activity` (registry.ts): notify-only, it has no steps of its own and plans nothing. */
export const ROOT_ACTIVITY_HOOKS: PlaybookHooks = {
  refusal: () => 'root activity: nothing can be revoked automatically; notify-only case, see runbooks/root-activity/runbook.md',
};
