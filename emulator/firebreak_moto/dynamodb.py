"""DynamoDB write atomicity that moto 5.2.5 lacks under concurrent requests.

moto's server handles requests on several threads, but its DynamoDB backend does not serialize
writes. Three behaviours that Firebreak's case ledger relies on break under concurrency (1, 2, 3), and
two make a busy ledger slow and large (4, 5):

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

4. moto's rollback copy costs the whole table, for every action of every transaction: before each
   TransactWriteItems it deep-copies each table an action names, once per action (a ledger transaction
   of four actions copies the ledger four times). Under the lock above, that made each transaction
   O(table size) in CPU and allocations, so a storm of many cases slowed down quadratically, and every
   copy's items stayed alive in moto's model registry (``model_tracking``). Patch: the transaction keeps,
   before it runs, a deep copy of only the items its actions name (their keys), and a cancelled
   transaction puts exactly those back (and drops the stream records its writes added); moto's
   table copy is skipped (``copy.deepcopy`` of a ``Table`` inside ``moto.dynamodb.models`` returns the
   table itself, so its own rollback assigns each table to itself). The outcome is the one AWS states
   and moto's copy gave: a cancelled transaction leaves every item it named as it was, and items it did
   not name cannot have changed, since it wrote none of them.
5. moto's Query on a table's own key (no index) builds a sorted list of every item of the table
   (``Table.all_items``) and keeps those of the partition: each Query cost O(n log n) in the table's
   size (a tenth of the emulator's CPU in the 1,000-finding storm, sampled with py-spy). Patch: during
   such a Query, ``all_items`` of that table gives the items of the queried partition only (sorted as
   moto sorts), which is all moto keeps of the list; the result is the same. Queries on an index, Scan
   and everything else still see every item.
"""

from __future__ import annotations

import copy
import functools
import inspect
import threading
import types
from typing import Any, Callable

from moto.dynamodb import models as ddb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

PATCHES = (
    "DynamoDB: conditional writes and TransactWriteItems are atomic under concurrent requests",
    "DynamoDB: the ALL_OLD image of PutItem, UpdateItem and DeleteItem is read in the same atomic write",
    "DynamoDB: a cancelled TransactWriteItems restores the items it named, without copying whole tables",
    "DynamoDB: a Query on the table's key reads its partition, not a sorted list of the whole table",
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


def _deepcopy_except_tables(obj: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for ``moto.dynamodb.models``, except that a ``Table`` is returned as it is."""
    if isinstance(obj, Table):
        return obj
    return copy.deepcopy(obj, memo)


#: What ``moto.dynamodb.models`` sees as its ``copy`` module (its only deep copy of a Table is the rollback copy).
_COPY_SHIM = types.SimpleNamespace(deepcopy=_deepcopy_except_tables, copy=copy.copy)

_Saved = tuple[Table, Any, Any, Any]


def _named_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> tuple[list[_Saved], dict[int, int]]:
    """A deep copy of each item the actions name (None where there is none), and each touched table's stream length."""
    saved: list[_Saved] = []
    streams: dict[int, int] = {}
    for action in transact_items:
        for op_type, op in action.items():
            table = backend.tables.get(op.get("TableName", ""))
            if table is None:
                continue
            key = op.get("Item") if op_type == "Put" else op.get("Key")
            try:
                hash_key, range_key = backend.get_keys_value(table, key or {})
            except Exception:  # an invalid key: moto refuses the action before writing it
                continue
            current = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(current) if current is not None else None))
            if table.stream_shard is not None:
                streams.setdefault(id(table), len(table.stream_shard.items))
    return saved, streams


def _restore(saved: list[_Saved], streams: dict[int, int]) -> None:
    """Puts every named item back as it was before the transaction, in reverse order."""
    for table, hash_key, range_key, prior in reversed(saved):
        if table.range_key_attr is not None:
            if prior is not None:
                table.items[hash_key][range_key] = prior
            elif hash_key in table.items:
                table.items[hash_key].pop(range_key, None)
        elif prior is not None:
            table.items[hash_key] = prior
        else:
            table.items.pop(hash_key, None)
        if table.stream_shard is not None and id(table) in streams:
            del table.stream_shard.items[streams[id(table)] :]


def _transact_write_items(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(self: DynamoDBBackend, transact_items: list[dict[str, Any]], *args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            saved, streams = _named_items(self, transact_items)
            try:
                return fn(self, transact_items, *args, **kwargs)
            except BaseException:
                _restore(saved, streams)
                raise

    return wrapper


#: The table and partition key of the Query on a table's own key that this thread is running.
_QUERY = threading.local()


def _partition_query(fn: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(fn)

    @functools.wraps(fn)
    def query(self: Table, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs).arguments
        if bound.get("index_name") is not None or bound.get("hash_key") is None:
            return fn(self, *args, **kwargs)
        _QUERY.scope = (self, bound["hash_key"])
        try:
            return fn(self, *args, **kwargs)
        finally:
            _QUERY.scope = None

    return query


def _all_items(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def all_items(self: Table) -> list[Any]:
        scope = getattr(_QUERY, "scope", None)
        if scope is None or scope[0] is not self:
            return fn(self)
        hash_key = scope[1]
        if hash_key not in self.items:  # `in`, not a lookup: the map is a defaultdict
            return []
        partition = self.items[hash_key]
        items = list(partition.values()) if self.range_key_attr else [partition]
        return sorted(items, key=lambda x: (x.hash_key, x.range_key) if x.range_key else x.hash_key)

    return all_items


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    for name in _WRITES:
        fn = getattr(DynamoDBBackend, name, None)
        if fn is None:
            continue
        _original[name] = fn
        setattr(DynamoDBBackend, name, _transact_write_items(fn) if name == "transact_write_items" else _locked(fn))
    for name in _HANDLERS:
        handler = getattr(DynamoHandler, name, None)
        if handler is None:
            continue
        _original[f"handler.{name}"] = handler
        setattr(DynamoHandler, name, _locked(handler))
    ddb_models.copy = _COPY_SHIM  # type: ignore[attr-defined]
    _original["query"] = Table.query
    _original["all_items"] = Table.all_items
    Table.query = _partition_query(Table.query)  # type: ignore[method-assign]
    Table.all_items = _all_items(Table.all_items)  # type: ignore[method-assign]
