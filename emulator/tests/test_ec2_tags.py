"""Tests of the EC2 tag lookup patch: same tags as moto's scan, without scanning."""

from __future__ import annotations

from typing import Any

from conftest import MEMBER, ClientFactory

import firebreak_moto


def test_tag_filters_and_tag_sets_are_unchanged(client: ClientFactory) -> None:
    ec2 = client("ec2", account=MEMBER)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    tagged = ec2.create_security_group(GroupName="fb-isolation", Description="d", VpcId=vpc)["GroupId"]
    ec2.create_tags(Resources=[tagged], Tags=[{"Key": "firebreak:role", "Value": "isolation"}, {"Key": "b", "Value": "2"}])
    ec2.create_security_group(GroupName="other", Description="d", VpcId=vpc)
    found = ec2.describe_security_groups(Filters=[{"Name": "tag-key", "Values": ["firebreak:role"]}])["SecurityGroups"]
    assert [g["GroupId"] for g in found] == [tagged]
    assert found[0]["Tags"] == [{"Key": "firebreak:role", "Value": "isolation"}, {"Key": "b", "Value": "2"}]
    by_value = ec2.describe_security_groups(Filters=[{"Name": "tag:firebreak:role", "Values": ["isolation"]}])
    assert [g["GroupId"] for g in by_value["SecurityGroups"]] == [tagged]


def test_get_tags_matches_moto_scan_and_does_not_scan(monkeypatch: Any) -> None:
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.tags import TagBackend

    firebreak_moto.apply_patches()
    backend = ec2_backends["333333333333"]["us-east-1"]
    vpc = backend.create_vpc("10.1.0.0/16")
    groups = [backend.create_security_group(f"g{n}", "d", vpc_id=vpc.id) for n in range(20)]
    for n, g in enumerate(groups):
        backend.create_tags([g.id], {"n": str(n), "role": "isolation" if n % 2 else "untrack"})
    expected = {g.id: backend.describe_tags(filters={"resource-id": [g.id]}) for g in groups}
    scans = []
    original = TagBackend.describe_tags
    monkeypatch.setattr(TagBackend, "describe_tags", lambda self, filters=None: scans.append(1) or original(self, filters))
    assert {g.id: g.get_tags() for g in groups} == expected
    found = backend.describe_security_groups(filters={"tag:role": ["isolation"], "vpc-id": [vpc.id]})
    assert sorted(g.id for g in found) == sorted(g.id for n, g in enumerate(groups) if n % 2)
    assert scans == []


def test_patch_is_registered() -> None:
    assert any("tags read by its ID" in p for p in firebreak_moto.PATCHES)
