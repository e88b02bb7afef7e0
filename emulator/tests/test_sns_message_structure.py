"""A Publish with ``MessageStructure=json`` delivers no message attributes; a String Publish delivers them.

"Message attributes are sent only when the message structure is String, not JSON" ("Amazon SNS message attributes",
https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
"""

from __future__ import annotations

import json
from typing import Any

from conftest import ClientFactory

ATTRIBUTES = {
    "caseId": {"DataType": "String", "StringValue": "fb-20261205-0123456789"},
    "kind": {"DataType": "String", "StringValue": "approval-request"},
}


def _world(client: ClientFactory) -> tuple[Any, Any, str, str, str]:
    """A topic with two SQS subscribers: one with raw message delivery, one with the SNS envelope."""
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name="pages")["TopicArn"]
    queues = []
    for name, raw in (("raw", "true"), ("envelope", "false")):
        url = sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": raw})
        queues.append(url)
    return sns, sqs, topic, queues[0], queues[1]


def _receive(sqs: Any, url: str) -> dict[str, Any]:
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 1
    return got[0]


def test_a_json_structured_publish_delivers_no_attributes(client: ClientFactory) -> None:
    sns, sqs, topic, raw, envelope = _world(client)
    message = json.dumps({"default": "the page", "https": "the card"})
    sns.publish(TopicArn=topic, Message=message, MessageStructure="json", MessageAttributes=ATTRIBUTES)
    got = _receive(sqs, raw)
    assert got["Body"] == "the page"
    assert "MessageAttributes" not in got
    wrapped = json.loads(_receive(sqs, envelope)["Body"])
    assert wrapped["Message"] == "the page"
    assert "MessageAttributes" not in wrapped


def test_a_string_publish_still_delivers_its_attributes(client: ClientFactory) -> None:
    sns, sqs, topic, raw, envelope = _world(client)
    sns.publish(TopicArn=topic, Message="the page", MessageAttributes=ATTRIBUTES)
    got = _receive(sqs, raw)
    assert got["Body"] == "the page"
    assert {k: v["StringValue"] for k, v in got["MessageAttributes"].items()} == {
        "caseId": "fb-20261205-0123456789",
        "kind": "approval-request",
    }
    wrapped = json.loads(_receive(sqs, envelope)["Body"])
    assert wrapped["MessageAttributes"]["kind"] == {"Type": "String", "Value": "approval-request"}


def test_publish_batch_follows_each_entry_s_structure(client: ClientFactory) -> None:
    sns, sqs, topic, raw, _ = _world(client)
    sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "json", "Message": json.dumps({"default": "carded"}), "MessageStructure": "json", "MessageAttributes": ATTRIBUTES},
            {"Id": "text", "Message": "plain", "MessageAttributes": ATTRIBUTES},
        ],
    )
    got = sqs.receive_message(QueueUrl=raw, MessageAttributeNames=["All"], MaxNumberOfMessages=10)["Messages"]
    by_body = {m["Body"]: m for m in got}
    assert set(by_body) == {"carded", "plain"}
    assert "MessageAttributes" not in by_body["carded"]
    assert by_body["plain"]["MessageAttributes"]["kind"]["StringValue"] == "approval-request"
