"""Network interface security groups as AWS keeps them, which moto 5.2.5 merges with the instance's.

Each patch is narrow: it replaces one moto method or property, keeps moto's behaviour for everything
it does not name, and cites the AWS page it follows. Read against
``moto/ec2/models/elastic_network_interfaces.py`` and ``moto/ec2/models/instances.py``.

Behaviours added (see ``PATCHES`` for the one-line list):

1. Every network interface reports its own security groups only (``NetworkInterface.group_set``,
   used by DescribeNetworkInterfaces, DescribeNetworkInterfaceAttribute ``groupSet`` and
   DescribeInstances ``NetworkInterfaces[].Groups``). moto returned the union of the ENI's groups
   and the attached instance's ``security_groups``, so after ModifyNetworkInterfaceAttribute the
   instance's launch groups stayed on every attached ENI, even on a secondary ENI that never had
   them. AWS: security groups are associated with network interfaces, and each ENI has its own
   set (EC2 User Guide, "Elastic network interfaces" and "Amazon EC2 security groups for your EC2
   instances"); ModifyNetworkInterfaceAttribute ``Groups``: "Changes the security groups for the
   network interface. The new set of groups you specify replaces the current set" (EC2 API
   reference, ModifyNetworkInterfaceAttribute). Launch behaviour is unchanged: moto already puts
   the launch groups into the primary ENI's own set (``Instance.prep_nics``).
2. ModifyInstanceAttribute ``Groups`` also replaces the primary network interface's (device index
   0) groups, as well as the instance's. AWS: "When you change the security groups for an
   instance, you're changing the security groups for the primary network interface" (EC2 User
   Guide, "Change the security groups for your Amazon EC2 instance"); ModifyInstanceAttribute
   ``Groups``: "Replaces the security groups of the instance with the specified security groups"
   (EC2 API reference, ModifyInstanceAttribute).
3. ModifyNetworkInterfaceAttribute ``Groups`` on an instance's primary network interface also sets
   the instance-level groups (``Instance.security_groups``: DescribeInstances ``SecurityGroups``,
   DescribeInstanceAttribute ``groupSet`` and the ``instance.group-id`` filters), which in AWS are
   the primary ENI's groups (same User Guide page as 2). Secondary ENIs do not touch them.
"""

from __future__ import annotations

from typing import Any

from moto.ec2.models.elastic_network_interfaces import (
    NetworkInterface,
    NetworkInterfaceBackend,
)
from moto.ec2.models.instances import Instance, InstanceBackend

PRIMARY_DEVICE_INDEX = 0

PATCHES = (
    "NetworkInterface groups: the ENI's own set only, not merged with the instance's groups",
    "ModifyInstanceAttribute Groups: also replaces the primary network interface's groups",
    "ModifyNetworkInterfaceAttribute Groups on a primary ENI: also the instance-level groups",
)

_original: dict[str, Any] = {}


def _primary_eni(instance: Instance) -> NetworkInterface | None:
    nics: dict[int, NetworkInterface] = getattr(instance, "nics", {}) or {}
    return nics.get(PRIMARY_DEVICE_INDEX)


# --------------------------------------------------------------------------------------------
# model patches


def group_set(self: NetworkInterface) -> list[Any]:
    """The ENI's own security groups (patch 1).

    AWS: EC2 API reference "ModifyNetworkInterfaceAttribute" (``Groups`` replaces the ENI's set);
    EC2 User Guide "Elastic network interfaces".
    """
    return self._group_set


def modify_network_interface_attribute(
    self: NetworkInterfaceBackend,
    eni_id: str,
    group_ids: list[str],
    source_dest_check: bool | None = None,
    description: str | None = None,
) -> None:
    """moto's ModifyNetworkInterfaceAttribute; a primary ENI's groups also go to the instance (3).

    AWS: EC2 User Guide "Change the security groups for your Amazon EC2 instance" (the instance's
    groups are its primary network interface's groups).
    """
    _original["modify_network_interface_attribute"](
        self,
        eni_id,
        group_ids,
        source_dest_check=source_dest_check,
        description=description,
    )
    if not group_ids:
        return
    eni = self.get_network_interface(eni_id)
    instance = eni.instance
    if instance is not None and _primary_eni(instance) is eni:
        instance.security_groups = list(eni._group_set)


def modify_instance_security_groups(
    self: InstanceBackend, instance_id: str, new_group_id_list: list[str]
) -> Instance:
    """moto's ModifyInstanceAttribute ``Groups``, plus the primary ENI's groups (patch 2).

    AWS: EC2 API reference "ModifyInstanceAttribute"; EC2 User Guide "Change the security groups
    for your Amazon EC2 instance".
    """
    instance = _original["modify_instance_security_groups"](
        self, instance_id, new_group_id_list
    )
    primary = _primary_eni(instance)
    if primary is not None and new_group_id_list:
        primary._group_set = list(instance.security_groups)
    return instance


def apply() -> None:
    """Install the patches (idempotent)."""
    if _original:
        return
    _original["group_set"] = NetworkInterface.group_set
    _original["modify_network_interface_attribute"] = (
        NetworkInterfaceBackend.modify_network_interface_attribute
    )
    _original["modify_instance_security_groups"] = (
        InstanceBackend.modify_instance_security_groups
    )

    NetworkInterface.group_set = property(group_set)  # type: ignore[assignment,method-assign]
    NetworkInterfaceBackend.modify_network_interface_attribute = (  # type: ignore[method-assign]
        modify_network_interface_attribute
    )
    InstanceBackend.modify_instance_security_groups = (  # type: ignore[method-assign]
        modify_instance_security_groups
    )
