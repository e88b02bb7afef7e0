"""Amazon EBS snapshot lock, which moto 5.2.5 lacks: LockSnapshot, UnlockSnapshot, DescribeLockedSnapshots.

moto 5.2.5 has none of the three actions (``moto/ec2/responses/elastic_block_store.py`` defines no
``lock_snapshot``); botocore's EC2 model, which moto's serializer reads, has all three. This module adds them, and
the rule that makes a lock matter: a locked snapshot cannot be deleted. What it follows:

- EBS User Guide, "Amazon EBS snapshot lock concepts"
  (https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lock-concepts.html): two modes. *Governance*: locked at
  once, no cooling-off period; users with permission can unlock it and change its mode, duration or expiry date at any
  time. *Compliance*: an optional cooling-off period starts at the lock, during which it can still be unlocked and
  changed; after it, "you can't unlock the snapshot, change the lock mode, or decrease the lock duration or expire date;
  you can only increase the lock duration or expiry date". A locked snapshot cannot be deleted (in any mode, until
  it is unlocked or the lock expires).
- EC2 API reference, LockSnapshot (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockSnapshot.html):
  ``LockMode`` ``governance`` | ``compliance``; ``LockDuration`` in days, 1 to 36500, or ``ExpirationDate`` (UTC),
  "You must specify either this parameter or ... but not both"; ``CoolOffPeriod`` in hours, 1 to 72, compliance
  mode only ("If you are locking the snapshot in governance mode, omit this parameter"), and "If you are extending
  the lock duration for a snapshot that is locked in compliance mode after the cooling-off period has expired, omit
  this parameter. If you specify a cooling-period in a such a request, the request fails." The same action modifies
  an existing lock: in governance mode or in the cooling-off period any change; in compliance mode after it, only a
  longer duration or later expiry date.
- EC2 API reference, LockedSnapshotsInfo
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_LockedSnapshotsInfo.html): ``LockState``
  ``compliance-cooloff`` | ``governance`` | ``compliance`` | ``expired``, ``LockDuration`` (days), ``CoolOffPeriod``
  (hours), ``CoolOffPeriodExpiresOn``, ``LockCreatedOn``, ``LockDurationStartTime`` ("If you lock a snapshot that is in
  the pending state, the lock duration starts only once the snapshot enters the completed state"; moto's snapshots
  are ``completed`` at once, so it starts at the lock), ``LockExpiresOn``; DescribeLockedSnapshots filters on
  ``lock-state``. UnlockSnapshot: "Unlocks a snapshot that is locked in governance mode or that is locked in
  compliance mode but still in the cooling-off period. You can't unlock a snapshot that is locked in compliance mode
  after the cooling-off period has expired."

What the pages leave open, and the emulator decides: the error codes of the refusals (the pages state the rules, not
the codes): a malformed or out-of-range parameter is ``InvalidParameterValue``, a forbidden combination
``InvalidParameterCombination`` (EC2 API reference, "Error codes for the Amazon EC2 API", common client errors), and
a refused change to a lock, an unlock or a delete of a locked snapshot ``OperationNotPermitted``. An ``ExpirationDate``
must lie in the future. DescribeLockedSnapshots pages its answer as the API reference says (``MaxResults`` 5 to
1000, ``NextToken`` while more remain; without ``MaxResults``, one page: the page does not give AWS's default size) and
lists the caller's own snapshots that carry a lock, an expired one included; a snapshot ID that is not the caller's is
``InvalidSnapshot.NotFound``. Only the owner may lock its snapshot (snapshots are looked up in the caller's account).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_block_store import EBSBackend, Snapshot
from moto.ec2.responses.elastic_block_store import ElasticBlockStore

PATCHES = (
    "LockSnapshot / UnlockSnapshot / DescribeLockedSnapshots: EBS snapshot lock (governance, compliance, cooling-off)",
    "DeleteSnapshot: a locked snapshot (any state but expired) cannot be deleted",
)

MAX_LOCK_DAYS = 36500
MAX_COOL_OFF_HOURS = 72
#: DescribeLockedSnapshots' ``MaxResults`` range (EC2 API reference, DescribeLockedSnapshots).
MIN_PAGE, MAX_PAGE = 5, 1000

#: The clock the lock states are computed against; emulator/tests replace it to step past a cooling-off period.
now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


class LockRefused(EC2ClientError):
    """A lock change, unlock or delete that the snapshot's lock forbids."""

    def __init__(self, message: str) -> None:
        super().__init__("OperationNotPermitted", message)


