import type { StepDeps } from '../deps-base';
import { SqsBatch, startBufferedFindings } from '../../buffer/starter';

export { SqsBatchSchema } from '../../buffer/starter';

/**
 * The finding buffer's starter as a step (no playbook's: the buffer's event-source mapping invokes it with a batch of the
 * queue): {@link startBufferedFindings} on the security account's clients, the case ledger's table and the catalog
 * Normalize uses.
 * @param batch - Lambda's SQS event.
 * @param deps - the step's dependencies.
 * @returns `{ batchItemFailures }`: the messages Lambda leaves on the queue (their visibility set to the retry delay).
 */
export function startPlaybook(batch: SqsBatch, deps: StepDeps): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const security = deps.clients.security();
  return startBufferedFindings(batch, {
    ddb: security.ddb,
    sfn: security.sfn,
    sqs: security.sqs,
    tableName: deps.config.ledgerTable,
    catalog: deps.config.catalog,
    now: deps.now,
  });
}
