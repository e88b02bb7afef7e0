"""Tests of the SQS ReceiveMessage patch: retention still holds, without the queue's attribute map per message."""

from __future__ import annotations

from typing import Any

import firebreak_moto


def _backend() -> Any:
    from moto.sqs.models import sqs_backends

    firebreak_moto.apply_patches()
    backend = sqs_backends["333333333333"]["us-east-1"]
    for name in list(backend.queues):
        backend.delete_queue(name)
    return backend


def test_receive_returns_messages_within_retention_only() -> None:
    backend = _backend()
    backend.create_queue("retained", MessageRetentionPeriod="60")
    old = backend.send_message("retained", "old")
    backend.send_message("retained", "new")
    old.sent_timestamp -= 120_000  # sent two minutes ago: past the queue's 60 s retention
    got = backend.receive_message("retained", 10, 0, 30)
    assert [m.body for m in got] == ["new"] or [m.body for m in got] == []
    assert "old" not in [m.body for m in got]


def test_receive_does_not_build_the_attribute_map_per_message(monkeypatch: Any) -> None:
    from moto.sqs.models import Queue

    backend = _backend()
    backend.create_queue("buffer")
    for n in range(30):
        backend.send_message("buffer", str(n))
    built = []
    original = Queue.attributes
    monkeypatch.setattr(Queue, "attributes", property(lambda self: built.append(1) or original.fget(self)))
    got = backend.receive_message("buffer", 10, 0, 30)
    assert len(got) == 10
    assert built == []


def test_patch_is_registered() -> None:
    assert any("ReceiveMessage" in p for p in firebreak_moto.PATCHES)
