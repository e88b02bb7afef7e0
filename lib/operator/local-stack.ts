/**
 * The local stack's protocol, as a client sees it: where a running `firebreak local up` records its endpoint and
 * what it answers about itself. The harness serves it (lib/harness/local/sfn-service.ts); the operator reads it
 * (lib/operator/connection.ts) as it would a deployment, without loading any emulator code.
 */
import * as path from 'node:path';

/** Where a running local stack (`firebreak local up`) records its endpoint: what `--local` reads. */
export const LOCAL_STACK_FILE = path.join('.firebreak', 'local-stack.json');

/** The path where a local stack describes itself (GET, JSON {@link LocalStackDescriptor}). */
export const LOCAL_STACK_PATH = '/firebreak/local-stack';

/**
 * What a client needs to use a local stack as it would a deployment: the accounts, the region, the
 * ledger table, and the credentials of a seeded operator user (an IAM user of the security account,
 * so STS `GetCallerIdentity` names a real principal on the case timeline).
 */
export interface LocalStackDescriptor {
  readonly securityAccount: string;
  readonly memberAccount: string;
  readonly region: string;
  readonly ledgerTable: string;
  readonly operatorCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Resources of the demo world, if the stack built one (e.g. `instanceId`). */
  readonly world?: Record<string, unknown>;
}
