"""Security Hub BatchUpdateFindings and GetFindings' filters (the patched server), on the AWS-documented GuardDuty finding."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from conftest import ClientFactory, MEMBER

#: "Typical finding from GuardDuty" (Amazon GuardDuty User Guide, securityhub-integration.html), verbatim.
EXAMPLE = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "securityhub" / "guardduty-asff-ssh-bruteforce.json").read_text())


def _finding(suffix: str) -> dict[str, Any]:
    """The example, as the member's finding `suffix` (Id, GeneratorId and account rewritten as GuardDuty forms them)."""
    detector = f"arn:aws:guardduty:us-east-1:{MEMBER}:detector/d4b040365221be2b54a6264dc9a4bc64"
    return {**EXAMPLE, "Id": f"{detector}/finding/{suffix}", "GeneratorId": detector, "AwsAccountId": MEMBER}


def _ident(f: dict[str, Any]) -> dict[str, str]:
    return {"Id": f["Id"], "ProductArn": f["ProductArn"]}


def test_updates_workflow_and_note_and_reports_unknown_findings(client: ClientFactory) -> None:
    sh = client("securityhub")
    a, b = _finding("a" * 32), _finding("b" * 32)
    assert sh.batch_import_findings(Findings=[a, b])["SuccessCount"] == 2
    missing = {"Id": a["Id"].replace("a" * 32, "c" * 32), "ProductArn": a["ProductArn"]}
    out = sh.batch_update_findings(
        FindingIdentifiers=[_ident(a), missing, _ident(a)],
        Workflow={"Status": "NOTIFIED"},
        Note={"Text": "Firebreak case fb-1", "UpdatedBy": "Firebreak"},
    )
    assert out["ProcessedFindings"] == [_ident(a)]
    assert [(u["FindingIdentifier"]["Id"], u["ErrorCode"]) for u in out["UnprocessedFindings"]] == [
        (missing["Id"], "FindingNotFound"),
        (a["Id"], "DuplicatedFindingIdentifier"),
    ]
    got = sh.get_findings(Filters={"Id": [{"Value": a["Id"], "Comparison": "EQUALS"}]})["Findings"]
    assert len(got) == 1
    assert got[0]["Workflow"]["Status"] == "NOTIFIED"
    assert got[0]["Note"]["Text"] == "Firebreak case fb-1" and got[0]["Note"]["UpdatedBy"] == "Firebreak"
    # UpdatedAt is the provider's, untouched by BatchUpdateFindings.
    assert got[0]["UpdatedAt"] == EXAMPLE["UpdatedAt"]
    # b was not named: still NEW.
    other = sh.get_findings(Filters={"Id": [{"Value": b["Id"], "Comparison": "EQUALS"}]})["Findings"]
    assert other[0]["Workflow"]["Status"] == "NEW"
    # Filters: WorkflowStatus, ProductArn, NOT_EQUALS.
    notified = sh.get_findings(Filters={"WorkflowStatus": [{"Value": "NOTIFIED", "Comparison": "EQUALS"}]})["Findings"]
    assert [f["Id"] for f in notified] == [a["Id"]]
    assert sh.get_findings(Filters={"ProductArn": [{"Value": "arn:aws:securityhub:us-east-1::product/aws/macie", "Comparison": "EQUALS"}]})["Findings"] == []
    assert len(sh.get_findings(Filters={"Id": [{"Value": a["Id"], "Comparison": "NOT_EQUALS"}]})["Findings"]) == 1


def test_refuses_an_invalid_request_whole(client: ClientFactory) -> None:
    sh = client("securityhub")
    a = _finding("d" * 32)
    sh.batch_import_findings(Findings=[a])
    for note in ({"Text": "x" * 513, "UpdatedBy": "Firebreak"},):
        with pytest.raises(botocore.exceptions.ClientError) as err:
            sh.batch_update_findings(FindingIdentifiers=[_ident(a)], Workflow={"Status": "RESOLVED"}, Note=note)
        assert err.value.response["Error"]["Code"] == "InvalidInputException"
    with pytest.raises(botocore.exceptions.ClientError):
        sh.batch_update_findings(FindingIdentifiers=[_ident(a)], Workflow={"Status": "DONE"})
    got = sh.get_findings(Filters={"Id": [{"Value": a["Id"], "Comparison": "EQUALS"}]})["Findings"][0]
    assert got["Workflow"]["Status"] == "NEW" and "Note" not in got
