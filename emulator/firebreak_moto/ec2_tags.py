"""EC2 resource tags read by resource ID, not by scanning every tag of the account.

moto 5.2.5 reads one resource's tags (``TaggedEC2Resource.get_tags``, used to serialize every tagged
resource and to evaluate every ``tag:``/``tag-key`` filter) through ``describe_tags`` with a
``resource-id`` filter, which compiles a pattern and walks every tag of every resource in the account.
A DescribeSecurityGroups with a tag filter (the storm's read-back, Contain's group lookup) then costs the
number of groups times the number of tags in the account: quadratic in the account's resources. In a
storm of 1,000 findings over 200 instances it was a fifth of the emulator's CPU (sampled with py-spy on
test/bench/storm.ts).

Patch: ``get_tags`` looks the resource's tags up in the backend's tag map by its ID and returns the same
entries (resource ID, key, value, resource type), in the same order, as moto's filtered scan: a
``resource-id`` filter without wildcards matches that ID only. No AWS behaviour changes.
"""

from __future__ import annotations

from typing import Any, Callable

from moto.ec2.models.core import TaggedEC2Resource
from moto.ec2.utils import EC2_PREFIX_TO_RESOURCE, get_prefix

PATCHES = ("EC2: a resource's tags read by its ID (describes with tag filters no longer scan every tag per resource)",)

_original: dict[str, Callable[..., Any]] = {}


def get_tags(self: Any) -> list[dict[str, str]]:
    """The resource's tags as moto's ``describe_tags(filters={"resource-id": [id]})`` lists them."""
    resource_id = self.id
    if not resource_id:
        return []
    tags = self.ec2_backend.tags.get(resource_id)
    if not tags:
        return []
    resource_type = EC2_PREFIX_TO_RESOURCE.get(get_prefix(resource_id), "")
    return [
        {"resource_id": resource_id, "key": key, "value": value, "resource_type": resource_type}
        for key, value in list(tags.items())
    ]


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    _original["get_tags"] = TaggedEC2Resource.get_tags
    TaggedEC2Resource.get_tags = get_tags  # type: ignore[method-assign]
