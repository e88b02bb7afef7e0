"""Default account handling for the Firebreak emulator.

moto reads ``MOTO_ACCOUNT_ID`` in ``BaseResponse.get_current_account`` with the *highest* priority:
when it is set, every request goes to that account and both the ``x-moto-account-id`` header and
STS ``AssumeRole`` credentials are ignored. Firebreak needs two accounts (member and security) in one
server, so the launcher takes ``MOTO_ACCOUNT_ID`` out of the environment and makes it moto's
*default* account instead: the account used when a request names no other account (no header, and
an access key that moto did not issue).
"""

from __future__ import annotations

import os
import re
import sys

MOTO_BUILTIN_DEFAULT_ACCOUNT_ID = "123456789012"
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def configure_default_account(account_id: str | None = None) -> str:
    """Make ``account_id`` (default: ``$MOTO_ACCOUNT_ID``) moto's default account.

    Removes ``MOTO_ACCOUNT_ID`` from ``os.environ`` so that the per-request account selection
    (``x-moto-account-id`` header, then the access key) keeps working, and rebinds
    ``DEFAULT_ACCOUNT_ID`` in every loaded moto module (modules imported later read it from
    ``moto.core``, which is rebound first). Returns the account ID in force.
    """
    if account_id is None:
        account_id = os.environ.get("MOTO_ACCOUNT_ID") or MOTO_BUILTIN_DEFAULT_ACCOUNT_ID
    if not _ACCOUNT_ID.match(account_id):
        raise ValueError(f"MOTO_ACCOUNT_ID must be 12 digits, got {account_id!r}")
    os.environ.pop("MOTO_ACCOUNT_ID", None)

    import moto.core
    import moto.core.models

    moto.core.models.DEFAULT_ACCOUNT_ID = account_id
    moto.core.DEFAULT_ACCOUNT_ID = account_id  # type: ignore[attr-defined]

    # Load the modules that captured the value at import time, then rebind them all.
    import moto.iam.models  # noqa: F401  (get_account_id_from falls back to DEFAULT_ACCOUNT_ID)
    import moto.moto_server.werkzeug_app  # noqa: F401
    import moto.moto_api._internal.responses  # noqa: F401

    for name, module in list(sys.modules.items()):
        if not name.startswith("moto") or module is None:
            continue
        if getattr(module, "DEFAULT_ACCOUNT_ID", None) == MOTO_BUILTIN_DEFAULT_ACCOUNT_ID:
            setattr(module, "DEFAULT_ACCOUNT_ID", account_id)
    return account_id
