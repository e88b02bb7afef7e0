import { createHash } from 'node:crypto';
import { InvalidInput } from '../../core/errors';

/**
 * The identifiers of a case's evidence snapshots of one DB instance, one per stage of the chain (member snapshot,
 * transit copy, security copy), deterministic from the case and the database so that a re-run, a second execution or a
 * run after a crash finds the snapshot an earlier one made instead of making another.
 *
 * A DB snapshot identifier is 1 to 255 letters, digits or hyphens, starts with a letter, and neither ends with a hyphen
 * nor holds two consecutive hyphens (RDS API Reference, CreateDBSnapshot, DBSnapshotIdentifier:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSnapshot.html); RDS stores it lowercase. The
 * case ID and the instance's ARN are hashed (SHA-256, the first 24 hex digits), so neither's characters matter:
 * `firebreak-<stage>-<24 hex>`, 38 to 42 characters. A name is not proof: every snapshot found under one is checked by
 * its provenance (`snapshots.ts`), never adopted for its name alone.
 */
export interface DbEvidenceSnapshotIds {
  /** The member account's snapshot of the instance (CreateDBSnapshot). */
  readonly member: string;
  /** The member account's copy under the transit key (CopyDBSnapshot), made only when the instance is encrypted. */
  readonly transit: string;
  /** The security account's copy under the evidence key (CopyDBSnapshot of the shared snapshot's ARN). */
  readonly security: string;
}

/**
 * @param caseId - the case's ID.
 * @param dbInstanceArn - the DB instance's ARN (account, Region and identifier: one case may name one database).
 * @returns the three identifiers.
 */
export function dbEvidenceSnapshotIds(caseId: string, dbInstanceArn: string): DbEvidenceSnapshotIds {
  const digest = createHash('sha256').update(`${caseId}\n${dbInstanceArn}`).digest('hex').slice(0, 24);
  return { member: `firebreak-src-${digest}`, transit: `firebreak-transit-${digest}`, security: `firebreak-evidence-${digest}` };
}

/**
 * Checks a DB instance identifier as the finding gives it before any call uses it: 1 to 63 letters, digits or hyphens,
 * a letter first, no hyphen last and no two hyphens together (RDS API Reference, CreateDBInstance, DBInstanceIdentifier:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html).
 * @throws InvalidInput for anything else (nothing is called or touched).
 */
export function requireDbInstanceIdentifier(id: string): string {
  if (!/^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}$/.test(id) || id.endsWith('-'))
    throw new InvalidInput(`not a DB instance identifier: ${JSON.stringify(id.slice(0, 80))}`);
  return id;
}
