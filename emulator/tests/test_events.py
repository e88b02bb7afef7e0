"""Tests of the EventBridge patch: the ``account`` of an event is its sender's, across accounts."""

from __future__ import annotations

import json
from typing import Any

from conftest import MEMBER, REGION, SECURITY, ClientFactory

BUS_ARN = f"arn:aws:events:{REGION}:{SECURITY}:event-bus/firebreak"


def _probe(client: ClientFactory, pattern: dict[str, Any]) -> str:
    """A rule on the security account's ``firebreak`` bus with ``pattern``, delivering to a queue; the queue URL."""
    events = client("events", account=SECURITY)
    sqs = client("sqs", account=SECURITY)
    events.create_event_bus(Name="firebreak")
    url = sqs.create_queue(QueueName="probe")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="probe", EventBusName="firebreak", EventPattern=json.dumps(pattern), State="ENABLED")
    events.put_targets(Rule="probe", EventBusName="firebreak", Targets=[{"Id": "q", "Arn": arn}])
    return url


def _received(client: ClientFactory, url: str) -> list[dict[str, Any]]:
    messages = client("sqs", account=SECURITY).receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def _entry(**extra: Any) -> dict[str, Any]:
    return {"Source": "firebreak.gameday", "DetailType": "GuardDuty Finding", "Detail": json.dumps({"n": 1}), **extra}


def test_a_member_puts_on_the_security_bus_by_arn_with_its_own_account(client: ClientFactory) -> None:
    url = _probe(client, {"source": ["firebreak.gameday"]})
    out = client("events", account=MEMBER).put_events(Entries=[_entry(EventBusName=BUS_ARN)])
    assert out["FailedEntryCount"] == 0
    got = _received(client, url)
    assert [e["account"] for e in got] == [MEMBER]
    assert got[0]["id"] == out["Entries"][0]["EventId"]


def test_a_rule_on_the_account_field_matches_only_its_sender(client: ClientFactory) -> None:
    url = _probe(client, {"source": ["firebreak.gameday"], "account": [SECURITY]})
    client("events", account=MEMBER).put_events(Entries=[_entry(EventBusName=BUS_ARN)])
    assert _received(client, url) == []
    client("events", account=SECURITY).put_events(Entries=[_entry(EventBusName="firebreak")])
    assert [e["account"] for e in _received(client, url)] == [SECURITY]


def test_an_event_forwarded_by_a_member_rule_keeps_the_member_account(client: ClientFactory) -> None:
    url = _probe(client, {"source": ["firebreak.gameday"]})
    member = client("events", account=MEMBER)
    member.put_rule(Name="forward", EventPattern=json.dumps({"source": ["firebreak.gameday"]}), State="ENABLED")
    member.put_targets(Rule="forward", Targets=[{"Id": "bus", "Arn": BUS_ARN, "RoleArn": f"arn:aws:iam::{MEMBER}:role/forward"}])
    member.put_events(Entries=[_entry()])
    assert [e["account"] for e in _received(client, url)] == [MEMBER]


def test_same_account_events_are_unchanged(client: ClientFactory) -> None:
    url = _probe(client, {"source": ["firebreak.gameday"]})
    client("events", account=SECURITY).put_events(Entries=[_entry(EventBusName=BUS_ARN), _entry(EventBusName="firebreak")])
    assert [e["account"] for e in _received(client, url)] == [SECURITY, SECURITY]
