"""EBS snapshot behaviour that moto 5.2.5 lacks on Firebreak's evidence path.

Each patch is narrow: it replaces one moto method, keeps moto's behaviour for everything it does not
name, and cites the AWS page it follows. Read against
``moto/ec2/models/elastic_block_store.py`` and ``moto/ec2/responses/elastic_block_store.py``.

Behaviours added (see ``PATCHES`` for the one-line list):

1. CopySnapshot across accounts (``EBSBackend.copy_snapshot``). moto looks the source up only in the
   caller's own account. AWS: "You can copy snapshots that you own and snapshots that are shared with
   you, privately or publicly" (EBS User Guide, "Copy an Amazon EBS snapshot"). A snapshot is shared
   with an account through its ``createVolumePermission`` (UserId = the account, or Group = ``all``)
   (EBS User Guide, "Share an Amazon EBS snapshot with other AWS accounts"). Anything else is
   ``InvalidSnapshot.NotFound``, as for a snapshot that does not exist.
2. CopySnapshot encryption (``Encrypted``/``KmsKeyId``, which moto's response ignored / stored raw).
   Follows the CopySnapshot API reference and the EBS User Guide "Amazon EBS encryption" rules:
   a ``KmsKeyId`` needs ``Encrypted``; copies of encrypted snapshots stay encrypted; without a key
   the copy of your own snapshot keeps the source key, and the copy of a snapshot shared with you
   (or an unencrypted source copied with ``Encrypted``) uses your account's default EBS key.
   The copy is owned by the caller, and its ``KmsKeyId`` is reported as a key ARN.
3. ModifySnapshotAttribute refuses to share a snapshot encrypted with the AWS managed key
   ``aws/ebs``. EBS User Guide, "Share an Amazon EBS snapshot with other AWS accounts": "You can't
   share snapshots that are encrypted with the default AWS managed key"; EC2 API reference,
   ModifySnapshotAttribute: "Snapshots encrypted with your default KMS key cannot be shared with
   other accounts". The pages state the rule, not the error: AWS answers ``OperationNotPermitted``
   with "Encrypted snapshots with EBS default key cannot be shared", the message that AWS Backup's
   developer guide lists among copy-job errors and that AWS returns to SDK callers.
4. ModifySnapshotAttribute accepts the ``CreateVolumePermission={Add|Remove: [{UserId|Group}]}``
   form (EC2 API reference, ModifySnapshotAttribute / CreateVolumePermissionModifications). moto
   5.2.5 reads only ``OperationType`` + ``UserIds``/``GroupNames`` and silently ignored this form.
5. Snapshots of encrypted volumes carry the volume's KMS key (CreateSnapshot/CreateSnapshots). EBS
   User Guide, "Amazon EBS encryption": snapshots created from an encrypted volume are encrypted
   with the volume's KMS key. moto kept ``Encrypted`` but dropped ``KmsKeyId``.
6. CreateSnapshots ``CopyTagsFromSource=volume`` and ``InstanceSpecification.ExcludeDataVolumeIds``
   (EC2 API reference, CreateSnapshots / InstanceSpecification), which moto ignored, and the
   ``State`` member of each returned ``SnapshotInfo``, which moto left out.
7. DescribeSnapshots by ID returns a snapshot another account owns and shared with the caller (its
   ``createVolumePermission`` names the caller's account, or the ``all`` group), with its owner's
   ``OwnerId``. EC2 API reference, DescribeSnapshots
   (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html): "The snapshots
   available to you include public snapshots, private snapshots that you own, and private snapshots owned
   by other Amazon Web Services accounts for which you have explicit create volume permissions", and "If
   you specify one or more snapshot IDs, only snapshots that have the specified IDs are returned". moto
   looked the IDs up in the caller's account only. An ID neither owned nor shared keeps moto's
   ``InvalidSnapshot.NotFound``.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult, EmptyResult
from moto.ec2.exceptions import EC2ClientError, InvalidParameterDependency
from moto.ec2.models.elastic_block_store import EBSBackend, Snapshot
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
from moto.ec2.utils import generic_filter, random_snapshot_id

AWS_EBS_ALIAS = "alias/aws/ebs"

PATCHES = (
    "CopySnapshot: source owned by the caller or shared with it via createVolumePermission",
    "CopySnapshot: Encrypted/KmsKeyId honoured; copy owned by the caller; KmsKeyId as key ARN",
    "ModifySnapshotAttribute: refuse sharing aws/ebs-encrypted snapshots (OperationNotPermitted)",
    "ModifySnapshotAttribute: CreateVolumePermission Add/Remove form",
    "CreateSnapshot(s): snapshot inherits the volume's KmsKeyId",
    "CreateSnapshots: CopyTagsFromSource=volume, ExcludeDataVolumeIds, SnapshotInfo.State",
    "DescribeSnapshots: by ID, snapshots other accounts shared with the caller (createVolumePermission)",
)


class SnapshotNotFound(EC2ClientError):
    """``InvalidSnapshot.NotFound``, with AWS's message naming the snapshot."""

    def __init__(self, snapshot_id: str) -> None:
        super().__init__(
            "InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist."
        )


