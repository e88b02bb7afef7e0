"""Firebreak's moto extension allows what AWS allows and refuses what AWS refuses.

Accounts: member 111111111111 owns the evidence source; security 222222222222 (the server's
default account) receives the copies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from conftest import MEMBER, REGION, SECURITY, ClientFactory

AZ = f"{REGION}a"


def _cmk(kms: Any, alias: str, share_with: str | None = None) -> str:
    """A customer managed key (ARN) with ``alias``."""
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


def _snapshot(ec2: Any, **volume_args: Any) -> dict[str, Any]:
    volume = ec2.create_volume(AvailabilityZone=AZ, Size=8, **volume_args)
    snapshot_id = ec2.create_snapshot(VolumeId=volume["VolumeId"])["SnapshotId"]
    return dict(ec2.describe_snapshots(SnapshotIds=[snapshot_id])["Snapshots"][0])


def _share(ec2: Any, snapshot_id: str, account: str, form: str = "structure") -> None:
    if form == "structure":
        ec2.modify_snapshot_attribute(
            SnapshotId=snapshot_id,
            Attribute="createVolumePermission",
            CreateVolumePermission={"Add": [{"UserId": account}]},
        )
    else:
        ec2.modify_snapshot_attribute(
            SnapshotId=snapshot_id,
            Attribute="createVolumePermission",
            OperationType="add",
            UserIds=[account],
        )


def _snapshot_ids(ec2: Any) -> set[str]:
    return {s["SnapshotId"] for s in ec2.describe_snapshots()["Snapshots"]}


def _error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return str(excinfo.value.response["Error"]["Code"])


class TestAccounts:
    def test_requests_without_an_account_go_to_moto_account_id(self, client: ClientFactory) -> None:
        assert client("sts").get_caller_identity()["Account"] == SECURITY

    def test_the_header_selects_another_account(self, client: ClientFactory) -> None:
        snapshot_id = _snapshot(client("ec2", MEMBER))["SnapshotId"]
        assert _snapshot_ids(client("ec2", MEMBER)) >= {snapshot_id}
        assert snapshot_id not in _snapshot_ids(client("ec2"))

    def test_assume_role_credentials_select_the_role_account(self, client: ClientFactory) -> None:
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{SECURITY}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = client("iam", MEMBER).create_role(
            RoleName="FirebreakResponder", AssumeRolePolicyDocument=json.dumps(trust)
        )["Role"]
        creds = client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="test")["Credentials"]
        assert client("sts", credentials=creds).get_caller_identity()["Account"] == MEMBER
        snapshot_id = _snapshot(client("ec2", credentials=creds))["SnapshotId"]
        assert snapshot_id in _snapshot_ids(client("ec2", MEMBER))
        assert snapshot_id not in _snapshot_ids(client("ec2", SECURITY))


class TestCopySnapshotAllows:
    def test_copy_of_own_snapshot(self, client: ClientFactory) -> None:
        ec2 = client("ec2", MEMBER)
        source = _snapshot(ec2)
        copy_id = ec2.copy_snapshot(
            SourceSnapshotId=source["SnapshotId"],
            SourceRegion=REGION,
            Description="own copy",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "k", "Value": "v"}]}],
        )["SnapshotId"]
        copy = ec2.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"][0]
        assert copy["OwnerId"] == MEMBER
        assert copy["Encrypted"] is False
        assert copy["Tags"] == [{"Key": "k", "Value": "v"}]

    def test_copy_of_own_aws_ebs_snapshot_reencrypted_with_a_cmk(self, client: ClientFactory) -> None:
        ec2, kms = client("ec2", MEMBER), client("kms", MEMBER)
        transit = _cmk(kms, "alias/firebreak-transit", share_with=SECURITY)
        source = _snapshot(ec2, Encrypted=True)
        copy_id = ec2.copy_snapshot(
            SourceSnapshotId=source["SnapshotId"],
            SourceRegion=REGION,
            Encrypted=True,
            KmsKeyId="alias/firebreak-transit",
        )["SnapshotId"]
        copy = ec2.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"][0]
        assert copy["Encrypted"] is True
        assert copy["KmsKeyId"] == transit  # reported as the key ARN, as AWS does
        _share(ec2, copy_id, SECURITY)  # a CMK-encrypted copy may be shared

    def test_copy_of_own_encrypted_snapshot_keeps_the_source_key(self, client: ClientFactory) -> None:
        ec2, kms = client("ec2", MEMBER), client("kms", MEMBER)
        key = _cmk(kms, "alias/data")
        source = _snapshot(ec2, Encrypted=True, KmsKeyId=key)
        copy_id = ec2.copy_snapshot(SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION)[
            "SnapshotId"
        ]
        assert ec2.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"][0]["KmsKeyId"] == key

    @pytest.mark.parametrize("form", ["structure", "operation-type"])
    def test_copy_of_snapshot_shared_with_the_caller(self, client: ClientFactory, form: str) -> None:
        member_ec2, member_kms = client("ec2", MEMBER), client("kms", MEMBER)
        _cmk(member_kms, "alias/firebreak-transit", share_with=SECURITY)
        evidence = _cmk(client("kms", SECURITY), "alias/firebreak-evidence")
        source = _snapshot(member_ec2, Encrypted=True, KmsKeyId="alias/firebreak-transit")
        _share(member_ec2, source["SnapshotId"], SECURITY, form)

        security_ec2 = client("ec2", SECURITY)
        copy_id = security_ec2.copy_snapshot(
            SourceSnapshotId=source["SnapshotId"],
            SourceRegion=REGION,
            Encrypted=True,
            KmsKeyId=evidence,
            TagSpecifications=[
                {"ResourceType": "snapshot", "Tags": [{"Key": "firebreak:case", "Value": "c-1"}]}
            ],
        )["SnapshotId"]

        copy = security_ec2.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"][0]
        assert copy["OwnerId"] == SECURITY
        assert copy["Encrypted"] is True
        assert copy["KmsKeyId"] == evidence
        assert copy["Tags"] == [{"Key": "firebreak:case", "Value": "c-1"}]
        assert copy_id not in _snapshot_ids(member_ec2)

    def test_copy_of_shared_encrypted_snapshot_without_a_key_uses_the_callers_default_key(
        self, client: ClientFactory
    ) -> None:
        member_ec2 = client("ec2", MEMBER)
        transit = _cmk(client("kms", MEMBER), "alias/firebreak-transit", share_with=SECURITY)
        source = _snapshot(member_ec2, Encrypted=True, KmsKeyId=transit)
        _share(member_ec2, source["SnapshotId"], SECURITY)
        security_ec2 = client("ec2", SECURITY)
        copy_id = security_ec2.copy_snapshot(
            SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION
        )["SnapshotId"]
        copy = security_ec2.describe_snapshots(SnapshotIds=[copy_id])["Snapshots"][0]
        default_key = client("kms", SECURITY).describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]
        assert copy["Encrypted"] is True
        assert copy["KmsKeyId"] == default_key["Arn"]

    def test_copy_of_public_snapshot(self, client: ClientFactory) -> None:
        member_ec2 = client("ec2", MEMBER)
        source = _snapshot(member_ec2)
        member_ec2.modify_snapshot_attribute(
            SnapshotId=source["SnapshotId"],
            Attribute="createVolumePermission",
            CreateVolumePermission={"Add": [{"Group": "all"}]},
        )
        copy_id = client("ec2", SECURITY).copy_snapshot(
            SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION
        )["SnapshotId"]
        assert copy_id.startswith("snap-")


class TestCopySnapshotRefuses:
    def test_copy_of_unshared_snapshot_of_another_account(self, client: ClientFactory) -> None:
        source = _snapshot(client("ec2", MEMBER))
        with pytest.raises(ClientError) as excinfo:
            client("ec2", SECURITY).copy_snapshot(
                SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION
            )
        assert _error_code(excinfo) == "InvalidSnapshot.NotFound"

    def test_copy_after_the_share_is_removed(self, client: ClientFactory) -> None:
        member_ec2 = client("ec2", MEMBER)
        source = _snapshot(member_ec2)
        _share(member_ec2, source["SnapshotId"], SECURITY)
        member_ec2.modify_snapshot_attribute(
            SnapshotId=source["SnapshotId"],
            Attribute="createVolumePermission",
            CreateVolumePermission={"Remove": [{"UserId": SECURITY}]},
        )
        attribute = member_ec2.describe_snapshot_attribute(
            SnapshotId=source["SnapshotId"], Attribute="createVolumePermission"
        )
        assert attribute["CreateVolumePermissions"] == []
        with pytest.raises(ClientError) as excinfo:
            client("ec2", SECURITY).copy_snapshot(
                SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION
            )
        assert _error_code(excinfo) == "InvalidSnapshot.NotFound"

    def test_copy_of_snapshot_shared_with_a_third_account(self, client: ClientFactory) -> None:
        member_ec2 = client("ec2", MEMBER)
        source = _snapshot(member_ec2)
        _share(member_ec2, source["SnapshotId"], "333333333333")
        with pytest.raises(ClientError) as excinfo:
            client("ec2", SECURITY).copy_snapshot(
                SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION
            )
        assert _error_code(excinfo) == "InvalidSnapshot.NotFound"

    def test_copy_of_a_snapshot_that_does_not_exist(self, client: ClientFactory) -> None:
        with pytest.raises(ClientError) as excinfo:
            client("ec2", SECURITY).copy_snapshot(
                SourceSnapshotId="snap-0123456789abcdef0", SourceRegion=REGION
            )
        assert _error_code(excinfo) == "InvalidSnapshot.NotFound"

    def test_kms_key_without_encrypted(self, client: ClientFactory) -> None:
        ec2 = client("ec2", MEMBER)
        key = _cmk(client("kms", MEMBER), "alias/data")
        source = _snapshot(ec2)
        with pytest.raises(ClientError) as excinfo:
            ec2.copy_snapshot(
                SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION, KmsKeyId=key
            )
        assert _error_code(excinfo) == "InvalidParameterDependency"


class TestShareRefusesAwsManagedKey:
    @pytest.mark.parametrize("form", ["structure", "operation-type"])
    def test_sharing_a_snapshot_encrypted_with_default_aws_ebs(
        self, client: ClientFactory, form: str
    ) -> None:
        ec2 = client("ec2", MEMBER)
        source = _snapshot(ec2, Encrypted=True)
        aws_ebs = client("kms", MEMBER).describe_key(KeyId="alias/aws/ebs")["KeyMetadata"]["Arn"]
        assert source["KmsKeyId"] == aws_ebs  # the snapshot carries its volume's key
        with pytest.raises(ClientError) as excinfo:
            _share(ec2, source["SnapshotId"], SECURITY, form)
        assert _error_code(excinfo) == "OperationNotPermitted"
        assert "EBS default key" in excinfo.value.response["Error"]["Message"]
        attribute = ec2.describe_snapshot_attribute(
            SnapshotId=source["SnapshotId"], Attribute="createVolumePermission"
        )
        assert attribute["CreateVolumePermissions"] == []

    def test_sharing_a_snapshot_encrypted_with_the_aws_ebs_alias(self, client: ClientFactory) -> None:
        ec2 = client("ec2", MEMBER)
        source = _snapshot(ec2, Encrypted=True, KmsKeyId="alias/aws/ebs")
        with pytest.raises(ClientError) as excinfo:
            _share(ec2, source["SnapshotId"], SECURITY)
        assert _error_code(excinfo) == "OperationNotPermitted"

    def test_sharing_unencrypted_and_cmk_snapshots_is_allowed(self, client: ClientFactory) -> None:
        ec2 = client("ec2", MEMBER)
        key = _cmk(client("kms", MEMBER), "alias/data", share_with=SECURITY)
        for source in (_snapshot(ec2), _snapshot(ec2, Encrypted=True, KmsKeyId=key)):
            _share(ec2, source["SnapshotId"], SECURITY)
            attribute = ec2.describe_snapshot_attribute(
                SnapshotId=source["SnapshotId"], Attribute="createVolumePermission"
            )
            assert attribute["CreateVolumePermissions"] == [{"UserId": SECURITY}]


class TestCreateSnapshots:
    def test_instance_specification_tag_specifications_and_copy_tags_from_source(
        self, client: ClientFactory
    ) -> None:
        ec2 = client("ec2", MEMBER)
        key = _cmk(client("kms", MEMBER), "alias/data")
        image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1, Placement={"AvailabilityZone": AZ})[
            "Instances"
        ][0]
        data = ec2.create_volume(
            AvailabilityZone=AZ,
            Size=20,
            Encrypted=True,
            KmsKeyId=key,
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": "app", "Value": "db"}, {"Key": "case", "Value": "volume"}]}
            ],
        )
        ec2.attach_volume(VolumeId=data["VolumeId"], InstanceId=instance["InstanceId"], Device="/dev/sdf")
        excluded = ec2.create_volume(AvailabilityZone=AZ, Size=5)
        ec2.attach_volume(VolumeId=excluded["VolumeId"], InstanceId=instance["InstanceId"], Device="/dev/sdg")

        result = ec2.create_snapshots(
            InstanceSpecification={
                "InstanceId": instance["InstanceId"],
                "ExcludeBootVolume": True,
                "ExcludeDataVolumeIds": [excluded["VolumeId"]],
            },
            Description="firebreak evidence",
            TagSpecifications=[
                {"ResourceType": "snapshot", "Tags": [{"Key": "case", "Value": "c-1"}]}
            ],
            CopyTagsFromSource="volume",
        )["Snapshots"]

        assert len(result) == 1
        info = result[0]
        assert info["VolumeId"] == data["VolumeId"]
        assert info["State"] in ("pending", "completed")
        assert info["Encrypted"] is True
        assert sorted((t["Key"], t["Value"]) for t in info["Tags"]) == [("app", "db"), ("case", "c-1")]
        described = ec2.describe_snapshots(SnapshotIds=[info["SnapshotId"]])["Snapshots"][0]
        assert described["KmsKeyId"] == key
        assert described["Description"] == "firebreak evidence"

    def test_boot_volume_is_included_unless_excluded(self, client: ClientFactory) -> None:
        ec2 = client("ec2", MEMBER)
        image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        instance = ec2.run_instances(ImageId=image_id, MinCount=1, MaxCount=1)["Instances"][0]
        result = ec2.create_snapshots(InstanceSpecification={"InstanceId": instance["InstanceId"]})
        assert len(result["Snapshots"]) == 1
        assert "Tags" not in result["Snapshots"][0] or result["Snapshots"][0]["Tags"] == []


class TestDescribeSnapshotsShared:
    """Behaviour 7: DescribeSnapshots by ID sees a snapshot shared with the caller, with its owner's OwnerId."""

    def test_a_snapshot_shared_with_the_caller_is_described_with_its_owner(self, client: ClientFactory) -> None:
        member_ec2 = client("ec2", MEMBER)
        source = _snapshot(member_ec2)
        _share(member_ec2, source["SnapshotId"], SECURITY, "structure")
        security_ec2 = client("ec2", SECURITY)
        own = security_ec2.copy_snapshot(SourceSnapshotId=source["SnapshotId"], SourceRegion=REGION)["SnapshotId"]
        seen = security_ec2.describe_snapshots(SnapshotIds=[source["SnapshotId"], own])["Snapshots"]
        assert {s["SnapshotId"]: s["OwnerId"] for s in seen} == {source["SnapshotId"]: MEMBER, own: SECURITY}
        # Not listed among the caller's own.
        assert source["SnapshotId"] not in _snapshot_ids(security_ec2)

    def test_an_unshared_snapshot_of_another_account_stays_not_found(self, client: ClientFactory) -> None:
        source = _snapshot(client("ec2", MEMBER))
        with pytest.raises(ClientError) as excinfo:
            client("ec2", SECURITY).describe_snapshots(SnapshotIds=[source["SnapshotId"]])
        assert _error_code(excinfo) == "InvalidSnapshot.NotFound"
