import { storeReceivedEvent, StoredEventRef } from '../evidence/vault';
import type { Incident } from '../../core/incident/incident';
import type { StepDeps } from './deps-base';

/**
 * The event a state machine received, as Normalize stores it (lib/core/incident/normalize.ts `NormalizedState.event`):
 * the input itself, or a start envelope's `event`; `null` for a start on a named resource (`{ firebreak: { target } }`),
 * which carries no event.
 * @param input - the execution's input, as the state machine got it.
 */
export function receivedEventOf(input: unknown): unknown {
  if (input && typeof input === 'object' && 'firebreak' in input) {
    const envelope = input as { firebreak?: { target?: unknown }; event?: unknown };
    return envelope.firebreak?.target ? null : envelope.event;
  }
  return input;
}

/**
 * Stores a received event ({@link storeReceivedEvent}: content-addressed under `received-events/<account>/`, so the
 * same event always names the same object), or nothing (`null`) for a dry run or a start on a named resource: a dry
 * run writes nothing anywhere, and a named start has no event (lib/runtime/playbook/shared/normalize-finding.ts).
 * @param event - the event as received ({@link receivedEventOf}), `null` when there is none.
 */
export async function storeEventOf(
  incident: Pick<Incident, 'dryRun' | 'account'>,
  event: unknown,
  deps: Pick<StepDeps, 'config' | 'clients'>,
): Promise<StoredEventRef | null> {
  const named = !event || (typeof event === 'object' && 'target' in event && !('detail' in event));
  if (incident.dryRun || named) return null;
  return storeReceivedEvent(
    { bucket: deps.config.evidenceBucket, kmsKeyId: deps.config.evidenceKeyArn, account: incident.account, event },
    { s3: deps.clients.security().s3 },
  );
}
