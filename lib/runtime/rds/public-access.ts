import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RDSClient } from '@aws-sdk/client-rds';
import { NotYetConsistent, ResourceGone } from '../../core/errors';
import { hasAwsCode } from '../aws-errors';
import type { PlannedAction, StepMode } from '../ec2/instance';
import { requireDbInstanceIdentifier } from './snapshot-ids';

/**
 * Exposure containment of a DB instance (rds-compromise): its public accessibility turned off, and release turning it
 * back on only when Firebreak turned it off and it is still off. Nothing else about the database changes: never its
 * security groups, users or passwords (those are the runbook's, by hand).
 *
 * `PubliclyAccessible` false gives the instance's DNS name only private addresses, so it is reachable only from inside
 * its VPC (RDS API Reference, ModifyDBInstance, PubliclyAccessible:
 * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_ModifyDBInstance.html); with `ApplyImmediately` the
 * change is made now, not in the next maintenance window. It is applied asynchronously (the instance goes through
 * `modifying`), so the read-back may show the old value for a while: {@link NotYetConsistent}, retried.
 * AWS's guidance: GuardDuty User Guide, "Remediating a potentially compromised database"
 * (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty-remediate-compromised-rds.html): restrict the database's
 * network access when the suspicious logins came from outside.
 */

/** The prior state recorded before Firebreak turns public accessibility off (`priorState.publicAccessibility`). */
export interface DbPublicAccessPrior {
  readonly dbInstanceIdentifier: string;
  /**
   * Which instance it was: its `DbiResourceId` ("The Amazon Web Services Region-unique, immutable identifier for the DB
   * instance") and `InstanceCreateTime` (ISO 8601) as DescribeDBInstances gave them (RDS API Reference, DBInstance,
   * https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html). Release restores only that instance,
   * never another one created later under the same identifier.
   */
  readonly dbiResourceId?: string;
  readonly instanceCreateTime?: string;
  /** Always true: a record exists only when Firebreak was about to turn it off. */
  readonly publiclyAccessible: true;
}

/** Records prior state on the case (the ledger's `recordPriorState`: the first record wins); returns what is stored. */
export type DbPriorRecorder = <T>(key: 'publicAccessibility', value: T) => Promise<T>;

/** What containment or release did (or, planned, would do). */
export interface DbPublicAccessResult {
  readonly dbInstanceIdentifier: string;
  /** `turned-off`/`already-off` (containment), `restored`/`left` (release), `not-changed` (release: Firebreak changed nothing). */
  readonly outcome: 'turned-off' | 'already-off' | 'restored' | 'left' | 'not-changed';
  readonly actions: PlannedAction[];
}

/**
 * Reads an instance's `PubliclyAccessible` (DescribeDBInstances).
 * @throws InvalidInput for an identifier that is not one (no call made). ResourceGone when there is no such instance
 *   (`DBInstanceNotFound`).
 */
export async function readPubliclyAccessible(rds: RDSClient, dbInstanceIdentifier: string): Promise<boolean> {
  return (await readExposure(rds, dbInstanceIdentifier)).publiclyAccessible;
}

/** `PubliclyAccessible` and which instance it is (DescribeDBInstances); the errors of {@link readPubliclyAccessible}. */
async function readExposure(
  rds: RDSClient,
  dbInstanceIdentifier: string,
): Promise<{ publiclyAccessible: boolean; dbiResourceId?: string; instanceCreateTime?: string }> {
  requireDbInstanceIdentifier(dbInstanceIdentifier);
  try {
    const db = (await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: dbInstanceIdentifier }))).DBInstances?.[0];
    return {
      publiclyAccessible: db?.PubliclyAccessible === true,
      ...(db?.DbiResourceId ? { dbiResourceId: db.DbiResourceId } : {}),
      ...(db?.InstanceCreateTime ? { instanceCreateTime: db.InstanceCreateTime.toISOString() } : {}),
    };
  } catch (err) {
    if (hasAwsCode(err, 'DBInstanceNotFound', 'DBInstanceNotFoundFault'))
      throw new ResourceGone(`DB instance ${dbInstanceIdentifier} not found`, { cause: err });
    throw err;
  }
}