class DefaultKeySnapshotNotShareable(EC2ClientError):
    """AWS's refusal to share a snapshot encrypted with the AWS managed key aws/ebs."""

    def __init__(self) -> None:
        super().__init__(
            "OperationNotPermitted",
            "Encrypted snapshots with EBS default key cannot be shared",
        )


# --------------------------------------------------------------------------------------------
# helpers


def _kms_backend(account_id: str, region: str) -> Any:
    from moto.kms.models import kms_backends

    return kms_backends[account_id][region]


def _key_location(key_id: str, account_id: str, region: str) -> tuple[str, str]:
    """(account, region) that hold ``key_id``: taken from an ARN, else the caller's."""
    if key_id.startswith("arn:"):
        parts = key_id.split(":")
        if len(parts) >= 6 and parts[3] and parts[4]:
            return parts[4], parts[3]
    return account_id, region


def _resolve_key_arn(key_id: str, account_id: str, region: str) -> str | None:
    """The ARN of the KMS key that ``key_id`` (ID, ARN, alias or alias ARN) names, if it exists."""
    key_account, key_region = _key_location(key_id, account_id, region)
    try:
        return _kms_backend(key_account, key_region).describe_key(key_id).arn
    except Exception:  # unknown key or alias: the caller keeps moto's raw value
        return None


def _is_aws_managed_ebs_key(snapshot: Snapshot) -> bool:
    """True when an encrypted snapshot's key is the AWS managed key ``aws/ebs``.

    An encrypted snapshot without a KmsKeyId can only have come from moto's default (aws/ebs).
    """
    if not snapshot.encrypted:
        return False
    key_id = snapshot.kms_key_id
    if not key_id:
        return True
    if key_id == AWS_EBS_ALIAS or key_id.endswith(":" + AWS_EBS_ALIAS):
        return True
    backend = snapshot.ec2_backend
    key_account, key_region = _key_location(key_id, backend.account_id, backend.region_name)
    kms = _kms_backend(key_account, key_region)
    if not kms.alias_exists(AWS_EBS_ALIAS):
        return False
    ebs_key = kms.describe_key(AWS_EBS_ALIAS)
    return key_id in (ebs_key.arn, ebs_key.id)


def _find_copy_source(
    caller: EBSBackend, snapshot_id: str, source_region: str
) -> Snapshot:
    """The snapshot the caller may copy: its own, or one shared with it (or with ``all``)."""
    from moto.ec2.models import ec2_backends

    caller_account = caller.account_id  # type: ignore[attr-defined]
    own = ec2_backends[caller_account][source_region]
    if snapshot_id in own.snapshots:
        return own.snapshots[snapshot_id]
    # Look in the other accounts without creating backends for them (dict.get, not __getitem__).
    for account_id, regions in list(dict.items(ec2_backends)):
        if account_id == caller_account:
            continue
        backend = dict.get(regions, source_region)
        if backend is None:
            continue
        snapshot = backend.snapshots.get(snapshot_id)
        if snapshot is None:
            continue
        if (
            caller_account in snapshot.create_volume_permission_userids
            or "all" in snapshot.create_volume_permission_groups
        ):
            return snapshot
        break  # exists, but not shared with the caller: AWS does not reveal it
    raise SnapshotNotFound(snapshot_id)


def _default_ebs_key(backend: EBSBackend) -> str:
    return backend.default_kms_key_id or backend._create_default_encryption_key()


# --------------------------------------------------------------------------------------------
# model patches

_original: dict[str, Any] = {}


