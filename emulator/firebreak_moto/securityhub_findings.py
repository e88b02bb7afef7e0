"""Security Hub ``BatchUpdateFindings``, and ``GetFindings`` filtered by a finding's identifier.

moto 5.2.5 has ``BatchImportFindings`` and ``GetFindings`` but no ``BatchUpdateFindings`` (the route
``PATCH /findings/batchupdate`` is unknown), and its ``GetFindings`` ignores ``Filters`` (every finding of
the account and region is returned). Firebreak sets a finding's workflow status and a note with
``BatchUpdateFindings`` after reading the finding back with ``GetFindings`` filtered on its ``Id`` and
``ProductArn``.

``BatchUpdateFindings`` (Security Hub API Reference,
https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html) as emulated here:

- ``FindingIdentifiers`` (1 to 100 of ``{Id, ProductArn}``): each names a finding of the caller's Security
  Hub in the request's Region. One that matches no finding is answered in ``UnprocessedFindings`` with
  ``ErrorCode`` ``FindingNotFound`` and ``ErrorMessage`` ``Finding Not Found``; an identifier given twice
  with ``DuplicatedFindingIdentifier`` / ``Finding Identifier is duplicated``
  (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindingsUnprocessedFinding.html).
  The others are updated and listed in ``ProcessedFindings``.
- ``Workflow.Status`` (``NEW | NOTIFIED | RESOLVED | SUPPRESSED``,
  https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_WorkflowUpdate.html) sets the finding's
  ``Workflow.Status`` (and its deprecated mirror ``WorkflowState``); any value is accepted in any order, as
  in AWS: the API does not refuse a move back, a caller that must not make one reads first.
- ``Note`` (``Text`` and ``UpdatedBy``, both required; ``Text`` at most 512 characters, the ``Note`` type,
  https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_Note.html) replaces the finding's ``Note``
  with ``{Text, UpdatedBy, UpdatedAt}``.
- A request with no identifier, an unknown status, or a note without text or over 512 characters is refused
  whole with ``InvalidInputException`` (HTTP 400).
- The finding's ``UpdatedAt`` is not changed ("Updates from BatchUpdateFindings don't affect the value of
  UpdatedAt for a finding", same page).

Not emulated: the administrator/member split (in AWS the Security Hub administrator account updates its
members' findings; here a finding is updated in the account whose Security Hub holds it, so a test imports a
member's GuardDuty finding into the security account's Security Hub, as the aggregation would show it), the
other updatable fields (``Severity``, ``Confidence``, ...), and ``ConcurrentUpdateError``.

``GetFindings``' ``Filters`` (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_GetFindings.html):
the ``StringFilter`` comparisons ``EQUALS`` and ``NOT_EQUALS`` on ``Id``, ``ProductArn``, ``AwsAccountId``
and ``WorkflowStatus`` (``Workflow.Status``) are applied (several values of one key are ORed, keys ANDed, as
AWS documents for the filters); other keys are ignored, as moto ignored all of them.
"""

from __future__ import annotations

import datetime
import json
from typing import Any, Callable

PATCHES = (
    "Security Hub: BatchUpdateFindings (workflow status and note; FindingNotFound for an unknown finding)",
    "Security Hub: GetFindings filters on Id, ProductArn, AwsAccountId and WorkflowStatus",
)

WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
NOTE_TEXT_MAX = 512
IDENTIFIERS_MAX = 100

#: Filter key → how to read it from a finding.
_FILTER_FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "Id": lambda f: f.get("Id"),
    "ProductArn": lambda f: f.get("ProductArn"),
    "AwsAccountId": lambda f: f.get("AwsAccountId"),
    "WorkflowStatus": lambda f: (f.get("Workflow") or {}).get("Status", "NEW"),
}

_original: dict[str, Callable[..., Any]] = {}


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _matches(finding: dict[str, Any], filters: dict[str, Any] | None) -> bool:
    for key, read in _FILTER_FIELDS.items():
        conditions = (filters or {}).get(key) or []
        if not conditions:
            continue
        value = read(finding)
        equals = [c.get("Value") for c in conditions if c.get("Comparison", "EQUALS") == "EQUALS"]
        not_equals = [c.get("Value") for c in conditions if c.get("Comparison") == "NOT_EQUALS"]
        if equals and value not in equals:
            return False
        if value in not_equals:
            return False
    return True


