"""CloudTrail ``LookupEvents``, which moto 5.2.5 does not implement (its CloudTrail answers trails only).

Firebreak's credential-compromise and cloudtrail-tamper playbooks keep the CloudTrail records of the principal around
the finding as evidence (lib/runtime/evidence/principal-events.ts). ``LookupEvents`` as emulated here (AWS CloudTrail
API Reference, https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html):

- the events of the caller's account in the request's Region only (each Region's event history is its own);
- ``LookupAttributes``: at most one item ("Currently the list can contain only one item"); its ``AttributeKey`` one
  of ``EventId | EventName | ReadOnly | Username | ResourceType | ResourceName | EventSource | AccessKeyId``
  (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupAttribute.html), ``AttributeValue`` 1 to
  2000 characters; matched exactly against the event's field (``ResourceType``/``ResourceName`` against any of its
  ``Resources``). More than one item, an unknown key or a bad value: ``InvalidLookupAttributesException``;
- ``StartTime`` / ``EndTime`` (epoch seconds): events at or after the start and at or before the end; a start after
  the end is ``InvalidTimeRangeException``;
- ``MaxResults`` 1 to 50 (default 50; else ``InvalidMaxResultsException``), ``NextToken`` (an unknown one is
  ``InvalidNextTokenException``); events newest first, as the CloudTrail console's event history lists them.

Not emulated: the rate limit (two requests per second per account per Region), ``EventCategory`` (insight), the
90-day horizon. Nothing in moto records API calls as CloudTrail events, so a test puts the events it needs with the
Firebreak-only action ``FirebreakRecordEvents`` (``X-Amz-Target: CloudTrail_20131101.FirebreakRecordEvents``, body
``{"Region": ..., "Events": [Event, ...]}``, each an ``Event`` as LookupEvents returns it,
https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Event.html, ``EventTime`` in epoch seconds); the
events are kept on the account and Region's CloudTrail backend, so moto's reset clears them.
"""

from __future__ import annotations

import json
from typing import Any, Callable

PATCHES = ("CloudTrail: LookupEvents (one lookup attribute, time range, pages of at most 50, newest first)",)

ATTRIBUTE_KEYS = ("EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId")
MAX_RESULTS = 50
ATTRIBUTE_VALUE_MAX = 2000

_original: dict[str, Callable[..., Any]] = {}


class _ClientError(Exception):
    """A CloudTrail client error, answered as the JSON protocol's ``__type`` and message with HTTP 400."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _events_of(backend: Any) -> list[dict[str, Any]]:
    events = getattr(backend, "_firebreak_events", None)
    if events is None:
        events = []
        backend._firebreak_events = events
    return events


def _matches(event: dict[str, Any], key: str, value: str) -> bool:
    if key in ("ResourceType", "ResourceName"):
        return any(r.get(key) == value for r in event.get("Resources") or [])
    return str(event.get(key)) == value


def _attribute(body: dict[str, Any]) -> tuple[str, str] | None:
    attrs = body.get("LookupAttributes") or []
    if len(attrs) > 1:
        raise _ClientError("InvalidLookupAttributesException", "You cannot specify more than one lookup attribute.")
    if not attrs:
        return None
    key, value = attrs[0].get("AttributeKey"), attrs[0].get("AttributeValue")
    if key not in ATTRIBUTE_KEYS or not isinstance(value, str) or not 1 <= len(value) <= ATTRIBUTE_VALUE_MAX:
        raise _ClientError("InvalidLookupAttributesException", f"Invalid lookup attribute {key!r}.")
    return key, value


def lookup_events(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Answers one LookupEvents request against the events recorded on ``backend`` (see the module's comment)."""
    attribute = _attribute(body)
    start, end = body.get("StartTime"), body.get("EndTime")
    if start is not None and end is not None and float(start) > float(end):
        raise _ClientError("InvalidTimeRangeException", "Start time must be before end time.")
    max_results = int(body.get("MaxResults") or MAX_RESULTS)
    if not 1 <= max_results <= MAX_RESULTS:
        raise _ClientError("InvalidMaxResultsException", f"MaxResults must be between 1 and {MAX_RESULTS}.")
    selected = [
        e
        for e in _events_of(backend)
        if (attribute is None or _matches(e, *attribute))
        and (start is None or float(e["EventTime"]) >= float(start))
        and (end is None or float(e["EventTime"]) <= float(end))
    ]
    selected.sort(key=lambda e: float(e["EventTime"]), reverse=True)
    token = body.get("NextToken")
    offset = 0
    if token:
        if not str(token).startswith("firebreak-") or not str(token)[10:].isdigit():
            raise _ClientError("InvalidNextTokenException", "Invalid NextToken.")
        offset = int(str(token)[10:])
    page = selected[offset : offset + max_results]
    out: dict[str, Any] = {"Events": page}
    if offset + max_results < len(selected):
        out["NextToken"] = f"firebreak-{offset + max_results}"
    return out


def record_events(backend: Any, events: list[dict[str, Any]]) -> None:
    """Adds events to ``backend``'s event history (FirebreakRecordEvents; an event ID already there is kept once)."""
    store = _events_of(backend)
    known = {e.get("EventId") for e in store}
    for e in events:
        if e.get("EventId") not in known:
            store.append(dict(e))
            known.add(e.get("EventId"))


def apply() -> None:
    """Adds the LookupEvents and FirebreakRecordEvents handlers to moto's CloudTrail (idempotent)."""
    if _original:
        return
    from moto.cloudtrail.models import cloudtrail_backends
    from moto.cloudtrail.responses import CloudTrailResponse

    def body_of(self: Any) -> dict[str, Any]:
        raw = self.body.decode("utf-8") if isinstance(self.body, bytes) else self.body
        return json.loads(raw or "{}")

    def lookup(self: Any) -> Any:
        try:
            return json.dumps(lookup_events(self.cloudtrail_backend, body_of(self)))
        except _ClientError as err:
            # moto takes the status from the headers' "status" (BaseResponse._transform_response).
            headers = {"status": "400", "content-type": "application/x-amz-json-1.1"}
            return json.dumps({"__type": err.code, "message": err.message}), headers

    def record(self: Any) -> str:
        body = body_of(self)
        region = body.get("Region") or self.region
        record_events(cloudtrail_backends[self.current_account][region], body.get("Events") or [])
        return "{}"

    _original["lookup_events"] = lookup
    CloudTrailResponse.lookup_events = lookup  # type: ignore[attr-defined]
    CloudTrailResponse.firebreak_record_events = record  # type: ignore[attr-defined]
