import type { DBCluster, DBInstance } from '@aws-sdk/client-rds';
import { dbEvidenceDocuments, OMITTED } from '../../../lib/runtime/rds/evidence';
import type { DbPreservationResult } from '../../../lib/runtime/rds/preserve';
import type { DbSnapshotRecord } from '../../../lib/runtime/rds/snapshots';

const ARN = 'arn:aws:rds:us-east-1:111122223333';

/** A DB instance record with the fields DescribeDBInstances gives (RDS API Reference, DBInstance). */
const instance: DBInstance = {
  DBInstanceIdentifier: 'orders-1',
  DBInstanceArn: `${ARN}:db:orders-1`,
  DbiResourceId: 'db-ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  Engine: 'postgres',
  MasterUsername: 'admin1',
  MasterUserSecret: { SecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:rds!db-1', SecretStatus: 'active' },
  PubliclyAccessible: true,
  StorageEncrypted: true,
  InstanceCreateTime: new Date('2026-12-01T09:00:00Z'),
  PendingModifiedValues: { MasterUserPassword: 'not-for-evidence-1', AllocatedStorage: 40 },
};

const member: DbSnapshotRecord = {
  kind: 'instance',
  stage: 'member',
  id: 'firebreak-src-0123456789abcdef01234567',
  arn: `${ARN}:snapshot:firebreak-src-0123456789abcdef01234567`,
  account: '111122223333',
  dbIdentifier: 'orders-1',
  encrypted: false,
  originalCreateTime: '2026-12-04T10:00:00.000Z',
  createTime: '2026-12-04T10:00:00.000Z',
  status: 'available',
};

const result = (described: DbPreservationResult['described'], kind: 'instance' | 'cluster' = 'instance'): DbPreservationResult => ({
  kind,
  dbIdentifier: kind === 'cluster' ? 'orders-cluster' : 'orders-1',
  chain: [member],
  described,
  actions: [],
});

describe('the evidence documents of a preserved DB instance (rds-compromise)', () => {
  it('db-instance.json and snapshots.json for a standalone instance: the records as read, the pending password omitted', () => {
    const docs = dbEvidenceDocuments(result({ dbInstance: instance }));
    expect(Object.keys(docs)).toEqual(['db-instance.json', 'snapshots.json']);
    const text = JSON.stringify(docs);
    expect(text).not.toContain('not-for-evidence-1');
    expect(docs['db-instance.json']).toEqual({
      dbInstanceIdentifier: 'orders-1',
      dbInstance: { ...instance, PendingModifiedValues: { MasterUserPassword: OMITTED, AllocatedStorage: 40 } },
    });
    // The secret's ARN is a reference, kept; the record read is not changed.
    expect(text).toContain(instance.MasterUserSecret!.SecretArn);
    expect(instance.PendingModifiedValues!.MasterUserPassword).toBe('not-for-evidence-1');
    expect(docs['snapshots.json']).toEqual({ kind: 'instance', dbIdentifier: 'orders-1', chain: [member] });
    expect(JSON.parse(JSON.stringify(docs['db-instance.json'])).dbInstance.InstanceCreateTime).toBe('2026-12-01T09:00:00.000Z');
  });

  it('an Aurora member also gets db-cluster.json, the cluster whose storage the chain snapshots, password omitted', () => {
    const cluster: DBCluster = {
      DBClusterIdentifier: 'orders-cluster',
      DBClusterArn: `${ARN}:cluster:orders-cluster`,
      StorageEncrypted: true,
      PendingModifiedValues: { MasterUserPassword: 'not-for-evidence-2' },
    };
    const docs = dbEvidenceDocuments(
      result({ dbInstance: { ...instance, PendingModifiedValues: undefined }, dbCluster: cluster }, 'cluster'),
    );
    expect(Object.keys(docs)).toEqual(['db-instance.json', 'db-cluster.json', 'snapshots.json']);
    expect(JSON.stringify(docs)).not.toContain('not-for-evidence-2');
    expect(docs['db-cluster.json']).toEqual({
      dbClusterIdentifier: 'orders-cluster',
      dbCluster: { ...cluster, PendingModifiedValues: { MasterUserPassword: OMITTED } },
    });
    expect(docs['snapshots.json']).toMatchObject({ kind: 'cluster', dbIdentifier: 'orders-cluster' });
  });
});