def _validate(body: dict[str, Any]) -> None:
    from moto.securityhub.exceptions import InvalidInputException

    identifiers = body.get("FindingIdentifiers")
    if not isinstance(identifiers, list) or not 1 <= len(identifiers) <= IDENTIFIERS_MAX:
        raise InvalidInputException(op="BatchUpdateFindings", msg=f"FindingIdentifiers must hold 1 to {IDENTIFIERS_MAX} identifiers")
    status = (body.get("Workflow") or {}).get("Status")
    if status is not None and status not in WORKFLOW_STATUSES:
        raise InvalidInputException(op="BatchUpdateFindings", msg=f"Workflow.Status must be one of {', '.join(WORKFLOW_STATUSES)}")
    note = body.get("Note")
    if note is not None:
        text, by = note.get("Text"), note.get("UpdatedBy")
        if not isinstance(text, str) or not text.strip() or not isinstance(by, str) or not by.strip():
            raise InvalidInputException(op="BatchUpdateFindings", msg="Note needs Text and UpdatedBy")
        if len(text) > NOTE_TEXT_MAX:
            raise InvalidInputException(op="BatchUpdateFindings", msg=f"Note.Text is longer than {NOTE_TEXT_MAX} characters")


def _update(finding: dict[str, Any], body: dict[str, Any]) -> None:
    status = (body.get("Workflow") or {}).get("Status")
    if status is not None:
        finding["Workflow"] = {**(finding.get("Workflow") or {}), "Status": status}
        finding["WorkflowState"] = status
    note = body.get("Note")
    if note is not None:
        finding["Note"] = {"Text": note["Text"], "UpdatedBy": note["UpdatedBy"], "UpdatedAt": _now()}


def batch_update_findings(backend: Any, body: dict[str, Any]) -> dict[str, Any]:
    """Applies one BatchUpdateFindings request to ``backend`` (a moto SecurityHubBackend); returns the answer."""
    _validate(body)
    processed: list[dict[str, str]] = []
    unprocessed: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for ident in body["FindingIdentifiers"]:
        key = (ident.get("Id", ""), ident.get("ProductArn", ""))
        if key in seen:
            unprocessed.append({"FindingIdentifier": ident, "ErrorCode": "DuplicatedFindingIdentifier", "ErrorMessage": "Finding Identifier is duplicated"})
            continue
        seen.add(key)
        found = next((f for f in backend.findings if f.data.get("Id") == key[0] and f.data.get("ProductArn") == key[1]), None)
        if found is None:
            unprocessed.append({"FindingIdentifier": ident, "ErrorCode": "FindingNotFound", "ErrorMessage": "Finding Not Found"})
            continue
        _update(found.data, body)
        processed.append({"Id": key[0], "ProductArn": key[1]})
    return {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}


def apply() -> None:
    """Adds the BatchUpdateFindings route and handler, and GetFindings' filters (idempotent)."""
    if _original:
        return
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse

    urls.url_paths.setdefault("{0}/findings/batchupdate$", SecurityHubResponse.dispatch)

    def handler(self: Any) -> str:
        raw = self.body.decode("utf-8") if isinstance(self.body, bytes) else self.body
        return json.dumps(batch_update_findings(self.securityhub_backend, json.loads(raw or "{}")))

    SecurityHubResponse.batch_update_findings = handler  # type: ignore[attr-defined]

    from moto.utilities.paginator import paginate

    _original["get_findings"] = SecurityHubBackend.get_findings

    @paginate(pagination_model=SecurityHubBackend.PAGINATION_MODEL)
    def get_findings(self: Any, filters: dict[str, Any] | None = None, sort_criteria: Any = None, max_results: Any = None) -> list[dict[str, Any]]:
        # moto's own, but for the filters (its MaxResults check kept: 1 to 100).
        if max_results is not None and not 1 <= int(max_results) <= 100:
            from moto.securityhub.exceptions import InvalidInputException

            raise InvalidInputException(op="GetFindings", msg="MaxResults must be a number between 1 and 100")
        return [f.as_dict() for f in list(self.findings) if _matches(f.data, filters)]

    SecurityHubBackend.get_findings = get_findings  # type: ignore[method-assign]
