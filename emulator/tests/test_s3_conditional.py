"""S3 conditional writes as the evidence vault relies on them (lib/runtime/evidence/vault.ts): PutObject with
``If-None-Match: *`` writes a key at most once and answers 412 ``PreconditionFailed`` when the key exists ("How to
prevent object overwrites with conditional writes", Amazon S3 User Guide). moto 5.2.5 does this itself (no patch);
these tests keep it so across a change of the pin, concurrent writes included."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError
from conftest import SECURITY, ClientFactory


def test_put_if_none_match_refuses_an_existing_key_with_412(client: ClientFactory) -> None:
    s3 = client("s3", account=SECURITY)
    s3.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket="vault", Key="k", Body=b"first", IfNoneMatch="*")
    try:
        s3.put_object(Bucket="vault", Key="k", Body=b"second", IfNoneMatch="*")
        raise AssertionError("the second conditional write succeeded")
    except ClientError as err:
        assert err.response["Error"]["Code"] == "PreconditionFailed"
        assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert s3.get_object(Bucket="vault", Key="k")["Body"].read() == b"first"
    assert len(s3.list_object_versions(Bucket="vault", Prefix="k")["Versions"]) == 1


def test_concurrent_puts_if_none_match_write_exactly_once(client: ClientFactory) -> None:
    client("s3", account=SECURITY).create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)

    def put(n: int) -> bool:
        s3 = client("s3", account=SECURITY)
        try:
            s3.put_object(Bucket="vault", Key="once", Body=str(n).encode(), IfNoneMatch="*")
            return True
        except ClientError as err:
            assert err.response["Error"]["Code"] in ("PreconditionFailed", "ConditionalRequestConflict")
            return False

    for round_ in range(3):
        with ThreadPoolExecutor(max_workers=12) as pool:
            key_results = list(pool.map(put, range(24)))
        versions = client("s3", account=SECURITY).list_object_versions(Bucket="vault", Prefix="once")["Versions"]
        assert key_results.count(True) == 1, f"round {round_}: {key_results.count(True)} writes succeeded"
        assert len(versions) == 1
        client("s3", account=SECURITY).delete_object(Bucket="vault", Key="once", VersionId=versions[0]["VersionId"])