def copy_snapshot(
    self: EBSBackend,
    source_snapshot_id: str,
    source_region: str,
    description: str,
    kms_key_id: str | None,
    encrypted: bool | None = None,
) -> Snapshot:
    """CopySnapshot with AWS's cross-account and encryption rules (patches 1 and 2).

    AWS: EC2 API reference "CopySnapshot"; EBS User Guide "Copy an Amazon EBS snapshot" and
    "Amazon EBS encryption".
    """
    source = _find_copy_source(self, source_snapshot_id, source_region)
    if kms_key_id and not encrypted:
        # CopySnapshot KmsKeyId: "If KmsKeyId is specified, the encrypted state must be true."
        raise InvalidParameterDependency("KmsKeyId", "Encrypted")

    account_id = self.account_id  # type: ignore[attr-defined]
    region = self.region_name  # type: ignore[attr-defined]
    owned = source.owner_id == account_id
    key: str | None = None
    if kms_key_id:
        key = _resolve_key_arn(kms_key_id, account_id, region) or kms_key_id
    elif source.encrypted and owned:
        key = source.kms_key_id or _default_ebs_key(self)
    elif source.encrypted or encrypted:
        # A shared encrypted source, or encrypting an unencrypted one: the caller's default key.
        key = _default_ebs_key(self)

    snapshot_id = random_snapshot_id()
    snapshot = Snapshot(
        self,
        snapshot_id,
        volume=source.volume,
        description=description,
        encrypted=key is not None,
        kms_key_id=key,
        owner_id=account_id,
    )
    self.snapshots[snapshot_id] = snapshot
    return snapshot


def add_create_volume_permission(
    self: EBSBackend, snapshot_id: str, user_ids: list[str], groups: list[str]
) -> None:
    """Refuse sharing an aws/ebs-encrypted snapshot (patch 3), else moto's behaviour.

    AWS: EBS User Guide "Share an Amazon EBS snapshot with other AWS accounts" ("You can't share
    snapshots that are encrypted with the default AWS managed key").
    """
    snapshot = self.get_snapshot(snapshot_id)
    if (user_ids or groups) and _is_aws_managed_ebs_key(snapshot):
        raise DefaultKeySnapshotNotShareable()
    _original["add_create_volume_permission"](
        self, snapshot_id, user_ids=user_ids, groups=groups
    )


def create_snapshot(
    self: EBSBackend,
    volume_id: str,
    description: str,
    owner_id: str | None = None,
    from_ami: str | None = None,
) -> Snapshot:
    """moto's CreateSnapshot, plus the volume's KMS key on the snapshot (patch 5).

    AWS: EBS User Guide "Amazon EBS encryption" (snapshots of encrypted volumes are encrypted with
    the same KMS key).
    """
    snapshot = _original["create_snapshot"](
        self, volume_id, description, owner_id=owner_id, from_ami=from_ami
    )
    volume = snapshot.volume
    if volume.encrypted and not snapshot.kms_key_id:
        snapshot.kms_key_id = volume.kms_key_id or _default_ebs_key(self)
    return snapshot


def create_snapshots(
    self: EBSBackend,
    instance_spec: dict[str, Any],
    description: str,
    tags: dict[str, str],
    copy_tags_from_source: str | None = None,
) -> list[Snapshot]:
    """CreateSnapshots with ExcludeDataVolumeIds and CopyTagsFromSource (patch 6).

    AWS: EC2 API reference "CreateSnapshots" and "InstanceSpecification". Volume tags are copied
    first; TagSpecifications tags are applied after them, so an explicit tag wins on a key clash.
    """
    instance = self.get_instance(instance_spec["InstanceId"])  # type: ignore[attr-defined]
    exclude_boot = str(instance_spec.get("ExcludeBootVolume", False)).lower() == "true"
    exclude_data = set(instance_spec.get("ExcludeDataVolumeIds") or [])
    volume_ids = []
    for device, mapping in instance.get_block_device_mapping:
        if exclude_boot and device == instance.root_device_name:
            continue
        if mapping.volume_id in exclude_data and device != instance.root_device_name:
            continue
        volume_ids.append(mapping.volume_id)

    snapshots = []
    for volume_id in volume_ids:
        snapshot = self.create_snapshot(volume_id, description=description)
        if copy_tags_from_source == "volume":
            volume_tags = dict(self.tags.get(volume_id, {}))  # type: ignore[attr-defined]
            snapshot.add_tags(volume_tags)
        snapshot.add_tags(tags)
        snapshots.append(snapshot)
    return snapshots


# --------------------------------------------------------------------------------------------
# response (request parsing) patches


def response_copy_snapshot(self: ElasticBlockStore) -> ActionResult:
    """moto's CopySnapshot response, passing ``Encrypted`` to the model (patch 2)."""
    source_snapshot_id = self._get_param("SourceSnapshotId")
    source_region = self._get_param("SourceRegion")
    description = self._get_param("Description")
    tags = self._parse_tag_specification()
    snapshot_tags = tags.get("snapshot", {})
    kms_key_id = self._get_param("KmsKeyId")
    raw_encrypted = self._get_param("Encrypted")
    encrypted = None if raw_encrypted is None else str(raw_encrypted).lower() == "true"

    self.error_on_dryrun()

    snapshot = self.ec2_backend.copy_snapshot(
        source_snapshot_id=source_snapshot_id,
        source_region=source_region,
        description=description,
        kms_key_id=kms_key_id,
        encrypted=encrypted,
    )
    snapshot.add_tags(snapshot_tags)
    return ActionResult({"SnapshotId": snapshot.id, "Tags": snapshot.tag_set})


