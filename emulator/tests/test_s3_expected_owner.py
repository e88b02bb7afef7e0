"""S3 ExpectedBucketOwner (firebreak_moto/s3_expected_owner.py): a request that names another account as the bucket's
owner is refused with 403 AccessDenied ("Verifying bucket ownership with bucket owner condition", Amazon S3 User
Guide); the right owner, or no header, is served as before."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from conftest import MEMBER, SECURITY, ClientFactory


def test_the_owner_is_served_and_another_account_is_refused_with_403(client: ClientFactory) -> None:
    s3 = client("s3", account=SECURITY)
    s3.create_bucket(Bucket="vault-owner", ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket="vault-owner", Key="k", Body=b"evidence")
    assert s3.get_object(Bucket="vault-owner", Key="k", ExpectedBucketOwner=SECURITY)["Body"].read() == b"evidence"
    assert s3.get_object(Bucket="vault-owner", Key="k")["Body"].read() == b"evidence"
    s3.get_object_lock_configuration(Bucket="vault-owner", ExpectedBucketOwner=SECURITY)
    for call in (
        lambda: s3.get_object(Bucket="vault-owner", Key="k", ExpectedBucketOwner=MEMBER),
        lambda: s3.get_object_lock_configuration(Bucket="vault-owner", ExpectedBucketOwner=MEMBER),
        lambda: s3.list_object_versions(Bucket="vault-owner", ExpectedBucketOwner=MEMBER),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
