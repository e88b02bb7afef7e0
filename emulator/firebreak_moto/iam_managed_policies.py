"""The AWS managed policies Firebreak attaches, present in every account as in IAM.

In IAM, AWS managed policies exist in every account: ``AttachUserPolicy`` takes
``arn:aws:iam::aws:policy/AWSDenyAll`` in any account ("AWS managed policies", IAM User Guide;
"AWSDenyAll", AWS Managed Policy Reference: ``Deny * on *``). moto 5.2.5 loads them only when
``MOTO_IAM_LOAD_MANAGED_POLICIES=true``, and then all of them (about 1,300) into every account
backend it creates, which makes each new account slow to appear. Firebreak attaches exactly one,
``AWSDenyAll``, to contain an IAM user (lib/runtime/iam/revoke.ts).

Patch: when moto is not loading every AWS managed policy, ``IAMBackend._init_aws_policies`` loads
the ones in ``ATTACHED_BY_FIREBREAK`` from moto's own copy of AWS's data (``aws_managed_policies``),
so their ARNs, documents and versions are AWS's. When moto loads all of them, nothing changes.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from moto.iam import models as iam_models

PATCHES = (
    "IAM: the AWS managed policy AWSDenyAll exists in every account (AttachUserPolicy / DetachUserPolicy / ListAttachedUserPolicies)",
)

#: AWS managed policies Firebreak attaches, by name.
ATTACHED_BY_FIREBREAK = ("AWSDenyAll",)

_original: dict[str, Callable[..., Any]] = {}


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    original = iam_models.IAMBackend._init_aws_policies
    _original["_init_aws_policies"] = original

    def _init_aws_policies(self: Any) -> list[Any]:
        loaded = original(self)
        if loaded:
            return loaded
        data = json.loads(iam_models.aws_managed_policies_data)
        return [
            iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data[name])
            for name in ATTACHED_BY_FIREBREAK
        ]

    iam_models.IAMBackend._init_aws_policies = _init_aws_policies
