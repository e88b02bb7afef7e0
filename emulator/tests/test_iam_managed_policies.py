"""Tests of the IAM patch: AWS's managed AWSDenyAll exists in every account, as in IAM."""

from __future__ import annotations

import json

import pytest
from conftest import MEMBER, SECURITY, ClientFactory

DENY_ALL = "arn:aws:iam::aws:policy/AWSDenyAll"


@pytest.mark.parametrize("account", [MEMBER, SECURITY])
def test_deny_all_attaches_and_detaches_in_any_account(client: ClientFactory, account: str) -> None:
    iam = client("iam", account=account)
    iam.create_user(UserName="alice")
    iam.attach_user_policy(UserName="alice", PolicyArn=DENY_ALL)
    attached = iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSDenyAll", "PolicyArn": DENY_ALL}]
    iam.detach_user_policy(UserName="alice", PolicyArn=DENY_ALL)
    assert iam.list_attached_user_policies(UserName="alice")["AttachedPolicies"] == []


def test_deny_all_document_is_aws_s(client: ClientFactory) -> None:
    # "AWSDenyAll", AWS Managed Policy Reference: version v2, one statement Deny * on *.
    iam = client("iam", account=MEMBER)
    policy = iam.get_policy(PolicyArn=DENY_ALL)["Policy"]
    assert policy["DefaultVersionId"] == "v2"
    doc = iam.get_policy_version(PolicyArn=DENY_ALL, VersionId="v2")["PolicyVersion"]["Document"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    assert doc["Statement"] == [{"Sid": "DenyAll", "Effect": "Deny", "Action": ["*"], "Resource": "*"}]


def test_other_aws_managed_policies_are_not_loaded(client: ClientFactory) -> None:
    # Only what Firebreak attaches: a policy Firebreak never attaches stays unknown, as moto answers
    # for any policy it does not have (so a test attaching, say, AdministratorAccess fails loudly).
    iam = client("iam", account=MEMBER)
    iam.create_user(UserName="bob")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
