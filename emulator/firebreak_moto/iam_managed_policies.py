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
moto's copy is one JSON text of every AWS managed policy (megabytes): it is parsed once, when the patch is applied
(at the server's start), not once per account backend, which took most of the emulator's CPU in a local game day.
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

#: The data of the policies in ``ATTACHED_BY_FIREBREAK``, by name, from moto's copy (filled by ``apply``).
_policy_data: dict[str, Any] = {}


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    original = iam_models.IAMBackend._init_aws_policies
    _original["_init_aws_policies"] = original
    data = json.loads(iam_models.aws_managed_policies_data)
    _policy_data.update({name: data[name] for name in ATTACHED_BY_FIREBREAK})

    def _init_aws_policies(self: Any) -> list[Any]:
        loaded = original(self)
        if loaded:
            return loaded
        return [
            iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, _policy_data[name])
            for name in ATTACHED_BY_FIREBREAK
        ]

    iam_models.IAMBackend._init_aws_policies = _init_aws_policies
