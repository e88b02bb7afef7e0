"""EBS snapshot lock (firebreak_moto.snapshot_lock): what AWS allows and refuses, per mode and lock state.

The cooling-off period's end is checked in-process on the lock's pure state function and change rule (a server test
cannot wait an hour); everything else through the server, as the TypeScript harness calls it.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import MEMBER, REGION, ClientFactory


def _snapshot(ec2: Any) -> str:
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)
    return str(ec2.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"])


def _code(call: Any) -> str:
    with pytest.raises(ClientError) as err:
        call()
    return str(err.value.response["Error"]["Code"])


def test_governance_lock_is_described_blocks_delete_and_can_be_unlocked(client: ClientFactory) -> None:
    ec2 = client("ec2")
    snap = _snapshot(ec2)
    other = _snapshot(ec2)
    locked = ec2.lock_snapshot(SnapshotId=snap, LockMode="governance", LockDuration=30)
    assert locked["SnapshotId"] == snap and locked["LockState"] == "governance" and locked["LockDuration"] == 30
    assert "CoolOffPeriod" not in locked
    span = locked["LockExpiresOn"] - locked["LockDurationStartTime"]
    assert span == timedelta(days=30)

    listed = ec2.describe_locked_snapshots()["Snapshots"]
    assert [s["SnapshotId"] for s in listed] == [snap]  # the unlocked snapshot is not listed
    assert listed[0]["OwnerId"] and listed[0]["LockExpiresOn"] == locked["LockExpiresOn"]
    assert ec2.describe_locked_snapshots(SnapshotIds=[other])["Snapshots"] == []
    assert ec2.describe_locked_snapshots(Filters=[{"Name": "lock-state", "Values": ["compliance"]}])["Snapshots"] == []

    assert _code(lambda: ec2.delete_snapshot(SnapshotId=snap)) == "OperationNotPermitted"
    # Governance: shorten, then unlock; the snapshot can then be deleted.
    shorter = ec2.lock_snapshot(SnapshotId=snap, LockMode="governance", LockDuration=1)
    assert shorter["LockExpiresOn"] < locked["LockExpiresOn"]
    assert ec2.unlock_snapshot(SnapshotId=snap)["SnapshotId"] == snap
    assert ec2.describe_locked_snapshots(SnapshotIds=[snap])["Snapshots"] == []
    ec2.delete_snapshot(SnapshotId=snap)


def test_compliance_without_cool_off_can_only_be_extended(client: ClientFactory) -> None:
    ec2 = client("ec2")
    snap = _snapshot(ec2)
    locked = ec2.lock_snapshot(SnapshotId=snap, LockMode="compliance", LockDuration=10)
    assert locked["LockState"] == "compliance"
    assert _code(lambda: ec2.unlock_snapshot(SnapshotId=snap)) == "OperationNotPermitted"
    assert _code(lambda: ec2.delete_snapshot(SnapshotId=snap)) == "OperationNotPermitted"
    assert _code(lambda: ec2.lock_snapshot(SnapshotId=snap, LockMode="governance", LockDuration=20)) == "OperationNotPermitted"
    assert _code(lambda: ec2.lock_snapshot(SnapshotId=snap, LockMode="compliance", LockDuration=5)) == "OperationNotPermitted"
    assert (
        _code(lambda: ec2.lock_snapshot(SnapshotId=snap, LockMode="compliance", LockDuration=20, CoolOffPeriod=1))
        == "OperationNotPermitted"
    )
    later = locked["LockExpiresOn"] + timedelta(days=5)
    extended = ec2.lock_snapshot(SnapshotId=snap, LockMode="compliance", ExpirationDate=later)
    assert extended["LockState"] == "compliance" and extended["LockExpiresOn"] == later
    (described,) = ec2.describe_locked_snapshots(SnapshotIds=[snap])["Snapshots"]
    assert described["LockExpiresOn"] == later


def test_compliance_cool_off_allows_changes_until_it_ends(client: ClientFactory) -> None:
    ec2 = client("ec2")
    snap = _snapshot(ec2)
    locked = ec2.lock_snapshot(SnapshotId=snap, LockMode="compliance", LockDuration=10, CoolOffPeriod=24)
    assert locked["LockState"] == "compliance-cooloff" and locked["CoolOffPeriod"] == 24
    assert locked["CoolOffPeriodExpiresOn"] - locked["LockCreatedOn"] == timedelta(hours=24)
    assert _code(lambda: ec2.delete_snapshot(SnapshotId=snap)) == "OperationNotPermitted"
    # Within the cooling-off period: any change, an unlock too.
    assert ec2.lock_snapshot(SnapshotId=snap, LockMode="governance", LockDuration=2)["LockState"] == "governance"
    ec2.unlock_snapshot(SnapshotId=snap)
    ec2.delete_snapshot(SnapshotId=snap)


def test_bad_parameters_are_refused(client: ClientFactory) -> None:
    ec2 = client("ec2")
    snap = _snapshot(ec2)
    future = datetime.now(timezone.utc) + timedelta(days=3)
    bad = [
        ({"LockMode": "governance"}, "MissingParameter"),
        ({"LockMode": "governance", "LockDuration": 3, "ExpirationDate": future}, "InvalidParameterCombination"),
        ({"LockMode": "governance", "LockDuration": 36501}, "InvalidParameterValue"),
        ({"LockMode": "governance", "ExpirationDate": future - timedelta(days=4)}, "InvalidParameterValue"),
        ({"LockMode": "governance", "LockDuration": 3, "CoolOffPeriod": 2}, "InvalidParameterCombination"),
        ({"LockMode": "compliance", "LockDuration": 3, "CoolOffPeriod": 73}, "InvalidParameterValue"),
    ]
    for params, code in bad:
        assert _code(lambda: ec2.lock_snapshot(SnapshotId=snap, **params)) == code, params
    assert ec2.describe_locked_snapshots()["Snapshots"] == []  # nothing was locked
    assert _code(lambda: ec2.lock_snapshot(SnapshotId="snap-0123456789abcdef0", LockMode="governance", LockDuration=1)) == (
        "InvalidSnapshot.NotFound"
    )


def test_only_the_owner_locks_or_describes_its_snapshot(client: ClientFactory) -> None:
    member, security = client("ec2", account=MEMBER), client("ec2")
    snap = _snapshot(member)
    member.modify_snapshot_attribute(
        SnapshotId=snap, Attribute="createVolumePermission", CreateVolumePermission={"Add": [{"UserId": "222222222222"}]}
    )
    assert _code(lambda: security.lock_snapshot(SnapshotId=snap, LockMode="governance", LockDuration=1)) == (
        "InvalidSnapshot.NotFound"
    )
    assert _code(lambda: security.describe_locked_snapshots(SnapshotIds=[snap])) == "InvalidSnapshot.NotFound"


def test_lock_state_after_cool_off_and_expiry() -> None:
    from firebreak_moto import snapshot_lock

    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    lock = {
        "mode": "compliance",
        "LockExpiresOn": at + timedelta(days=10),
        "CoolOffPeriodExpiresOn": at + timedelta(hours=24),
    }
    assert snapshot_lock.lock_state(lock, at) == "compliance-cooloff"
    assert snapshot_lock.lock_state(lock, at + timedelta(hours=24)) == "compliance"
    assert snapshot_lock.lock_state(lock, at + timedelta(days=10)) == "expired"
    # After the cooling-off period the lock may only grow.
    with pytest.raises(snapshot_lock.LockRefused):
        snapshot_lock._check_change(lock, "compliance", "compliance", None, at + timedelta(days=9))
    snapshot_lock._check_change(lock, "compliance", "compliance", None, at + timedelta(days=11))
    snapshot_lock._check_change(lock, "compliance-cooloff", "governance", None, at + timedelta(days=1))


def test_describe_locked_snapshots_pages_by_max_results(client: ClientFactory) -> None:
    # DescribeLockedSnapshots: MaxResults 5 to 1000, NextToken while more remain (EC2 API reference,
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLockedSnapshots.html).
    ec2 = client("ec2")
    snaps = [_snapshot(ec2) for _ in range(6)]
    for snap in snaps:
        ec2.lock_snapshot(SnapshotId=snap, LockMode="governance", LockDuration=1)
    first = ec2.describe_locked_snapshots(SnapshotIds=snaps, MaxResults=5)
    assert len(first["Snapshots"]) == 5 and first["NextToken"]
    second = ec2.describe_locked_snapshots(SnapshotIds=snaps, MaxResults=5, NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert sorted(s["SnapshotId"] for s in first["Snapshots"] + second["Snapshots"]) == sorted(snaps)
    assert "NextToken" not in ec2.describe_locked_snapshots(SnapshotIds=snaps)  # no MaxResults: one page
    for snap in snaps:
        ec2.unlock_snapshot(SnapshotId=snap)
