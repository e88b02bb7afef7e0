"""RDS DB snapshot behaviour that moto 5.2.5 lacks on Firebreak's evidence path.

Each patch replaces one moto method, keeps moto's behaviour for everything it does not name, and
cites the AWS page it follows. Read against ``moto/rds/models.py`` (``RDSBackend.copy_db_snapshot``,
``get_snapshot``, ``DBSnapshot``).

Behaviours added (see ``PATCHES`` for the one-line list):

1. CopyDBSnapshot from a snapshot shared by another account. moto looks an ARN's snapshot up in the
   caller's own account only. AWS, RDS API reference "CopyDBSnapshot", SourceDBSnapshotIdentifier:
   "If you are copying from a shared manual DB snapshot, this parameter must be the Amazon Resource
   Name (ARN) of the shared DB snapshot." A manual snapshot is shared with an account through its
   ``restore`` attribute (the account ID, or ``all``): RDS API reference
   "ModifyDBSnapshotAttribute". A snapshot not shared with the caller is ``DBSnapshotNotFound``, as
   one that does not exist.
2. The copy of a shared snapshot records where it came from: ``SourceDBSnapshotIdentifier`` ("The
   DB snapshot Amazon Resource Name (ARN) that the DB snapshot was copied from. It only has a value
   in the case of a cross-account or cross-Region copy": RDS API reference, "DBSnapshot"), and its
   ``KmsKeyId`` is reported as the key's ARN (moto kept the raw alias for an alias).
3. An encrypted snapshot shared from another account cannot be copied when it is encrypted with
   that account's AWS managed key ``aws/rds``: "You can't share a snapshot that has been encrypted
   using the default AWS KMS key of the AWS account that shared the snapshot" (RDS User Guide,
   "Sharing a DB snapshot", https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html).
   AWS accepts the share and refuses the copy, with ``KMSKeyNotAccessibleFault`` "The source
   snapshot KMS key [<arn>] does not exist, is not enabled or you do not have permissions to access
   it." (reported by AWS's own aurora-snapshot-tool, https://github.com/awslabs/aurora-snapshot-tool/issues/26).
   moto gives an instance encrypted without a key the placeholder ``default_kms_key_id``: that is
   taken as ``aws/rds`` ("If you don't specify a KMS key, RDS uses the AWS managed key":
   RDS API reference, CreateDBInstance, KmsKeyId).
   Also from that page: "If you copy an encrypted DB snapshot that is shared from another AWS
   account, then you must specify a value for KmsKeyId"; the copy is refused without one
   (``InvalidParameterValue``; the page states the rule, not the error code).
4. The same for DB cluster snapshots (CopyDBClusterSnapshot, ``restore`` of ModifyDBClusterSnapshotAttribute): "To
   copy a DB cluster snapshot from a shared manual DB cluster snapshot, SourceDBClusterSnapshotIdentifier must be the
   Amazon Resource Name (ARN) of the shared DB cluster snapshot" and "If you copy an encrypted DB cluster snapshot that
   is shared from another AWS account, then you must specify a value for KmsKeyId" (RDS API Reference,
   CopyDBClusterSnapshot); every copy records ``SourceDBClusterSnapshotArn`` ("If the DB cluster snapshot was copied
   from a source DB cluster snapshot, the ARN for the source DB cluster snapshot, otherwise, a null value": RDS API
   Reference, DBClusterSnapshot), which moto left out, and its ``KmsKeyId`` is reported as the key's ARN.
"""

from __future__ import annotations

from typing import Any

from moto.rds.exceptions import (
    DBClusterSnapshotAlreadyExistsError,
    DBClusterSnapshotNotFoundError,
    DBSnapshotAlreadyExistsError,
    DBSnapshotNotFoundFault,
    InvalidParameterValue,
    KMSKeyNotAccessibleFault,
    SnapshotQuotaExceededFault,
)
from moto.rds.models import DBClusterSnapshot, DBSnapshot, RDSBackend

AWS_RDS_ALIAS = "alias/aws/rds"
MOTO_DEFAULT_KEY = "default_kms_key_id"

PATCHES = (
    "CopyDBSnapshot: a source ARN in another account, shared with the caller via restore",
    "CopyDBSnapshot: a cross-account copy records SourceDBSnapshotIdentifier; KmsKeyId as key ARN",
    "CopyDBSnapshot: refuse a shared source under aws/rds (KMSKeyNotAccessibleFault), or without KmsKeyId",
    "CopyDBClusterSnapshot: the same for cluster snapshots; every copy records SourceDBClusterSnapshotArn",
)

_original: dict[str, Any] = {}


def _arn_parts(arn: str) -> tuple[str, str, str, str] | None:
    """(region, account, resource type, name) of an RDS ARN, or None for a plain identifier."""
    parts = arn.split(":")
    if len(parts) != 7 or parts[0] != "arn" or parts[2] != "rds":
        return None
    return parts[3], parts[4], parts[5], parts[6]


def _shared_source(caller: RDSBackend, arn: str, cluster: bool = False) -> Any:
    """The (cluster) snapshot another account shares with the caller by ``arn``; None when it is the caller's own."""
    from moto.rds.models import rds_backends

    not_found = DBClusterSnapshotNotFoundError if cluster else DBSnapshotNotFoundFault
    parts = _arn_parts(arn)
    if parts is None:
        return None
    region, account, _, name = parts
    if account == caller.account_id:
        return None
    regions = dict.get(rds_backends, account)
    backend = dict.get(regions, region) if regions is not None else None
    store = (backend.cluster_snapshots if cluster else backend.database_snapshots) if backend is not None else {}
    snapshot = store.get(name.lower())
    if snapshot is None:
        raise not_found(arn)
    restore = snapshot.attributes.get("restore", [])
    if caller.account_id not in restore and "all" not in restore:
        raise not_found(arn)
    return snapshot


