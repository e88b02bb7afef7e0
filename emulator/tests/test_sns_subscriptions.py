"""Unconfirmed e-mail and HTTP(S) subscriptions are listed as PendingConfirmation; SQS subscriptions keep their ARN."""

from __future__ import annotations

from conftest import ClientFactory


def test_pending_subscriptions_have_no_arn_in_the_lists(client: ClientFactory) -> None:
    sns, sqs = client("sns"), client("sqs")
    topic = sns.create_topic(Name="pages")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="oncall@example.com")
    sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://example.com/hook")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    listed = {s["Protocol"]: s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]}
    assert listed["email"] == "PendingConfirmation"
    assert listed["https"] == "PendingConfirmation"
    assert listed["sqs"].startswith(f"{topic}:")
    everywhere = {s["Protocol"]: s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]}
    assert everywhere == listed
