"""DynamoDB write atomicity that moto 5.2.5 lacks under concurrent requests.

moto's server handles requests on several threads, but its DynamoDB backend does not serialize
writes. Two behaviours that Firebreak's case ledger relies on break under concurrency:

1. Conditional writes are check-then-write without a lock, so two concurrent ``PutItem`` calls with
   ``attribute_not_exists(pk)`` can both succeed. AWS: "Condition expressions ... the write
   succeeds only if the condition is met" and conditional writes are atomic for the item
   (DynamoDB Developer Guide, "Condition expressions" and "Conditional writes").
2. ``TransactWriteItems`` rolls back a cancelled transaction by restoring a deep copy of every table
   it touched, taken before the transaction started. Under concurrency that copy can predate another
   transaction's committed writes, so a cancelled transaction erases them. AWS: transactions are
   all-or-nothing and isolated (DynamoDB Developer Guide, "Amazon DynamoDB Transactions: How it
   works", isolation levels: serializable between TransactWriteItems and other writes).

3. ``UpdateItem``, ``PutItem`` and ``DeleteItem`` read the item they return as ``ALL_OLD`` (and
   ``UPDATED_OLD``) in the request handler, before the backend's write and outside it, so under
   concurrency the "old" image can predate another request's committed write: two concurrent
   ``SET a = if_not_exists(a, :mine)`` with ``ReturnValues: ALL_OLD`` can both be told ``a`` was
   absent. AWS: ``ALL_OLD`` "returns all of the attributes of the item, as they appeared before the
   UpdateItem operation" (DynamoDB API reference, UpdateItem, ReturnValues), the same atomic write.

Patch: every DynamoDB write operation of the backend (PutItem, UpdateItem, DeleteItem,
BatchWriteItem, TransactWriteItems), and the request handlers of PutItem, UpdateItem and DeleteItem
(their read of the old image with their write), run under one process-wide re-entrant lock, which
makes each of them atomic with respect to the others, as in DynamoDB. Reads are not locked.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.responses import DynamoHandler

PATCHES = (
    "DynamoDB: conditional writes and TransactWriteItems are atomic under concurrent requests",
    "DynamoDB: the ALL_OLD image of PutItem, UpdateItem and DeleteItem is read in the same atomic write",
)

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
_HANDLERS = ("put_item", "update_item", "delete_item")
_original: dict[str, Callable[..., Any]] = {}


def _locked(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return fn(*args, **kwargs)

    return wrapper


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    for name in _WRITES:
        fn = getattr(DynamoDBBackend, name, None)
        if fn is None:
            continue
        _original[name] = fn
        setattr(DynamoDBBackend, name, _locked(fn))
    for name in _HANDLERS:
        handler = getattr(DynamoHandler, name, None)
        if handler is None:
            continue
        _original[f"handler.{name}"] = handler
        setattr(DynamoHandler, name, _locked(handler))
