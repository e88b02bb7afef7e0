"""S3 ``ExpectedBucketOwner`` (the ``x-amz-expected-bucket-owner`` header), which moto 5.2.5 ignores.

AWS: "The account ID of the expected bucket owner. If the account ID that you provide does not match the actual
owner of the bucket, the request fails with the HTTP status code 403 Forbidden (access denied)" (Amazon S3 API
Reference, the ``x-amz-expected-bucket-owner`` request header of every bucket and object operation, e.g.
GetObject: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html; "Verifying bucket ownership with
bucket owner condition", Amazon S3 User Guide:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-owner-condition.html).

``firebreak evidence verify`` (lib/operator/evidence.ts) sends it with every S3 call, so that a ledger rewritten to
name another account's bucket is refused. Patch: ``S3Response._bucket_response`` and ``_key_response`` (what moto's
``bucket_response`` and ``key_response`` call once the request is parsed) answer 403 ``AccessDenied`` when the
header names an account other than the one that owns the bucket; a bucket that does not exist, or a request without
the header, is left to moto.
"""

from __future__ import annotations

from typing import Any, Callable

from moto.s3.models import s3_backends
from moto.s3.responses import S3Response

PATCHES = ("S3: ExpectedBucketOwner (x-amz-expected-bucket-owner) refuses another account's bucket with 403 AccessDenied",)

_original: dict[str, Callable[..., Any]] = {}

_ACCESS_DENIED = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Error><Code>AccessDenied</Code><Message>Access Denied</Message>"
    "<RequestId>firebreak-expected-bucket-owner</RequestId></Error>"
)


def _refusal(self: S3Response, request: Any, full_url: str) -> tuple[int, dict[str, str], str] | None:
    """403 AccessDenied when the header names an account that does not own the bucket; else None."""
    expected = request.headers.get("x-amz-expected-bucket-owner")
    if not expected:
        return None
    try:
        bucket_name = self.parse_bucket_name_from_url(request, full_url)
    except Exception:  # noqa: BLE001 - an access point or a URL moto itself refuses: moto answers as it would
        return None
    owner = s3_backends.bucket_accounts.get(bucket_name) if bucket_name else None
    if owner is None or owner[1] == expected:
        return None
    return 403, {"content-type": "application/xml"}, _ACCESS_DENIED


def bucket_response(self: S3Response, request: Any, full_url: str) -> Any:
    """moto's _bucket_response, refused first when the expected owner does not own the bucket."""
    return _refusal(self, request, full_url) or _original["bucket_response"](self, request, full_url)


def key_response(self: S3Response, request: Any, full_url: str) -> Any:
    """moto's _key_response, refused first when the expected owner does not own the bucket."""
    return _refusal(self, request, full_url) or _original["key_response"](self, request, full_url)


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    _original["bucket_response"] = S3Response._bucket_response
    _original["key_response"] = S3Response._key_response
    S3Response._bucket_response = bucket_response  # type: ignore[method-assign]
    S3Response._key_response = key_response  # type: ignore[method-assign]