class InvalidLockParameter(EC2ClientError):
    def __init__(self, message: str, code: str = "InvalidParameterValue") -> None:
        super().__init__(code, message)


class SnapshotNotFound(EC2ClientError):
    def __init__(self, snapshot_id: str) -> None:
        super().__init__("InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist.")


# --------------------------------------------------------------------------------------------
# the lock record and its state


def _lock(snapshot: Snapshot) -> dict[str, Any] | None:
    return getattr(snapshot, "firebreak_lock", None)


def lock_state(lock: dict[str, Any], at: datetime) -> str:
    """``expired`` once ``LockExpiresOn`` passed; ``compliance-cooloff`` within the cooling-off period; else the mode."""
    if at >= lock["LockExpiresOn"]:
        return "expired"
    cool_off_ends = lock.get("CoolOffPeriodExpiresOn")
    if lock["mode"] == "compliance" and cool_off_ends is not None and at < cool_off_ends:
        return "compliance-cooloff"
    return str(lock["mode"])


def _info(snapshot: Snapshot, lock: dict[str, Any], at: datetime) -> dict[str, Any]:
    """A LockedSnapshotsInfo / LockSnapshot result (its members, as the API reference names them)."""
    info: dict[str, Any] = {
        "OwnerId": snapshot.owner_id,
        "SnapshotId": snapshot.id,
        "LockState": lock_state(lock, at),
        "LockCreatedOn": lock["LockCreatedOn"],
        "LockDurationStartTime": lock["LockDurationStartTime"],
        "LockExpiresOn": lock["LockExpiresOn"],
    }
    for key in ("LockDuration", "CoolOffPeriod", "CoolOffPeriodExpiresOn"):
        if lock.get(key) is not None:
            info[key] = lock[key]
    return info


