import { DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import { ResourceGone } from '../../../core/errors';
import { hasAwsCode } from '../../aws-errors';
import type { PlaybookState } from '../../../core/contracts/state';
import type { PlannedAction } from '../../ec2/instance';
import type { StepDeps } from '../deps-base';
import type { ContainmentPlan } from '../hooks';
import { dbInstanceOf } from './common';

/**
 * PlanDryRun of `rds-compromise` (plan-registry.ts): one DescribeDBInstances, zero mutating calls, nothing recorded.
 * Lists the evidence chain PreserveDatabase makes (each stage only if its snapshot is missing then: lib/runtime/rds/
 * preserve.ts; a cluster snapshot for an Aurora cluster member, a transit copy for an encrypted database), the evidence
 * documents and manifest it writes into the evidence bucket (lib/runtime/rds/evidence.ts) and, when the instance is
 * publicly accessible now, the ModifyDBInstance ContainDatabase makes for an exposure finding (a public remote address,
 * read from the stored event, which the plan does not read). Kept apart from preserve.ts so that the
 * shared plan step's bundle stays small. A sample finding names a placeholder instance: nothing is looked up.
 * @throws {ResourceGone} when the instance is gone (DescribeDBInstances `DBInstanceNotFound`).
 */
export async function planDatabaseContainment(state: PlaybookState, deps: StepDeps): Promise<ContainmentPlan> {
  const i = state.incident;
  const id = dbInstanceOf(state);
  if (i.sample) {
    return { sample: true, actions: [{ operation: 'RDS.CreateDBSnapshot', target: id, change: 'sample finding: nothing is looked up' }] };
  }
  const { rds } = deps.clients.member(i.account, i.region);
  const db = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })).then(
    (out) => out.DBInstances?.[0],
    (err: unknown) => {
      if (hasAwsCode(err, 'DBInstanceNotFound', 'DBInstanceNotFoundFault'))
        throw new ResourceGone(`DB instance ${id} not found`, { cause: err });
      throw err;
    },
  );
  if (!db) throw new ResourceGone(`DB instance ${id} not found`);
  const of = db.DBClusterIdentifier ? `cluster ${db.DBClusterIdentifier}` : `instance ${id}`;
  const op = (name: string) => (db.DBClusterIdentifier ? name.replace('DBSnapshot', 'DBClusterSnapshot') : name);
  const actions: PlannedAction[] = [
    { operation: op('RDS.CreateDBSnapshot'), target: id, change: `snapshot of ${of} (if missing)` },
    ...(db.StorageEncrypted
      ? [{ operation: op('RDS.CopyDBSnapshot'), target: id, change: 'copy under the transit key (if missing)' }]
      : []),
    { operation: op('RDS.ModifyDBSnapshotAttribute'), target: id, change: 'restore: add the security account (if not yet)' },
    { operation: op('RDS.CopyDBSnapshot'), target: id, change: 'security account copy under the evidence key (if missing)' },
    {
      operation: 'S3.PutObject',
      target: deps.config.evidenceBucket,
      change: `${db.DBClusterIdentifier ? 'db-instance.json, db-cluster.json' : 'db-instance.json'}, snapshots.json, manifest.json (write once)`,
    },
  ];
  if (db.PubliclyAccessible === true) {
    actions.push({
      operation: 'RDS.ModifyDBInstance',
      target: id,
      change: "PubliclyAccessible true → false (ApplyImmediately), only if the finding's remote address is public",
    });
  }
  return {
    sample: false,
    actions,
    affected: db.PubliclyAccessible
      ? `every client reaching ${id} from outside its VPC, when the finding shows a public remote address`
      : 'nobody: the instance is not publicly accessible; the database user is named on the case for a person to rotate',
  };
}
