"""Each network interface has exactly its own security groups, as in AWS.

moto 5.2.5 reported, on every ENI attached to an instance, the union of the ENI's groups and the
instance's launch groups. These tests run against the patched server (the server's default account).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from conftest import ClientFactory


@dataclass
class Lab:
    ec2: Any
    subnet_id: str
    launch_sg: str
    new_sg: str
    other_sg: str
    instance_id: str
    primary_eni: str


@pytest.fixture
def lab(client: ClientFactory) -> Lab:
    """An instance launched with ``launch_sg`` in a fresh VPC, and two more groups."""
    ec2 = client("ec2")
    vpc_id = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]

    def group(name: str) -> str:
        return str(
            ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc_id)["GroupId"]
        )

    launch_sg, new_sg, other_sg = group("launch"), group("new"), group("other")
    image_id = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image_id,
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        SecurityGroupIds=[launch_sg],
    )["Instances"][0]
    primary = next(
        nic for nic in instance["NetworkInterfaces"] if nic["Attachment"]["DeviceIndex"] == 0
    )
    return Lab(
        ec2=ec2,
        subnet_id=subnet_id,
        launch_sg=launch_sg,
        new_sg=new_sg,
        other_sg=other_sg,
        instance_id=instance["InstanceId"],
        primary_eni=primary["NetworkInterfaceId"],
    )


def _ids(groups: list[dict[str, Any]]) -> list[str]:
    return sorted(group["GroupId"] for group in groups)


def _instance(lab: Lab) -> dict[str, Any]:
    reservations = lab.ec2.describe_instances(InstanceIds=[lab.instance_id])["Reservations"]
    return dict(reservations[0]["Instances"][0])


def _instance_groups(lab: Lab) -> list[str]:
    return _ids(_instance(lab)["SecurityGroups"])


def _groups_in_describe_instances(lab: Lab) -> dict[str, list[str]]:
    nics = _instance(lab)["NetworkInterfaces"]
    return {nic["NetworkInterfaceId"]: _ids(nic["Groups"]) for nic in nics}


def _groups_in_describe_network_interfaces(lab: Lab, *eni_ids: str) -> dict[str, list[str]]:
    nics = lab.ec2.describe_network_interfaces(NetworkInterfaceIds=list(eni_ids))
    return {nic["NetworkInterfaceId"]: _ids(nic["Groups"]) for nic in nics["NetworkInterfaces"]}


def _groups_attribute(lab: Lab, eni_id: str) -> list[str]:
    answer = lab.ec2.describe_network_interface_attribute(
        NetworkInterfaceId=eni_id, Attribute="groupSet"
    )
    return _ids(answer["Groups"])


def _attach_secondary(lab: Lab, groups: list[str]) -> str:
    eni_id = str(
        lab.ec2.create_network_interface(SubnetId=lab.subnet_id, Groups=groups)[
            "NetworkInterface"
        ]["NetworkInterfaceId"]
    )
    lab.ec2.attach_network_interface(
        NetworkInterfaceId=eni_id, InstanceId=lab.instance_id, DeviceIndex=1
    )
    return eni_id


def _assert_both_views(lab: Lab, expected: dict[str, list[str]]) -> None:
    """DescribeInstances and DescribeNetworkInterfaces (and the groupSet attribute) agree."""
    assert _groups_in_describe_instances(lab) == expected
    assert _groups_in_describe_network_interfaces(lab, *expected) == expected
    for eni_id, groups in expected.items():
        assert _groups_attribute(lab, eni_id) == groups


class TestLaunch:
    def test_run_instances_security_group_ids_are_the_primary_enis_groups(self, lab: Lab) -> None:
        _assert_both_views(lab, {lab.primary_eni: [lab.launch_sg]})
        assert _instance_groups(lab) == [lab.launch_sg]

    def test_run_instances_without_groups_puts_the_primary_eni_in_the_default_group(
        self, lab: Lab
    ) -> None:
        image_id = lab.ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        instance = lab.ec2.run_instances(
            ImageId=image_id, MinCount=1, MaxCount=1, SubnetId=lab.subnet_id
        )["Instances"][0]
        (nic,) = instance["NetworkInterfaces"]
        assert [group["GroupName"] for group in nic["Groups"]] == ["default"]


class TestPrimaryEni:
    def test_modified_primary_eni_shows_exactly_the_new_group(self, lab: Lab) -> None:
        lab.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=lab.primary_eni, Groups=[lab.new_sg]
        )
        _assert_both_views(lab, {lab.primary_eni: [lab.new_sg]})

    def test_instance_level_groups_follow_the_primary_eni(self, lab: Lab) -> None:
        lab.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=lab.primary_eni, Groups=[lab.new_sg, lab.other_sg]
        )
        assert _instance_groups(lab) == sorted([lab.new_sg, lab.other_sg])
        attribute = lab.ec2.describe_instance_attribute(
            InstanceId=lab.instance_id, Attribute="groupSet"
        )
        assert _ids(attribute["Groups"]) == sorted([lab.new_sg, lab.other_sg])

    def test_modify_without_groups_keeps_them(self, lab: Lab) -> None:
        lab.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=lab.primary_eni, Description={"Value": "eth0"}
        )
        _assert_both_views(lab, {lab.primary_eni: [lab.launch_sg]})
        assert _instance_groups(lab) == [lab.launch_sg]

    def test_modify_instance_attribute_groups_changes_the_primary_eni(self, lab: Lab) -> None:
        secondary = _attach_secondary(lab, [lab.other_sg])
        lab.ec2.modify_instance_attribute(InstanceId=lab.instance_id, Groups=[lab.new_sg])
        _assert_both_views(lab, {lab.primary_eni: [lab.new_sg], secondary: [lab.other_sg]})
        assert _instance_groups(lab) == [lab.new_sg]


class TestSecondaryEni:
    def test_attached_secondary_eni_shows_only_its_own_groups(self, lab: Lab) -> None:
        secondary = _attach_secondary(lab, [lab.other_sg])
        _assert_both_views(lab, {lab.primary_eni: [lab.launch_sg], secondary: [lab.other_sg]})

    def test_modified_secondary_eni_shows_only_the_new_groups(self, lab: Lab) -> None:
        secondary = _attach_secondary(lab, [lab.other_sg])
        lab.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=secondary, Groups=[lab.new_sg]
        )
        _assert_both_views(lab, {lab.primary_eni: [lab.launch_sg], secondary: [lab.new_sg]})
        # A secondary ENI's groups are not the instance's.
        assert _instance_groups(lab) == [lab.launch_sg]

    def test_detached_eni_keeps_its_own_groups(self, lab: Lab) -> None:
        secondary = _attach_secondary(lab, [lab.other_sg])
        attachment = lab.ec2.describe_network_interfaces(NetworkInterfaceIds=[secondary])[
            "NetworkInterfaces"
        ][0]["Attachment"]["AttachmentId"]
        lab.ec2.detach_network_interface(AttachmentId=attachment)
        assert _groups_in_describe_network_interfaces(lab, secondary) == {
            secondary: [lab.other_sg]
        }


class TestMotoUnionIsGone:
    """moto 5.2.5 added the instance's launch groups to every attached ENI; the patch stops it."""

    def test_launch_group_no_longer_lingers_on_any_attached_eni(self, lab: Lab) -> None:
        secondary = _attach_secondary(lab, [lab.other_sg])
        lab.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=lab.primary_eni, Groups=[lab.new_sg]
        )
        lab.ec2.modify_network_interface_attribute(
            NetworkInterfaceId=secondary, Groups=[lab.new_sg]
        )
        views = [
            _groups_in_describe_instances(lab),
            _groups_in_describe_network_interfaces(lab, lab.primary_eni, secondary),
        ]
        for view in views:
            for eni_id in (lab.primary_eni, secondary):
                # Unpatched moto answered [launch_sg, new_sg] for both ENIs here.
                assert lab.launch_sg not in view[eni_id]
                assert view[eni_id] == [lab.new_sg]
        assert lab.launch_sg not in _instance_groups(lab)

    def test_patch_is_registered(self) -> None:
        import firebreak_moto
        from firebreak_moto import network_interfaces

        assert set(network_interfaces.PATCHES) <= set(firebreak_moto.PATCHES)
