"""Tests of the weak model registry: replaced and deleted resources leave the emulator's memory."""

from __future__ import annotations

import gc
import json
import urllib.request
from typing import Any

from conftest import SECURITY, ClientFactory

import firebreak_moto
from firebreak_moto.model_tracking import WeakInstances


def _live(endpoint: str, service: str, model: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=30) as res:
        return json.loads(res.read()).get(service, {}).get(model, [])


def test_overwritten_objects_and_deleted_messages_are_not_kept(client: ClientFactory, endpoint: str) -> None:
    s3 = client("s3", account=SECURITY)
    s3.create_bucket(Bucket="evidence")
    for n in range(30):
        s3.put_object(Bucket="evidence", Key="case/finding.json", Body=b"x" * 1024 + str(n).encode())
    assert s3.get_object(Bucket="evidence", Key="case/finding.json")["Body"].read().endswith(b"29")
    # One object is alive: the last one written (moto's registry held all 30 before the patch).
    assert len([k for k in _live(endpoint, "s3", "FakeKey") if k.get("name") == "case/finding.json"]) == 1

    sqs = client("sqs", account=SECURITY)
    url = sqs.create_queue(QueueName="buffer")["QueueUrl"]
    for n in range(20):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    received = 0
    while received < 20:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            received += 1
    assert _live(endpoint, "sqs", "Message") == []


def test_weak_instances_lists_the_live_ones_in_order() -> None:
    class Model:
        pass

    tracked = WeakInstances()
    kept = [Model() for _ in range(3)]
    for m in kept:
        tracked.append(m)
    dropped = Model()
    tracked.append(dropped)
    del dropped
    gc.collect()
    assert list(tracked) == kept
    assert len(tracked) == 3
    tracked.append(1)  # an int cannot be weakly referenced: not recorded
    assert list(tracked) == kept


def test_patch_is_registered() -> None:
    assert any("instances_tracked" in p for p in firebreak_moto.PATCHES)