def _is_aws_managed_rds_key(snapshot: DBSnapshot | DBClusterSnapshot) -> bool:
    """True when an encrypted snapshot's key is its account's AWS managed key ``aws/rds``."""
    key_id = snapshot.kms_key_id
    if not snapshot.encrypted and not snapshot.storage_encrypted:
        return False
    if not key_id or key_id == MOTO_DEFAULT_KEY:
        return True
    if key_id == AWS_RDS_ALIAS or key_id.endswith(":" + AWS_RDS_ALIAS):
        return True
    from moto.kms.models import kms_backends

    kms = kms_backends[snapshot.backend.account_id][snapshot.backend.region_name]
    if not kms.alias_exists(AWS_RDS_ALIAS):
        return False
    managed = kms.describe_key(AWS_RDS_ALIAS)
    return key_id in (managed.arn, managed.id)


def copy_db_snapshot(
    self: RDSBackend,
    source_db_snapshot_identifier: str,
    target_db_snapshot_identifier: str,
    kms_key_id: str | None = None,
    tags: list[dict[str, str]] | None = None,
    copy_tags: bool | None = False,
    **kwargs: Any,
) -> DBSnapshot:
    """CopyDBSnapshot with AWS's cross-account rules (patches 1 to 3); moto's own otherwise."""
    source = _shared_source(self, source_db_snapshot_identifier)
    if source is None:
        return _original["copy_db_snapshot"](
            self,
            source_db_snapshot_identifier,
            target_db_snapshot_identifier,
            kms_key_id=kms_key_id,
            tags=tags,
            copy_tags=copy_tags,
            **kwargs,
        )
    if target_db_snapshot_identifier.lower() in self.database_snapshots:
        raise DBSnapshotAlreadyExistsError(target_db_snapshot_identifier)
    if len(self.database_snapshots) >= self.SNAPSHOT_QUOTA:
        raise SnapshotQuotaExceededFault()
    encrypted = bool(source.encrypted or source.storage_encrypted)
    if encrypted and _is_aws_managed_rds_key(source):
        raise KMSKeyNotAccessibleFault(str(source.kms_key_id))
    if encrypted and not kms_key_id:
        raise InvalidParameterValue(
            "KmsKeyId is required to copy an encrypted DB snapshot shared from another account."
        )
    key_arn = self._validate_kms_key(kms_key_id) if kms_key_id else None
    if copy_tags and not tags:
        tags = source.tags or []
    target = DBSnapshot(
        self,
        source.database,
        target_db_snapshot_identifier,
        tags=tags,
        kms_key_id=key_arn,
        original_created_at=source.original_snapshot_create_time,
    )
    target.source_db_snapshot_identifier = source.arn  # type: ignore[attr-defined]
    self.database_snapshots[target.db_snapshot_identifier] = target
    return target


def copy_db_cluster_snapshot(
    self: RDSBackend,
    source_db_cluster_snapshot_identifier: str,
    target_db_cluster_snapshot_identifier: str,
    kms_key_id: str | None = None,
    copy_tags: bool = False,
    tags: list[dict[str, str]] | None = None,
    **kwargs: Any,
) -> DBClusterSnapshot:
    """CopyDBClusterSnapshot with AWS's cross-account rules and the copy's source (patch 4); moto's own otherwise."""
    source = _shared_source(self, source_db_cluster_snapshot_identifier, cluster=True)
    if source is None:
        copy = _original["copy_db_cluster_snapshot"](
            self,
            source_db_cluster_snapshot_identifier,
            target_db_cluster_snapshot_identifier,
            kms_key_id=kms_key_id,
            copy_tags=copy_tags,
            tags=tags,
            **kwargs,
        )
        own = self.get_db_cluster_snapshot(source_db_cluster_snapshot_identifier)
        copy.source_db_cluster_snapshot_arn = own.arn  # type: ignore[attr-defined]
        return copy  # type: ignore[no-any-return]
    if target_db_cluster_snapshot_identifier.lower() in self.cluster_snapshots:
        raise DBClusterSnapshotAlreadyExistsError(target_db_cluster_snapshot_identifier)
    if len(self.cluster_snapshots) >= self.SNAPSHOT_QUOTA:
        raise SnapshotQuotaExceededFault()
    if source.encrypted and _is_aws_managed_rds_key(source):
        raise KMSKeyNotAccessibleFault(str(source.kms_key_id))
    if source.encrypted and not kms_key_id:
        raise InvalidParameterValue(
            "KmsKeyId is required to copy an encrypted DB cluster snapshot shared from another account."
        )
    key_arn = self._validate_kms_key(kms_key_id) if kms_key_id else None
    if copy_tags and not tags:
        tags = source.tags or []
    target = DBClusterSnapshot(
        self, source.cluster, target_db_cluster_snapshot_identifier, tags=tags, kms_key_id=key_arn
    )
    target.source_db_cluster_snapshot_arn = source.arn  # type: ignore[attr-defined]
    self.cluster_snapshots[target.db_cluster_snapshot_identifier] = target
    return target


def apply() -> None:
    """Install the patches (idempotent)."""
    if _original:
        return
    _original["copy_db_snapshot"] = RDSBackend.copy_db_snapshot
    RDSBackend.copy_db_snapshot = copy_db_snapshot  # type: ignore[method-assign]
    _original["copy_db_cluster_snapshot"] = RDSBackend.copy_db_cluster_snapshot
    RDSBackend.copy_db_cluster_snapshot = copy_db_cluster_snapshot  # type: ignore[method-assign]
