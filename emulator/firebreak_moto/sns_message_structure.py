"""A Publish with ``MessageStructure=json`` delivers no message attributes.

"Message attributes are sent only when the message structure is String, not JSON" ("Amazon SNS message attributes",
Amazon SNS Developer Guide, https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html). moto 5.2.5 hands a
JSON-structured message's attributes to every subscriber as it does a String message's (SQS raw delivery as SQS message
attributes, the SNS envelope's ``MessageAttributes`` otherwise), so a subscriber that read them locally would lose them
on AWS without a test noticing (Firebreak's carded pages, ``withCard`` in lib/core/chat-card.ts, are JSON-structured).

Patch: a subscription's delivery of a message published with ``MessageStructure=json`` (Publish and each PublishBatch
entry) gets no message attributes; a String message keeps them, as before. AWS does not document whether a subscription
filter policy scoped to ``MessageAttributes`` still sees the attributes of a JSON-structured message; the emulator takes
the cautious reading (it does not: such a policy does not match them), so nothing local relies on a filter AWS may not
apply. What reaches a Lambda subscriber is unchanged (moto sends it fixed sample attributes, not the published ones).
"""

from __future__ import annotations

import functools
from typing import Any

from moto.sns.models import Subscription

PATCHES = ("SNS: a JSON-structured Publish delivers no message attributes (String messages keep theirs)",)


def _without_attributes_for_json(publish: Any) -> Any:
    """Wraps ``Subscription.publish``: ``message_attributes`` dropped when ``message_structure`` is ``json``."""

    @functools.wraps(publish)
    def deliver(self: Subscription, message: str, message_id: str, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("message_structure") == "json":
            kwargs["message_attributes"] = None
        return publish(self, message, message_id, *args, **kwargs)

    deliver.__firebreak_json_structure__ = True  # type: ignore[attr-defined]
    return deliver


def apply() -> None:
    """Install the patch (idempotent)."""
    if not getattr(Subscription.publish, "__firebreak_json_structure__", False):
        Subscription.publish = _without_attributes_for_json(Subscription.publish)  # type: ignore[method-assign]
