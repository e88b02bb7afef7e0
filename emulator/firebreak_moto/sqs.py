"""SQS ReceiveMessage without recomputing every queue attribute for each message it returns.

moto 5.2.5's ReceiveMessage checks each message it is about to return against the queue's
``MessageRetentionPeriod`` (``SQSBackend.is_message_valid_based_on_retention_period``) by asking
``get_queue_attributes``, which builds the queue's whole attribute map, three times, for every message:
``ApproximateNumberOfMessages``, ``…NotVisible`` and ``…Delayed`` each walk every message of the queue. A
receive of 10 messages from a queue of n messages cost about 60·n message checks: with the finding buffer
holding a storm's 1,000 findings, it was a tenth of the emulator's CPU (sampled with py-spy on
test/bench/storm.ts).

Patch: the check reads the queue's retention period itself. Same rule as moto's (a message sent more than
``MessageRetentionPeriod`` seconds ago is not returned: "MessageRetentionPeriod – The length of time, in
seconds, for which Amazon SQS retains a message", Amazon SQS API Reference, SetQueueAttributes), without the
attribute map.
"""

from __future__ import annotations

from typing import Any, Callable

from moto.core.utils import unix_time
from moto.sqs.models import Message, SQSBackend

PATCHES = (
    "SQS: ReceiveMessage checks each message's retention without recomputing the queue's attributes",
)

_original: dict[str, Callable[..., Any]] = {}


def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
    """Whether ``message`` is still within its queue's retention period (moto's rule, read directly)."""
    retention_period = int(self.get_queue(queue_name).message_retention_period)
    return retention_period + message.sent_timestamp / 1000 > unix_time()  # type: ignore[operator]


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    _original["is_message_valid_based_on_retention_period"] = SQSBackend.is_message_valid_based_on_retention_period
    SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period  # type: ignore[method-assign]
