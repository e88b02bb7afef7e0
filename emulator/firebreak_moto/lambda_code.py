"""Lambda GetFunction's ``Code.Location`` that can be downloaded from the emulator.

AWS answers GetFunction with ``Code.Location``: "The presigned URL you can use to download the function's
.zip file that you previously uploaded. The URL is valid for up to 10 minutes" (Lambda API Reference,
GetFunction, FunctionCodeLocation: https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCodeLocation.html).
moto 5.2.5 names ``https://awslambda-<region>-tasks.s3.<region>.amazonaws.com/<key>`` there, a host that
neither exists locally nor holds the code, so the code package cannot be fetched and checked against
``CodeSha256`` (lambda-compromise's preservation does both).

Patch: for a function created from a .zip file, ``Code.Location`` is a URL on the emulator itself
(``http://<Host of the request>/_firebreak/lambda-code/<account>/<region>/<function>/<version>``), and a GET
of it answers the bytes of that version's .zip file (404 when the function or version is gone). Only the
URL changes; ``CodeSha256``, ``CodeSize`` and every other field are moto's. Like AWS's presigned URL, it
takes no AWS signature; unlike it, it does not expire.
"""

from __future__ import annotations

import threading
from typing import Any, Callable
from urllib.parse import quote, unquote

from moto.awslambda.models import LambdaFunction, lambda_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

PATCHES = ("Lambda: GetFunction's Code.Location downloads the function's .zip file from the emulator",)

PREFIX = "/_firebreak/lambda-code/"
_original: dict[str, Callable[..., Any]] = {}
_request = threading.local()


def _code_bytes(account: str, region: str, name: str, version: str) -> bytes | None:
    """The .zip bytes of ``name`` at ``version`` (``$LATEST`` or a number), or ``None`` when there is none."""
    try:
        fn = lambda_backends[account][region].get_function(name, None if version == "$LATEST" else version)
    except Exception:  # noqa: BLE001 - moto raises its own not-found classes; all mean "no such code"
        return None
    code = getattr(fn, "code_bytes", b"")
    return code or None


def _serve(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Answers a GET of a code location (the .zip bytes, or 404)."""
    parts = [unquote(p) for p in environ.get("PATH_INFO", "")[len(PREFIX) :].split("/")]
    body = _code_bytes(*parts) if len(parts) == 4 and environ.get("REQUEST_METHOD") == "GET" else None
    if body is None:
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"Not Found"]
    start_response("200 OK", [("Content-Type", "application/zip"), ("Content-Length", str(len(body)))])
    return [body]


def dispatch(self: DomainDispatcherApplication, environ: dict[str, Any], start_response: Any) -> Any:
    """Serves code locations; remembers the request's Host (for the URL ``get_code`` builds); else moto's."""
    if environ.get("PATH_INFO", "").startswith(PREFIX):
        return _serve(environ, start_response)
    _request.host = environ.get("HTTP_HOST")
    return _original["__call__"](self, environ, start_response)


def get_code(self: LambdaFunction) -> dict[str, Any]:
    """moto's GetFunction answer, with ``Code.Location`` on the emulator for a .zip function."""
    resp: dict[str, Any] = _original["get_code"](self)
    host = getattr(_request, "host", None)
    if host and "S3Key" in self.code and getattr(self, "code_bytes", b""):
        path = "/".join(quote(str(p), safe="$") for p in (self.account_id, self.region, self.function_name, self.version))
        resp["Code"] = {**resp.get("Code", {}), "Location": f"http://{host}{PREFIX}{path}"}
    return resp


def apply() -> None:
    """Install the patch (idempotent)."""
    if _original:
        return
    _original["__call__"] = DomainDispatcherApplication.__call__
    _original["get_code"] = LambdaFunction.get_code
    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]
    LambdaFunction.get_code = get_code  # type: ignore[method-assign]
