"""moto's registry of model instances, kept weakly: the emulator's memory follows its live state.

moto 5.2.5 appends every instance of every model class to a list on its class when it is created
(``moto.core.common_models.BaseModel.__new__`` → ``cls.instances_tracked``), for the dashboard's
``/moto-api/data.json``, and lets go of them only at a reset (``moto.core.model_instances.reset_model_data``).
Nothing else of a model's life removes it: a DynamoDB item overwritten by PutItem, an SQS message
deleted, an S3 object replaced (with its body buffer), and every deep copy moto makes (TransactWriteItems
deep-copies each table it touches before each transaction: ``emulator/firebreak_moto/dynamodb.py``) stay
reachable from these lists for the server's life. Measured on a storm of 100 findings over 20 instances
(test/bench/storm.ts), 66,127 DynamoDB ``Item`` objects and 327 ``Table`` objects were alive for a ledger
of 355 items, and the server's RSS grew from 160 MB to 725 MB; the issue's storm of 1,000 findings grew it
past 23 GB. AWS has no such registry: it is the emulator's own bookkeeping, so keeping it weakly changes no
AWS behaviour.

Patch: ``BaseModel.__new__`` records each instance in a :class:`WeakInstances` (a weak reference per
instance, dropped when the instance is collected) instead of a list. ``data.json`` and moto's S3 reset
iterate it as before and see the instances that are still alive. A reset assigns a plain list again
(``reset_model_data``); the next instance of that class turns it back into a :class:`WeakInstances`.
A class whose instances cannot be weakly referenced (``__slots__`` without ``__weakref__``) is not
recorded at all, rather than held strongly.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Callable, Iterator

from moto.core import common_models

PATCHES = (
    "moto's registry of model instances (BaseModel.instances_tracked) holds them weakly: replaced, deleted and copied resources are freed",
)

_original: dict[str, Callable[..., Any]] = {}


class WeakInstances:
    """The instances of one model class that are still alive, in creation order; iterable like moto's list.

    ``append`` records a weak reference; an instance that is collected leaves at once (the reference's
    callback). Iteration works on a copy of the references, so requests on other threads may create or drop
    instances meanwhile. Thread-safe.
    """

    def __init__(self, initial: list[Any] | None = None) -> None:
        self._refs: dict[int, weakref.ReferenceType[Any]] = {}
        self._lock = threading.Lock()
        for obj in initial or []:
            self.append(obj)

    def append(self, obj: Any) -> None:
        """Records ``obj`` weakly (no-op for an object that cannot be weakly referenced)."""
        key = id(obj)

        def forget(ref: weakref.ReferenceType[Any], key: int = key) -> None:
            with self._lock:
                if self._refs.get(key) is ref:
                    del self._refs[key]

        try:
            ref = weakref.ref(obj, forget)
        except TypeError:
            return
        with self._lock:
            self._refs[key] = ref

    def __iter__(self) -> Iterator[Any]:
        with self._lock:
            refs = list(self._refs.values())
        for ref in refs:
            obj = ref()
            if obj is not None:
                yield obj

    def __len__(self) -> int:
        with self._lock:
            return len(self._refs)


def _tracked(cls: type) -> WeakInstances:
    """The class's own registry, turned into a :class:`WeakInstances` if it is still moto's list."""
    current = cls.__dict__.get("instances_tracked")
    if isinstance(current, WeakInstances):
        return current
    with _CONVERT_LOCK:
        current = cls.__dict__.get("instances_tracked")
        if not isinstance(current, WeakInstances):
            current = WeakInstances(list(current or []))
            setattr(cls, "instances_tracked", current)
        return current


_CONVERT_LOCK = threading.Lock()


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    base = common_models.BaseModel
    _original["__new__"] = base.__dict__["__new__"]

    def __new__(cls: type, *args: Any, **kwargs: Any) -> Any:
        # As moto's: the next class's __new__ after BaseModel in cls's MRO, without the arguments.
        instance = super(base, cls).__new__(cls)  # type: ignore[misc]
        _tracked(cls).append(instance)
        return instance

    base.__new__ = staticmethod(__new__)  # type: ignore[method-assign, assignment]
