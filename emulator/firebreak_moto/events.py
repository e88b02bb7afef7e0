"""EventBridge cross-account delivery that moto 5.2.5 gets wrong on Firebreak's path.

Firebreak's game-day rules match only events whose top-level ``account`` is the security account
(``lib/core/catalog/patterns.ts`` ``gameDayPatternFor``). Locally that filter means something only if the
emulator fills ``account`` as AWS does:

- For PutEvents, ``account`` is the account that called PutEvents: the request entry has no field
  for it, and "rules with an account field do not match any events sent from other accounts"
  (EventBridge API Reference, PutPermission, ``Principal``:
  https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutPermission.html). moto sets
  ``account`` to the caller's account, but when ``EventBusName`` is the ARN of another account's bus
  it drops the account from the ARN and looks the bus up in the caller's own account (so a member
  account cannot put an event on the security account's bus at all).
- An event that a rule forwards to an event bus in another account keeps the account it came from:
  the receiver's rules match "events from the sender account" ("Sending and receiving events between
  AWS accounts in Amazon EventBridge", EventBridge User Guide:
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-cross-account.html). moto re-puts a
  forwarded event in the target account's backend, which stamps the *target* account on it.

- A target without an input transformer receives the whole event, ``account`` included ("Amazon
  EventBridge events", EventBridge User Guide, the event structure's ``account`` field:
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html). moto's default
  input template leaves ``account`` out.

Patch:

1. ``PutEvents`` with ``EventBusName`` the ARN of a bus in another account or region is delivered on
   that bus (the target account's backend), with ``account`` the caller's.
2. ``Rule.send_to_targets`` matches and delivers an event with the ``account`` it arrived with, and a
   bus-to-bus forward from it keeps that account.
3. The default input template (no input transformer) carries ``account``.

Not emulated: the target bus's resource policy (moto does not evaluate it; Firebreak checks its bus
policy on the synthesized template with iam-simulate, ``test/infra/security-account-stack.test.ts``).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from moto.events.models import EventsBackend, Rule, events_backends
from moto.events.utils import EventTemplateParser
from moto.utilities.arns import parse_arn

PATCHES = (
    "EventBridge: PutEvents onto another account's bus by ARN, with the caller's account in the event",
    "EventBridge: an event forwarded to another account's bus keeps the account it came from",
    "EventBridge: a target without an input transformer receives the event's account",
)

# The account an event being delivered came from, for the deliveries nested in one PutEvents call.
_SENDER = threading.local()
_original: dict[str, Callable[..., Any]] = {}


def _foreign_bus(backend: EventsBackend, bus: Any) -> tuple[str, str, str] | None:
    """``(account, region, name)`` when ``bus`` is the ARN of a bus outside the caller's account and region."""
    if not isinstance(bus, str) or not bus.startswith("arn:"):
        return None
    arn = parse_arn(bus)
    if arn.account == backend.account_id and arn.region == backend.region_name:
        return None
    return arn.account, arn.region, arn.resource_id


def _put_events(self: EventsBackend, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    original = _original["put_events"]
    if len(events) > 10 or not any(_foreign_bus(self, e.get("EventBusName")) for e in events):
        return original(self, events)
    entries: list[dict[str, Any]] = []
    for event in events:
        foreign = _foreign_bus(self, event.get("EventBusName"))
        if foreign is None:
            entries.extend(original(self, [event]))
            continue
        account, region, name = foreign
        outer = getattr(_SENDER, "account", None)
        _SENDER.account = outer or self.account_id
        try:
            entries.extend(original(events_backends[account][region], [{**event, "EventBusName": name}]))
        finally:
            _SENDER.account = outer
    return entries


def _send_to_targets(self: Rule, original_event: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    sender = getattr(_SENDER, "account", None)
    event = original_event if sender is None else {**original_event, "account": sender}
    outer = sender
    _SENDER.account = event.get("account")
    try:
        _original["send_to_targets"](self, event, *args, **kwargs)
    finally:
        _SENDER.account = outer


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    _original["put_events"] = EventsBackend.put_events
    _original["send_to_targets"] = Rule.send_to_targets
    EventsBackend.put_events = _put_events  # type: ignore[method-assign]
    Rule.send_to_targets = _send_to_targets  # type: ignore[method-assign]
    template = EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE
    if '"account"' not in template:
        EventTemplateParser.DEFAULT_EVENT_INPUT_TEMPLATE = template.replace('"source": "<source>", ', '"source": "<source>", "account": "<account>", ', 1)