def response_create_snapshots(self: ElasticBlockStore) -> ActionResult:
    """moto's CreateSnapshots response, passing ``CopyTagsFromSource`` (patch 6)."""
    instance_spec = self._get_param("InstanceSpecification", {})
    description = self._get_param("Description", "")
    copy_tags_from_source = self._get_param("CopyTagsFromSource")
    tags = self._parse_tag_specification()
    snapshot_tags = tags.get("snapshot", {})

    self.error_on_dryrun()

    snapshots = self.ec2_backend.create_snapshots(
        instance_spec, description, snapshot_tags, copy_tags_from_source
    )
    return ActionResult({"Snapshots": snapshots})


def response_modify_snapshot_attribute(self: ElasticBlockStore) -> ActionResult:
    """Also accept ``CreateVolumePermission={Add,Remove}`` (patch 4); else moto's behaviour."""
    modifications = self._get_param("CreateVolumePermission") or {}
    add = modifications.get("Add") or []
    remove = modifications.get("Remove") or []
    if not add and not remove:
        return _original["response_modify_snapshot_attribute"](self)

    snapshot_id = self._get_param("SnapshotId")
    self.error_on_dryrun()

    def split(items: list[dict[str, str]]) -> tuple[list[str], list[str]]:
        user_ids = [item["UserId"] for item in items if item.get("UserId")]
        groups = [item["Group"] for item in items if item.get("Group")]
        return user_ids, groups

    if add:
        user_ids, groups = split(add)
        self.ec2_backend.add_create_volume_permission(
            snapshot_id, user_ids=user_ids, groups=groups
        )
    if remove:
        user_ids, groups = split(remove)
        self.ec2_backend.remove_create_volume_permission(
            snapshot_id, user_ids=user_ids, groups=groups
        )
    return EmptyResult()


def describe_snapshots(
    self: EBSBackend, snapshot_ids: list[str] | None = None, filters: Any = None
) -> list[Snapshot]:
    """moto's DescribeSnapshots, with IDs the caller does not own looked up among the snapshots shared with it
    (behaviour 7); an ID neither owned nor shared raises ``InvalidSnapshot.NotFound``."""
    foreign = [i for i in snapshot_ids or [] if i not in self.snapshots]
    if not foreign:
        return _original["describe_snapshots"](self, snapshot_ids=snapshot_ids, filters=filters)  # type: ignore[no-any-return]
    shared = [_find_copy_source(self, i, self.region_name) for i in foreign]  # type: ignore[attr-defined]
    own_ids = [i for i in snapshot_ids or [] if i in self.snapshots]
    own = _original["describe_snapshots"](self, snapshot_ids=own_ids, filters=None) if own_ids else []
    matches = own + shared
    return generic_filter(filters, matches) if filters else matches


def apply() -> None:
    """Install the patches (idempotent)."""
    if _original:
        return
    _original["describe_snapshots"] = EBSBackend.describe_snapshots
    EBSBackend.describe_snapshots = describe_snapshots  # type: ignore[method-assign]
    _original["add_create_volume_permission"] = EBSBackend.add_create_volume_permission
    _original["create_snapshot"] = EBSBackend.create_snapshot
    _original["response_modify_snapshot_attribute"] = (
        ElasticBlockStore.modify_snapshot_attribute
    )

    EBSBackend.copy_snapshot = copy_snapshot  # type: ignore[method-assign]
    EBSBackend.add_create_volume_permission = add_create_volume_permission  # type: ignore[method-assign]
    EBSBackend.create_snapshot = create_snapshot  # type: ignore[method-assign]
    EBSBackend.create_snapshots = create_snapshots  # type: ignore[method-assign]
    # SnapshotInfo (CreateSnapshots result) serializes `State` from a `state` attribute.
    Snapshot.state = property(lambda snapshot: snapshot.status)  # type: ignore[attr-defined]

    ElasticBlockStore.copy_snapshot = response_copy_snapshot  # type: ignore[method-assign]
    ElasticBlockStore.create_snapshots = response_create_snapshots  # type: ignore[method-assign]
    ElasticBlockStore.modify_snapshot_attribute = response_modify_snapshot_attribute  # type: ignore[method-assign]
