"""SNS subscriptions that wait for confirmation are listed as ``PendingConfirmation``.

Amazon SNS sends a confirmation message to an ``email``, ``email-json``, ``http`` or ``https`` endpoint, and the
subscription has no ARN until its owner confirms it: ListSubscriptionsByTopic and ListSubscriptions then show the
string ``PendingConfirmation`` as its ``SubscriptionArn`` ("Subscribe", Amazon SNS API Reference,
https://docs.aws.amazon.com/sns/latest/api/API_Subscribe.html: "the string 'pending confirmation' if the subscription
requires confirmation"; "ListSubscriptionsByTopic", https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html).
moto 5.2.5 lists every subscription with its ARN, confirmed or not, and never confirms one (its ConfirmSubscription
changes nothing), so a topic whose only subscriber is an e-mail address that never answered looked subscribed.

Patch: a subscription to one of those protocols that is not ``confirmed`` is serialized with ``SubscriptionArn``
``PendingConfirmation`` (moto's serializer reads the ``SubscriptionArn`` attribute before ``arn``). Subscriptions an
AWS principal owns (``sqs``, ``lambda``, ``firehose``) are confirmed at once by SNS, and keep their ARN, as before.
"""

from __future__ import annotations

from moto.sns.models import Subscription

PATCHES = ("SNS: unconfirmed e-mail and HTTP(S) subscriptions are listed as PendingConfirmation",)

#: The protocols whose subscriptions wait for the endpoint's owner to confirm them.
CONFIRMED_BY_OWNER = frozenset({"email", "email-json", "http", "https"})


def _subscription_arn(self: Subscription) -> str:
    """The ARN a list shows: ``PendingConfirmation`` until an e-mail or HTTP(S) endpoint confirms, else the ARN."""
    if self.protocol in CONFIRMED_BY_OWNER and not getattr(self, "confirmed", False):
        return "PendingConfirmation"
    return self.arn


def apply() -> None:
    """Install the patch (idempotent)."""
    if not isinstance(getattr(Subscription, "SubscriptionArn", None), property):
        Subscription.SubscriptionArn = property(_subscription_arn)  # type: ignore[attr-defined]
