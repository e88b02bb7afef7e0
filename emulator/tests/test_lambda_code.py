"""Tests of the Lambda code-location patch: GetFunction's Code.Location downloads the .zip file it describes."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import urllib.error
import urllib.request
import zipfile
from typing import Any

import pytest

from conftest import MEMBER


def _zip(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", text)
    return buf.getvalue()


def _function(client: Any, name: str, code: bytes) -> Any:
    iam = client("iam", account=MEMBER)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    lam = client("lambda", account=MEMBER)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="index.handler", Code={"ZipFile": code})
    return lam


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.read()


def test_code_location_answers_the_zip_whose_sha256_is_code_sha256(client: Any, endpoint: str) -> None:
    code = _zip("def handler(e, c):\n    return 1\n")
    lam = _function(client, "fn", code)
    got = lam.get_function(FunctionName="fn")
    assert got["Code"]["Location"].startswith(f"{endpoint}/_firebreak/lambda-code/")
    body = _get(got["Code"]["Location"])
    assert body == code
    assert base64.b64encode(hashlib.sha256(body).digest()).decode() == got["Configuration"]["CodeSha256"]


def test_a_published_version_keeps_its_code_after_the_function_changes(client: Any) -> None:
    first = _zip("def handler(e, c):\n    return 1\n")
    lam = _function(client, "fn2", first)
    version = lam.publish_version(FunctionName="fn2")["Version"]
    lam.update_function_code(FunctionName="fn2", ZipFile=_zip("def handler(e, c):\n    return 2\n"))
    got = lam.get_function(FunctionName="fn2", Qualifier=version)
    assert _get(got["Code"]["Location"]) == first


def test_a_deleted_function_s_location_answers_404(client: Any) -> None:
    lam = _function(client, "gone", _zip("x = 1\n"))
    location = lam.get_function(FunctionName="gone")["Code"]["Location"]
    lam.delete_function(FunctionName="gone")
    with pytest.raises(urllib.error.HTTPError) as err:
        _get(location)
    assert err.value.code == 404