const modify = (dbInstanceIdentifier: string, publiclyAccessible: boolean) =>
  new ModifyDBInstanceCommand({
    DBInstanceIdentifier: dbInstanceIdentifier,
    PubliclyAccessible: publiclyAccessible,
    ApplyImmediately: true,
  });

/**
 * Turns an instance's public accessibility off, only when DescribeDBInstances says it is on now; the prior value is
 * recorded on the case before the change. Converges when run twice, twice at once (both record `true`, both set
 * `false`) or after a crash after the record or after the modify (the re-run reads `false` and changes nothing).
 * @param mode - `plan`: reads only, returns the action (dry run: zero mutating calls, nothing recorded).
 * @throws ResourceGone for an instance that is gone.
 */
export async function ensureDbNotPublic(
  rds: RDSClient,
  dbInstanceIdentifier: string,
  mode: StepMode,
  record: DbPriorRecorder,
): Promise<DbPublicAccessResult> {
  const now = await readExposure(rds, dbInstanceIdentifier);
  if (!now.publiclyAccessible) return { dbInstanceIdentifier, outcome: 'already-off', actions: [] };
  const actions = [
    { operation: 'RDS.ModifyDBInstance', target: dbInstanceIdentifier, change: 'PubliclyAccessible true → false (ApplyImmediately)' },
  ];
  if (mode === 'plan') return { dbInstanceIdentifier, outcome: 'turned-off', actions };
  const { dbiResourceId, instanceCreateTime } = now;
  const prior = {
    dbInstanceIdentifier,
    ...(dbiResourceId ? { dbiResourceId } : {}),
    ...(instanceCreateTime ? { instanceCreateTime } : {}),
  };
  await record<DbPublicAccessPrior>('publicAccessibility', { ...prior, publiclyAccessible: true });
  await rds.send(modify(dbInstanceIdentifier, false));
  return { dbInstanceIdentifier, outcome: 'turned-off', actions };
}

/**
 * Reads back that the instance is not publicly accessible.
 * @throws NotYetConsistent while it still reads publicly accessible (the change is applied asynchronously).
 */
export async function verifyDbNotPublic(rds: RDSClient, dbInstanceIdentifier: string): Promise<void> {
  if (await readPubliclyAccessible(rds, dbInstanceIdentifier))
    throw new NotYetConsistent(`DB instance ${dbInstanceIdentifier} still reads PubliclyAccessible true`);
}

/**
 * Release: public accessibility back on only when the case recorded that Firebreak turned it off (`prior`) and it is
 * still off, as Firebreak left it; when it is already on (someone, or a crash before Firebreak's modify, left it so)
 * nothing is written. Never turns on what was off before containment: without a record nothing changes, nor when the
 * instance under the identifier is not the one recorded (its `DbiResourceId` or `InstanceCreateTime` differ: it was
 * deleted and another created under its name).
 * @param rds - the member account's RDS client (releaser role).
 * @param mode - `plan`: reads only.
 * @throws ResourceGone for an instance that is gone.
 */
export async function ensureDbPublicAccessRestored(
  rds: RDSClient,
  dbInstanceIdentifier: string,
  prior: DbPublicAccessPrior | undefined,
  mode: StepMode,
): Promise<DbPublicAccessResult> {
  if (prior?.publiclyAccessible !== true || prior.dbInstanceIdentifier !== dbInstanceIdentifier)
    return { dbInstanceIdentifier, outcome: 'not-changed', actions: [] };
  const now = await readExposure(rds, dbInstanceIdentifier);
  if (now.dbiResourceId !== prior.dbiResourceId || now.instanceCreateTime !== prior.instanceCreateTime)
    return { dbInstanceIdentifier, outcome: 'not-changed', actions: [] };
  if (now.publiclyAccessible) return { dbInstanceIdentifier, outcome: 'left', actions: [] };
  const actions = [
    {
      operation: 'RDS.ModifyDBInstance',
      target: dbInstanceIdentifier,
      change: 'PubliclyAccessible false → true (the recorded prior value)',
    },
  ];
  if (mode === 'apply') await rds.send(modify(dbInstanceIdentifier, true));
  return { dbInstanceIdentifier, outcome: 'restored', actions };
}
