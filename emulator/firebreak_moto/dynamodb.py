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

Patch: every DynamoDB write operation of the backend (PutItem, UpdateItem, DeleteItem,
BatchWriteItem, TransactWriteItems) runs under one process-wide re-entrant lock, which makes each
of them atomic with respect to the others, as in DynamoDB. Reads are not locked.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

from moto.dynamodb.models import DynamoDBBackend

PATCHES = (
    "DynamoDB: conditional writes and TransactWriteItems are atomic under concurrent requests",
)

_LOCK = threading.RLock()
_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
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