def _parse_date(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    else:
        text = str(raw)
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidLockParameter(f"Invalid ExpirationDate: {text}") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _int_param(name: str, raw: Any, low: int, high: int) -> int | None:
    if raw is None:
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise InvalidLockParameter(f"Invalid {name}: {raw}") from None
    if not low <= value <= high:
        raise InvalidLockParameter(f"{name} must be between {low} and {high}; got {value}")
    return value


def _requested_expiry(duration: int | None, expiration: Any, at: datetime) -> datetime:
    if (duration is None) == (expiration is None):
        raise InvalidLockParameter(
            "Specify either LockDuration or ExpirationDate, but not both",
            "InvalidParameterCombination" if duration is not None else "MissingParameter",
        )
    if duration is not None:
        return at + timedelta(days=duration)
    expires = _parse_date(expiration)
    if expires <= at:
        raise InvalidLockParameter("ExpirationDate must be in the future")
    if expires > at + timedelta(days=MAX_LOCK_DAYS):
        raise InvalidLockParameter(f"ExpirationDate must be within {MAX_LOCK_DAYS} days")
    return expires


def _check_change(current: dict[str, Any] | None, state: str, mode: str, cool_off: int | None, expires: datetime) -> None:
    """Refuses what a compliance lock past its cooling-off period forbids (concepts page; LockSnapshot)."""
    if current is None or state != "compliance":
        return  # no lock, an expired one, governance, or within the cooling-off period: any change
    if mode != "compliance":
        raise LockRefused("A snapshot locked in compliance mode after its cooling-off period can't change its lock mode")
    if cool_off is not None:
        raise LockRefused("CoolOffPeriod can't be set on a snapshot locked in compliance mode after its cooling-off period")
    if expires < current["LockExpiresOn"]:
        raise LockRefused(
            "A snapshot locked in compliance mode after its cooling-off period can only have its lock duration increased"
        )


# --------------------------------------------------------------------------------------------
# model


def lock_snapshot(
    self: EBSBackend,
    snapshot_id: str,
    mode: str,
    cool_off: Any = None,
    duration: Any = None,
    expiration: Any = None,
) -> dict[str, Any]:
    """LockSnapshot: lock the caller's snapshot, or change its lock as the lock's state allows."""
    snapshot = self.snapshots.get(snapshot_id)
    if snapshot is None:
        raise SnapshotNotFound(snapshot_id)
    if mode not in ("governance", "compliance"):
        raise InvalidLockParameter(f"Invalid LockMode: {mode}")
    hours = _int_param("CoolOffPeriod", cool_off, 1, MAX_COOL_OFF_HOURS)
    if hours is not None and mode == "governance":
        raise InvalidLockParameter("CoolOffPeriod applies to compliance mode only", "InvalidParameterCombination")
    days = _int_param("LockDuration", duration, 1, MAX_LOCK_DAYS)
    at = now()
    expires = _requested_expiry(days, expiration, at)
    current = _lock(snapshot)
    state = lock_state(current, at) if current else "unlocked"
    _check_change(current, state, mode, hours, expires)
    keep = current is not None and state != "expired"
    lock: dict[str, Any] = {
        "mode": mode,
        "LockCreatedOn": current["LockCreatedOn"] if keep else at,  # type: ignore[index]
        "LockDurationStartTime": at,
        "LockExpiresOn": expires,
        "LockDuration": days,
    }
    if mode == "compliance":
        if hours is not None:
            lock.update(CoolOffPeriod=hours, CoolOffPeriodExpiresOn=at + timedelta(hours=hours))
        elif keep and state == "compliance-cooloff":
            # A change within the cooling-off period that names no new one keeps the one running.
            lock.update(CoolOffPeriod=current["CoolOffPeriod"], CoolOffPeriodExpiresOn=current["CoolOffPeriodExpiresOn"])  # type: ignore[index]
        elif keep and state == "compliance":
            lock.update({k: current[k] for k in ("CoolOffPeriod", "CoolOffPeriodExpiresOn") if current.get(k)})  # type: ignore[union-attr]
    snapshot.firebreak_lock = lock  # type: ignore[attr-defined]
    return _info(snapshot, lock, at)


def unlock_snapshot(self: EBSBackend, snapshot_id: str) -> str:
    """UnlockSnapshot: governance, or compliance within its cooling-off period; never compliance after it."""
    snapshot = self.snapshots.get(snapshot_id)
    if snapshot is None:
        raise SnapshotNotFound(snapshot_id)
    lock = _lock(snapshot)
    if lock is None:
        raise LockRefused(f"The snapshot '{snapshot_id}' is not locked")
    if lock_state(lock, now()) == "compliance":
        raise LockRefused(
            f"The snapshot '{snapshot_id}' is locked in compliance mode after its cooling-off period and can't be unlocked"
        )
    snapshot.firebreak_lock = None  # type: ignore[attr-defined]
    return snapshot_id


def describe_locked_snapshots(
    self: EBSBackend, snapshot_ids: list[str], states: list[str] | None
) -> list[dict[str, Any]]:
    """DescribeLockedSnapshots: the caller's snapshots that carry a lock, by ID and ``lock-state``."""
    for snapshot_id in snapshot_ids:
        if snapshot_id not in self.snapshots:
            raise SnapshotNotFound(snapshot_id)
    at = now()
    candidates = [self.snapshots[i] for i in snapshot_ids] if snapshot_ids else list(self.snapshots.values())
    out = []
    for snapshot in candidates:
        lock = _lock(snapshot)
        if lock is None:
            continue
        info = _info(snapshot, lock, at)
        if states and info["LockState"] not in states:
            continue
        out.append(info)
    return out


_original: dict[str, Any] = {}


def delete_snapshot(self: EBSBackend, snapshot_id: str) -> Snapshot:
    """moto's DeleteSnapshot, refused while the snapshot is locked ("A locked snapshot can't be deleted")."""
    snapshot = self.snapshots.get(snapshot_id)
    lock = _lock(snapshot) if snapshot is not None else None
    if lock is not None and lock_state(lock, now()) != "expired":
        raise LockRefused(f"The snapshot '{snapshot_id}' is locked and can't be deleted")
    return _original["delete_snapshot"](self, snapshot_id)  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------
# responses


def response_lock_snapshot(self: ElasticBlockStore) -> ActionResult:
    snapshot_id = self._get_param("SnapshotId")
    mode = self._get_param("LockMode")
    cool_off = self._get_param("CoolOffPeriod")
    duration = self._get_param("LockDuration")
    expiration = self._get_param("ExpirationDate")
    self.error_on_dryrun()
    info = self.ec2_backend.lock_snapshot(snapshot_id, mode, cool_off, duration, expiration)
    info.pop("OwnerId", None)  # LockSnapshot's result has no OwnerId (EC2 API reference, LockSnapshot)
    return ActionResult(info)


def response_unlock_snapshot(self: ElasticBlockStore) -> ActionResult:
    snapshot_id = self._get_param("SnapshotId")
    self.error_on_dryrun()
    return ActionResult({"SnapshotId": self.ec2_backend.unlock_snapshot(snapshot_id)})


def response_describe_locked_snapshots(self: ElasticBlockStore) -> ActionResult:
    snapshot_ids = self._get_param("SnapshotIds", [])
    filters = self._filters_from_querystring()
    unknown = [name for name in filters if name != "lock-state"]
    if unknown:
        raise InvalidLockParameter(f"The filter '{unknown[0]}' is invalid")
    max_results = _int_param("MaxResults", self._get_param("MaxResults"), MIN_PAGE, MAX_PAGE)
    token = self._get_param("NextToken")
    self.error_on_dryrun()
    snapshots = self.ec2_backend.describe_locked_snapshots(snapshot_ids, filters.get("lock-state"))
    return ActionResult(_page(snapshots, max_results, token))


def _page(snapshots: list[dict[str, Any]], max_results: int | None, token: str | None) -> dict[str, Any]:
    """One page of DescribeLockedSnapshots: ``MaxResults`` items from ``NextToken`` (an offset here; opaque to callers)."""
    try:
        start = int(token) if token else 0
    except ValueError:
        raise InvalidLockParameter(f"Invalid NextToken: {token}") from None
    if start < 0 or start > len(snapshots):
        raise InvalidLockParameter(f"Invalid NextToken: {token}")
    end = len(snapshots) if max_results is None else start + max_results
    out: dict[str, Any] = {"Snapshots": snapshots[start:end]}
    if end < len(snapshots):
        out["NextToken"] = str(end)
    return out


def apply() -> None:
    """Install the actions and the delete refusal (idempotent)."""
    if _original:
        return
    _original["delete_snapshot"] = EBSBackend.delete_snapshot
    EBSBackend.delete_snapshot = delete_snapshot  # type: ignore[method-assign]
    EBSBackend.lock_snapshot = lock_snapshot  # type: ignore[attr-defined]
    EBSBackend.unlock_snapshot = unlock_snapshot  # type: ignore[attr-defined]
    EBSBackend.describe_locked_snapshots = describe_locked_snapshots  # type: ignore[attr-defined]
    ElasticBlockStore.lock_snapshot = response_lock_snapshot  # type: ignore[attr-defined]
    ElasticBlockStore.unlock_snapshot = response_unlock_snapshot  # type: ignore[attr-defined]
    ElasticBlockStore.describe_locked_snapshots = response_describe_locked_snapshots  # type: ignore[attr-defined]
