/**
 * Normalize: an EventBridge event (or a start envelope) -> an {@link Incident}. The parsing lives in `./normalize-core`
 * (re-exported here); this module adds the attack-sequence summarizer (`./sequence`), so that a step that normalizes only
 * to find a finding's resource (CloseOrphanedCase) can import `normalizeEventWith` from `./normalize-core` without it.
 */
import type { CatalogEntry } from '../catalog/catalog';
import type { Incident } from './incident';
import { normalizeEventWith, NormalizedState } from './normalize-core';
import { summarizeSequence } from './sequence';

export * from './normalize-core';

/**
 * Parses an EventBridge GuardDuty finding event, a `{ firebreak, event }` start envelope, or a `{ firebreak: { target } }`
 * start on a named resource, into an {@link Incident}, an attack sequence's `service.detection.sequence` summarized on it
 * ({@link normalizeEventWith} with `summarizeSequence`).
 * @param input - `{ input, executionName, executionStartTime, playbook }`, where `input` is the state machine's input.
 * @param catalog - the effective catalog (deployment overrides applied); default the built-in catalog.
 * @param memberAccountIds - the deployment's member accounts: an attack sequence's resource in another of them is chained
 *   there, one in an account not listed is only named (default none).
 * @returns `{ incident, event, run }`, as {@link normalizeEventWith}.
 * @throws {InvalidInput} as {@link normalizeEventWith}, and for a malformed attack sequence (lib/core/incident/sequence.ts).
 */
export function normalizeEvent(
  input: { input: unknown; executionName: string; executionStartTime: string; playbook?: Incident['playbook'] },
  catalog?: readonly CatalogEntry[],
  memberAccountIds?: readonly string[],
): NormalizedState {
  return normalizeEventWith(input, catalog, memberAccountIds, summarizeSequence);
}
