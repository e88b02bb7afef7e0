"""CloudTrail LookupEvents (the patched server): one lookup attribute, the time range, pages, per account and Region.

The events are the documented ``StopLogging`` record of fixtures/events/cloudtrail-stoplogging.json (its ``detail``), as
LookupEvents' ``Event`` type carries a record (https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_Event.html):
``EventId`` = ``eventID``, ``EventName``, ``ReadOnly``, ``AccessKeyId`` = ``userIdentity.accessKeyId``, ``EventTime``,
``EventSource``, ``Username`` = ``userIdentity.userName``, ``CloudTrailEvent`` = the record's JSON text.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import urllib.request

import botocore.exceptions
import pytest

from conftest import ClientFactory, MEMBER, REGION

RECORD = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "events" / "cloudtrail-stoplogging.json").read_text())["detail"]


def _event(n: int, **identity: str) -> dict[str, Any]:
    """The record as LookupEvents' Event, its ID and time made the n-th (n minutes after the record's)."""
    record = {**RECORD, "userIdentity": {**RECORD["userIdentity"], **identity}}
    t = datetime.datetime.fromisoformat(RECORD["eventTime"].replace("Z", "+00:00")) + datetime.timedelta(minutes=n)
    record["eventTime"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    record["eventID"] = f"{RECORD['eventID'][:-3]}{n:03d}"
    return {
        "EventId": record["eventID"],
        "EventName": record["eventName"],
        "ReadOnly": str(record["readOnly"]).lower(),
        "AccessKeyId": record["userIdentity"]["accessKeyId"],
        "EventTime": t.timestamp(),
        "EventSource": record["eventSource"],
        "Username": record["userIdentity"]["userName"],
        "Resources": [],
        "CloudTrailEvent": json.dumps(record),
    }


def _record(endpoint: str, events: list[dict[str, Any]], region: str = REGION) -> None:
    """Puts events in the member's history with the Firebreak-only action (the credential scope names the service)."""
    request = urllib.request.Request(
        f"{endpoint}/",
        data=json.dumps({"Region": region, "Events": events}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "CloudTrail_20131101.FirebreakRecordEvents",
            "x-moto-account-id": MEMBER,
            "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/{region}/cloudtrail/aws4_request, SignedHeaders=host, Signature=0",
        },
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200


def test_one_attribute_time_range_pages_and_regions(client: ClientFactory, endpoint: str) -> None:
    mine = [_event(n) for n in range(7)]
    other = [_event(100 + n, userName="someone-else", accessKeyId="AKIAEXAMPLEKEY000002") for n in range(3)]
    _record(endpoint, mine + other)
    _record(endpoint, [_event(200)], region="eu-west-1")
    ct = client("cloudtrail", account=MEMBER)
    by_user = [{"AttributeKey": "Username", "AttributeValue": "ci-deployer"}]
    first = ct.lookup_events(LookupAttributes=by_user, MaxResults=5)
    assert [e["EventId"] for e in first["Events"]] == [e["EventId"] for e in reversed(mine)][:5]
    rest = ct.lookup_events(LookupAttributes=by_user, MaxResults=5, NextToken=first["NextToken"])
    assert len(rest["Events"]) == 2 and "NextToken" not in rest
    assert json.loads(rest["Events"][-1]["CloudTrailEvent"])["eventName"] == "StopLogging"
    start = datetime.datetime.fromtimestamp(mine[2]["EventTime"], datetime.timezone.utc)
    end = datetime.datetime.fromtimestamp(mine[4]["EventTime"], datetime.timezone.utc)
    ranged = ct.lookup_events(LookupAttributes=by_user, StartTime=start, EndTime=end)["Events"]
    assert [e["EventId"] for e in ranged] == [mine[4]["EventId"], mine[3]["EventId"], mine[2]["EventId"]]
    by_key = ct.lookup_events(LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": "AKIAEXAMPLEKEY000002"}])
    assert len(by_key["Events"]) == 3
    assert client("cloudtrail").lookup_events(LookupAttributes=by_user)["Events"] == []  # another account's history
    assert len(client("cloudtrail", account=MEMBER).lookup_events()["Events"]) == 10  # us-east-1 only


def test_refuses_two_attributes_a_bad_key_and_an_inverted_range(client: ClientFactory) -> None:
    ct = client("cloudtrail", account=MEMBER)
    two = [{"AttributeKey": "Username", "AttributeValue": "a"}, {"AttributeKey": "EventName", "AttributeValue": "b"}]
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ct.lookup_events(LookupAttributes=two)
    assert err.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    now = datetime.datetime.now(datetime.timezone.utc)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ct.lookup_events(StartTime=now, EndTime=now - datetime.timedelta(hours=1))
    assert err.value.response["Error"]["Code"] == "InvalidTimeRangeException"
    with pytest.raises(botocore.exceptions.ClientError) as err:
        ct.lookup_events(NextToken="forged")
    assert err.value.response["Error"]["Code"] == "InvalidNextTokenException"
