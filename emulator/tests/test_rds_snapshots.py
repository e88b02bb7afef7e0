"""Firebreak's moto extension for RDS DB snapshots: cross-account copies as AWS allows and refuses them.

Accounts: member 111111111111 owns the database; security 222222222222 (the server's default
account) receives the copies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import MEMBER, REGION, SECURITY, ClientFactory


def _cmk(kms: Any, alias: str, share_with: str | None = None) -> str:
    """A customer managed key (ARN) with ``alias``, usable by ``share_with`` when given."""
    policy = None
    if share_with:
        policy = json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{share_with}:root"},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            }
        )
    key = kms.create_key(**({"Policy": policy} if policy else {}))["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def _database(rds: Any, name: str, encrypted: bool = False) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="admin1",
        MasterUserPassword="password-123",
        AllocatedStorage=20,
        StorageEncrypted=encrypted,
    )


def _shared_snapshot(client: ClientFactory, encrypted: bool, key: str | None = None) -> str:
    """A member snapshot (copied under ``key`` when given) shared with the security account: its ARN."""
    rds = client("rds", MEMBER)
    _database(rds, "orders", encrypted)
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="src")
    name = "src"
    if key:
        rds.copy_db_snapshot(
            SourceDBSnapshotIdentifier="src", TargetDBSnapshotIdentifier="transit", KmsKeyId=key
        )
        name = "transit"
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=[SECURITY]
    )
    return str(rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]["DBSnapshotArn"])


def test_copies_an_unencrypted_snapshot_shared_by_another_account(client: ClientFactory) -> None:
    arn = _shared_snapshot(client, encrypted=False)
    security = client("rds")
    copy = security.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="evidence")
    snapshot = security.describe_db_snapshots(DBSnapshotIdentifier="evidence")["DBSnapshots"][0]
    assert snapshot["SourceDBSnapshotIdentifier"] == arn
    assert snapshot["DBSnapshotArn"] == f"arn:aws:rds:{REGION}:{SECURITY}:snapshot:evidence"
    assert snapshot["DBInstanceIdentifier"] == "orders"
    assert copy["DBSnapshot"]["SourceDBSnapshotIdentifier"] == arn


def test_copies_an_encrypted_shared_snapshot_under_the_callers_key(client: ClientFactory) -> None:
    transit = _cmk(client("kms", MEMBER), "alias/firebreak-transit", share_with=SECURITY)
    arn = _shared_snapshot(client, encrypted=True, key=transit)
    security = client("rds")
    evidence = _cmk(client("kms"), "alias/firebreak-evidence")
    security.copy_db_snapshot(
        SourceDBSnapshotIdentifier=arn,
        TargetDBSnapshotIdentifier="evidence",
        KmsKeyId="alias/firebreak-evidence",
    )
    snapshot = security.describe_db_snapshots(DBSnapshotIdentifier="evidence")["DBSnapshots"][0]
    assert snapshot["Encrypted"] is True
    assert snapshot["KmsKeyId"] == evidence
    assert snapshot["SourceDBSnapshotIdentifier"] == arn


def test_refuses_a_shared_snapshot_under_the_aws_managed_key(client: ClientFactory) -> None:
    arn = _shared_snapshot(client, encrypted=True)
    _cmk(client("kms"), "alias/firebreak-evidence")
    with pytest.raises(ClientError) as raised:
        client("rds").copy_db_snapshot(
            SourceDBSnapshotIdentifier=arn,
            TargetDBSnapshotIdentifier="evidence",
            KmsKeyId="alias/firebreak-evidence",
        )
    assert raised.value.response["Error"]["Code"] == "KMSKeyNotAccessibleFault"


def test_refuses_an_encrypted_shared_snapshot_without_a_key(client: ClientFactory) -> None:
    transit = _cmk(client("kms", MEMBER), "alias/firebreak-transit", share_with=SECURITY)
    arn = _shared_snapshot(client, encrypted=True, key=transit)
    with pytest.raises(ClientError) as raised:
        client("rds").copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="evidence")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_a_snapshot_not_shared_with_the_caller_is_not_found(client: ClientFactory) -> None:
    rds = client("rds", MEMBER)
    _database(rds, "orders")
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="src")
    arn = f"arn:aws:rds:{REGION}:{MEMBER}:snapshot:src"
    with pytest.raises(ClientError) as raised:
        client("rds").copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier="evidence")
    assert raised.value.response["Error"]["Code"] == "DBSnapshotNotFound"
    with pytest.raises(ClientError):
        client("rds").describe_db_snapshots(DBSnapshotIdentifier="evidence")


def test_a_same_account_copy_is_motos_and_has_no_source(client: ClientFactory) -> None:
    rds = client("rds", MEMBER)
    _database(rds, "orders")
    rds.create_db_snapshot(DBInstanceIdentifier="orders", DBSnapshotIdentifier="src")
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="src", TargetDBSnapshotIdentifier="copy")
    snapshot = rds.describe_db_snapshots(DBSnapshotIdentifier="copy")["DBSnapshots"][0]
    assert "SourceDBSnapshotIdentifier" not in snapshot


def test_patches_are_listed() -> None:
    import firebreak_moto
    from firebreak_moto import rds_snapshots

    assert set(rds_snapshots.PATCHES) <= set(firebreak_moto.PATCHES)


def _cluster_snapshot_shared(client: ClientFactory, encrypted: bool, key: str | None = None) -> str:
    """A member cluster snapshot (copied under ``key`` when given) shared with the security account: its ARN."""
    rds = client("rds", MEMBER)
    rds.create_db_cluster(
        DBClusterIdentifier="orders",
        Engine="aurora-postgresql",
        MasterUsername="admin1",
        MasterUserPassword="password-123",
        StorageEncrypted=encrypted,
    )
    rds.create_db_cluster_snapshot(DBClusterIdentifier="orders", DBClusterSnapshotIdentifier="src")
    name = "src"
    if key:
        rds.copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier="src", TargetDBClusterSnapshotIdentifier="transit", KmsKeyId=key
        )
        name = "transit"
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier=name, AttributeName="restore", ValuesToAdd=[SECURITY]
    )
    described = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=name)["DBClusterSnapshots"][0]
    return str(described["DBClusterSnapshotArn"])


def test_a_cluster_snapshot_copy_records_its_source_in_the_same_account(client: ClientFactory) -> None:
    transit = _cmk(client("kms", MEMBER), "alias/firebreak-transit", share_with=SECURITY)
    arn = _cluster_snapshot_shared(client, encrypted=True, key=transit)
    rds = client("rds", MEMBER)
    copy = rds.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="transit")["DBClusterSnapshots"][0]
    assert copy["DBClusterSnapshotArn"] == arn
    assert copy["SourceDBClusterSnapshotArn"] == f"arn:aws:rds:{REGION}:{MEMBER}:cluster-snapshot:src"
    assert copy["KmsKeyId"] == transit


def test_copies_an_encrypted_cluster_snapshot_shared_by_another_account(client: ClientFactory) -> None:
    transit = _cmk(client("kms", MEMBER), "alias/firebreak-transit", share_with=SECURITY)
    arn = _cluster_snapshot_shared(client, encrypted=True, key=transit)
    evidence = _cmk(client("kms"), "alias/firebreak-evidence")
    security = client("rds")
    security.copy_db_cluster_snapshot(
        SourceDBClusterSnapshotIdentifier=arn,
        TargetDBClusterSnapshotIdentifier="evidence",
        KmsKeyId="alias/firebreak-evidence",
    )
    copy = security.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier="evidence")["DBClusterSnapshots"][0]
    assert copy["SourceDBClusterSnapshotArn"] == arn
    assert copy["DBClusterSnapshotArn"] == f"arn:aws:rds:{REGION}:{SECURITY}:cluster-snapshot:evidence"
    assert copy["StorageEncrypted"] is True
    assert copy["KmsKeyId"] == evidence
    assert copy["DBClusterIdentifier"] == "orders"


def test_refuses_a_shared_cluster_snapshot_under_the_aws_managed_key_or_unshared(client: ClientFactory) -> None:
    arn = _cluster_snapshot_shared(client, encrypted=True)
    _cmk(client("kms"), "alias/firebreak-evidence")
    with pytest.raises(ClientError) as raised:
        client("rds").copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=arn,
            TargetDBClusterSnapshotIdentifier="evidence",
            KmsKeyId="alias/firebreak-evidence",
        )
    assert raised.value.response["Error"]["Code"] == "KMSKeyNotAccessibleFault"
    client("rds", MEMBER).modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="src", AttributeName="restore", ValuesToRemove=[SECURITY]
    )
    with pytest.raises(ClientError) as unshared:
        client("rds").copy_db_cluster_snapshot(
            SourceDBClusterSnapshotIdentifier=arn, TargetDBClusterSnapshotIdentifier="evidence"
        )
    assert unshared.value.response["Error"]["Code"] == "DBClusterSnapshotNotFoundFault"
